"""How long screening one community text takes: staff rules and the offline classifier.

    .venv/bin/python bench/screening.py [--texts 3000] [--rules 50] [--json]

Set-up (not timed): N realistic texts (questions, answers and ideas as shoppers write
them: short and long, a few rude ones, some with links or markup) made from fixed
phrases with a fixed seed; R staff rules, a third of them regular expressions; the
classifier loaded and warmed up once (loading it takes a few seconds, once a process).

What is timed, one text at a time as a post is screened (``screen_texts``, the code the
community runs after reading the rules): the rules alone, the classifier alone, and
both together. Prints the median and p99 per text, and the share the classifier flags.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.community.screening import (  # noqa: E402
    CompiledRule,
    Outcome,
    classifier,
    compile_rule,
    screen_texts,
)
from app.models import RuleAction  # noqa: E402

OPENINGS = ("Does this", "Is the", "Can I", "Would you make", "Please add", "I love the",
            "Why is the", "How does the", "Any chance of", "My partner wants the")  # fmt: skip
THINGS = ("jacket", "trail shoe", "frying pan", "backpack", "coffee grinder", "sweater",
          "tent", "kettle", "running vest", "boot")  # fmt: skip
ASKS = ("come in a wide fit?", "run true to size?", "in 24 cm?", "in a darker colour?",
        "work on induction?", "have a warranty?", "with recycled fabric?",
        "in half sizes?", "fit a 15 inch laptop?", "ship to Norway?")  # fmt: skip
DETAILS = ("I bought one last year and it still looks new.", "My feet are quite wide.",
           "The zip broke after a month, which was a pity.", "Great for long hikes.",
           "We cook for six most days.", "It would make a great gift.",
           "See https://example.com/review for what I mean.", "<b>Really</b> want this!",
           "Please please please.", "Thanks for listening to us.")  # fmt: skip
RUDE = ("This is a shit product.", "You idiots never listen.", "What a crap zip.",
        "Fuck this shop.")  # fmt: skip
WORDS = ("knockoff", "counterfeit", "fake", "scam", "replica", "dropship", "coupon",
         "whatsapp", "telegram", "crypto")  # fmt: skip


def texts(count: int, rng: random.Random) -> list[str]:
    out = []
    for _ in range(count):
        text = f"{rng.choice(OPENINGS)} {rng.choice(THINGS)} {rng.choice(ASKS)}"
        for _ in range(rng.choice((0, 0, 1, 2, 4))):
            text += " " + rng.choice(DETAILS)
        if rng.random() < 0.05:
            text += " " + rng.choice(RUDE)
        out.append(text)
    return out


def rules(count: int) -> list[CompiledRule]:
    made = []
    for n in range(count):
        word = f"{WORDS[n % len(WORDS)]}{n // len(WORDS) or ''}"
        regex = n % 3 == 0
        pattern = rf"\b{word}\w*\b" if regex else word
        action = (RuleAction.REFUSE, RuleAction.HOLD, RuleAction.FLAG)[n % 3]
        made.append(CompiledRule(n, compile_rule(pattern, regex), action, "", pattern))
    return made


def timed(run: Any, items: list[str]) -> list[float]:
    seconds = []
    for text in items:
        start = time.perf_counter()
        run(text)
        seconds.append(time.perf_counter() - start)
    return seconds


def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"median_ms": round(statistics.median(ordered) * 1000, 3),
            "p99_ms": round(p99 * 1000, 3)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = random.Random(20261207)
    items = texts(args.texts, rng)
    staff_rules = rules(args.rules)
    start = time.perf_counter()
    judge = classifier()
    load_seconds = time.perf_counter() - start
    if judge is None:
        sys.exit("alt-profanity-check is not installed")
    judge(["warm up"])
    results = {
        "rules": summary(timed(lambda t: screen_texts([t], staff_rules), items)),
        "classifier": summary(timed(lambda t: screen_texts([t], [], judge=judge), items)),
        "both": summary(timed(lambda t: screen_texts([t], staff_rules, judge=judge), items)),
    }
    flagged = [screen_texts([t], [], judge=judge).outcome == Outcome.FLAG for t in items]
    rude = [any(r in t for r in RUDE) for t in items]
    report = {
        "texts": len(items),
        "rules": len(staff_rules),
        "mean_characters": round(statistics.mean(len(t) for t in items)),
        "classifier_load_s": round(load_seconds, 2),
        "flagged_by_classifier": round(sum(flagged) / len(items), 4),
        "rude_texts": round(sum(rude) / len(items), 4),
        "rude_missed": sum(r and not f for r, f in zip(rude, flagged, strict=True)),
        "polite_flagged": sum(f and not r for r, f in zip(rude, flagged, strict=True)),
        **{f"{name}_{key}": value for name, r in results.items() for key, value in r.items()},
    }
    if args.json:
        print(json.dumps(report))
        return
    print(
        f"{report['texts']:,} texts (mean {report['mean_characters']} characters), "
        f"{report['rules']} rules; classifier loaded in {report['classifier_load_s']} s"
    )
    for name, r in results.items():
        print(f"  {name:<11} median {r['median_ms']:.3f} ms   p99 {r['p99_ms']:.3f} ms per text")
    print(f"  flagged by the classifier: {report['flagged_by_classifier']:.1%} "
          f"(rude texts made: {report['rude_texts']:.1%}; rude ones missed "
          f"{report['rude_missed']}, polite ones flagged {report['polite_flagged']})")  # fmt: skip


if __name__ == "__main__":
    main()

"""Draw the demo art in ``static/demo/img/`` for the sample files in ``app/demo/data/``.

Every image the samples reference is named ``<kind>-<motif>-<key>.svg``:

* ``kind`` is the frame: ``p`` product photo (4:3), ``v`` video thumbnail (16:9, with a play
  button), ``pin`` Pinterest pin (2:3) or ``promo`` promotion banner (16:9);
* ``motif`` is the flat illustration (``shoe``, ``tent``, ``mug``...), see ``MOTIFS``;
* ``key`` is the item id, which picks the colours, so each product looks a little different.

The script scans the samples for ``/static/demo/img/*.svg`` references, writes one SVG per
reference and deletes SVGs that nothing references any more. It uses only the standard
library, and re-running it writes the same bytes. Run it from anywhere::

    python scripts/make_demo_images.py
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "app" / "demo" / "data"  # the samples whose images are drawn
OUT = ROOT / "static" / "demo" / "img"
REFERENCE = re.compile(r"/static/demo/img/([A-Za-z0-9_-]+)\.svg")

PALETTE = (
    "#2f6f8f", "#c8553d", "#3d7a4f", "#d9a441", "#6b4e9b", "#1f3b57", "#b23a48", "#4f8a8b",
    "#e07a5f", "#5b6c5d", "#8d6a9f", "#2e86ab", "#a44a3f", "#f2a65a", "#386641", "#45464d",
)  # fmt: skip
LIGHT, METAL, INK, GLASS = "#f7f5f0", "#a7b0b8", "#2b2d33", "#dfeaf0"
LEAF, LEAF2, FLAME, GLOW, WOOD = "#3d7a4f", "#6aa85f", "#f08a24", "#ffe08a", "#b98250"

# A soft background per category; every motif belongs to one.
BACKGROUNDS = {
    "#fde8dc": "shoe boot sneaker sandal slipper sock",
    "#ece6f6": "tee shirt sweater hoodie jacket puffer fleece vest coat pants shorts dress bra "
    "hat glove scarf sunglasses",
    "#e3f0e1": "backpack duffel pouch tent tarp sleepingbag pad stove cooler lantern headlamp "
    "poles bottle compass campchair hammock",
    "#e4eef2": "harness carabiner rope chalkbag helmet snowshoe watch",
    "#fbf1dc": "pan pot sheetpan knife board coffeemaker press grinder kettle blender appliance "
    "toaster mug plate glass jar",
    "#f4ebe4": "sofa chair table desk shelf lamp pendant stringlights linens pillow candle vase "
    "rug mirror frame clock vacuum purifier",
    "#e2f2e6": "planter trowel wateringcan hose seeds plant soilbag grill firepit birdhouse",
    "#e6ebf4": "headphones earbuds speaker turntable phone powerbank laptop tablet keyboard "
    "monitor camera smartspeaker bulb securitycam thermostat gamepad",
}
BACKGROUND = {m: bg for bg, motifs in BACKGROUNDS.items() for m in motifs.split()}


def mix(one: str, two: str, share: float) -> str:
    """``share`` of colour ``two`` blended into colour ``one``."""
    a = [int(one[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(two[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


# Tiny SVG element helpers; numbers are written as given.
def P(d: str, fill: str, extra: str = "") -> str:
    return f'<path d="{d}" fill="{fill}"{extra}/>'


def S(d: str, stroke: str, width: float) -> str:
    return (
        f'<path d="{d}" fill="none" stroke="{stroke}" stroke-width="{width}" '
        'stroke-linecap="round" stroke-linejoin="round"/>'
    )


def R(x: float, y: float, w: float, h: float, fill: str, rx: float = 0, extra: str = "") -> str:
    corner = f' rx="{rx}"' if rx else ""
    return f'<rect x="{x}" y="{y}" width="{w}" height="{h}"{corner} fill="{fill}"{extra}/>'


def C(cx: float, cy: float, r: float, fill: str, extra: str = "") -> str:
    return f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{fill}"{extra}/>'


def E(cx: float, cy: float, rx: float, ry: float, fill: str, extra: str = "") -> str:
    return f'<ellipse cx="{cx}" cy="{cy}" rx="{rx}" ry="{ry}" fill="{fill}"{extra}/>'


def ring(cx: float, cy: float, r: float, stroke: str, width: float) -> str:
    return C(cx, cy, r, "none", f' stroke="{stroke}" stroke-width="{width}"')


OP = ' opacity=".35"'
SLEEVES = "M150 45L110 55 70 90 45 250l40 5 33-125 2 132h160l2-132 33 125 40-5-25-160-40-35-40-10"
BODY = "M150 45L120 55 115 120l5 142h160l5-142-5-65-30-10"
COLLAR = "Q200 75 150 45Z"


# Each motif draws in a 400x300 box standing on y=270, with a main colour c, its darker
# shade d and an accent a.
def shoe(c: str, d: str, a: str, high: bool = False, chunky: bool = False) -> str:
    if high:
        upper = "M58 232V80q0-18 18-18h85q15 0 17 18l6 78q70 12 130 32 45 15 46 42Z"
        laces = S("M150 90l24 6M152 115l24 6M154 140l24 6", LIGHT, 5)
    else:
        upper = (
            "M48 232c-3-40 22-62 52-72 30-10 50-35 75-48 15-7 30-4 37 6 23 32 58 47 98 62"
            " 35 13 52 28 52 52Z"
        )
        laces = S("M190 130l-9 18M215 142l-9 18M240 155l-9 18", LIGHT, 5)
    sole = 42 if chunky else 30
    return (
        P(upper, c)
        + P(f"M42 226h290q33 0 30 20-3 {sole - 20}-30 {sole - 20}H60q-18 0-18-20Z", LIGHT)
        + R(42, 222 + sole, 318, 12, INK, 6)
        + S("M52 190q-8 20 0 38", d, 8)
        + S("M95 214c65 0 135-16 205-24", a, 10)
        + laces
        + (P("M300 226q40-2 55 10", d, ' opacity=".3"') if chunky else "")
    )


def sandal(c: str, d: str, a: str) -> str:
    return (
        P("M50 240q0-22 30-22l240-6q35 0 35 20t-35 20l-240 3q-30 1-30-15Z", d)
        + S("M105 222q25-60 60-2M175 220q30-70 70-4M255 216q25-50 60 0", c, 16)
        + S("M120 205h40", a, 8)
    )


def slipper(c: str, d: str, a: str) -> str:
    return (
        P("M60 245c0-45 60-55 140-55s150 15 152 55Z", c)
        + E(120, 205, 50, 14, LIGHT)
        + R(55, 240, 300, 16, d, 8)
        + S("M190 215c40 0 80 5 120 18", a, 6)
    )


def sock(c: str, d: str, a: str) -> str:
    return (
        P("M160 30h80v160q0 10 10 15l70 30q25 13 15 33t-35 10l-120-33q-20-5-20-30Z", c)
        + R(155, 25, 90, 40, LIGHT, 8)
        + P("M290 225l30 12q25 13 15 33t-35 10l-20-6z", a)
        + P("M160 190h40v40l-40-12z", a)
    )


def top(c: str, d: str, a: str, kind: str) -> str:
    if kind == "tee":
        out = P(
            "M150 50l-35 8-55 42 25 40 35-22v142h160V118l35 22 25-40-55-42-35-8Q200 80 150 50Z", c
        )
        return out + S("M150 50q50 35 100 0", d, 8)
    shape = BODY if kind in ("vest", "puffervest") else SLEEVES
    if kind == "coat":
        shape = "M150 40l-40 10-40 35-25 180 40 5 33-125v165h164V105l33 125 40-5-25-180-40-35-40-10"
    out = P(shape + COLLAR, c)
    bottom = 300 if kind == "coat" else 262
    if kind in ("puffer", "vest"):
        out += "".join(
            S(f"M{50 if kind == 'puffer' else 118} {y}H{350 if kind == 'puffer' else 282}", d, 4)
            for y in (100, 145, 190, 232)
        )
    if kind in ("jacket", "puffer", "vest", "fleece", "coat"):
        out += S(f"M200 70V{bottom}", d, 5)
        out += P("M150 45l20-22h60l20 22-50 28z", d)
    if kind == "jacket":
        out += P("M145 50q5-45 55-45t55 45q-55 30-110 0Z", d) + S("M135 200h40M225 200h40", a, 6)
    if kind == "fleece":
        out += R(220, 95, 40, 40, a, 6)
    if kind == "coat":
        out += P("M150 45l50 60 50-60-15-5-35 40-35-40z", d)
        out += "".join(C(x, y, 6, INK) for x in (180, 220) for y in (150, 200, 250))
    if kind == "shirt":
        out += "".join(S(f"M{x} 60v200", a, 10) for x in (145, 180, 220, 255))
        out += "".join(S(f"M120 {y}h160", a, 8) for y in (110, 160, 210)).replace("/>", f"{OP}/>")
        out += P("M150 45l25 30 25-20 25 20 25-30-50 15z", d)
        out += "".join(C(200, y, 5, LIGHT) for y in (100, 140, 180, 220))
    if kind in ("sweater", "hoodie"):
        out += R(120, 240, 160, 22, d, 4) + R(45, 235, 40, 18, d, 4) + R(315, 235, 40, 18, d, 4)
    if kind == "sweater":
        out += S("M170 80v150M230 80v150", d, 6) + S(
            "M200 80l-10 15 10 15 10 15-10 15 10 15-10 15 10 15", a, 6
        )
    if kind == "hoodie":
        out += P("M145 50q5-45 55-45t55 45q-55 30-110 0Z", d) + P("M150 190h100l15 45H135z", d)
        out += S("M185 70v40M215 70v40", LIGHT, 4)
    return out


def pants(c: str, d: str, a: str, short: bool = False) -> str:
    hem = 205 if short else 270
    body = f"M120 30h160l{25 if short else 20} {hem - 30}h-90l-15-{hem - 110}-15 {hem - 110}h-90z"
    return (
        P(body, c) + R(118, 30, 164, 22, d, 4) + S("M140 60q20 25 50 20M260 60q-20 25-50 20", a, 5)
    )


def dress(c: str, d: str, a: str) -> str:
    return (
        P("M160 30h80l10 60 70 180H80l70-180z", c)
        + R(148, 88, 104, 16, a, 6)
        + S("M165 30l-5-20M235 30l5-20", d, 8)
        + S("M130 200l-20 60M270 200l20 60M200 110v150", d, 3)
    )


def bra(c: str, d: str, a: str) -> str:
    return (
        P("M110 55h40q50 60 100 0h40l10 150q-100 35-200 0Z", c)
        + R(100, 190, 200, 34, d, 10)
        + S("M150 55q50 70 100 0", d, 6)
        + S("M200 105v85", a, 6)
    )


def hat(c: str, d: str, a: str) -> str:
    return (
        P("M90 210q0-140 110-140t110 140Z", c)
        + R(80, 190, 240, 55, d, 12)
        + C(200, 62, 30, a)
        + "".join(S(f"M{x} 198v40", c, 5) for x in range(100, 310, 22))
    )


def glove(c: str, d: str, a: str) -> str:
    hand = (
        "M130 250V150q0-20 15-20V60q0-15 15-15t15 15v60l3-75q0-15 17-15t17 15v75l3-65"
        "q0-15 17-15t16 15v75l2-40q0-15 15-15t15 15v110q0 30-20 45v5Z"
    )
    return (
        P(hand, c)
        + P("M130 175q-35-25-45-5-5 20 45 55", c)
        + R(125, 245, 140, 35, d, 6)
        + S("M150 262h90", a, 5)
    )


def scarf(c: str, d: str, a: str) -> str:
    return (
        P("M80 70q120-30 240 0v40q-120-30-240 0Z", c)
        + R(225, 95, 55, 150, c, 6)
        + "".join(S(f"M{x} 90v160", a, 6) for x in (240, 262)).replace("/>", f"{OP}/>")
        + "".join(S(f"M{x} 245v22", d, 4) for x in range(232, 280, 9))
    )


def sunglasses(c: str, d: str, a: str) -> str:
    return (
        E(135, 160, 70, 50, INK)
        + E(265, 160, 70, 50, INK)
        + S("M195 150q5-15 10 0M65 140l-30-20M335 140l30-20", c, 10)
        + S("M110 135l35 35M240 135l35 35", a, 6).replace("/>", f"{OP}/>")
    )


def backpack(c: str, d: str, a: str) -> str:
    return (
        S("M165 40q35-40 70 0", d, 12)
        + P("M120 60q0-30 30-30h100q30 0 30 30l10 200q0 10-10 10H120q-10 0-10-10Z", c)
        + P("M118 70q0-30 30-30h104q30 0 30 30v40H118Z", d)
        + R(140, 160, 120, 90, d, 16)
        + S("M150 180h100", a, 6)
        + S("M120 120q-20 60 0 130", INK, 8)
    )


def duffel(c: str, d: str, a: str) -> str:
    return (
        S("M140 105q60-80 120 0", d, 14)
        + P("M60 140q0-40 40-40h200q40 0 40 40v100q0 20-20 20H80q-20 0-20-20Z", c)
        + E(75, 180, 18, 70, d)
        + E(325, 180, 18, 70, d)
        + S("M100 110h200", a, 6)
        + R(150, 170, 100, 50, d, 8)
    )


def pouch(c: str, d: str, a: str) -> str:
    return (
        R(30, 160, 340, 26, INK, 13)
        + R(110, 120, 180, 110, c, 30)
        + S("M135 150h130", a, 6)
        + C(275, 150, 6, LIGHT)
    )


def watch(c: str, d: str, a: str) -> str:
    return (
        R(160, 20, 80, 90, c, 14)
        + R(160, 190, 80, 90, c, 14)
        + C(200, 150, 82, METAL)
        + C(200, 150, 68, INK)
        + S("M200 96a54 54 0 0 1 50 34", a, 8)
        + S("M200 150V108M200 150l28 16", LIGHT, 6)
    )


def headlamp(c: str, d: str, a: str) -> str:
    return (
        P("M210 170L390 100v140z", GLOW, OP)
        + E(150, 150, 120, 70, "none", f' stroke="{c}" stroke-width="20"')
        + R(170, 150, 70, 60, d, 12)
        + C(218, 180, 20, "#fff6c8")
        + R(60, 120, 30, 60, a, 8)
    )


def poles(c: str, d: str, a: str) -> str:
    return (
        S("M150 60l20 205M250 60l-20 205", METAL, 9)
        + R(138, 30, 26, 70, c, 10)
        + R(236, 30, 26, 70, c, 10)
        + E(168, 240, 22, 6, INK)
        + E(232, 240, 22, 6, INK)
        + S("M135 50l-15 30M265 50l15 30", a, 5)
    )


def bottle(c: str, d: str, a: str) -> str:
    return (
        R(150, 75, 100, 195, c, 30)
        + R(165, 38, 70, 45, d, 10)
        + R(150, 150, 100, 30, a)
        + S("M235 45q30-5 25 25", d, 8)
    )


def tent(c: str, d: str, a: str) -> str:
    return (
        S("M40 262L5 280M360 262l35 18", METAL, 3)
        + P("M40 262Q200 20 360 262Z", c)
        + P("M200 45q90 80 160 217H200Z", d)
        + P("M150 262q50-135 100 0Z", INK, ' opacity=".65"')
        + S("M200 45v217", a, 6)
    )


def tarp(c: str, d: str, a: str) -> str:
    return (
        P("M60 230l80-110h200l-60 110Z", c)
        + S("M60 230l80-110h200l-60 110Z", d, 6)
        + "".join(C(x, y, 7, a) for x, y in ((62, 230), (140, 120), (340, 120), (280, 230)))
    )


def sleepingbag(c: str, d: str, a: str) -> str:
    return (
        R(80, 110, 220, 140, c, 70)
        + E(290, 180, 45, 70, d)
        + S("M290 180m-25 0a25 25 0 1 1 25 25", LIGHT, 6)
        + R(140, 105, 22, 150, a, 6)
        + R(215, 105, 22, 150, a, 6)
    )


def pad(c: str, d: str, a: str) -> str:
    return (
        R(50, 140, 300, 100, c, 16)
        + "".join(S(f"M{x} 148v84", d, 5) for x in range(90, 340, 40))
        + R(320, 150, 18, 28, a, 4)
        + R(50, 220, 300, 20, d, 10)
    )


def stove(c: str, d: str, a: str) -> str:
    return (
        R(130, 180, 140, 90, c, 40)
        + R(175, 140, 50, 45, METAL, 8)
        + S("M150 135l50-15 50 15M160 110l40 15 40-15", INK, 6)
        + P("M200 70q-30 30-8 55h16q22-25-8-55Z", FLAME)
        + P("M200 92q-12 16-3 30h6q9-14-3-30Z", GLOW)
        + R(165, 215, 70, 12, a, 6)
    )


def cooler(c: str, d: str, a: str) -> str:
    return (
        R(70, 110, 260, 155, c, 16)
        + R(62, 88, 276, 42, LIGHT, 12)
        + S("M150 100h100", d, 10)
        + R(90, 150, 16, 30, INK, 4)
        + R(294, 150, 16, 30, INK, 4)
        + S("M100 230h200", a, 8)
    )


def lantern(c: str, d: str, a: str) -> str:
    return (
        C(200, 160, 115, GLOW, ' opacity=".3"')
        + S("M160 60q40-50 80 0", INK, 8)
        + P("M150 70h100l15 30H135z", d)
        + R(150, 100, 100, 130, "#fff3c4")
        + S("M150 100v130M250 100v130M200 100v130", c, 8)
        + R(135, 230, 130, 30, d, 8)
        + C(200, 165, 18, a, OP)
    )


def compass(c: str, d: str, a: str) -> str:
    return (
        R(90, 40, 220, 230, GLASS, 20, ' opacity=".9"')
        + S("M200 60v40", c, 8)
        + C(200, 180, 70, LIGHT, f' stroke="{d}" stroke-width="10"')
        + P("M200 120l18 60h-36z", "#c8553d")
        + P("M200 240l18-60h-36z", INK)
        + C(200, 180, 8, a)
    )


def campchair(c: str, d: str, a: str) -> str:
    return (
        S("M110 265l180-140M290 265L110 125", INK, 8)
        + P("M100 90q100 40 200 0l-10 100q-90 30-180 0z", c)
        + S("M105 100q95 35 190 0", a, 6)
        + R(275, 140, 40, 30, d, 6)
    )


def hammock(c: str, d: str, a: str) -> str:
    return (
        R(25, 20, 30, 250, WOOD, 8)
        + R(345, 20, 30, 250, WOOD, 8)
        + S("M55 80l30 20M345 80l-30 20", INK, 4)
        + P("M85 100q115 170 230 0-115 110-230 0Z", c)
        + S("M100 120q100 110 200 0", a, 5)
    )


def harness(c: str, d: str, a: str) -> str:
    return (
        E(200, 110, 120, 45, "none", f' stroke="{c}" stroke-width="22"')
        + E(150, 215, 45, 50, "none", f' stroke="{c}" stroke-width="18"')
        + E(250, 215, 45, 50, "none", f' stroke="{c}" stroke-width="18"')
        + S("M200 155v40", a, 14)
        + S("M95 130q-10 25 10 40M305 130q10 25-10 40", d, 6)
    )


def carabiner(c: str, d: str, a: str) -> str:
    return (
        S("M160 60h100q40 0 40 50l-15 120q-5 30-35 30h-80q-30 0-30-30V80q0-20 20-20Z", c, 20)
        + S("M140 110l20 110", METAL, 10)
        + R(128, 90, 30, 40, a, 6)
        + S("M300 160q40 40 20 100", d, 8)
    )


def rope(c: str, d: str, a: str) -> str:
    coils = "".join(
        E(
            200,
            150 + i * 4,
            130 - i * 12,
            95 - i * 9,
            "none",
            f' stroke="{c if i % 2 else d}" stroke-width="14"',
        )
        for i in range(5)
    )
    return coils + S("M320 180q40 40 10 80", a, 14)


def chalkbag(c: str, d: str, a: str) -> str:
    return (
        P("M120 90h160l-10 170q0 10-10 10H140q-10 0-10-10Z", c)
        + R(112, 78, 176, 30, LIGHT, 12)
        + S("M150 92q-30-40-10-60M250 92q30-40 10-60", a, 5)
        + R(280, 150, 20, 70, d, 6)
    )


def helmet(c: str, d: str, a: str) -> str:
    return (
        P("M70 220q0-150 130-150t130 150Z", c)
        + R(60, 210, 280, 22, d, 10)
        + "".join(R(x, 110, 20, 45, INK, 8, OP) for x in (140, 190, 240))
        + S("M110 232q30 50 90 50t90-50", a, 6)
    )


def snowshoe(c: str, d: str, a: str) -> str:
    return (
        E(200, 150, 85, 125, d)
        + E(200, 150, 72, 112, c)
        + R(150, 110, 100, 30, INK, 8)
        + R(160, 150, 80, 20, INK, 8)
        + S("M150 190l10 18 10-18 10 18 10-18 10 18 10-18 10 18 10-18", a, 5)
    )


def pan(c: str, d: str, a: str) -> str:
    return (
        R(255, 145, 130, 26, c, 13)
        + C(170, 158, 110, c)
        + C(170, 158, 92, d)
        + E(135, 120, 30, 16, LIGHT, ' opacity=".25"')
        + C(365, 158, 6, LIGHT)
    )


def pot(c: str, d: str, a: str) -> str:
    return (
        R(60, 150, 50, 20, d, 8)
        + R(290, 150, 50, 20, d, 8)
        + R(95, 120, 210, 145, c, 18)
        + P("M85 125q115-55 230 0Z", d)
        + R(185, 82, 30, 22, INK, 8)
        + S("M110 230h180", a, 6)
    )


def sheetpan(c: str, d: str, a: str) -> str:
    return (
        R(55, 85, 290, 180, METAL, 14)
        + R(72, 102, 256, 146, "#c6ccd2", 8)
        + "".join(
            C(x, y, 22, c)
            for x, y in ((120, 140), (200, 140), (280, 140), (120, 210), (200, 210), (280, 210))
        )
        + "".join(C(x, y, 5, d) for x, y in ((115, 135), (205, 145), (275, 205)))
    )


def knife(c: str, d: str, a: str) -> str:
    return (
        P("M40 175L255 140v55H70q-30-2-30-20Z", METAL)
        + S("M60 190h190", LIGHT, 4)
        + R(255, 138, 115, 58, c, 14)
        + C(290, 167, 6, LIGHT)
        + C(330, 167, 6, LIGHT)
    )


def board(c: str, d: str, a: str) -> str:
    return (
        P(
            "M70 90h200q20 0 20 20h50q22 0 22 25t-22 25h-50v85q0 20-20 20H70"
            "q-20 0-20-20V110q0-20 20-20Z",
            WOOD,
        )
        + C(330, 135, 9, "#8a5a30")
        + S("M80 150h170M80 190h140M80 230h170", "#a0703e", 4)
        + C(150, 170, 42, GLOW)
        + C(150, 170, 32, "#fff3c4")
        + S("M150 140v60M120 170h60M129 149l42 42M171 149l-42 42", GLOW, 3)
        + E(225, 215, 26, 12, LEAF, ' transform="rotate(-30 225 215)"')
        + E(250, 200, 22, 10, LEAF2, ' transform="rotate(20 250 200)"')
    )


def coffeemaker(c: str, d: str, a: str) -> str:
    return (
        R(90, 40, 100, 225, c, 14)
        + R(90, 40, 220, 60, c, 14)
        + R(190, 245, 120, 20, INK, 6)
        + P("M200 130h90l-5 105q0 12-12 12h-56q-12 0-12-12Z", GLASS)
        + P("M203 180h84l-3 55q0 10-10 10h-58q-10 0-10-10Z", "#5a3b2e")
        + C(140, 150, 12, a)
    )


def press(c: str, d: str, a: str) -> str:
    return (
        R(140, 80, 120, 185, GLASS)
        + R(140, 160, 120, 105, "#5a3b2e")
        + S("M200 40v120", METAL, 8)
        + C(200, 40, 14, c)
        + R(132, 70, 136, 16, c, 6)
        + S("M260 110h30v120h-30", c, 12)
        + R(132, 258, 136, 14, d, 6)
    )


def grinder(c: str, d: str, a: str) -> str:
    return (
        P("M140 40h120l-20 80h-80z", GLASS)
        + P("M150 70h100l-12 48h-76z", "#5a3b2e")
        + R(130, 118, 140, 150, c, 16)
        + R(175, 190, 50, 55, INK, 6)
        + C(200, 150, 12, a)
    )


def kettle(c: str, d: str, a: str) -> str:
    return (
        S("M110 200q-40-40-10-110 20-40 45-30", c, 12)
        + S("M290 160q40 0 40-40t-40-40", d, 14)
        + P("M110 250q-10-120 90-130 100 10 90 130Z", c)
        + R(160, 100, 80, 20, d, 8)
        + C(200, 96, 10, a)
        + R(100, 248, 200, 18, INK, 6)
    )


def blender(c: str, d: str, a: str) -> str:
    return (
        P("M140 40h120l-15 150h-90z", GLASS, ' opacity=".9"')
        + P("M150 110h100l-9 80h-82z", a)
        + R(135, 30, 130, 22, INK, 8)
        + P("M130 190h140l15 75H115z", c)
        + C(200, 228, 14, LIGHT)
    )


def appliance(c: str, d: str, a: str) -> str:
    return (
        R(110, 50, 180, 215, c, 40)
        + R(125, 150, 150, 105, d, 20)
        + R(170, 185, 60, 16, INK, 8)
        + C(200, 95, 22, LIGHT)
        + S("M200 85v12", a, 5)
    )


def toaster(c: str, d: str, a: str) -> str:
    return (
        R(125, 70, 45, 40, "#e2b26b", 10)
        + R(230, 70, 45, 40, "#e2b26b", 10)
        + R(80, 95, 240, 165, c, 40)
        + R(120, 92, 60, 12, INK, 6)
        + R(220, 92, 60, 12, INK, 6)
        + R(300, 150, 30, 14, INK, 6)
        + S("M120 230h160", a, 6)
    )


def mug(c: str, d: str, a: str) -> str:
    return (
        S("M270 140q50 0 50 45t-50 45", c, 18)
        + R(120, 100, 155, 165, c, 20)
        + E(197, 102, 77, 12, d)
        + S("M170 80q-15-25 0-45M220 80q-15-25 0-45", LIGHT, 6)
        + S("M120 200h155", a, 10)
    )


def plate(c: str, d: str, a: str) -> str:
    return (
        E(200, 235, 160, 32, d)
        + E(200, 220, 160, 32, c)
        + E(200, 218, 115, 20, LIGHT)
        + P("M120 170q0 40 80 40t80-40Z", c)
        + E(200, 170, 80, 16, a)
    )


def glass(c: str, d: str, a: str) -> str:
    return (
        P("M140 50h120q5 90-60 115-65-25-60-115Z", GLASS, ' opacity=".9"')
        + P("M145 95h110q-5 60-55 70-50-10-55-70Z", c)
        + S("M200 165v85", METAL, 8)
        + E(200, 258, 55, 10, METAL)
    )


def jar(c: str, d: str, a: str) -> str:
    return (
        R(90, 120, 120, 140, GLASS, 14)
        + R(85, 105, 130, 22, c, 8)
        + R(230, 150, 100, 110, GLASS, 14)
        + R(225, 135, 110, 22, c, 8)
        + R(100, 180, 100, 70, a, 8, OP)
        + R(240, 200, 80, 50, d, 8, OP)
    )


def sofa(c: str, d: str, a: str) -> str:
    return (
        R(70, 90, 260, 110, c, 18)
        + R(40, 140, 60, 110, d, 18)
        + R(300, 140, 60, 110, d, 18)
        + R(95, 175, 105, 55, c, 10)
        + R(200, 175, 105, 55, c, 10)
        + R(110, 110, 70, 55, a, 12)
        + S("M60 250v20M340 250v20", INK, 8)
    )


def chair(c: str, d: str, a: str) -> str:
    return (
        R(120, 40, 160, 150, c, 40)
        + R(100, 170, 200, 55, d, 18)
        + R(85, 130, 40, 90, c, 16)
        + R(275, 130, 40, 90, c, 16)
        + S("M120 225l-10 45M280 225l10 45", INK, 8)
        + R(150, 70, 100, 80, a, 20, OP)
    )


def table(c: str, d: str, a: str) -> str:
    return (
        R(40, 130, 320, 26, c, 8)
        + S("M80 156v110M320 156v110M120 156l-10 110M280 156l10 110", d, 12)
        + P("M185 85q-5 45 15 45t15-45z", a)
        + S("M200 85q-15-40 5-60M200 85q20-30 30-40", LEAF, 4)
    )


def desk(c: str, d: str, a: str) -> str:
    return (
        R(40, 150, 320, 20, c, 6)
        + R(250, 170, 90, 60, d, 6)
        + S("M60 170v100M340 230v40M250 230v40", INK, 10)
        + P("M140 150l10-70h100l10 70z", INK)
        + R(150, 88, 100, 52, a, 4)
    )


def shelf(c: str, d: str, a: str) -> str:
    books = "".join(
        R(x, y, 14, 40, col, 3)
        for x, y, col in (
            (130, 70, a),
            (146, 70, LIGHT),
            (162, 70, d),
            (220, 140, a),
            (236, 140, INK),
            (140, 210, d),
            (158, 210, a),
        )
    )
    return (
        S("M110 30l-20 240M290 30l20 240", d, 12)
        + "".join(R(95 - i * 5, 110 + i * 70, 210 + i * 10, 12, c, 4) for i in range(3))
        + books
    )


def lamp(c: str, d: str, a: str) -> str:
    return (
        C(200, 110, 110, GLOW, ' opacity=".3"')
        + P("M140 40h120l30 90H110z", c)
        + S("M200 130v120", INK, 8)
        + E(200, 258, 60, 12, INK)
        + S("M125 120h150", a, 6)
    )


def pendant(c: str, d: str, a: str) -> str:
    return (
        S("M200 0v90", INK, 4)
        + C(200, 190, 110, GLOW, ' opacity=".3"')
        + P("M90 190q0-100 110-100t110 100Z", c)
        + S("M100 170h200M120 140h160", d, 4)
        + E(200, 195, 35, 12, "#fff3b0")
    )


def stringlights(c: str, d: str, a: str) -> str:
    sag = [
        (x, round(80 + 360 * (x - 10) / 380 * (390 - x) / 380))
        for x in (45, 110, 175, 240, 305, 360)
    ]
    bulbs = "".join(
        C(x, y + 18, 24, GLOW, ' opacity=".45"') + E(x, y + 18, 12, 16, "#ffd36e") for x, y in sag
    )
    return (
        S("M10 80Q200 260 390 80", INK, 4)
        + bulbs
        + R(10, 70, 12, 20, c, 3)
        + R(378, 70, 12, 20, c, 3)
    )


def linens(c: str, d: str, a: str) -> str:
    return (
        R(80, 200, 240, 60, d, 14)
        + R(90, 145, 220, 60, LIGHT, 14)
        + R(80, 90, 240, 60, c, 14)
        + S("M100 120h200", a, 5)
        + S("M280 90v170", a, 10)
    )


def pillow(c: str, d: str, a: str) -> str:
    return (
        P("M70 70q130 25 260 0-25 90 0 180-130-25-260 0 25-90 0-180Z", c)
        + P(
            "M70 70q130 25 260 0-25 90 0 180-130-25-260 0 25-90 0-180Z",
            "none",
            f' stroke="{d}" stroke-width="8"',
        )
        + S("M130 130l140 60M130 190l140-60", a, 10)
    )


def candle(c: str, d: str, a: str) -> str:
    return (
        C(200, 90, 60, GLOW, ' opacity=".35"')
        + R(130, 120, 140, 145, c, 16)
        + E(200, 122, 70, 12, LIGHT)
        + S("M200 122v-20", INK, 4)
        + P("M200 65q-18 22 0 37 18-15 0-37Z", FLAME)
        + R(150, 170, 100, 50, LIGHT, 6, ' opacity=".8"')
        + S("M165 195h70", a, 6)
    )


def vase(c: str, d: str, a: str) -> str:
    return (
        S("M200 130q-20-70-70-100M200 130q5-80 30-115M200 130q30-50 80-70", LEAF, 5)
        + C(130, 30, 12, a)
        + C(230, 15, 10, a)
        + C(280, 60, 12, a)
        + P("M170 120h60q5 30 25 60 20 40 0 80h-110q-20-40 0-80 20-30 25-60Z", c)
        + S("M150 190h100M145 225h110", d, 5)
    )


def rug(c: str, d: str, a: str) -> str:
    return (
        "".join(S(f"M{x} 60v-14M{x} 240v14", d, 4) for x in range(70, 340, 20))
        + R(60, 60, 280, 180, c, 6)
        + R(78, 78, 244, 144, "none", 4, f' stroke="{d}" stroke-width="8"')
        + P("M200 100l60 50-60 50-60-50z", a)
        + P("M200 125l30 25-30 25-30-25z", LIGHT)
    )


def mirror(c: str, d: str, a: str) -> str:
    return (
        P("M130 270V110q0-80 70-80t70 80v160Z", GLASS, f' stroke="{c}" stroke-width="12"')
        + S("M165 150l40-40M170 190l60-60", LIGHT, 8)
        + S("M150 270l-20 10M250 270l20 10", INK, 6)
    )


def frame(c: str, d: str, a: str) -> str:
    return (
        R(70, 40, 260, 220, WOOD)
        + R(88, 58, 224, 184, LIGHT)
        + R(110, 80, 180, 140, mix(LIGHT, c, 0.25))
        + P("M110 220l60-80 40 50 30-30 50 60z", c)
        + C(250, 115, 18, a)
    )


def clock(c: str, d: str, a: str) -> str:
    ticks = "M200 62v16M200 222v16M112 150h16M272 150h16"
    return (
        C(200, 150, 95, LIGHT, f' stroke="{c}" stroke-width="14"')
        + S(ticks, INK, 5)
        + S("M200 150V95M200 150l40 25", INK, 7)
        + C(200, 150, 7, a)
    )


def vacuum(c: str, d: str, a: str) -> str:
    return (
        S("M250 20l-50 210", INK, 10)
        + R(238, 12, 30, 40, c, 10)
        + R(205, 70, 50, 110, c, 20)
        + R(212, 95, 36, 55, GLASS, 10)
        + R(120, 230, 140, 30, INK, 12)
        + S("M130 262h120", a, 4)
    )


def purifier(c: str, d: str, a: str) -> str:
    return (
        R(130, 30, 140, 240, LIGHT, 40, f' stroke="{METAL}" stroke-width="4"')
        + S("M160 90h80M160 115h80M160 140h80M160 165h80M160 190h80M160 215h80", METAL, 6)
        + E(200, 48, 50, 10, INK)
        + C(200, 250, 8, c)
        + S("M140 40q60 -10 120 0", a, 4)
    )


def planter(c: str, d: str, a: str) -> str:
    return (
        E(120, 130, 20, 45, LEAF, ' transform="rotate(-25 120 130)"')
        + E(200, 115, 22, 55, LEAF2)
        + E(280, 130, 20, 45, LEAF, ' transform="rotate(25 280 130)"')
        + C(160, 120, 16, a)
        + C(245, 110, 14, a)
        + P("M60 160h280l-25 105H85z", c)
        + R(55, 150, 290, 22, d, 6)
    )


def trowel(c: str, d: str, a: str) -> str:
    return (
        P("M60 230q-10-70 60-110l60 60q-40 70-120 50Z", METAL)
        + S("M170 150l60-60", METAL, 10)
        + R(215, 40, 45, 120, c, 18, ' transform="rotate(45 237 100)"')
        + C(275, 60, 8, a)
    )


def wateringcan(c: str, d: str, a: str) -> str:
    return (
        S("M130 80q70-60 140 0", d, 14)
        + S("M260 170l90-90", c, 14)
        + E(355, 75, 16, 22, d, ' transform="rotate(45 355 75)"')
        + P("M110 100h170l-10 165H120z", c)
        + S("M115 180h160", a, 8)
    )


def hose(c: str, d: str, a: str) -> str:
    coils = "".join(ring(180, 160, r, c if r % 20 else d, 14) for r in (40, 60, 80, 100))
    return (
        coils
        + S("M280 160q40 0 60 40", c, 14)
        + R(320, 195, 40, 55, INK, 8, ' transform="rotate(-30 340 222)"')
        + C(345, 255, 8, a)
    )


def seeds(c: str, d: str, a: str) -> str:
    return (
        R(110, 30, 180, 230, LIGHT, 6, f' stroke="{METAL}" stroke-width="3"')
        + R(110, 30, 180, 60, c, 6)
        + C(200, 170, 45, a)
        + S("M200 215v40M200 240q-25-5-30-25M200 240q25-5 30-25", LEAF, 5)
        + "".join(E(x, 272, 6, 4, "#7a5a3a") for x in (80, 100, 300, 320))
    )


def plant(c: str, d: str, a: str) -> str:
    leaves = "".join(
        E(
            200 + dx,
            110 + dy,
            28,
            58,
            LEAF if i % 2 else LEAF2,
            f' transform="rotate({rot} {200 + dx} {110 + dy})"',
        )
        for i, (dx, dy, rot) in enumerate(
            ((-70, 20, -45), (-30, -20, -15), (25, -25, 15), (70, 15, 45), (0, 30, 0))
        )
    )
    return leaves + P("M135 175h130l-18 95h-94z", c) + R(128, 165, 144, 22, d, 6)


def soilbag(c: str, d: str, a: str) -> str:
    return (
        P("M110 50h180l15 215H95z", c)
        + S("M110 50l15-15h150l15 15", d, 8)
        + R(120, 130, 160, 80, LIGHT, 8)
        + E(200, 170, 20, 32, LEAF, ' transform="rotate(30 200 170)"')
    )


def grill(c: str, d: str, a: str) -> str:
    return (
        S("M200 30q-20-20 0-30M220 40q-20-20 0-30", METAL, 4)
        + S("M150 200l-40 70M250 200l40 70M200 210v60", INK, 8)
        + C(290, 268, 14, INK)
        + P("M90 130q0 90 110 90t110-90Z", c)
        + P("M90 125q0-85 110-85t110 85Z", d)
        + R(180, 30, 40, 14, INK, 7)
        + S("M100 128h200", a, 6)
    )


def firepit(c: str, d: str, a: str) -> str:
    return (
        C(200, 150, 120, GLOW, ' opacity=".3"')
        + P(
            "M160 190q-40-60 10-130 10 50 30 40-20-40 20-80 40 60 20 100 30-10 20-40 40 50 0 110Z",
            FLAME,
        )
        + P("M180 190q-15-30 10-60 15 30 10 60z", GLOW)
        + R(60, 180, 280, 85, METAL, 14)
        + R(60, 180, 280, 20, c, 8)
        + S("M90 230h220", d, 5)
    )


def birdhouse(c: str, d: str, a: str) -> str:
    return (
        R(190, 200, 20, 75, WOOD)
        + R(130, 100, 140, 110, c)
        + P("M110 110l90-80 90 80z", d)
        + C(200, 145, 18, INK)
        + S("M200 180v15", INK, 5)
        + S("M225 195h40", a, 6)
    )


def headphones(c: str, d: str, a: str) -> str:
    return (
        S("M110 180q0-130 90-130t90 130", c, 18)
        + R(80, 150, 60, 110, c, 24)
        + R(260, 150, 60, 110, c, 24)
        + R(125, 165, 25, 80, INK, 10)
        + R(250, 165, 25, 80, INK, 10)
        + S("M95 175v60M305 175v60", a, 6)
    )


def earbuds(c: str, d: str, a: str) -> str:
    return (
        R(110, 140, 180, 120, c, 50)
        + S("M125 175h150", d, 4)
        + C(160, 95, 28, LIGHT)
        + R(150, 100, 20, 50, LIGHT, 10)
        + C(240, 95, 28, LIGHT)
        + R(230, 100, 20, 50, LIGHT, 10)
        + C(200, 215, 6, a)
    )


def speaker(c: str, d: str, a: str) -> str:
    dots = "".join(C(x, y, 5, d) for x in range(110, 300, 22) for y in (130, 160, 190))
    return (
        R(70, 100, 260, 120, c, 60)
        + dots
        + R(60, 115, 22, 90, INK, 10)
        + R(318, 115, 22, 90, INK, 10)
        + S("M150 240h100", a, 8)
    )


def turntable(c: str, d: str, a: str) -> str:
    return (
        R(40, 70, 320, 190, c, 14)
        + C(170, 165, 80, INK)
        + ring(170, 165, 55, "#44464d", 4)
        + ring(170, 165, 40, "#44464d", 4)
        + C(170, 165, 18, a)
        + S("M310 95v90l-60 30", METAL, 8)
        + C(310, 95, 12, METAL)
    )


def phone(c: str, d: str, a: str) -> str:
    return (
        R(130, 20, 140, 260, INK, 26)
        + R(142, 40, 116, 222, c, 12)
        + C(200, 29, 4, "#555")
        + C(180, 120, 30, a, OP)
        + P("M142 200l50-45 40 30 26-20v97H142z", d)
    )


def powerbank(c: str, d: str, a: str) -> str:
    return (
        S("M290 160q60 0 60 60t-60 40", INK, 6)
        + R(110, 60, 180, 200, c, 24)
        + R(280, 150, 16, 20, INK, 4)
        + "".join(C(x, 230, 6, a) for x in (170, 190, 210, 230))
    )


def laptop(c: str, d: str, a: str) -> str:
    return (
        R(90, 50, 220, 150, INK, 10)
        + R(102, 62, 196, 126, c)
        + C(160, 110, 26, a, OP)
        + P("M50 205h300l-20 40H70z", METAL)
        + R(170, 210, 60, 8, "#8a939b", 4)
    )


def tablet(c: str, d: str, a: str) -> str:
    return (
        R(100, 30, 200, 250, INK, 20)
        + R(114, 46, 172, 218, c, 6)
        + P("M114 200l60-60 50 40 62-50v134H114z", d)
        + S("M320 60l-30 200", a, 8)
    )


def keyboard(c: str, d: str, a: str) -> str:
    rows = "".join(
        f'<path d="M80 {y}h240" stroke="{LIGHT}" stroke-width="16" stroke-dasharray="20 5"/>'
        for y in (125, 150, 175)
    )
    return (
        R(50, 95, 300, 130, c, 14)
        + rows
        + R(130, 190, 140, 16, LIGHT, 4)
        + R(300, 110, 30, 20, a, 4)
    )


def monitor(c: str, d: str, a: str) -> str:
    return (
        R(40, 30, 320, 190, INK, 10)
        + R(52, 42, 296, 166, c)
        + P("M52 208l100-90 80 60 60-40 56 40v30z", d)
        + S("M200 220v30", METAL, 16)
        + E(200, 260, 70, 10, METAL)
        + C(300, 80, 20, a, OP)
    )


def camera(c: str, d: str, a: str) -> str:
    return (
        R(60, 90, 280, 165, INK, 20)
        + R(60, 90, 280, 50, c, 20)
        + R(120, 70, 70, 30, INK, 8)
        + C(200, 180, 62, METAL)
        + C(200, 180, 48, "#1b1c20")
        + C(185, 165, 12, a, OP)
        + R(270, 78, 36, 14, a, 6)
    )


def smartspeaker(c: str, d: str, a: str) -> str:
    dots = "".join(C(x, y, 4, d) for x in range(140, 265, 18) for y in (150, 180, 210, 240))
    return (
        P("M120 120q0-40 80-40t80 40v120q0 30-80 30t-80-30Z", c)
        + dots
        + E(200, 92, 64, 14, INK)
        + E(200, 90, 50, 8, a)
    )


def bulb(c: str, d: str, a: str) -> str:
    return (
        C(200, 110, 115, c, ' opacity=".2"')
        + P(
            "M200 30q80 0 80 80 0 40-35 70v30h-90v-30q-35-30-35-70 0-80 80-80Z", mix(c, LIGHT, 0.45)
        )
        + R(160, 210, 80, 55, METAL, 8)
        + S("M165 225h70M165 242h70", "#8a939b", 4)
        + S("M185 150l15 25 15-25", a, 5)
    )


def securitycam(c: str, d: str, a: str) -> str:
    return (
        S("M300 60v60l-60 40", INK, 12)
        + R(280, 40, 60, 30, INK, 8)
        + R(60, 110, 230, 110, LIGHT, 50)
        + C(120, 165, 36, INK)
        + C(120, 165, 18, "#33405a")
        + C(190, 140, 8, a)
        + R(210, 150, 60, 30, c, 12)
    )


def thermostat(c: str, d: str, a: str) -> str:
    return (
        C(200, 150, 110, METAL)
        + C(200, 150, 92, INK)
        + S("M130 190a80 80 0 1 1 140 0", "#44464d", 10)
        + S("M130 190a80 80 0 0 1 40-110", a, 10)
        + C(200, 150, 30, c)
    )


def gamepad(c: str, d: str, a: str) -> str:
    return (
        P(
            "M110 90h180q60 0 70 90 10 80-40 80-40-50-60-50H130q-20 0-60 50-50 0-40-80"
            " 10-90 70-90Z",
            c,
        )
        + P("M120 140h20v20h20v20h-20v20h-20v-20h-20v-20h20z", INK)
        + C(270, 145, 12, a)
        + C(295, 170, 12, a)
        + C(170, 200, 20, d)
        + C(230, 200, 20, d)
    )


def _top(kind: str) -> Callable[[str, str, str], str]:
    return lambda c, d, a: top(c, d, a, kind)


MOTIFS: dict[str, Callable[[str, str, str], str]] = {
    "shoe": shoe,
    "sneaker": lambda c, d, a: shoe(c, d, a, chunky=True),
    "boot": lambda c, d, a: shoe(c, d, a, high=True),
    "sandal": sandal,
    "slipper": slipper,
    "sock": sock,
    **{
        k: _top(k)
        for k in ("tee", "shirt", "sweater", "hoodie", "jacket", "puffer", "fleece", "vest", "coat")
    },
    "pants": pants,
    "shorts": lambda c, d, a: pants(c, d, a, short=True),
    "dress": dress,
    "bra": bra,
    "hat": hat,
    "glove": glove,
    "scarf": scarf,
    "sunglasses": sunglasses,
    "backpack": backpack,
    "duffel": duffel,
    "pouch": pouch,
    "watch": watch,
    "headlamp": headlamp,
    "poles": poles,
    "bottle": bottle,
    "tent": tent,
    "tarp": tarp,
    "sleepingbag": sleepingbag,
    "pad": pad,
    "stove": stove,
    "cooler": cooler,
    "lantern": lantern,
    "compass": compass,
    "campchair": campchair,
    "hammock": hammock,
    "harness": harness,
    "carabiner": carabiner,
    "rope": rope,
    "chalkbag": chalkbag,
    "helmet": helmet,
    "snowshoe": snowshoe,
    "pan": pan,
    "pot": pot,
    "sheetpan": sheetpan,
    "knife": knife,
    "board": board,
    "coffeemaker": coffeemaker,
    "press": press,
    "grinder": grinder,
    "kettle": kettle,
    "blender": blender,
    "appliance": appliance,
    "toaster": toaster,
    "mug": mug,
    "plate": plate,
    "glass": glass,
    "jar": jar,
    "sofa": sofa,
    "chair": chair,
    "table": table,
    "desk": desk,
    "shelf": shelf,
    "lamp": lamp,
    "pendant": pendant,
    "stringlights": stringlights,
    "linens": linens,
    "pillow": pillow,
    "candle": candle,
    "vase": vase,
    "rug": rug,
    "mirror": mirror,
    "frame": frame,
    "clock": clock,
    "vacuum": vacuum,
    "purifier": purifier,
    "planter": planter,
    "trowel": trowel,
    "wateringcan": wateringcan,
    "hose": hose,
    "seeds": seeds,
    "plant": plant,
    "soilbag": soilbag,
    "grill": grill,
    "firepit": firepit,
    "birdhouse": birdhouse,
    "headphones": headphones,
    "earbuds": earbuds,
    "speaker": speaker,
    "turntable": turntable,
    "phone": phone,
    "powerbank": powerbank,
    "laptop": laptop,
    "tablet": tablet,
    "keyboard": keyboard,
    "monitor": monitor,
    "camera": camera,
    "smartspeaker": smartspeaker,
    "bulb": bulb,
    "securitycam": securitycam,
    "thermostat": thermostat,
    "gamepad": gamepad,
}


def place(art: str, x: float, y: float, scale: float) -> str:
    return f'<g transform="translate({x} {y}) scale({scale})">{art}</g>'


def svg(width: int, height: int, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">{body}</svg>\n'
    )


def render(name: str) -> str:
    """The SVG text for ``<kind>-<motif>-<key>``."""
    kind, motif, key = name.split("-", 2)
    if motif not in MOTIFS:
        raise ValueError(f"{name}: unknown motif {motif!r}")
    h = hashlib.sha256(key.encode()).digest()
    c = PALETTE[h[0] % len(PALETTE)]
    a = PALETTE[(h[0] + 1 + h[1] % (len(PALETTE) - 1)) % len(PALETTE)]
    d = mix(c, "#000000", 0.3)
    bg = BACKGROUND[motif]
    tint = mix(bg, c, 0.14)
    art = MOTIFS[motif](c, d, a)
    shift = h[2] % 160 - 80
    if kind == "p":
        body = (
            R(0, 0, 800, 600, bg)
            + C(400 + shift, 290, 245, tint)
            + E(400, 505, 240, 20, "#000", ' opacity=".08"')
            + place(art, 100, 90, 1.5)
        )
        return svg(800, 600, body)
    if kind == "v":
        body = (
            R(0, 0, 640, 360, bg)
            + P(f"M{380 + shift // 2} 0H640V360H{260 + shift // 2}Z", tint)
            + E(320, 335, 200, 12, "#000", ' opacity=".08"')
            + place(art, 100, 20, 1.1)
            + R(284, 155, 72, 50, "#e5332a", 14, ' opacity=".9"')
            + P("M311 167v26l23-13z", "#fff")
        )
        return svg(640, 360, body)
    if kind == "pin":
        swatches = "".join(C(110 + i * 90, 500, 32, col) for i, col in enumerate((c, d, a)))
        body = (
            R(0, 0, 400, 600, bg)
            + R(16, 24, 368, 400, tint, 28)
            + place(art, 10, 70 + shift // 10, 0.95)
            + swatches
            + R(60, 560, 280, 8, mix(bg, INK, 0.2), 4)
        )
        return svg(400, 600, body)
    if kind == "promo":
        confetti = "".join(
            C(
                40 + (h[i] * 7) % 260,
                30 + (h[i + 8] * 5) % 390,
                5 + h[i] % 6,
                LIGHT,
                ' opacity=".7"',
            )
            for i in range(6)
        )
        body = (
            R(0, 0, 800, 450, tint)
            + P("M0 0H360L280 450H0Z", c)
            + confetti
            + P("M90 190l70-70h90v90l-70 70z", LIGHT)
            + C(225, 145, 12, c)
            + place(art, 360, 70, 1.05)
        )
        return svg(800, 450, body)
    raise ValueError(f"{name}: unknown kind {kind!r}")


def referenced() -> list[str]:
    """Every image name the sample files mention, sorted."""
    names: set[str] = set()
    for path in HERE.rglob("*"):
        if path.suffix in {".xml", ".atom", ".rss", ".json"}:
            names.update(REFERENCE.findall(path.read_text(encoding="utf-8")))
    return sorted(names)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    names = referenced()
    for name in names:
        (OUT / f"{name}.svg").write_text(render(name), encoding="utf-8")
    keep = {f"{n}.svg" for n in names}
    stale = [p for p in OUT.glob("*.svg") if p.name not in keep]
    for path in stale:
        path.unlink()
    print(f"wrote {len(names)} images to {OUT}, removed {len(stale)} stale")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``plaza screening ...``: the staff's screening rules from a shell, checked as the
community checks them (:mod:`app.community.screening`)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlmodel import col, select

from app import db
from app.community.screening import RuleProblem, add_rule, held_and_flagged
from app.models import RuleAction, ScreeningRule


@click.group("screening", help="Screening of community texts: rules, and what waits for staff.")
def screening_group() -> None:
    pass


@screening_group.command("add", help="Add a rule: a word, or a regular expression with --regex.")
@click.argument("pattern")
@click.option(
    "--action", type=click.Choice([a.value for a in RuleAction]), required=True,
    help="refuse at submit, hold for review, or flag but show.",
)  # fmt: skip
@click.option("--regex", is_flag=True, help="PATTERN is a regular expression.")
@click.option("--note", default="", help="Why; a refusal shows it to the author.")
@with_appcontext
def add(pattern: str, action: str, regex: bool, note: str) -> None:
    session = db.session()
    try:
        rule = add_rule(session, pattern, action, is_regex=regex, note=note)
    except RuleProblem as problem:
        raise click.ClickException(str(problem)) from None
    session.commit()
    click.echo(f"Rule {rule.id}: {action} {'/' + rule.pattern + '/' if regex else rule.pattern}")


@screening_group.command("list", help="Every rule.")
@with_appcontext
def list_rules() -> None:
    for rule in db.session().exec(select(ScreeningRule).order_by(col(ScreeningRule.id))):
        shown = f"/{rule.pattern}/" if rule.is_regex else rule.pattern
        click.echo(f"{rule.id:>5}  {rule.action:<6}  {shown}  {rule.note}".rstrip())


@screening_group.command("remove", help="Remove a rule by its id.")
@click.argument("rule_id", type=int)
@with_appcontext
def remove(rule_id: int) -> None:
    session = db.session()
    rule = session.get(ScreeningRule, rule_id)
    if rule is None:
        raise click.ClickException(f"There is no rule {rule_id}.")
    session.delete(rule)
    session.commit()
    click.echo(f"Removed rule {rule_id}.")


@screening_group.command("queue", help="Held and flagged texts waiting for staff, oldest first.")
@with_appcontext
def queue() -> None:
    for item in held_and_flagged(db.session()):
        text = str(getattr(item, "title", None) or getattr(item, "body", ""))
        click.echo(f"{type(item).__name__.lower()} {item.id}  {item.status:<7}  "
                   f"{item.flagged_reason or ''}  {text[:60]!r}")  # fmt: skip

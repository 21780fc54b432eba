"""stable survey choice ids: from the choice's words, not its position

A survey question's choices were ids by position (c1 is the first choice as
written), so an edit that reordered them moved the answers already given. Ids now
come from the choice's words (cards.survey.choice_id). Each stored question card
gets the new ids, and each stored answer is rewritten through its card's current
choices, which is what the answer meant when it was last shown.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 09:00:00
"""
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cards.survey import choice_id

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json(value):  # type: ignore[no-untyped-def]
    return json.loads(value) if isinstance(value, str) else value


def _rewrite(positional: bool) -> None:
    connection = op.get_bind()
    cards = connection.execute(
        sa.text("SELECT id, payload FROM card WHERE kind = 'survey'")
    ).all()
    for card_id, raw in cards:
        payload = _json(raw) or {}
        choices = payload.get('choices') or []
        if positional:
            mapping = {c['id']: f'c{n}' for n, c in enumerate(choices, start=1)}
        else:
            mapping = {c['id']: choice_id(str(c['label'])) for c in choices}
        if all(old == new for old, new in mapping.items()):
            continue
        payload['choices'] = [{**c, 'id': mapping[c['id']]} for c in choices]
        connection.execute(
            sa.text('UPDATE card SET payload = :payload WHERE id = :id'),
            {'payload': json.dumps(payload), 'id': card_id},
        )
        answers = connection.execute(
            sa.text('SELECT id, answer FROM survey_answer WHERE card_id = :card'),
            {'card': card_id},
        ).all()
        for answer_id, stored in answers:
            answer = _json(stored) or {}
            chosen = answer.get('choices') or []
            if not chosen:
                continue
            answer['choices'] = [mapping.get(c, c) for c in chosen]
            connection.execute(
                sa.text('UPDATE survey_answer SET answer = :answer WHERE id = :id'),
                {'answer': json.dumps(answer), 'id': answer_id},
            )


def upgrade() -> None:
    _rewrite(positional=False)


def downgrade() -> None:
    _rewrite(positional=True)

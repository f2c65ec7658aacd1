"""People: accounts, invitations, sessions, API tokens, the transcription queue.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

from actas.adapters.store.people_schema import metadata

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), checkfirst=True)

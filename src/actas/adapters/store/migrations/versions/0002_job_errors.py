"""The errors of failed queue jobs (``job_errors``).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

from actas.adapters.store.schema import job_errors

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 creates the schema of schema.py, so a store made after this table was added
    # already has it; one made before gains it here.
    job_errors.create(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    job_errors.drop(op.get_bind(), checkfirst=True)

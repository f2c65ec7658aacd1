"""Expression indexes on the five bands of the photos' perceptual hashes.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Index
from sqlalchemy.schema import CreateIndex, DropIndex

from actas.adapters.store.schema import photos

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _bands() -> list[Index]:
    return [i for i in photos.indexes if (i.name or "").startswith("ix_photos_phash_band")]


def upgrade() -> None:
    # 0001 already made them in a store created after they were added to schema.py
    for index in _bands():
        op.execute(CreateIndex(index, if_not_exists=True))


def downgrade() -> None:
    for index in _bands():
        op.execute(DropIndex(index, if_exists=True))

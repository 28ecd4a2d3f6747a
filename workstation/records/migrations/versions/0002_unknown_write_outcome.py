"""A program write whose outcome the host cannot know is stored as unknown (NULL), never as "not written".

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

When the reply to COMMIT is lost and the device cannot be read back, the
program's row holds NULL in `written` and `verified`; a correction event
(references_event_id) says what the device held once it was back.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch:  # SQLite rebuilds the table; PostgreSQL alters it
        batch.alter_column("written", existing_type=sa.Boolean(), nullable=True)
        batch.alter_column("verified", existing_type=sa.Boolean(), nullable=True)


def downgrade() -> None:
    # An unknown outcome has no truthful non-NULL value: refuse rather than invent one.
    unknown = op.get_bind().scalar(sa.text("SELECT count(*) FROM programs WHERE written IS NULL"))
    if unknown:
        raise RuntimeError(f"{unknown} program write(s) have an unknown outcome; cannot downgrade to 0001.")
    with op.batch_alter_table("programs") as batch:
        batch.alter_column("verified", existing_type=sa.Boolean(), nullable=False)
        batch.alter_column("written", existing_type=sa.Boolean(), nullable=False)

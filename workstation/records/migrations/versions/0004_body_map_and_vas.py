"""The visit's body map (pain areas with intensity, each lead's area, with side) and the VAS beside the NRS.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05

body_map_areas holds one row per painted area of a recorded body map (kind PAIN with its intensity,
or LEAD with the lead felt there), with the area's side and dermatome level as drawn, so a query
can say "L4 left" without the drawing. pain_scores gains vas_mm (0-100 mm) and its nrs may be NULL
when only the VAS was rated.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "body_map_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("lead", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("level", sa.String(length=4), nullable=False),
        sa.Column("intensity", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('PAIN', 'LEAD')", name="ck_body_map_areas_kind"),
        sa.CheckConstraint(
            "(kind = 'PAIN' AND intensity IS NOT NULL AND intensity BETWEEN 1 AND 10 AND lead IS NULL) "
            "OR (kind = 'LEAD' AND intensity IS NULL AND lead IS NOT NULL AND lead BETWEEN 1 AND 4)",
            name="ck_body_map_areas_mark",
        ),
        sa.ForeignKeyConstraint(["event_id"], ["session_events.id"], name="fk_body_map_areas_event_id_session_events"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], name="fk_body_map_areas_session_id_sessions"),
        sa.PrimaryKeyConstraint("id", name="pk_body_map_areas"),
    )
    op.create_index("ix_body_map_areas_session_id", "body_map_areas", ["session_id"])
    op.create_index("ix_body_map_areas_event_id", "body_map_areas", ["event_id"])
    with op.batch_alter_table("pain_scores") as batch:  # SQLite rebuilds the table; PostgreSQL alters it
        batch.add_column(sa.Column("vas_mm", sa.Integer(), nullable=True))
        batch.alter_column("nrs", existing_type=sa.Integer(), nullable=True)
        batch.create_check_constraint("ck_pain_scores_vas", "vas_mm BETWEEN 0 AND 100")
        batch.create_check_constraint("ck_pain_scores_rated", "nrs IS NOT NULL OR vas_mm IS NOT NULL")


def downgrade() -> None:
    vas_only = op.get_bind().scalar(sa.text("SELECT count(*) FROM pain_scores WHERE nrs IS NULL"))
    if vas_only:
        raise RuntimeError(f"{vas_only} pain score(s) have only a VAS; cannot downgrade to 0003.")
    with op.batch_alter_table("pain_scores") as batch:
        batch.drop_constraint("ck_pain_scores_rated", type_="check")
        batch.drop_constraint("ck_pain_scores_vas", type_="check")
        batch.alter_column("nrs", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("vas_mm")
    op.drop_index("ix_body_map_areas_event_id", table_name="body_map_areas")
    op.drop_index("ix_body_map_areas_session_id", table_name="body_map_areas")
    op.drop_table("body_map_areas")

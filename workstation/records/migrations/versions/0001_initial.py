"""Initial schema: patients, devices, sessions, the append-only event log and clinical records.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

A frozen snapshot: later schema changes go in new revisions, never here.
The database itself refuses UPDATE and DELETE on session_events (triggers on
SQLite and PostgreSQL, the two supported back ends).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER session_events_no_{action.lower()} BEFORE {action} ON session_events "
    "BEGIN SELECT RAISE(ABORT, 'session events are append-only'); END"
    for action in ("UPDATE", "DELETE")
]
POSTGRES_TRIGGERS = [
    "CREATE FUNCTION session_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'session events are append-only'; END $$",
    "CREATE TRIGGER session_events_append_only BEFORE UPDATE OR DELETE ON session_events "
    "FOR EACH ROW EXECUTE FUNCTION session_events_append_only()",
]


def _pk() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def _fk(column: str, table: str, owner: str, nullable: bool = False) -> list:
    return [
        sa.Column(column, sa.Integer(), nullable=nullable),
        sa.ForeignKeyConstraint([column], [f"{table}.id"], name=f"fk_{owner}_{column}_{table}"),
    ]


def _clinical_table(name: str, *columns, unique_event: bool = True) -> None:
    """A table of rows recorded by one session event each (or several, for impedance)."""
    unique = [sa.UniqueConstraint("event_id", name=f"uq_{name}_event_id")] if unique_event else []
    op.create_table(
        name,
        _pk(),
        *_fk("event_id", "session_events", name),
        *_fk("session_id", "sessions", name),
        *columns,
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        *unique,
    )


def upgrade() -> None:
    op.create_table(
        "patients",
        _pk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("record_number", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patients"),
        sa.UniqueConstraint("record_number", name="uq_patients_record_number"),
    )
    op.create_index("ix_patients_name", "patients", ["name"])

    op.create_table(
        "devices",
        _pk(),
        sa.Column("serial", sa.String(64), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("firmware", sa.String(64), nullable=False),
        sa.Column("hardware_rev", sa.String(64), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_devices"),
        sa.UniqueConstraint("fingerprint", name="uq_devices_fingerprint"),
    )
    op.create_index("ix_devices_serial", "devices", ["serial"])

    op.create_table(
        "sessions",
        _pk(),
        *_fk("patient_id", "patients", "sessions"),
        *_fk("device_id", "devices", "sessions"),
        sa.Column("clinician", sa.String(200), nullable=False),
        sa.Column("started", UTC_TIME, nullable=False),
        sa.Column("ended", UTC_TIME, nullable=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.CheckConstraint("state IN ('OPEN', 'ACTIVE', 'CLOSED')", name="ck_sessions_state"),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
    )
    op.create_index("ix_sessions_patient_id_started", "sessions", ["patient_id", "started"])
    op.create_index("ix_sessions_state", "sessions", ["state"])

    op.create_table(
        "session_events",
        _pk(),
        *_fk("session_id", "sessions", "session_events"),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("time", UTC_TIME, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(200), nullable=False),
        *_fk("references_event_id", "session_events", "session_events", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_session_events"),
        sa.UniqueConstraint("session_id", "seq", name="uq_session_events_session_id_seq"),
    )
    op.create_index("ix_session_events_references_event_id", "session_events", ["references_event_id"])
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(dialect, []):
        op.execute(statement)

    _clinical_table(
        "lead_placements",
        sa.Column("channel", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(4), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("implant_date", sa.Date(), nullable=False),
    )
    op.create_index("ix_lead_placements_session_id_channel", "lead_placements", ["session_id", "channel"])

    _clinical_table(
        "programs",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("leads", sa.JSON(), nullable=False),
        sa.Column("written", sa.Boolean(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("mismatch", sa.Text(), nullable=True),
    )
    op.create_index("ix_programs_session_id", "programs", ["session_id"])

    _clinical_table(
        "impedance_measurements",
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("lead", sa.Integer(), nullable=False),
        sa.Column("contact_a", sa.Integer(), nullable=False),
        sa.Column("contact_b", sa.Integer(), nullable=False),
        sa.Column("ohms", sa.Integer(), nullable=False),
        sa.Column("impedance_class", sa.String(8), nullable=False),
        unique_event=False,
    )
    op.create_index(
        "ix_impedance_measurements_session_id_lead_contacts",
        "impedance_measurements",
        ["session_id", "lead", "contact_a", "contact_b"],
    )
    op.create_index("ix_impedance_measurements_event_id", "impedance_measurements", ["event_id"])

    _clinical_table(
        "stimulus_responses",
        *_fk("placement_id", "lead_placements", "stimulus_responses", nullable=True),
        sa.Column("lead", sa.Integer(), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("pulse_width_us", sa.Integer(), nullable=False),
        sa.Column("frequency_hz", sa.Integer(), nullable=False),
        sa.Column("perception_threshold_ua", sa.Integer(), nullable=True),
        sa.Column("comfortable_ua", sa.Integer(), nullable=True),
        sa.Column("max_tolerable_ua", sa.Integer(), nullable=True),
        sa.Column("body_regions", sa.JSON(), nullable=False),
        sa.Column("sensation", sa.String(16), nullable=False),
        sa.Column("paresthesia_free", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_stimulus_responses_placement_id", "stimulus_responses", ["placement_id"])
    op.create_index("ix_stimulus_responses_session_id", "stimulus_responses", ["session_id"])

    _clinical_table(
        "pain_scores",
        sa.Column("nrs", sa.Integer(), nullable=False),
        sa.Column("timing", sa.String(8), nullable=False),
        sa.CheckConstraint("nrs BETWEEN 0 AND 10", name="ck_pain_scores_nrs"),
    )
    op.create_index("ix_pain_scores_session_id", "pain_scores", ["session_id"])

    _clinical_table("notes", sa.Column("text", sa.Text(), nullable=False))
    op.create_index("ix_notes_session_id", "notes", ["session_id"])


def downgrade() -> None:
    for table in (
        "notes",
        "pain_scores",
        "stimulus_responses",
        "impedance_measurements",
        "programs",
        "lead_placements",
        "session_events",
        "sessions",
        "devices",
        "patients",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION session_events_append_only()")

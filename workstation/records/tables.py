"""Table definitions of the records database (SQLAlchemy Core).

The schema itself is created only by the Alembic migrations next to this
module; this metadata is what the store queries with and what the migration
test compares the migrated schema against, so the two cannot drift apart.

Every clinical row (placement, impedance, response, pain score, note,
program) points at the session event that recorded it: the event gives its
time and order, and corrections point at that event.
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """An aware UTC datetime on every database (SQLite stores it naive, in UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Record times must be timezone-aware.")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _session_fk() -> sa.Column[int]:
    return sa.Column("session_id", sa.ForeignKey("sessions.id"), nullable=False)


def _event_fk(unique: bool = True) -> sa.Column[int]:
    return sa.Column("event_id", sa.ForeignKey("session_events.id"), nullable=False, unique=unique)


patients = sa.Table(
    "patients",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("date_of_birth", sa.Date, nullable=False),
    sa.Column("record_number", sa.String(64), nullable=False, unique=True),
    sa.Index("ix_patients_name", "name"),
)

devices = sa.Table(
    "devices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("serial", sa.String(64), nullable=False, index=True),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("firmware", sa.String(64), nullable=False),
    sa.Column("hardware_rev", sa.String(64), nullable=False),
    sa.Column("capabilities", sa.JSON, nullable=False),
    # sha256 of identity + capabilities: one row per distinct self-description
    sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("patient_id", sa.ForeignKey("patients.id"), nullable=False),
    sa.Column("device_id", sa.ForeignKey("devices.id"), nullable=False),
    sa.Column("clinician", sa.String(200), nullable=False),
    sa.Column("started", UTCDateTime, nullable=False),
    sa.Column("ended", UTCDateTime),
    sa.Column("state", sa.String(8), nullable=False, index=True),
    sa.CheckConstraint("state IN ('OPEN', 'ACTIVE', 'CLOSED')", name="state"),
    sa.Index("ix_sessions_patient_id_started", "patient_id", "started"),
    sa.Index("ix_sessions_device_id", "device_id"),  # revision 0002: a device's patients
)

session_events = sa.Table(
    "session_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _session_fk(),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("time", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("outcome", sa.String(200), nullable=False),
    sa.Column("references_event_id", sa.ForeignKey("session_events.id"), index=True),
    sa.UniqueConstraint("session_id", "seq"),
)

lead_placements = sa.Table(
    "lead_placements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _event_fk(),
    _session_fk(),
    sa.Column("channel", sa.Integer, nullable=False),
    sa.Column("level", sa.String(4), nullable=False),
    sa.Column("side", sa.String(8), nullable=False),
    sa.Column("implant_date", sa.Date, nullable=False),
    sa.Index("ix_lead_placements_session_id_channel", "session_id", "channel"),
)

programs = sa.Table(
    "programs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _event_fk(),
    _session_fk(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("leads", sa.JSON, nullable=False),
    sa.Column("written", sa.Boolean),  # NULL: the outcome is unknown (reply lost); a correction follows
    sa.Column("verified", sa.Boolean),
    sa.Column("mismatch", sa.Text),
    sa.Index("ix_programs_session_id", "session_id"),
)

impedance_measurements = sa.Table(
    "impedance_measurements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _event_fk(unique=False),
    _session_fk(),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("lead", sa.Integer, nullable=False),
    sa.Column("contact_a", sa.Integer, nullable=False),
    sa.Column("contact_b", sa.Integer, nullable=False),
    sa.Column("ohms", sa.Integer, nullable=False),
    sa.Column("impedance_class", sa.String(8), nullable=False),
    sa.Index(
        "ix_impedance_measurements_session_id_lead_contacts",
        "session_id",
        "lead",
        "contact_a",
        "contact_b",
    ),
    sa.Index("ix_impedance_measurements_event_id", "event_id"),
)

stimulus_responses = sa.Table(
    "stimulus_responses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _event_fk(),
    _session_fk(),
    # the lead's placement when the response was recorded (None: not yet placed)
    sa.Column("placement_id", sa.ForeignKey("lead_placements.id"), index=True),
    sa.Column("lead", sa.Integer, nullable=False),
    sa.Column("contacts", sa.JSON, nullable=False),
    sa.Column("pulse_width_us", sa.Integer, nullable=False),
    sa.Column("frequency_hz", sa.Integer, nullable=False),
    sa.Column("perception_threshold_ua", sa.Integer),
    sa.Column("comfortable_ua", sa.Integer),
    sa.Column("max_tolerable_ua", sa.Integer),
    sa.Column("body_regions", sa.JSON, nullable=False),
    sa.Column("sensation", sa.String(16), nullable=False),
    sa.Column("paresthesia_free", sa.Boolean, nullable=False),
    sa.Index("ix_stimulus_responses_session_id", "session_id"),
)

pain_scores = sa.Table(
    "pain_scores",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _event_fk(),
    _session_fk(),
    sa.Column("nrs", sa.Integer),  # NULL: only the VAS was rated (revision 0004)
    sa.Column("timing", sa.String(8), nullable=False),
    sa.Column("vas_mm", sa.Integer),
    sa.CheckConstraint("nrs BETWEEN 0 AND 10", name="nrs"),
    sa.CheckConstraint("vas_mm BETWEEN 0 AND 100", name="vas"),
    sa.CheckConstraint("nrs IS NOT NULL OR vas_mm IS NOT NULL", name="rated"),
    sa.Index("ix_pain_scores_session_id", "session_id"),
)

notes = sa.Table(
    "notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _event_fk(),
    _session_fk(),
    sa.Column("text", sa.Text, nullable=False),
    sa.Index("ix_notes_session_id", "session_id"),
)

body_map_areas = sa.Table(  # revision 0004: one painted area of a recorded body map
    "body_map_areas",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _event_fk(unique=False),
    _session_fk(),
    sa.Column("kind", sa.String(8), nullable=False),  # PAIN (with intensity) or LEAD (with lead)
    sa.Column("lead", sa.Integer),
    sa.Column("region", sa.String(40), nullable=False),  # the area's id in resources/body-map.svg
    sa.Column("side", sa.String(8), nullable=False),
    sa.Column("level", sa.String(4), nullable=False),  # the dermatome it lies in
    sa.Column("intensity", sa.Integer),
    sa.CheckConstraint("kind IN ('PAIN', 'LEAD')", name="kind"),
    sa.CheckConstraint(
        "(kind = 'PAIN' AND intensity IS NOT NULL AND intensity BETWEEN 1 AND 10 AND lead IS NULL) "
        "OR (kind = 'LEAD' AND intensity IS NULL AND lead IS NOT NULL AND lead BETWEEN 1 AND 4)",
        name="mark",
    ),
    sa.Index("ix_body_map_areas_session_id", "session_id"),
    sa.Index("ix_body_map_areas_event_id", "event_id"),
)

# -- security (revision 0005): accounts and the tamper-evident audit trail (docs/security.md) --

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("full_name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),  # Argon2id, PHC string
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("failed_attempts", sa.Integer, nullable=False),
    sa.Column("locked_until", UTCDateTime),  # throttled after failed attempts
    sa.Column("created", UTCDateTime, nullable=False),
    sa.CheckConstraint("role IN ('clinician', 'field_engineer', 'read_only', 'administrator')", name="role"),
)

audit_chains = sa.Table(
    "audit_chains",
    metadata,
    sa.Column("chain", sa.String(36), primary_key=True),  # one per workstation
    sa.Column("public_key", sa.String(64), nullable=False),  # Ed25519, hex: verifies every entry's signature
    sa.Column("created", UTCDateTime, nullable=False),
)

audit_entries = sa.Table(
    "audit_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("chain", sa.ForeignKey("audit_chains.chain"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),  # 1, 2, ... per chain
    sa.Column("time", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),  # canonical JSON, hashed as stored
    sa.Column("outcome", sa.String(200), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("signature", sa.String(128), nullable=False),
    sa.UniqueConstraint("chain", "seq"),
)

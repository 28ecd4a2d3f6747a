"""Accounts and roles, and the tamper-evident audit trail (issue 12, docs/security.md).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

audit_chains and audit_entries are append-only, like session_events: the
database refuses UPDATE and DELETE on them (triggers). The triggers stop
mistakes and ordinary users; the hash chain and the signatures catch the
database owner, who can drop them (`drg-workstation audit verify`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
GUARDED = ("audit_chains", "audit_entries")


def _sqlite_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END"
        for action in ("UPDATE", "DELETE")
    ]


def _postgres_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
    ]


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTC_TIME, nullable=True),
        sa.Column("created", UTC_TIME, nullable=False),
        sa.CheckConstraint(
            "role IN ('clinician', 'field_engineer', 'read_only', 'administrator')", name="ck_accounts_role"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("username", name="uq_accounts_username"),
    )
    op.create_table(
        "audit_chains",
        sa.Column("chain", sa.String(36), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("created", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("chain", name="pk_audit_chains"),
    )
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("time", UTC_TIME, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(200), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(["chain"], ["audit_chains.chain"], name="fk_audit_entries_chain_audit_chains"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_entries"),
        sa.UniqueConstraint("chain", "seq", name="uq_audit_entries_chain_seq"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
    for table in GUARDED:
        for statement in {"sqlite": _sqlite_triggers, "postgresql": _postgres_triggers}[dialect](table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("audit_entries")
    op.drop_table("audit_chains")
    op.drop_table("accounts")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_append_only()")

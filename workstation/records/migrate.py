"""Alembic configured in code, so migrations run from an installed package without an ini file.

To author a new revision after changing tables.py (script.py.mako is only
needed for this):

    from alembic import command
    from workstation.records.migrate import alembic_config
    with engine.begin() as conn:
        command.revision(alembic_config(conn), message="...", autogenerate=True)

then edit the generated file in migrations/versions/ by hand.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Configuration for alembic.command; env.py migrates `connection` (None: scripts only)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` in one transaction (a crash leaves it as it was)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)

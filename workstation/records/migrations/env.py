"""Alembic environment: runs on the connection the records store hands over.

There is no alembic.ini: workstation.records.migrate builds the configuration
in code and puts the open connection in `config.attributes["connection"]`,
so migrations run with the store's own engine settings (SQLite pragmas).
"""

from __future__ import annotations

from alembic import context

from workstation.records.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

"""Alembic environment: migrations always run on the connection the server hands over."""

from alembic import context

from coord_server.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

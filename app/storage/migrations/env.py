"""Alembic's entry point. certprep runs migrations itself (``app.storage.engine``) on a connection it already
holds, inside its lock; ``alembic`` on the command line is not needed."""

from alembic import context

from app.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()

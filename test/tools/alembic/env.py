# Connects as the migration role over the throwaway cluster's socket (PGHOST,
# PGPORT, PGDATABASE); one transaction per migration, so that each revision's
# statements and its alembic_version update commit together.
import os

from alembic import context
from sqlalchemy import create_engine

url = "postgresql+psycopg2://%s@/%s?host=%s&port=%s" % (
    os.environ.get("PGUSER", "migrator"), os.environ["PGDATABASE"],
    os.environ["PGHOST"], os.environ["PGPORT"])

if context.is_offline_mode():
    context.configure(url=url, literal_binds=True, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    with create_engine(url).connect() as connection:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()

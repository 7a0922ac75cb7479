# Concurrent index: autocommit_block() commits the migration's transaction
# and runs CREATE INDEX CONCURRENTLY outside one.
from alembic import op

revision = "0003_isbn_idx"
down_revision = "0002_isbn"


def upgrade():
    with op.get_context().autocommit_block():
        op.create_index("books_isbn_idx", "books", ["isbn"], postgresql_concurrently=True)
        # the index of the foreign key that 0004 adds, built before the key
        op.create_index("books_author_id_idx", "books", ["author_id"], postgresql_concurrently=True)


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index("books_author_id_idx", table_name="books", postgresql_concurrently=True)
        op.drop_index("books_isbn_idx", table_name="books", postgresql_concurrently=True)

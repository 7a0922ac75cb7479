# NOT VALID + VALIDATE, step 1: the constraints are added NOT VALID (a short
# lock, no scan of the table).
import sqlalchemy as sa
from alembic import op

revision = "0004_author_fk"
down_revision = "0003_isbn_idx"


def upgrade():
    op.create_table("authors",
                    sa.Column("id", sa.BigInteger, primary_key=True),
                    sa.Column("name", sa.Text, nullable=False))
    op.add_column("books", sa.Column("pages", sa.Integer))
    op.execute("ALTER TABLE books ADD CONSTRAINT books_author_fk"
               " FOREIGN KEY (author_id) REFERENCES authors (id) NOT VALID")
    op.execute("ALTER TABLE books ADD CONSTRAINT books_pages_positive CHECK (pages > 0) NOT VALID")


def downgrade():
    op.drop_constraint("books_pages_positive", "books")
    op.drop_constraint("books_author_fk", "books")
    op.drop_column("books", "pages")
    op.drop_table("authors")

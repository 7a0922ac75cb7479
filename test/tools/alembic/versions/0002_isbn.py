import sqlalchemy as sa
from alembic import op

revision = "0002_isbn"
down_revision = "0001_books"


def upgrade():
    op.add_column("books", sa.Column("isbn", sa.Text))
    # the column of the foreign key that 0004 adds
    op.add_column("books", sa.Column("author_id", sa.BigInteger))


def downgrade():
    # the columns hold no value yet: drop_column lets them go on small tables
    op.drop_column("books", "author_id")
    op.drop_column("books", "isbn")

import sqlalchemy as sa
from alembic import op

revision = "0002_isbn"
down_revision = "0001_books"


def upgrade():
    op.add_column("books", sa.Column("isbn", sa.Text))


def downgrade():
    # the column holds no value yet: drop_column lets it go on small tables
    op.drop_column("books", "isbn")

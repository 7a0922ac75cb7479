import sqlalchemy as sa
from alembic import op

revision = "0001_books"
down_revision = None


def upgrade():
    op.create_table("books",
                    sa.Column("id", sa.BigInteger, primary_key=True),
                    sa.Column("title", sa.Text, nullable=False))


def downgrade():
    op.drop_table("books")

# The contract step as written first: blocked by drop_column while the
# column holds data. Once no code reads title and a copy is kept, allow it
# in the migration's own transaction first:
#     op.execute("SET LOCAL schemaguard.allow = 'drop_column'")
from alembic import op
import sqlalchemy as sa

revision = "0007_drop_title"
down_revision = "0006_name"


def upgrade():
    op.drop_column("books", "title")


def downgrade():
    op.add_column("books", sa.Column("title", sa.Text))

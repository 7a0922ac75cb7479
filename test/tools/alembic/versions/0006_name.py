# Expand/contract rename of title to name, the expand step: add the new
# column and copy the values; the code writes both until the contract step
# drops the old column once no code reads it.
import sqlalchemy as sa
from alembic import op

revision = "0006_name"
down_revision = "0005_validate"


def upgrade():
    op.add_column("books", sa.Column("name", sa.Text))
    op.execute("UPDATE books SET name = title WHERE name IS NULL")


def downgrade():
    op.drop_column("books", "name")

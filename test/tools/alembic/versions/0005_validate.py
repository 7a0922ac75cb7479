# NOT VALID + VALIDATE, step 2: VALIDATE CONSTRAINT scans the table under a
# lock that lets reads and writes go on.
from alembic import op

revision = "0005_validate"
down_revision = "0004_author_fk"


def upgrade():
    op.execute("ALTER TABLE books VALIDATE CONSTRAINT books_author_fk")
    op.execute("ALTER TABLE books VALIDATE CONSTRAINT books_pages_positive")


def downgrade():
    pass

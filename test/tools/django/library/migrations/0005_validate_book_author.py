# NOT VALID + VALIDATE, step 2: VALIDATE CONSTRAINT scans the table under a
# lock that lets reads and writes go on.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("library", "0004_book_author")]
    operations = [
        migrations.RunSQL(
            "ALTER TABLE library_book VALIDATE CONSTRAINT library_book_author_fk",
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            "ALTER TABLE library_book VALIDATE CONSTRAINT library_book_pages_positive",
            migrations.RunSQL.noop,
        ),
    ]

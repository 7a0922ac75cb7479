# Concurrent index: AddIndexConcurrently, in a migration with atomic = False
# (CREATE INDEX CONCURRENTLY cannot run in a transaction block).
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("library", "0002_book_isbn")]
    operations = [
        AddIndexConcurrently("book", models.Index(fields=["isbn"], name="library_book_isbn_idx")),
        # the index of the foreign key 0004 adds, built before the key
        migrations.RunSQL(
            "CREATE INDEX CONCURRENTLY library_book_author_id_idx ON library_book (author_id)",
            "DROP INDEX CONCURRENTLY library_book_author_id_idx",
        ),
    ]

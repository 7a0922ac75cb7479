# Concurrent index: AddIndexConcurrently, in a migration with atomic = False
# (CREATE INDEX CONCURRENTLY cannot run in a transaction block).
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("library", "0002_book_isbn")]
    operations = [
        AddIndexConcurrently("book", models.Index(fields=["isbn"], name="library_book_isbn_idx")),
    ]

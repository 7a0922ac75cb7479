# The contract step, as makemigrations writes it: blocked by drop_column
# while the column holds data. Once no code reads title and a copy is kept,
# add as the first operation:
#     migrations.RunSQL("SET LOCAL schemaguard.allow = 'drop_column'", migrations.RunSQL.noop),
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("library", "0006_book_name")]
    operations = [
        migrations.RemoveField("book", "title"),
    ]

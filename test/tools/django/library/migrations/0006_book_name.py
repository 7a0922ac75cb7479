# Expand/contract rename of title to name, the expand step: add the new
# column and copy the values; the code writes both until the contract step
# (0007) drops the old column once no code reads it.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("library", "0005_validate_book_author")]
    operations = [
        migrations.AddField("book", "name", models.TextField(null=True)),
        migrations.RunSQL(
            "UPDATE library_book SET name = title WHERE name IS NULL",
            migrations.RunSQL.noop,
        ),
    ]

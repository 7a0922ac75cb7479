from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("library", "0001_initial")]
    operations = [
        migrations.AddField("book", "isbn", models.TextField(null=True)),
        # the column of the foreign key that 0004 adds (its model field too)
        migrations.RunSQL("ALTER TABLE library_book ADD COLUMN author_id bigint",
                          "ALTER TABLE library_book DROP COLUMN author_id"),
    ]

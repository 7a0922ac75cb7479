# NOT VALID + VALIDATE, step 1: the foreign key is added NOT VALID (a short
# lock, no scan); Django 3.2 has no operation for it, so RunSQL with the
# model state beside it.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("library", "0003_book_isbn_idx")]
    operations = [
        migrations.CreateModel(
            name="Author",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("name", models.TextField()),
            ],
        ),
        migrations.AddField("book", "pages", models.IntegerField(null=True)),
        migrations.RunSQL(
            sql=[
                "ALTER TABLE library_book ADD CONSTRAINT library_book_author_fk"
                " FOREIGN KEY (author_id) REFERENCES library_author (id) NOT VALID",
                "ALTER TABLE library_book ADD CONSTRAINT library_book_pages_positive"
                " CHECK (pages > 0) NOT VALID",
            ],
            reverse_sql=[
                "ALTER TABLE library_book DROP CONSTRAINT library_book_pages_positive",
                "ALTER TABLE library_book DROP CONSTRAINT library_book_author_fk",
            ],
            state_operations=[
                migrations.AddField(
                    "book", "author",
                    models.ForeignKey("library.Author", null=True, db_index=False,
                                      on_delete=models.SET_NULL),
                ),
            ],
        ),
    ]

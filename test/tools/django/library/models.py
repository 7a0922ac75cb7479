from django.db import models


class Author(models.Model):
    name = models.TextField()


class Book(models.Model):
    isbn = models.TextField(null=True)
    pages = models.IntegerField(null=True)
    author = models.ForeignKey(Author, null=True, on_delete=models.SET_NULL, db_index=False)
    name = models.TextField(null=True)

    class Meta:
        indexes = [models.Index(fields=["isbn"], name="library_book_isbn_idx")]

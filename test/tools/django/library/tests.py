from django.test import TestCase

from library.models import Book


class BookTest(TestCase):
    def test_create(self):
        Book.objects.create(name="Dune")
        self.assertEqual(Book.objects.count(), 1)

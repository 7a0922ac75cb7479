BEGIN;
ALTER TABLE books DROP CONSTRAINT books_pages_positive, DROP CONSTRAINT books_author_fk;
COMMIT;

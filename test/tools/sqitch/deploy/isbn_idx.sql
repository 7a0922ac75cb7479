-- Concurrent index: a change without BEGIN/COMMIT runs outside a
-- transaction block (psql's autocommit); SET labels the whole script.
SET schemaguard.migration = 'library:isbn_idx';
CREATE INDEX CONCURRENTLY books_isbn_idx ON books (isbn);
-- the index of the foreign key that author_fk adds, built before the key
CREATE INDEX CONCURRENTLY books_author_id_idx ON books (author_id);

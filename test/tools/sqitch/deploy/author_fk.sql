-- NOT VALID + VALIDATE, step 1: the constraints are added NOT VALID (a short
-- lock, no scan of the table).
BEGIN;
SET LOCAL schemaguard.migration = 'library:author_fk';
CREATE TABLE authors (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
ALTER TABLE books ADD COLUMN pages integer;
ALTER TABLE books ADD CONSTRAINT books_author_fk FOREIGN KEY (author_id) REFERENCES authors (id) NOT VALID;
ALTER TABLE books ADD CONSTRAINT books_pages_positive CHECK (pages > 0) NOT VALID;
COMMIT;

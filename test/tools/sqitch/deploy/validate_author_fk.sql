-- NOT VALID + VALIDATE, step 2: VALIDATE CONSTRAINT scans the table under a
-- lock that lets reads and writes go on.
BEGIN;
SET LOCAL schemaguard.migration = 'library:validate_author_fk';
ALTER TABLE books VALIDATE CONSTRAINT books_author_fk;
ALTER TABLE books VALIDATE CONSTRAINT books_pages_positive;
COMMIT;

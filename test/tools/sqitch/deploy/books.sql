-- Sqitch logs a change from another connection after this script commits:
-- the script labels its own statements.
BEGIN;
SET LOCAL schemaguard.migration = 'library:books';
CREATE TABLE books (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title text NOT NULL,
    isbn text,
    author_id bigint
);
COMMIT;

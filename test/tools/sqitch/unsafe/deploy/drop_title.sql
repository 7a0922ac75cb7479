-- The contract step as written first: blocked by drop_column while the
-- column holds data. Once no code reads title and a copy is kept, add
--   SET LOCAL schemaguard.allow = 'drop_column';
-- after BEGIN.
BEGIN;
SET LOCAL schemaguard.migration = 'library:drop_title';
ALTER TABLE books DROP COLUMN title;
COMMIT;

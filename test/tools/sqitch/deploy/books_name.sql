-- Expand/contract rename of title to name, the expand step: add the new
-- column and copy the values; the code writes both until the contract step
-- drops the old column once no code reads it.
BEGIN;
SET LOCAL schemaguard.migration = 'library:books_name';
ALTER TABLE books ADD COLUMN name text;
UPDATE books SET name = title WHERE name IS NULL;
COMMIT;

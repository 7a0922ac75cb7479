--
-- guard_pg18: DDL that PostgreSQL 18 and later have (run on 18+ only).
--
-- NOT NULL is a constraint that can be added NOT VALID; the column's
-- attnotnull is set for it all the same, and SET NOT NULL then validates
-- it with a scan under its own ACCESS EXCLUSIVE lock.
--
SET schemaguard.table_size_threshold = '64kB';
CREATE TABLE p18_orders (id bigint, code text);
INSERT INTO p18_orders SELECT g, 'c' || g FROM generate_series(1, 5000) g;
CREATE TABLE p18_tiny (id bigint, code text);
INSERT INTO p18_tiny VALUES (1, 'one');
ANALYZE p18_orders, p18_tiny;

-- the safe path: a NOT NULL constraint added NOT VALID (no scan) ...
ALTER TABLE p18_orders ADD CONSTRAINT p18_orders_code_not_null NOT NULL code NOT VALID;
SELECT conname, convalidated FROM pg_constraint
 WHERE conrelid = 'p18_orders'::regclass AND contype = 'n';
-- ... and SET NOT NULL would validate it under ACCESS EXCLUSIVE
ALTER TABLE p18_orders ALTER COLUMN code SET NOT NULL;
-- the statement as written (allowed, then rolled back) ...
BEGIN;
SET LOCAL schemaguard.allow = 'set_not_null';
ALTER TABLE p18_orders ALTER COLUMN code SET NOT NULL;
SELECT string_agg(identity || ': ' || definition, E'\n' ORDER BY identity) AS written
  FROM schemaguard.snapshot() WHERE identity LIKE '%p18_orders%' \gset
ROLLBACK;
-- ... and the recipe, as the hint prints it: VALIDATE on its own, which
-- leaves the same schema
ALTER TABLE public.p18_orders VALIDATE CONSTRAINT p18_orders_code_not_null;
SELECT conname, convalidated FROM pg_constraint
 WHERE conrelid = 'p18_orders'::regclass AND contype = 'n';
SELECT string_agg(identity || ': ' || definition, E'\n' ORDER BY identity) = :'written' AS same_schema
  FROM schemaguard.snapshot() WHERE identity LIKE '%p18_orders%';
-- passes: the constraint is validated now
ALTER TABLE p18_orders ALTER COLUMN code SET NOT NULL;
-- exempt: a small table
ALTER TABLE p18_tiny ADD CONSTRAINT p18_tiny_code_not_null NOT NULL code NOT VALID;
ALTER TABLE p18_tiny ALTER COLUMN code SET NOT NULL;

-- A generated column is VIRTUAL unless STORED is written: computed when
-- read, so adding one rewrites nothing; a STORED one is computed for every
-- row under the lock.
ALTER TABLE p18_orders ADD COLUMN twice bigint GENERATED ALWAYS AS (id * 2);
ALTER TABLE p18_orders ADD COLUMN twice_v bigint GENERATED ALWAYS AS (id * 2) VIRTUAL;
ALTER TABLE p18_orders ADD COLUMN twice_s bigint GENERATED ALWAYS AS (id * 2) STORED;
-- SET EXPRESSION (17+) likewise: a virtual column's is catalog-only ...
ALTER TABLE p18_orders ALTER COLUMN twice SET EXPRESSION AS (id * 3);
-- ... a stored column's computes every row again
BEGIN;
SET LOCAL schemaguard.allow = 'table_rewrite';
ALTER TABLE p18_orders ADD COLUMN thrice bigint GENERATED ALWAYS AS (id * 3) STORED;
COMMIT;
ALTER TABLE p18_orders ALTER COLUMN thrice SET EXPRESSION AS (id * 4);

-- clean up
SET schemaguard.mode = off;
DROP TABLE p18_orders, p18_tiny;
RESET schemaguard.mode;
RESET schemaguard.table_size_threshold;

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

-- SET NOT NULL of a column with no NOT NULL constraint: the recipe is the
-- NOT VALID constraint and its validation, with the name SET NOT NULL
-- gives it (on 15 and 17: a CHECK, validated, then SET NOT NULL)
CREATE TABLE p18_items (id bigint, sku text, qty int, note text);
INSERT INTO p18_items SELECT g, 's' || g, g % 7, 'n' || g FROM generate_series(1, 5000) g;
ANALYZE p18_items;
ALTER TABLE p18_items ALTER COLUMN sku SET NOT NULL;
-- the recipe, pasted: each line passes the guard
ALTER TABLE public.p18_items ADD CONSTRAINT p18_items_sku_not_null NOT NULL sku NOT VALID;
ALTER TABLE public.p18_items VALIDATE CONSTRAINT p18_items_sku_not_null;
SELECT conname, convalidated FROM pg_constraint
 WHERE conrelid = 'p18_items'::regclass AND contype = 'n';
-- and SET NOT NULL after it has nothing left to do: passes
ALTER TABLE p18_items ALTER COLUMN sku SET NOT NULL;

-- ADD CONSTRAINT ... NOT NULL without NOT VALID is SET NOT NULL with a
-- name of one's own: it scans under ACCESS EXCLUSIVE
ALTER TABLE p18_items ADD CONSTRAINT "Qty Present" NOT NULL qty;
ALTER TABLE p18_items ADD NOT NULL note NO INHERIT;
-- the recipes, pasted
ALTER TABLE public.p18_items ADD CONSTRAINT "Qty Present" NOT NULL qty NOT VALID;
ALTER TABLE public.p18_items VALIDATE CONSTRAINT "Qty Present";
ALTER TABLE public.p18_items ADD CONSTRAINT p18_items_note_not_null NOT NULL note NO INHERIT NOT VALID;
ALTER TABLE public.p18_items VALIDATE CONSTRAINT p18_items_note_not_null;
SELECT conname, convalidated, connoinherit FROM pg_constraint
 WHERE conrelid = 'p18_items'::regclass AND contype = 'n' ORDER BY conname;
-- exempt: the column has a valid NOT NULL constraint (the statement
-- merges into it) ...
ALTER TABLE p18_items ADD NOT NULL qty;
-- ... or a validated CHECK proves it non-null (nothing is scanned)
ALTER TABLE p18_items ADD COLUMN extra int;
ALTER TABLE p18_items ADD CONSTRAINT extra_present CHECK (extra IS NOT NULL) NOT VALID;
BEGIN;
SET LOCAL schemaguard.mode = off;
UPDATE p18_items SET extra = 0;
COMMIT;
ALTER TABLE p18_items VALIDATE CONSTRAINT extra_present;
ALTER TABLE p18_items ADD CONSTRAINT extra_not_null NOT NULL extra;
-- exempt: a small table; and NOT VALID itself
ALTER TABLE p18_tiny ADD CONSTRAINT p18_tiny_id_not_null NOT NULL id;
ALTER TABLE p18_items ADD CONSTRAINT id_not_null NOT NULL id NOT VALID;
-- a NOT VALID NOT NULL constraint also sets attnotnull: ADD PRIMARY KEY
-- over it is refused by the server (not by schemaguard)
CREATE UNIQUE INDEX CONCURRENTLY p18_items_id_key ON p18_items (id);
ALTER TABLE p18_items ADD CONSTRAINT p18_items_pkey PRIMARY KEY USING INDEX p18_items_id_key;
-- check() judges ADD CONSTRAINT ... NOT NULL like the hook
SELECT rule, object FROM schemaguard.check($$
ALTER TABLE p18_orders ADD CONSTRAINT id_nn NOT NULL id;
ALTER TABLE p18_orders ADD CONSTRAINT id_nn NOT NULL id NOT VALID;
ALTER TABLE p18_tiny ADD CONSTRAINT p18_tiny_id_not_null NOT NULL id;
$$);

-- NOT ENFORCED constraints are catalog-only: nothing is checked, now or
-- later, so adding one passes
CREATE TABLE p18_customers (id bigint PRIMARY KEY);
INSERT INTO p18_customers SELECT generate_series(1, 5000);
ANALYZE p18_customers;
ALTER TABLE p18_orders ADD CONSTRAINT p18_orders_cust_fkey FOREIGN KEY (id)
    REFERENCES p18_customers ON DELETE CASCADE DEFERRABLE NOT ENFORCED;
ALTER TABLE p18_orders ADD COLUMN buyer bigint REFERENCES p18_customers NOT ENFORCED;
ALTER TABLE p18_items ADD CONSTRAINT p18_items_id_positive CHECK (id > 0) NOT ENFORCED;
SELECT conname, conenforced, convalidated FROM pg_constraint
 WHERE conrelid IN ('p18_orders'::regclass, 'p18_items'::regclass) AND contype IN ('f', 'c')
 ORDER BY conname;
-- ALTER CONSTRAINT ... ENFORCED creates the foreign key's triggers and
-- checks every row, under ACCESS EXCLUSIVE (add_foreign_key_validated)
ALTER TABLE p18_orders ALTER CONSTRAINT p18_orders_cust_fkey ENFORCED;
-- the statement as written (allowed, then rolled back) ...
BEGIN;
SET LOCAL schemaguard.allow = 'add_foreign_key_validated';
ALTER TABLE p18_orders ALTER CONSTRAINT p18_orders_cust_fkey ENFORCED;
SELECT string_agg(identity || ': ' || definition, E'\n' ORDER BY identity) AS written
  FROM schemaguard.snapshot() WHERE identity LIKE '%p18_orders%' \gset
ROLLBACK;
-- ... and the recipe, as the hint prints it: dropped and added back NOT
-- VALID, then validated on its own; the same schema
BEGIN; SET LOCAL lock_timeout = '5s';
ALTER TABLE public.p18_orders DROP CONSTRAINT p18_orders_cust_fkey;
ALTER TABLE public.p18_orders ADD CONSTRAINT p18_orders_cust_fkey FOREIGN KEY (id) REFERENCES p18_customers(id) ON DELETE CASCADE DEFERRABLE NOT VALID;
COMMIT;
ALTER TABLE public.p18_orders VALIDATE CONSTRAINT p18_orders_cust_fkey;
SELECT string_agg(identity || ': ' || definition, E'\n' ORDER BY identity) = :'written' AS same_schema
  FROM schemaguard.snapshot() WHERE identity LIKE '%p18_orders%';
SELECT conname, conenforced, convalidated FROM pg_constraint
 WHERE conname = 'p18_orders_cust_fkey';
-- passes: enforced already, nothing to do
ALTER TABLE p18_orders ALTER CONSTRAINT p18_orders_cust_fkey ENFORCED;
-- passes: NOT ENFORCED drops the triggers and checks nothing
ALTER TABLE p18_orders ALTER CONSTRAINT p18_orders_cust_fkey NOT ENFORCED;
-- exempt: a small table
ALTER TABLE p18_tiny ADD CONSTRAINT p18_tiny_id_fkey FOREIGN KEY (id) REFERENCES p18_customers NOT ENFORCED;
ALTER TABLE p18_tiny ALTER CONSTRAINT p18_tiny_id_fkey ENFORCED;
-- check() judges ALTER CONSTRAINT ... ENFORCED like the hook
SELECT rule, object FROM schemaguard.check($$
ALTER TABLE p18_orders ALTER CONSTRAINT p18_orders_cust_fkey ENFORCED;
ALTER TABLE p18_orders ALTER CONSTRAINT p18_orders_cust_fkey NOT ENFORCED;
$$);

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
DROP TABLE p18_orders, p18_tiny, p18_items, p18_customers;
RESET schemaguard.mode;
RESET schemaguard.table_size_threshold;

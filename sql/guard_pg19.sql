--
-- guard_pg19: DDL that PostgreSQL 19 and later have (run on 19+ only).
--
-- A CHECK constraint can be made ENFORCED again from 19 on (18 only a
-- foreign key): ALTER CONSTRAINT ... ENFORCED checks every row under the
-- ACCESS EXCLUSIVE lock, judged by add_check_validated.
--
SET schemaguard.table_size_threshold = '64kB';
CREATE TABLE p19_orders (id bigint PRIMARY KEY, qty int);
INSERT INTO p19_orders SELECT g, g % 10 FROM generate_series(1, 5000) g;
CREATE TABLE p19_tiny (id bigint PRIMARY KEY, qty int);
INSERT INTO p19_tiny VALUES (1, 1);
ANALYZE p19_orders, p19_tiny;

-- adding a NOT ENFORCED CHECK is catalog-only: passes
ALTER TABLE p19_orders ADD CONSTRAINT "Qty Small" CHECK (qty < 100) NO INHERIT NOT ENFORCED;
ALTER TABLE p19_orders ADD COLUMN price numeric CHECK (price >= 0) NOT ENFORCED;
SELECT conname, conenforced, convalidated FROM pg_constraint
 WHERE conrelid = 'p19_orders'::regclass AND contype = 'c' ORDER BY conname;
-- ALTER CONSTRAINT ... ENFORCED checks every row
ALTER TABLE p19_orders ALTER CONSTRAINT "Qty Small" ENFORCED;
-- the statement as written (allowed, then rolled back) ...
BEGIN;
SET LOCAL schemaguard.allow = 'add_check_validated';
ALTER TABLE p19_orders ALTER CONSTRAINT "Qty Small" ENFORCED;
SELECT string_agg(identity || ': ' || definition, E'\n' ORDER BY identity) AS written
  FROM schemaguard.snapshot() WHERE identity LIKE '%p19_orders%' \gset
ROLLBACK;
-- ... and the recipe, as the hint prints it: the same schema
BEGIN; SET LOCAL lock_timeout = '5s';
ALTER TABLE public.p19_orders DROP CONSTRAINT "Qty Small";
ALTER TABLE public.p19_orders ADD CONSTRAINT "Qty Small" CHECK ((qty < 100)) NO INHERIT NOT VALID;
COMMIT;
ALTER TABLE public.p19_orders VALIDATE CONSTRAINT "Qty Small";
SELECT string_agg(identity || ': ' || definition, E'\n' ORDER BY identity) = :'written' AS same_schema
  FROM schemaguard.snapshot() WHERE identity LIKE '%p19_orders%';
SELECT conname, conenforced, convalidated FROM pg_constraint
 WHERE conrelid = 'p19_orders'::regclass AND contype = 'c' ORDER BY conname;
-- passes: enforced already; and NOT ENFORCED checks nothing
ALTER TABLE p19_orders ALTER CONSTRAINT "Qty Small" ENFORCED;
ALTER TABLE p19_orders ALTER CONSTRAINT "Qty Small" NOT ENFORCED;

-- a constraint a child inherits cannot be dropped on the child: the
-- recipe is the statement at a quiet time, with a lock timeout
CREATE TABLE p19_base (id bigint, v int, CONSTRAINT v_positive CHECK (v > 0) NOT ENFORCED);
CREATE TABLE p19_child (note text) INHERITS (p19_base);
INSERT INTO p19_child SELECT g, g, 'n' FROM generate_series(1, 5000) g;
ANALYZE p19_child;
ALTER TABLE p19_child ALTER CONSTRAINT v_positive ENFORCED;

-- exempt: a small table
ALTER TABLE p19_tiny ADD CONSTRAINT tiny_qty CHECK (qty > 0) NOT ENFORCED;
ALTER TABLE p19_tiny ALTER CONSTRAINT tiny_qty ENFORCED;

-- check() judges ALTER CONSTRAINT ... ENFORCED like the hook
SELECT rule, object FROM schemaguard.check($$
ALTER TABLE p19_orders ALTER CONSTRAINT "Qty Small" ENFORCED;
ALTER TABLE p19_orders ALTER CONSTRAINT "Qty Small" NOT ENFORCED;
$$);

-- clean up
SET schemaguard.mode = off;
DROP TABLE p19_orders, p19_tiny, p19_base, p19_child;
RESET schemaguard.mode;
RESET schemaguard.table_size_threshold;

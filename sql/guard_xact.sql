--
-- guard_xact: rules about the transaction a statement runs in,
-- scan_while_locked, query_while_locked and lock_table_no_timeout.  Only
-- the running transaction knows which locks it holds; check() judges none
-- of this.
--
SET schemaguard.table_size_threshold = '64kB';
-- the LOCK TABLE statements below wait at most this long
-- (lock_table_no_timeout, at the end, is about LOCK without it)
SET lock_timeout = '10s';

CREATE TABLE xa_customers (id bigint PRIMARY KEY);
INSERT INTO xa_customers SELECT generate_series(1, 5000);
CREATE TABLE xa_orders (id bigint PRIMARY KEY, customer_id bigint, qty int);
INSERT INTO xa_orders SELECT g, g, g % 10 FROM generate_series(1, 5000) g;
CREATE TABLE xa_tiny (id bigint, qty int);
INSERT INTO xa_tiny VALUES (1, 1);
ANALYZE xa_customers, xa_orders, xa_tiny;

-- =====================================================================
-- scan_while_locked
-- =====================================================================
-- ADD ... NOT VALID then VALIDATE in one transaction: the ADD's ACCESS
-- EXCLUSIVE lock is held for the whole scan
BEGIN;
ALTER TABLE xa_orders ADD CONSTRAINT xa_qty_nonneg CHECK (qty >= 0) NOT VALID;
ALTER TABLE xa_orders VALIDATE CONSTRAINT xa_qty_nonneg;
ROLLBACK;
-- a foreign key: the ADD took SHARE ROW EXCLUSIVE on both tables
BEGIN;
ALTER TABLE xa_orders ADD CONSTRAINT xa_orders_customer_fk
    FOREIGN KEY (customer_id) REFERENCES xa_customers NOT VALID;
ALTER TABLE xa_orders VALIDATE CONSTRAINT xa_orders_customer_fk;
ROLLBACK;
-- the lock can come from anywhere in the transaction, also from LOCK
ALTER TABLE xa_orders ADD CONSTRAINT xa_qty_nonneg CHECK (qty >= 0) NOT VALID;
ALTER TABLE xa_orders ADD CONSTRAINT xa_orders_customer_fk
    FOREIGN KEY (customer_id) REFERENCES xa_customers NOT VALID;
BEGIN;
LOCK TABLE xa_orders IN SHARE MODE;
ALTER TABLE xa_orders VALIDATE CONSTRAINT xa_qty_nonneg;
ROLLBACK;
-- ... and on the referenced table of a foreign key, which the check reads
BEGIN;
LOCK TABLE xa_customers IN SHARE MODE;
ALTER TABLE xa_orders VALIDATE CONSTRAINT xa_orders_customer_fk;
ROLLBACK;
-- a weaker lock held (ROW EXCLUSIVE, from an UPDATE) does not count: it
-- blocks no reader or writer
BEGIN;
UPDATE xa_orders SET qty = qty WHERE id = 1;
ALTER TABLE xa_orders VALIDATE CONSTRAINT xa_qty_nonneg;
ROLLBACK;

-- the recipe, as the hint prints it: the validation in a transaction of
-- its own, after the one that took the lock has committed
BEGIN;
ALTER TABLE xa_orders ADD CONSTRAINT xa_qty_small CHECK (qty < 100) NOT VALID;
COMMIT;
ALTER TABLE xa_orders VALIDATE CONSTRAINT xa_qty_small;
SELECT conname, convalidated FROM pg_constraint
 WHERE conrelid = 'xa_orders'::regclass AND contype = 'c' ORDER BY conname;

-- exempt: a constraint that is already validated (nothing to scan)
BEGIN;
LOCK TABLE xa_orders IN ACCESS EXCLUSIVE MODE;
ALTER TABLE xa_orders VALIDATE CONSTRAINT xa_qty_small;
ROLLBACK;
-- exempt: a table created in this transaction
BEGIN;
CREATE TABLE xa_new (id bigint, qty int);
INSERT INTO xa_new SELECT g, g FROM generate_series(1, 5000) g;
ALTER TABLE xa_new ADD CONSTRAINT xa_new_qty CHECK (qty > 0) NOT VALID;
ALTER TABLE xa_new VALIDATE CONSTRAINT xa_new_qty;
ROLLBACK;
-- exempt: a small table
BEGIN;
ALTER TABLE xa_tiny ADD CONSTRAINT xa_tiny_qty CHECK (qty > 0) NOT VALID;
ALTER TABLE xa_tiny VALIDATE CONSTRAINT xa_tiny_qty;
ROLLBACK;
-- a constraint that does not exist: the server says so
BEGIN;
LOCK TABLE xa_orders IN ACCESS EXCLUSIVE MODE;
ALTER TABLE xa_orders VALIDATE CONSTRAINT no_such_constraint;
ROLLBACK;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'scan_while_locked';
LOCK TABLE xa_orders IN SHARE MODE;
ALTER TABLE xa_orders VALIDATE CONSTRAINT xa_qty_nonneg;
ROLLBACK;
-- warn mode
BEGIN;
SET LOCAL schemaguard.mode = 'warn';
LOCK TABLE xa_orders IN SHARE MODE;
ALTER TABLE xa_orders VALIDATE CONSTRAINT xa_qty_nonneg;
ROLLBACK;
-- check() sees a script, not a transaction: it reports nothing here
SELECT rule FROM schemaguard.check($$
BEGIN;
ALTER TABLE xa_orders ADD CONSTRAINT xa_qty_big CHECK (qty < 1000) NOT VALID;
ALTER TABLE xa_orders VALIDATE CONSTRAINT xa_qty_big;
COMMIT;
$$);

-- =====================================================================
-- query_while_locked
-- =====================================================================
-- a backfill after ADD COLUMN in the same transaction: every query on the
-- table waits for it behind the ADD's ACCESS EXCLUSIVE lock
BEGIN;
ALTER TABLE xa_orders ADD COLUMN region text;
UPDATE xa_orders SET region = 'eu';
ROLLBACK;
-- a scan after an ALTER
BEGIN;
ALTER TABLE xa_orders ADD COLUMN region text;
SELECT count(*) FROM xa_orders;
ROLLBACK;
-- inside a DO block, as migration tools run backfills
BEGIN;
ALTER TABLE xa_orders ADD COLUMN region text;
DO $$ BEGIN UPDATE xa_orders SET region = 'eu' WHERE id <= 10; END $$;
ROLLBACK;
-- LOCK TABLE, then a reload
BEGIN;
LOCK TABLE xa_orders IN SHARE MODE;
SELECT sum(qty) FROM xa_orders;
ROLLBACK;
-- the recipe, as the hint prints it: the change commits first, the
-- backfill runs on its own
BEGIN;
ALTER TABLE xa_orders ADD COLUMN region text;
COMMIT;
UPDATE xa_orders SET region = 'eu';
SELECT region, count(*) FROM xa_orders GROUP BY region;

-- passes: a table the transaction holds no strong lock on
BEGIN;
ALTER TABLE xa_orders ADD COLUMN region2 text;
SELECT count(*) FROM xa_customers;
ROLLBACK;
-- passes: a foreign key's own check of a locked referenced table (one row,
-- FOR KEY SHARE, judged with the INSERT that needs it)
BEGIN;
ALTER TABLE xa_customers ADD COLUMN note text;
INSERT INTO xa_orders VALUES (6001, 5, 1);
ROLLBACK;
-- passes: the lock went with a rolled-back savepoint
BEGIN;
SAVEPOINT s1;
ALTER TABLE xa_orders ADD COLUMN region2 text;
ROLLBACK TO s1;
SELECT count(*) FROM xa_orders;
ROLLBACK;
-- passes: EXPLAIN without ANALYZE runs nothing
BEGIN;
ALTER TABLE xa_orders ADD COLUMN region2 text;
EXPLAIN (COSTS OFF) SELECT count(*) FROM xa_orders;
ROLLBACK;
-- passes: after TRUNCATE the table is empty, and a query on it is quick
-- (its size is measured when the query runs)
BEGIN;
SET LOCAL schemaguard.allow = 'truncate';
TRUNCATE xa_orders;
SELECT count(*) FROM xa_orders;
ROLLBACK;
-- passes: a weaker lock (SHARE UPDATE EXCLUSIVE of VALIDATE) is not noted
BEGIN;
ALTER TABLE xa_orders VALIDATE CONSTRAINT xa_qty_nonneg;
SELECT count(*) FROM xa_orders;
ROLLBACK;
-- exempt: a table created in this transaction
BEGIN;
CREATE TABLE xa_new (id bigint, qty int);
INSERT INTO xa_new SELECT g, g FROM generate_series(1, 5000) g;
ALTER TABLE xa_new ADD COLUMN region text;
UPDATE xa_new SET region = 'eu';
ROLLBACK;
-- exempt: a small table
BEGIN;
ALTER TABLE xa_tiny ADD COLUMN region text;
UPDATE xa_tiny SET region = 'eu';
ROLLBACK;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'query_while_locked';
ALTER TABLE xa_orders ADD COLUMN region2 text;
UPDATE xa_orders SET region2 = 'eu' WHERE id <= 10;
ROLLBACK;
-- warn mode
BEGIN;
SET LOCAL schemaguard.mode = 'warn';
ALTER TABLE xa_orders ADD COLUMN region2 text;
UPDATE xa_orders SET region2 = 'eu' WHERE id <= 10;
ROLLBACK;
-- the rule off
BEGIN;
SET LOCAL schemaguard.rules = 'query_while_locked=off';
ALTER TABLE xa_orders ADD COLUMN region2 text;
UPDATE xa_orders SET region2 = 'eu' WHERE id <= 10;
ROLLBACK;
-- caught by a PL/pgSQL exception block, the transaction goes on
BEGIN;
ALTER TABLE xa_orders ADD COLUMN region2 text;
DO $$
BEGIN
    UPDATE xa_orders SET region2 = 'eu';
EXCEPTION WHEN SQLSTATE 'SG001' THEN
    RAISE NOTICE 'caught: %', SQLERRM;
END $$;
SELECT count(*) FROM xa_customers;
ROLLBACK;

-- =====================================================================
-- lock_table_no_timeout
-- =====================================================================
RESET lock_timeout;
SHOW lock_timeout;
BEGIN;
LOCK TABLE xa_orders IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
-- SHARE (which blocks writes) counts as well; each large table is judged
BEGIN;
LOCK TABLE xa_tiny, xa_orders IN SHARE MODE;
ROLLBACK;
-- the recipe, as the hint prints it
BEGIN;
SET LOCAL lock_timeout = '5s';
LOCK TABLE xa_orders IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
-- passes: NOWAIT does not queue
BEGIN;
LOCK TABLE xa_orders IN ACCESS EXCLUSIVE MODE NOWAIT;
ROLLBACK;
-- passes: a mode that blocks no writes
BEGIN;
LOCK TABLE xa_orders IN ROW EXCLUSIVE MODE;
ROLLBACK;
-- exempt: a small table, a table created in this transaction
BEGIN;
LOCK TABLE xa_tiny IN ACCESS EXCLUSIVE MODE;
CREATE TABLE xa_new (id bigint);
INSERT INTO xa_new SELECT generate_series(1, 20000);
LOCK TABLE xa_new IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'lock_table_no_timeout';
LOCK TABLE xa_orders IN ACCESS EXCLUSIVE MODE;
ROLLBACK;

-- clean up
SET schemaguard.mode = off;
DROP TABLE xa_orders, xa_customers, xa_tiny;
RESET schemaguard.mode;
RESET schemaguard.table_size_threshold;

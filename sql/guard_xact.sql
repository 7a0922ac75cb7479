--
-- guard_xact: rules about the transaction a statement runs in,
-- scan_while_locked.  Only the running transaction knows which locks it
-- holds; check() judges none of this.
--
SET schemaguard.table_size_threshold = '64kB';

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

-- clean up
SET schemaguard.mode = off;
DROP TABLE xa_orders, xa_customers, xa_tiny;
RESET schemaguard.mode;
RESET schemaguard.table_size_threshold;

--
-- guard_fk_index: foreign_key_without_index (advice, warn by default).
--
-- A foreign key is judged when its transaction commits, on what the server
-- has then: an index of the referencing table whose leading columns are
-- the key's columns (in any order) must exist and be valid.  So a key and
-- its index may come in either order within the transaction.
--
CREATE TABLE fk_customers (id bigint PRIMARY KEY, region int, name text,
                           UNIQUE (id, region));

SELECT rule, family, default_level FROM schemaguard.list_rules()
 WHERE rule = 'foreign_key_without_index';

-- =====================================================================
-- reported
-- =====================================================================
-- a new table, in a statement of its own (its own transaction)
CREATE TABLE fk_orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES fk_customers);
-- in a transaction block: at COMMIT; the table is new, so the recipe is a
-- plain CREATE INDEX in the same transaction
BEGIN;
CREATE TABLE fk_orders2 (id bigint PRIMARY KEY, customer_id bigint REFERENCES fk_customers);
INSERT INTO fk_orders2 VALUES (1, NULL);
COMMIT;
-- an existing table: CREATE INDEX CONCURRENTLY, outside a transaction
-- block (the table is empty; size plays no part)
CREATE TABLE fk_lines (id bigint PRIMARY KEY, order_id bigint, customer_id bigint, region int);
ALTER TABLE fk_lines ADD CONSTRAINT fk_lines_order FOREIGN KEY (order_id) REFERENCES fk_orders NOT VALID;
-- two columns: an index on only one of them, or with another column
-- between them, does not serve the lookup
CREATE INDEX fk_lines_customer_idx ON fk_lines (customer_id, id, region);
ALTER TABLE fk_lines ADD CONSTRAINT fk_lines_cust_region
    FOREIGN KEY (customer_id, region) REFERENCES fk_customers (id, region);
-- the error fields, raised to error: the transaction is rolled back at
-- COMMIT
BEGIN;
SET LOCAL schemaguard.rules = 'foreign_key_without_index=error';
CREATE TABLE fk_orders3 (id bigint PRIMARY KEY, customer_id bigint REFERENCES fk_customers);
COMMIT;
SELECT to_regclass('fk_orders3') AS rolled_back;
\set VERBOSITY sqlstate
CREATE TABLE fk_orders3 (id bigint PRIMARY KEY, customer_id bigint REFERENCES fk_customers);
\set VERBOSITY default
DROP TABLE fk_orders3;

-- =====================================================================
-- the recipe passes: the index in the same transaction, in either order
-- =====================================================================
BEGIN;
CREATE TABLE fk_orders4 (id bigint PRIMARY KEY, customer_id bigint REFERENCES fk_customers);
CREATE INDEX fk_orders4_customer_id_idx ON fk_orders4 (customer_id);
COMMIT;
BEGIN;
CREATE TABLE fk_orders5 (id bigint PRIMARY KEY, customer_id bigint);
CREATE INDEX ON fk_orders5 (customer_id);
ALTER TABLE fk_orders5 ADD FOREIGN KEY (customer_id) REFERENCES fk_customers;
COMMIT;
-- the recipe for an existing table, then the key
CREATE INDEX CONCURRENTLY fk_lines_order_id_idx ON fk_lines (order_id);
ALTER TABLE fk_lines ADD CONSTRAINT fk_lines_order2 FOREIGN KEY (order_id) REFERENCES fk_orders NOT VALID;

-- =====================================================================
-- what counts as an index for the key
-- =====================================================================
-- the key's columns in another order, followed by more columns
CREATE TABLE fk_multi (a bigint, b int, c int);
CREATE INDEX ON fk_multi (b, a, c);
ALTER TABLE fk_multi ADD FOREIGN KEY (a, b) REFERENCES fk_customers (id, region);
-- a primary key or unique constraint that starts with the columns
CREATE TABLE fk_pk (customer_id bigint PRIMARY KEY REFERENCES fk_customers);
CREATE TABLE fk_uniq (customer_id bigint REFERENCES fk_customers, n int, UNIQUE (customer_id, n));
-- a partial index whose predicate follows from the key being NOT NULL
BEGIN;
CREATE TABLE fk_partial (id bigint, customer_id bigint REFERENCES fk_customers);
CREATE INDEX ON fk_partial (customer_id) WHERE customer_id IS NOT NULL;
COMMIT;
-- a hash index, for one column
BEGIN;
CREATE TABLE fk_hash (id bigint, customer_id bigint REFERENCES fk_customers);
CREATE INDEX ON fk_hash USING hash (customer_id);
COMMIT;
-- do not count: another predicate, an expression, another access method
BEGIN;
CREATE TABLE fk_nope (id bigint, customer_id bigint REFERENCES fk_customers, flag bool);
CREATE INDEX ON fk_nope (customer_id) WHERE flag;
CREATE INDEX ON fk_nope ((customer_id + 0));
CREATE INDEX ON fk_nope USING brin (customer_id);
COMMIT;
-- an INVALID index (as a failed CREATE INDEX CONCURRENTLY leaves)
CREATE TABLE fk_invalid (id bigint, customer_id bigint);
CREATE INDEX fk_invalid_idx ON fk_invalid (customer_id);
UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'fk_invalid_idx'::regclass;
ALTER TABLE fk_invalid ADD FOREIGN KEY (customer_id) REFERENCES fk_customers;

-- =====================================================================
-- partitioned tables: the partitioned index counts; the partitions'
-- copies of the key are not judged one by one
-- =====================================================================
BEGIN;
CREATE TABLE fk_events (id bigint, customer_id bigint REFERENCES fk_customers)
    PARTITION BY RANGE (id);
CREATE TABLE fk_events_1 PARTITION OF fk_events FOR VALUES FROM (0) TO (100);
CREATE INDEX ON fk_events (customer_id);
CREATE TABLE fk_events_2 PARTITION OF fk_events FOR VALUES FROM (100) TO (200);
COMMIT;
-- without it: reported once, for the partitioned table
CREATE TABLE fk_events2 (id bigint, customer_id bigint)
    PARTITION BY RANGE (id);
CREATE TABLE fk_events2_1 PARTITION OF fk_events2 FOR VALUES FROM (0) TO (100);
ALTER TABLE fk_events2 ADD FOREIGN KEY (customer_id) REFERENCES fk_customers;
-- an index ON ONLY the parent is INVALID until every partition has one
BEGIN;
CREATE INDEX fk_events2_customer_id_idx ON ONLY fk_events2 (customer_id);
ALTER TABLE fk_events2 ADD CONSTRAINT fk_events2_again FOREIGN KEY (customer_id) REFERENCES fk_customers;
COMMIT;

-- =====================================================================
-- DROP INDEX of the last index that serves a key
-- =====================================================================
DROP INDEX fk_orders4_customer_id_idx;
-- replaced in the same transaction: nothing to say
BEGIN;
DROP INDEX fk_lines_order_id_idx;
CREATE INDEX fk_lines_order_id_idx2 ON fk_lines (order_id, id);
COMMIT;
-- another index still serves the key
CREATE INDEX fk_multi_a_b ON fk_multi (a, b);
DROP INDEX fk_multi_b_a_c_idx;
-- CONCURRENTLY commits inside the statement: judged before it runs
DROP INDEX CONCURRENTLY fk_lines_order_id_idx2;
SET schemaguard.rules = 'foreign_key_without_index=error';
DROP INDEX CONCURRENTLY fk_multi_a_b;
RESET schemaguard.rules;

-- =====================================================================
-- exemptions and settings
-- =====================================================================
-- a key dropped again, or rolled back with its subtransaction
BEGIN;
CREATE TABLE fk_gone (id bigint, customer_id bigint REFERENCES fk_customers);
ALTER TABLE fk_gone DROP CONSTRAINT fk_gone_customer_id_fkey;
SAVEPOINT s;
ALTER TABLE fk_gone ADD FOREIGN KEY (customer_id) REFERENCES fk_customers;
ROLLBACK TO SAVEPOINT s;
COMMIT;
-- temporary tables
CREATE TEMP TABLE fk_tmp_customers (id bigint PRIMARY KEY);
CREATE TEMP TABLE fk_tmp (id bigint, customer_id bigint REFERENCES fk_tmp_customers);
-- allowed deliberately: logged, not reported
BEGIN;
SET LOCAL schemaguard.allow = 'foreign_key_without_index';
CREATE TABLE fk_allowed (id bigint, customer_id bigint REFERENCES fk_customers);
COMMIT;
-- off, mode off, warn mode
BEGIN;
SET LOCAL schemaguard.rules = 'foreign_key_without_index=off';
CREATE TABLE fk_off (id bigint, customer_id bigint REFERENCES fk_customers);
COMMIT;
BEGIN;
SET LOCAL schemaguard.mode = off;
CREATE TABLE fk_off2 (id bigint, customer_id bigint REFERENCES fk_customers);
COMMIT;
BEGIN;
SET LOCAL schemaguard.rules = 'foreign_key_without_index=error';
SET LOCAL schemaguard.mode = warn;
CREATE TABLE fk_warn (id bigint, customer_id bigint REFERENCES fk_customers);
COMMIT;
-- a rolled-back transaction is not judged
BEGIN;
CREATE TABLE fk_rb (id bigint, customer_id bigint REFERENCES fk_customers);
ROLLBACK;

-- =====================================================================
-- check(): the script's own CREATE INDEX statements count
-- =====================================================================
SELECT statement, rule, level, object, message FROM schemaguard.check($$
CREATE TABLE fk_s1 (id bigint PRIMARY KEY, customer_id bigint REFERENCES fk_customers);
CREATE INDEX ON fk_s1 (customer_id);
CREATE TABLE fk_s2 (id bigint PRIMARY KEY, customer_id bigint REFERENCES fk_customers);
CREATE TABLE fk_s3 (id bigint PRIMARY KEY, a bigint, b int,
                    FOREIGN KEY (a, b) REFERENCES fk_customers (id, region));
ALTER TABLE fk_s3 ADD UNIQUE (b, a);
ALTER TABLE fk_multi ADD FOREIGN KEY (a) REFERENCES fk_customers;
ALTER TABLE fk_lines ADD FOREIGN KEY (customer_id) REFERENCES fk_customers;
ALTER TABLE fk_lines ADD FOREIGN KEY (region) REFERENCES fk_customers;
CREATE INDEX CONCURRENTLY ON fk_lines (region);
DROP INDEX fk_hash_customer_id_idx;
DROP INDEX fk_partial_customer_id_idx;
CREATE INDEX ON fk_partial (customer_id, id);
$$);
SELECT hint FROM schemaguard.check($$
CREATE TABLE fk_s2 (id bigint PRIMARY KEY, customer_id bigint REFERENCES fk_customers);
ALTER TABLE fk_hash ADD FOREIGN KEY (id) REFERENCES fk_customers;
$$);

-- clean up
SET schemaguard.mode = off;
DROP TABLE fk_orders, fk_orders2, fk_orders4, fk_orders5, fk_lines, fk_multi,
    fk_pk, fk_uniq, fk_partial, fk_hash, fk_nope, fk_invalid, fk_events,
    fk_events2, fk_gone, fk_tmp, fk_tmp_customers, fk_allowed, fk_off, fk_off2, fk_warn,
    fk_customers;
RESET schemaguard.mode;

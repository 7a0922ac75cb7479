--
-- guard_index: index_not_concurrent, drop_index_not_concurrent and
-- reindex_not_concurrent.
--
-- Sizes: with autovacuum off and a fixed number of rows the heap sizes and
-- the row estimates after ANALYZE are the same on every run.  A table of a
-- few hundred kB counts as large against a 64kB threshold; one of a few
-- rows (one 8 kB page) does not.
--
SET schemaguard.table_size_threshold = '64kB';

CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id int NOT NULL,
    status text NOT NULL,
    total numeric(10,2) NOT NULL
);
INSERT INTO orders
SELECT g, g % 100, CASE WHEN g % 3 = 0 THEN 'paid' ELSE 'open' END, g * 1.5
  FROM generate_series(1, 5000) g;
ANALYZE orders;

CREATE TABLE tiny (id bigint, note text);
INSERT INTO tiny VALUES (1, 'one'), (2, 'two');
ANALYZE tiny;

CREATE TABLE empty_tbl (id bigint, note text);

SELECT relname, pg_size_pretty(pg_relation_size(oid)) AS size, reltuples
  FROM pg_class WHERE relname IN ('orders', 'tiny', 'empty_tbl') ORDER BY relname;

-- SQLSTATE and error fields of a violation
CREATE FUNCTION show_violation(stmt text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_state text; v_schema text; v_table text; v_column text;
BEGIN
    EXECUTE stmt;
    RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE,
        v_schema = SCHEMA_NAME, v_table = TABLE_NAME, v_column = COLUMN_NAME;
    RAISE NOTICE 'sqlstate=% schema=% table=% column=%',
        v_state, v_schema, v_table, v_column;
END $$;
-- the same for violations on objects that are not tables: SQLSTATE only
CREATE FUNCTION show_sqlstate(stmt text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_state text;
BEGIN
    EXECUTE stmt;
    RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE;
    RAISE NOTICE 'sqlstate=%', v_state;
END $$;

-- =====================================================================
-- index_not_concurrent
-- =====================================================================

-- blocked on a large table, with the recipe and how to allow it
CREATE INDEX orders_customer_idx ON orders (customer_id);
SELECT show_violation('CREATE INDEX orders_customer_idx ON orders (customer_id)');
-- the recipe, as the hint prints it
CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);

-- the recipe keeps the rest of the statement as written
CREATE UNIQUE INDEX orders_paid_key ON public.orders USING btree (id)
    INCLUDE (total) WHERE status = 'paid';
CREATE UNIQUE INDEX CONCURRENTLY orders_paid_key ON public.orders USING btree (id)
    INCLUDE (total) WHERE status = 'paid';
create index on orders (lower(status));
create index CONCURRENTLY on orders (lower(status));
CREATE INDEX IF NOT EXISTS orders_total_idx ON orders (total);
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_total_idx ON orders (total);
-- ON ONLY means nothing special for a table that is not partitioned
CREATE INDEX orders_status_idx ON ONLY orders (status);
CREATE INDEX CONCURRENTLY orders_status_idx ON ONLY orders (status);
DROP INDEX CONCURRENTLY orders_status_idx;

SELECT indexrelid::regclass AS index, indisvalid
  FROM pg_index WHERE indrelid = 'orders'::regclass ORDER BY indexrelid::regclass::text;

-- exempt: created in the same transaction
BEGIN;
CREATE TABLE orders_copy AS SELECT * FROM orders;
CREATE INDEX orders_copy_customer_idx ON orders_copy (customer_id);
ROLLBACK;
-- exempt: small table (below schemaguard.table_size_threshold)
CREATE INDEX tiny_note_idx ON tiny (note);
-- exempt: temporary table
CREATE TEMP TABLE orders_tmp AS SELECT * FROM orders;
CREATE INDEX orders_tmp_customer_idx ON orders_tmp (customer_id);
DROP TABLE orders_tmp;
-- allowed deliberately, for one transaction
BEGIN;
SET LOCAL schemaguard.allow = 'index_not_concurrent';
CREATE INDEX orders_status_idx ON orders (status);
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.allow = 'all';
CREATE INDEX orders_status_idx ON orders (status);
ROLLBACK;
-- allowing another rule does not help
BEGIN;
SET LOCAL schemaguard.allow = 'reindex_not_concurrent';
CREATE INDEX orders_status_idx ON orders (status);
ROLLBACK;
-- warn mode: a warning, and the statement runs
SET schemaguard.mode = warn;
CREATE INDEX orders_status_idx ON orders (status);
RESET schemaguard.mode;
DROP INDEX CONCURRENTLY orders_status_idx;
-- per-rule level
SET schemaguard.rules = 'index_not_concurrent=warn';
CREATE INDEX orders_status_idx ON orders (status);
DROP INDEX CONCURRENTLY orders_status_idx;
SET schemaguard.rules = 'index_not_concurrent=off';
CREATE INDEX orders_status_idx ON orders (status);
RESET schemaguard.rules;
DROP INDEX CONCURRENTLY orders_status_idx;
-- mode off
SET schemaguard.mode = off;
CREATE INDEX orders_status_idx ON orders (status);
RESET schemaguard.mode;
DROP INDEX CONCURRENTLY orders_status_idx;
-- assume_large_tables: small and empty tables count as large ...
SET schemaguard.assume_large_tables = on;
CREATE INDEX tiny_id_idx ON tiny (id);
CREATE INDEX empty_tbl_id_idx ON empty_tbl (id);
-- ... but not a table created in this transaction, nor a temporary one
BEGIN;
CREATE TABLE new_tbl (id bigint);
CREATE INDEX new_tbl_id_idx ON new_tbl (id);
ROLLBACK;
CREATE TEMP TABLE tmp_tbl (id bigint);
CREATE INDEX tmp_tbl_id_idx ON tmp_tbl (id);
DROP TABLE tmp_tbl;
RESET schemaguard.assume_large_tables;
-- threshold 0: every table with rows is large, an empty one is not
SET schemaguard.table_size_threshold = 0;
CREATE INDEX tiny_id_idx ON tiny (id);
CREATE INDEX empty_tbl_id_idx ON empty_tbl (id);
SET schemaguard.table_size_threshold = '64kB';

-- materialized view
CREATE MATERIALIZED VIEW order_totals AS
SELECT customer_id, status, sum(total) AS total, count(*) AS n
  FROM orders GROUP BY customer_id, status
UNION ALL
SELECT id::int, status, total, 1 FROM orders;
-- VACUUM drops the empty pages that bulk loading adds on PostgreSQL 16+
VACUUM ANALYZE order_totals;
CREATE INDEX order_totals_customer_idx ON order_totals (customer_id);
CREATE INDEX CONCURRENTLY order_totals_customer_idx ON order_totals (customer_id);

-- partitioned table: the size is the sum of the partitions
CREATE TABLE readings (sensor_id int NOT NULL, taken bigint NOT NULL, value float8)
    PARTITION BY RANGE (taken);
CREATE TABLE readings_p1 PARTITION OF readings FOR VALUES FROM (0) TO (3000);
CREATE TABLE readings_p2 PARTITION OF readings FOR VALUES FROM (3000) TO (6000);
CREATE TABLE readings_p3 PARTITION OF readings FOR VALUES FROM (6000) TO (9000);
INSERT INTO readings SELECT g % 10, g, g / 10.0 FROM generate_series(0, 8999) g;
ANALYZE readings;
SELECT c.relname, pg_size_pretty(pg_relation_size(c.oid)) AS size, c.reltuples
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'readings'::regclass ORDER BY 1;
SELECT pg_size_pretty(sum(pg_relation_size(inhrelid))) AS total
  FROM pg_inherits WHERE inhparent = 'readings'::regclass;

CREATE INDEX readings_sensor_idx ON readings (sensor_id, taken);
SELECT show_violation('CREATE INDEX readings_sensor_idx ON readings (sensor_id, taken)');
-- the recipe, as the hint prints it
CREATE INDEX readings_sensor_idx ON ONLY public.readings (sensor_id, taken);
CREATE INDEX CONCURRENTLY readings_p1_idx ON public.readings_p1 (sensor_id, taken);
ALTER INDEX public.readings_sensor_idx ATTACH PARTITION public.readings_p1_idx;
CREATE INDEX CONCURRENTLY readings_p2_idx ON public.readings_p2 (sensor_id, taken);
ALTER INDEX public.readings_sensor_idx ATTACH PARTITION public.readings_p2_idx;
CREATE INDEX CONCURRENTLY readings_p3_idx ON public.readings_p3 (sensor_id, taken);
ALTER INDEX public.readings_sensor_idx ATTACH PARTITION public.readings_p3_idx;
-- the parent index is valid once every partition has its index
SELECT c.relname, i.indisvalid
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE c.relname LIKE 'readings%idx' ORDER BY 1;

-- with more partitions the recipe shows three of them
CREATE TABLE readings_p4 PARTITION OF readings FOR VALUES FROM (9000) TO (12000);
CREATE TABLE readings_p5 PARTITION OF readings FOR VALUES FROM (12000) TO (15000);
INSERT INTO readings SELECT g % 10, g, g / 10.0 FROM generate_series(9000, 14999) g;
ANALYZE readings;
CREATE UNIQUE INDEX readings_taken_key ON readings (taken);
-- CREATE INDEX ON ONLY the parent only writes the catalog
CREATE INDEX readings_value_idx ON ONLY readings (value);
SELECT indisvalid FROM pg_index WHERE indexrelid = 'readings_value_idx'::regclass;
-- a partitioned table whose partitions are small
CREATE TABLE small_parts (id bigint, k int) PARTITION BY LIST (k);
CREATE TABLE small_parts_1 PARTITION OF small_parts FOR VALUES IN (1);
INSERT INTO small_parts VALUES (1, 1), (2, 1);
CREATE INDEX small_parts_id_idx ON small_parts (id);

-- =====================================================================
-- drop_index_not_concurrent
-- =====================================================================
DROP INDEX orders_customer_idx;
SELECT show_violation('DROP INDEX orders_customer_idx');
-- the recipe, as the hint prints it
DROP INDEX CONCURRENTLY IF EXISTS public.orders_customer_idx;
-- CASCADE: the recipe says what to do about it
DROP INDEX orders_total_idx CASCADE;
-- several indexes: the one on the large table is reported
DROP INDEX tiny_note_idx, orders_total_idx;
DROP INDEX CONCURRENTLY orders_total_idx;

-- exempt: the table was created in this transaction
BEGIN;
CREATE TABLE orders_copy AS SELECT * FROM orders;
CREATE INDEX orders_copy_customer_idx ON orders_copy (customer_id);
DROP INDEX orders_copy_customer_idx;
ROLLBACK;
-- exempt: the index was created in this transaction
BEGIN;
SET LOCAL schemaguard.allow = 'index_not_concurrent';
CREATE INDEX orders_customer_idx ON orders (customer_id);
RESET schemaguard.allow;
DROP INDEX orders_customer_idx;
ROLLBACK;
-- exempt: small table
DROP INDEX tiny_note_idx;
-- exempt: temporary table
CREATE TEMP TABLE orders_tmp AS SELECT * FROM orders;
CREATE INDEX orders_tmp_customer_idx ON orders_tmp (customer_id);
DROP INDEX orders_tmp_customer_idx;
DROP TABLE orders_tmp;
-- allowed deliberately
CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
BEGIN;
SET LOCAL schemaguard.allow = 'drop_index_not_concurrent';
DROP INDEX orders_customer_idx;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.allow = 'all';
DROP INDEX orders_customer_idx;
ROLLBACK;
-- warn mode
SET schemaguard.mode = warn;
DROP INDEX orders_customer_idx;
RESET schemaguard.mode;
CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
-- per-rule level
SET schemaguard.rules = 'drop_index_not_concurrent=warn';
DROP INDEX orders_customer_idx;
CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
SET schemaguard.rules = 'drop_index_not_concurrent=off';
DROP INDEX orders_customer_idx;
RESET schemaguard.rules;
-- assume_large_tables
CREATE INDEX tiny_note_idx ON tiny (note);
SET schemaguard.assume_large_tables = on;
DROP INDEX tiny_note_idx;
RESET schemaguard.assume_large_tables;
DROP INDEX tiny_note_idx;

-- =====================================================================
-- reindex_not_concurrent
-- =====================================================================
-- INDEX
REINDEX INDEX orders_pkey;
SELECT show_violation('REINDEX INDEX orders_pkey');
REINDEX INDEX CONCURRENTLY public.orders_pkey;
-- TABLE
REINDEX TABLE orders;
SELECT show_violation('REINDEX TABLE orders');
REINDEX TABLE CONCURRENTLY public.orders;
-- the option-list spelling
REINDEX (CONCURRENTLY) INDEX orders_pkey;
REINDEX (CONCURRENTLY false) INDEX orders_pkey;
REINDEX (CONCURRENTLY true) TABLE orders;
-- a partitioned table
REINDEX TABLE readings;
-- SCHEMA: every table in it, the largest is named
CREATE SCHEMA shop;
CREATE TABLE shop.items (id bigint PRIMARY KEY, name text);
INSERT INTO shop.items SELECT g, 'item ' || g FROM generate_series(1, 4000) g;
CREATE TABLE shop.carts (id bigint PRIMARY KEY, item_id bigint);
INSERT INTO shop.carts SELECT g, g FROM generate_series(1, 2000) g;
CREATE TABLE shop.notes (id bigint PRIMARY KEY);
INSERT INTO shop.notes VALUES (1);
ANALYZE shop.items, shop.carts, shop.notes;
REINDEX SCHEMA shop;
SELECT show_sqlstate('REINDEX SCHEMA shop');
REINDEX SCHEMA CONCURRENTLY shop;

-- exempt: created in this transaction
BEGIN;
CREATE TABLE orders_copy AS SELECT * FROM orders;
CREATE INDEX orders_copy_customer_idx ON orders_copy (customer_id);
REINDEX TABLE orders_copy;
REINDEX INDEX orders_copy_customer_idx;
ROLLBACK;
-- exempt: small tables
REINDEX TABLE tiny;
REINDEX INDEX shop.notes_pkey;
CREATE SCHEMA shop_small;
CREATE TABLE shop_small.t1 (id bigint PRIMARY KEY);
INSERT INTO shop_small.t1 VALUES (1), (2);
CREATE TABLE shop_small.t2 (id bigint PRIMARY KEY);
INSERT INTO shop_small.t2 VALUES (1), (2);
ANALYZE shop_small.t1, shop_small.t2;
REINDEX SCHEMA shop_small;
-- exempt: temporary table
CREATE TEMP TABLE orders_tmp AS SELECT * FROM orders;
CREATE INDEX orders_tmp_customer_idx ON orders_tmp (customer_id);
REINDEX TABLE orders_tmp;
REINDEX INDEX orders_tmp_customer_idx;
DROP TABLE orders_tmp;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'reindex_not_concurrent';
REINDEX INDEX orders_pkey;
REINDEX TABLE orders;
COMMIT;
-- REINDEX SCHEMA cannot run in a transaction block, so SET LOCAL cannot
-- allow it; a session-level SET can
SET schemaguard.allow = 'reindex_not_concurrent';
REINDEX SCHEMA shop;
RESET schemaguard.allow;
BEGIN;
SET LOCAL schemaguard.allow = 'all';
REINDEX TABLE orders;
COMMIT;
-- warn mode
SET schemaguard.mode = warn;
REINDEX TABLE orders;
RESET schemaguard.mode;
-- per-rule level
SET schemaguard.rules = 'reindex_not_concurrent=warn';
REINDEX INDEX orders_pkey;
SET schemaguard.rules = 'reindex_not_concurrent=off';
REINDEX INDEX orders_pkey;
RESET schemaguard.rules;
-- assume_large_tables
SET schemaguard.assume_large_tables = on;
REINDEX TABLE tiny;
REINDEX SCHEMA shop_small;
RESET schemaguard.assume_large_tables;

-- =====================================================================
-- invalid_index_left
-- =====================================================================
-- a CREATE UNIQUE INDEX CONCURRENTLY that fails on duplicates leaves an
-- INVALID index behind
CREATE UNIQUE INDEX CONCURRENTLY orders_status_key ON orders (status);
SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_status_key'::regclass;
-- IF NOT EXISTS would skip the statement and leave no usable index
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_status_key ON orders (status);
-- without IF NOT EXISTS the server would refuse the name: the hint says why
CREATE INDEX CONCURRENTLY orders_status_key ON orders (status);
-- the recipe, as the hint prints it
DROP INDEX CONCURRENTLY IF EXISTS public.orders_status_key;
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_status_key ON orders (status);
SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_status_key'::regclass;
-- passes: a valid index of that name (IF NOT EXISTS skips it, rightly)
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_status_key ON orders (status);
DROP INDEX CONCURRENTLY orders_status_key;
-- not size-aware: an INVALID index on a small table is just as useless
CREATE UNIQUE INDEX CONCURRENTLY tiny_note_key ON tiny ((note IS NOT NULL));
CREATE INDEX CONCURRENTLY IF NOT EXISTS tiny_note_key ON tiny (note);
-- allowed deliberately: the server skips it, as it says
SET schemaguard.allow = 'invalid_index_left';
CREATE INDEX CONCURRENTLY IF NOT EXISTS tiny_note_key ON tiny (note);
RESET schemaguard.allow;
DROP INDEX CONCURRENTLY tiny_note_key;

-- clean up
SET schemaguard.mode = off;
DROP SCHEMA shop, shop_small CASCADE;
DROP MATERIALIZED VIEW order_totals;
DROP TABLE orders, tiny, empty_tbl, readings, small_parts;
DROP FUNCTION show_violation(text), show_sqlstate(text);
RESET schemaguard.mode;

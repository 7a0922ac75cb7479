--
-- odd_statements: statements and contexts the hook must survive and get
-- right.  Nothing here may crash the backend: the last query of the file
-- still runs in the same session.
--
SET schemaguard.table_size_threshold = '64kB';

CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, status text);
INSERT INTO orders
SELECT g, g % 100, CASE WHEN g % 3 = 0 THEN 'paid' ELSE 'open' END
  FROM generate_series(1, 5000) g;
ANALYZE orders;
CREATE TABLE empty_tbl (id bigint, note text);
SELECT pg_backend_pid() AS first_pid \gset

-- =====================================================================
-- settings statements
-- =====================================================================
-- RESET ALL puts the threshold back to 1MB: orders is small again
RESET ALL;
SHOW schemaguard.table_size_threshold;
CREATE INDEX orders_status_idx ON orders (status);
DROP INDEX orders_status_idx;
SET schemaguard.table_size_threshold = '64kB';
-- DISCARD ALL does the same
DISCARD ALL;
SHOW schemaguard.table_size_threshold;
SET schemaguard.table_size_threshold = '64kB';
SET LOCAL schemaguard.mode = warn;   -- outside a transaction: no effect
SHOW schemaguard.mode;

-- =====================================================================
-- privileges
-- =====================================================================
GRANT SELECT ON orders TO PUBLIC;
REVOKE SELECT ON orders FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO PUBLIC;
ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE SELECT ON TABLES FROM PUBLIC;

-- =====================================================================
-- CREATE SCHEMA with embedded elements: everything is new
-- =====================================================================
CREATE SCHEMA shop
    CREATE TABLE items (id bigint, name text)
    CREATE INDEX items_name_idx ON items (name)
    CREATE VIEW item_names AS SELECT name FROM items;
BEGIN;
CREATE SCHEMA shop2
    CREATE TABLE items (id bigint, name text)
    CREATE INDEX items_name_idx ON items (name)
    CREATE VIEW item_names AS SELECT name FROM items;
ROLLBACK;
SELECT c.relname, c.relkind FROM pg_class c
 WHERE c.relnamespace = 'shop'::regnamespace ORDER BY 1;
-- generated subcommands of CREATE TABLE (LIKE ... INCLUDING ALL)
CREATE TABLE orders_like (LIKE orders INCLUDING ALL);
CREATE TABLE orders_part (id bigint, k int, PRIMARY KEY (id, k)) PARTITION BY LIST (k);
CREATE TABLE orders_part_1 PARTITION OF orders_part FOR VALUES IN (1);

-- =====================================================================
-- DDL in DO blocks, functions and procedures
-- =====================================================================
-- blocked: the error carries the CONTEXT of the statement
DO $$
BEGIN
    CREATE INDEX orders_customer_idx ON orders (customer_id);
END $$;
-- allowed: the table is created in the same block
DO $$
BEGIN
    CREATE TABLE do_tbl AS SELECT * FROM orders;
    CREATE INDEX do_tbl_customer_idx ON do_tbl (customer_id);
    ALTER TABLE do_tbl RENAME COLUMN status TO state;
END $$;
-- dynamic SQL
DO $$
BEGIN
    EXECUTE format('ALTER TABLE %I RENAME COLUMN %I TO %I', 'orders', 'status', 'state');
END $$;
-- allowed deliberately inside the block
DO $$
BEGIN
    SET LOCAL schemaguard.allow = 'index_not_concurrent';
    CREATE INDEX orders_customer_idx ON orders (customer_id);
    RESET schemaguard.allow;
    DROP INDEX orders_customer_idx;
END $$;
-- the violation can be trapped like any error
DO $$
BEGIN
    ALTER TABLE orders RENAME TO orders_old;
EXCEPTION WHEN SQLSTATE 'SG001' THEN
    RAISE NOTICE 'caught %', SQLERRM;
END $$;
-- plpgsql functions
CREATE FUNCTION add_customer_index() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CREATE INDEX orders_customer_idx ON orders (customer_id);
END $$;
SELECT add_customer_index();
CREATE FUNCTION make_scratch() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    CREATE TABLE scratch AS SELECT * FROM orders;
    CREATE INDEX scratch_customer_idx ON scratch (customer_id);
    ALTER TABLE scratch ADD COLUMN created_at timestamptz DEFAULT clock_timestamp();
    SELECT count(*) INTO n FROM scratch;
    RETURN n;
END $$;
SELECT make_scratch();
-- SQL-language functions run utility statements too
CREATE FUNCTION sql_ddl() RETURNS void LANGUAGE sql AS $$
    SELECT 1;
    CREATE INDEX orders_customer_idx ON orders (customer_id);
$$;
SELECT sql_ddl();
-- procedures
CREATE PROCEDURE rename_status() LANGUAGE plpgsql AS $$
BEGIN
    ALTER TABLE orders RENAME COLUMN status TO state;
END $$;
CALL rename_status();
-- nested calls: CONTEXT shows every level
CREATE FUNCTION outer_fn() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM add_customer_index();
END $$;
SELECT outer_fn();

-- =====================================================================
-- transactions
-- =====================================================================
-- an aborted transaction: the statement is not even looked at
BEGIN;
SELECT 1/0;
CREATE INDEX orders_customer_idx ON orders (customer_id);
ROLLBACK;
-- a violation aborts the transaction; a savepoint recovers from it
BEGIN;
SAVEPOINT before_index;
CREATE INDEX orders_customer_idx ON orders (customer_id);
ROLLBACK TO SAVEPOINT before_index;
SELECT count(*) FROM orders;
COMMIT;
-- created in a subtransaction that was released: still this transaction's
BEGIN;
SAVEPOINT s1;
CREATE TABLE sub_tbl AS SELECT * FROM orders;
RELEASE SAVEPOINT s1;
CREATE INDEX sub_tbl_customer_idx ON sub_tbl (customer_id);
ROLLBACK;
-- a read-only transaction
BEGIN READ ONLY;
CREATE INDEX orders_customer_idx ON orders (customer_id);
ROLLBACK;
BEGIN READ ONLY;
CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
ROLLBACK;

-- =====================================================================
-- several statements in one query string
-- =====================================================================
-- the recipe holds only the offending statement
SELECT 1 \; CREATE INDEX orders_customer_idx ON orders (customer_id) \; SELECT 2;
SELECT 1 \; /* the report index */ CREATE INDEX orders_customer_idx ON orders USING btree (customer_id) WHERE status = 'open';
-- a comment before a statement is not part of it: the recipe still finds
-- the constraint's clause in the text
/* the status check */ ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('open', 'paid'));
-- and the index's columns
/* the status index */ CREATE INDEX orders_status_idx ON orders USING btree (status);
ALTER TABLE orders RENAME COLUMN status TO state \; SELECT 2;
-- the statements of one string share a transaction
CREATE TABLE multi_tbl AS SELECT * FROM orders \; CREATE INDEX multi_tbl_idx ON multi_tbl (customer_id) \; SELECT count(*) FROM multi_tbl;
-- a partitioned table's recipe is cut from the right statement too
CREATE TABLE parts (id bigint, k int) PARTITION BY LIST (k);
CREATE TABLE parts_1 PARTITION OF parts FOR VALUES IN (1);
INSERT INTO parts SELECT g, 1 FROM generate_series(1, 3000) g;
SELECT 1 \; CREATE INDEX parts_id_idx ON parts (id) \; SELECT 2;

-- =====================================================================
-- missing objects, IF EXISTS, IF NOT EXISTS
-- =====================================================================
ALTER TABLE IF EXISTS no_such_table ADD COLUMN x int NOT NULL;
ALTER TABLE IF EXISTS no_such_table ALTER COLUMN x SET NOT NULL;
ALTER TABLE IF EXISTS no_such_table ADD COLUMN x uuid DEFAULT gen_random_uuid();
ALTER TABLE IF EXISTS no_such_table RENAME COLUMN a TO b;
ALTER TABLE IF EXISTS no_such_table RENAME TO b;
ALTER TABLE no_such_table RENAME TO b;
DROP INDEX IF EXISTS no_such_index;
CREATE INDEX CONCURRENTLY orders_id_status_idx ON orders (id, status);
DROP INDEX IF EXISTS no_such_index, orders_id_status_idx;
DROP INDEX CONCURRENTLY IF EXISTS no_such_index;
DROP INDEX CONCURRENTLY IF EXISTS orders_id_status_idx;
DROP INDEX no_such_index;
DROP INDEX orders;
CREATE INDEX no_such_table_idx ON no_such_table (id);
CREATE INDEX IF NOT EXISTS orders_customer_idx ON orders (customer_id);
REINDEX TABLE no_such_table;
REINDEX INDEX no_such_index;
REINDEX SCHEMA no_such_schema;
ALTER SCHEMA no_such_schema RENAME TO x;
ALTER TYPE no_such_type RENAME VALUE 'a' TO 'b';
ALTER TABLE orders ALTER COLUMN no_such_column SET NOT NULL;
-- (the server's DETAIL and HINT for a missing function differ from 19 on)
\set VERBOSITY terse
ALTER TABLE orders ADD COLUMN x int DEFAULT no_such_function();
\set VERBOSITY default

-- =====================================================================
-- one ALTER TABLE, two rules
-- =====================================================================
-- enforce: one violation is enough to end the statement
ALTER TABLE orders ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp(),
    ALTER COLUMN customer_id SET NOT NULL;
-- allowing one of them is not enough
BEGIN;
SET LOCAL schemaguard.allow = 'add_column_volatile_default';
ALTER TABLE orders ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp(),
    ALTER COLUMN customer_id SET NOT NULL;
ROLLBACK;
-- warn: both are reported, and the statement runs
CREATE TABLE orders_copy AS SELECT * FROM orders ORDER BY id;
ANALYZE orders_copy;
SET schemaguard.mode = warn;
ALTER TABLE orders_copy ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp(),
    ALTER COLUMN customer_id SET NOT NULL;
RESET schemaguard.mode;
SELECT attname, attnotnull FROM pg_attribute
 WHERE attrelid = 'orders_copy'::regclass AND attname IN ('customer_id', 'seen_at')
 ORDER BY attname;

-- =====================================================================
-- statements no rule looks at pass untouched
-- =====================================================================
COMMENT ON TABLE orders IS 'all orders';
COMMENT ON COLUMN orders.status IS 'open or paid';
VACUUM orders;
ANALYZE orders;
VACUUM (ANALYZE) orders;
CHECKPOINT;
TRUNCATE empty_tbl;
LISTEN sg_regress_channel;
NOTIFY sg_regress_other_channel, 'hello';
UNLISTEN *;
PREPARE count_orders AS SELECT count(*) FROM orders WHERE status = $1;
EXECUTE count_orders('paid');
DEALLOCATE count_orders;
EXPLAIN (COSTS OFF) SELECT * FROM orders WHERE id = 1;
EXPLAIN (COSTS OFF) CREATE TABLE orders_paid AS SELECT * FROM orders WHERE status = 'paid';
BEGIN;
CREATE TABLE orders_paid AS SELECT * FROM orders WHERE status = 'paid';
CREATE INDEX orders_paid_id_idx ON orders_paid (id);
SELECT * INTO orders_open FROM orders WHERE status = 'open';
CREATE INDEX orders_open_id_idx ON orders_open (id);
COMMIT;
-- once committed they are tables like any other (VACUUM: the same size on
-- every version, without the empty pages bulk loading adds on 16+)
VACUUM orders_open;
CREATE INDEX orders_open_status_idx ON orders_open (status);
COPY (SELECT id, status FROM orders WHERE id <= 3 ORDER BY id) TO STDOUT;
COPY empty_tbl FROM STDIN;
1	one
2	two
\.
SELECT * FROM empty_tbl ORDER BY id;
CREATE MATERIALIZED VIEW order_counts AS SELECT status, count(*) FROM orders GROUP BY status;
CREATE INDEX order_counts_status_idx ON order_counts (status);
CREATE SEQUENCE order_no;
ALTER SEQUENCE order_no RESTART WITH 100;
ALTER TABLE orders ALTER COLUMN status SET STATISTICS 200;
ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'open';
ALTER TABLE orders ADD COLUMN note text;
ALTER INDEX orders_pkey SET (fillfactor = 90);
CREATE VIEW open_orders AS SELECT * FROM orders WHERE status = 'open';
CREATE OR REPLACE VIEW open_orders AS SELECT * FROM orders WHERE status = 'open';
SET search_path = public;
SHOW search_path;

-- =====================================================================
-- extension scripts
-- =====================================================================
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE EXTENSION citext VERSION '1.4';
ALTER EXTENSION citext UPDATE TO '1.6';
SELECT extname, extversion FROM pg_extension
 WHERE extname IN ('pg_trgm', 'hstore', 'citext') ORDER BY extname;
-- an index that uses the extension is guarded as usual
CREATE INDEX orders_status_trgm_idx ON orders USING gin (status gin_trgm_ops);
CREATE INDEX CONCURRENTLY orders_status_trgm_idx ON orders USING gin (status gin_trgm_ops);
DROP EXTENSION pg_trgm;
DROP INDEX CONCURRENTLY orders_status_trgm_idx;
DROP EXTENSION pg_trgm, hstore, citext;

-- =====================================================================
-- a statement parsed under other settings than it runs with
-- =====================================================================
-- A multi-statement string is parsed before its SET runs: here the
-- literal 'a\' was read with standard-conforming strings, and the
-- statement runs after they were turned off (which 19 no longer allows;
-- the query reports true where it did what the version allows).
-- schemaguard's own reading of the text must not fail the statement, the
-- recipe comes from the reading that works, and the changelog redacts
-- every literal.
CREATE FOREIGN DATA WRAPPER odd_fdw;
SELECT CASE WHEN current_setting('server_version_num')::int < 190000
            THEN set_config('standard_conforming_strings', 'off', false) END
       IS NOT DISTINCT FROM
       CASE WHEN current_setting('server_version_num')::int < 190000
            THEN 'off' END AS conforming_strings_off_where_possible \;
CREATE SERVER odd_server FOREIGN DATA WRAPPER odd_fdw OPTIONS (host 'a\', dbname 'x');
SELECT statement FROM schemaguard.changelog ORDER BY id DESC LIMIT 1;
RESET standard_conforming_strings;
-- in warn mode, the recipe of a blocked CREATE INDEX with such a literal
BEGIN;
SET LOCAL schemaguard.mode = warn;
SELECT CASE WHEN current_setting('server_version_num')::int < 190000
            THEN set_config('standard_conforming_strings', 'off', true) END
       IS NOT DISTINCT FROM
       CASE WHEN current_setting('server_version_num')::int < 190000
            THEN 'off' END AS conforming_strings_off_where_possible \;
CREATE INDEX orders_odd_status_idx ON orders (id) WHERE status <> 'a\';
ROLLBACK;
DROP SERVER odd_server;
DROP FOREIGN DATA WRAPPER odd_fdw;

-- still the same backend: nothing crashed
SELECT pg_backend_pid() = :first_pid AS same_backend;

-- clean up
SET schemaguard.mode = off;
DROP SCHEMA shop CASCADE;
DROP TABLE orders, empty_tbl, orders_like, orders_part, do_tbl, scratch,
    parts, multi_tbl, orders_copy, orders_paid, orders_open CASCADE;
DROP SEQUENCE order_no;
DROP FUNCTION add_customer_index(), make_scratch(), sql_ddl(), outer_fn();
DROP PROCEDURE rename_status();
RESET schemaguard.mode;

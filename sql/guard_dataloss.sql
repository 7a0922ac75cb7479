--
-- guard_dataloss: drop_table (also through DROP SCHEMA ... CASCADE),
-- drop_column, drop_database and truncate.
--
-- The data-loss rules do not depend on the size of a table: any table with
-- a row counts; an empty table is exempt (unless
-- schemaguard.assume_large_tables is on).
--
SET schemaguard.table_size_threshold = '64kB';

CREATE TABLE customers (id bigint PRIMARY KEY, name text, legacy_code text);
INSERT INTO customers SELECT g, 'Customer ' || g, 'L' || g FROM generate_series(1, 2000) g;
CREATE TABLE orders (id bigint PRIMARY KEY,
                     customer_id bigint REFERENCES customers (id),
                     note text);
INSERT INTO orders SELECT g, g % 2000 + 1, 'note ' || g FROM generate_series(1, 5000) g;
CREATE TABLE order_lines (id bigint PRIMARY KEY,
                          order_id bigint REFERENCES orders (id));
INSERT INTO order_lines SELECT g, g FROM generate_series(1, 5000) g;
CREATE TABLE suppliers (id bigint PRIMARY KEY, name text);
INSERT INTO suppliers SELECT g, 'Supplier ' || g FROM generate_series(1, 100) g;
CREATE TABLE supplier_notes (id bigint PRIMARY KEY,
                             supplier_id bigint REFERENCES suppliers (id));
CREATE TABLE tiny (id bigint, note text);
INSERT INTO tiny VALUES (1, 'one');
CREATE TABLE empty_tbl (id bigint, note text);
ANALYZE customers, orders, order_lines, suppliers, tiny;

SELECT relname, pg_size_pretty(pg_relation_size(oid)) AS size, reltuples
  FROM pg_class
 WHERE relname IN ('customers', 'orders', 'order_lines', 'suppliers', 'supplier_notes',
                   'tiny', 'empty_tbl')
 ORDER BY relname;

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

-- =====================================================================
-- drop_table
-- =====================================================================
DROP TABLE order_lines;
SELECT show_violation('DROP TABLE order_lines');
-- size does not matter: one row is enough
DROP TABLE tiny;
-- several tables: the non-empty one is reported
DROP TABLE IF EXISTS no_such_table, empty_tbl, tiny;
-- a partitioned table whose partitions have rows
CREATE TABLE readings (id bigint NOT NULL, v int) PARTITION BY RANGE (id);
CREATE TABLE readings_1 PARTITION OF readings FOR VALUES FROM (1) TO (1001);
CREATE TABLE readings_2 PARTITION OF readings FOR VALUES FROM (1001) TO (2001);
INSERT INTO readings VALUES (1500, 1);
DROP TABLE readings;
-- the recipe, as the hint prints it (after pg_dump, which cannot run here)
BEGIN; SET LOCAL schemaguard.allow = 'drop_table'; DROP TABLE public.tiny; COMMIT;
SELECT to_regclass('tiny') AS tiny;
CREATE TABLE tiny (id bigint, note text);
INSERT INTO tiny VALUES (1, 'one');

-- DROP SCHEMA ... CASCADE drops the tables in it
CREATE SCHEMA archive;
CREATE TABLE archive.orders_2023 (id bigint, total numeric);
INSERT INTO archive.orders_2023 SELECT g, g FROM generate_series(1, 100) g;
CREATE TABLE archive.empty_2022 (id bigint);
DROP SCHEMA archive CASCADE;
SELECT show_violation('DROP SCHEMA archive CASCADE');
-- without CASCADE the server refuses on its own
DROP SCHEMA archive;
-- the recipe, as the hint prints it
BEGIN; SET LOCAL schemaguard.allow = 'drop_table'; DROP SCHEMA archive CASCADE; COMMIT;
SELECT to_regnamespace('archive') AS archive;
-- a schema with only empty tables
CREATE SCHEMA staging;
CREATE TABLE staging.load_1 (id bigint);
CREATE TABLE staging.load_2 (id bigint);
DROP SCHEMA staging CASCADE;

-- exempt: empty table
DROP TABLE empty_tbl;
CREATE TABLE empty_tbl (id bigint, note text);
-- exempt: empty partitioned table
DELETE FROM readings;
DROP TABLE readings;
-- exempt: created in this transaction
BEGIN;
CREATE TABLE orders_copy AS SELECT * FROM orders;
DROP TABLE orders_copy;
COMMIT;
-- exempt: temporary table
CREATE TEMP TABLE orders_tmp AS SELECT * FROM orders;
DROP TABLE orders_tmp;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'drop_table';
DROP TABLE order_lines;
ROLLBACK;
-- warn mode
BEGIN;
SET LOCAL schemaguard.mode = warn;
DROP TABLE order_lines;
ROLLBACK;
-- per-rule level
BEGIN;
SET LOCAL schemaguard.rules = 'drop_table=warn';
DROP TABLE order_lines;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.rules = 'drop_table=off';
DROP TABLE order_lines;
ROLLBACK;
-- assume_large_tables: an empty table counts as non-empty
SET schemaguard.assume_large_tables = on;
DROP TABLE empty_tbl;
RESET schemaguard.assume_large_tables;

-- =====================================================================
-- drop_column
-- =====================================================================
ALTER TABLE customers DROP COLUMN legacy_code;
SELECT show_violation('ALTER TABLE customers DROP COLUMN legacy_code');
-- one row is enough
ALTER TABLE tiny DROP COLUMN note;
-- IF EXISTS of a missing column: nothing to lose
ALTER TABLE customers DROP COLUMN IF EXISTS no_such_column;
-- the recipe, as the hint prints it: the copy with psql's \copy (into
-- results/ here), then the drop; the copy reads back
\copy (SELECT id, legacy_code FROM public.customers) TO results/customers_legacy_code.csv WITH (FORMAT csv, HEADER)
BEGIN; SET LOCAL schemaguard.allow = 'drop_column'; ALTER TABLE public.customers DROP COLUMN legacy_code; COMMIT;
CREATE TEMP TABLE legacy_code_copy (id bigint, legacy_code text);
\copy legacy_code_copy FROM results/customers_legacy_code.csv WITH (FORMAT csv, HEADER)
SELECT count(*), count(legacy_code) AS with_code FROM legacy_code_copy;

-- exempt: empty table
ALTER TABLE empty_tbl DROP COLUMN note;
ALTER TABLE empty_tbl ADD COLUMN note text;
-- exempt: created in this transaction
BEGIN;
CREATE TABLE orders_copy AS SELECT * FROM orders;
ALTER TABLE orders_copy DROP COLUMN note;
ROLLBACK;
-- exempt: temporary table
CREATE TEMP TABLE orders_tmp AS SELECT * FROM orders;
ALTER TABLE orders_tmp DROP COLUMN note;
DROP TABLE orders_tmp;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'drop_column';
ALTER TABLE orders DROP COLUMN note;
ROLLBACK;
-- warn mode
BEGIN;
SET LOCAL schemaguard.mode = warn;
ALTER TABLE orders DROP COLUMN note;
ROLLBACK;
-- per-rule level
BEGIN;
SET LOCAL schemaguard.rules = 'drop_column=warn';
ALTER TABLE orders DROP COLUMN note;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.rules = 'drop_column=off';
ALTER TABLE orders DROP COLUMN note;
ROLLBACK;
-- assume_large_tables
SET schemaguard.assume_large_tables = on;
ALTER TABLE empty_tbl DROP COLUMN note;
RESET schemaguard.assume_large_tables;

-- =====================================================================
-- drop_database
-- =====================================================================
CREATE DATABASE regression_schemaguard_throwaway;
DROP DATABASE regression_schemaguard_throwaway;
-- SQLSTATE SG001
\set VERBOSITY sqlstate
DROP DATABASE regression_schemaguard_throwaway;
\set VERBOSITY default
-- a database that does not exist: nothing to lose
DROP DATABASE IF EXISTS regression_schemaguard_no_such_db;
-- DROP DATABASE cannot run in a transaction block, so SET LOCAL cannot
-- allow it ...
BEGIN;
SET LOCAL schemaguard.allow = 'drop_database';
DROP DATABASE regression_schemaguard_throwaway;
ROLLBACK;
-- ... the hint says how: SET, run the statement, RESET
SET schemaguard.allow = 'drop_database';
DROP DATABASE regression_schemaguard_throwaway;
RESET schemaguard.allow;
SELECT count(*) FROM pg_database WHERE datname = 'regression_schemaguard_throwaway';
-- warn mode
CREATE DATABASE regression_schemaguard_throwaway;
SET schemaguard.mode = warn;
DROP DATABASE regression_schemaguard_throwaway;
RESET schemaguard.mode;
-- per-rule level
CREATE DATABASE regression_schemaguard_throwaway;
SET schemaguard.rules = 'drop_database=off';
DROP DATABASE regression_schemaguard_throwaway;
RESET schemaguard.rules;
SELECT count(*) FROM pg_database WHERE datname = 'regression_schemaguard_throwaway';

-- =====================================================================
-- truncate
-- =====================================================================
-- a warning, and the statement runs
BEGIN;
TRUNCATE order_lines;
SELECT count(*) FROM order_lines;
ROLLBACK;
-- SQLSTATE SG002
\set VERBOSITY sqlstate
BEGIN;
TRUNCATE order_lines;
ROLLBACK;
\set VERBOSITY default
-- size does not matter
BEGIN;
TRUNCATE tiny;
ROLLBACK;
-- CASCADE that reaches other non-empty tables is an error
BEGIN;
TRUNCATE customers CASCADE;
ROLLBACK;
BEGIN;
TRUNCATE orders CASCADE;
ROLLBACK;
-- CASCADE that reaches only empty tables: the warning for the named table
BEGIN;
TRUNCATE suppliers CASCADE;
ROLLBACK;
-- naming every table (the CASCADE recipe): warnings only
BEGIN;
TRUNCATE customers, orders, order_lines;
SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM orders)
     + (SELECT count(*) FROM order_lines) AS rows_left;
ROLLBACK;
-- the recipe for a plain TRUNCATE, as the hint prints it (its copy is a
-- pg_dump in a shell), rolled back here so that the rows stay for what
-- follows
BEGIN; SET LOCAL schemaguard.allow = 'truncate'; TRUNCATE order_lines; ROLLBACK;
SELECT count(*) FROM order_lines;

-- exempt: empty table
TRUNCATE empty_tbl;
TRUNCATE supplier_notes CASCADE;
-- exempt: created in this transaction
BEGIN;
CREATE TABLE orders_copy AS SELECT * FROM orders;
TRUNCATE orders_copy;
ROLLBACK;
-- exempt: temporary table
CREATE TEMP TABLE orders_tmp AS SELECT * FROM orders;
TRUNCATE orders_tmp;
DROP TABLE orders_tmp;
-- allowed deliberately: the CASCADE error too
BEGIN;
SET LOCAL schemaguard.allow = 'truncate';
TRUNCATE customers CASCADE;
ROLLBACK;
-- warn mode: the CASCADE error becomes a warning
BEGIN;
SET LOCAL schemaguard.mode = warn;
TRUNCATE orders CASCADE;
ROLLBACK;
-- per-rule level
BEGIN;
SET LOCAL schemaguard.rules = 'truncate=error';
TRUNCATE order_lines;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.rules = 'truncate=off';
TRUNCATE customers CASCADE;
ROLLBACK;
-- assume_large_tables: an empty table counts as non-empty
BEGIN;
SET LOCAL schemaguard.assume_large_tables = on;
TRUNCATE empty_tbl;
ROLLBACK;

-- =====================================================================
-- what the server drops, whatever the statement's form
-- =====================================================================
-- The server reports every object it is about to delete (object access
-- hook, OAT_DROP): tables and columns that go with an object they depend
-- on are judged by drop_table and drop_column too, before anything is gone.
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_dl_alice;
RESET client_min_messages;
CREATE ROLE regress_dl_alice;
CREATE SCHEMA dl;
GRANT ALL ON SCHEMA dl TO regress_dl_alice;
CREATE TYPE dl.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN dl.positive AS int CHECK (VALUE > 0);
CREATE TYPE dl.pair AS (a int, b text);
CREATE TABLE dl.people (id bigint PRIMARY KEY, mood dl.mood, score dl.positive);
INSERT INTO dl.people SELECT g, 'ok', g FROM generate_series(1, 100) g;
CREATE TABLE dl.pairs OF dl.pair;
INSERT INTO dl.pairs VALUES (1, 'one');
CREATE TABLE dl.empty_people (id bigint, mood dl.mood);
-- a partitioned table whose partitions live in another schema
CREATE TABLE dl.events (id bigint, day date) PARTITION BY RANGE (day);
CREATE SCHEMA dl_parts;
CREATE TABLE dl_parts.events_2026 PARTITION OF dl.events
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO dl.events SELECT g, date '2026-01-01' + g % 300 FROM generate_series(1, 1000) g;
-- an inheritance child
CREATE TABLE dl.base (id bigint);
CREATE TABLE dl.child () INHERITS (dl.base);
INSERT INTO dl.child VALUES (1);
-- a table of its own for alice
SET ROLE regress_dl_alice;
CREATE TABLE dl.alice_notes (id bigint, note text);
INSERT INTO dl.alice_notes VALUES (1, 'mine');
-- the guard refuses her DROP TABLE ...
DROP TABLE dl.alice_notes;
RESET ROLE;
-- ... and DROP OWNED BY, which would drop the same table
DROP OWNED BY regress_dl_alice;
-- a type, a domain, a composite type's attribute: the columns of that type
-- (drop_type would stop these first, for the column of the empty table
-- CASCADE drops with the type: off here, see guard_compat_drop)
SET schemaguard.rules = 'drop_type=off';
DROP TYPE dl.mood CASCADE;
DROP DOMAIN dl.positive CASCADE;
ALTER TYPE dl.pair DROP ATTRIBUTE b CASCADE;
-- the partitions of a table elsewhere
DROP SCHEMA dl_parts CASCADE;
-- an inheritance child that CASCADE reaches
DROP TABLE dl.base CASCADE;
-- an extension, and the columns of its type
CREATE EXTENSION citext;
CREATE TABLE dl.emails (id bigint, address citext);
INSERT INTO dl.emails VALUES (1, 'a@example.com');
DROP EXTENSION citext CASCADE;
-- the error fields name the table and the column
SELECT show_violation('DROP TYPE dl.mood CASCADE');
RESET schemaguard.rules;
-- nothing is lost: every table and column is still there
SELECT count(*) AS people, count(mood) AS moods, count(score) AS scores FROM dl.people;
SELECT count(*) AS pairs_with_b FROM dl.pairs WHERE b IS NOT NULL;
SELECT count(*) AS events FROM dl.events;
SELECT count(*) AS children FROM dl.child;
SELECT count(*) AS alice_notes FROM dl.alice_notes;
SELECT count(*) AS emails FROM dl.emails;
-- exempt: an empty table.  Once people's mood column is gone (allowed),
-- the type takes only empty_people's with it, which has no row
-- (drop_type, not a data-loss rule, judges that column: allowed here)
BEGIN;
SET LOCAL schemaguard.allow = 'drop_column';
ALTER TABLE dl.people DROP COLUMN mood;
SET LOCAL schemaguard.allow = 'drop_type';
DROP TYPE dl.mood CASCADE;
ROLLBACK;
-- exempt: created in this transaction
BEGIN;
CREATE TYPE dl.color AS ENUM ('red');
CREATE TABLE dl.paint (id bigint, color dl.color);
INSERT INTO dl.paint VALUES (1, 'red');
DROP TYPE dl.color CASCADE;
ROLLBACK;
-- allowed deliberately: the statement runs
BEGIN;
SET LOCAL schemaguard.allow = 'drop_table';
DROP SCHEMA dl_parts CASCADE;
SELECT count(*) AS events_left FROM dl.events;
ROLLBACK;
-- warn mode: a warning for each, and the statement runs
BEGIN;
SET LOCAL schemaguard.mode = warn;
DROP TYPE dl.mood CASCADE;
DROP TABLE dl.base CASCADE;
ROLLBACK;
-- per-rule level
BEGIN;
SET LOCAL schemaguard.rules = 'drop_column=off';
ALTER TYPE dl.pair DROP ATTRIBUTE b CASCADE;
ROLLBACK;
-- what a statement judged is forgotten when it is done: a DROP TABLE the
-- guard refused in an exception block, or one check() linted, does not
-- let DROP OWNED through afterwards
DO $$
BEGIN
    BEGIN
        DROP TABLE dl.alice_notes;
    EXCEPTION WHEN SQLSTATE 'SG001' THEN
        RAISE NOTICE 'DROP TABLE refused';
    END;
    DROP OWNED BY regress_dl_alice;
END
$$;
DO $$
BEGIN
    PERFORM schemaguard.check('DROP TABLE dl.alice_notes');
    DROP OWNED BY regress_dl_alice;
END
$$;
SELECT count(*) AS alice_notes FROM dl.alice_notes;
-- a statement the parse-tree rule judged is not judged twice
BEGIN;
SET LOCAL schemaguard.mode = warn;
DROP TABLE dl.events;
ROLLBACK;
SET schemaguard.mode = off;
DROP SCHEMA dl, dl_parts CASCADE;
DROP EXTENSION citext CASCADE;
DROP OWNED BY regress_dl_alice;
DROP ROLE regress_dl_alice;
RESET schemaguard.mode;

-- clean up
SET schemaguard.mode = off;
DROP TABLE order_lines, orders, customers, supplier_notes, suppliers, tiny, empty_tbl;
DROP FUNCTION show_violation(text);
RESET schemaguard.mode;

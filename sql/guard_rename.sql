--
-- guard_rename: rename_column, rename_relation, rename_schema and
-- rename_enum_value.
--
-- These rules are not size-aware: renaming breaks every client that uses
-- the old name, however small the table.  So the small-table exemption and
-- schemaguard.assume_large_tables do not apply; the other exemptions do.
--
SET schemaguard.table_size_threshold = '64kB';

CREATE SCHEMA billing;
CREATE TYPE billing.invoice_state AS ENUM ('draft', 'sent', 'paid');
CREATE TABLE billing.invoices (
    id bigint PRIMARY KEY,
    customer text,
    amount numeric(12,2),
    state billing.invoice_state NOT NULL DEFAULT 'draft'
);
INSERT INTO billing.invoices
SELECT g, 'customer ' || (g % 300), g * 2.5, (ARRAY['draft', 'sent', 'paid'])[g % 3 + 1]::billing.invoice_state
  FROM generate_series(1, 3000) g;
ANALYZE billing.invoices;
CREATE TABLE billing.notes (id bigint, body text);
CREATE VIEW billing.big_invoices AS
SELECT id, customer, amount FROM billing.invoices WHERE amount > 1000;
CREATE MATERIALIZED VIEW billing.customer_totals AS
SELECT customer, sum(amount) AS total FROM billing.invoices GROUP BY customer;
ANALYZE billing.customer_totals;

SELECT relname, relkind, pg_size_pretty(pg_relation_size(oid)) AS size, reltuples
  FROM pg_class WHERE relnamespace = 'billing'::regnamespace AND relkind <> 'i'
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
-- for violations on objects that are not tables: SQLSTATE only
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
-- rename_column
-- =====================================================================
ALTER TABLE billing.invoices RENAME COLUMN customer TO customer_name;
SELECT show_violation('ALTER TABLE billing.invoices RENAME COLUMN customer TO customer_name');
-- the COLUMN keyword is optional
ALTER TABLE billing.invoices RENAME amount TO total;
-- not size-aware: an empty table is blocked just the same
ALTER TABLE billing.notes RENAME COLUMN body TO text_body;
-- a view's column
ALTER TABLE billing.big_invoices RENAME COLUMN amount TO total;
ALTER VIEW billing.big_invoices RENAME COLUMN amount TO total;
-- a materialized view's column
ALTER MATERIALIZED VIEW billing.customer_totals RENAME COLUMN total TO amount;
-- a column that does not exist: the server reports it
ALTER TABLE billing.invoices RENAME COLUMN no_such_column TO x;

-- the recipe, as the hint prints it, once no running code needs the old name
BEGIN; SET LOCAL lock_timeout = '5s'; SET LOCAL schemaguard.allow = 'rename_column'; ALTER TABLE billing.invoices RENAME COLUMN customer TO customer_name; COMMIT;
-- (and back, for the rest of this file)
BEGIN; SET LOCAL schemaguard.allow = 'rename_column'; ALTER TABLE billing.invoices RENAME COLUMN customer_name TO customer; COMMIT;
-- meanwhile a view can offer both names, as the hint says
CREATE OR REPLACE VIEW billing.big_invoices AS
SELECT id, customer, amount, amount AS total FROM billing.invoices WHERE amount > 1000;

-- exempt: created in this transaction
BEGIN;
CREATE TABLE billing.invoices_new AS SELECT * FROM billing.invoices;
ALTER TABLE billing.invoices_new RENAME COLUMN customer TO client;
ROLLBACK;
-- exempt: temporary table
CREATE TEMP TABLE invoices_tmp AS SELECT * FROM billing.invoices;
ALTER TABLE invoices_tmp RENAME COLUMN customer TO client;
DROP TABLE invoices_tmp;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'rename_column';
ALTER TABLE billing.invoices RENAME COLUMN amount TO total;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.allow = 'all';
ALTER TABLE billing.invoices RENAME COLUMN amount TO total;
ROLLBACK;
-- warn mode
SET schemaguard.mode = warn;
ALTER TABLE billing.notes RENAME COLUMN body TO text_body;
RESET schemaguard.mode;
-- per-rule level
SET schemaguard.rules = 'rename_column=warn';
ALTER TABLE billing.notes RENAME COLUMN text_body TO body;
SET schemaguard.rules = 'rename_column=off';
ALTER TABLE billing.notes RENAME COLUMN body TO text_body;
ALTER TABLE billing.notes RENAME COLUMN text_body TO body;
RESET schemaguard.rules;
-- mode off
SET schemaguard.mode = off;
ALTER TABLE billing.notes RENAME COLUMN body TO text_body;
ALTER TABLE billing.notes RENAME COLUMN text_body TO body;
RESET schemaguard.mode;

-- =====================================================================
-- rename_relation
-- =====================================================================
ALTER TABLE billing.invoices RENAME TO bills;
SELECT show_violation('ALTER TABLE billing.invoices RENAME TO bills');
-- not size-aware
ALTER TABLE billing.notes RENAME TO remarks;
-- a view, spelled as a view or as a table
ALTER VIEW billing.big_invoices RENAME TO large_invoices;
ALTER TABLE billing.big_invoices RENAME TO large_invoices;
-- a materialized view
ALTER MATERIALIZED VIEW billing.customer_totals RENAME TO revenue_by_customer;
-- a foreign table (and one of its columns)
CREATE EXTENSION file_fdw;
CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE billing.import (id bigint, line text)
    SERVER files OPTIONS (filename '/nonexistent/import.csv', format 'csv');
ALTER FOREIGN TABLE billing.import RENAME TO imports;
ALTER FOREIGN TABLE billing.import RENAME COLUMN line TO body;
-- other relations are not covered by this rule
CREATE INDEX CONCURRENTLY invoices_customer_idx ON billing.invoices (customer);
ALTER INDEX billing.invoices_customer_idx RENAME TO invoices_cust_idx;
CREATE SEQUENCE billing.invoice_no;
ALTER SEQUENCE billing.invoice_no RENAME TO invoice_number;
-- a relation that does not exist
ALTER TABLE billing.no_such_table RENAME TO x;
ALTER TABLE IF EXISTS billing.no_such_table RENAME TO x;

-- the recipe, as the hint prints it
CREATE VIEW billing.bills AS SELECT * FROM billing.invoices;
-- clients move to the new name; a simple view is updatable
INSERT INTO billing.bills (id, customer, amount) VALUES (3001, 'new customer', 10);
SELECT count(*) FROM billing.invoices WHERE id = 3001;
-- and the last step, once nothing uses the old name
BEGIN; SET LOCAL schemaguard.allow = 'rename_relation, drop_view'; DROP VIEW billing.bills; ALTER TABLE billing.invoices RENAME TO bills; COMMIT;
SELECT count(*) FROM billing.bills;
-- the view depends on the table, not its name
SELECT pg_get_viewdef('billing.big_invoices'::regclass) LIKE '%bills%' AS view_follows;

-- exempt: created in this transaction
BEGIN;
CREATE TABLE billing.staging (id bigint);
ALTER TABLE billing.staging RENAME TO staging2;
CREATE VIEW billing.v_staging AS SELECT * FROM billing.staging2;
ALTER VIEW billing.v_staging RENAME TO v_staging2;
ROLLBACK;
-- exempt: temporary table
CREATE TEMP TABLE scratch (id bigint);
ALTER TABLE scratch RENAME TO scratch2;
DROP TABLE scratch2;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'rename_relation';
ALTER TABLE billing.notes RENAME TO remarks;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.allow = 'all';
ALTER VIEW billing.big_invoices RENAME TO large_invoices;
ROLLBACK;
-- warn mode
SET schemaguard.mode = warn;
ALTER TABLE billing.notes RENAME TO remarks;
RESET schemaguard.mode;
-- per-rule level
SET schemaguard.rules = 'rename_relation=warn';
ALTER TABLE billing.remarks RENAME TO notes;
SET schemaguard.rules = 'rename_relation=off';
ALTER TABLE billing.notes RENAME TO remarks;
ALTER TABLE billing.remarks RENAME TO notes;
RESET schemaguard.rules;
-- The server renames a table with ALTER INDEX, ALTER SEQUENCE or ALTER VIEW
-- ... RENAME as well: the relation's kind decides, not the statement's form
ALTER INDEX billing.notes RENAME TO notes_renamed;
ALTER SEQUENCE billing.notes RENAME TO notes_renamed;
ALTER VIEW billing.notes RENAME TO notes_renamed;
-- and the lock is the table's (missing_lock_timeout names it)
BEGIN;
SET LOCAL schemaguard.lock_timeout = 0;
SET LOCAL schemaguard.allow = 'rename_relation';
ALTER INDEX billing.notes RENAME TO notes_renamed;
ROLLBACK;
-- renaming an index, or a sequence, with any form is not reported
CREATE INDEX notes_id_idx ON billing.notes (id);
ALTER INDEX billing.notes_id_idx RENAME TO notes_id_index;
ALTER TABLE billing.notes_id_index RENAME TO notes_id_idx;
DROP INDEX billing.notes_id_idx;
CREATE SEQUENCE billing.rename_seq;
ALTER SEQUENCE billing.rename_seq RENAME TO rename_sequence;
ALTER TABLE billing.rename_sequence RENAME TO rename_seq;
DROP SEQUENCE billing.rename_seq;
-- ALTER TYPE ... RENAME ATTRIBUTE ... CASCADE renames the column of every
-- table of that type: rename_column judges each
CREATE TYPE billing.address AS (street text, city text);
CREATE TABLE billing.addresses OF billing.address;
INSERT INTO billing.addresses VALUES ('Main St 1', 'Springfield');
ALTER TYPE billing.address RENAME ATTRIBUTE city TO town CASCADE;
-- without CASCADE the server refuses on its own
ALTER TYPE billing.address RENAME ATTRIBUTE city TO town;
-- a table of the type created in this transaction is exempt
BEGIN;
CREATE TYPE billing.point2 AS (x int, y int);
CREATE TABLE billing.points OF billing.point2;
ALTER TYPE billing.point2 RENAME ATTRIBUTE x TO px CASCADE;
ROLLBACK;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'rename_column';
ALTER TYPE billing.address RENAME ATTRIBUTE city TO town CASCADE;
SELECT town FROM billing.addresses;
ROLLBACK;

-- =====================================================================
-- rename_schema
-- =====================================================================
ALTER SCHEMA billing RENAME TO accounting;
SELECT show_sqlstate('ALTER SCHEMA billing RENAME TO accounting');
-- an empty schema is blocked as well: search_path settings name it
CREATE SCHEMA reporting;
ALTER SCHEMA reporting RENAME TO reports;
-- a schema that does not exist
ALTER SCHEMA no_such_schema RENAME TO x;

-- the recipe's first lines, as the hint prints them (it lists a view for
-- every relation of the schema; the recipes suite runs all of it)
CREATE SCHEMA accounting;
CREATE VIEW accounting.bills AS SELECT * FROM billing.bills;
SELECT count(*) FROM accounting.bills;

-- exempt: created in this transaction
BEGIN;
CREATE SCHEMA tmp_schema;
ALTER SCHEMA tmp_schema RENAME TO tmp_schema2;
ROLLBACK;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'rename_schema';
ALTER SCHEMA reporting RENAME TO reports;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.allow = 'all';
ALTER SCHEMA reporting RENAME TO reports;
ROLLBACK;
-- warn mode
SET schemaguard.mode = warn;
ALTER SCHEMA reporting RENAME TO reports;
RESET schemaguard.mode;
-- per-rule level
SET schemaguard.rules = 'rename_schema=warn';
ALTER SCHEMA reports RENAME TO reporting;
SET schemaguard.rules = 'rename_schema=off';
ALTER SCHEMA reporting RENAME TO reports;
RESET schemaguard.rules;

-- =====================================================================
-- rename_enum_value
-- =====================================================================
ALTER TYPE billing.invoice_state RENAME VALUE 'sent' TO 'issued';
SELECT show_sqlstate($$ALTER TYPE billing.invoice_state RENAME VALUE 'sent' TO 'issued'$$);
-- a type that does not exist
ALTER TYPE billing.no_such_type RENAME VALUE 'a' TO 'b';
-- renaming the type itself, or adding a value, is not this rule's business
ALTER TYPE billing.invoice_state ADD VALUE 'void';

-- the recipe, as the hint prints it, once no running code writes or
-- compares 'sent': the rows follow the label
BEGIN; SET LOCAL lock_timeout = '5s'; SET LOCAL schemaguard.allow = 'rename_enum_value'; ALTER TYPE billing.invoice_state RENAME VALUE 'sent' TO 'issued'; COMMIT;
SELECT state, count(*) FROM billing.bills GROUP BY state ORDER BY state;
SELECT enum_range(NULL::billing.invoice_state);
-- (and back, for the rest of this file)
BEGIN; SET LOCAL schemaguard.allow = 'rename_enum_value'; ALTER TYPE billing.invoice_state RENAME VALUE 'issued' TO 'sent'; COMMIT;

-- exempt: created in this transaction
BEGIN;
CREATE TYPE billing.colour AS ENUM ('red', 'green');
ALTER TYPE billing.colour RENAME VALUE 'red' TO 'crimson';
ROLLBACK;
-- exempt: a type in the temporary schema
CREATE TYPE pg_temp.mood AS ENUM ('ok', 'meh');
ALTER TYPE pg_temp.mood RENAME VALUE 'meh' TO 'fine';
DROP TYPE pg_temp.mood;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'rename_enum_value';
ALTER TYPE billing.invoice_state RENAME VALUE 'sent' TO 'mailed';
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.allow = 'all';
ALTER TYPE billing.invoice_state RENAME VALUE 'sent' TO 'mailed';
ROLLBACK;
-- warn mode
SET schemaguard.mode = warn;
ALTER TYPE billing.invoice_state RENAME VALUE 'void' TO 'cancelled';
RESET schemaguard.mode;
-- per-rule level
SET schemaguard.rules = 'rename_enum_value=warn';
ALTER TYPE billing.invoice_state RENAME VALUE 'cancelled' TO 'void';
SET schemaguard.rules = 'rename_enum_value=off';
ALTER TYPE billing.invoice_state RENAME VALUE 'void' TO 'cancelled';
RESET schemaguard.rules;
SELECT enum_range(NULL::billing.invoice_state);

-- clean up
SET schemaguard.mode = off;
DROP SCHEMA billing, accounting, reports CASCADE;
DROP EXTENSION file_fdw CASCADE;
DROP FUNCTION show_violation(text), show_sqlstate(text);
RESET schemaguard.mode;

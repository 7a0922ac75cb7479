--
-- guard_compat_drop: drops that break running code even when no data is
-- lost: drop_view, drop_function, drop_type, drop_trigger, drop_default,
-- drop_not_null, drop_empty_table and drop_empty_column.
--
-- They warn by default (a routine contract step needs no exception) and
-- are errors on positive evidence of use: CASCADE would drop objects that
-- use the object, a default of a NOT NULL column, and (16 and later, see
-- guard_pg16) a recent scan of an empty table.
--
CREATE SCHEMA app;
CREATE TABLE app.orders (id bigint PRIMARY KEY, status text NOT NULL DEFAULT 'new',
                         note text DEFAULT 'none', created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO app.orders (id) SELECT g FROM generate_series(1, 100) g;
CREATE VIEW app.open_orders AS SELECT id, status FROM app.orders WHERE status = 'new';
CREATE VIEW app.open_order_ids AS SELECT id FROM app.open_orders;
CREATE VIEW app.recent_orders AS SELECT id, created_at FROM app.orders;
CREATE MATERIALIZED VIEW app.order_counts AS SELECT status, count(*) FROM app.orders GROUP BY status;
CREATE FUNCTION app.order_total(bigint) RETURNS numeric LANGUAGE sql AS 'SELECT 1.0';
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.note := 'touched'; RETURN NEW; END$$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON app.orders FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE FUNCTION app.is_open(s text) RETURNS boolean LANGUAGE sql
    BEGIN ATOMIC SELECT s = 'new'; END;
CREATE VIEW app.open_flags AS SELECT id, app.is_open(status) FROM app.orders;
CREATE TYPE app.mood AS ENUM ('happy', 'sad');
CREATE TYPE app.unused_mood AS ENUM ('meh');
CREATE DOMAIN app.positive AS int CHECK (VALUE > 0);
CREATE TABLE app.jobs (id bigint PRIMARY KEY, payload text, mood app.mood);
CREATE TABLE app.empty_jobs (id bigint, payload text);
CREATE VIEW app.job_payloads AS SELECT id, payload FROM app.jobs;
CREATE SEQUENCE app.ticket_seq;
CREATE TABLE app.tickets (id bigint NOT NULL DEFAULT nextval('app.ticket_seq'), title text);
INSERT INTO app.tickets (title) VALUES ('first');
CREATE PROCEDURE app.archive() LANGUAGE sql AS 'SELECT 1';

CREATE FUNCTION show_violation(stmt text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_state text; v_schema text; v_table text; v_column text; v_type text;
BEGIN
    EXECUTE stmt;
    RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE,
        v_schema = SCHEMA_NAME, v_table = TABLE_NAME, v_column = COLUMN_NAME,
        v_type = PG_DATATYPE_NAME;
    RAISE NOTICE 'sqlstate=% schema=% table=% column=% type=%',
        v_state, v_schema, v_table, v_column, v_type;
END $$;

SELECT rule, family, default_level FROM schemaguard.list_rules()
 WHERE family = 'compatibility' AND rule LIKE 'drop\_%' ORDER BY rule;

-- =====================================================================
-- drop_view
-- =====================================================================
-- a view nothing in the catalog uses: a warning, the drop runs
BEGIN;
DROP VIEW app.recent_orders;
ROLLBACK;
-- a materialized view too (no data-loss rule judges it)
BEGIN;
DROP MATERIALIZED VIEW app.order_counts;
ROLLBACK;
-- another view uses it: without CASCADE the server refuses on its own
DROP VIEW app.open_orders;
-- with CASCADE: an error that names what would go with it
DROP VIEW app.open_orders CASCADE;
SELECT show_violation('DROP VIEW app.open_orders CASCADE');
-- the recipe as the hint prints it, once the dependent view is gone
BEGIN;
SET LOCAL schemaguard.allow = 'drop_view';
DROP VIEW app.open_orders CASCADE;
ROLLBACK;
-- exempt: IF EXISTS of a missing view, a view created in this transaction,
-- a temporary view
DROP VIEW IF EXISTS app.no_such_view;
BEGIN;
CREATE VIEW app.scratch AS SELECT 1 AS one;
DROP VIEW app.scratch;
COMMIT;
CREATE TEMP VIEW scratch_tmp AS SELECT 1 AS one;
DROP VIEW scratch_tmp;
-- the rule off
BEGIN;
SET LOCAL schemaguard.rules = 'drop_view=off';
DROP VIEW app.recent_orders;
ROLLBACK;
-- at level error, a plain drop is blocked
BEGIN;
SET LOCAL schemaguard.rules = 'drop_view=error';
DROP VIEW app.recent_orders;
ROLLBACK;
-- warn mode: the escalated form only warns
BEGIN;
SET LOCAL schemaguard.mode = warn;
DROP VIEW app.open_orders CASCADE;
ROLLBACK;

-- =====================================================================
-- drop_function
-- =====================================================================
BEGIN;
DROP FUNCTION app.order_total(bigint);
ROLLBACK;
-- without arguments, when the name is unique
BEGIN;
DROP FUNCTION app.order_total;
ROLLBACK;
BEGIN;
DROP PROCEDURE app.archive();
ROLLBACK;
-- a trigger uses it: CASCADE is an error
DROP FUNCTION app.touch() CASCADE;
-- a view uses it
DROP FUNCTION app.is_open(text) CASCADE;
SELECT show_violation('DROP FUNCTION app.is_open(text) CASCADE');
-- exempt: missing, created in this transaction, temporary
DROP FUNCTION IF EXISTS app.no_such_function(int);
BEGIN;
CREATE FUNCTION app.scratch_fn() RETURNS int LANGUAGE sql AS 'SELECT 1';
DROP FUNCTION app.scratch_fn();
COMMIT;
CREATE FUNCTION pg_temp.tmp_fn() RETURNS int LANGUAGE sql AS 'SELECT 1';
DROP FUNCTION pg_temp.tmp_fn();
-- replaced in this transaction: it existed before, and is judged
BEGIN;
CREATE OR REPLACE FUNCTION app.order_total(bigint) RETURNS numeric LANGUAGE sql AS 'SELECT 2.0';
DROP FUNCTION app.order_total(bigint);
ROLLBACK;

-- =====================================================================
-- drop_type
-- =====================================================================
BEGIN;
DROP TYPE app.unused_mood;
ROLLBACK;
BEGIN;
DROP DOMAIN app.positive;
ROLLBACK;
-- a column uses it: CASCADE is an error (the column's table is empty, so
-- drop_column does not fire)
DROP TYPE app.mood CASCADE;
SELECT show_violation('DROP TYPE app.mood CASCADE');
-- exempt: created in this transaction; an array type is not a type of its own
BEGIN;
CREATE TYPE app.scratch_type AS (a int);
DROP TYPE app.scratch_type;
COMMIT;
DROP TYPE IF EXISTS app.no_such_type;

-- =====================================================================
-- drop_trigger
-- =====================================================================
BEGIN;
DROP TRIGGER orders_touch ON app.orders;
ROLLBACK;
-- the reversible alternative the hint offers runs
BEGIN;
ALTER TABLE app.orders DISABLE TRIGGER orders_touch;
ROLLBACK;
-- DROP FUNCTION ... CASCADE drops the trigger, and is an error for it;
-- allowed, the trigger is judged on its own once the statement has run
BEGIN;
SET LOCAL schemaguard.allow = 'drop_function';
DROP FUNCTION app.touch() CASCADE;
ROLLBACK;
-- exempt: a trigger created in this transaction, IF EXISTS of a missing one
BEGIN;
CREATE TRIGGER scratch_trg BEFORE INSERT ON app.orders FOR EACH ROW EXECUTE FUNCTION app.touch();
DROP TRIGGER scratch_trg ON app.orders;
COMMIT;
DROP TRIGGER IF EXISTS no_such_trigger ON app.orders;

-- =====================================================================
-- drop_default
-- =====================================================================
-- a nullable column: inserts that omit it store NULL, a warning
BEGIN;
ALTER TABLE app.orders ALTER COLUMN note DROP DEFAULT;
ROLLBACK;
-- a NOT NULL column: inserts that omit it fail, an error
ALTER TABLE app.orders ALTER COLUMN created_at DROP DEFAULT;
SELECT show_violation('ALTER TABLE app.orders ALTER COLUMN created_at DROP DEFAULT');
-- SET DEFAULT replaces it in one step and passes
BEGIN;
ALTER TABLE app.orders ALTER COLUMN created_at SET DEFAULT clock_timestamp();
ROLLBACK;
-- exempt: no default, a default set in this transaction, a missing column
ALTER TABLE app.orders ALTER COLUMN id DROP DEFAULT;
BEGIN;
ALTER TABLE app.empty_jobs ALTER COLUMN payload SET DEFAULT 'x';
ALTER TABLE app.empty_jobs ALTER COLUMN payload DROP DEFAULT;
COMMIT;
-- DROP SEQUENCE ... CASCADE drops the default that calls nextval(): the
-- column is NOT NULL, so an error once the statement has run
DROP SEQUENCE app.ticket_seq CASCADE;
SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'app.tickets'::regclass;
-- dropping the table drops its defaults and triggers without a report of each
BEGIN;
SET LOCAL schemaguard.allow = 'drop_table';
DROP TABLE app.tickets;
ROLLBACK;

-- =====================================================================
-- drop_not_null
-- =====================================================================
BEGIN;
ALTER TABLE app.orders ALTER COLUMN status DROP NOT NULL;
ROLLBACK;
-- exempt: a column that is not NOT NULL (nothing changes)
ALTER TABLE app.orders ALTER COLUMN note DROP NOT NULL;
-- the server refuses a primary-key column on its own
ALTER TABLE app.orders ALTER COLUMN id DROP NOT NULL;

-- =====================================================================
-- drop_empty_table and drop_empty_column
-- =====================================================================
-- an empty table: drop_table leaves it, drop_empty_table warns
BEGIN;
DROP TABLE app.empty_jobs;
ROLLBACK;
-- an empty table a view uses: CASCADE is an error naming the view
DROP TABLE app.jobs CASCADE;
-- without CASCADE the server refuses
DROP TABLE app.jobs;
-- a column of an empty table
BEGIN;
ALTER TABLE app.empty_jobs DROP COLUMN payload;
ROLLBACK;
-- a column a view uses: CASCADE is an error
ALTER TABLE app.jobs DROP COLUMN payload CASCADE;
SELECT show_violation('ALTER TABLE app.jobs DROP COLUMN payload CASCADE');
-- a table with rows is drop_table's, not drop_empty_table's
DROP TABLE app.orders CASCADE;
-- assume_large_tables: every table counts as non-empty, so drop_table fires
SET schemaguard.assume_large_tables = on;
DROP TABLE app.empty_jobs;
RESET schemaguard.assume_large_tables;
-- DROP SCHEMA ... CASCADE: each empty table, and through the drop net each
-- view, function and type it drops (the table with rows is drop_table's)
CREATE SCHEMA scratch;
CREATE TABLE scratch.t (id int);
CREATE VIEW scratch.v AS SELECT id FROM scratch.t;
CREATE FUNCTION scratch.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
DROP SCHEMA scratch CASCADE;

-- =====================================================================
-- the drop net: what a statement drops without naming it
-- =====================================================================
-- DROP OWNED BY drops a role's views, functions and empty tables
CREATE ROLE sg_compat_owner;
CREATE TABLE app.owned_empty (id int);
CREATE VIEW app.owned_view AS SELECT 1 AS one;
ALTER TABLE app.owned_empty OWNER TO sg_compat_owner;
ALTER VIEW app.owned_view OWNER TO sg_compat_owner;
DROP OWNED BY sg_compat_owner;
SELECT to_regclass('app.owned_empty') IS NULL AS dropped;
DROP ROLE sg_compat_owner;
-- at level error the net blocks, naming the statement
BEGIN;
SET LOCAL schemaguard.rules = 'drop_view=error';
SET LOCAL schemaguard.allow = 'drop_empty_table';
DROP TABLE app.jobs CASCADE;
ROLLBACK;

-- =====================================================================
-- check(): the same verdicts, statically
-- =====================================================================
SELECT statement, rule, level, object FROM schemaguard.check($$
DROP VIEW app.recent_orders;
DROP VIEW app.open_orders CASCADE;
DROP FUNCTION app.order_total(bigint);
DROP TYPE app.unused_mood;
DROP TRIGGER orders_touch ON app.orders;
ALTER TABLE app.orders ALTER COLUMN created_at DROP DEFAULT;
ALTER TABLE app.orders ALTER COLUMN status DROP NOT NULL;
DROP TABLE app.empty_jobs;
ALTER TABLE app.empty_jobs DROP COLUMN payload;
CREATE VIEW app.new_view AS SELECT 1 AS one;
DROP VIEW app.new_view;
$$) ORDER BY statement, rule;

BEGIN;
SET LOCAL schemaguard.allow = 'all';
DROP SCHEMA app CASCADE;
DROP FUNCTION show_violation(text);
COMMIT;

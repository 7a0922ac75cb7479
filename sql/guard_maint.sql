--
-- guard_maint: refresh_matview_not_concurrent, vacuum_full, cluster and
-- missing_lock_timeout (with schemaguard.lock_timeout, which keeps it
-- quiet).
--
-- Sizes are stable because autovacuum is off and row counts are fixed; a
-- relation of a few hundred kB is large against the 64kB threshold.
--
SET schemaguard.table_size_threshold = '64kB';

CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, total numeric(10,2));
INSERT INTO orders SELECT g, g % 100, g * 1.5 FROM generate_series(1, 5000) g;
ANALYZE orders;
CREATE TABLE tiny (id bigint PRIMARY KEY, note text);
INSERT INTO tiny VALUES (1, 'one'), (2, 'two');
ANALYZE tiny;

CREATE MATERIALIZED VIEW order_list AS SELECT id, total FROM orders;
CREATE MATERIALIZED VIEW order_list_keyed AS SELECT id, total FROM orders;
CREATE UNIQUE INDEX CONCURRENTLY order_list_keyed_id ON order_list_keyed (id);
CREATE MATERIALIZED VIEW customer_totals AS
    SELECT customer_id, sum(total) AS total FROM orders GROUP BY customer_id;
CREATE MATERIALIZED VIEW order_list_later AS SELECT id, total FROM orders WITH NO DATA;
-- VACUUM drops the empty pages that bulk loading adds on PostgreSQL 16+
VACUUM ANALYZE order_list, order_list_keyed, customer_totals;

SELECT relname, relkind, relispopulated, pg_size_pretty(pg_relation_size(oid)) AS size, reltuples
  FROM pg_class
 WHERE relname IN ('orders', 'tiny', 'order_list', 'order_list_keyed', 'customer_totals',
                   'order_list_later')
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
-- the SQLSTATE and the rule only
CREATE FUNCTION show_rule(stmt text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_state text; v_message text;
BEGIN
    EXECUTE stmt;
    RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
    RAISE NOTICE 'sqlstate=% rule=%', v_state, split_part(v_message, ': ', 2);
END $$;

-- =====================================================================
-- refresh_matview_not_concurrent
-- =====================================================================
-- a view with a unique index: the recipe is REFRESH ... CONCURRENTLY
REFRESH MATERIALIZED VIEW order_list_keyed;
SELECT show_violation('REFRESH MATERIALIZED VIEW order_list_keyed');
REFRESH MATERIALIZED VIEW CONCURRENTLY public.order_list_keyed;
-- without a unique index the recipe creates one first
REFRESH MATERIALIZED VIEW order_list;
CREATE UNIQUE INDEX CONCURRENTLY ON public.order_list (id);
REFRESH MATERIALIZED VIEW CONCURRENTLY public.order_list;

-- not fired: a view that was never populated (nobody can read it, and
-- CONCURRENTLY needs data)
REFRESH MATERIALIZED VIEW order_list_later;
-- not fired: WITH NO DATA
REFRESH MATERIALIZED VIEW order_list WITH NO DATA;
REFRESH MATERIALIZED VIEW order_list;
SELECT relname, relispopulated FROM pg_class
 WHERE relname IN ('order_list', 'order_list_later') ORDER BY relname;
-- exempt: created in this transaction
BEGIN;
CREATE MATERIALIZED VIEW order_list_new AS SELECT id, total FROM orders;
REFRESH MATERIALIZED VIEW order_list_new;
ROLLBACK;
-- exempt: small view
REFRESH MATERIALIZED VIEW customer_totals;
-- (there are no temporary materialized views)
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'refresh_matview_not_concurrent';
REFRESH MATERIALIZED VIEW order_list_keyed;
COMMIT;
-- (the refresh bulk-loaded a new file; VACUUM keeps its size the same on
-- every version)
VACUUM order_list_keyed;
-- warn mode
BEGIN;
SET LOCAL schemaguard.mode = warn;
REFRESH MATERIALIZED VIEW order_list_keyed;
COMMIT;
VACUUM order_list_keyed;
-- per-rule level
SET schemaguard.rules = 'refresh_matview_not_concurrent=warn';
REFRESH MATERIALIZED VIEW order_list_keyed;
SET schemaguard.rules = 'refresh_matview_not_concurrent=off';
REFRESH MATERIALIZED VIEW order_list_keyed;
RESET schemaguard.rules;
-- assume_large_tables: the small view counts as large
SET schemaguard.assume_large_tables = on;
REFRESH MATERIALIZED VIEW customer_totals;
RESET schemaguard.assume_large_tables;

-- =====================================================================
-- vacuum_full
-- =====================================================================
-- (a session lock_timeout keeps missing_lock_timeout out of the way in
-- this section and the next: VACUUM and CLUSTER of several tables run in
-- several transactions, where schemaguard.lock_timeout cannot apply)
SET lock_timeout = '10s';
VACUUM FULL orders;
SELECT show_violation('VACUUM FULL orders');
-- the other spellings
VACUUM (FULL) orders;
VACUUM (FULL true, ANALYZE) orders;
VACUUM (FULL, VERBOSE false) tiny, orders;
-- the recipe, as the hint prints it
VACUUM (ANALYZE) public.orders;
-- plain VACUUM and FULL false are not VACUUM FULL
VACUUM orders;
VACUUM (FULL false) orders;
-- without a table list every table of the database is rewritten, and the
-- largest is named; which one that is, and how many there are, depends on
-- what else the database holds (schemaguard.changelog grows with every
-- suite), so only the SQLSTATE and the rule are shown
SELECT show_rule('VACUUM FULL');

-- exempt: small table
VACUUM FULL tiny;
-- exempt: temporary table
CREATE TEMP TABLE orders_tmp AS SELECT * FROM orders;
VACUUM FULL orders_tmp;
DROP TABLE orders_tmp;
-- (VACUUM cannot run in a transaction block, so nothing it sees was
-- created in the current transaction, and SET LOCAL cannot allow it)
BEGIN;
SET LOCAL schemaguard.allow = 'vacuum_full';
VACUUM FULL orders;
ROLLBACK;
-- allowed deliberately, as the hint says: SET, run, RESET
SET schemaguard.allow = 'vacuum_full';
VACUUM FULL orders;
RESET schemaguard.allow;
-- warn mode
SET schemaguard.mode = warn;
VACUUM FULL orders;
RESET schemaguard.mode;
-- per-rule level
SET schemaguard.rules = 'vacuum_full=warn';
VACUUM FULL orders;
SET schemaguard.rules = 'vacuum_full=off';
VACUUM FULL orders;
RESET schemaguard.rules;
-- assume_large_tables
SET schemaguard.assume_large_tables = on;
VACUUM FULL tiny;
RESET schemaguard.assume_large_tables;

-- =====================================================================
-- cluster
-- =====================================================================
CLUSTER orders USING orders_pkey;
SELECT show_violation('CLUSTER orders USING orders_pkey');
CLUSTER VERBOSE orders USING orders_pkey;
-- CLUSTER without a table name: no table was clustered before, so it
-- does nothing
CLUSTER;
-- CLUSTER table: the index it was clustered on before
ALTER TABLE orders CLUSTER ON orders_pkey;
CLUSTER orders;
-- now CLUSTER without a table name re-clusters orders (it cannot run in a
-- transaction block, so SET allows it, not SET LOCAL)
CLUSTER;
SET schemaguard.allow = 'cluster';
CLUSTER;
RESET schemaguard.allow;
-- (the recipe is an external tool; it cannot run here)

-- exempt: created in this transaction
BEGIN;
CREATE TABLE orders_copy AS SELECT * FROM orders;
CREATE INDEX orders_copy_id_idx ON orders_copy (id);
CLUSTER orders_copy USING orders_copy_id_idx;
ROLLBACK;
-- exempt: small table
CLUSTER tiny USING tiny_pkey;
-- exempt: temporary table
CREATE TEMP TABLE orders_tmp AS SELECT * FROM orders;
CREATE INDEX orders_tmp_id_idx ON orders_tmp (id);
CLUSTER orders_tmp USING orders_tmp_id_idx;
DROP TABLE orders_tmp;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'cluster';
CLUSTER orders;
COMMIT;
-- warn mode
BEGIN;
SET LOCAL schemaguard.mode = warn;
CLUSTER orders;
COMMIT;
-- per-rule level
BEGIN;
SET LOCAL schemaguard.rules = 'cluster=warn';
CLUSTER orders;
COMMIT;
BEGIN;
SET LOCAL schemaguard.rules = 'cluster=off';
CLUSTER orders;
COMMIT;
-- assume_large_tables
SET schemaguard.assume_large_tables = on;
CLUSTER tiny;
RESET schemaguard.assume_large_tables;

RESET lock_timeout;

-- =====================================================================
-- missing_lock_timeout and schemaguard.lock_timeout
-- =====================================================================
-- an event trigger shows the lock_timeout a statement runs with
CREATE FUNCTION show_lock_timeout() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE '% runs with lock_timeout = %', tg_tag, current_setting('lock_timeout');
END $$;
CREATE EVENT TRIGGER show_lock_timeout ON ddl_command_start
    EXECUTE FUNCTION show_lock_timeout();

-- by default schemaguard.lock_timeout applies 5s to a statement that
-- takes a lock blocking traffic, so the rule has nothing to report
SHOW schemaguard.lock_timeout;
SHOW lock_timeout;
ALTER TABLE orders ADD COLUMN note text;
-- and it stays quiet for the statements schemaguard cannot give its
-- timeout to (VACUUM FULL runs in transactions of its own; LOCK, which
-- applications use to wait for each other on purpose, keeps none)
VACUUM FULL tiny;
BEGIN;
LOCK TABLE tiny IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
-- the session's setting is untouched
SHOW lock_timeout;
-- a lock that does not block reads or writes: nothing applied
ALTER TABLE orders ALTER COLUMN note SET STATISTICS 100;

-- with schemaguard.lock_timeout off and no session lock_timeout, the rule
-- warns
SET schemaguard.lock_timeout = 0;
ALTER TABLE orders ADD COLUMN note2 text;
-- the warning carries SQLSTATE SG002
\set VERBOSITY sqlstate
ALTER TABLE orders ADD COLUMN note3 text;
\set VERBOSITY default
-- other statements that take a blocking lock
CREATE TRIGGER orders_noop BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);
-- the rule is about waiting in the lock queue, which does not depend on
-- the size of the table: it warns for a small table too
ALTER TABLE tiny ADD COLUMN extra text;
-- a lock that does not block reads or writes
ALTER TABLE orders ALTER COLUMN note SET STATISTICS 200;
-- LOCK TABLE in a mode that blocks traffic waits in the same queue: it is
-- judged by lock_table_no_timeout (level error, see guard_xact) ...
BEGIN;
LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
-- ... and with that rule off, this rule warns about it as about any
-- statement that queues; NOWAIT does not wait, and ACCESS SHARE blocks no
-- reads or writes
BEGIN;
SET LOCAL schemaguard.rules = 'lock_table_no_timeout=off';
LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;
LOCK TABLE tiny IN SHARE MODE;
LOCK TABLE orders IN ACCESS EXCLUSIVE MODE NOWAIT;
LOCK TABLE orders IN ACCESS SHARE MODE;
ROLLBACK;
-- the recipe, as the hint prints it
SET lock_timeout = '5s';
ALTER TABLE orders ADD COLUMN note4 text;
RESET lock_timeout;
-- (or let schemaguard apply one; ALTER SYSTEM is not run here, the session
-- setting shows the effect)
SET schemaguard.lock_timeout = '5s';
ALTER TABLE orders ADD COLUMN note5 text;
SET schemaguard.lock_timeout = 0;

-- exempt: created in this transaction
BEGIN;
CREATE TABLE orders_copy AS SELECT * FROM orders;
ALTER TABLE orders_copy ADD COLUMN extra text;
ROLLBACK;
-- exempt: temporary table
CREATE TEMP TABLE orders_tmp AS SELECT * FROM orders;
ALTER TABLE orders_tmp ADD COLUMN extra text;
DROP TABLE orders_tmp;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'missing_lock_timeout';
ALTER TABLE orders ADD COLUMN extra text;
ROLLBACK;
-- per-rule level
BEGIN;
SET LOCAL schemaguard.rules = 'missing_lock_timeout=error';
ALTER TABLE orders ADD COLUMN extra text;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.rules = 'missing_lock_timeout=off';
ALTER TABLE orders ADD COLUMN extra text;
ROLLBACK;
-- mode off
BEGIN;
SET LOCAL schemaguard.mode = off;
ALTER TABLE orders ADD COLUMN extra text;
ROLLBACK;
RESET schemaguard.lock_timeout;
DROP EVENT TRIGGER show_lock_timeout;

-- clean up
SET schemaguard.mode = off;
DROP MATERIALIZED VIEW order_list, order_list_keyed, customer_totals, order_list_later;
DROP TABLE orders, tiny;
DROP FUNCTION show_violation(text), show_rule(text), show_lock_timeout();
RESET schemaguard.mode;

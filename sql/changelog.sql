--
-- changelog: what schemaguard.changelog records, and what it leaves out.
--
-- Other suites run in this database before this one, so the changelog
-- already has rows: everything here looks only at the rows written after
-- :start_id, numbered n = 1, 2, ... in the view pg_temp.cl.  Columns that
-- change from run to run (recorded_at, xid, hashes) are shown as booleans.
-- Tables are named cl_* so that they cannot clash with other suites'.
--
\set VERBOSITY terse
-- roles are cluster-wide: leftovers of an interrupted run would break this one
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_changelog_dev, regress_changelog_pw;
RESET client_min_messages;
SELECT coalesce(max(id), 0) AS start_id FROM schemaguard.changelog \gset
SET application_name = 'changelog_suite';

-- the rows of this file, each with the hash of the row before it
CREATE TEMP VIEW cl AS
SELECT *
  FROM (SELECT id - :start_id AS n, c.*,
               lag(c.id) OVER (ORDER BY c.id) AS lag_id,
               lag(c.entry_hash) OVER (ORDER BY c.id) AS lag_entry_hash
          FROM schemaguard.changelog c) s
 WHERE id > :start_id;

-- a temporary view is not recorded
SELECT count(*) AS rows_so_far FROM cl;

-- =====================================================================
-- one statement of a multi-statement query string
-- =====================================================================
SELECT 1\; CREATE TABLE cl_t (a int)\; SELECT 2;

\x on
SELECT n, command_tag, statement, objects, role_name = current_user AS role_is_current_user,
       session_role = session_user AS session_role_is_session_user,
       application_name, client_addr, migration, allowed_rules, warnings
  FROM cl WHERE n = 1;
\x off

-- the checksum of the statement, and the chain
SELECT n,
       statement_sha256 ~ '^sha256:[0-9a-f]{64}$' AS sha256_format,
       statement_sha256 = schemaguard.sha256_text(statement) AS sha256_matches,
       statement_sha256 = 'sha256:' || encode(sha256(convert_to(statement, 'UTF8')), 'hex') AS sha256_of_utf8,
       entry_hash ~ '^sha256:[0-9a-f]{64}$' AS entry_hash_format,
       prev_hash = coalesce(lag_entry_hash, 'sha256:' || repeat('0', 64)) AS prev_is_previous_entry,
       id = coalesce(lag_id, 0) + 1 AS id_follows,
       recorded_at <= now() AS recorded_before_now,
       xid::text::bigint <= pg_current_xact_id()::text::bigint AS xid_in_past
  FROM cl WHERE n = 1;

-- =====================================================================
-- migration label, allowed rules, warnings
-- =====================================================================
SELECT max(id) AS mark FROM schemaguard.changelog \gset
SET schemaguard.migration = 'V7__create_orders';
CREATE TABLE cl_orders (id bigint, customer_id bigint, note text);
RESET schemaguard.migration;
INSERT INTO cl_orders SELECT g, g % 10, 'order ' || g FROM generate_series(1, 500) g;

-- index_not_concurrent fires for a non-empty table at threshold 0 ...
SET schemaguard.table_size_threshold = 0;
CREATE INDEX cl_orders_customer_idx ON cl_orders (customer_id);
-- ... and passes only by SET LOCAL schemaguard.allow: recorded in allowed_rules
BEGIN;
SET LOCAL schemaguard.allow = 'index_not_concurrent';
CREATE INDEX cl_orders_customer_idx ON cl_orders (customer_id);
COMMIT;
RESET schemaguard.table_size_threshold;

-- prefer_timestamptz is at level warn: recorded in warnings
CREATE TABLE cl_events (id bigint, happened timestamp);

SELECT n, command_tag, statement, migration, allowed_rules, warnings
  FROM cl WHERE id > :mark ORDER BY id;

-- =====================================================================
-- DDL in a DO block, a PL/pgSQL function (EXECUTE) and a SQL function
-- =====================================================================
SELECT max(id) AS mark FROM schemaguard.changelog \gset
DO $$
BEGIN
    CREATE TABLE cl_from_do (a int);
    EXECUTE 'CREATE TABLE cl_from_do_execute (a int)';
END
$$;

CREATE FUNCTION cl_make_table(name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TABLE %I (a int)', name);
END
$$;
SELECT cl_make_table('cl_from_plpgsql');

CREATE FUNCTION cl_sql_ddl() RETURNS void
LANGUAGE sql AS $$
    SELECT 1;
    CREATE TABLE cl_from_sql (a int);
    CREATE INDEX cl_from_sql_a ON cl_from_sql (a)
$$;
SELECT cl_sql_ddl();

SELECT n, command_tag, statement, objects FROM cl WHERE id > :mark ORDER BY id;

-- =====================================================================
-- rolled back: nothing is recorded
-- =====================================================================
SELECT max(id) AS mark FROM schemaguard.changelog \gset
BEGIN;
CREATE TABLE cl_rolled_back (a int);
ROLLBACK;

BEGIN;
CREATE TABLE cl_sp_kept_1 (a int);
SAVEPOINT s;
CREATE TABLE cl_sp_gone (a int);
ROLLBACK TO SAVEPOINT s;
CREATE TABLE cl_sp_kept_2 (a int);
COMMIT;

-- a released savepoint inside one that is rolled back
BEGIN;
SAVEPOINT outer_sp;
SAVEPOINT inner_sp;
CREATE TABLE cl_released_then_gone (a int);
RELEASE SAVEPOINT inner_sp;
ROLLBACK TO SAVEPOINT outer_sp;
COMMIT;

-- a PL/pgSQL exception block catches an error raised after a DDL
DO $$
BEGIN
    BEGIN
        CREATE TABLE cl_exception_gone (a int);
        PERFORM 1 / 0;
    EXCEPTION WHEN division_by_zero THEN
        RAISE NOTICE 'caught: %', SQLERRM;
    END;
    CREATE TABLE cl_after_exception (a int);
END
$$;

-- an implicit transaction of several statements that fails
CREATE TABLE cl_implicit_gone (a int)\; SELECT 1 / 0;

SELECT n, command_tag, statement FROM cl WHERE id > :mark ORDER BY id;
-- the two tables of one transaction share its xid
SELECT count(DISTINCT xid) AS xids FROM cl WHERE statement LIKE 'CREATE TABLE cl_sp_kept_%';
SELECT count(*) AS rows_of_rolled_back_tables
  FROM cl WHERE statement ~ 'cl_(rolled_back|sp_gone|released_then_gone|exception_gone|implicit_gone)';
SELECT to_regclass('cl_rolled_back') AS rolled_back, to_regclass('cl_sp_gone') AS sp_gone,
       to_regclass('cl_exception_gone') AS exception_gone;

-- =====================================================================
-- statements that fire no event trigger, and read-only transactions
-- =====================================================================
SELECT max(id) AS mark FROM schemaguard.changelog \gset
-- EXPLAIN ANALYZE of CREATE TABLE AS / MATERIALIZED VIEW creates the
-- relation without firing ddl_command_end: recorded all the same (the
-- plans are not shown: their format differs between versions)
\o /dev/null
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
    CREATE TABLE cl_explained AS SELECT 1 AS a;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
    CREATE MATERIALIZED VIEW cl_explained_mv AS SELECT 1 AS a;
-- without ANALYZE nothing is created, and nothing recorded
EXPLAIN (COSTS OFF) CREATE TABLE cl_not_created AS SELECT 1 AS a;
-- a temporary one is left out, as always
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
    CREATE TEMP TABLE cl_explained_tmp AS SELECT 1 AS a;
-- IF NOT EXISTS on an existing table creates nothing
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
    CREATE TABLE IF NOT EXISTS cl_explained AS SELECT 1 AS a;
\o
-- a transaction made read-only after its DDL still commits it, and so
-- records it
BEGIN;
CREATE TABLE cl_then_read_only (a bigint PRIMARY KEY);
SET transaction_read_only = on;
COMMIT;
SELECT n, command_tag, objects, statement FROM cl WHERE id > :mark ORDER BY id;
SELECT to_regclass('cl_explained') IS NOT NULL AS explained_exists,
       to_regclass('cl_not_created') IS NULL AS not_created;
DROP TABLE cl_explained_tmp;

-- =====================================================================
-- temporary objects are not recorded
-- =====================================================================
SELECT max(id) AS mark FROM schemaguard.changelog \gset
CREATE TEMP TABLE cl_tmp (a int PRIMARY KEY);
ALTER TABLE cl_tmp ADD COLUMN b text;
CREATE INDEX cl_tmp_b ON cl_tmp (b);
COMMENT ON TABLE cl_tmp IS 'scratch';
CREATE TABLE pg_temp.cl_tmp_2 (a int);
CREATE TEMP SEQUENCE cl_tmp_seq;
DROP TABLE cl_tmp, cl_tmp_2;
DROP SEQUENCE cl_tmp_seq;
SELECT count(*) AS rows_for_temporary_objects FROM cl WHERE id > :mark;

-- =====================================================================
-- passwords never reach the changelog
-- =====================================================================
SELECT max(id) AS mark FROM schemaguard.changelog \gset
-- roles are cluster-wide: no row at all
CREATE ROLE regress_changelog_pw LOGIN PASSWORD 'cl-secret-create-role-1';
ALTER ROLE regress_changelog_pw PASSWORD 'cl-secret-alter-role-2';
SELECT count(*) AS rows_for_roles FROM cl WHERE id > :mark;

-- user mappings are recorded with every string literal redacted
CREATE EXTENSION postgres_fdw;
CREATE SERVER cl_remote FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host 'db.example.com', dbname 'app');
CREATE USER MAPPING FOR regress_changelog_pw SERVER cl_remote
    OPTIONS (user 'app', password 'cl-secret-mapping-3');
ALTER USER MAPPING FOR regress_changelog_pw SERVER cl_remote
    OPTIONS (SET password 'cl-secret-mapping-4');
SELECT n, command_tag, statement, objects,
       statement_sha256 = schemaguard.sha256_text(statement) AS sha256_matches
  FROM cl WHERE id > :mark ORDER BY id;
-- no trace of any of the passwords, in any column of any row
SELECT count(*) AS rows_with_a_password
  FROM schemaguard.changelog c WHERE c::text LIKE '%cl-secret%';

-- =====================================================================
-- schemaguard.changelog = off records nothing
-- =====================================================================
SELECT max(id) AS mark FROM schemaguard.changelog \gset
SET schemaguard.changelog = off;
CREATE TABLE cl_unrecorded (a int);
DROP TABLE cl_unrecorded;
RESET schemaguard.changelog;
SHOW schemaguard.changelog;
SELECT count(*) AS rows_while_off FROM cl WHERE id > :mark;

-- =====================================================================
-- a role that is not a superuser
-- =====================================================================
SELECT max(id) AS mark FROM schemaguard.changelog \gset
CREATE ROLE regress_changelog_dev;
CREATE SCHEMA cl_dev AUTHORIZATION regress_changelog_dev;
SET ROLE regress_changelog_dev;
-- nobody but schemaguard writes the table
INSERT INTO schemaguard.changelog SELECT * FROM schemaguard.changelog LIMIT 1;
UPDATE schemaguard.changelog SET statement = 'nothing happened';
DELETE FROM schemaguard.changelog;
SET client_min_messages = error;  -- the truncate rule's warning shows a size
TRUNCATE schemaguard.changelog;
RESET client_min_messages;
-- and it cannot switch the changelog off
SET schemaguard.changelog = off;
-- its own DDL is recorded with its name
CREATE TABLE cl_dev.owned (a int);
-- verify_changelog() and changelog_head() work for it
SELECT count(*) AS problems FROM schemaguard.verify_changelog();
SELECT (SELECT id FROM schemaguard.changelog_head()) > :mark AS head_moved_on;
RESET ROLE;
SELECT n, command_tag, statement, role_name,
       session_role = session_user AS session_role_is_session_user
  FROM cl WHERE id > :mark ORDER BY id;

-- =====================================================================
-- the whole chain of this file, verify_changelog() and changelog_head()
-- =====================================================================
SELECT count(*) AS rows,
       bool_and(id = lag_id + 1) AS ids_consecutive,
       bool_and(prev_hash = lag_entry_hash) AS prev_hash_is_previous_entry_hash,
       bool_and(statement_sha256 = schemaguard.sha256_text(statement)) AS checksums_match,
       bool_and(application_name = 'changelog_suite') AS application_name_set,
       bool_and(client_addr IS NULL) AS no_client_addr_over_unix_socket
  FROM cl;
SELECT * FROM schemaguard.verify_changelog();
SELECT h.id = (SELECT max(id) FROM schemaguard.changelog) AS head_is_last_id,
       h.entry_hash = (SELECT entry_hash FROM schemaguard.changelog
                        WHERE id = h.id) AS head_hash_is_its_entry_hash
  FROM schemaguard.changelog_head() h;

-- a read-only transaction may REINDEX, which fires event triggers from 17
-- on, and so is recorded from 17 on (here, after the rows counted above)
SELECT max(id) AS mark FROM schemaguard.changelog \gset
BEGIN READ ONLY;
REINDEX TABLE cl_then_read_only;
COMMIT;
SELECT (count(*) FILTER (WHERE command_tag = 'REINDEX') > 0) =
       (current_setting('server_version_num')::int >= 170000) AS reindex_recorded_from_17_on
  FROM cl WHERE id > :mark;

-- =====================================================================
-- clean up (recorded like any other DDL)
-- =====================================================================
BEGIN;
SET LOCAL schemaguard.allow = 'drop_table';
DROP TABLE cl_t, cl_orders, cl_events, cl_from_do, cl_from_do_execute,
    cl_from_plpgsql, cl_from_sql, cl_sp_kept_1, cl_sp_kept_2, cl_after_exception,
    cl_explained, cl_then_read_only;
DROP MATERIALIZED VIEW cl_explained_mv;
COMMIT;
DROP FUNCTION cl_make_table(text), cl_sql_ddl();
DROP SCHEMA cl_dev CASCADE;
DROP SERVER cl_remote CASCADE;
DROP EXTENSION postgres_fdw;
DROP ROLE regress_changelog_dev, regress_changelog_pw;
SELECT * FROM schemaguard.verify_changelog();

--
-- security: what a role that is not a superuser cannot do through
-- schemaguard, even when it owns the database and the schemas it works in.
-- Every attempt below must fail; the expected output shows the error, and
-- a check after each group shows that nothing changed.
--
-- Roles:
--   regress_sec_user     an ordinary role
--   regress_sec_owner    CREATEDB, owner of this database (hence of the
--                        public schema) and of schema sec_own
--   regress_sec_granted  granted SET on schemaguard.mode, rules, changelog
--                        and allow, and member of regress_sec_owner
--
-- Covered elsewhere, not repeated here: SET of every setting by an ordinary
-- role and SET by a role granted SET on mode/rules/changelog (settings);
-- INSERT/UPDATE/DELETE/TRUNCATE on the changelog by an ordinary role,
-- CREATE/ALTER ROLE ... PASSWORD and user mappings (changelog); INSERT into
-- baselines by a schema owner (drift).  Attempts that need a new connection
-- (PGOPTIONS, ALTER ROLE/DATABASE ... SET applied at login) or another
-- database (CREATE EXTENSION among hostile objects, a fake changelog where
-- the extension is not installed) are in test/t/020_security.pl.
--
\set VERBOSITY terse
SELECT current_database() AS db \gset
SELECT coalesce(max(id), 0) AS base FROM schemaguard.changelog \gset

CREATE ROLE regress_sec_user;
CREATE ROLE regress_sec_owner CREATEDB;
CREATE ROLE regress_sec_granted;
ALTER DATABASE :"db" OWNER TO regress_sec_owner;
CREATE SCHEMA sec_own AUTHORIZATION regress_sec_owner;
GRANT CREATE, USAGE ON SCHEMA sec_own TO regress_sec_user, regress_sec_granted;
GRANT SET ON PARAMETER schemaguard.mode, schemaguard.rules,
    schemaguard.changelog, schemaguard.allow TO regress_sec_granted;
GRANT regress_sec_owner TO regress_sec_granted;

-- A table with rows, committed before the guarded statements: with the
-- threshold at 0 (set here, by the superuser, for this session) every
-- non-empty table counts as large.
SET schemaguard.table_size_threshold = 0;
CREATE TABLE sec_own.big (id bigint, v text);
INSERT INTO sec_own.big SELECT g, 'v' || g FROM generate_series(1, 100) g;
ALTER TABLE sec_own.big OWNER TO regress_sec_owner;
GRANT ALL ON sec_own.big TO regress_sec_user, regress_sec_granted;

-- markers: a trojan that runs inserts a row here (everyone may insert)
CREATE TABLE sec_own.marker (fired text, by_role name, superuser boolean);
ALTER TABLE sec_own.marker OWNER TO regress_sec_owner;
GRANT INSERT, SELECT ON sec_own.marker TO PUBLIC;

-- The check after each group: the guard still blocks an unsafe statement,
-- and a COMMENT with the given label is the last changelog entry once the
-- statement that made it has committed.
CREATE FUNCTION pg_temp.probe(label text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        CREATE INDEX big_v_idx ON sec_own.big (v);
        RETURN 'guard OFF';
    EXCEPTION WHEN SQLSTATE 'SG001' THEN
        NULL;
    END;
    EXECUTE format('COMMENT ON TABLE sec_own.big IS %L', label);
    RETURN 'guard on';
END
$$;
CREATE FUNCTION pg_temp.last_entry() RETURNS text
LANGUAGE sql AS $$
SELECT role_name || ': ' || statement FROM schemaguard.changelog ORDER BY id DESC LIMIT 1
$$;

-- =====================================================================
-- 1. turning the guard or the changelog off
-- =====================================================================
SET ROLE regress_sec_owner;
SELECT current_user, rolsuper, rolcreatedb,
       pg_get_userbyid(d.datdba) = current_user AS owns_database,
       pg_has_role(n.nspowner, 'USAGE') AS owns_public
  FROM pg_roles r, pg_database d, pg_namespace n
 WHERE r.rolname = current_user AND d.datname = current_database()
   AND n.nspname = 'public';

-- settings, in every way a session can set them
BEGIN;
SET LOCAL schemaguard.mode = off;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.changelog = off;
ROLLBACK;
SELECT set_config('schemaguard.mode', 'warn', true);
SELECT set_config('schemaguard.changelog', 'off', true);
SELECT set_config('schemaguard.rules', 'index_not_concurrent=off', false);
SET schemaguard.table_size_threshold = '1TB';
SET schemaguard.lock_timeout = 0;
SET session_replication_role = replica;
-- stored settings: for itself, for its database, for a role in it
ALTER ROLE regress_sec_owner SET schemaguard.mode = off;
ALTER ROLE regress_sec_owner SET schemaguard.changelog = off;
ALTER ROLE regress_sec_owner IN DATABASE :"db" SET schemaguard.rules = 'index_not_concurrent=off';
ALTER DATABASE :"db" SET schemaguard.mode = off;
ALTER DATABASE :"db" SET schemaguard.changelog = off;
ALTER DATABASE :"db" SET schemaguard.allow = 'all';
ALTER DATABASE :"db" SET session_replication_role = replica;
ALTER SYSTEM SET schemaguard.mode = off;
-- a function's SET clause
CREATE FUNCTION sec_own.unguarded() RETURNS void LANGUAGE sql
SET schemaguard.mode = off AS 'SELECT';
CREATE FUNCTION sec_own.unlogged() RETURNS void LANGUAGE sql
SET schemaguard.changelog = off AS 'SELECT';
-- the library and the extension
LOAD 'schemaguard';
DROP EXTENSION schemaguard;
DROP EXTENSION schemaguard CASCADE;
ALTER EXTENSION schemaguard UPDATE;
ALTER EXTENSION schemaguard DROP EVENT TRIGGER schemaguard_capture_ddl;
DROP SCHEMA schemaguard CASCADE;
ALTER SCHEMA schemaguard OWNER TO regress_sec_owner;
-- the event triggers that capture changes and catch rewrites
ALTER EVENT TRIGGER schemaguard_capture_ddl DISABLE;
ALTER EVENT TRIGGER schemaguard_capture_drop ENABLE REPLICA;
ALTER EVENT TRIGGER schemaguard_table_rewrite DISABLE;
ALTER EVENT TRIGGER schemaguard_capture_ddl OWNER TO regress_sec_owner;
ALTER EVENT TRIGGER schemaguard_capture_ddl RENAME TO gone;
DROP EVENT TRIGGER schemaguard_capture_ddl;
DROP EVENT TRIGGER IF EXISTS schemaguard_table_rewrite;
-- its own event trigger, to undo what schemaguard's record
CREATE FUNCTION sec_own.evt() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END';
CREATE EVENT TRIGGER sec_evt ON ddl_command_end EXECUTE FUNCTION sec_own.evt();
-- the functions behind them
CREATE OR REPLACE FUNCTION schemaguard.capture_ddl() RETURNS event_trigger
LANGUAGE plpgsql AS 'BEGIN END';
ALTER FUNCTION schemaguard.capture_ddl() RENAME TO capture_nothing;
ALTER FUNCTION schemaguard.table_rewrite_guard() OWNER TO regress_sec_owner;
DROP FUNCTION schemaguard.table_rewrite_guard();
RESET ROLE;
SELECT pg_temp.probe('after section 1, regress_sec_owner');
SELECT pg_temp.last_entry();
SELECT evtname, evtenabled, pg_get_userbyid(evtowner) AS owner
  FROM pg_event_trigger ORDER BY evtname;
SELECT count(*) AS stored_settings FROM pg_db_role_setting s
  JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname LIKE 'regress_sec%';

-- an ordinary role: the same, in short
SET ROLE regress_sec_user;
ALTER ROLE regress_sec_user SET schemaguard.mode = off;
ALTER ROLE regress_sec_user SET schemaguard.changelog = off;
CREATE FUNCTION sec_own.user_unguarded() RETURNS void LANGUAGE sql
SET schemaguard.mode = off AS 'SELECT';
SET session_replication_role = replica;
LOAD 'schemaguard';
ALTER EVENT TRIGGER schemaguard_capture_ddl DISABLE;
DROP EVENT TRIGGER schemaguard_table_rewrite;
DROP EXTENSION schemaguard;
RESET ROLE;

-- A role granted SET on mode, rules and changelog may strengthen them, but
-- it cannot weaken them by any of these ways either.
SET ROLE regress_sec_granted;
BEGIN;
SET LOCAL schemaguard.mode = warn;
ROLLBACK;
SELECT set_config('schemaguard.changelog', 'off', true);
ALTER ROLE regress_sec_granted SET schemaguard.mode = off;
ALTER ROLE regress_sec_granted SET schemaguard.changelog = off;
ALTER ROLE regress_sec_granted SET schemaguard.rules = 'index_not_concurrent=warn';
ALTER ROLE regress_sec_granted IN DATABASE :"db" SET schemaguard.mode = warn;
CREATE FUNCTION sec_own.granted_unguarded() RETURNS void LANGUAGE sql
SET schemaguard.mode = off AS 'SELECT';
CREATE FUNCTION sec_own.granted_unlogged() RETURNS void LANGUAGE sql
SET schemaguard.changelog = off AS 'SELECT';
-- strengthening is fine
ALTER ROLE regress_sec_granted SET schemaguard.rules = 'prefer_text=error';
ALTER ROLE regress_sec_granted RESET schemaguard.rules;
RESET ROLE;
SELECT pg_temp.probe('after section 1, regress_sec_granted');
SELECT pg_temp.last_entry();
SELECT count(*) AS stored_settings FROM pg_db_role_setting s
  JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname LIKE 'regress_sec%';
-- a superuser still may, for a role or a function (the control case)
ALTER ROLE regress_sec_granted SET schemaguard.mode = warn;
ALTER ROLE regress_sec_granted RESET schemaguard.mode;
-- A superuser's SECURITY DEFINER function that sets schemaguard.mode = warn
-- may run a parallel query for any caller: each parallel worker takes over
-- the leader's settings, which is not an attempt to weaken them.
CREATE TABLE public.sec_parallel AS SELECT g AS id FROM generate_series(1, 1000) g;
CREATE FUNCTION public.sec_parallel_plan() RETURNS SETOF text LANGUAGE plpgsql
SECURITY DEFINER SET schemaguard.mode = warn
SET parallel_setup_cost = 0 SET parallel_tuple_cost = 0
SET min_parallel_table_scan_size = 0 SET max_parallel_workers_per_gather = 2
AS $$
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
                          SELECT count(*) FROM public.sec_parallel';
END
$$;
GRANT EXECUTE ON FUNCTION public.sec_parallel_plan() TO regress_sec_user;
SET ROLE regress_sec_user;
SELECT count(*) FILTER (WHERE p ~ 'Workers Launched: [1-9]') AS gathers_with_workers
  FROM public.sec_parallel_plan() p;
RESET ROLE;
DROP FUNCTION public.sec_parallel_plan();
SET schemaguard.mode = off;
DROP TABLE public.sec_parallel;
RESET schemaguard.mode;

-- =====================================================================
-- 2. letting a rule through without the right to
-- =====================================================================
-- schemaguard.allow is for superusers and roles granted SET on it: the
-- owner of the table is neither
SET ROLE regress_sec_owner;
BEGIN;
SET LOCAL schemaguard.allow = 'index_not_concurrent';
ROLLBACK;
SELECT set_config('schemaguard.allow', 'all', true);
ALTER ROLE regress_sec_owner SET schemaguard.allow = 'all';
ALTER DATABASE :"db" SET schemaguard.allow = 'all';
CREATE FUNCTION sec_own.allow_all() RETURNS void LANGUAGE sql
SET schemaguard.allow = 'all' AS 'SELECT';
-- the guard applies in every context: DO, PL/pgSQL, dynamic SQL
CREATE INDEX big_v_idx ON sec_own.big (v);
DO $$ BEGIN CREATE INDEX big_v_idx ON sec_own.big (v); END $$;
DO $$ BEGIN EXECUTE 'CREATE INDEX big_v_idx ON sec_own.big (v)'; END $$;
CREATE FUNCTION sec_own.make_index() RETURNS void LANGUAGE plpgsql
AS $$ BEGIN EXECUTE 'CREATE INDEX big_v_idx ON sec_own.big (v)'; END $$;
SELECT sec_own.make_index();
-- a SECURITY DEFINER function of its own gains it nothing
CREATE FUNCTION sec_own.make_index_definer() RETURNS void LANGUAGE plpgsql
SECURITY DEFINER AS $$ BEGIN EXECUTE 'CREATE INDEX big_v_idx ON sec_own.big (v)'; END $$;
SELECT sec_own.make_index_definer();
DROP FUNCTION sec_own.make_index(), sec_own.make_index_definer();
RESET ROLE;
SELECT count(*) AS indexes_on_big FROM pg_index WHERE indrelid = 'sec_own.big'::regclass;

-- with the right, it works and the bypass is recorded with the role
SET ROLE regress_sec_granted;
BEGIN;
SET LOCAL schemaguard.allow = 'index_not_concurrent';
CREATE INDEX big_v_idx ON sec_own.big (v);
COMMIT;
RESET ROLE;
SELECT role_name, command_tag, allowed_rules FROM schemaguard.changelog
 ORDER BY id DESC LIMIT 1;
DROP INDEX CONCURRENTLY sec_own.big_v_idx;

-- =====================================================================
-- 3. writing or forging changelog and baseline rows
-- =====================================================================
SELECT schemaguard.take_baseline('sec_genuine') IS NOT NULL AS baseline_taken;
SELECT count(*) AS baselines, (SELECT count(*) FROM schemaguard.baseline_objects) > 0 AS has_objects
  FROM schemaguard.baselines \gset sec_before_
SELECT max(id) AS mark FROM schemaguard.changelog \gset

SET ROLE regress_sec_owner;
-- the tables: no privilege at all, for the database owner either
INSERT INTO schemaguard.changelog (id, recorded_at, xid, role_name, session_role,
    command_tag, objects, statement, statement_sha256, allowed_rules, warnings,
    prev_hash, entry_hash)
VALUES (1000000, now(), '1', 'postgres', 'postgres', 'CREATE TABLE', '[]',
        'forged', 'x', '{}', '{}', 'x', 'x');
UPDATE schemaguard.changelog SET statement = 'nothing happened';
DELETE FROM schemaguard.changelog;
TRUNCATE schemaguard.changelog;
INSERT INTO schemaguard.baselines (label, taken_at, taken_by, fingerprint,
    facets, server_version_num, changelog_id, system_identifier, database_oid,
    object_count)
VALUES ('forged', now(), 'postgres', 'x', '{}', 150000, 0, '0', 0, 0);
UPDATE schemaguard.baselines SET fingerprint = 'x';
DELETE FROM schemaguard.baselines;
INSERT INTO schemaguard.baseline_objects SELECT * FROM schemaguard.baseline_objects;
UPDATE schemaguard.baseline_objects SET definition = 'x';
DELETE FROM schemaguard.baseline_objects;
TRUNCATE schemaguard.baseline_objects;
SELECT count(*) FROM schemaguard.changelog;
SELECT count(*) FROM schemaguard.baseline_objects;
SELECT nextval('schemaguard.baselines_id_seq');
SELECT setval('schemaguard.baselines_id_seq', 1);
BEGIN;
LOCK TABLE schemaguard.changelog IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
-- COPY (FROM STDIN, fed from an empty file)
\copy schemaguard.changelog (id) FROM '/dev/null'
\copy schemaguard.baselines (label) FROM '/dev/null'
\copy schemaguard.baseline_objects (identity) FROM '/dev/null'
-- granting itself the privilege
GRANT INSERT, UPDATE, DELETE, TRUNCATE ON schemaguard.changelog TO regress_sec_owner;
GRANT ALL ON schemaguard.baselines, schemaguard.baseline_objects TO regress_sec_owner;
DELETE FROM schemaguard.changelog;
-- triggers, rules, policies and other changes to the tables
CREATE FUNCTION sec_own.forge() RETURNS trigger LANGUAGE plpgsql
AS $$ BEGIN NEW.statement := 'forged'; RETURN NEW; END $$;
CREATE TRIGGER forge BEFORE INSERT ON schemaguard.changelog
    FOR EACH ROW EXECUTE FUNCTION sec_own.forge();
CREATE TRIGGER forge BEFORE INSERT ON schemaguard.baselines
    FOR EACH ROW EXECUTE FUNCTION sec_own.forge();
CREATE TRIGGER forge BEFORE INSERT ON schemaguard.baseline_objects
    FOR EACH ROW EXECUTE FUNCTION sec_own.forge();
CREATE RULE forge AS ON INSERT TO schemaguard.changelog DO INSTEAD NOTHING;
CREATE POLICY forge ON schemaguard.baselines USING (false);
ALTER TABLE schemaguard.changelog DISABLE TRIGGER ALL;
ALTER TABLE schemaguard.changelog ADD COLUMN forged text;
ALTER TABLE schemaguard.changelog ALTER COLUMN statement SET DEFAULT 'forged';
ALTER TABLE schemaguard.changelog OWNER TO regress_sec_owner;
ALTER TABLE schemaguard.baselines SET SCHEMA sec_own;
ALTER TABLE schemaguard.baseline_objects ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE schemaguard.changelog IS 'forged';
ALTER EXTENSION schemaguard DROP TABLE schemaguard.changelog;
-- objects of its own in schemaguard's schema
CREATE TABLE schemaguard.changelog_fake (a int);
CREATE FUNCTION schemaguard.sha256_text(t varchar) RETURNS text
LANGUAGE sql AS $$ SELECT 'forged' $$;
CREATE VIEW schemaguard.changelog_view AS SELECT 1;
CREATE TYPE schemaguard.sec_type AS (a int);
-- a changelog of its own, in a schema it owns, found first on its path
CREATE TABLE sec_own.changelog (id bigint, statement text);
SET search_path = sec_own, public;
CREATE TABLE sec_own.written_with_own_path (a int);
RESET search_path;
-- the functions that write: the event triggers', take_baseline()
SELECT schemaguard.capture_ddl();
SELECT schemaguard.table_rewrite_guard();
SELECT schemaguard.take_baseline('forged');
-- drift() and check() are not for everyone either
SELECT count(*) FROM schemaguard.drift();
SELECT count(*) FROM schemaguard.check('SELECT 1');
RESET ROLE;
-- an ordinary role: the same, in short
SET ROLE regress_sec_user;
INSERT INTO schemaguard.baselines (label, taken_at, taken_by, fingerprint,
    facets, server_version_num, changelog_id, system_identifier, database_oid,
    object_count)
VALUES ('forged', now(), 'postgres', 'x', '{}', 150000, 0, '0', 0, 0);
DELETE FROM schemaguard.baseline_objects;
\copy schemaguard.changelog (id) FROM '/dev/null'
CREATE TRIGGER forge BEFORE INSERT ON schemaguard.changelog
    FOR EACH ROW EXECUTE FUNCTION sec_own.forge();
CREATE FUNCTION schemaguard.verify_changelog(bigint) RETURNS void
LANGUAGE sql AS 'SELECT';
SELECT schemaguard.take_baseline('forged');
SELECT schemaguard.capture_ddl();
RESET ROLE;
-- with the right to let every rule through, the statements that the guard
-- would stop are still refused: the role has no privilege on the tables
SET ROLE regress_sec_granted;
BEGIN;
SET LOCAL schemaguard.allow = 'all';
SAVEPOINT s;
DROP TABLE schemaguard.baselines CASCADE;
ROLLBACK TO s;
DROP SCHEMA schemaguard CASCADE;
ROLLBACK TO s;
TRUNCATE schemaguard.baselines CASCADE;
ROLLBACK TO s;
TRUNCATE schemaguard.changelog;
ROLLBACK TO s;
ALTER TABLE schemaguard.baselines RENAME TO baselines_old;
ROLLBACK TO s;
ALTER TABLE schemaguard.baseline_objects SET UNLOGGED;
ROLLBACK TO s;
-- (REINDEX and CLUSTER: 42501 on every version; the message changed in 17)
\set VERBOSITY sqlstate
REINDEX TABLE schemaguard.changelog;
\set VERBOSITY terse
ROLLBACK TO s;
VACUUM FULL schemaguard.changelog;
ROLLBACK TO s;
\set VERBOSITY sqlstate
CLUSTER schemaguard.changelog USING changelog_pkey;
\set VERBOSITY terse
ROLLBACK;
RESET ROLE;
SELECT count(*) = :sec_before_baselines AS baselines_unchanged,
       (SELECT count(*) > 0 FROM schemaguard.baseline_objects) AS baseline_objects_kept
  FROM schemaguard.baselines;
SELECT count(*) AS rows_in_fake_changelog FROM sec_own.changelog;
SELECT id - :mark AS n, role_name, statement FROM schemaguard.changelog
 WHERE id > :mark ORDER BY id;

-- granted EXECUTE, take_baseline() stores what it sees, nothing else:
-- the label is data, and an existing baseline cannot be replaced
GRANT EXECUTE ON FUNCTION schemaguard.take_baseline(text, text[]) TO regress_sec_owner;
SET ROLE regress_sec_owner;
SELECT schemaguard.take_baseline($$x'); DELETE FROM schemaguard.baselines; --$$) IS NOT NULL AS taken;
SELECT schemaguard.take_baseline('sec_genuine');
SELECT schemaguard.take_baseline('sec_facets', '{owners,"x''); DELETE FROM schemaguard.baselines; --"}');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION schemaguard.take_baseline(text, text[]) FROM regress_sec_owner;
SELECT label, taken_by FROM schemaguard.baselines WHERE label LIKE 'sec%' OR label LIKE 'x%' ORDER BY id;

-- Names that look like temporary objects do not hide DDL: a trigger or a
-- policy whose quoted name contains " on pg_temp." is recorded.
SELECT max(id) AS mark FROM schemaguard.changelog \gset
SET ROLE regress_sec_owner;
CREATE FUNCTION sec_own.noop() RETURNS trigger LANGUAGE plpgsql
AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER "x on pg_temp.y" BEFORE INSERT ON sec_own.big
    FOR EACH ROW EXECUTE FUNCTION sec_own.noop();
CREATE POLICY "p on pg_temp.q" ON sec_own.big USING (true);
CREATE RULE "r on pg_temp.s" AS ON UPDATE TO sec_own.big DO ALSO NOTHING;
DROP TRIGGER "x on pg_temp.y" ON sec_own.big;
DROP POLICY "p on pg_temp.q" ON sec_own.big;
DROP RULE "r on pg_temp.s" ON sec_own.big;
RESET ROLE;
SELECT id - :mark AS n, command_tag, objects FROM schemaguard.changelog
 WHERE id > :mark ORDER BY id;
-- ... while those of temporary tables are still left out
SELECT max(id) AS mark FROM schemaguard.changelog \gset
CREATE TEMP TABLE sec_tmp (a int);
CREATE TRIGGER t BEFORE INSERT ON sec_tmp FOR EACH ROW EXECUTE FUNCTION sec_own.noop();
DROP TABLE sec_tmp;
SELECT count(*) AS rows_for_temporary_objects FROM schemaguard.changelog WHERE id > :mark;

SELECT * FROM schemaguard.verify_changelog();

-- =====================================================================
-- 4. reading a password through schemaguard
-- =====================================================================
-- Every secret below contains "sec-pw-"; no output of schemaguard may.
CREATE EXTENSION postgres_fdw;
CREATE FOREIGN DATA WRAPPER sec_fdw;  -- no validator: any option
GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw, sec_fdw TO regress_sec_owner;
CREATE ROLE regress_sec_pw LOGIN PASSWORD 'sec-pw-role-1';
ALTER ROLE regress_sec_pw PASSWORD 'sec-pw-role-2';
ALTER ROLE regress_sec_pw WITH ENCRYPTED PASSWORD 'sec-pw-role-3' VALID UNTIL 'infinity';
CREATE USER regress_sec_pw2 PASSWORD 'sec-pw-role-4';
SELECT max(id) AS mark FROM schemaguard.changelog \gset
SELECT schemaguard.export_manifest('{owners,privileges,comments}') AS manifest \gset
SET ROLE regress_sec_owner;
CREATE SERVER sec_srv FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host 'db.example.com', dbname 'app');
CREATE SERVER sec_srv2 FOREIGN DATA WRAPPER sec_fdw
    OPTIONS (user 'app', password 'sec-pw-server-1');
ALTER SERVER sec_srv2 OPTIONS (SET password 'sec-pw-server-2');
CREATE USER MAPPING FOR regress_sec_owner SERVER sec_srv
    OPTIONS (user 'app', password 'sec-pw-mapping-1');
ALTER USER MAPPING FOR regress_sec_owner SERVER sec_srv
    OPTIONS (SET password E'sec-pw-mapping-2\'s');
ALTER USER MAPPING FOR regress_sec_owner SERVER sec_srv
    OPTIONS (SET password $pw$sec-pw-mapping-3$pw$);
ALTER USER MAPPING FOR CURRENT_USER SERVER sec_srv
    OPTIONS (SET password U&'sec-pw-mapping-4');
CREATE USER MAPPING FOR regress_sec_user SERVER sec_srv
    OPTIONS (user 'u', password $$sec-pw-mapping-5$$);
DO $$ BEGIN
    EXECUTE format('ALTER USER MAPPING FOR regress_sec_user SERVER sec_srv OPTIONS (SET password %L)',
                   'sec-pw-' || 'mapping-6');
END $$;
RESET ROLE;
-- a subscription's connection string carries a password too (the
-- warnings about wal_level and the unconnected subscription do not matter)
SET client_min_messages = error;
CREATE PUBLICATION sec_pub;
CREATE SUBSCRIPTION sec_sub
    CONNECTION 'host=db.example.com dbname=app password=sec-pw-subscription-1'
    PUBLICATION sec_pub WITH (connect = false, slot_name = NONE);
RESET client_min_messages;
ALTER SUBSCRIPTION sec_sub
    CONNECTION 'host=db.example.com dbname=app password=sec-pw-subscription-2';
SELECT id - :mark AS n, command_tag, statement FROM schemaguard.changelog
 WHERE id > :mark ORDER BY id;

-- every column of every changelog row, and of every baseline
SELECT count(*) AS changelog_rows_with_a_password
  FROM schemaguard.changelog c WHERE c::text LIKE '%sec-pw-%';
SELECT schemaguard.take_baseline('sec_passwords',
           '{owners,privileges,comments,column_order,storage}') IS NOT NULL AS taken;
SELECT count(*) AS baseline_rows_with_a_password
  FROM schemaguard.baseline_objects o WHERE o::text LIKE '%sec-pw-%';
-- snapshot, fingerprint input, manifests and drift, with every facet
SELECT count(*) AS snapshot_rows, count(*) FILTER (WHERE s::text LIKE '%sec-pw-%') AS with_a_password
  FROM schemaguard.snapshot('{owners,privileges,comments,column_order,storage}') s;
SELECT schemaguard.export_manifest('{owners,privileges,comments,column_order,storage}')::text
       LIKE '%sec-pw-%' AS manifest_has_a_password;
SELECT count(*) FILTER (WHERE d::text LIKE '%sec-pw-%') AS drift_rows_with_a_password
  FROM schemaguard.drift('sec_genuine') d;
SELECT count(*) FILTER (WHERE c::text LIKE '%sec-pw-%') AS compare_rows_with_a_password
  FROM schemaguard.compare(:'manifest'::jsonb,
                           schemaguard.export_manifest('{owners,privileges,comments}')) c;
SELECT count(*) FILTER (WHERE c::text LIKE '%sec-pw-%') AS compare_rows_with_a_password
  FROM schemaguard.compare(:'manifest'::jsonb) c;
-- check() on statements with passwords: neither its rows nor its errors
SELECT count(*) AS check_rows, count(*) FILTER (WHERE c::text LIKE '%sec-pw-%') AS with_a_password
  FROM schemaguard.check($$
CREATE USER MAPPING FOR regress_sec_user SERVER sec_srv OPTIONS (password 'sec-pw-check-1');
ALTER SERVER sec_srv OPTIONS (SET sslpassword 'sec-pw-check-2');
CREATE ROLE regress_sec_pw3 PASSWORD 'sec-pw-check-3';
ALTER SUBSCRIPTION sec_sub CONNECTION 'password=sec-pw-check-4';
$$) c;
CREATE FUNCTION pg_temp.check_error(script text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    msg text; detail text; hint text; ctx text;
BEGIN
    PERFORM schemaguard.check(script);
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
                            hint = PG_EXCEPTION_HINT, ctx = PG_EXCEPTION_CONTEXT;
    RETURN CASE WHEN concat_ws(' ', msg, detail, hint, ctx) LIKE '%sec-pw-%'
                THEN 'error shows the password: ' || msg
                ELSE 'error without the password: ' || msg END;
END
$$;
SELECT pg_temp.check_error($$CREATE USER MAPPING FOR regress_sec_user SERVER sec_srv OPTIONS (password 'sec-pw-check-5'$$);
SELECT pg_temp.check_error($$ALTER ROLE regress_sec_pw PASSWORD 'sec-pw-check-6' garbage$$);
SELECT pg_temp.check_error($$CREATE SUBSCRIPTION s CONNECTION 'password=sec-pw-check-7' PUBLICATION p WITH (bogus)$$);

-- the roles that may read the changelog and the baselines
SELECT c.relname, r.rolname,
       has_table_privilege(r.rolname, c.oid, 'SELECT') AS can_select
  FROM pg_class c, pg_roles r
 WHERE c.relnamespace = 'schemaguard'::regnamespace AND c.relkind = 'r'
   AND r.rolname IN ('regress_sec_user', 'regress_sec_owner', 'regress_sec_granted')
 ORDER BY 1, 2;

DROP SUBSCRIPTION sec_sub;
DROP PUBLICATION sec_pub;
DROP SERVER sec_srv, sec_srv2 CASCADE;
DROP FOREIGN DATA WRAPPER sec_fdw;
DROP EXTENSION postgres_fdw;
DROP ROLE regress_sec_pw, regress_sec_pw2;

-- =====================================================================
-- 5. hijacking schemaguard's SECURITY DEFINER functions, event triggers
--    and the commit-time writer
-- =====================================================================
-- every SECURITY DEFINER function of the extension has a pinned
-- search_path with pg_temp last
SELECT p.oid::regprocedure AS function, p.proconfig,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'schemaguard')
   AND d.deptype = 'e' AND p.prosecdef
 ORDER BY 1;
-- and every function of the extension, with what it runs as
SELECT p.oid::regprocedure AS function, p.prosecdef AS security_definer, l.lanname,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'schemaguard')
   AND d.deptype = 'e'
 ORDER BY 1;

-- Trojans, in the public schema (which the database owner owns), in a
-- schema of its own and in its temporary schema: functions and operators
-- named like the built-ins schemaguard's SQL uses, with signatures that
-- match better than pg_catalog's when found first.  A trojan that runs
-- records itself in sec_own.marker.
SET ROLE regress_sec_owner;
CREATE FUNCTION sec_own.trojan(what text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sec_own.marker
    SELECT what, current_user, (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user);
    RETURN true;
END
$$;
GRANT EXECUTE ON FUNCTION sec_own.trojan(text) TO PUBLIC;
DO $do$
DECLARE
    s text;
BEGIN
    FOREACH s IN ARRAY ARRAY['public', 'sec_own', 'pg_temp'] LOOP
        EXECUTE format($f$
            CREATE FUNCTION %1$s.sha256(bytea) RETURNS bytea LANGUAGE sql
            AS $$ SELECT pg_catalog.sha256($1) WHERE sec_own.trojan('%1$s.sha256') $$;
            CREATE FUNCTION %1$s.encode(bytea, text) RETURNS text LANGUAGE sql
            AS $$ SELECT pg_catalog.encode($1, $2) WHERE sec_own.trojan('%1$s.encode') $$;
            CREATE FUNCTION %1$s.convert_to(text, text) RETURNS bytea LANGUAGE sql
            AS $$ SELECT pg_catalog.convert_to($1, $2) WHERE sec_own.trojan('%1$s.convert_to') $$;
            CREATE FUNCTION %1$s.octet_length(bytea) RETURNS integer LANGUAGE sql
            AS $$ SELECT pg_catalog.octet_length($1) WHERE sec_own.trojan('%1$s.octet_length') $$;
            CREATE FUNCTION %1$s.repeat(text, bigint) RETURNS text LANGUAGE sql
            AS $$ SELECT pg_catalog.repeat($1, $2::int) WHERE sec_own.trojan('%1$s.repeat') $$;
            CREATE FUNCTION %1$s.format(text, bigint, bigint) RETURNS text LANGUAGE sql
            AS $$ SELECT pg_catalog.format($1, $2, $3) WHERE sec_own.trojan('%1$s.format') $$;
            CREATE FUNCTION %1$s.to_char(timestamp, text) RETURNS text LANGUAGE sql
            AS $$ SELECT pg_catalog.to_char($1, $2) WHERE sec_own.trojan('%1$s.to_char') $$;
            CREATE FUNCTION %1$s.unnest(text[]) RETURNS SETOF text LANGUAGE sql
            AS $$ SELECT pg_catalog.unnest($1) WHERE sec_own.trojan('%1$s.unnest') $$;
            CREATE FUNCTION %1$s.now() RETURNS timestamptz LANGUAGE sql
            AS $$ SELECT pg_catalog.now() WHERE sec_own.trojan('%1$s.now') $$;
            CREATE FUNCTION %1$s.text_eq(text, text) RETURNS boolean LANGUAGE sql
            AS $$ SELECT pg_catalog.texteq($1, $2) AND sec_own.trojan('%1$s.=') $$;
            CREATE FUNCTION %1$s.text_concat(text, text) RETURNS text LANGUAGE sql
            AS $$ SELECT pg_catalog.textcat($1, $2) WHERE sec_own.trojan('%1$s.||') $$;
            CREATE FUNCTION %1$s.int8_ne(bigint, bigint) RETURNS boolean LANGUAGE sql
            AS $$ SELECT pg_catalog.int8ne($1, $2) AND sec_own.trojan('%1$s.<>') $$;
            CREATE FUNCTION %1$s.int8_plus(bigint, integer) RETURNS bigint LANGUAGE sql
            AS $$ SELECT pg_catalog.int84pl($1, $2) WHERE sec_own.trojan('%1$s.+') $$;
            CREATE FUNCTION %1$s.oid_eq(oid, oid) RETURNS boolean LANGUAGE sql
            AS $$ SELECT pg_catalog.oideq($1, $2) AND sec_own.trojan('%1$s.=oid') $$;
        $f$, s);
        IF s <> 'pg_temp' THEN  -- operators cannot be temporary
            EXECUTE format($f$
                CREATE OPERATOR %1$s.= (LEFTARG = text, RIGHTARG = text, FUNCTION = %1$s.text_eq);
                CREATE OPERATOR %1$s.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = %1$s.text_concat);
                CREATE OPERATOR %1$s.<> (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = %1$s.int8_ne);
                CREATE OPERATOR %1$s.+ (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = %1$s.int8_plus);
                CREATE OPERATOR %1$s.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = %1$s.oid_eq);
            $f$, s);
        END IF;
    END LOOP;
END
$do$;
-- tables named like schemaguard's, first on the path (sec_own.changelog
-- exists already)
CREATE TABLE sec_own.baselines (id int, label text);
CREATE TEMP TABLE changelog (id bigint, statement text);
CREATE TEMP TABLE baselines (id int, label text);
-- its own functions first, before pg_catalog
SET search_path = sec_own, public, pg_catalog;
-- (the trojans work: one fires here, called by the role itself)
SELECT 'a'::text || 'b'::text AS concatenated;
SET search_path = pg_temp, sec_own, public, pg_catalog;
SELECT count(*) AS problems FROM schemaguard.verify_changelog();
SELECT id > 0 AS has_head FROM schemaguard.changelog_head();
SELECT count(*) > 0 AS has_rows FROM schemaguard.snapshot();
SELECT schemaguard.fingerprint() IS NOT NULL AS fingerprinted;
SELECT schemaguard.export_manifest() ? 'objects' AS exported;
SELECT count(*) >= 0 AS compared FROM schemaguard.compare(schemaguard.export_manifest());
SELECT count(*) > 0 AS has_rules FROM schemaguard.list_rules();
SELECT schemaguard.entry_canonical(1, pg_catalog.now(), '1', 'a', 'a', NULL, NULL, 'x', '[]', 'x', 'x', NULL, '{}', '{}', 'x') LIKE 'schemaguard-changelog-v1%' AS canonical;
SELECT schemaguard.sha256_text('x') LIKE 'sha256:%' AS hashed;
-- DDL: the guard, the event triggers and the writer at commit
CREATE TABLE sec_own.hijack (a int, b text);
ALTER TABLE sec_own.hijack ADD COLUMN c int;
DROP TABLE sec_own.hijack;
RESET search_path;
RESET ROLE;
-- the functions that are not for everyone, granted to the role
GRANT EXECUTE ON FUNCTION schemaguard.take_baseline(text, text[]),
    schemaguard.drift(text), schemaguard.check(text) TO regress_sec_owner;
SET ROLE regress_sec_owner;
SET search_path = sec_own, public, pg_catalog;
SELECT schemaguard.take_baseline('sec_hijack') IS NOT NULL AS taken;
SELECT count(*) >= 0 AS drift FROM schemaguard.drift('sec_hijack');
SELECT count(*) >= 0 AS checked FROM schemaguard.check('CREATE INDEX ON sec_own.big (v)');
RESET search_path;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION schemaguard.take_baseline(text, text[]),
    schemaguard.drift(text), schemaguard.check(text) FROM regress_sec_owner;
-- the superuser, with the path that the database owner can set for
-- everybody (ALTER DATABASE ... SET search_path)
SET search_path = sec_own, public, pg_catalog;
SELECT count(*) AS problems FROM schemaguard.verify_changelog();
SELECT schemaguard.take_baseline('sec_hijack_su') IS NOT NULL AS taken;
SELECT count(*) >= 0 AS drift FROM schemaguard.drift('sec_hijack_su');
SELECT count(*) > 0 AS has_rows FROM schemaguard.snapshot();
SELECT count(*) AS findings FROM schemaguard.check('CREATE INDEX ON sec_own.big (v)');
CREATE TABLE sec_own.hijack_su (a int);
ALTER TABLE sec_own.hijack_su ADD COLUMN b text;
ALTER TABLE sec_own.hijack_su ALTER COLUMN b TYPE varchar(10);
DROP TABLE sec_own.hijack_su;
RESET search_path;
-- only the one call above, made by the role itself, ran a trojan
SELECT fired, by_role, superuser FROM sec_own.marker;
SELECT count(*) AS rows_in_lookalike_changelog FROM sec_own.changelog;
SELECT * FROM schemaguard.verify_changelog();

-- =====================================================================
-- 6. learning about a table through the guard without the right to
-- =====================================================================
-- The guard judges a statement only where the role passes the server's own
-- permission checks: a role that may not drop a table gets the server's
-- error whether or not the table has rows, and the guard neither locks nor
-- reads it.  A role that may empty a table (TRUNCATE) but not read it is
-- told it would lose rows, whether or not there are any.
SET schemaguard.mode = off;
CREATE TABLE public.sec_secret (v text);
INSERT INTO public.sec_secret VALUES ('the secret');
CREATE TABLE public.sec_secret_empty (v text);
GRANT TRUNCATE ON public.sec_secret, public.sec_secret_empty TO regress_sec_user;
RESET schemaguard.mode;
SET ROLE regress_sec_user;
DROP TABLE public.sec_secret;
DROP TABLE public.sec_secret_empty;
ALTER TABLE public.sec_secret ADD COLUMN w text DEFAULT random()::text;
TRUNCATE public.sec_secret;
TRUNCATE public.sec_secret_empty;
RESET ROLE;
SELECT count(*) AS secret_rows FROM public.sec_secret;
SET schemaguard.mode = off;
DROP TABLE public.sec_secret, public.sec_secret_empty;
RESET schemaguard.mode;

-- =====================================================================
-- clean up
-- =====================================================================
DELETE FROM schemaguard.baseline_objects o USING schemaguard.baselines b
 WHERE b.id = o.baseline_id AND (b.label LIKE 'sec%' OR b.label LIKE 'x%');
DELETE FROM schemaguard.baselines WHERE label LIKE 'sec%' OR label LIKE 'x%';
ALTER DATABASE :"db" OWNER TO CURRENT_USER;
REVOKE SET ON PARAMETER schemaguard.mode, schemaguard.rules,
    schemaguard.changelog, schemaguard.allow FROM regress_sec_granted;
-- the roles' objects: schema sec_own with its rows, the trojans in public
-- and in pg_temp
SET schemaguard.mode = off;
DROP OWNED BY regress_sec_user, regress_sec_owner, regress_sec_granted;
RESET schemaguard.mode;
DROP ROLE regress_sec_user, regress_sec_owner, regress_sec_granted;
SELECT * FROM schemaguard.verify_changelog();

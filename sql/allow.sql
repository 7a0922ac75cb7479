--
-- allow: governed exceptions.  A migration role granted SET on
-- schemaguard.allow makes an exception that lasts one transaction (SET
-- LOCAL, a function's SET clause), or, outside a transaction block, the one
-- statement after a SET when that statement cannot run in a transaction
-- block.  Every route that would make it outlast that is refused or
-- ignored; schemaguard.allowable_rules limits which rules a role may allow;
-- a superuser keeps full power.  Routes that need a new connection
-- (PGOPTIONS, ALTER ROLE ... SET applied at login) are in
-- test/t/020_security.pl.
--
\set VERBOSITY default
SELECT current_database() AS db \gset
CREATE ROLE regress_allow_mig;
CREATE ROLE regress_allow_plain;
GRANT SET ON PARAMETER schemaguard.allow TO regress_allow_mig;
CREATE SCHEMA allow_s AUTHORIZATION regress_allow_mig;
SET schemaguard.table_size_threshold = 0;
CREATE TABLE allow_s.big (id bigint PRIMARY KEY, v text);
INSERT INTO allow_s.big SELECT g, 'v' || g FROM generate_series(1, 100) g;
-- a row estimate on every server version (18 and 19 leave it unset here)
ANALYZE allow_s.big;
ALTER TABLE allow_s.big OWNER TO regress_allow_mig;
SELECT coalesce(max(id), 0) AS base FROM schemaguard.changelog \gset

SET ROLE regress_allow_mig;

-- 1. SET LOCAL works, and the use is recorded in the changelog
BEGIN;
SET LOCAL schemaguard.allow = 'index_not_concurrent';
CREATE INDEX big_v_idx ON allow_s.big (v);
COMMIT;
SHOW schemaguard.allow;
-- without it, blocked
CREATE INDEX big_id_idx ON allow_s.big (id);
DROP INDEX CONCURRENTLY allow_s.big_v_idx;

-- 2. SET without LOCAL inside a transaction block is refused
BEGIN;
SET schemaguard.allow = 'index_not_concurrent';
ROLLBACK;
BEGIN;
SET SESSION schemaguard.allow TO 'index_not_concurrent';
ROLLBACK;
-- RESET and SET LOCAL stay possible in a block
BEGIN;
SET LOCAL schemaguard.allow = 'index_not_concurrent';
RESET schemaguard.allow;
SET schemaguard.allow TO DEFAULT;
ROLLBACK;

-- 3. a plain SET outside a block does not reach a later transaction: the
-- hint says why
SET schemaguard.allow = 'index_not_concurrent';
SHOW schemaguard.allow;
CREATE INDEX big_v_idx ON allow_s.big (v);
BEGIN;
CREATE INDEX big_v_idx ON allow_s.big (v);
ROLLBACK;
RESET schemaguard.allow;

-- 4. set_config(..., false) counts in its own transaction only
BEGIN;
SELECT set_config('schemaguard.allow', 'index_not_concurrent', false);
CREATE INDEX big_v_idx ON allow_s.big (v);
COMMIT;
SHOW schemaguard.allow;
CREATE INDEX big_id_idx ON allow_s.big (id);
RESET schemaguard.allow;
DROP INDEX CONCURRENTLY allow_s.big_v_idx;

-- 5. a function's SET clause counts while the function runs
CREATE FUNCTION allow_s.make_index() RETURNS void LANGUAGE plpgsql
SET schemaguard.allow = 'index_not_concurrent'
AS $$ BEGIN CREATE INDEX big_v_idx ON allow_s.big (v); END $$;
SELECT allow_s.make_index();
SHOW schemaguard.allow;
CREATE INDEX big_id_idx ON allow_s.big (id);
DROP INDEX CONCURRENTLY allow_s.big_v_idx;

-- 6. a statement that cannot run in a transaction block: the SET just
-- before it counts for it, and for nothing after
SET schemaguard.allow = 'reindex_not_concurrent';
REINDEX SCHEMA allow_s;
REINDEX SCHEMA allow_s;
RESET schemaguard.allow;
SET schemaguard.allow = 'reindex_not_concurrent';
SELECT 1 AS another_statement;
REINDEX SCHEMA allow_s;
RESET schemaguard.allow;
-- SET LOCAL cannot help there (the server only warns)
SET LOCAL schemaguard.allow = 'reindex_not_concurrent';
REINDEX SCHEMA allow_s;

-- 7. stored settings are refused
ALTER ROLE regress_allow_mig SET schemaguard.allow = 'all';
ALTER ROLE regress_allow_mig IN DATABASE :"db" SET schemaguard.allow = 'drop_table';
ALTER ROLE regress_allow_mig SET schemaguard.allow FROM CURRENT;
ALTER DATABASE :"db" SET schemaguard.allow = 'all';
RESET ROLE;
SELECT count(*) AS stored FROM pg_db_role_setting s
  JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'regress_allow_mig';
-- a role without SET on the parameter gets the server's own refusal
SET ROLE regress_allow_plain;
ALTER ROLE regress_allow_plain SET schemaguard.allow = 'all';
BEGIN;
SET LOCAL schemaguard.allow = 'all';
ROLLBACK;
RESET ROLE;

-- 8. schemaguard.allowable_rules: which rules a role may allow.  Only a
-- superuser sets it (per role: ALTER ROLE ... SET, applied at login; here
-- for the session).
SET schemaguard.allowable_rules = 'index_not_concurrent, drop_column';
SHOW schemaguard.allowable_rules;
SET schemaguard.allowable_rules = 'index_not_concurent';
SET ROLE regress_allow_mig;
BEGIN;
SET LOCAL schemaguard.allow = 'drop_table';
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.allow = 'all';
ROLLBACK;
BEGIN;
SELECT set_config('schemaguard.allow', 'index_not_concurrent, reindex_not_concurrent', true);
ROLLBACK;
-- a function's SET clause is held to it when the function is created
-- (its body is checked with the SET applied) and when it runs
CREATE FUNCTION allow_s.drop_big() RETURNS void LANGUAGE sql
SET schemaguard.allow = 'drop_table' AS 'DROP TABLE allow_s.big';
SET check_function_bodies = off;
CREATE FUNCTION allow_s.drop_big() RETURNS void LANGUAGE sql
SET schemaguard.allow = 'drop_table' AS 'DROP TABLE allow_s.big';
RESET check_function_bodies;
SELECT allow_s.drop_big();
SELECT count(*) AS big_is_there FROM allow_s.big;
BEGIN;
SET LOCAL schemaguard.allow = 'index_not_concurrent';
CREATE INDEX big_v_idx ON allow_s.big (v);
ROLLBACK;
-- the role cannot change the limit, even when granted SET on it
SET schemaguard.allowable_rules = 'all';
RESET ROLE;
GRANT SET ON PARAMETER schemaguard.allowable_rules TO regress_allow_mig;
SET ROLE regress_allow_mig;
SET schemaguard.allowable_rules = 'all';
BEGIN;
SET LOCAL schemaguard.allowable_rules = 'drop_table';
ROLLBACK;
ALTER ROLE regress_allow_mig SET schemaguard.allowable_rules = 'all';
RESET ROLE;
REVOKE SET ON PARAMETER schemaguard.allowable_rules FROM regress_allow_mig;
-- an empty limit: no rule at all
SET schemaguard.allowable_rules = '';
SET ROLE regress_allow_mig;
BEGIN;
SET LOCAL schemaguard.allow = 'index_not_concurrent';
ROLLBACK;
RESET ROLE;
SET schemaguard.allowable_rules = 'index_not_concurrent, drop_column';
-- a limit narrowed after the value was set is still obeyed when judged
SET ROLE regress_allow_mig;
BEGIN;
SET LOCAL schemaguard.allow = 'index_not_concurrent';
RESET ROLE;
SET LOCAL schemaguard.allowable_rules = 'drop_column';
SET ROLE regress_allow_mig;
CREATE INDEX big_v_idx ON allow_s.big (v);
ROLLBACK;

-- 9. a superuser keeps full power: a session-level SET, any rule
RESET ROLE;
SET schemaguard.allow = 'index_not_concurrent';
BEGIN;
CREATE INDEX big_v_idx ON allow_s.big (v);
ROLLBACK;
BEGIN;
SET schemaguard.allow = 'index_not_concurrent';
COMMIT;
-- and a superuser's SECURITY DEFINER function with a SET clause is a
-- governed exception the DBA hands out, beyond the role's own limit
RESET schemaguard.allow;
CREATE FUNCTION allow_s.make_v_index() RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET schemaguard.allow = 'index_not_concurrent'
AS $$ BEGIN CREATE INDEX big_v_idx ON allow_s.big (v); END $$;
GRANT EXECUTE ON FUNCTION allow_s.make_v_index() TO regress_allow_mig;
SET schemaguard.allowable_rules = 'drop_column';
SET ROLE regress_allow_mig;
SELECT allow_s.make_v_index();
RESET ROLE;
RESET schemaguard.allowable_rules;

-- every exception that took effect is in the changelog, with its rule
-- (REINDEX reaches the changelog from PostgreSQL 17 on, whose event
-- triggers see it: expected/allow_1.out)
SELECT role_name, command_tag, allowed_rules FROM schemaguard.changelog
 WHERE id > :base AND allowed_rules <> '{}' ORDER BY id;

-- clean up
SET schemaguard.mode = off;
DROP SCHEMA allow_s CASCADE;
RESET schemaguard.mode;
REVOKE SET ON PARAMETER schemaguard.allow FROM regress_allow_mig;
DROP ROLE regress_allow_mig, regress_allow_plain;
SELECT * FROM schemaguard.verify_changelog();

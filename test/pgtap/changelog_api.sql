-- test/pgtap/changelog_api.sql — the contract of schemaguard.changelog and
-- its functions (SPEC.md, "Changelog").
--
-- Run by test/run.sh with pg_prove in a database that has pgtap and
-- schemaguard installed.  Checks the table's columns and types, the
-- functions' signatures, that nobody may write the table, that the
-- SECURITY DEFINER functions pin their search_path, and that pg_dump
-- dumps the table.  What gets recorded is covered by pg_regress
-- (sql/changelog.sql, sql/changelog_tamper.sql).
BEGIN;
SELECT plan(53);

-- =====================================================================
-- the table
-- =====================================================================
SELECT has_table('schemaguard', 'changelog', 'schemaguard.changelog exists');
SELECT columns_are('schemaguard', 'changelog', ARRAY[
	'id', 'recorded_at', 'xid', 'role_name', 'session_role',
	'application_name', 'client_addr', 'command_tag', 'objects', 'statement',
	'statement_sha256', 'migration', 'allowed_rules', 'warnings',
	'prev_hash', 'entry_hash'],
	'schemaguard.changelog has exactly the columns of SPEC.md');
SELECT col_type_is('schemaguard', 'changelog', 'id', 'bigint', 'id is bigint');
SELECT col_type_is('schemaguard', 'changelog', 'recorded_at', 'timestamp with time zone',
	'recorded_at is timestamptz');
SELECT col_type_is('schemaguard', 'changelog', 'xid', 'xid8', 'xid is xid8');
SELECT col_type_is('schemaguard', 'changelog', 'role_name', 'name', 'role_name is name');
SELECT col_type_is('schemaguard', 'changelog', 'session_role', 'name', 'session_role is name');
SELECT col_type_is('schemaguard', 'changelog', 'application_name', 'text',
	'application_name is text');
SELECT col_type_is('schemaguard', 'changelog', 'client_addr', 'inet', 'client_addr is inet');
SELECT col_type_is('schemaguard', 'changelog', 'command_tag', 'text', 'command_tag is text');
SELECT col_type_is('schemaguard', 'changelog', 'objects', 'jsonb', 'objects is jsonb');
SELECT col_type_is('schemaguard', 'changelog', 'statement', 'text', 'statement is text');
SELECT col_type_is('schemaguard', 'changelog', 'statement_sha256', 'text',
	'statement_sha256 is text');
SELECT col_type_is('schemaguard', 'changelog', 'migration', 'text', 'migration is text');
SELECT col_type_is('schemaguard', 'changelog', 'allowed_rules', 'text[]',
	'allowed_rules is text[]');
SELECT col_type_is('schemaguard', 'changelog', 'warnings', 'text[]', 'warnings is text[]');
SELECT col_type_is('schemaguard', 'changelog', 'prev_hash', 'text', 'prev_hash is text');
SELECT col_type_is('schemaguard', 'changelog', 'entry_hash', 'text', 'entry_hash is text');
-- the order matters to anyone exporting the table (test/verify_changelog.py)
SELECT is(
	(SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
	   FROM pg_attribute
	  WHERE attrelid = 'schemaguard.changelog'::regclass AND attnum > 0 AND NOT attisdropped),
	'id bigint, recorded_at timestamp with time zone, xid xid8, role_name name, '
	'session_role name, application_name text, client_addr inet, command_tag text, '
	'objects jsonb, statement text, statement_sha256 text, migration text, '
	'allowed_rules text[], warnings text[], prev_hash text, entry_hash text',
	'the columns are in the order of SPEC.md');
SELECT col_is_pk('schemaguard', 'changelog', 'id', 'id is the primary key');

-- =====================================================================
-- the functions
-- =====================================================================
SELECT has_function('schemaguard', 'verify_changelog', ARRAY[]::name[],
	'schemaguard.verify_changelog() exists');
SELECT function_returns('schemaguard', 'verify_changelog', ARRAY[]::name[], 'setof record');
SELECT is(
	(SELECT string_agg(a.name || ' ' || format_type(a.type, NULL), ', ' ORDER BY a.n)
	 FROM pg_proc p,
	      unnest(p.proargnames, p.proallargtypes, p.proargmodes)
	        WITH ORDINALITY AS a(name, type, mode, n)
	 WHERE p.oid = 'schemaguard.verify_changelog()'::regprocedure
	   AND a.mode IN ('o', 't')),
	'id bigint, problem text',
	'verify_changelog() returns (id bigint, problem text)');

SELECT has_function('schemaguard', 'changelog_head', ARRAY[]::name[],
	'schemaguard.changelog_head() exists');
SELECT function_returns('schemaguard', 'changelog_head', ARRAY[]::name[], 'setof record');
SELECT is(
	(SELECT string_agg(a.name || ' ' || format_type(a.type, NULL), ', ' ORDER BY a.n)
	 FROM pg_proc p,
	      unnest(p.proargnames, p.proallargtypes, p.proargmodes)
	        WITH ORDINALITY AS a(name, type, mode, n)
	 WHERE p.oid = 'schemaguard.changelog_head()'::regprocedure
	   AND a.mode IN ('o', 't')),
	'id bigint, entry_hash text',
	'changelog_head() returns (id bigint, entry_hash text)');

SELECT has_function('schemaguard', 'sha256_text', ARRAY['text'],
	'schemaguard.sha256_text(text) exists');
SELECT function_returns('schemaguard', 'sha256_text', ARRAY['text'], 'text');
SELECT is(schemaguard.sha256_text('abc'),
	'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
	'sha256_text() is "sha256:" and the hex SHA-256 (FIPS 180-2 test vector)');

SELECT has_function('schemaguard', 'entry_canonical',
	ARRAY['bigint', 'timestamp with time zone', 'xid8', 'name', 'name', 'text',
	      'inet', 'text', 'jsonb', 'text', 'text', 'text', 'text[]', 'text[]', 'text'],
	'schemaguard.entry_canonical(...) takes the 15 columns before entry_hash');
SELECT function_returns('schemaguard', 'entry_canonical',
	ARRAY['bigint', 'timestamp with time zone', 'xid8', 'name', 'name', 'text',
	      'inet', 'text', 'jsonb', 'text', 'text', 'text', 'text[]', 'text[]', 'text'],
	'text');
-- the canonical form documented in test/verify_changelog.py
SELECT is(
	schemaguard.entry_canonical(7, '2024-01-02 03:04:05.5+02', '42', 'r', 's', NULL,
		'10.0.0.1', 'CREATE TABLE', '[]', 'é', 'sha256:x', NULL, '{a}', '{}', 'sha256:p'),
	E'schemaguard-changelog-v1\n1:7\n27:2024-01-02T01:04:05.500000Z\n2:42\n1:r\n1:s\n-\n' ||
	E'11:10.0.0.1/32\n12:CREATE TABLE\n2:[]\n2:é\n8:sha256:x\n-\n3:{a}\n2:{}\n8:sha256:p',
	'entry_canonical(): version line, then "<bytes>:<text>" or "-" per column, UTC times');

-- =====================================================================
-- nobody writes the table
-- =====================================================================
SELECT ok(NOT has_table_privilege('public', 'schemaguard.changelog', 'INSERT')
	  AND NOT has_table_privilege('public', 'schemaguard.changelog', 'UPDATE')
	  AND NOT has_table_privilege('public', 'schemaguard.changelog', 'DELETE')
	  AND NOT has_table_privilege('public', 'schemaguard.changelog', 'TRUNCATE'),
	'PUBLIC has no INSERT, UPDATE, DELETE or TRUNCATE on the changelog');
SELECT is_empty($$
	SELECT a.privilege_type
	  FROM pg_class c, aclexplode(c.relacl) a
	 WHERE c.oid = 'schemaguard.changelog'::regclass
	   AND a.grantee <> c.relowner
	   AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')$$,
	'no role but the owner is granted INSERT, UPDATE, DELETE or TRUNCATE');

CREATE ROLE sg_pgtap_fresh_role;
SELECT ok(NOT has_table_privilege('sg_pgtap_fresh_role', 'schemaguard.changelog', 'INSERT')
	  AND NOT has_table_privilege('sg_pgtap_fresh_role', 'schemaguard.changelog', 'UPDATE')
	  AND NOT has_table_privilege('sg_pgtap_fresh_role', 'schemaguard.changelog', 'DELETE')
	  AND NOT has_table_privilege('sg_pgtap_fresh_role', 'schemaguard.changelog', 'TRUNCATE'),
	'a fresh role has no INSERT, UPDATE, DELETE or TRUNCATE on the changelog');
SET LOCAL ROLE sg_pgtap_fresh_role;
SELECT throws_ok($$INSERT INTO schemaguard.changelog (id) VALUES (0)$$, '42501', NULL,
	'a fresh role cannot INSERT');
SELECT throws_ok($$UPDATE schemaguard.changelog SET statement = ''$$, '42501', NULL,
	'a fresh role cannot UPDATE');
SELECT throws_ok($$DELETE FROM schemaguard.changelog$$, '42501', NULL,
	'a fresh role cannot DELETE');
SET LOCAL client_min_messages = error;  -- the truncate rule may warn first
SELECT throws_ok($$TRUNCATE schemaguard.changelog$$, '42501', NULL,
	'a fresh role cannot TRUNCATE');
SELECT throws_ok($$SET LOCAL schemaguard.changelog = off$$, '42501', NULL,
	'a fresh role cannot turn the changelog off');
RESET client_min_messages;
RESET ROLE;

-- =====================================================================
-- SECURITY DEFINER with a pinned search_path
-- =====================================================================
SELECT is_definer('schemaguard', 'verify_changelog', ARRAY[]::name[],
	'verify_changelog() is SECURITY DEFINER');
SELECT is_definer('schemaguard', 'changelog_head', ARRAY[]::name[],
	'changelog_head() is SECURITY DEFINER');
SELECT is_empty($$
	SELECT p.oid::regprocedure
	  FROM pg_proc p
	 WHERE p.oid IN ('schemaguard.verify_changelog()'::regprocedure,
	                 'schemaguard.changelog_head()'::regprocedure)
	   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) cfg
	                    WHERE cfg ~ '^search_path=pg_catalog(, *pg_temp)?$')$$,
	'verify_changelog() and changelog_head() pin search_path to pg_catalog (and pg_temp last)');

-- =====================================================================
-- pg_dump dumps the table
-- =====================================================================
SELECT ok((SELECT 'schemaguard.changelog'::regclass = ANY (e.extconfig)
	     FROM pg_extension e WHERE e.extname = 'schemaguard'),
	'schemaguard.changelog is in pg_extension.extconfig (pg_extension_config_dump)');
SELECT is((SELECT e.extcondition[array_position(e.extconfig, 'schemaguard.changelog'::regclass)]
	     FROM pg_extension e WHERE e.extname = 'schemaguard'),
	'',
	'every row of the changelog is dumped (no WHERE condition)');

-- =====================================================================
-- 0.2.0: prepared transactions' entries, and logical replication
-- =====================================================================
SELECT has_table('schemaguard', 'changelog_pending', 'schemaguard.changelog_pending exists');
SELECT col_is_pk('schemaguard', 'changelog_pending', ARRAY['xid', 'seq'],
	'changelog_pending is keyed by (xid, seq)');
SELECT ok(NOT has_table_privilege('sg_pgtap_fresh_role', 'schemaguard.changelog_pending', 'SELECT')
	  AND NOT has_table_privilege('sg_pgtap_fresh_role', 'schemaguard.changelog_pending', 'INSERT')
	  AND NOT has_table_privilege('sg_pgtap_fresh_role', 'schemaguard.changelog_pending', 'DELETE'),
	'a fresh role can neither read nor write changelog_pending');
SELECT ok(NOT has_function_privilege('sg_pgtap_fresh_role', 'schemaguard.chain_pending()', 'EXECUTE'),
	'a fresh role cannot run chain_pending() (it takes the changelog lock)');
SELECT function_returns('schemaguard', 'chain_pending', ARRAY[]::name[], 'bigint');
SELECT is((SELECT e.extcondition[array_position(e.extconfig, 'schemaguard.changelog_pending'::regclass)]
	     FROM pg_extension e WHERE e.extname = 'schemaguard'),
	'',
	'every row of changelog_pending is dumped');
SELECT is((SELECT string_agg(c.relname || ':' || t.tgenabled::text, ',' ORDER BY c.relname)
	     FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
	    WHERE t.tgname = 'skip_replicated'),
	'baseline_objects:R,baselines:R,changelog:R,changelog_pending:R',
	'each table has the trigger skip_replicated, enabled for replication only');
SELECT is((SELECT string_agg(c.relname || ':' || c.relreplident::text, ',' ORDER BY c.relname)
	     FROM pg_class c
	    WHERE c.relnamespace = 'schemaguard'::regnamespace AND c.relkind = 'r'),
	'baseline_objects:f,baselines:d,changelog:d,changelog_pending:d',
	'every table has a replica identity (baseline_objects: FULL)');

SELECT * FROM finish();
ROLLBACK;

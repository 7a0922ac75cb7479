-- test/pgtap/list_rules.sql — the contract of schemaguard.list_rules().
--
-- Run by test/run.sh with pg_prove in a database that has pgtap and
-- schemaguard installed. Checks the function's signature and the shape of
-- its rows, not the full rule list (pg_regress covers each rule).
BEGIN;
SELECT plan(13);

SELECT has_schema('schemaguard');
SELECT has_function('schemaguard', 'list_rules', ARRAY[]::name[],
	'schemaguard.list_rules() exists');
SELECT function_returns('schemaguard', 'list_rules', ARRAY[]::name[], 'setof record');
SELECT is(
	(SELECT string_agg(a.name || ' ' || format_type(a.type, NULL), ', ' ORDER BY a.n)
	 FROM pg_proc p,
	      unnest(p.proargnames, p.proallargtypes, p.proargmodes)
	        WITH ORDINALITY AS a(name, type, mode, n)
	 WHERE p.oid = 'schemaguard.list_rules()'::regprocedure
	   AND a.mode IN ('o', 't')),
	'rule text, family text, default_level text, level text, description text, doc text',
	'list_rules() returns (rule, family, default_level, level, description, doc)');
SELECT volatility_is('schemaguard', 'list_rules', ARRAY[]::name[], 'stable');

SELECT cmp_ok((SELECT count(*) FROM schemaguard.list_rules()), '>', 0::bigint,
	'list_rules() returns rows');
SELECT is((SELECT count(DISTINCT rule) FROM schemaguard.list_rules()),
	(SELECT count(*) FROM schemaguard.list_rules()),
	'rule names are unique');
SELECT is_empty($$
	SELECT rule FROM schemaguard.list_rules()
	WHERE default_level NOT IN ('error', 'warn', 'off')
	   OR level NOT IN ('error', 'warn', 'off')$$,
	'every level is error, warn or off');
SELECT is_empty($$
	SELECT rule FROM schemaguard.list_rules()
	WHERE rule !~ '^[a-z][a-z_]*$' OR family IS NULL OR description IS NULL$$,
	'rule names are lower-case identifiers with a family and a description');
SELECT results_eq($$
	SELECT default_level, level FROM schemaguard.list_rules()
	WHERE rule = 'index_not_concurrent'$$,
	$$VALUES ('error', 'error')$$,
	'index_not_concurrent defaults to error');
SELECT is_empty($$
	SELECT rule FROM schemaguard.list_rules()
	WHERE doc IS DISTINCT FROM 'docs/rules/' || rule || '.md'$$,
	'doc is docs/rules/<rule>.md for every rule (schemaguard.docs_url unset)');

-- The effective level follows schemaguard.rules.
SET LOCAL schemaguard.rules = 'index_not_concurrent=warn';
SELECT results_eq($$
	SELECT default_level, level FROM schemaguard.list_rules()
	WHERE rule = 'index_not_concurrent'$$,
	$$VALUES ('error', 'warn')$$,
	'level follows schemaguard.rules');
SELECT throws_ok($$SET LOCAL schemaguard.rules = 'no_such_rule=warn'$$,
	'22023', NULL, 'unknown rule names in schemaguard.rules are rejected');

SELECT * FROM finish();
ROLLBACK;

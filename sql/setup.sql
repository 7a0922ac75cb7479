--
-- setup: the environment every other suite relies on.
--
-- pg_regress creates the database contrib_regression once per run, with
-- --load-extension=schemaguard, and runs every suite in it, one psql session
-- per file.  So each suite creates what it needs and drops it again at the
-- end; session settings (SET) do not carry over from one file to the next.
--

-- the guard is a ProcessUtility hook: the library must be preloaded
SELECT current_setting('shared_preload_libraries') ~ '(^|[\s,])"?schemaguard"?($|[\s,])'
       AS schemaguard_preloaded;

-- CREATE EXTENSION has been run by pg_regress
SELECT e.extname, e.extversion, n.nspname AS schema, e.extrelocatable
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'schemaguard';

-- the guard is on, with its defaults
SHOW schemaguard.mode;
SHOW schemaguard.table_size_threshold;

-- sizes in the expected output assume 8 kB blocks
SHOW block_size;

-- every suite relies on autovacuum not changing row estimates behind its back
SHOW autovacuum;

-- the rule table is reachable by everybody
SELECT has_schema_privilege('public', 'schemaguard', 'USAGE') AS public_usage,
       has_function_privilege('public', 'schemaguard.list_rules()', 'EXECUTE')
       AS public_list_rules;

-- drop_empty_table describes the statistics' record of scans on 16 and
-- later, and on 15 that there is none: the other suites leave that out
-- (guard_pg16 and guard_pg15 show it), so that their output is the same on
-- every version
DO $$BEGIN
    EXECUTE format('ALTER DATABASE %I SET schemaguard.recent_scan_window = 0', current_database());
END$$;

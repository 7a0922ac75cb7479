--
-- settings: schemaguard's GUCs, their defaults, validation of bad values,
-- the reserved prefix, list_rules(), and who may set what.
--

-- ---------------------------------------------------------------------
-- defaults
-- ---------------------------------------------------------------------
SHOW schemaguard.mode;
SHOW schemaguard.rules;
SHOW schemaguard.allow;
SHOW schemaguard.table_size_threshold;
SHOW schemaguard.assume_large_tables;

-- all settings are superuser-only (PGC_SUSET); allow is granted per role
SELECT name, setting, unit, vartype, context, boot_val, enumvals
  FROM pg_settings
 WHERE name IN ('schemaguard.mode', 'schemaguard.rules', 'schemaguard.allow',
                'schemaguard.table_size_threshold',
                'schemaguard.assume_large_tables')
 ORDER BY name;

-- ---------------------------------------------------------------------
-- list_rules(): every rule, its family, default and effective level
-- ---------------------------------------------------------------------
SELECT * FROM schemaguard.list_rules();

-- ---------------------------------------------------------------------
-- schemaguard.mode
-- ---------------------------------------------------------------------
SET schemaguard.mode = warn;
SHOW schemaguard.mode;
SET schemaguard.mode = off;
SHOW schemaguard.mode;
SET schemaguard.mode = 'ENFORCE';
SHOW schemaguard.mode;
SET schemaguard.mode = 'block';
SET schemaguard.mode = '';
RESET schemaguard.mode;

-- ---------------------------------------------------------------------
-- schemaguard.rules: rule=level, comma-separated
-- ---------------------------------------------------------------------
-- blanks around items and '=' are ignored, names and levels are case-blind
SET schemaguard.rules = ' Rename_Column = WARN ,set_not_null=off';
SHOW schemaguard.rules;
SELECT rule, default_level, level FROM schemaguard.list_rules()
 WHERE level <> default_level ORDER BY rule;
-- the list form of SET works as well
SET schemaguard.rules TO 'rename_column=off', 'index_not_concurrent=warn';
SELECT rule, default_level, level FROM schemaguard.list_rules()
 WHERE level <> default_level ORDER BY rule;
-- a rule listed twice: the last entry wins
SET schemaguard.rules = 'rename_schema=warn, rename_schema=off';
SELECT rule, default_level, level FROM schemaguard.list_rules()
 WHERE level <> default_level ORDER BY rule;
-- an empty or all-blank value means no overrides
SET schemaguard.rules = '  ';
SELECT count(*) AS overridden FROM schemaguard.list_rules()
 WHERE level <> default_level;

-- bad values are rejected and the previous value stays in force
SET schemaguard.rules = 'rename_column=warn';
SET schemaguard.rules = 'no_such_rule=warn';
SET schemaguard.rules = 'rename_column=loud';
SET schemaguard.rules = 'rename_column';
SET schemaguard.rules = 'rename_column=warn, set_not_null';
SET schemaguard.rules = 'rename_column=warn,,set_not_null=off';
SET schemaguard.rules = 'rename_column=warn,';
SET schemaguard.rules = ',rename_column=warn';
SET schemaguard.rules = '=warn';
SET schemaguard.rules = 'rename_column=';
SET schemaguard.rules = 'rename_column=warn=off';
SET schemaguard.rules = 'all=off';
SHOW schemaguard.rules;
SELECT rule, default_level, level FROM schemaguard.list_rules()
 WHERE level <> default_level ORDER BY rule;
RESET schemaguard.rules;
SELECT count(*) AS overridden FROM schemaguard.list_rules()
 WHERE level <> default_level;

-- ---------------------------------------------------------------------
-- schemaguard.allow: rule names, or all
-- ---------------------------------------------------------------------
SET schemaguard.allow = 'index_not_concurrent';
SHOW schemaguard.allow;
SET schemaguard.allow = ' Rename_Column , set_not_null ';
SHOW schemaguard.allow;
SET schemaguard.allow = 'all';
SHOW schemaguard.allow;
SET schemaguard.allow = 'ALL, rename_column';
SHOW schemaguard.allow;
SET schemaguard.allow = '';
SHOW schemaguard.allow;
-- bad values
SET schemaguard.allow = 'no_such_rule';
SET schemaguard.allow = 'rename_column, no_such_rule';
SET schemaguard.allow = 'rename_column=warn';
SET schemaguard.allow = 'rename_column,,set_not_null';
SET schemaguard.allow = ',';
SET schemaguard.allow = 'everything';
RESET schemaguard.allow;
-- SET LOCAL outside a transaction block has no effect (server warning)
SET LOCAL schemaguard.allow = 'all';
SHOW schemaguard.allow;
-- SET LOCAL ends with the transaction
BEGIN;
SET LOCAL schemaguard.allow = 'rename_column';
SHOW schemaguard.allow;
COMMIT;
SHOW schemaguard.allow;

-- ---------------------------------------------------------------------
-- schemaguard.table_size_threshold: a memory size, in kB by default
-- ---------------------------------------------------------------------
SET schemaguard.table_size_threshold = '64kB';
SHOW schemaguard.table_size_threshold;
SET schemaguard.table_size_threshold = 2048;
SHOW schemaguard.table_size_threshold;
SET schemaguard.table_size_threshold = '10GB';
SHOW schemaguard.table_size_threshold;
SET schemaguard.table_size_threshold = 0;
SHOW schemaguard.table_size_threshold;
-- (the message spells the range differently from 16 on)
\set VERBOSITY sqlstate
SET schemaguard.table_size_threshold = -1;
\set VERBOSITY default
SET schemaguard.table_size_threshold = 'large';
SET schemaguard.table_size_threshold = '5 parsecs';
RESET schemaguard.table_size_threshold;
SHOW schemaguard.table_size_threshold;

-- ---------------------------------------------------------------------
-- schemaguard.assume_large_tables
-- ---------------------------------------------------------------------
SET schemaguard.assume_large_tables = on;
SHOW schemaguard.assume_large_tables;
SET schemaguard.assume_large_tables = 'maybe';
RESET schemaguard.assume_large_tables;
SHOW schemaguard.assume_large_tables;

-- ---------------------------------------------------------------------
-- the schemaguard. prefix is reserved
-- ---------------------------------------------------------------------
SET schemaguard.nonexistent = 1;
SET schemaguard.Mode = warn;      -- GUC names are case-blind: this is mode
SHOW schemaguard.mode;
RESET schemaguard.mode;
SELECT set_config('schemaguard.nonexistent', 'x', false);
SHOW schemaguard.nonexistent;
-- other prefixes are still free for placeholders
SET sg_regress_app.setting = 'x';
SHOW sg_regress_app.setting;

-- RESET ALL puts every schemaguard setting back to its default
SET schemaguard.mode = warn;
SET schemaguard.rules = 'rename_column=off';
SET schemaguard.table_size_threshold = 0;
SET schemaguard.assume_large_tables = on;
RESET ALL;
SELECT name, setting FROM pg_settings
 WHERE name IN ('schemaguard.mode', 'schemaguard.rules', 'schemaguard.allow',
                'schemaguard.table_size_threshold',
                'schemaguard.assume_large_tables')
 ORDER BY name;

-- ---------------------------------------------------------------------
-- what the settings do, on one large table
-- ---------------------------------------------------------------------
SET schemaguard.table_size_threshold = '64kB';
CREATE TABLE settings_big (id bigint, v int);
INSERT INTO settings_big SELECT g, g % 7 FROM generate_series(1, 5000) g;
ANALYZE settings_big;

-- enforce (default): blocked
CREATE INDEX settings_big_v_idx ON settings_big (v);
-- warn: every violation, even at level error, only warns
SET schemaguard.mode = warn;
CREATE INDEX settings_big_v_idx ON settings_big (v);
DROP INDEX CONCURRENTLY settings_big_v_idx;
-- the warning carries SQLSTATE SG002
\set VERBOSITY sqlstate
CREATE INDEX settings_big_v_idx ON settings_big (v);
\set VERBOSITY default
DROP INDEX CONCURRENTLY settings_big_v_idx;
-- warn mode also turns an explicit error level into a warning
SET schemaguard.rules = 'index_not_concurrent=error';
CREATE INDEX settings_big_v_idx ON settings_big (v);
DROP INDEX CONCURRENTLY settings_big_v_idx;
RESET schemaguard.rules;
-- off: nothing is evaluated
SET schemaguard.mode = off;
CREATE INDEX settings_big_v_idx ON settings_big (v);
DROP INDEX settings_big_v_idx;
RESET schemaguard.mode;
-- per-rule levels
SET schemaguard.rules = 'index_not_concurrent=warn';
CREATE INDEX settings_big_v_idx ON settings_big (v);
DROP INDEX CONCURRENTLY settings_big_v_idx;
SET schemaguard.rules = 'index_not_concurrent=off';
CREATE INDEX settings_big_v_idx ON settings_big (v);
-- overriding one rule leaves the others at their defaults
DROP INDEX settings_big_v_idx;
DROP INDEX CONCURRENTLY settings_big_v_idx;
RESET schemaguard.rules;
-- allow one rule; another rule is still enforced
BEGIN;
SET LOCAL schemaguard.allow = 'drop_index_not_concurrent';
CREATE INDEX settings_big_v_idx ON settings_big (v);
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.allow = 'rename_column, index_not_concurrent';
CREATE INDEX settings_big_v_idx ON settings_big (v);
COMMIT;
-- allowed statements are logged
BEGIN;
SET LOCAL log_statement = 'none';
SET LOCAL log_min_duration_statement = -1;
SET LOCAL client_min_messages = log;
SET LOCAL schemaguard.allow = 'all';
DROP INDEX settings_big_v_idx;
COMMIT;
-- the threshold: a relation at least this large counts as large
SELECT pg_size_pretty(pg_relation_size('settings_big')) AS size;
SET schemaguard.table_size_threshold = '224kB';
CREATE INDEX settings_big_v_idx ON settings_big (v);
SET schemaguard.table_size_threshold = '225kB';
CREATE INDEX settings_big_v_idx ON settings_big (v);
DROP INDEX settings_big_v_idx;
RESET schemaguard.table_size_threshold;

-- ---------------------------------------------------------------------
-- a role that is not a superuser
-- ---------------------------------------------------------------------
CREATE ROLE sg_regress_migrator;
CREATE SCHEMA sg_regress_app AUTHORIZATION sg_regress_migrator;
-- the superuser lowers the threshold for this session; the role can't
SET schemaguard.table_size_threshold = '64kB';
SET ROLE sg_regress_migrator;
CREATE TABLE sg_regress_app.accounts (id bigint, email text);
INSERT INTO sg_regress_app.accounts
SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 3000) g;
ANALYZE sg_regress_app.accounts;
-- it can read every setting, but set none of them
SHOW schemaguard.mode;
SET schemaguard.mode = off;
SET schemaguard.mode = warn;
SET schemaguard.rules = 'index_not_concurrent=off';
SET schemaguard.allow = 'all';
SET schemaguard.table_size_threshold = '1GB';
SET schemaguard.assume_large_tables = off;
SET schemaguard.docs_url = 'https://example.com/phishing';
SELECT set_config('schemaguard.mode', 'off', false);
BEGIN;
SET LOCAL schemaguard.allow = 'index_not_concurrent';
ROLLBACK;
SHOW schemaguard.table_size_threshold;
-- so the guard applies to it as to everyone
CREATE INDEX accounts_email_idx ON sg_regress_app.accounts (email);
-- the recipe works for it
CREATE INDEX CONCURRENTLY accounts_email_idx ON sg_regress_app.accounts (email);
RESET ROLE;

-- the right to allow rules deliberately can be granted
GRANT SET ON PARAMETER schemaguard.allow TO sg_regress_migrator;
SET ROLE sg_regress_migrator;
BEGIN;
SET LOCAL schemaguard.allow = 'drop_index_not_concurrent';
DROP INDEX sg_regress_app.accounts_email_idx;
COMMIT;
BEGIN;
SET LOCAL schemaguard.allow = 'all';
CREATE INDEX accounts_email_idx ON sg_regress_app.accounts (email);
COMMIT;
-- it still may not touch the other settings
SET schemaguard.mode = off;
SET schemaguard.rules = 'drop_index_not_concurrent=off';
-- and without SET LOCAL allow the guard is back
DROP INDEX sg_regress_app.accounts_email_idx;
RESET ROLE;

-- clean up: roles are cluster-wide
REVOKE SET ON PARAMETER schemaguard.allow FROM sg_regress_migrator;
SET schemaguard.mode = off;
DROP SCHEMA sg_regress_app CASCADE;
DROP TABLE settings_big;
RESET schemaguard.mode;
DROP ROLE sg_regress_migrator;

-- Even a role granted SET on them cannot weaken mode, rules or changelog.
CREATE ROLE sg_regress_weak;
GRANT SET ON PARAMETER schemaguard.mode, schemaguard.rules, schemaguard.changelog TO sg_regress_weak;
SET ROLE sg_regress_weak;
SET schemaguard.mode = warn;
SET schemaguard.mode = off;
SET schemaguard.mode = enforce;
SET schemaguard.rules = 'rename_column=off';
SET schemaguard.rules = 'prefer_text=error';
SHOW schemaguard.rules;
SET schemaguard.changelog = off;
RESET ROLE;
RESET schemaguard.rules;
REVOKE SET ON PARAMETER schemaguard.mode, schemaguard.rules, schemaguard.changelog FROM sg_regress_weak;
DROP ROLE sg_regress_weak;

-- ---------------------------------------------------------------------
-- schemaguard.docs_url: every HINT ends with the rule's page, and
-- list_rules() shows it
-- ---------------------------------------------------------------------
SHOW schemaguard.docs_url;
SELECT name, setting, context, boot_val FROM pg_settings
 WHERE name = 'schemaguard.docs_url';
CREATE TABLE settings_docs (id bigint, v text);
INSERT INTO settings_docs SELECT g, 'v' || g FROM generate_series(1, 100) g;
ANALYZE settings_docs;
SET schemaguard.table_size_threshold = 0;
-- the last line of the HINT a statement raises
CREATE FUNCTION settings_hint_end(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    h text;
BEGIN
    EXECUTE stmt;
    RETURN 'no error';
EXCEPTION WHEN SQLSTATE 'SG001' THEN
    GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
    RETURN split_part(h, E'\n', -1);
END
$$;
-- by default, the page in the repository
CREATE INDEX settings_docs_v_idx ON settings_docs (v);
SELECT settings_hint_end('CREATE INDEX settings_docs_v_idx ON settings_docs (v)')
       = 'See docs/rules/index_not_concurrent.md.' AS hint_ends_with_page;
SELECT rule, doc FROM schemaguard.list_rules() WHERE rule IN ('set_not_null', 'truncate');
-- at level warn too, and with message_details (the HINT is unchanged)
BEGIN;
SET LOCAL schemaguard.rules = 'index_not_concurrent=warn';
CREATE INDEX settings_docs_v_idx ON settings_docs (v);
ROLLBACK;
SET schemaguard.message_details = on;
ALTER TABLE settings_docs DROP COLUMN v;
RESET schemaguard.message_details;
-- check() reports the same HINT
SELECT rule, level, split_part(hint, E'\n', -1) AS hint_end
  FROM schemaguard.check('ALTER TABLE settings_docs ALTER COLUMN v SET NOT NULL; TRUNCATE settings_docs;');
-- a published copy: one trailing slash is dropped
SET schemaguard.docs_url = 'https://schemaguard.example/docs/0.2/';
SHOW schemaguard.docs_url;
CREATE INDEX settings_docs_v_idx ON settings_docs (v);
SELECT settings_hint_end('CREATE INDEX settings_docs_v_idx ON settings_docs (v)')
       = 'See https://schemaguard.example/docs/0.2/rules/index_not_concurrent.md.' AS hint_ends_with_url;
SELECT rule, doc FROM schemaguard.list_rules() WHERE rule IN ('set_not_null', 'truncate');
SELECT rule, split_part(hint, E'\n', -1) AS hint_end
  FROM schemaguard.check('ALTER TABLE settings_docs ALTER COLUMN v SET NOT NULL');
SET schemaguard.docs_url = 'file:///usr/share/doc/schemaguard';
SELECT doc FROM schemaguard.list_rules() WHERE rule = 'vacuum_full';
RESET schemaguard.docs_url;
SELECT doc FROM schemaguard.list_rules() WHERE rule = 'vacuum_full';
RESET schemaguard.table_size_threshold;
SET schemaguard.allow = 'drop_function, drop_table';
DROP FUNCTION settings_hint_end(text);
DROP TABLE settings_docs;
RESET schemaguard.allow;

--
-- guard_notnull: add_column_not_null_no_default and set_not_null.
--
-- The tables whose sizes appear in violations are not UPDATEd before those
-- violations: how much an UPDATE grows a table depends on whether other
-- sessions of the cluster let it prune dead rows, so the size would not be
-- the same on every run.
--
SET schemaguard.table_size_threshold = '64kB';

CREATE TABLE accounts (id bigint PRIMARY KEY, email text, plan text);
INSERT INTO accounts
SELECT g, 'user' || g || '@example.com', CASE WHEN g % 2 = 0 THEN 'pro' ELSE 'free' END
  FROM generate_series(1, 4000) g;
ANALYZE accounts;

CREATE TABLE profiles (
    id bigint PRIMARY KEY,
    email text,
    plan text,
    locale text,
    referrer bigint,
    -- a CHECK lets NULL through: this does not prove "score" non-null
    score int CONSTRAINT profiles_score_positive CHECK (score > 0),
    -- this one does prove "handle" non-null
    handle text CONSTRAINT profiles_handle_check CHECK (handle IS NOT NULL AND handle <> ''),
    -- and this one proves neither column
    CONSTRAINT profiles_contact_check CHECK (email IS NOT NULL OR referrer IS NOT NULL)
);
INSERT INTO profiles
SELECT g, 'user' || g || '@example.com', CASE WHEN g % 2 = 0 THEN 'pro' ELSE 'free' END,
       'en', NULL, g % 50 + 1, 'user' || g
  FROM generate_series(1, 3000) g;
ANALYZE profiles;

CREATE TABLE tiny (id bigint, note text);
INSERT INTO tiny VALUES (1, 'one'), (2, 'two');
ANALYZE tiny;

CREATE TABLE empty_tbl (id bigint, note text);

SELECT relname, pg_size_pretty(pg_relation_size(oid)) AS size, reltuples
  FROM pg_class WHERE relname IN ('accounts', 'profiles', 'tiny', 'empty_tbl')
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

-- the columns' nullability and the table's CHECK constraints
CREATE FUNCTION show_columns(tbl regclass) RETURNS TABLE (col name, notnull bool)
LANGUAGE sql AS $$
    SELECT attname, attnotnull FROM pg_attribute
     WHERE attrelid = tbl AND attnum > 0 AND NOT attisdropped ORDER BY attnum
$$;
CREATE FUNCTION show_checks(tbl regclass)
RETURNS TABLE (conname name, convalidated bool, def text)
LANGUAGE sql AS $$
    SELECT conname, convalidated, pg_get_constraintdef(oid) FROM pg_constraint
     WHERE conrelid = tbl AND contype = 'c' ORDER BY conname
$$;

-- =====================================================================
-- add_column_not_null_no_default
-- =====================================================================
ALTER TABLE accounts ADD COLUMN region text NOT NULL;
SELECT show_violation('ALTER TABLE accounts ADD COLUMN region text NOT NULL');
-- a primary key implies NOT NULL
ALTER TABLE accounts ADD COLUMN account_no bigint PRIMARY KEY;
-- schema-qualified table, a named constraint, a type with a modifier
ALTER TABLE public.accounts ADD region varchar(8) CONSTRAINT region_nn NOT NULL;
-- only the offending column of several is reported
ALTER TABLE accounts ADD COLUMN note text, ADD COLUMN region text NOT NULL;

-- not fired: the column gets a value for every existing row
SELECT pg_relation_filenode('accounts') AS filenode_before \gset
ALTER TABLE accounts ADD COLUMN status text NOT NULL DEFAULT 'active';
SELECT pg_relation_filenode('accounts') = :filenode_before AS not_rewritten;

-- a table that is large but has no rows (all deleted, not vacuumed)
CREATE TABLE purged (id bigint, payload text);
INSERT INTO purged SELECT g, 'payload ' || g FROM generate_series(1, 3000) g;
DELETE FROM purged;
SELECT pg_size_pretty(pg_relation_size('purged')) AS size;
ALTER TABLE purged ADD COLUMN region text NOT NULL;

-- exempt: created in this transaction (the server then fails on its own)
BEGIN;
CREATE TABLE accounts_copy AS SELECT * FROM accounts;
ALTER TABLE accounts_copy ADD COLUMN tier text NOT NULL;
ROLLBACK;
-- exempt: small table
ALTER TABLE tiny ADD COLUMN tier text NOT NULL;
-- exempt: empty table
ALTER TABLE empty_tbl ADD COLUMN tier text NOT NULL;
ALTER TABLE empty_tbl DROP COLUMN tier;
-- exempt: temporary table
CREATE TEMP TABLE accounts_tmp AS SELECT * FROM accounts;
ALTER TABLE accounts_tmp ADD COLUMN tier text NOT NULL;
DROP TABLE accounts_tmp;
-- allowed deliberately: the server scans the table, then fails
BEGIN;
SET LOCAL schemaguard.allow = 'add_column_not_null_no_default';
ALTER TABLE accounts ADD COLUMN tier text NOT NULL;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.allow = 'all';
ALTER TABLE accounts ADD COLUMN tier text NOT NULL;
ROLLBACK;
-- warn mode
SET schemaguard.mode = warn;
ALTER TABLE accounts ADD COLUMN tier text NOT NULL;
RESET schemaguard.mode;
-- per-rule level
SET schemaguard.rules = 'add_column_not_null_no_default=warn';
ALTER TABLE accounts ADD COLUMN tier text NOT NULL;
SET schemaguard.rules = 'add_column_not_null_no_default=off';
ALTER TABLE accounts ADD COLUMN tier text NOT NULL;
RESET schemaguard.rules;
-- assume_large_tables: small and empty tables count as large and non-empty
SET schemaguard.assume_large_tables = on;
ALTER TABLE tiny ADD COLUMN tier text NOT NULL;
ALTER TABLE empty_tbl ADD COLUMN tier text NOT NULL;
-- but not a table created in this transaction
BEGIN;
CREATE TABLE new_tbl (id bigint);
ALTER TABLE new_tbl ADD COLUMN tier text NOT NULL;
ROLLBACK;
RESET schemaguard.assume_large_tables;
-- threshold 0: any table with rows
SET schemaguard.table_size_threshold = 0;
ALTER TABLE tiny ADD COLUMN tier text NOT NULL;
ALTER TABLE empty_tbl ADD COLUMN tier text NOT NULL;
ALTER TABLE empty_tbl DROP COLUMN tier;
SET schemaguard.table_size_threshold = '64kB';

-- the recipe, as the hint prints it, with the value every row gets
ALTER TABLE public.accounts ADD COLUMN region text NOT NULL DEFAULT 'eu';
BEGIN; SET LOCAL lock_timeout = '5s'; SET LOCAL schemaguard.allow = 'drop_default'; ALTER TABLE public.accounts ALTER COLUMN region DROP DEFAULT; COMMIT;
SELECT * FROM show_columns('accounts');
SELECT * FROM show_checks('accounts');
SELECT region, count(*) FROM accounts GROUP BY region ORDER BY region;

-- =====================================================================
-- set_not_null
-- =====================================================================
ALTER TABLE profiles ALTER COLUMN email SET NOT NULL;
SELECT show_violation('ALTER TABLE profiles ALTER COLUMN email SET NOT NULL');

-- the recipe, as the hint prints it
ALTER TABLE public.profiles ADD CONSTRAINT profiles_email_not_null_check CHECK (email IS NOT NULL) NOT VALID;
ALTER TABLE public.profiles VALIDATE CONSTRAINT profiles_email_not_null_check;
ALTER TABLE public.profiles ALTER COLUMN email SET NOT NULL;
ALTER TABLE public.profiles DROP CONSTRAINT profiles_email_not_null_check;

-- ADD PRIMARY KEY USING INDEX builds no index, but makes the key columns
-- NOT NULL: a scan under ACCESS EXCLUSIVE unless a validated CHECK proves
-- them non-null
CREATE TABLE pk_later (id bigint, code text NOT NULL);
INSERT INTO pk_later SELECT g, 'c' || g FROM generate_series(1, 5000) g;
ANALYZE pk_later;
CREATE UNIQUE INDEX CONCURRENTLY pk_later_id_key ON pk_later (id);
CREATE UNIQUE INDEX CONCURRENTLY pk_later_code_key ON pk_later (code);
ALTER TABLE pk_later ADD CONSTRAINT pk_later_pkey PRIMARY KEY USING INDEX pk_later_id_key;
ALTER TABLE pk_later ADD PRIMARY KEY USING INDEX pk_later_id_key;
-- passes: the key column is NOT NULL already
BEGIN;
ALTER TABLE pk_later ADD PRIMARY KEY USING INDEX pk_later_code_key;
ROLLBACK;
-- the recipe, as the hint prints it
ALTER TABLE public.pk_later ADD CONSTRAINT pk_later_id_not_null_check CHECK (id IS NOT NULL) NOT VALID;
ALTER TABLE public.pk_later VALIDATE CONSTRAINT pk_later_id_not_null_check;
ALTER TABLE public.pk_later ALTER COLUMN id SET NOT NULL;
ALTER TABLE public.pk_later DROP CONSTRAINT pk_later_id_not_null_check;
ALTER TABLE pk_later ADD CONSTRAINT pk_later_pkey PRIMARY KEY USING INDEX pk_later_id_key;
SELECT conname, contype FROM pg_constraint WHERE conrelid = 'pk_later'::regclass AND contype = 'p';
-- exempt: a small table
CREATE TABLE pk_tiny (id bigint);
INSERT INTO pk_tiny VALUES (1);
CREATE UNIQUE INDEX pk_tiny_id_key ON pk_tiny (id);
ALTER TABLE pk_tiny ADD PRIMARY KEY USING INDEX pk_tiny_id_key;
SET schemaguard.mode = off;
DROP TABLE pk_tiny, pk_later;
RESET schemaguard.mode;

-- a NOT VALID check is not enough ...
ALTER TABLE profiles ADD CONSTRAINT profiles_plan_nn CHECK (plan IS NOT NULL) NOT VALID;
ALTER TABLE profiles ALTER COLUMN plan SET NOT NULL;
-- ... a validated one is
ALTER TABLE profiles VALIDATE CONSTRAINT profiles_plan_nn;
ALTER TABLE profiles ALTER COLUMN plan SET NOT NULL;
-- a validated check that implies IS NOT NULL proves it
ALTER TABLE profiles ALTER COLUMN handle SET NOT NULL;
-- CHECK (score > 0) holds for NULL: no proof, the server would scan
ALTER TABLE profiles ALTER COLUMN score SET NOT NULL;
-- a check on two columns proves neither
ALTER TABLE profiles ALTER COLUMN referrer SET NOT NULL;
-- a column that is already NOT NULL: nothing to scan
ALTER TABLE profiles ALTER COLUMN id SET NOT NULL;
ALTER TABLE profiles ALTER COLUMN email SET NOT NULL;
SELECT * FROM show_columns('profiles');
SELECT * FROM show_checks('profiles');

-- several columns in one statement: the first is reported
ALTER TABLE profiles ALTER COLUMN locale SET NOT NULL, ALTER COLUMN score SET NOT NULL;
-- in warn mode every one is (and the statement runs)
SET schemaguard.mode = warn;
ALTER TABLE profiles ALTER COLUMN locale SET NOT NULL, ALTER COLUMN score SET NOT NULL;
RESET schemaguard.mode;
ALTER TABLE profiles ALTER COLUMN locale DROP NOT NULL, ALTER COLUMN score DROP NOT NULL;
-- a column that does not exist: the server reports it
ALTER TABLE profiles ALTER COLUMN no_such_column SET NOT NULL;

-- exempt: created in this transaction
BEGIN;
CREATE TABLE profiles_copy AS SELECT * FROM profiles;
ALTER TABLE profiles_copy ALTER COLUMN locale SET NOT NULL;
ROLLBACK;
-- exempt: small table
ALTER TABLE tiny ALTER COLUMN note SET NOT NULL;
ALTER TABLE tiny ALTER COLUMN note DROP NOT NULL;
-- exempt: temporary table
CREATE TEMP TABLE profiles_tmp AS SELECT * FROM profiles;
ALTER TABLE profiles_tmp ALTER COLUMN locale SET NOT NULL;
DROP TABLE profiles_tmp;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'set_not_null';
ALTER TABLE profiles ALTER COLUMN locale SET NOT NULL;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.allow = 'all';
ALTER TABLE profiles ALTER COLUMN locale SET NOT NULL;
ROLLBACK;
-- warn mode
SET schemaguard.mode = warn;
ALTER TABLE profiles ALTER COLUMN locale SET NOT NULL;
RESET schemaguard.mode;
ALTER TABLE profiles ALTER COLUMN locale DROP NOT NULL;
-- per-rule level
SET schemaguard.rules = 'set_not_null=warn';
ALTER TABLE profiles ALTER COLUMN locale SET NOT NULL;
ALTER TABLE profiles ALTER COLUMN locale DROP NOT NULL;
SET schemaguard.rules = 'set_not_null=off';
ALTER TABLE profiles ALTER COLUMN locale SET NOT NULL;
RESET schemaguard.rules;
-- assume_large_tables
SET schemaguard.assume_large_tables = on;
ALTER TABLE tiny ALTER COLUMN note SET NOT NULL;
ALTER TABLE empty_tbl ALTER COLUMN note SET NOT NULL;
-- a validated check still proves it
ALTER TABLE tiny ADD CONSTRAINT tiny_note_nn CHECK (note IS NOT NULL) NOT VALID;
ALTER TABLE tiny VALIDATE CONSTRAINT tiny_note_nn;
ALTER TABLE tiny ALTER COLUMN note SET NOT NULL;
RESET schemaguard.assume_large_tables;

-- clean up
SET schemaguard.mode = off;
DROP TABLE accounts, profiles, tiny, empty_tbl, purged;
DROP FUNCTION show_violation(text), show_columns(regclass), show_checks(regclass);
RESET schemaguard.mode;

--
-- recipes: for every rule, the HINT's recipe, pasted into psql as it is
-- printed, leaves the schema the statement leaves when run as written
-- (deliberately allowed).  Each case runs the statement on fresh objects,
-- then the recipe on fresh objects again, and compares the two schemas
-- (schemaguard.snapshot() of the schemas rcp*, plus the index flags and
-- databases it does not show) and the data (each table's rows as jsonb,
-- so that a column's position does not count).  The recipe is the HINT's
-- lines between its first (what to do, in words) and its last two ("To
-- allow it deliberately", and the rule's page, "See docs/rules/<rule>.md.");
-- steps outside the database (a deploy, pg_dump,
-- pg_repack) are comment lines in it.  Every recipe line runs under the
-- guard: a recipe that trips a rule fails here.
--
-- Rules at level warn are raised to error to read their HINT.  Three
-- rules cannot be compared so: add_column_not_null_no_default (the
-- statement fails as written on a non-empty table; its recipe needs the
-- value the rows should get, filled in here), invalid_index_left (as
-- written the statement does nothing, which is the hazard), and the advice
-- rules, whose recipe is the statement with the advised type (the
-- difference is shown).
--
SET client_min_messages = warning;
SET schemaguard.table_size_threshold = '64kB';
-- two advice rules judge what other cases leave behind (a foreign key the
-- fixture does not index, an int column named id): not the business of
-- those cases.  Their own cases raise them to error all the same.
SET schemaguard.rules = 'foreign_key_without_index=off, prefer_bigint_id=off';
-- paths relative to the build directory, so that messages name them the
-- same way wherever the suite runs
\getenv abs_builddir PG_ABS_BUILDDIR
\cd :abs_builddir
\set recipe_file 'results/recipe_pasted.sql'
\set case_file 'sql/recipes_case.psql'
-- each case: sql/recipes_case.psql, with :n set to its number

-- fresh objects for every run
CREATE PROCEDURE rcp_fixture() LANGUAGE plpgsql SET schemaguard.mode = off AS $$
BEGIN
    DROP SCHEMA IF EXISTS rcp, rcp2 CASCADE;
    CREATE SCHEMA rcp;
    CREATE TYPE rcp.kind AS ENUM ('a', 'b', 'c');
    CREATE TABLE rcp."Customers" (id bigint PRIMARY KEY, "Code" text UNIQUE);
    INSERT INTO rcp."Customers" SELECT g, 'C' || g FROM generate_series(1, 3000) g;
    CREATE TABLE rcp."Orders" (id bigint PRIMARY KEY, "Code" text COLLATE "C",
                               qty int NOT NULL DEFAULT 0, note text, cust bigint,
                               kind rcp.kind, price numeric CHECK (price >= 0));
    INSERT INTO rcp."Orders"
    SELECT g, 'O-' || g, g % 10, 'n' || g, g % 3000 + 1,
           (ARRAY['a', 'b', 'c'])[g % 3 + 1]::rcp.kind, g
      FROM generate_series(1, 3000) g;
    CREATE INDEX "Orders_qty_idx" ON rcp."Orders" (qty) WHERE qty > 0;
    CREATE INDEX "Orders_note_idx" ON rcp."Orders" (note text_pattern_ops, qty DESC) INCLUDE ("Code");
    CREATE TABLE rcp.heads (id bigint PRIMARY KEY);
    INSERT INTO rcp.heads SELECT generate_series(1, 3000);
    CREATE TABLE rcp.lines (head_id bigint REFERENCES rcp.heads, n int);
    INSERT INTO rcp.lines SELECT g, g FROM generate_series(1, 3000) g;
    CREATE TABLE rcp.events (id bigint NOT NULL, day date NOT NULL, payload text)
        PARTITION BY RANGE (day);
    CREATE TABLE rcp.events_2024 PARTITION OF rcp.events
        FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    INSERT INTO rcp.events SELECT g, date '2024-01-01' + g % 366, 'e' || g
      FROM generate_series(1, 5000) g;
    CREATE TABLE rcp.events_2025 (LIKE rcp.events);
    INSERT INTO rcp.events_2025 SELECT g, date '2025-01-01' + g % 365, 'e' || g
      FROM generate_series(1, 5000) g;
    CREATE TABLE rcp.base (id bigint, v int);
    CREATE TABLE rcp.base_child (extra text) INHERITS (rcp.base);
    INSERT INTO rcp.base SELECT g, g FROM generate_series(1, 3000) g;
    INSERT INTO rcp.base_child SELECT g, g, 'x' FROM generate_series(1, 10) g;
    CREATE MATERIALIZED VIEW rcp.customer_codes AS
        SELECT "Code", count(*) AS customers FROM rcp."Customers" GROUP BY "Code";
    CREATE UNIQUE INDEX customer_codes_code ON rcp.customer_codes ("Code");
    ANALYZE rcp."Customers", rcp."Orders", rcp.heads, rcp.lines, rcp.events,
            rcp.events_2025, rcp.customer_codes, rcp.base, rcp.base_child;
END
$$;

-- the schema: every object of the schemas rcp*, the index flags the
-- snapshot leaves out, and the databases rcp*
-- (the harness reads tables while a case's transaction holds locks on them:
-- that is query_while_locked's business, not the harness's)
CREATE FUNCTION rcp_shape() RETURNS text LANGUAGE sql
SET schemaguard.rules = 'query_while_locked=off' AS $$
    SELECT coalesce(string_agg(line, E'\n' ORDER BY line), '') FROM (
        SELECT object_type || ' ' || identity || ': ' || definition AS line
          FROM schemaguard.snapshot() WHERE schema_name LIKE 'rcp%'
        UNION ALL
        SELECT 'index ' || c.oid::regclass::text ||
               CASE WHEN i.indisclustered THEN ' clustered' ELSE '' END ||
               CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE c.relnamespace::regnamespace::text LIKE 'rcp%'
           AND (i.indisclustered OR NOT i.indisvalid)
        UNION ALL
        SELECT 'database ' || datname FROM pg_database WHERE datname LIKE 'rcp%'
    ) s
$$;

-- the data: each table's and materialized view's rows as jsonb
CREATE FUNCTION rcp_data() RETURNS text LANGUAGE plpgsql
SET schemaguard.rules = 'query_while_locked=off' AS $$
DECLARE
    r record;
    d text;
    sums text[] := '{}';
BEGIN
    FOR r IN SELECT c.oid::regclass AS rel FROM pg_class c
              WHERE c.relnamespace::regnamespace::text LIKE 'rcp%'
                AND (c.relkind = 'r' OR (c.relkind = 'm' AND c.relispopulated))
    LOOP
        EXECUTE format('SELECT count(*) || '':'' || md5(coalesce(string_agg(to_jsonb(t)::text, '','' ORDER BY to_jsonb(t)::text), '''')) FROM %s t',
                       r.rel) INTO d;
        sums := sums || d;
    END LOOP;
    RETURN coalesce((SELECT string_agg(x, ',' ORDER BY x) FROM unnest(sums) x), '');
END
$$;

-- the recipe in a statement's HINT: the lines between the first and the
-- last two.  A rule at level warn is raised to error if the statement raises
-- no error by itself (TRUNCATE ... CASCADE does, for the tables it reaches).
CREATE FUNCTION rcp_hint(stmt text, raise_rule text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    h text;
BEGIN
    PERFORM set_config('client_min_messages', 'error', true);
    IF raise_rule IS NOT NULL THEN
        PERFORM set_config('schemaguard.rules', raise_rule || '=error', true);
    END IF;
    EXECUTE stmt;
    RAISE EXCEPTION USING ERRCODE = 'P0003';
EXCEPTION
    WHEN SQLSTATE 'SG001' THEN
        GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
        RETURN h;
    WHEN SQLSTATE 'P0003' THEN
        RETURN NULL;
END
$$;
CREATE FUNCTION rcp_recipe(k int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    c record;
    h text;
    lines text[];
BEGIN
    SELECT * INTO c FROM rcp_cases WHERE n = k;
    h := coalesce(rcp_hint(c.stmt, NULL), rcp_hint(c.stmt, c.rule));
    lines := string_to_array(h, E'\n');
    RETURN '-- ' || lines[1] || E'\n' ||
           replace(array_to_string(lines[2:array_length(lines, 1) - 2], E'\n'),
                   '<value>', coalesce(c.fill, '<value>'));
END
$$;

CREATE TABLE rcp_runs (n int, run text, shape text, data text);

CREATE TABLE rcp_cases (n int, rule text, stmt text, setup text,
                        check_data bool DEFAULT true, fill text, teardown text,
                        recipe_teardown text);
INSERT INTO rcp_cases (n, rule, stmt) VALUES
 (1, 'index_not_concurrent',
  $s$CREATE INDEX "Rcp_Code_Idx" ON rcp."Orders" ("Code" COLLATE "C" text_pattern_ops DESC NULLS LAST, qty) INCLUDE (note) WHERE qty > 0$s$),
 (2, 'index_not_concurrent',
  $s$CREATE UNIQUE INDEX ON rcp."Orders" USING btree (lower(note), id) WITH (fillfactor = 70)$s$),
 (3, 'add_unique_constraint',
  $s$ALTER TABLE rcp."Orders" ADD CONSTRAINT "Rcp_Code_Key" UNIQUE ("Code") INCLUDE (note)$s$),
 (4, 'set_not_null',
  $s$ALTER TABLE rcp."Orders" ALTER COLUMN "Code" SET NOT NULL$s$),
 (5, 'add_check_validated',
  $s$ALTER TABLE rcp."Orders" ADD CONSTRAINT "Qty Small" CHECK (qty < 100 AND note <> 'x''y')$s$),
 (6, 'add_foreign_key_validated',
  $s$ALTER TABLE rcp."Orders" ADD CONSTRAINT "Cust FK" FOREIGN KEY (cust) REFERENCES rcp."Customers" (id) MATCH FULL ON DELETE CASCADE ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED$s$),
 (7, 'add_foreign_key_validated',
  $s$ALTER TABLE rcp."Orders" ADD COLUMN buyer2_id bigint REFERENCES rcp."Customers"(id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED$s$),
 (8, 'add_foreign_key_validated',
  $s$ALTER TABLE rcp."Orders" ADD COLUMN buyer3_id bigint NOT NULL DEFAULT 1 REFERENCES rcp."Customers"(id) ON DELETE CASCADE$s$),
 (9, 'add_foreign_key_validated',
  $s$ALTER TABLE rcp."Orders" ADD COLUMN "Buyer4" bigint CONSTRAINT "Buyer4_FK" REFERENCES rcp."Customers" MATCH FULL ON UPDATE CASCADE NOT DEFERRABLE$s$),
 (10, 'add_foreign_key_validated',
  $s$ALTER TABLE rcp."Orders" ADD COLUMN code5 text COLLATE "C" DEFAULT 'C1' REFERENCES rcp."Customers" ("Code") ON DELETE SET DEFAULT$s$),
 (11, 'add_check_validated',
  $s$ALTER TABLE rcp."Orders" ADD COLUMN qty6 int DEFAULT 1 NOT NULL CHECK (qty6 > 0 AND qty6 <> 13)$s$),
 (12, 'add_check_validated',
  $s$ALTER TABLE rcp."Orders" ADD COLUMN qty7 int DEFAULT 2 CONSTRAINT "Qty7 positive" CHECK (qty7 > 0) NOT NULL$s$),
 (13, 'add_check_validated',
  $s$ALTER TABLE rcp."Orders" ADD COLUMN arr int[] DEFAULT ARRAY[1,2] CHECK (cardinality(arr) < 5)$s$),
 (14, 'drop_index_not_concurrent',
  $s$DROP INDEX rcp."Orders_qty_idx"$s$),
 (15, 'reindex_not_concurrent',
  $s$REINDEX TABLE rcp."Orders"$s$),
 (16, 'attach_partition_scan',
  $s$ALTER TABLE rcp.events ATTACH PARTITION rcp.events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')$s$),
 (17, 'detach_partition_not_concurrent',
  $s$ALTER TABLE rcp.events DETACH PARTITION rcp.events_2024$s$),
 (18, 'refresh_matview_not_concurrent',
  $s$REFRESH MATERIALIZED VIEW rcp.customer_codes$s$),
 (19, 'vacuum_full',
  $s$VACUUM FULL rcp."Orders"$s$),
 (20, 'cluster',
  $s$CLUSTER rcp."Orders" USING "Orders_pkey"$s$),
 (22, 'add_column_not_null_no_default',
  $s$ALTER TABLE rcp."Orders" ADD COLUMN region text NOT NULL$s$),
 (24, 'alter_column_type',
  $s$ALTER TABLE rcp."Orders" ALTER COLUMN qty TYPE bigint$s$),
 (25, 'alter_column_type',
  $s$ALTER TABLE rcp."Orders" ALTER COLUMN cust TYPE text USING 'c-' || cust$s$),
 (26, 'alter_column_type',
  $s$ALTER TABLE rcp."Orders" ALTER COLUMN price TYPE int$s$),
 (47, 'alter_column_type',
  $s$ALTER TABLE rcp."Customers" ALTER COLUMN id TYPE int$s$),
 (49, 'alter_column_type',
  $s$ALTER TABLE rcp.base ALTER COLUMN v TYPE bigint$s$),
 (29, 'table_rewrite',
  $s$ALTER TABLE rcp."Customers" SET UNLOGGED$s$),
 (30, 'table_rewrite',
  $s$ALTER TABLE rcp."Orders" ADD COLUMN total numeric GENERATED ALWAYS AS (qty * price) STORED$s$),
 (31, 'rename_column',
  $s$ALTER TABLE rcp."Orders" RENAME COLUMN note TO "Note Text"$s$),
 (32, 'rename_relation',
  $s$ALTER TABLE rcp."Orders" RENAME TO "Orders 2"$s$),
 (33, 'rename_schema',
  $s$ALTER SCHEMA rcp RENAME TO rcp2$s$),
 (34, 'rename_enum_value',
  $s$ALTER TYPE rcp.kind RENAME VALUE 'b' TO 'beta'$s$),
 (35, 'drop_table',
  $s$DROP TABLE rcp.lines$s$),
 (36, 'drop_table',
  $s$DROP SCHEMA rcp CASCADE$s$),
 (37, 'drop_column',
  $s$ALTER TABLE rcp."Orders" DROP COLUMN note$s$),
 (38, 'drop_column',
  $s$DROP TYPE rcp.kind CASCADE$s$),
 (40, 'truncate',
  $s$TRUNCATE rcp."Customers"$s$),
 (41, 'truncate',
  $s$TRUNCATE rcp.heads CASCADE$s$);
-- the values a volatile default, an identity or a serial gives each row
-- depend on the order the rows are visited in: only the schema is compared
INSERT INTO rcp_cases (n, rule, stmt, check_data) VALUES
 (23, 'add_column_volatile_default',
  $s$ALTER TABLE rcp."Orders" ADD COLUMN "Seen At" timestamptz NOT NULL DEFAULT clock_timestamp()$s$, false),
 (27, 'table_rewrite',
  $s$ALTER TABLE rcp."Orders" ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY$s$, false),
 (28, 'table_rewrite',
  $s$ALTER TABLE rcp."Orders" ADD COLUMN n serial$s$, false),
 (48, 'add_column_volatile_default',
  $s$ALTER TABLE rcp.heads ADD COLUMN b float8 NOT NULL DEFAULT random()$s$, false);
-- set up outside the objects every case gets
INSERT INTO rcp_cases (n, rule, stmt, setup) VALUES
 (21, 'missing_lock_timeout',
  $s$ALTER TABLE rcp."Orders" ADD COLUMN extra text$s$, 'SET schemaguard.lock_timeout = 0'),
 (39, 'drop_database',
  $s$DROP DATABASE rcp_db$s$, 'CREATE DATABASE rcp_db');
-- the statement runs in a transaction that already holds a lock: the
-- setup opens it, and after the statement as written the transaction
-- commits (the recipe commits it itself)
INSERT INTO rcp_cases (n, rule, stmt, setup, teardown) VALUES
 (50, 'scan_while_locked',
  $s$ALTER TABLE rcp."Orders" VALIDATE CONSTRAINT "Qty Limit"$s$,
  $s$BEGIN; ALTER TABLE rcp."Orders" ADD CONSTRAINT "Qty Limit" CHECK (qty < 50) NOT VALID$s$,
  'COMMIT'),
 (51, 'query_while_locked',
  $s$UPDATE rcp."Orders" SET note = upper(note)$s$,
  $s$BEGIN; ALTER TABLE rcp."Orders" ADD COLUMN region text$s$,
  'COMMIT');
-- as written, IF NOT EXISTS skips the statement and the INVALID index
-- stays: the recipe's schema differs from it in just that (the INVALID
-- index is made here as a failed CREATE INDEX CONCURRENTLY leaves one)
INSERT INTO rcp_cases (n, rule, stmt, setup) VALUES
 (52, 'invalid_index_left',
  $s$CREATE INDEX CONCURRENTLY IF NOT EXISTS "Orders_Code_idx" ON rcp."Orders" ("Code")$s$,
  $s$SET schemaguard.mode = off; CREATE INDEX "Orders_Code_idx" ON rcp."Orders" ("Code"); UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'rcp."Orders_Code_idx"'::regclass; RESET schemaguard.mode$s$);
-- the primary key's index exists before the statement, as the recipe of
-- add_unique_constraint makes it
INSERT INTO rcp_cases (n, rule, stmt, setup) VALUES
 (53, 'set_not_null',
  $s$ALTER TABLE rcp."Orders" ADD CONSTRAINT "Orders_Code_pkey" PRIMARY KEY USING INDEX "Orders_Code_uniq"$s$,
  $s$SET schemaguard.mode = off; ALTER TABLE rcp."Orders" DROP CONSTRAINT "Orders_pkey"; CREATE UNIQUE INDEX "Orders_Code_uniq" ON rcp."Orders" ("Code"); RESET schemaguard.mode$s$);
-- a domain's constraint checks every table that uses the domain
INSERT INTO rcp_cases (n, rule, stmt, setup) VALUES
 (55, 'add_check_validated',
  $s$ALTER DOMAIN rcp.qty_dom ADD CONSTRAINT "Qty Dom Small" CHECK (VALUE < 100)$s$,
  $s$SET schemaguard.mode = off; CREATE DOMAIN rcp.qty_dom AS int; ALTER TABLE rcp."Orders" ALTER COLUMN qty TYPE rcp.qty_dom; RESET schemaguard.mode$s$);
-- LOCK runs in a transaction; the recipe's lines run in it as well
INSERT INTO rcp_cases (n, rule, stmt, setup, teardown, recipe_teardown) VALUES
 (54, 'lock_table_no_timeout',
  $s$LOCK TABLE rcp."Orders" IN ACCESS EXCLUSIVE MODE$s$,
  $s$BEGIN; SET LOCAL lock_timeout = 0$s$, 'COMMIT', 'COMMIT');
-- drops that break running code (compatibility): the recipe is the
-- statement, deliberately allowed, once code no longer uses the object
INSERT INTO rcp_cases (n, rule, stmt, setup) VALUES
 (59, 'drop_view',
  $s$DROP MATERIALIZED VIEW rcp.customer_codes$s$, NULL),
 (60, 'drop_function',
  $s$DROP FUNCTION rcp."Order Total"(bigint)$s$,
  $s$SET schemaguard.mode = off; CREATE FUNCTION rcp."Order Total"(bigint) RETURNS numeric LANGUAGE sql AS 'SELECT 1.0'; RESET schemaguard.mode$s$),
 (61, 'drop_type',
  $s$DROP TYPE rcp."Mood"$s$,
  $s$SET schemaguard.mode = off; CREATE TYPE rcp."Mood" AS ENUM ('ok'); RESET schemaguard.mode$s$),
 (62, 'drop_trigger',
  $s$DROP TRIGGER "Orders Touch" ON rcp."Orders"$s$,
  $s$SET schemaguard.mode = off; CREATE FUNCTION rcp.touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'; CREATE TRIGGER "Orders Touch" BEFORE UPDATE ON rcp."Orders" FOR EACH ROW EXECUTE FUNCTION rcp.touch(); RESET schemaguard.mode$s$),
 (63, 'drop_default',
  $s$ALTER TABLE rcp."Orders" ALTER COLUMN qty DROP DEFAULT$s$, NULL),
 (64, 'drop_not_null',
  $s$ALTER TABLE rcp."Orders" ALTER COLUMN qty DROP NOT NULL$s$, NULL),
 (65, 'drop_empty_table',
  $s$DROP TABLE rcp."Empty Jobs"$s$,
  $s$SET schemaguard.mode = off; CREATE TABLE rcp."Empty Jobs" (id int, payload text); RESET schemaguard.mode$s$),
 (66, 'drop_empty_column',
  $s$ALTER TABLE rcp."Empty Jobs" DROP COLUMN payload$s$,
  $s$SET schemaguard.mode = off; CREATE TABLE rcp."Empty Jobs" (id int, payload text); RESET schemaguard.mode$s$);
-- DROP SCHEMA ... CASCADE also drops the materialized view, whose size in
-- drop_view's warning differs between versions: drop_view is case 59's
UPDATE rcp_cases SET setup = $$SET schemaguard.rules = 'foreign_key_without_index=off, prefer_bigint_id=off, drop_view=off'$$,
       teardown = $$SET schemaguard.rules = 'foreign_key_without_index=off, prefer_bigint_id=off'$$,
       recipe_teardown = $$SET schemaguard.rules = 'foreign_key_without_index=off, prefer_bigint_id=off'$$
 WHERE n = 36;
-- the statement fails as written; the recipe needs the value rows get
UPDATE rcp_cases SET fill = $$'eu'$$ WHERE n = 22;
-- advice: the recipe is the statement with the advised type, so the two
-- differ in that column's type, and only there (and a timestamptz value is
-- not the same value as the timestamp it came from)
INSERT INTO rcp_cases (n, rule, stmt) VALUES
 (42, 'prefer_bigint_pk',
  $s$CREATE TABLE rcp.sessions (id int PRIMARY KEY, token text NOT NULL)$s$),
 (43, 'prefer_timestamptz',
  $s$ALTER TABLE rcp."Orders" ADD COLUMN placed timestamp(3) NOT NULL DEFAULT '2024-01-01'$s$),
 (44, 'prefer_text',
  $s$CREATE TABLE rcp.products (id bigint PRIMARY KEY, sku varchar(20) NOT NULL UNIQUE)$s$),
 (45, 'ban_char',
  $s$CREATE TABLE rcp.countries (code char(2) PRIMARY KEY, name text)$s$),
 (46, 'prefer_identity',
  $s$CREATE TABLE rcp.invoices (id bigserial PRIMARY KEY, total numeric)$s$),
 (56, 'prefer_jsonb',
  $s$CREATE TABLE rcp.hooks (id bigint PRIMARY KEY, payload json NOT NULL)$s$),
 (57, 'prefer_bigint_id',
  $s$CREATE TABLE rcp.visits (id bigint PRIMARY KEY, customer_id int REFERENCES rcp."Customers")$s$);
-- the recipe writes the name the server stores: the same schema
INSERT INTO rcp_cases (n, rule, stmt) VALUES
 (58, 'identifier_too_long',
  $s$CREATE TABLE rcp.customer_subscription_renewal_reminder_notifications_sent_log_2024 (id bigint PRIMARY KEY)$s$);
-- judged before the statement runs (the others, at commit, are shown in
-- guard_fk_index); the recipe builds an index for the key instead of
-- dropping the last one, so the two differ in that index (the last case:
-- its setup raises the rule to error: the statement cannot run in the
-- function that reads the HINT)
INSERT INTO rcp_cases (n, rule, stmt, setup) VALUES
 (67, 'foreign_key_without_index',
  $s$DROP INDEX CONCURRENTLY rcp."Lines_Head_Idx"$s$,
  $s$SET schemaguard.mode = off; CREATE INDEX "Lines_Head_Idx" ON rcp.lines (head_id); RESET schemaguard.mode; SET schemaguard.rules = 'prefer_bigint_id=off, foreign_key_without_index=error'$s$);

-- the two runs side by side; when they differ, the lines each one has alone
CREATE FUNCTION rcp_compare(k int)
RETURNS TABLE ("case" int, rule text, changes_schema bool, same_schema bool,
               same_data text, written_only text, recipe_only text)
LANGUAGE sql AS $$
    SELECT c.n, c.rule, w.shape <> b.shape, w.shape = r.shape,
           CASE WHEN NOT c.check_data THEN 'not compared'
                ELSE (w.data = r.data)::text END,
           (SELECT string_agg(x, E'\n') FROM (SELECT unnest(string_to_array(w.shape, E'\n'))
                                              EXCEPT SELECT unnest(string_to_array(r.shape, E'\n'))) s(x)),
           (SELECT string_agg(x, E'\n') FROM (SELECT unnest(string_to_array(r.shape, E'\n'))
                                              EXCEPT SELECT unnest(string_to_array(w.shape, E'\n'))) s(x))
      FROM rcp_cases c
      JOIN rcp_runs b ON b.n = c.n AND b.run = 'before'
      JOIN rcp_runs w ON w.n = c.n AND w.run = 'written'
      JOIN rcp_runs r ON r.n = c.n AND r.run = 'recipe'
     WHERE c.n = k
$$;

-- every rule has a case
SELECT rule FROM schemaguard.list_rules() EXCEPT SELECT rule FROM rcp_cases;

UPDATE rcp_cases SET check_data = false WHERE n = 43;

\set n 1
\i :case_file
\set n 2
\i :case_file
\set n 3
\i :case_file
\set n 4
\i :case_file
\set n 5
\i :case_file
\set n 6
\i :case_file
\set n 7
\i :case_file
\set n 8
\i :case_file
\set n 9
\i :case_file
\set n 10
\i :case_file
\set n 11
\i :case_file
\set n 12
\i :case_file
\set n 13
\i :case_file
\set n 14
\i :case_file
\set n 15
\i :case_file
\set n 16
\i :case_file
\set n 17
\i :case_file
\set n 18
\i :case_file
\set n 19
\i :case_file
\set n 20
\i :case_file
\set n 21
\i :case_file
\set n 22
\i :case_file
\set n 23
\i :case_file
\set n 24
\i :case_file
\set n 25
\i :case_file
\set n 26
\i :case_file
\set n 27
\i :case_file
\set n 28
\i :case_file
\set n 29
\i :case_file
\set n 30
\i :case_file
\set n 31
\i :case_file
\set n 32
\i :case_file
\set n 33
\i :case_file
\set n 34
\i :case_file
\set n 35
\i :case_file
\set n 36
\i :case_file
\set n 37
\i :case_file
\set n 38
\i :case_file
\set n 39
\i :case_file
\set n 40
\i :case_file
\set n 41
\i :case_file
\set n 42
\i :case_file
\set n 43
\i :case_file
\set n 44
\i :case_file
\set n 45
\i :case_file
\set n 46
\i :case_file
\set n 47
\i :case_file
\set n 48
\i :case_file
\set n 49
\i :case_file
\set n 50
\i :case_file
\set n 51
\i :case_file
\set n 52
\i :case_file
\set n 53
\i :case_file
\set n 54
\i :case_file
\set n 55
\i :case_file
\set n 56
\i :case_file
\set n 57
\i :case_file
\set n 58
\i :case_file
\set n 59
\i :case_file
\set n 60
\i :case_file
\set n 61
\i :case_file
\set n 62
\i :case_file
\set n 63
\i :case_file
\set n 64
\i :case_file
\set n 65
\i :case_file
\set n 66
\i :case_file
\set n 67
\i :case_file

-- clean up
SET schemaguard.mode = off;
DROP SCHEMA IF EXISTS rcp, rcp2 CASCADE;
DROP TABLE rcp_cases, rcp_runs;
DROP FUNCTION rcp_shape(), rcp_data(), rcp_hint(text, text), rcp_recipe(int), rcp_compare(int);
DROP PROCEDURE rcp_fixture();
RESET schemaguard.mode;
RESET schemaguard.table_size_threshold;
RESET schemaguard.rules;
RESET client_min_messages;

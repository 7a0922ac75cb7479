--
-- guard_default: add_column_volatile_default.
--
-- A non-volatile default is stored once in the catalog ("missing" value) and
-- the table is not rewritten; a volatile one is computed for every existing
-- row, which rewrites the table.  pg_relation_filenode() shows which of the
-- two happened.
--
SET schemaguard.table_size_threshold = '64kB';

CREATE TABLE events (id bigint PRIMARY KEY, kind text, payload text);
INSERT INTO events
SELECT g, CASE WHEN g % 4 = 0 THEN 'click' ELSE 'view' END, repeat('x', 20)
  FROM generate_series(1, 4000) g;
ANALYZE events;

CREATE TABLE tiny (id bigint, note text);
INSERT INTO tiny VALUES (1, 'one'), (2, 'two');
ANALYZE tiny;

CREATE TABLE empty_tbl (id bigint, note text);

SELECT relname, pg_size_pretty(pg_relation_size(oid)) AS size, reltuples
  FROM pg_class WHERE relname IN ('events', 'tiny', 'empty_tbl') ORDER BY relname;

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

-- user-defined functions of every volatility
CREATE FUNCTION f_immutable() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 42';
CREATE FUNCTION f_stable() RETURNS timestamptz LANGUAGE sql STABLE AS 'SELECT now()';
CREATE FUNCTION f_stable_plpgsql() RETURNS text LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN current_user; END $$;
CREATE FUNCTION f_volatile() RETURNS int LANGUAGE plpgsql VOLATILE
    AS $$ BEGIN RETURN 1; END $$;
CREATE FUNCTION f_volatile_sql() RETURNS float8 LANGUAGE sql VOLATILE
    AS 'SELECT random()';
-- declared VOLATILE, but a SQL body the planner inlines to a constant
CREATE FUNCTION f_volatile_inlined() RETURNS int LANGUAGE sql VOLATILE AS 'SELECT 7';
-- inlined after the planner puts named arguments and defaults in order
CREATE FUNCTION f_named(a int, b text DEFAULT 'x') RETURNS int LANGUAGE sql VOLATILE
    AS 'SELECT $1 + length($2)';
CREATE FUNCTION f_poly(a anyelement, b text) RETURNS anyelement LANGUAGE sql VOLATILE
    AS 'SELECT $1';
-- not inlined: STRICT with a body that is not strict, so the call stays VOLATILE
CREATE FUNCTION f_strict_body(x int) RETURNS int LANGUAGE sql STRICT VOLATILE
    AS 'SELECT coalesce(x, 0)';
CREATE SEQUENCE events_seq;

SELECT pg_relation_filenode('events') AS filenode_before \gset

-- =====================================================================
-- non-volatile defaults pass, and the table is not rewritten
-- =====================================================================
ALTER TABLE events ADD COLUMN created_at timestamptz DEFAULT now();
ALTER TABLE events ADD COLUMN source text DEFAULT 'web';
ALTER TABLE events ADD COLUMN weight int NOT NULL DEFAULT 1;
ALTER TABLE events ADD COLUMN day date DEFAULT CURRENT_DATE;
ALTER TABLE events ADD COLUMN expires_at timestamptz DEFAULT now() + interval '30 days';
ALTER TABLE events ADD COLUMN answer int DEFAULT f_immutable();
ALTER TABLE events ADD COLUMN seen_at timestamptz DEFAULT f_stable();
ALTER TABLE events ADD COLUMN created_by text DEFAULT f_stable_plpgsql();
ALTER TABLE events ADD COLUMN lucky int DEFAULT f_volatile_inlined();
ALTER TABLE events ADD COLUMN lucky_named int DEFAULT f_named(b => 'yy', a => 1);
ALTER TABLE events ADD COLUMN lucky_default int DEFAULT f_named(2);
ALTER TABLE events ADD COLUMN lucky_poly int DEFAULT f_poly(b => 'x', a => 1);
ALTER TABLE events ADD COLUMN tags text[] DEFAULT '{}';
ALTER TABLE events ADD COLUMN note text DEFAULT NULL;
SELECT pg_relation_filenode('events') = :filenode_before AS not_rewritten;

-- =====================================================================
-- volatile defaults are blocked
-- =====================================================================
ALTER TABLE events ADD COLUMN logged_at timestamptz DEFAULT clock_timestamp();
SELECT show_violation('ALTER TABLE events ADD COLUMN logged_at timestamptz DEFAULT clock_timestamp()');
-- the planner does not inline this call: it rewrites the table
SELECT show_violation('ALTER TABLE events ADD COLUMN lucky_strict int DEFAULT f_strict_body(1)');
ALTER TABLE events ADD COLUMN uid uuid DEFAULT gen_random_uuid();
ALTER TABLE events ADD COLUMN sample float8 DEFAULT random();
ALTER TABLE events ADD COLUMN bucket int DEFAULT (random() * 10)::int;
ALTER TABLE events ADD COLUMN one int DEFAULT f_volatile();
ALTER TABLE events ADD COLUMN noise float8 DEFAULT f_volatile_sql();
ALTER TABLE events ADD COLUMN seq bigint DEFAULT nextval('events_seq');
-- with NOT NULL the recipe ends with the set_not_null steps
ALTER TABLE events ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();
-- only the volatile one of several columns is reported
ALTER TABLE events ADD COLUMN a int DEFAULT 1, ADD COLUMN b float8 DEFAULT random();
-- a default that does not fit the type: the server reports it
ALTER TABLE events ADD COLUMN c int DEFAULT 'abc';
SELECT pg_relation_filenode('events') = :filenode_before AS not_rewritten;

-- the recipe, as the hint prints it
ALTER TABLE public.events ADD COLUMN logged_at timestamp with time zone;
ALTER TABLE public.events ALTER COLUMN logged_at SET DEFAULT clock_timestamp();
-- backfill the existing rows in batches, outside a transaction block (each batch commits):
DO $sg$ BEGIN
    FOR b IN 0 .. pg_relation_size('public.events') / current_setting('block_size')::int BY 1000 LOOP
        UPDATE public.events SET logged_at = DEFAULT
         WHERE ctid >= format('(%s,0)', b)::tid AND ctid < format('(%s,0)', b + 1000)::tid AND logged_at IS NULL;
        COMMIT;
    END LOOP;
END $sg$;
SELECT count(*) FILTER (WHERE logged_at IS NULL) AS nulls FROM events;
INSERT INTO events (id) VALUES (4001);
SELECT logged_at IS NOT NULL AS new_row_has_default FROM events WHERE id = 4001;
DELETE FROM events WHERE id = 4001;
SELECT pg_relation_filenode('events') = :filenode_before AS not_rewritten;

-- =====================================================================
-- exemptions
-- =====================================================================
-- created in this transaction
BEGIN;
CREATE TABLE events_copy AS SELECT id, kind FROM events;
ALTER TABLE events_copy ADD COLUMN uid uuid DEFAULT gen_random_uuid();
ROLLBACK;
-- small table
ALTER TABLE tiny ADD COLUMN uid uuid DEFAULT gen_random_uuid();
-- empty table
ALTER TABLE empty_tbl ADD COLUMN uid uuid DEFAULT gen_random_uuid();
-- temporary table
CREATE TEMP TABLE events_tmp AS SELECT id, kind FROM events;
ALTER TABLE events_tmp ADD COLUMN uid uuid DEFAULT gen_random_uuid();
DROP TABLE events_tmp;

-- the remaining cases rewrite "events"; a copy keeps its size stable
CREATE TABLE events2 AS SELECT id, kind, payload FROM events ORDER BY id;
-- VACUUM drops the empty pages that bulk loading adds on PostgreSQL 16+
VACUUM ANALYZE events2;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'add_column_volatile_default';
ALTER TABLE events2 ADD COLUMN uid uuid DEFAULT gen_random_uuid();
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.allow = 'all';
ALTER TABLE events2 ADD COLUMN uid uuid DEFAULT gen_random_uuid();
ROLLBACK;
-- warn mode: the statement runs and rewrites the table
SELECT pg_relation_filenode('events2') AS filenode_before \gset
SET schemaguard.mode = warn;
ALTER TABLE events2 ADD COLUMN uid uuid DEFAULT gen_random_uuid();
RESET schemaguard.mode;
SELECT pg_relation_filenode('events2') <> :filenode_before AS rewritten;
SELECT count(DISTINCT uid) AS distinct_uids FROM events2;
-- (the rewrite bulk-loaded the new file; ANALYZE, because from 19 on a
-- plain VACUUM of the rewritten file may skip its all-visible pages and
-- estimate the row count from the few it read)
VACUUM ANALYZE events2;
-- per-rule level
SET schemaguard.rules = 'add_column_volatile_default=warn';
BEGIN;
ALTER TABLE events2 ADD COLUMN sample float8 DEFAULT random();
ROLLBACK;
SET schemaguard.rules = 'add_column_volatile_default=off';
BEGIN;
ALTER TABLE events2 ADD COLUMN sample float8 DEFAULT random();
ROLLBACK;
RESET schemaguard.rules;
-- ADD COLUMN IF NOT EXISTS of a column the table has: the server skips it
-- with a NOTICE, so nothing is judged; of a new column, it is judged
ALTER TABLE events2 ADD COLUMN IF NOT EXISTS uid uuid DEFAULT gen_random_uuid();
ALTER TABLE events2 ADD COLUMN IF NOT EXISTS uid text DEFAULT md5(random()::text),
    ADD COLUMN IF NOT EXISTS kind text DEFAULT md5(random()::text);
SELECT show_violation('ALTER TABLE events2 ADD COLUMN IF NOT EXISTS fresh text DEFAULT md5(random()::text)');
-- assume_large_tables: small and empty tables count as large
SET schemaguard.assume_large_tables = on;
ALTER TABLE tiny ADD COLUMN sample float8 DEFAULT random();
ALTER TABLE empty_tbl ADD COLUMN sample float8 DEFAULT random();
-- non-volatile defaults still pass
ALTER TABLE tiny ADD COLUMN created_at timestamptz DEFAULT now();
RESET schemaguard.assume_large_tables;

-- a partitioned table: every partition is rewritten
CREATE TABLE metrics (id bigint, taken int NOT NULL) PARTITION BY RANGE (taken);
CREATE TABLE metrics_a PARTITION OF metrics FOR VALUES FROM (0) TO (2000);
CREATE TABLE metrics_b PARTITION OF metrics FOR VALUES FROM (2000) TO (4000);
INSERT INTO metrics SELECT g, g FROM generate_series(0, 3999) g;
ANALYZE metrics;
ALTER TABLE metrics ADD COLUMN sampled_at timestamptz DEFAULT clock_timestamp();
ALTER TABLE metrics ADD COLUMN created_at timestamptz DEFAULT now();

-- clean up
SET schemaguard.mode = off;
DROP TABLE events, events2, tiny, empty_tbl, metrics;
DROP FUNCTION show_violation(text), f_immutable(), f_stable(), f_stable_plpgsql(),
    f_volatile(), f_volatile_sql(), f_volatile_inlined(), f_named(int, text),
    f_poly(anyelement, text), f_strict_body(int);
DROP SEQUENCE events_seq;
RESET schemaguard.mode;

--
-- drift: schemaguard.snapshot(), take_baseline() and drift() for every
-- object kind the snapshot covers.
--
-- For each kind, one change is made behind schemaguard's back (with
-- schemaguard.changelog off) and drift() must report exactly that object
-- with tracked = false; then a change is made normally and drift() must
-- report it with tracked = true and the ids of the changelog entries
-- recorded since the baseline.  Objects live in schema drift_s.
--
\set VERBOSITY terse
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_drift_owner;
RESET client_min_messages;
CREATE ROLE regress_drift_owner;

-- drift rows without the definitions; "all since baseline" when the ids
-- are exactly the changelog entries recorded after the baseline, else the
-- entries' positions after the baseline
CREATE FUNCTION pg_temp.drift(label text)
RETURNS TABLE (object_type text, identity text, change text, tracked boolean,
               changelog_ids text)
LANGUAGE sql AS $$
SELECT d.object_type, d.identity, d.change, d.tracked,
       CASE WHEN d.changelog_ids = '{}' THEN '{}'
            WHEN d.changelog_ids = (SELECT array_agg(c.id ORDER BY c.id)
                                      FROM schemaguard.changelog c
                                      JOIN schemaguard.baselines b ON c.id > b.changelog_id
                                     WHERE b.label = $1)
            THEN 'all since baseline'
            ELSE 'entries ' || (SELECT array_agg(x - b.changelog_id ORDER BY x)
                                  FROM unnest(d.changelog_ids) x, schemaguard.baselines b
                                 WHERE b.label = $1)::text || ' after baseline' END
  FROM schemaguard.drift($1) d
 ORDER BY 1, 2
$$;

CREATE FUNCTION pg_temp.base(label text) RETURNS boolean
LANGUAGE sql AS $$ SELECT schemaguard.take_baseline(label) LIKE 'v1:sha256:%' $$;

CREATE SCHEMA drift_s;
CREATE TYPE drift_s.mood AS ENUM ('sad', 'ok');
CREATE TYPE drift_s.pair AS (a integer, b text);
CREATE DOMAIN drift_s.posint AS integer CHECK (VALUE > 0);
CREATE TABLE drift_s.t (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL DEFAULT 'x',
    m drift_s.mood,
    p drift_s.posint,
    g integer GENERATED ALWAYS AS (p * 2) STORED
);
CREATE TABLE drift_s.child (id bigint, t_id bigint REFERENCES drift_s.t);
CREATE INDEX CONCURRENTLY child_t_id_idx ON drift_s.child (t_id);
-- (a join: from 16 on, the server no longer qualifies the columns of a
-- single-table view, so its text would differ between versions)
CREATE VIEW drift_s.v AS
    SELECT t.id, t.name FROM drift_s.t JOIN drift_s.child c ON c.t_id = t.id WHERE t.m = 'ok';
CREATE FUNCTION drift_s.f(a integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT a + 1';
CREATE FUNCTION drift_s.trg() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TRIGGER t_trg BEFORE INSERT ON drift_s.t FOR EACH ROW EXECUTE FUNCTION drift_s.trg();
CREATE SEQUENCE drift_s.seq;
CREATE TABLE drift_s.parted (id integer, d date) PARTITION BY RANGE (d);
CREATE TABLE drift_s.p2024 PARTITION OF drift_s.parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE drift_s.p2025 (id integer, d date);

-- =====================================================================
-- the snapshot
-- =====================================================================
-- one row per object, with a stable definition and its checksum
SELECT object_type, identity, definition
  FROM schemaguard.snapshot()
 WHERE schema_name = 'drift_s'
 ORDER BY object_type, identity;
SELECT bool_and(checksum = 'sha256:' || encode(sha256(convert_to(definition, 'UTF8')), 'hex'))
       AS checksums_are_sha256_of_definitions
  FROM schemaguard.snapshot();

-- the caller's settings do not change a definition
CREATE TABLE drift_s.settings_t (ts timestamptz DEFAULT '2024-05-01 12:00:00+02', iv interval DEFAULT '1 day 2 hours', r real DEFAULT 0.1);
SELECT schemaguard.fingerprint() AS fp \gset
SET search_path = drift_s, public;
SET DateStyle = 'SQL, DMY';
SET TimeZone = 'America/New_York';
SET IntervalStyle = 'sql_standard';
SET extra_float_digits = -3;
SET quote_all_identifiers = on;
SELECT schemaguard.fingerprint() = :'fp' AS same_fingerprint_under_other_settings;
SELECT definition FROM schemaguard.snapshot() WHERE identity LIKE 'drift_s.settings_t.%' ORDER BY identity;
RESET search_path;
RESET DateStyle;
RESET TimeZone;
RESET IntervalStyle;
RESET extra_float_digits;
RESET quote_all_identifiers;
DROP TABLE drift_s.settings_t;

-- excluded: system schemas, schemaguard's own schema, temporary objects,
-- extension members
CREATE TEMP TABLE drift_temp (a int);
SELECT count(*) FILTER (WHERE schema_name IN ('pg_catalog', 'information_schema', 'schemaguard')
                          OR schema_name LIKE 'pg_temp%' OR schema_name LIKE 'pg_toast%') AS system_objects,
       count(*) FILTER (WHERE identity LIKE '%drift_temp%') AS temp_objects,
       count(*) FILTER (WHERE object_type = 'extension') AS extensions
  FROM schemaguard.snapshot();
DROP TABLE drift_temp;

-- =====================================================================
-- no change, no drift
-- =====================================================================
SELECT pg_temp.base('none');
SELECT * FROM pg_temp.drift('none');
-- NULL is the latest baseline
SELECT count(*) FROM schemaguard.drift(NULL);
SELECT label, fingerprint = schemaguard.fingerprint() AS fingerprint_matches, facets,
       object_count = (SELECT count(*) FROM schemaguard.snapshot()) AS object_count_matches,
       changelog_id = (SELECT coalesce(max(id), 0) FROM schemaguard.changelog) AS changelog_id_is_head
  FROM schemaguard.baselines WHERE label = 'none';

-- =====================================================================
-- schemas
-- =====================================================================
SELECT pg_temp.base('schema_off');
SET schemaguard.changelog = off;
CREATE SCHEMA drift_s2;
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('schema_off');
SELECT pg_temp.base('schema_on');
DROP SCHEMA drift_s2;
SELECT * FROM pg_temp.drift('schema_on');

-- =====================================================================
-- tables: persistence, RLS flags, replica identity, partitioning
-- =====================================================================
SELECT pg_temp.base('table_off');
SET schemaguard.changelog = off;
ALTER TABLE drift_s.child ENABLE ROW LEVEL SECURITY;
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('table_off');
SELECT baseline_definition, current_definition FROM schemaguard.drift('table_off');
SELECT pg_temp.base('table_on');
ALTER TABLE drift_s.child REPLICA IDENTITY FULL;
SELECT * FROM pg_temp.drift('table_on');
SELECT pg_temp.base('table_on2');
ALTER TABLE drift_s.parted ATTACH PARTITION drift_s.p2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
SELECT * FROM pg_temp.drift('table_on2');
SELECT current_definition FROM schemaguard.drift('table_on2') WHERE object_type = 'table';
SELECT pg_temp.base('table_off2');
SET schemaguard.changelog = off;
ALTER TABLE drift_s.child SET UNLOGGED;
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('table_off2');
ALTER TABLE drift_s.child SET LOGGED;

-- =====================================================================
-- columns: type, default, nullability, collation
-- =====================================================================
SELECT pg_temp.base('column_off');
SET schemaguard.changelog = off;
ALTER TABLE drift_s.t ALTER COLUMN name SET DEFAULT 'y';
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('column_off');
SELECT baseline_definition, current_definition FROM schemaguard.drift('column_off');
SELECT pg_temp.base('column_on');
ALTER TABLE drift_s.t ALTER COLUMN name DROP NOT NULL;
SELECT * FROM pg_temp.drift('column_on');
SELECT pg_temp.base('column_on2');
ALTER TABLE drift_s.child ADD COLUMN note varchar(20) COLLATE "C";
SELECT * FROM pg_temp.drift('column_on2');
SELECT current_definition FROM schemaguard.drift('column_on2');
-- a dropped column is reported by the sql_drop capture
SELECT pg_temp.base('column_on3');
ALTER TABLE drift_s.child DROP COLUMN note;
SELECT * FROM pg_temp.drift('column_on3');

-- =====================================================================
-- constraints: NOT VALID, deferrable
-- =====================================================================
SELECT pg_temp.base('constraint_off');
SET schemaguard.changelog = off;
ALTER TABLE drift_s.child ADD CONSTRAINT child_id_check CHECK (id > 0) NOT VALID;
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('constraint_off');
SELECT pg_temp.base('constraint_on');
ALTER TABLE drift_s.child VALIDATE CONSTRAINT child_id_check;
SELECT * FROM pg_temp.drift('constraint_on');
SELECT baseline_definition, current_definition FROM schemaguard.drift('constraint_on');
SELECT pg_temp.base('constraint_on2');
ALTER TABLE drift_s.child ALTER CONSTRAINT child_t_id_fkey DEFERRABLE INITIALLY DEFERRED;
SELECT * FROM pg_temp.drift('constraint_on2');
SELECT current_definition FROM schemaguard.drift('constraint_on2');

-- =====================================================================
-- indexes, and the invalid index a failed concurrent build leaves
-- =====================================================================
SELECT pg_temp.base('index_off');
SET schemaguard.changelog = off;
DROP INDEX CONCURRENTLY drift_s.child_t_id_idx;
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('index_off');
SELECT pg_temp.base('index_on');
CREATE INDEX CONCURRENTLY child_t_id_idx ON drift_s.child (t_id DESC NULLS LAST) WHERE id > 0;
SELECT * FROM pg_temp.drift('index_on');
SELECT current_definition FROM schemaguard.drift('index_on');
INSERT INTO drift_s.child VALUES (1, NULL), (1, NULL);
SELECT pg_temp.base('index_failed');
CREATE UNIQUE INDEX CONCURRENTLY child_id_key ON drift_s.child (id);
SELECT * FROM pg_temp.drift('index_failed');
SELECT current_definition FROM schemaguard.drift('index_failed');
DROP INDEX CONCURRENTLY drift_s.child_id_key;
DELETE FROM drift_s.child;

-- =====================================================================
-- sequences: options, not the current value
-- =====================================================================
SELECT pg_temp.base('sequence_off');
SELECT nextval('drift_s.seq'), setval('drift_s.seq', 100);
SELECT * FROM pg_temp.drift('sequence_off');
SET schemaguard.changelog = off;
ALTER SEQUENCE drift_s.seq INCREMENT BY 5;
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('sequence_off');
SELECT pg_temp.base('sequence_on');
ALTER SEQUENCE drift_s.seq CACHE 10;
SELECT * FROM pg_temp.drift('sequence_on');
SELECT current_definition FROM schemaguard.drift('sequence_on');

-- =====================================================================
-- views and materialized views
-- =====================================================================
SELECT pg_temp.base('view_off');
SET schemaguard.changelog = off;
CREATE OR REPLACE VIEW drift_s.v AS
    SELECT t.id, t.name FROM drift_s.t JOIN drift_s.child c ON c.t_id = t.id WHERE t.m = 'sad';
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('view_off');
SELECT pg_temp.base('view_on');
CREATE MATERIALIZED VIEW drift_s.mv AS SELECT id FROM drift_s.t WITH NO DATA;
SELECT * FROM pg_temp.drift('view_on');
SELECT pg_temp.base('view_off2');
SET schemaguard.changelog = off;
DROP MATERIALIZED VIEW drift_s.mv;
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('view_off2');
-- a view's text is pg_get_viewdef()'s, also after a column rename, with
-- set operations and VALUES (the snapshot deparses the rule's query itself)
CREATE VIEW drift_s.vr AS
    SELECT id AS a, name FROM drift_s.t UNION ALL SELECT id, name FROM drift_s.t;
CREATE VIEW drift_s.vv (x, y) AS VALUES (1, 'a'), (2, 'b');
CREATE MATERIALIZED VIEW drift_s.mvr AS SELECT id AS k FROM drift_s.t WITH NO DATA;
-- one table (columns printed without the table name before 16, as after),
-- and names the deparser must number because of the rule's own OLD and NEW
CREATE VIEW drift_s.v1 AS SELECT id, name FROM drift_s.t WHERE id > 0;
CREATE TABLE drift_s.old (id integer);
CREATE VIEW drift_s.vo AS
    SELECT o.id FROM drift_s.old o JOIN drift_s.t new ON new.id = o.id
     WHERE EXISTS (SELECT FROM drift_s.old WHERE old.id = o.id);
BEGIN;
SET LOCAL schemaguard.allow = 'rename_column';
ALTER VIEW drift_s.vr RENAME COLUMN a TO renamed;
ALTER VIEW drift_s.vv RENAME COLUMN y TO z;
ALTER MATERIALIZED VIEW drift_s.mvr RENAME COLUMN k TO k2;
COMMIT;
SELECT s.identity,
       s.definition = format(E'CREATE %s %s AS\n%s',
                             CASE c.relkind WHEN 'v' THEN 'VIEW' ELSE 'MATERIALIZED VIEW' END,
                             s.identity, pg_get_viewdef(c.oid)) AS same_as_pg_get_viewdef,
       s.definition ~ '(renamed|AS z|k2)' AS has_new_name
  FROM schemaguard.snapshot() s JOIN pg_class c ON c.oid = s.identity::regclass
 WHERE s.object_type IN ('view', 'materialized view') ORDER BY s.identity;
DROP VIEW drift_s.vr, drift_s.vv, drift_s.v1, drift_s.vo;
DROP TABLE drift_s.old;
DROP MATERIALIZED VIEW drift_s.mvr;
-- deparsed expressions are reused between tables with the same column
-- names, but not one with a whole-row reference, which names its table
BEGIN;
CREATE TABLE drift_s.w1 (a integer, b integer);
CREATE TABLE drift_s.w2 (a integer, b integer);
CREATE INDEX w1_row ON drift_s.w1 (a) WHERE w1 IS NOT NULL;
CREATE INDEX w2_row ON drift_s.w2 (a) WHERE w2 IS NOT NULL;
COMMIT;
SELECT identity, definition FROM schemaguard.snapshot()
 WHERE identity IN ('drift_s.w1_row', 'drift_s.w2_row') ORDER BY identity;
DROP TABLE drift_s.w1, drift_s.w2;
-- a replica identity index, found by the process that builds the table,
-- with and without the parallel worker (which builds the indexes)
BEGIN;
CREATE TABLE drift_s.ri (a integer NOT NULL);
CREATE UNIQUE INDEX ri_a ON drift_s.ri (a);
ALTER TABLE drift_s.ri REPLICA IDENTITY USING INDEX ri_a;
COMMIT;
SELECT definition FROM schemaguard.snapshot()
 WHERE object_type = 'table' AND identity = 'drift_s.ri';
SET max_parallel_workers_per_gather = 0;
SELECT definition FROM schemaguard.snapshot()
 WHERE object_type = 'table' AND identity = 'drift_s.ri';
RESET max_parallel_workers_per_gather;
DROP TABLE drift_s.ri;

-- =====================================================================
-- functions, procedures and aggregates
-- =====================================================================
SELECT pg_temp.base('function_off');
SET schemaguard.changelog = off;
CREATE OR REPLACE FUNCTION drift_s.f(a integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT a + 2';
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('function_off');
SELECT pg_temp.base('function_on');
ALTER FUNCTION drift_s.f(integer) STABLE;
SELECT * FROM pg_temp.drift('function_on');
SELECT pg_temp.base('function_on2');
CREATE PROCEDURE drift_s.proc(x integer) LANGUAGE sql AS 'SELECT x';
CREATE AGGREGATE drift_s.total(integer) (SFUNC = int4pl, STYPE = integer, INITCOND = '0');
SELECT * FROM pg_temp.drift('function_on2');
SELECT current_definition FROM schemaguard.drift('function_on2') WHERE object_type = 'aggregate';

-- =====================================================================
-- triggers and their enabled state; event triggers
-- =====================================================================
SELECT pg_temp.base('trigger_off');
SET schemaguard.changelog = off;
ALTER TABLE drift_s.t DISABLE TRIGGER t_trg;
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('trigger_off');
SELECT baseline_definition, current_definition FROM schemaguard.drift('trigger_off');
SELECT pg_temp.base('trigger_on');
ALTER TABLE drift_s.t ENABLE ALWAYS TRIGGER t_trg;
SELECT * FROM pg_temp.drift('trigger_on');
CREATE FUNCTION drift_s.evt() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END';
SELECT pg_temp.base('event_trigger_off');
SET schemaguard.changelog = off;
CREATE EVENT TRIGGER drift_evt ON ddl_command_start WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION drift_s.evt();
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('event_trigger_off');
SELECT current_definition FROM schemaguard.drift('event_trigger_off');
SELECT pg_temp.base('event_trigger_on');
ALTER EVENT TRIGGER drift_evt DISABLE;
SELECT * FROM pg_temp.drift('event_trigger_on');
DROP EVENT TRIGGER drift_evt;

-- =====================================================================
-- rules and policies
-- =====================================================================
SELECT pg_temp.base('rule_off');
SET schemaguard.changelog = off;
CREATE RULE child_no_delete AS ON DELETE TO drift_s.child DO INSTEAD NOTHING;
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('rule_off');
SELECT pg_temp.base('rule_on');
DROP RULE child_no_delete ON drift_s.child;
SELECT * FROM pg_temp.drift('rule_on');
SELECT pg_temp.base('policy_off');
SET schemaguard.changelog = off;
CREATE POLICY child_pol ON drift_s.child FOR SELECT TO regress_drift_owner USING (id > 0);
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('policy_off');
SELECT current_definition FROM schemaguard.drift('policy_off');
SELECT pg_temp.base('policy_on');
ALTER POLICY child_pol ON drift_s.child USING (id > 1);
SELECT * FROM pg_temp.drift('policy_on');

-- =====================================================================
-- types: enums (label order), composite types, domains, ranges
-- =====================================================================
SELECT pg_temp.base('type_off');
SET schemaguard.changelog = off;
ALTER TYPE drift_s.mood ADD VALUE 'happy' BEFORE 'ok';
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('type_off');
SELECT baseline_definition, current_definition FROM schemaguard.drift('type_off');
SELECT pg_temp.base('type_on');
ALTER TYPE drift_s.pair ADD ATTRIBUTE c date;
SELECT * FROM pg_temp.drift('type_on');
SELECT pg_temp.base('domain_off');
SET schemaguard.changelog = off;
ALTER DOMAIN drift_s.posint SET DEFAULT 1;
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('domain_off');
SELECT pg_temp.base('domain_on');
ALTER DOMAIN drift_s.posint ADD CONSTRAINT posint_small CHECK (VALUE < 1000) NOT VALID;
SELECT * FROM pg_temp.drift('domain_on');
SELECT pg_temp.base('range_on');
CREATE TYPE drift_s.intrange AS RANGE (SUBTYPE = integer);
SELECT * FROM pg_temp.drift('range_on');
SELECT current_definition FROM schemaguard.drift('range_on');

-- =====================================================================
-- extensions (name, version, schema), but not their member objects
-- =====================================================================
SELECT pg_temp.base('extension_off');
SET schemaguard.changelog = off;
CREATE EXTENSION citext VERSION '1.6' SCHEMA drift_s;
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('extension_off');
SELECT current_definition FROM schemaguard.drift('extension_off');
SELECT pg_temp.base('extension_on');
DROP EXTENSION citext;
SELECT * FROM pg_temp.drift('extension_on');

-- =====================================================================
-- collations and statistics objects
-- =====================================================================
SELECT pg_temp.base('collation_off');
SET schemaguard.changelog = off;
CREATE COLLATION drift_s.c_coll (LOCALE = 'C');
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('collation_off');
SELECT current_definition FROM schemaguard.drift('collation_off');
SELECT pg_temp.base('collation_on');
DROP COLLATION drift_s.c_coll;
SELECT * FROM pg_temp.drift('collation_on');
SELECT pg_temp.base('statistics_off');
SET schemaguard.changelog = off;
CREATE STATISTICS drift_s.t_stats (dependencies) ON id, name FROM drift_s.t;
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('statistics_off');
SELECT pg_temp.base('statistics_on');
ALTER STATISTICS drift_s.t_stats SET STATISTICS 500;
SELECT * FROM pg_temp.drift('statistics_on');
SELECT current_definition FROM schemaguard.drift('statistics_on');

-- =====================================================================
-- a rename: the old name is removed, the new one added, and both are
-- explained by the entry that renamed the table
-- =====================================================================
SELECT pg_temp.base('rename_on');
BEGIN;
SET LOCAL schemaguard.allow = 'rename_relation';
ALTER TABLE drift_s.p2025 RENAME TO p2025_renamed;
COMMIT;
SELECT * FROM pg_temp.drift('rename_on');

-- =====================================================================
-- a change that shows only through another object: a view's text, an
-- index's and a default's change when a table, column or sequence they
-- read is renamed; the entry that renamed it explains them (pg_depend)
-- =====================================================================
CREATE TABLE drift_s.dep_t (a integer, b integer);
CREATE SEQUENCE drift_s.dep_seq;
CREATE TABLE drift_s.dep_d (id bigint DEFAULT nextval('drift_s.dep_seq'));
CREATE VIEW drift_s.dep_v AS SELECT a, b FROM drift_s.dep_t;
CREATE INDEX dep_t_a_idx ON drift_s.dep_t (a);
SELECT pg_temp.base('depend_column_on');
BEGIN;
SET LOCAL schemaguard.allow = 'rename_column';
ALTER TABLE drift_s.dep_t RENAME COLUMN a TO a2;
COMMIT;
SELECT * FROM pg_temp.drift('depend_column_on');
SELECT pg_temp.base('depend_table_on');
BEGIN;
SET LOCAL schemaguard.allow = 'rename_relation';
ALTER TABLE drift_s.dep_t RENAME TO dep_t2;
ALTER SEQUENCE drift_s.dep_seq RENAME TO dep_seq2;
COMMIT;
SELECT * FROM pg_temp.drift('depend_table_on');
-- the same rename behind schemaguard's back: the view is not tracked either
SELECT pg_temp.base('depend_off');
BEGIN;
SET LOCAL schemaguard.changelog = off;
SET LOCAL schemaguard.allow = 'rename_column';
ALTER TABLE drift_s.dep_t2 RENAME COLUMN b TO b2;
COMMIT;
SELECT * FROM pg_temp.drift('depend_off');
-- a recorded change to a table that does not rename it does not explain a
-- view replaced behind schemaguard's back
SELECT pg_temp.base('depend_replaced_off');
ALTER TABLE drift_s.dep_t2 ADD COLUMN c integer;
SET schemaguard.changelog = off;
CREATE OR REPLACE VIEW drift_s.dep_v AS SELECT a2 AS a, b2 AS b FROM drift_s.dep_t2 WHERE a2 > 0;
RESET schemaguard.changelog;
SELECT * FROM pg_temp.drift('depend_replaced_off');
DROP VIEW drift_s.dep_v;
DROP TABLE drift_s.dep_t2, drift_s.dep_d;
DROP SEQUENCE drift_s.dep_seq2;

-- =====================================================================
-- the caller's temporary objects do not change a definition: a temporary
-- table named like a catalog or a type a view reads, and a temporary
-- function named like one it calls
-- =====================================================================
CREATE VIEW drift_s.shadow_v AS
    SELECT c.relname::text AS name, lower(c.relname) AS low
      FROM pg_class c WHERE c.relname = 'shadow';
SELECT schemaguard.fingerprint() AS fp_before \gset
SELECT definition AS def_before FROM schemaguard.snapshot()
 WHERE identity = 'drift_s.shadow_v' \gset
CREATE TEMP TABLE pg_class (relname text);
CREATE TEMP TABLE text (x integer);
CREATE FUNCTION pg_temp.lower(name) RETURNS text LANGUAGE sql AS 'SELECT NULL::text';
SELECT definition = :'def_before' AS same_definition,
       definition ~ 'FROM pg_class c' AND definition !~ '(pg_catalog|pg_temp)\.' AS unqualified
  FROM schemaguard.snapshot() WHERE identity = 'drift_s.shadow_v';
SELECT schemaguard.fingerprint() = :'fp_before' AS same_fingerprint;
-- (the function returns pg_temp.text: for types pg_temp comes first)
DROP FUNCTION pg_temp.lower(name);
DROP TABLE pg_temp.pg_class, pg_temp.text;
DROP VIEW drift_s.shadow_v;

-- an older baseline sees every change since, with all the explaining entries
SELECT change, tracked, count(*) FROM schemaguard.drift('none') GROUP BY 1, 2 ORDER BY 1, 2;
-- a baseline with a small share of baseline_objects' rows, like this one, is
-- read through the baseline_id index (drift_manifest reads one with all of
-- them, with a sequential scan)
SELECT object_count * 2 < (SELECT sum(object_count) FROM schemaguard.baselines)
       AS read_through_index
  FROM schemaguard.baselines WHERE label = 'none';

-- =====================================================================
-- bad input
-- =====================================================================
SELECT * FROM schemaguard.drift('no such baseline');
SELECT schemaguard.take_baseline(NULL);
SELECT schemaguard.take_baseline('');
SELECT schemaguard.take_baseline('none');
SELECT schemaguard.take_baseline('x', NULL);
SELECT schemaguard.take_baseline('x', '{bogus}');

-- only the extension writes the baselines
SET ROLE regress_drift_owner;
SELECT schemaguard.take_baseline('by_owner');
SELECT * FROM schemaguard.drift('none');
INSERT INTO schemaguard.baselines (label, taken_at, taken_by, fingerprint, facets, server_version_num, changelog_id, system_identifier, database_oid, object_count)
VALUES ('forged', now(), 'x', 'x', '{}', 0, 0, '0', 0, 0);
SELECT count(*) FROM schemaguard.baseline_objects;
RESET ROLE;

-- the consistency lock a schema change takes is released at PREPARE even
-- when the change ran in a cursor's query (the lock belongs to the
-- transaction, not to the portal)
CREATE FUNCTION drift_s.mk_in_cursor() RETURNS int LANGUAGE plpgsql
  AS $$BEGIN EXECUTE 'CREATE TABLE drift_s.made_in_cursor (a int)'; RETURN 1; END$$;
BEGIN;
DECLARE c CURSOR FOR SELECT drift_s.mk_in_cursor();
FETCH c;
PREPARE TRANSACTION 'sg_drift_cursor';
SELECT count(*) AS consistency_locks_of_prepared FROM pg_locks
 WHERE locktype = 'advisory' AND pid IS NULL;
COMMIT PREPARED 'sg_drift_cursor';
SELECT to_regclass('drift_s.made_in_cursor') IS NOT NULL AS made;

-- clean up
DROP SCHEMA drift_s CASCADE;
DROP ROLE regress_drift_owner;

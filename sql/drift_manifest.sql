--
-- drift_manifest: fingerprints, facets, manifests and compare(): two
-- databases built from the same script, and bad input.
--
\set VERBOSITY terse
SET client_min_messages = warning;
SET schemaguard.allow = 'drop_database';
DROP DATABASE IF EXISTS regress_drift_other;
RESET schemaguard.allow;
DROP ROLE IF EXISTS regress_drift_alice;
RESET client_min_messages;
CREATE ROLE regress_drift_alice;

-- the same script, run here and in a second database
\set script 'CREATE SCHEMA dm; CREATE TABLE dm.a (id bigint PRIMARY KEY, x integer NOT NULL DEFAULT 0, y text); CREATE TABLE dm.b (id bigint, a_id bigint REFERENCES dm.a); CREATE INDEX CONCURRENTLY b_a_id_idx ON dm.b (a_id); CREATE VIEW dm.v AS SELECT a.id, b.id AS b_id FROM dm.a JOIN dm.b ON b.a_id = a.id; CREATE FUNCTION dm.f(integer) RETURNS integer LANGUAGE sql AS $$SELECT $1 * 2$$; CREATE TYPE dm.e AS ENUM (''x'', ''y'');'
:script
CREATE DATABASE regress_drift_other;
SELECT schemaguard.fingerprint() AS fp_here,
       schemaguard.export_manifest() AS m_here \gset
\c regress_drift_other
CREATE EXTENSION schemaguard;
\set VERBOSITY terse
:script
SELECT schemaguard.fingerprint() AS fp_other,
       schemaguard.export_manifest() AS m_other \gset
-- the second database has only the script's objects; the first one may
-- have more from other suites: compare only dm's objects
SELECT count(*) AS differences
  FROM schemaguard.compare(:'m_here') d
 WHERE d.identity LIKE 'dm.%' OR d.identity LIKE '% on dm.%' OR d.identity = 'dm';

-- a change in one database: compare() reports exactly that object, and
-- drift() from a baseline taken before it (the only one here: read with a
-- sequential scan)
SELECT schemaguard.take_baseline('only') LIKE 'v1:sha256:%' AS baseline_taken;
ALTER TABLE dm.a ALTER COLUMN y SET DEFAULT 'new';
SELECT object_type, identity, change, tracked, cardinality(changelog_ids) AS entries
  FROM schemaguard.drift('only');
SELECT object_type, identity, change, tracked, changelog_ids,
       baseline_definition, current_definition
  FROM schemaguard.compare(:'m_other');
SELECT schemaguard.export_manifest() AS m_other2 \gset
SELECT object_type, identity, change FROM schemaguard.compare(:'m_other', :'m_other2');
SELECT object_type, identity, change FROM schemaguard.compare(:'m_other2', :'m_other');
SELECT count(*) AS same FROM schemaguard.compare(:'m_other2', :'m_other2');
\c contrib_regression
\set VERBOSITY terse
SET schemaguard.allow = 'drop_database';
DROP DATABASE regress_drift_other;
RESET schemaguard.allow;

-- =====================================================================
-- the manifest
-- =====================================================================
SELECT :'m_here'::jsonb - 'objects' - 'database' - 'exported_at' - 'server_version_num'
       - 'server_major' - 'fingerprint' - 'object_count' AS header;
SELECT (:'m_here'::jsonb ->> 'server_major')::int = current_setting('server_version_num')::int / 10000
       AS major_version_is_this_server,
       :'m_here'::jsonb ->> 'fingerprint' = :'fp_here' AS fingerprint_is_fingerprint,
       (:'m_here'::jsonb ->> 'object_count')::int = jsonb_array_length(:'m_here'::jsonb -> 'objects')
       AS object_count_matches;
SELECT jsonb_pretty(o) FROM jsonb_array_elements(:'m_here'::jsonb -> 'objects') o
 WHERE o ->> 'identity' = 'dm.a.x';
SELECT count(*) AS live_vs_own_manifest FROM schemaguard.compare(schemaguard.export_manifest());
-- export_manifest() writes jsonb's binary format itself (manifest_jsonb.c):
-- the server's own conversion of its text is the same value of the same
-- size, and element and key lookups agree, also past jsonb's stride of 32
-- entries between stored offsets (with 40 more tables, rolled back)
BEGIN;
CREATE SCHEMA dm_many;
DO $$ BEGIN FOR g IN 1..40 LOOP EXECUTE format('CREATE TABLE dm_many.t%s (a integer)', g); END LOOP; END $$;
WITH x AS MATERIALIZED (SELECT schemaguard.export_manifest() AS m),
     y AS (SELECT m, (m::text)::jsonb AS parsed FROM x)
SELECT m = parsed AS same_value,
       pg_column_size(m) = pg_column_size(parsed) AS same_size,
       jsonb_array_length(m -> 'objects') > 64 AS past_two_strides,
       (SELECT bool_and(m -> 'objects' -> i ->> 'identity' = parsed -> 'objects' -> i ->> 'identity'
                        AND m -> 'objects' -> i ->> 'checksum' = parsed -> 'objects' -> i ->> 'checksum')
          FROM generate_series(0, jsonb_array_length(m -> 'objects') - 1) i) AS same_elements,
       m ->> 'object_count' = parsed ->> 'object_count' AS same_count
  FROM y;
ROLLBACK;

-- =====================================================================
-- a parallel worker builds part of the snapshot when one may be used; the
-- result is the same without it
-- =====================================================================
SET client_min_messages = debug1;
SELECT schemaguard.fingerprint('{owners,privileges,comments,column_order,storage}') AS fp_par \gset
RESET client_min_messages;
-- the worker sends fingerprint() only the digests of its object types; the
-- manifest's fingerprint is computed from all objects in one process
SELECT :'fp_par' = schemaguard.export_manifest('{owners,privileges,comments,column_order,storage}') ->> 'fingerprint'
       AS same_as_manifest_fingerprint;
SELECT md5(string_agg(object_type || identity || definition || checksum, ',' ORDER BY object_type, identity))
       AS snap_par FROM schemaguard.snapshot('{owners,privileges,comments,column_order,storage}') \gset
SET max_parallel_workers_per_gather = 0;
SET client_min_messages = debug1;
SELECT schemaguard.fingerprint('{owners,privileges,comments,column_order,storage}') = :'fp_par'
       AS same_without_worker;
RESET client_min_messages;
SELECT md5(string_agg(object_type || identity || definition || checksum, ',' ORDER BY object_type, identity))
       = :'snap_par' AS same_snapshot_without_worker
  FROM schemaguard.snapshot('{owners,privileges,comments,column_order,storage}');
RESET max_parallel_workers_per_gather;
-- fingerprint() hashes the columns as it builds them, in identity order:
-- those of table "a b" ("a b".c) come after those of table a b"x ("a b""x".c)
CREATE TABLE dm."a b" (c integer, "C" integer);
CREATE TABLE dm."a b""x" (c integer);
SELECT identity FROM schemaguard.snapshot()
 WHERE object_type = 'table column' AND identity LIKE 'dm."a b%' ORDER BY identity COLLATE "C";
SELECT schemaguard.fingerprint() = schemaguard.export_manifest() ->> 'fingerprint'
       AS columns_hashed_in_identity_order;
DROP TABLE dm."a b", dm."a b""x";
-- the worker sees what the transaction has not committed yet, also in a
-- subtransaction
BEGIN;
CREATE TABLE dm.in_tx (a bigint PRIMARY KEY);
SAVEPOINT s1;
CREATE VIEW dm.in_tx_v AS SELECT a FROM dm.in_tx;
SELECT object_type, identity FROM schemaguard.snapshot()
 WHERE identity LIKE 'dm.in_tx%' OR identity LIKE '% on dm.in_tx' ORDER BY 1, 2;
ROLLBACK TO SAVEPOINT s1;
SELECT count(*) AS view_gone FROM schemaguard.snapshot() WHERE identity = 'dm.in_tx_v';
ROLLBACK;

-- =====================================================================
-- facets: each changes the fingerprint only when asked for
-- =====================================================================
SELECT schemaguard.fingerprint() AS f0,
       schemaguard.fingerprint('{owners}') AS f_own,
       schemaguard.fingerprint('{privileges}') AS f_priv,
       schemaguard.fingerprint('{comments}') AS f_com,
       schemaguard.fingerprint('{column_order}') AS f_ord,
       schemaguard.fingerprint('{storage}') AS f_sto \gset
SELECT :'f0' <> :'f_own' AND :'f0' <> :'f_priv' AND :'f0' <> :'f_com'
       AND :'f0' <> :'f_ord' AND :'f0' <> :'f_sto' AS facets_change_the_input;
-- the order of the facets does not matter, duplicates neither
SELECT schemaguard.fingerprint('{storage,owners}') = schemaguard.fingerprint('{owners,storage,owners}')
       AS facet_order_irrelevant;

ALTER TABLE dm.a OWNER TO regress_drift_alice;
SELECT schemaguard.fingerprint() = :'f0' AS default_same,
       schemaguard.fingerprint('{owners}') = :'f_own' AS owners_same,
       schemaguard.fingerprint('{privileges}') = :'f_priv' AS privileges_same;
ALTER TABLE dm.a OWNER TO CURRENT_USER;

GRANT SELECT ON dm.a TO regress_drift_alice;
SELECT schemaguard.fingerprint() = :'f0' AS default_same,
       schemaguard.fingerprint('{privileges}') = :'f_priv' AS privileges_same,
       schemaguard.fingerprint('{owners}') = :'f_own' AS owners_same;
-- (the owner's own privileges are masked: 17 added MAINTAIN)
SELECT regexp_replace(definition, 'postgres=[a-zA-Z]+/postgres', 'postgres=<all>/postgres')
       AS definition
  FROM schemaguard.snapshot('{privileges}') WHERE identity = 'dm.a';
-- revoked again, the explicit ACL equals the default: same as never granted
REVOKE SELECT ON dm.a FROM regress_drift_alice;
SELECT relacl IS NOT NULL AS acl_is_explicit FROM pg_class WHERE oid = 'dm.a'::regclass;
SELECT schemaguard.fingerprint('{privileges}') = :'f_priv' AS privileges_same;
-- views, materialized views and foreign tables have a table's default
-- privileges (acldefault() itself knows only OBJECT_TABLE)
CREATE VIEW dm.pv AS SELECT 1 AS one;
CREATE MATERIALIZED VIEW dm.pm AS SELECT 1 AS one;
SELECT schemaguard.fingerprint('{privileges}') AS f_priv_views \gset
GRANT SELECT ON dm.pv, dm.pm TO regress_drift_alice;
SELECT identity, regexp_replace(definition, 'postgres=[a-zA-Z]+/postgres', 'postgres=<all>/postgres')
       AS definition
  FROM schemaguard.snapshot('{privileges}') WHERE identity IN ('dm.pv', 'dm.pm')
 ORDER BY identity;
REVOKE SELECT ON dm.pv, dm.pm FROM regress_drift_alice;
SELECT count(*) AS explicit_acls FROM pg_class
 WHERE oid IN ('dm.pv'::regclass, 'dm.pm'::regclass) AND relacl IS NOT NULL;
SELECT schemaguard.fingerprint('{privileges}') = :'f_priv_views' AS privileges_same;
DROP VIEW dm.pv;
DROP MATERIALIZED VIEW dm.pm;

COMMENT ON COLUMN dm.a.x IS 'the x';
SELECT schemaguard.fingerprint() = :'f0' AS default_same,
       schemaguard.fingerprint('{comments}') = :'f_com' AS comments_same;
SELECT definition FROM schemaguard.snapshot('{comments}') WHERE identity = 'dm.a.x';
COMMENT ON COLUMN dm.a.x IS NULL;

-- column order: y moved to the end
ALTER TABLE dm.a DROP COLUMN x;
ALTER TABLE dm.a ADD COLUMN x integer NOT NULL DEFAULT 0;
SELECT schemaguard.fingerprint() = :'f0' AS default_same,
       schemaguard.fingerprint('{column_order}') = :'f_ord' AS column_order_same;
SELECT identity, definition FROM schemaguard.snapshot('{column_order}')
 WHERE identity LIKE 'dm.a.%' ORDER BY identity;

ALTER TABLE dm.a ALTER COLUMN y SET STORAGE EXTERNAL;
SELECT schemaguard.fingerprint() = :'f0' AS default_same,
       schemaguard.fingerprint('{storage}') = :'f_sto' AS storage_same;

-- drift() uses the facets of its baseline
SELECT schemaguard.take_baseline('dm_owners', '{owners}') IS NOT NULL AS taken;
SELECT facets FROM schemaguard.baselines WHERE label = 'dm_owners';
ALTER TABLE dm.b OWNER TO regress_drift_alice;
SELECT object_type, identity, change, tracked FROM schemaguard.drift('dm_owners');
ALTER TABLE dm.b OWNER TO CURRENT_USER;

-- manifests with different facets are not compared
SELECT * FROM schemaguard.compare(schemaguard.export_manifest('{owners}'), schemaguard.export_manifest());
-- compare(manifest) takes the live side with the manifest's facets
SELECT count(*) FROM schemaguard.compare(schemaguard.export_manifest('{owners,comments}'));
-- manifests from different major versions are compared, with a warning
SELECT count(*) FROM schemaguard.compare(
    jsonb_set(schemaguard.export_manifest(), '{server_version_num}', '140013'),
    jsonb_set(schemaguard.export_manifest(), '{server_version_num}', '130020'));

-- =====================================================================
-- bad input: with the details
-- =====================================================================
\set VERBOSITY default
SELECT * FROM schemaguard.snapshot(NULL);
SELECT * FROM schemaguard.snapshot('{owners,bogus}');
SELECT * FROM schemaguard.snapshot('{owners,NULL}');
SELECT * FROM schemaguard.snapshot('{{owners},{comments}}');
SELECT schemaguard.fingerprint(NULL);
SELECT schemaguard.export_manifest('{nope}');
SELECT * FROM schemaguard.compare(NULL);
SELECT * FROM schemaguard.compare(NULL, '{}');
SELECT * FROM schemaguard.compare('{}', NULL);
SELECT * FROM schemaguard.compare('[]');
SELECT * FROM schemaguard.compare('"text"');
SELECT * FROM schemaguard.compare('{}');
SELECT * FROM schemaguard.compare('{"format": "something else"}');
SELECT * FROM schemaguard.compare('{"format": "schemaguard manifest", "format_version": 2}');
SELECT * FROM schemaguard.compare('{"format": "schemaguard manifest", "format_version": "1"}');
SELECT * FROM schemaguard.compare('{"format": "schemaguard manifest", "format_version": 1, "server_version_num": 150000}');
SELECT * FROM schemaguard.compare('{"format": "schemaguard manifest", "format_version": 1, "server_version_num": 150000, "facets": ["x"], "objects": []}');
SELECT * FROM schemaguard.compare('{"format": "schemaguard manifest", "format_version": 1, "server_version_num": 150000, "facets": [], "objects": {}}');
SELECT * FROM schemaguard.compare('{"format": "schemaguard manifest", "format_version": 1, "server_version_num": 150000, "facets": [], "objects": [1]}');
SELECT * FROM schemaguard.compare('{"format": "schemaguard manifest", "format_version": 1, "server_version_num": 150000, "facets": [], "objects": [{"type": "table"}]}');
SELECT * FROM schemaguard.compare('{"format": "schemaguard manifest", "format_version": 1, "server_version_num": 150000, "facets": [], "objects": [{"type": "table", "schema": null, "identity": 5, "definition": "", "checksum": ""}]}');
-- a truncated manifest: one object cut off
SELECT * FROM schemaguard.compare(:'m_here'::jsonb #- '{objects,0}');
-- an edited definition
SELECT * FROM schemaguard.compare(jsonb_set(:'m_here'::jsonb, '{objects,0,definition}', '"CREATE SCHEMA evil"'));
-- an edited definition with a matching checksum: the fingerprint catches it
SELECT * FROM schemaguard.compare(jsonb_set(jsonb_set(:'m_here'::jsonb, '{objects,0,definition}', '"x"'),
                                            '{objects,0,checksum}', to_jsonb(schemaguard.sha256_text('x'))));
-- an object listed twice
SELECT * FROM schemaguard.compare(jsonb_set(:'m_here'::jsonb, '{objects}',
                                            (:'m_here'::jsonb -> 'objects') || ((:'m_here'::jsonb -> 'objects') -> 0)));
-- JSON that is not even JSON fails in the server's own parser
SELECT * FROM schemaguard.compare('{"format": "schemaguard manifest", "objects": [');

-- clean up
DROP SCHEMA dm CASCADE;
DROP ROLE regress_drift_alice;

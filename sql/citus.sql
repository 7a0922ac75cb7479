--
-- citus: schemaguard on a Citus cluster, as far as it can be shown without
-- Citus (src/citus.c).
--  1. inert: without the citus library, nothing Citus-like changes a verdict
--     or what the changelog records;
--  2. the seam: schemaguard.citus_metadata_schema names a schema whose
--     tables and functions stand in for Citus's metadata, so that the size,
--     identity and session logic runs as it does on a Citus coordinator or
--     worker: the distributed table's real size, emptiness and recipes; an
--     unknown size; shard DDL and Citus's sessions left alone.
--
SET schemaguard.table_size_threshold = '64kB';
SELECT coalesce(max(id), 0) AS last_id FROM schemaguard.changelog \gset

-- ---------------------------------------------------------------------
-- 1. inert without Citus
-- ---------------------------------------------------------------------
-- the test seam is off, and hidden
SHOW schemaguard.citus_metadata_schema;
SELECT count(*) FROM pg_settings WHERE name = 'schemaguard.citus_metadata_schema';

-- Citus-shaped objects of the user's own: a "shard" and its "catalog"
CREATE TABLE orders (id bigint PRIMARY KEY, status int, note text);
CREATE TABLE orders_102008 (id bigint PRIMARY KEY, status int, note text);
INSERT INTO orders_102008 SELECT g, g % 5, repeat('x', 100) FROM generate_series(1, 2000) g;
CREATE TABLE pg_dist_shard (logicalrelid regclass, shardid bigint);
INSERT INTO pg_dist_shard VALUES ('orders', 102008);
-- a session that calls itself Citus's, as a superuser: judged as any other
SET application_name = 'citus_internal gpid=10000000001';
CREATE INDEX ON orders_102008 (status);
ALTER TABLE orders_102008 RENAME COLUMN note TO note2;
-- a function named like Citus's: what it runs is judged
CREATE FUNCTION worker_apply_shard_ddl_command(bigint, text, text) RETURNS void
  LANGUAGE plpgsql AS $$ BEGIN EXECUTE $3; END $$;
SELECT worker_apply_shard_ddl_command(102008, 'public', 'CREATE INDEX ON orders_102008 (status)');
-- and what passes is recorded
ALTER TABLE orders_102008 ADD COLUMN y int;
RESET application_name;
SELECT command_tag, statement, application_name FROM schemaguard.changelog
 WHERE id > :last_id AND command_tag <> 'CREATE FUNCTION' ORDER BY id;

-- ---------------------------------------------------------------------
-- 2. the seam: Citus's metadata, played by a schema of the test's own
-- ---------------------------------------------------------------------
CREATE SCHEMA fakecitus;
CREATE TABLE fakecitus.pg_dist_partition (logicalrelid regclass, partmethod "char",
                                          partkey text, colocationid int, repmodel "char");
CREATE TABLE fakecitus.pg_dist_shard (logicalrelid regclass, shardid bigint);
CREATE TABLE fakecitus.pg_dist_local_group (groupid int);
INSERT INTO fakecitus.pg_dist_local_group VALUES (1);
-- the sizes the "workers" report; a NULL size means they cannot answer
CREATE TABLE fakecitus.sizes (relid regclass PRIMARY KEY, bytes bigint);
CREATE FUNCTION fakecitus.citus_relation_size(r regclass) RETURNS bigint
  LANGUAGE plpgsql AS $$
DECLARE b bigint;
BEGIN
  SELECT bytes INTO STRICT b FROM fakecitus.sizes WHERE relid = r;
  IF b IS NULL THEN
    RAISE EXCEPTION 'could not connect to 127.0.0.1:9702 to get size of relation "%"', r;
  END IF;
  RETURN b;
END $$;
-- the distributed transaction of this session: (initiator, number)
CREATE TABLE fakecitus.xact (initiator int, txnumber bigint);
INSERT INTO fakecitus.xact VALUES (0, 0);
CREATE FUNCTION fakecitus.get_current_transaction_id(OUT database_id oid, OUT process_id int,
    OUT initiator_node_identifier int4, OUT transaction_number int8,
    OUT transaction_stamp timestamptz)
  LANGUAGE sql AS $$ SELECT 0::oid, pg_backend_pid(), initiator, txnumber, now() FROM fakecitus.xact $$;

-- distributed: an empty shell here, 100 MB in 4 shards "on the workers"
CREATE TABLE dist (id bigint PRIMARY KEY, status int, note text);
CREATE TABLE dist_102010 (id bigint PRIMARY KEY, status int, note text);
INSERT INTO fakecitus.pg_dist_partition VALUES ('dist', 'h', 'id', 1, 's');
INSERT INTO fakecitus.pg_dist_shard SELECT 'dist', g FROM generate_series(102010, 102013) g;
INSERT INTO fakecitus.sizes VALUES ('dist', 100 * 1024 * 1024);
-- reference: 8 kB in 1 shard; another distributed table of no rows at all
CREATE TABLE ref (id int PRIMARY KEY, v text);
INSERT INTO fakecitus.pg_dist_partition VALUES ('ref', 'n', NULL, 2, 't');
INSERT INTO fakecitus.pg_dist_shard VALUES ('ref', 102020);
INSERT INTO fakecitus.sizes VALUES ('ref', 8192);
CREATE TABLE dist_empty (id bigint PRIMARY KEY, note text);
INSERT INTO fakecitus.pg_dist_partition VALUES ('dist_empty', 'h', 'id', 1, 's');
INSERT INTO fakecitus.pg_dist_shard VALUES ('dist_empty', 102030), ('dist_empty', 102031);
INSERT INTO fakecitus.sizes VALUES ('dist_empty', 0);
-- a Citus local table whose workers cannot answer
CREATE TABLE loc (id int PRIMARY KEY, v text);
INSERT INTO fakecitus.pg_dist_partition VALUES ('loc', 'n', NULL, 0, 's');
INSERT INTO fakecitus.pg_dist_shard VALUES ('loc', 102040);
INSERT INTO fakecitus.sizes VALUES ('loc', NULL);

SET schemaguard.citus_metadata_schema = 'fakecitus';
SELECT coalesce(max(id), 0) AS last_id FROM schemaguard.changelog \gset

-- the coordinator judges the distributed table: name, real size, recipes that run there
CREATE INDEX ON dist (status);
ALTER TABLE dist ADD COLUMN token uuid DEFAULT gen_random_uuid();
ALTER TABLE dist ALTER COLUMN status TYPE bigint;
DROP TABLE dist;
ALTER TABLE dist DROP COLUMN note;
-- a percent sign in the backfill survives run_command_on_shards()
ALTER TABLE dist ADD COLUMN "50%" uuid DEFAULT gen_random_uuid();
-- the reference table is small; a table whose shards have no page has no rows
CREATE INDEX ON ref (v);
DROP TABLE dist_empty;
-- the size Citus cannot tell: counted as large, and DETAIL says why
CREATE INDEX ON loc (v);
-- a size measured once is kept for the transaction
BEGIN;
SET LOCAL schemaguard.allow = 'index_not_concurrent';
CREATE INDEX ON dist (status);
RESET schemaguard.allow;
UPDATE fakecitus.sizes SET bytes = NULL WHERE relid = 'dist'::regclass;
CREATE INDEX ON dist (note);
ROLLBACK;
UPDATE fakecitus.sizes SET bytes = 100 * 1024 * 1024 WHERE relid = 'dist'::regclass;
-- check() judges the distributed table the same way
SELECT rule, level, object FROM schemaguard.check('CREATE INDEX ON dist (status)');

-- a shard's DDL run inside another statement (as Citus's local execution
-- does) is Citus's: not judged, not recorded; on a table that is no shard
-- (wrong suffix, or not in the shard catalog) it is judged
CREATE FUNCTION run_nested(cmd text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE cmd; END $$;
SELECT run_nested('ALTER TABLE dist_102010 RENAME COLUMN note TO note2');
SELECT run_nested('ALTER TABLE orders_102008 RENAME COLUMN status TO status2');
-- the same statement at top level, from an ordinary session: judged
ALTER TABLE dist_102010 RENAME COLUMN note2 TO note3;

-- a session Citus opened (marked internal) on a worker
CREATE ROLE sg_citus_app;
GRANT CREATE ON SCHEMA public TO sg_citus_app;
CREATE TABLE app_local (id int PRIMARY KEY, note text);
ALTER TABLE app_local OWNER TO sg_citus_app;
ALTER TABLE dist_102010 OWNER TO sg_citus_app;
GRANT SELECT ON ALL TABLES IN SCHEMA fakecitus TO sg_citus_app;
GRANT USAGE ON SCHEMA fakecitus TO sg_citus_app;
-- (a session of a non-superuser: Citus's metadata sync runs as a superuser)
SET SESSION AUTHORIZATION sg_citus_app;
SET application_name = 'citus_internal gpid=10000000001';
-- shard DDL that arrives on its own (CREATE INDEX CONCURRENTLY on shards does)
ALTER TABLE dist_102010 RENAME COLUMN note2 TO note4;
-- not a shard, and no distributed transaction from another node: judged
ALTER TABLE app_local RENAME COLUMN note TO note2;
-- within a transaction the coordinator (group 0) started: Citus's
RESET SESSION AUTHORIZATION;
UPDATE fakecitus.xact SET initiator = 0, txnumber = 42;
SET SESSION AUTHORIZATION sg_citus_app;
ALTER TABLE app_local RENAME COLUMN note TO note2;
-- one this node (group 1) started is no other node's
RESET SESSION AUTHORIZATION;
UPDATE fakecitus.xact SET initiator = 1, txnumber = 43;
SET SESSION AUTHORIZATION sg_citus_app;
ALTER TABLE app_local RENAME COLUMN note2 TO note3;
-- a session of run_command_on_workers() is the user's: judged
RESET SESSION AUTHORIZATION;
UPDATE fakecitus.xact SET initiator = 0, txnumber = 44;
SET SESSION AUTHORIZATION sg_citus_app;
SET application_name = 'citus_run_command gpid=10000000001';
ALTER TABLE app_local RENAME COLUMN note2 TO note3;
RESET application_name;
RESET SESSION AUTHORIZATION;

-- a long name's shard is named as Citus names it: clipped, hashed
RESET SESSION AUTHORIZATION;
UPDATE fakecitus.xact SET initiator = 0, txnumber = 0;
CREATE TABLE a_table_with_a_really_long_name_that_needs_hashing_for_shards_x (id bigint PRIMARY KEY, v int);
INSERT INTO fakecitus.pg_dist_partition VALUES ('a_table_with_a_really_long_name_that_needs_hashing_for_shards_x', 'h', 'id', 1, 's');
INSERT INTO fakecitus.pg_dist_shard VALUES ('a_table_with_a_really_long_name_that_needs_hashing_for_shards_x', 102050);
SELECT left(n, 47) || '_' || lpad(to_hex(hashtext(n)), 8, '0') || '_102050' AS long_shard
  FROM (VALUES ('a_table_with_a_really_long_name_that_needs_hashing_for_shards_x')) AS t(n) \gset
CREATE TABLE :"long_shard" (id bigint PRIMARY KEY, v int);
CREATE TABLE a_table_with_a_really_long_name_that_needs_hash_00000000_102050 (id bigint, v int);
ALTER TABLE :"long_shard" OWNER TO sg_citus_app;
ALTER TABLE a_table_with_a_really_long_name_that_needs_hash_00000000_102050 OWNER TO sg_citus_app;
SET SESSION AUTHORIZATION sg_citus_app;
SET application_name = 'citus_internal gpid=10000000001';
ALTER TABLE :"long_shard" RENAME COLUMN v TO v2;
-- the same name with another hash is no shard of it: judged
ALTER TABLE a_table_with_a_really_long_name_that_needs_hash_00000000_102050 RENAME COLUMN v TO v2;

-- on the coordinator (group 0) a non-superuser's session is the user's,
-- whatever its application_name: only shard DDL counts as Citus's
RESET SESSION AUTHORIZATION;
UPDATE fakecitus.pg_dist_local_group SET groupid = 0;
UPDATE fakecitus.xact SET initiator = 2, txnumber = 45;
ALTER TABLE dist OWNER TO sg_citus_app;
SET SESSION AUTHORIZATION sg_citus_app;
ALTER TABLE dist RENAME COLUMN note TO note2;
ALTER TABLE app_local RENAME COLUMN note2 TO note3;
ALTER TABLE dist_102010 RENAME COLUMN note4 TO note5;
RESET application_name;
RESET SESSION AUTHORIZATION;

-- a partitioned distributed table: the sum over its partitions' shards
CREATE TABLE pdist (id bigint, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE pdist_2025 PARTITION OF pdist FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE pdist_2026 PARTITION OF pdist FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO fakecitus.pg_dist_partition VALUES ('pdist', 'h', 'id', 1, 's'),
  ('pdist_2025', 'h', 'id', 1, 's'), ('pdist_2026', 'h', 'id', 1, 's');
INSERT INTO fakecitus.pg_dist_shard VALUES ('pdist', 102060), ('pdist', 102061),
  ('pdist_2025', 102062), ('pdist_2025', 102063), ('pdist_2026', 102064), ('pdist_2026', 102065);
INSERT INTO fakecitus.sizes VALUES ('pdist', 0), ('pdist_2025', 3 * 1024 * 1024), ('pdist_2026', 5 * 1024 * 1024);
CREATE INDEX ON pdist (at);
DROP TABLE pdist;

-- what was recorded: only the user's statements, not Citus's
SELECT command_tag, statement FROM schemaguard.changelog WHERE id > :last_id ORDER BY id;

-- the seam is a superuser's
SET SESSION AUTHORIZATION sg_citus_app;
SET schemaguard.citus_metadata_schema = '';
RESET SESSION AUTHORIZATION;

RESET schemaguard.citus_metadata_schema;
SET schemaguard.mode = off;
DROP FUNCTION run_nested(text), worker_apply_shard_ddl_command(bigint, text, text);
DROP SCHEMA fakecitus CASCADE;
DROP TABLE orders, orders_102008, pg_dist_shard, dist, dist_102010, ref, loc, app_local, pdist,
  a_table_with_a_really_long_name_that_needs_hashing_for_shards_x, :"long_shard",
  a_table_with_a_really_long_name_that_needs_hash_00000000_102050;
DROP OWNED BY sg_citus_app;
RESET schemaguard.mode;
DROP ROLE sg_citus_app;

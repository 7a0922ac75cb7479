--
-- tools: what migration tools meet.
--  1. migration ids read from the tools' history tables, without any setting;
--  2. no warnings on the tools' own tables, and schemaguard.exempt;
--  3. schemaguard.message_details for tools that show only the primary message;
--  4. drop_column of a column that holds no value, and
--     schemaguard.disposable_databases for test runners.
--
SET schemaguard.table_size_threshold = '64kB';
SELECT coalesce(max(id), 0) AS last_id FROM schemaguard.changelog \gset

-- ---------------------------------------------------------------------
-- 2. the tools' own tables draw no advice (their types are the tools')
-- ---------------------------------------------------------------------
CREATE TABLE django_migrations (id bigserial PRIMARY KEY, app varchar(255) NOT NULL,
                                name varchar(255) NOT NULL, applied timestamptz NOT NULL);
CREATE TABLE ar_internal_metadata (key varchar PRIMARY KEY, value varchar,
                                   created_at timestamp(6) NOT NULL, updated_at timestamp(6) NOT NULL);
CREATE TABLE schema_migrations (version varchar PRIMARY KEY);
CREATE TABLE knex_migrations (id serial PRIMARY KEY, name varchar(255), batch integer,
                              migration_time timestamptz);
CREATE TABLE knex_migrations_lock (index serial PRIMARY KEY, is_locked integer);
CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY);
INSERT INTO alembic_version VALUES ('a1');
-- a user's table of the same shape is advised as usual
CREATE TABLE app_metadata (key varchar PRIMARY KEY, created_at timestamp(6) NOT NULL);
-- check() agrees
SELECT rule, level, object FROM schemaguard.check($$
  CREATE TABLE ar_internal_metadata (key varchar PRIMARY KEY, created_at timestamp(6));
  CREATE TABLE app_metadata2 (key varchar PRIMARY KEY, created_at timestamp(6));
$$);

-- schemaguard.exempt: the user's own objects, chosen rules, by pattern
SET schemaguard.exempt = 'prefer_timestamptz:legacy_*, prefer_bigint_pk:archive.*';
CREATE TABLE legacy_events (id integer PRIMARY KEY, at timestamp, label text);
CREATE SCHEMA archive;
CREATE TABLE archive.notes (id integer PRIMARY KEY, body text, at timestamp);
SELECT rule, level, object FROM schemaguard.check($$
  CREATE TABLE legacy_more (id bigint PRIMARY KEY, at timestamp);
$$);
-- an exemption never silences an error
SET schemaguard.exempt = 'drop_column:*, *:legacy_*';
INSERT INTO legacy_events VALUES (1, now(), 'x');
ALTER TABLE legacy_events DROP COLUMN label;
-- unknown rules and empty patterns are refused
SET schemaguard.exempt = 'no_such_rule:x';
SET schemaguard.exempt = 'prefer_text:';
RESET schemaguard.exempt;

-- ---------------------------------------------------------------------
-- 1. migration ids
-- ---------------------------------------------------------------------
-- Django: one migration in one transaction, recorded after it ran
BEGIN;
CREATE TABLE library_book (id bigint PRIMARY KEY, title text NOT NULL);
INSERT INTO django_migrations (app, name, applied) VALUES ('library', '0001_initial', now());
COMMIT;
-- knex and node-pg-migrate: several migrations in one transaction; each
-- statement gets the migration recorded after it
BEGIN;
ALTER TABLE library_book ADD COLUMN isbn text;
INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('20240101_add_isbn.js', 1, now());
CREATE INDEX library_book_isbn ON library_book (isbn);
ALTER TABLE library_book ADD COLUMN pages integer;
INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('20240102_index_isbn.js', 1, now());
COMMIT;
-- Alembic: one row, updated once per revision
BEGIN;
ALTER TABLE library_book ADD COLUMN subtitle text;
UPDATE alembic_version SET version_num = 'b2' WHERE version_num = 'a1';
ALTER TABLE library_book ADD COLUMN edition integer;
UPDATE alembic_version SET version_num = 'c3' WHERE version_num = 'b2';
COMMIT;
-- schemaguard.migration set explicitly wins
BEGIN;
SET LOCAL schemaguard.migration = 'hand-written';
ALTER TABLE library_book ADD COLUMN notes text;
INSERT INTO schema_migrations VALUES ('20240103000000');
COMMIT;
-- Rails: the id from schema_migrations
BEGIN;
ALTER TABLE library_book ADD COLUMN shelf text;
INSERT INTO schema_migrations VALUES ('20240104000000');
COMMIT;
-- a history row of a rolled-back subtransaction does not count
BEGIN;
ALTER TABLE library_book ADD COLUMN rolled text;
SAVEPOINT s;
INSERT INTO django_migrations (app, name, applied) VALUES ('library', '0002_never', now());
ROLLBACK TO s;
COMMIT;
-- a table with a tool's name but not its columns is not read
CREATE SCHEMA other;
CREATE TABLE other.migrations (id bigint PRIMARY KEY, label text);
BEGIN;
SET LOCAL search_path = other, public;
ALTER TABLE library_book ADD COLUMN other_col text;
INSERT INTO other.migrations VALUES (1, 'not a tool');
COMMIT;
-- a history table in a schema off the search path is not read either
CREATE TABLE other.alembic_version (version_num varchar(32) PRIMARY KEY);
BEGIN;
ALTER TABLE library_book ADD COLUMN off_path text;
INSERT INTO other.alembic_version VALUES ('zz');
COMMIT;
-- odd look-alikes are skipped, and the commit goes through: a view, a
-- column of another type, a partitioned table
CREATE VIEW goose_db_version AS SELECT 1::bigint AS version_id, true AS is_applied;
CREATE TABLE pgmigrations (id serial PRIMARY KEY, name jsonb, run_on timestamptz);
CREATE TABLE "SequelizeMeta" (name text) PARTITION BY LIST (name);
CREATE TABLE "SequelizeMeta_all" PARTITION OF "SequelizeMeta" DEFAULT;
BEGIN;
ALTER TABLE library_book ADD COLUMN odd text;
INSERT INTO pgmigrations (name, run_on) VALUES ('{"a": 1}', now());
INSERT INTO "SequelizeMeta" VALUES ('20240106-odd.js');
COMMIT;
DROP VIEW goose_db_version;
-- a transaction that changes no schema writes nothing
INSERT INTO schema_migrations VALUES ('20240105000000');
SELECT id - :last_id AS n, command_tag, statement, migration
  FROM schemaguard.changelog WHERE id > :last_id ORDER BY id;
SELECT count(*) AS problems FROM schemaguard.verify_changelog();

-- ---------------------------------------------------------------------
-- 3. schemaguard.message_details: the primary message alone tells it all
-- ---------------------------------------------------------------------
CREATE TABLE readers (id bigint PRIMARY KEY, name text, nickname text);
INSERT INTO readers SELECT g, 'reader ' || g, NULL FROM generate_series(1, 200) g;
ANALYZE readers;
\set VERBOSITY terse
ALTER TABLE readers DROP COLUMN name;
SET schemaguard.message_details = on;
ALTER TABLE readers DROP COLUMN name;
RESET schemaguard.message_details;
\set VERBOSITY default

-- ---------------------------------------------------------------------
-- 4. drop_column of a column that holds no value: no data is lost
-- ---------------------------------------------------------------------
-- every row has NULL in nickname (a small table, scanned): only the
-- drop_empty_column warning
ALTER TABLE readers DROP COLUMN nickname;
-- a rollback of ADD COLUMN, as Rails and Alembic run it
ALTER TABLE readers ADD COLUMN badge text;
ALTER TABLE readers DROP COLUMN badge;
-- one value is enough to block; check() sees the same
ALTER TABLE readers ADD COLUMN badge text;
SELECT rule, level FROM schemaguard.check('ALTER TABLE readers DROP COLUMN badge');
UPDATE readers SET badge = 'gold' WHERE id = 7;
ALTER TABLE readers DROP COLUMN badge;
-- a table above schemaguard.table_size_threshold is not scanned: assumed
-- to hold values
CREATE TABLE big_readers (id bigint PRIMARY KEY, filler text, spare text);
INSERT INTO big_readers SELECT g, repeat('x', 200), NULL FROM generate_series(1, 2000) g;
ALTER TABLE big_readers DROP COLUMN spare;
-- partitions are scanned one by one
CREATE TABLE part_readers (id bigint, spare text) PARTITION BY RANGE (id);
CREATE TABLE part_readers_1 PARTITION OF part_readers FOR VALUES FROM (0) TO (100);
CREATE TABLE part_readers_2 PARTITION OF part_readers FOR VALUES FROM (100) TO (200);
INSERT INTO part_readers SELECT g, NULL FROM generate_series(1, 150) g;
ALTER TABLE part_readers DROP COLUMN spare;
ALTER TABLE part_readers ADD COLUMN spare2 text;
UPDATE part_readers SET spare2 = 'v' WHERE id = 150;
ALTER TABLE part_readers DROP COLUMN spare2;
SELECT rule, level FROM schemaguard.check('ALTER TABLE readers DROP COLUMN badge');

-- schemaguard.disposable_databases: a test runner's databases
CREATE DATABASE test_sg_disposable;
CREATE DATABASE regression_sg_keep;
SET schemaguard.disposable_databases = 'test_*, ci_?_db';
DROP DATABASE test_sg_disposable;
DROP DATABASE regression_sg_keep;
RESET schemaguard.disposable_databases;
SET schemaguard.allow = 'drop_database';
DROP DATABASE regression_sg_keep;
RESET schemaguard.allow;
-- only a superuser sets it (ALTER ROLE test_runner SET ... stores it once)
CREATE ROLE regress_sg_runner;
SET ROLE regress_sg_runner;
SET schemaguard.disposable_databases = '*';
RESET ROLE;
DROP ROLE regress_sg_runner;

-- the lookup never fails a commit or a PREPARE: a history value stored
-- out of line is read (under a snapshot of its own); a temporary table
-- named like a tool's is not read (it would forbid PREPARE TRANSACTION)
CREATE SCHEMA mig_odd;
SET search_path = mig_odd, public;
CREATE TABLE mig_odd.schema_migrations (version text);
ALTER TABLE mig_odd.schema_migrations ALTER version SET STORAGE EXTERNAL;
BEGIN;
CREATE TABLE mig_odd.t1 (id bigint);
INSERT INTO mig_odd.schema_migrations VALUES (repeat('x', 3000));
COMMIT;
SELECT command_tag, length(migration) FROM schemaguard.changelog ORDER BY id DESC LIMIT 1;
CREATE TEMP TABLE schema_migrations (version text);
BEGIN;
CREATE TABLE mig_odd.t2 (id bigint);
INSERT INTO mig_odd.schema_migrations VALUES ('20260101');
PREPARE TRANSACTION 'sg_mig_temp';
COMMIT PREPARED 'sg_mig_temp';
SELECT command_tag, migration FROM schemaguard.changelog ORDER BY id DESC LIMIT 1;
DROP TABLE pg_temp.schema_migrations;
RESET search_path;
SET schemaguard.mode = off;
DROP SCHEMA mig_odd CASCADE;
RESET schemaguard.mode;

SET schemaguard.allow = 'all';
DROP TABLE part_readers, big_readers, readers, library_book, legacy_events, archive.notes,
  app_metadata, django_migrations, ar_internal_metadata, schema_migrations,
  knex_migrations, knex_migrations_lock, alembic_version, other.migrations,
  other.alembic_version, pgmigrations, "SequelizeMeta";
DROP SCHEMA archive, other;
RESET schemaguard.allow;

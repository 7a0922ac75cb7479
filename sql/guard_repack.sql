--
-- guard_repack: the cluster rule on REPACK, PostgreSQL 19's statement
-- that CLUSTER is now a form of (run on 19 and later only; CLUSTER itself
-- is in guard_maint on every version).
--
-- REPACK [USING INDEX] rewrites the table under an ACCESS EXCLUSIVE lock,
-- like CLUSTER and VACUUM FULL; REPACK (CONCURRENTLY) takes that lock only
-- to swap the files at the end, and is the recipe.
--
SET schemaguard.table_size_threshold = '64kB';

-- orders is the database's largest table (larger than schemaguard.changelog,
-- which grows with every suite before this one)
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, total numeric(10,2));
CREATE INDEX orders_customer_idx ON orders (customer_id);
INSERT INTO orders SELECT g, g % 100, g * 1.5 FROM generate_series(1, 80000) g;
CREATE TABLE tiny (id bigint PRIMARY KEY, note text);
INSERT INTO tiny VALUES (1, 'one'), (2, 'two');
VACUUM ANALYZE orders, tiny;
SELECT relname, pg_size_pretty(pg_relation_size(oid)) AS size, reltuples
  FROM pg_class WHERE relname IN ('orders', 'tiny') ORDER BY relname;

-- the statement's lock is ACCESS EXCLUSIVE: blocked, with the concurrent recipe
REPACK orders;
REPACK (VERBOSE) orders;
REPACK (ANALYZE) orders;
-- ordered by an index: the recipe keeps USING INDEX and the index's name
REPACK orders USING INDEX orders_customer_idx;
-- CLUSTER on 19 is the same statement, and keeps its own wording and recipe
CLUSTER orders USING orders_pkey;
-- REPACK USING INDEX without an index name: the one the table is clustered on
ALTER TABLE orders CLUSTER ON orders_pkey;
REPACK orders USING INDEX;
-- without a table name: every table (the largest is named), or every
-- clustered table with USING INDEX; neither runs in a transaction block,
-- so the hint says SET, not SET LOCAL
REPACK;
REPACK USING INDEX;

-- the recipe, pasted: runs with no violation, outside a transaction block,
-- and the table keeps its rows and its clustering index
SELECT pg_relation_filenode('orders') AS filenode_before \gset
REPACK (CONCURRENTLY) public.orders;
SELECT pg_relation_filenode('orders') <> :filenode_before AS rewritten,
       (SELECT count(*) FROM orders) AS rows;
REPACK (CONCURRENTLY) public.orders USING INDEX orders_customer_idx;
SELECT indexrelid::regclass AS clustered_on FROM pg_index
 WHERE indrelid = 'orders'::regclass AND indisclustered;
-- (VACUUM drops the empty pages that bulk loading adds)
VACUUM orders;
-- CONCURRENTLY false is a plain REPACK
REPACK (CONCURRENTLY false) orders;

-- exempt: created in this transaction
BEGIN;
CREATE TABLE orders_copy AS SELECT * FROM orders;
REPACK orders_copy;
ROLLBACK;
-- exempt: small table
REPACK tiny;
-- exempt: temporary table
CREATE TEMP TABLE orders_tmp AS SELECT * FROM orders;
REPACK orders_tmp;
DROP TABLE orders_tmp;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'cluster';
REPACK orders;
COMMIT;
-- warn mode
BEGIN;
SET LOCAL schemaguard.mode = warn;
REPACK orders;
COMMIT;
-- per-rule level
BEGIN;
SET LOCAL schemaguard.rules = 'cluster=off';
REPACK orders;
COMMIT;
-- assume_large_tables
SET schemaguard.assume_large_tables = on;
REPACK tiny;
RESET schemaguard.assume_large_tables;

-- missing_lock_timeout: a plain REPACK takes ACCESS EXCLUSIVE, REPACK
-- (CONCURRENTLY) does not block traffic while it waits
SET schemaguard.lock_timeout = 0;
BEGIN;
SET LOCAL schemaguard.allow = 'cluster';
REPACK orders;
ROLLBACK;
REPACK (CONCURRENTLY) orders;
RESET schemaguard.lock_timeout;

-- VACUUM FULL and CLUSTER rewrite the table under ACCESS EXCLUSIVE as
-- well: on 19 their recipe is REPACK (CONCURRENTLY), where it takes the
-- table (a primary key or replica identity index, a permanent table,
-- wal_level replica or higher)
VACUUM FULL orders;
VACUUM (FULL, ANALYZE) orders;
CLUSTER orders USING orders_customer_idx;
-- CLUSTER without an index name: the one the table is clustered on
CLUSTER orders;
-- the recipes, pasted: no violation, outside a transaction block
REPACK (CONCURRENTLY) public.orders;
REPACK (CONCURRENTLY, ANALYZE) public.orders;
REPACK (CONCURRENTLY) public.orders USING INDEX orders_customer_idx;
SELECT indexrelid::regclass AS clustered_on FROM pg_index
 WHERE indrelid = 'orders'::regclass AND indisclustered;
REPACK (CONCURRENTLY) public.orders USING INDEX;
-- a replica identity index instead of a primary key will do
CREATE TABLE keyed (code text NOT NULL, note text);
CREATE UNIQUE INDEX keyed_code ON keyed (code);
ALTER TABLE keyed REPLICA IDENTITY USING INDEX keyed_code;
INSERT INTO keyed SELECT 'k' || g, 'n' || g FROM generate_series(1, 5000) g;
ANALYZE keyed;
VACUUM FULL keyed;
REPACK (CONCURRENTLY) public.keyed;

-- where REPACK (CONCURRENTLY) refuses the table, the recipe is the one of
-- earlier versions, and the hint says why; the server refuses the same
-- no primary key, no replica identity index
CREATE TABLE logbook (at timestamptz, line text);
INSERT INTO logbook SELECT now(), 'line ' || g FROM generate_series(1, 5000) g;
CREATE INDEX CONCURRENTLY logbook_at ON logbook (at);
-- REPLICA IDENTITY FULL
CREATE TABLE audit (id bigint PRIMARY KEY, what text);
ALTER TABLE audit REPLICA IDENTITY FULL;
INSERT INTO audit SELECT g, 'w' || g FROM generate_series(1, 5000) g;
-- a deferrable primary key
CREATE TABLE deferred_pk (id bigint PRIMARY KEY DEFERRABLE, what text);
INSERT INTO deferred_pk SELECT g, 'w' || g FROM generate_series(1, 5000) g;
-- unlogged
CREATE UNLOGGED TABLE scratch (id bigint PRIMARY KEY, what text);
INSERT INTO scratch SELECT g, 'w' || g FROM generate_series(1, 5000) g;
-- partitioned
CREATE TABLE measures (id bigint, day date, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
CREATE TABLE measures_2024 PARTITION OF measures FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO measures SELECT g, date '2024-01-01' + g % 366 FROM generate_series(1, 5000) g;
ANALYZE logbook, audit, deferred_pk, scratch, measures;
VACUUM FULL logbook;
REPACK logbook;
CLUSTER logbook USING logbook_at;
VACUUM FULL audit;
CLUSTER deferred_pk USING deferred_pk_pkey;
VACUUM FULL scratch;
REPACK measures;
REPACK (CONCURRENTLY) logbook;
REPACK (CONCURRENTLY) audit;
REPACK (CONCURRENTLY) deferred_pk;
REPACK (CONCURRENTLY) scratch;
REPACK (CONCURRENTLY) measures;
-- a partition is a table of its own
VACUUM FULL measures_2024;

-- check() judges REPACK like the hook
SELECT rule, object FROM schemaguard.check($$
REPACK orders;
REPACK (CONCURRENTLY) orders;
REPACK tiny;
$$);

-- clean up
SET schemaguard.mode = off;
DROP TABLE orders, tiny, keyed, logbook, audit, deferred_pk, scratch, measures;
RESET schemaguard.mode;
RESET schemaguard.table_size_threshold;

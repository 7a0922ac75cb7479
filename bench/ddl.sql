-- bench/ddl.sql: DDL-heavy pgbench script for bench/run.sh.
--
-- Every transaction runs schema changes that the schemaguard hook inspects
-- but allows: the table is created in the same transaction, so the
-- "created in the current transaction" exemption applies to each later
-- statement even though the table is not empty (it gets a few rows first, so
-- the exemption, not the empty-table shortcut, is what lets them through).
-- The constant default keeps ADD COLUMN metadata-only.
--
-- The table name embeds the client id, so concurrent clients never collide:
-- :t = client_id * 10^10 + a random number below 10^10 (fits in bigint).
-- (A single variable is used because pgbench would read "t_:client_id_:r" as
-- the variable "client_id_".)

\set t :client_id * 10000000000 + random(1, 9999999999)
BEGIN;
CREATE TABLE sg_bench_:t (a int, b text);
INSERT INTO sg_bench_:t SELECT g, 'row ' || g FROM generate_series(1, 10) g;
CREATE INDEX ON sg_bench_:t (a);
ALTER TABLE sg_bench_:t ADD COLUMN c int NOT NULL DEFAULT 0;
ALTER TABLE sg_bench_:t RENAME COLUMN b TO b_renamed;
DROP TABLE sg_bench_:t;
COMMIT;

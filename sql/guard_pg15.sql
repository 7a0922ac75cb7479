--
-- guard_pg15: on PostgreSQL 15 the statistics record no time of a table's
-- last scan (last_seq_scan and last_idx_scan are new in 16), so
-- drop_empty_table has no evidence of use from them: it says so, and
-- stays a warning however recently the table was read.
--
-- (setup sets the window to 0 for the other suites)
SET schemaguard.recent_scan_window = '10min';
CREATE TABLE queue (id bigint PRIMARY KEY, payload text);
SELECT count(*) FROM queue;
SELECT pg_stat_force_next_flush();
BEGIN;
DROP TABLE queue;
ROLLBACK;
-- at level error, to show that it is judged the same way
BEGIN;
SET LOCAL schemaguard.rules = 'drop_empty_table=error';
DROP TABLE queue;
ROLLBACK;
BEGIN; SET LOCAL lock_timeout = '5s'; SET LOCAL schemaguard.allow = 'drop_empty_table'; DROP TABLE public.queue; COMMIT;

--
-- guard_pg16: drop_empty_table with the server's evidence of use, on
-- PostgreSQL 16 and later: pg_stat_all_tables.last_seq_scan of the table
-- and last_idx_scan of its indexes.  A scan within
-- schemaguard.recent_scan_window makes the drop an error; a table the
-- statistics record no scan of is only a warning.  Times are masked.
--
-- (setup sets the window to 0 for the other suites)
SET schemaguard.recent_scan_window = '10min';
CREATE TABLE queue (id bigint PRIMARY KEY, payload text);
-- (building an index reads the table, and the statistics count that as a
-- sequential scan: dead_queue has none)
CREATE TABLE dead_queue (id bigint, payload text);
CREATE TABLE idx_queue (id bigint PRIMARY KEY, payload text);
CREATE TABLE ghost (id bigint, payload text);
-- ghost has pages but no row visible to anyone: schemaguard reads it to
-- find that out, and that look must not count as a scan
BEGIN;
INSERT INTO ghost SELECT g, 'x' FROM generate_series(1, 100) g;
ROLLBACK;

CREATE FUNCTION try_drop(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_state text; v_message text; v_detail text;
BEGIN
    EXECUTE stmt;
    RETURN 'ran';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
        v_detail = PG_EXCEPTION_DETAIL;
    RETURN v_state || E'\n' || v_message || E'\n' ||
        regexp_replace(regexp_replace(v_detail,
            'since the statistics (were reset at [^,]*?\d\d(:\d\d)?|began)', 'since <reset>'),
            '\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?[+-]\d\d(:\d\d)?', '<time>', 'g');
END $$;

-- running code reads queue (a sequential scan) and idx_queue (an index scan)
SELECT count(*) FROM queue;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT count(*) FROM idx_queue WHERE id = 1;
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT pg_stat_force_next_flush();
SELECT relname, last_seq_scan IS NOT NULL AS seq_scanned, last_idx_scan IS NOT NULL AS idx_scanned
  FROM pg_stat_user_tables WHERE relname IN ('queue', 'dead_queue', 'idx_queue', 'ghost')
 ORDER BY relname;

-- scanned a moment ago: an error
SELECT try_drop('DROP TABLE queue');
SELECT try_drop('DROP TABLE idx_queue');
-- never scanned: a warning (shown here as an error, to read its DETAIL)
BEGIN;
SET LOCAL client_min_messages = error;
DROP TABLE dead_queue;
SELECT to_regclass('dead_queue') IS NULL AS dropped;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.rules = 'drop_empty_table=error';
SELECT try_drop('DROP TABLE dead_queue');
ROLLBACK;
-- schemaguard's own look for a row in ghost is not a scan: after a failed
-- attempt, whose statistics are flushed, ghost still counts as unread
SET client_min_messages = error;
SELECT try_drop('DROP TABLE ghost, queue');
RESET client_min_messages;
SELECT pg_stat_force_next_flush();
SELECT last_seq_scan IS NULL AS ghost_unread FROM pg_stat_user_tables WHERE relname = 'ghost';
BEGIN;
SET LOCAL schemaguard.rules = 'drop_empty_table=error';
SELECT try_drop('DROP TABLE ghost');
ROLLBACK;
-- recent_scan_window = 0: scans are no evidence, a warning only
BEGIN;
SET LOCAL schemaguard.recent_scan_window = 0;
SET LOCAL client_min_messages = error;
DROP TABLE queue;
SELECT to_regclass('queue') IS NULL AS dropped;
ROLLBACK;
-- the recipe, as the hint prints it, once code no longer uses it
BEGIN; SET LOCAL lock_timeout = '5s'; SET LOCAL schemaguard.allow = 'drop_empty_table'; DROP TABLE public.queue; COMMIT;
SELECT to_regclass('queue') IS NULL AS dropped;
-- check() judges the same statistics
SELECT rule, level, object FROM schemaguard.check('DROP TABLE idx_queue; DROP TABLE dead_queue');

BEGIN;
SET LOCAL schemaguard.allow = 'all';
DROP TABLE dead_queue, idx_queue, ghost;
DROP FUNCTION try_drop(text);
COMMIT;

--
-- no_execution: judging a statement runs none of the user's code.
--
-- Hostile functions stand in every expression position that check() and
-- the rules look at: column defaults, partition bounds, USING, CHECK
-- constraints (new and existing), index expressions and predicates,
-- generated columns and domain checks.  Each one, when called, takes a
-- value from a sequence and says so; the VOLATILE one also writes a row.
-- Neither check() nor the hook may call any of them, as a superuser or as
-- an unprivileged role: afterwards the side-effect table is empty and the
-- sequence was never called.  (The statements the hook judges are blocked,
-- so the server never runs them either.)
--
SET schemaguard.table_size_threshold = '64kB';
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_ne_user;
RESET client_min_messages;
CREATE ROLE regress_ne_user;

CREATE TABLE ne_effects (what text);
CREATE SEQUENCE ne_calls;
GRANT USAGE ON SEQUENCE ne_calls TO PUBLIC;
GRANT INSERT ON ne_effects TO PUBLIC;
-- declared IMMUTABLE, so that constant folding would call it
CREATE FUNCTION ne_hostile(i int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM nextval('ne_calls');
    RAISE NOTICE 'ne_hostile(%) was called', i;
    RETURN i;
END
$$;
CREATE FUNCTION ne_hostile_date(d date) RETURNS date LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM nextval('ne_calls');
    RAISE NOTICE 'ne_hostile_date(%) was called', d;
    RETURN d;
END
$$;
CREATE FUNCTION ne_hostile_v() RETURNS int LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO ne_effects VALUES ('ne_hostile_v');
    PERFORM nextval('ne_calls');
    RETURN 1;
END
$$;
-- a SQL function the planner would inline, whose body is hostile
CREATE FUNCTION ne_hostile_sql(i int) RETURNS int LANGUAGE sql VOLATILE
    AS 'SELECT ne_hostile(i)';
CREATE DOMAIN ne_positive AS int CHECK (ne_hostile(VALUE) > 0);

CREATE TABLE ne_orders (id bigint PRIMARY KEY, qty int, day date NOT NULL, note text);
INSERT INTO ne_orders SELECT g, g % 10, date '2026-01-01' + g % 300, 'n' || g
  FROM generate_series(1, 5000) g;
-- a validated CHECK that calls one (SET NOT NULL and ATTACH read these)
SET schemaguard.mode = off;
ALTER TABLE ne_orders ADD CONSTRAINT ne_qty_check CHECK (qty IS NOT NULL AND qty >= ne_hostile(0) - 1000);
RESET schemaguard.mode;
CREATE TABLE ne_events (id bigint NOT NULL, day date NOT NULL) PARTITION BY RANGE (day);
CREATE TABLE ne_events_2026 (id bigint NOT NULL, day date NOT NULL,
    CONSTRAINT ne_day_check CHECK (day >= ne_hostile_date('2026-01-01')));
INSERT INTO ne_events_2026 SELECT g, date '2026-01-01' + g % 300 FROM generate_series(1, 5000) g;
-- an enum partition key with a role's own cast from integer into it
CREATE TYPE ne_level AS ENUM ('low', 'high');
CREATE FUNCTION ne_level_of(i int) RETURNS ne_level LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM nextval('ne_calls');
    RAISE NOTICE 'ne_level_of(%) was called', i;
    RETURN 'low';
END
$$;
CREATE CAST (int AS ne_level) WITH FUNCTION ne_level_of(int) AS ASSIGNMENT;
CREATE TABLE ne_levels (id bigint, l ne_level) PARTITION BY LIST (l);
CREATE TABLE ne_levels_low (id bigint, l ne_level);
INSERT INTO ne_levels_low SELECT g, 'low' FROM generate_series(1, 5000) g;
GRANT ALL ON ne_orders, ne_events, ne_events_2026 TO regress_ne_user;
VACUUM ANALYZE ne_orders, ne_events_2026;
-- setting up called them (the server validated the constraints): start afresh
TRUNCATE ne_effects;
ALTER SEQUENCE ne_calls RESTART;
SELECT is_called AS called_before FROM ne_calls;

-- the script every position is in
CREATE TEMP TABLE ne_script AS SELECT $script$
ALTER TABLE ne_orders ADD COLUMN c1 int DEFAULT ne_hostile(1);
ALTER TABLE ne_orders ADD COLUMN c2 int DEFAULT ne_hostile_v();
ALTER TABLE ne_orders ADD COLUMN c3 int DEFAULT ne_hostile_sql(3);
ALTER TABLE ne_orders ADD COLUMN c4 ne_positive DEFAULT 4;
ALTER TABLE ne_orders ADD COLUMN c5 int GENERATED ALWAYS AS (ne_hostile(qty)) STORED;
ALTER TABLE ne_orders ALTER COLUMN qty TYPE bigint USING ne_hostile(7);
ALTER TABLE ne_orders ALTER COLUMN note TYPE varchar(20) USING ne_hostile(8)::text;
ALTER TABLE ne_orders ADD CONSTRAINT ne_new_check CHECK (qty > ne_hostile(9));
ALTER TABLE ne_orders ALTER COLUMN qty SET NOT NULL;
CREATE INDEX ne_orders_expr ON ne_orders ((ne_hostile(qty))) WHERE ne_hostile(10) > 0;
ALTER TABLE ne_events ATTACH PARTITION ne_events_2026
    FOR VALUES FROM (ne_hostile_date('2026-01-01')) TO (ne_hostile_date('2027-01-01'));
ALTER TABLE ne_events ATTACH PARTITION ne_events_2026
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE ne_events_2027 PARTITION OF ne_events
    FOR VALUES FROM (ne_hostile_date('2027-01-01')) TO (ne_hostile_date(('2028-01-01'::date + ne_hostile_v())));
ALTER TABLE ne_levels ATTACH PARTITION ne_levels_low FOR VALUES IN (1);
$script$ AS script;

-- check(), as a superuser
SELECT statement, rule, object FROM schemaguard.check((SELECT script FROM ne_script))
 ORDER BY statement, rule;
SELECT count(*) AS side_effects FROM ne_effects;
SELECT is_called AS sequence_called FROM ne_calls;

-- check(), as an unprivileged role that has been granted it
GRANT SELECT ON ne_script TO regress_ne_user;
GRANT EXECUTE ON FUNCTION schemaguard.check(text) TO regress_ne_user;
SET ROLE regress_ne_user;
SELECT count(*) > 0 AS violations FROM schemaguard.check((SELECT script FROM ne_script));
RESET ROLE;
REVOKE EXECUTE ON FUNCTION schemaguard.check(text) FROM regress_ne_user;
SELECT count(*) AS side_effects FROM ne_effects;
SELECT is_called AS sequence_called FROM ne_calls;

-- the hook: each statement is judged, as a superuser and as the
-- unprivileged role.  For the superuser, an event trigger stops every
-- statement that passes the guard before the server runs it
-- (ddl_command_start fires after the hook, before the statement's own
-- work), so any call comes from judging.
CREATE FUNCTION ne_stop() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stopped before it ran' USING ERRCODE = 'P0002';
END
$$;
CREATE FUNCTION ne_run_each() RETURNS TABLE (n int, state text) LANGUAGE plpgsql AS $$
DECLARE
    stmt text;
    i int := 0;
BEGIN
    FOR stmt IN SELECT btrim(s, E' \n') FROM regexp_split_to_table((SELECT script FROM ne_script), E';\n') s
                 WHERE btrim(s, E' \n') <> ''
    LOOP
        i := i + 1;
        n := i;
        BEGIN
            EXECUTE stmt;
            state := 'ran';
        EXCEPTION WHEN OTHERS THEN
            state := SQLSTATE;
        END;
        RETURN NEXT;
    END LOOP;
END
$$;
GRANT EXECUTE ON FUNCTION ne_run_each() TO regress_ne_user;
CREATE EVENT TRIGGER ne_stop ON ddl_command_start EXECUTE FUNCTION ne_stop();
-- SG001: blocked by the guard; P0002: passed it, stopped before it ran
SELECT * FROM ne_run_each();
SELECT count(*) AS side_effects FROM ne_effects;
SELECT is_called AS sequence_called FROM ne_calls;
-- the role owns none of the tables: it gets the server's own permission
-- errors (42501), and the guard does not judge for it
DROP EVENT TRIGGER ne_stop;
SET ROLE regress_ne_user;
SELECT * FROM ne_run_each();
RESET ROLE;
SELECT count(*) AS side_effects FROM ne_effects;
SELECT is_called AS sequence_called FROM ne_calls;

-- clean up
SET schemaguard.mode = off;
DROP FUNCTION ne_run_each(), ne_stop();
DROP TABLE ne_orders, ne_events, ne_effects, ne_script, ne_levels, ne_levels_low;
DROP CAST (int AS ne_level);
DROP FUNCTION ne_level_of(int);
DROP TYPE ne_level;
DROP TABLE IF EXISTS ne_events_2026;
DROP DOMAIN ne_positive;
DROP FUNCTION ne_hostile_sql(int), ne_hostile(int), ne_hostile_date(date), ne_hostile_v();
DROP SEQUENCE ne_calls;
DROP ROLE regress_ne_user;
RESET schemaguard.mode;
RESET schemaguard.table_size_threshold;

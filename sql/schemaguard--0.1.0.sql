/* schemaguard--0.1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION schemaguard" to load this file. \quit

CREATE FUNCTION schemaguard.list_rules(
    OUT rule text,
    OUT family text,
    OUT default_level text,
    OUT level text,
    OUT description text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sg_list_rules'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION schemaguard.list_rules() IS
'every guard rule with its family, default level, effective level (after schemaguard.rules) and description';

GRANT USAGE ON SCHEMA schemaguard TO PUBLIC;

CREATE FUNCTION schemaguard.check(sql text)
RETURNS TABLE (statement int, rule text, level text, object text,
               message text, hint text)
AS 'MODULE_PATHNAME', 'sg_check'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION schemaguard.check(text) IS
'lint a migration script against the live catalog without executing it';

-- The table_rewrite safety net: stops a table rewrite that the static
-- checks did not foresee, right before it starts.
CREATE FUNCTION schemaguard.table_rewrite_guard()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'sg_table_rewrite_guard'
LANGUAGE C;

CREATE EVENT TRIGGER schemaguard_table_rewrite ON table_rewrite
    EXECUTE FUNCTION schemaguard.table_rewrite_guard();

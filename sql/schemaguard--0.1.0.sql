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

/* schemaguard--0.2.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION schemaguard" to load this file. \quit

-- CREATE EXTENSION uses a schema named schemaguard that already exists.
-- Its owner could drop, replace or add objects in it, and the changelog is
-- written as a superuser: refuse a schema that a non-superuser owns.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_namespace n
                 JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
                WHERE n.nspname OPERATOR(pg_catalog.=) 'schemaguard'
                  AND NOT r.rolsuper) THEN
        RAISE EXCEPTION 'schema "schemaguard" is owned by a role that is not a superuser'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Drop the schema, or make a superuser its owner, before CREATE EXTENSION schemaguard.';
    END IF;
END
$$;

CREATE FUNCTION schemaguard.list_rules(
    OUT rule text,
    OUT family text,
    OUT default_level text,
    OUT level text,
    OUT description text,
    OUT doc text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sg_list_rules'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION schemaguard.list_rules() IS
'every guard rule with its family, default level, effective level (after schemaguard.rules), description and documentation page';

GRANT USAGE ON SCHEMA schemaguard TO PUBLIC;

CREATE FUNCTION schemaguard.check(sql text)
RETURNS TABLE (statement int, rule text, level text, object text,
               message text, hint text, line int, col int)
AS 'MODULE_PATHNAME', 'sg_check'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- check() reads the catalog and table sizes of any relation a script
-- names, so it is not for everyone: grant EXECUTE to the roles that lint.
REVOKE EXECUTE ON FUNCTION schemaguard.check(text) FROM PUBLIC;

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

-- ----------------------------------------------------------------------
-- The changelog: one row per committed schema change, hash-chained.
-- Rows are written by the library at commit, as the bootstrap superuser;
-- nobody has INSERT, UPDATE, DELETE or TRUNCATE on the table.
-- ----------------------------------------------------------------------
CREATE TABLE schemaguard.changelog (
    id               bigint PRIMARY KEY,
    recorded_at      timestamptz NOT NULL,
    xid              xid8 NOT NULL,
    role_name        name NOT NULL,
    session_role     name NOT NULL,
    application_name text,
    client_addr      inet,
    command_tag      text NOT NULL,
    objects          jsonb NOT NULL,
    statement        text NOT NULL,
    statement_sha256 text NOT NULL,
    migration        text,
    allowed_rules    text[] NOT NULL,
    warnings         text[] NOT NULL,
    prev_hash        text NOT NULL,
    entry_hash       text NOT NULL
);

COMMENT ON TABLE schemaguard.changelog IS
'every committed schema change of this database, written by schemaguard; see schemaguard.verify_changelog()';

REVOKE ALL ON schemaguard.changelog FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('schemaguard.changelog', '');

-- The canonical form that entry_hash covers.  Every field is written as
-- "<length of its UTF-8 bytes>:<text>" (or "-" for NULL), fields joined by newlines
-- after a version line, in this order: id, recorded_at (UTC, ISO 8601 with
-- microseconds), xid, role_name, session_role, application_name,
-- client_addr, command_tag, objects (jsonb text), statement,
-- statement_sha256, migration, allowed_rules, warnings (array text),
-- prev_hash.  test/verify_changelog.py recomputes it outside the database.
CREATE FUNCTION schemaguard.entry_canonical(
    id bigint, recorded_at timestamptz, xid xid8, role_name name,
    session_role name, application_name text, client_addr inet,
    command_tag text, objects jsonb, statement text, statement_sha256 text,
    migration text, allowed_rules text[], warnings text[], prev_hash text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT 'schemaguard-changelog-v1' || string_agg(
         E'\n' || CASE WHEN f IS NULL THEN '-'
                       ELSE octet_length(convert_to(f, 'UTF8'))::text || ':' || f END,
         '' ORDER BY n)
  FROM unnest(ARRAY[
         id::text,
         to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
         xid::text, role_name::text, session_role::text, application_name,
         client_addr::text, command_tag, objects::text, statement,
         statement_sha256, migration, allowed_rules::text, warnings::text,
         prev_hash]) WITH ORDINALITY AS u(f, n)
$$;

CREATE FUNCTION schemaguard.sha256_text(t text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT 'sha256:' || encode(sha256(convert_to(t, 'UTF8')), 'hex') $$;

CREATE FUNCTION schemaguard.verify_changelog()
RETURNS TABLE (id bigint, problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e record;
    expected_prev text := 'sha256:' || repeat('0', 64);
    last_id bigint := 0;
    waiting bigint;
    waiting_xacts bigint;
BEGIN
    FOR e IN SELECT * FROM schemaguard.changelog c ORDER BY c.id LOOP
        IF e.id <> last_id + 1 THEN
            id := e.id;
            problem := CASE WHEN e.id > last_id + 1
                            THEN format('entries %s to %s are missing (deleted)', last_id + 1, e.id - 1)
                            ELSE format('id %s does not follow %s', e.id, last_id) END;
            RETURN NEXT;
        END IF;
        IF e.prev_hash IS DISTINCT FROM expected_prev THEN
            id := e.id;
            problem := format('prev_hash does not match the entry_hash of entry %s: an entry was inserted, deleted or reordered', last_id);
            RETURN NEXT;
        END IF;
        IF e.statement_sha256 IS DISTINCT FROM schemaguard.sha256_text(e.statement) THEN
            id := e.id;
            problem := 'statement_sha256 does not match the statement: the statement was edited';
            RETURN NEXT;
        END IF;
        IF e.entry_hash IS DISTINCT FROM schemaguard.sha256_text(schemaguard.entry_canonical(
               e.id, e.recorded_at, e.xid, e.role_name, e.session_role,
               e.application_name, e.client_addr, e.command_tag, e.objects,
               e.statement, e.statement_sha256, e.migration, e.allowed_rules,
               e.warnings, e.prev_hash)) THEN
            id := e.id;
            problem := 'entry_hash does not match the entry''s contents: the entry was edited';
            RETURN NEXT;
        END IF;
        expected_prev := e.entry_hash;
        last_id := e.id;
    END LOOP;
    -- rows of changelog_pending that this snapshot sees belong to prepared
    -- transactions that have committed
    SELECT count(*), count(DISTINCT p.xid) INTO waiting, waiting_xacts
      FROM schemaguard.changelog_pending p;
    IF waiting > 0 THEN
        id := NULL;
        problem := format('%s entries of %s committed prepared transactions wait to be chained after entry %s: the next schema change chains them, or SELECT schemaguard.chain_pending()',
                          waiting, waiting_xacts, last_id);
        RETURN NEXT;
    END IF;
END
$$;

CREATE FUNCTION schemaguard.changelog_head()
RETURNS TABLE (id bigint, entry_hash text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
SELECT c.id, c.entry_hash FROM schemaguard.changelog c ORDER BY c.id DESC LIMIT 1
$$;

-- Capture of the objects each statement touches, from event-trigger data.
CREATE FUNCTION schemaguard.capture_ddl()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'sg_capture_ddl'
LANGUAGE C;

CREATE EVENT TRIGGER schemaguard_capture_ddl ON ddl_command_end
    EXECUTE FUNCTION schemaguard.capture_ddl();
CREATE EVENT TRIGGER schemaguard_capture_drop ON sql_drop
    EXECUTE FUNCTION schemaguard.capture_ddl();
ALTER EVENT TRIGGER schemaguard_capture_ddl ENABLE ALWAYS;
ALTER EVENT TRIGGER schemaguard_capture_drop ENABLE ALWAYS;

-- ----------------------------------------------------------------------
-- Drift detection
-- ----------------------------------------------------------------------

-- Named baselines: a stored snapshot of the schema.  Only take_baseline()
-- writes these tables.
CREATE TABLE schemaguard.baselines (
    id                  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    label               text NOT NULL UNIQUE CHECK (label <> ''),
    taken_at            timestamptz NOT NULL,
    taken_by            name NOT NULL,
    fingerprint         text NOT NULL,
    facets              text[] NOT NULL,
    server_version_num  integer NOT NULL,
    changelog_id        bigint NOT NULL,
    system_identifier   text NOT NULL,
    database_oid        oid NOT NULL,
    object_count        integer NOT NULL
);

COMMENT ON TABLE schemaguard.baselines IS
'schema baselines taken by schemaguard.take_baseline(); changelog_id is the last changelog entry the baseline includes';

-- baseline_id is a schemaguard.baselines id, with no FOREIGN KEY: both tables
-- are configuration tables, whose rows pg_restore -j loads in parallel, in
-- any order, into the tables the extension script created, constraint and
-- all; a foreign key would fail the load of baseline_objects.  Deleting (or
-- truncating) baselines deletes their objects through the triggers below.
CREATE TABLE schemaguard.baseline_objects (
    baseline_id      integer NOT NULL,
    object_type      text NOT NULL,
    schema_name      text,
    identity         text NOT NULL,
    definition       text NOT NULL,
    checksum         text NOT NULL,
    parent_type      text,
    parent_identity  text,
    classid          oid NOT NULL,
    objid            oid NOT NULL,
    objsubid         integer NOT NULL
);

CREATE INDEX ON schemaguard.baseline_objects (baseline_id);

COMMENT ON TABLE schemaguard.baseline_objects IS
'the objects of each baseline, as schemaguard.snapshot() returned them when the baseline was taken';

CREATE FUNCTION schemaguard.baselines_delete_objects()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE schemaguard.baseline_objects;
    ELSE
        DELETE FROM schemaguard.baseline_objects o
         USING old_baselines b WHERE o.baseline_id = b.id;
    END IF;
    RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION schemaguard.baselines_delete_objects() FROM PUBLIC;

CREATE TRIGGER baselines_delete_objects AFTER DELETE ON schemaguard.baselines
    REFERENCING OLD TABLE AS old_baselines
    FOR EACH STATEMENT EXECUTE FUNCTION schemaguard.baselines_delete_objects();
CREATE TRIGGER baselines_truncate_objects AFTER TRUNCATE ON schemaguard.baselines
    FOR EACH STATEMENT EXECUTE FUNCTION schemaguard.baselines_delete_objects();

REVOKE ALL ON schemaguard.baselines, schemaguard.baseline_objects FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('schemaguard.baselines', '');
SELECT pg_catalog.pg_extension_config_dump('schemaguard.baseline_objects', '');
-- and the value of the ids' sequence, or the first take_baseline() after a
-- restore would reuse id 1
SELECT pg_catalog.pg_extension_config_dump('schemaguard.baselines_id_seq', '');

CREATE FUNCTION schemaguard.snapshot(facets text[] DEFAULT '{}')
RETURNS TABLE (object_type text, schema_name text, identity text,
               definition text, checksum text)
AS 'MODULE_PATHNAME', 'sg_snapshot'
LANGUAGE C STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION schemaguard.snapshot(text[]) IS
'one row per schema object with its normalised definition and checksum';

CREATE FUNCTION schemaguard.fingerprint(facets text[] DEFAULT '{}')
RETURNS text
AS 'MODULE_PATHNAME', 'sg_fingerprint'
LANGUAGE C STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION schemaguard.fingerprint(text[]) IS
'one checksum of the whole schema, prefixed with the algorithm version';

-- take_baseline() writes the baseline tables, which nobody else may write:
-- it runs as the extension's owner, and EXECUTE must be granted.
CREATE FUNCTION schemaguard.take_baseline(label text, facets text[] DEFAULT '{}')
RETURNS text
AS 'MODULE_PATHNAME', 'sg_take_baseline'
LANGUAGE C VOLATILE SECURITY DEFINER PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

REVOKE EXECUTE ON FUNCTION schemaguard.take_baseline(text, text[]) FROM PUBLIC;

COMMENT ON FUNCTION schemaguard.take_baseline(text, text[]) IS
'store the current snapshot as a named baseline; returns its fingerprint';

-- drift() reads the baselines and the changelog, which are not public:
-- grant EXECUTE to the roles that monitor drift.
CREATE FUNCTION schemaguard.drift(baseline text DEFAULT NULL)
RETURNS TABLE (object_type text, identity text, change text,
               tracked boolean, changelog_ids bigint[],
               baseline_definition text, current_definition text)
AS 'MODULE_PATHNAME', 'sg_drift'
LANGUAGE C STABLE SECURITY DEFINER PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp;

REVOKE EXECUTE ON FUNCTION schemaguard.drift(text) FROM PUBLIC;

COMMENT ON FUNCTION schemaguard.drift(text) IS
'differences between a baseline (NULL: the latest) and the live schema, and the changelog entries that explain them';

CREATE FUNCTION schemaguard.export_manifest(facets text[] DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'sg_export_manifest'
LANGUAGE C STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION schemaguard.export_manifest(text[]) IS
'a portable manifest of the schema: server version, facets, fingerprint, and every object''s checksum and definition';

CREATE FUNCTION schemaguard.compare(manifest jsonb)
RETURNS TABLE (object_type text, identity text, change text,
               tracked boolean, changelog_ids bigint[],
               baseline_definition text, current_definition text)
AS 'MODULE_PATHNAME', 'sg_compare_live'
LANGUAGE C STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION schemaguard.compare(jsonb) IS
'differences between a manifest (the reference) and the live schema';

CREATE FUNCTION schemaguard.compare(a jsonb, b jsonb)
RETURNS TABLE (object_type text, identity text, change text,
               tracked boolean, changelog_ids bigint[],
               baseline_definition text, current_definition text)
AS 'MODULE_PATHNAME', 'sg_compare_manifests'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION schemaguard.compare(jsonb, jsonb) IS
'differences between two manifests: a is the reference, b the other side';

-- ----------------------------------------------------------------------
-- Prepared transactions (0.2.0).  PREPARE TRANSACTION writes the
-- transaction's entries here, not into the chain, so that it holds no lock
-- other schema changes wait for.  ROLLBACK PREPARED takes the rows with it;
-- after COMMIT PREPARED the library moves them into the changelog, chained
-- (right away, or at the next chaining: any schema change's commit, or
-- schemaguard.chain_pending()).  The rows a snapshot sees here are entries
-- of committed prepared transactions that wait to be chained.
-- ----------------------------------------------------------------------
CREATE TABLE schemaguard.changelog_pending (
    xid              xid8 NOT NULL,
    seq              integer NOT NULL,
    prepared_at      timestamptz NOT NULL,
    recorded_at      timestamptz NOT NULL,
    role_name        name NOT NULL,
    session_role     name NOT NULL,
    application_name text,
    client_addr      inet,
    command_tag      text NOT NULL,
    objects          jsonb NOT NULL,
    statement        text NOT NULL,
    migration        text,
    allowed_rules    text[] NOT NULL,
    warnings         text[] NOT NULL,
    PRIMARY KEY (xid, seq)
);

COMMENT ON TABLE schemaguard.changelog_pending IS
'changelog entries of prepared transactions, written at PREPARE TRANSACTION and chained into schemaguard.changelog after COMMIT PREPARED';

REVOKE ALL ON schemaguard.changelog_pending FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('schemaguard.changelog_pending', '');

-- Chains what committed prepared transactions left now.  Not for everyone:
-- it takes the changelog's lock, and a session that kept its transaction
-- open after it would hold up every schema change.
CREATE FUNCTION schemaguard.chain_pending()
RETURNS bigint
AS 'MODULE_PATHNAME', 'sg_chain_pending'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

REVOKE EXECUTE ON FUNCTION schemaguard.chain_pending() FROM PUBLIC;

COMMENT ON FUNCTION schemaguard.chain_pending() IS
'chain the entries of committed prepared transactions into schemaguard.changelog now; returns how many';

-- ----------------------------------------------------------------------
-- Logical replication (0.2.0).  A FOR ALL TABLES publication includes
-- these tables.  Every table has a replica identity, so DELETE works on a
-- publisher; a subscriber keeps its own changelog and baselines: the
-- trigger below, enabled only for replication, skips the rows a logical
-- replication worker (apply or initial copy) would write.
-- ----------------------------------------------------------------------
ALTER TABLE schemaguard.baseline_objects REPLICA IDENTITY FULL;

CREATE FUNCTION schemaguard.skip_replicated_row()
RETURNS trigger
AS 'MODULE_PATHNAME', 'sg_skip_replicated_row'
LANGUAGE C;

REVOKE EXECUTE ON FUNCTION schemaguard.skip_replicated_row() FROM PUBLIC;

CREATE TRIGGER skip_replicated BEFORE INSERT OR UPDATE OR DELETE
    ON schemaguard.changelog
    FOR EACH ROW EXECUTE FUNCTION schemaguard.skip_replicated_row();
CREATE TRIGGER skip_replicated BEFORE INSERT OR UPDATE OR DELETE
    ON schemaguard.changelog_pending
    FOR EACH ROW EXECUTE FUNCTION schemaguard.skip_replicated_row();
CREATE TRIGGER skip_replicated BEFORE INSERT OR UPDATE OR DELETE
    ON schemaguard.baselines
    FOR EACH ROW EXECUTE FUNCTION schemaguard.skip_replicated_row();
CREATE TRIGGER skip_replicated BEFORE INSERT OR UPDATE OR DELETE
    ON schemaguard.baseline_objects
    FOR EACH ROW EXECUTE FUNCTION schemaguard.skip_replicated_row();
ALTER TABLE schemaguard.changelog ENABLE REPLICA TRIGGER skip_replicated;
ALTER TABLE schemaguard.changelog_pending ENABLE REPLICA TRIGGER skip_replicated;
ALTER TABLE schemaguard.baselines ENABLE REPLICA TRIGGER skip_replicated;
ALTER TABLE schemaguard.baseline_objects ENABLE REPLICA TRIGGER skip_replicated;

/* schemaguard--0.1.0--0.2.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION schemaguard UPDATE TO '0.2.0'" to load this file. \quit

-- Every object below is also in schemaguard--0.2.0.sql, in the same form,
-- so an updated database and a fresh install of 0.2.0 have the same
-- objects (test/t/030_extension_update.pl compares them).

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

-- verify_changelog() also says when committed entries wait to be chained
CREATE OR REPLACE FUNCTION schemaguard.verify_changelog()
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

-- ----------------------------------------------------------------------
-- check() (0.2.0) also says where each statement starts: line and col.
-- A new result type needs a new function; the grants of the old one
-- (EXECUTE is revoked from PUBLIC and granted to the roles that lint) are
-- given again.
-- ----------------------------------------------------------------------
DO $do$
DECLARE
    old_acl aclitem[] := (SELECT proacl FROM pg_proc
                           WHERE oid = 'schemaguard.check(text)'::regprocedure);
    grantee text;
BEGIN
    DROP FUNCTION schemaguard.check(text);
    CREATE FUNCTION schemaguard.check(sql text)
    RETURNS TABLE (statement int, rule text, level text, object text,
                   message text, hint text, line int, col int)
    AS 'MODULE_PATHNAME', 'sg_check'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
    REVOKE EXECUTE ON FUNCTION schemaguard.check(text) FROM PUBLIC;
    COMMENT ON FUNCTION schemaguard.check(text) IS
    'lint a migration script against the live catalog without executing it';
    FOR grantee IN
        SELECT DISTINCT a.grantee::regrole::text
          FROM aclexplode(old_acl) a
         WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> 0
           AND a.grantee <> (SELECT extowner FROM pg_extension
                              WHERE extname = 'schemaguard')
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION schemaguard.check(text) TO %s',
                       grantee);
    END LOOP;
END
$do$;

-- ----------------------------------------------------------------------
-- list_rules() shows where each rule is documented (0.2.0): the column
-- doc, the reference every violation's HINT ends with.  A function's
-- result columns cannot be changed in place, so it is made again.
-- ----------------------------------------------------------------------
DROP FUNCTION schemaguard.list_rules();

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

--
-- changelog_tamper: a superuser can edit schemaguard.changelog, and
-- verify_changelog() catches every kind of edit with the id of the entry
-- and what is wrong with it.
--
-- Other suites run in this database before this one: this file writes its
-- own entries B+1 .. B+4 (B = the last id before it) and tampers only with
-- those.  Ids in the output are shown relative to B.  After each case the
-- table is put back to exactly the rows it had (a copy is kept in a
-- temporary table), and at the end the chain is intact for the suites that
-- run after this one.
--
\set VERBOSITY terse
SELECT coalesce(max(id), 0) AS base FROM schemaguard.changelog \gset

CREATE TABLE tamper_a (a int);
CREATE TABLE tamper_b (a int);
CREATE TABLE tamper_c (a int);
CREATE TABLE tamper_d (a int);

-- "B+n" for every id in a text
CREATE FUNCTION pg_temp.rel(t text, base bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    m text[];
    result text := '';
BEGIN
    LOOP
        m := regexp_match(t, '^(.*?)\m([0-9]+)\M(.*)$');
        EXIT WHEN m IS NULL;
        result := result || m[1] || 'B' ||
                  CASE WHEN m[2]::bigint >= base THEN '+' || (m[2]::bigint - base)
                       ELSE '-' || (base - m[2]::bigint) END;
        t := m[3];
    END LOOP;
    RETURN result || t;
END
$$;

CREATE TEMP VIEW problems AS
SELECT pg_temp.rel(v.id::text, :base) AS id, pg_temp.rel(v.problem, :base) AS problem
  FROM schemaguard.verify_changelog() v;

SELECT id - :base AS n, statement FROM schemaguard.changelog WHERE id > :base ORDER BY id;
SELECT * FROM problems;

-- the original rows, and how to put them back
CREATE TEMP TABLE original AS SELECT * FROM schemaguard.changelog;

CREATE FUNCTION pg_temp.restore() RETURNS void
LANGUAGE sql AS $$
DELETE FROM schemaguard.changelog c
 WHERE NOT EXISTS (SELECT 1 FROM original o WHERE (o.*) IS NOT DISTINCT FROM (c.*));
INSERT INTO schemaguard.changelog
SELECT * FROM original o
 WHERE NOT EXISTS (SELECT 1 FROM schemaguard.changelog c WHERE (o.*) IS NOT DISTINCT FROM (c.*));
$$;

CREATE TEMP VIEW restored AS
SELECT NOT EXISTS (SELECT * FROM original EXCEPT ALL SELECT * FROM schemaguard.changelog)
   AND NOT EXISTS (SELECT * FROM schemaguard.changelog EXCEPT ALL SELECT * FROM original)
       AS same_rows_as_before,
       (SELECT count(*) FROM schemaguard.verify_changelog()) AS problems;

-- =====================================================================
-- 1. a statement is edited
-- =====================================================================
UPDATE schemaguard.changelog SET statement = 'CREATE TABLE tamper_b (a int, b int)'
 WHERE id = :base + 2;
SELECT * FROM problems;
SELECT pg_temp.restore();
SELECT * FROM restored;

-- ... also when its checksum is recomputed
UPDATE schemaguard.changelog SET statement = 'CREATE TABLE tamper_b (a int, b int)',
       statement_sha256 = schemaguard.sha256_text('CREATE TABLE tamper_b (a int, b int)')
 WHERE id = :base + 2;
SELECT * FROM problems;
SELECT pg_temp.restore();
SELECT * FROM restored;

-- =====================================================================
-- 2. another column is edited
-- =====================================================================
UPDATE schemaguard.changelog SET role_name = 'somebody_else' WHERE id = :base + 3;
SELECT * FROM problems;
SELECT pg_temp.restore();

UPDATE schemaguard.changelog
   SET objects = '[{"type": "table", "schema": "public", "identity": "public.tamper_x"}]'
 WHERE id = :base + 3;
SELECT * FROM problems;
SELECT pg_temp.restore();

UPDATE schemaguard.changelog SET migration = 'V1__forged' WHERE id = :base + 3;
SELECT * FROM problems;
SELECT pg_temp.restore();

UPDATE schemaguard.changelog SET recorded_at = recorded_at - interval '1 day'
 WHERE id = :base + 3;
SELECT * FROM problems;
SELECT pg_temp.restore();
SELECT * FROM restored;

-- =====================================================================
-- 3. a row in the middle is deleted
-- =====================================================================
DELETE FROM schemaguard.changelog WHERE id = :base + 2;
SELECT * FROM problems;
SELECT pg_temp.restore();
SELECT * FROM restored;

-- two rows in a row
DELETE FROM schemaguard.changelog WHERE id IN (:base + 2, :base + 3);
SELECT * FROM problems;
SELECT pg_temp.restore();
SELECT * FROM restored;

-- =====================================================================
-- 4. a forged row is inserted
-- =====================================================================
-- at the end, with a made-up entry_hash
INSERT INTO schemaguard.changelog
SELECT id + 1, recorded_at, xid, role_name, session_role, application_name,
       client_addr, 'DROP TABLE', '[]', 'DROP TABLE tamper_d',
       schemaguard.sha256_text('DROP TABLE tamper_d'), migration, '{}', '{}',
       entry_hash, 'sha256:' || repeat('f', 64)
  FROM schemaguard.changelog WHERE id = :base + 4;
SELECT * FROM problems;
SELECT pg_temp.restore();
SELECT * FROM restored;

-- in the middle, with a correct hash of its own: the later rows move up
UPDATE schemaguard.changelog SET id = -id WHERE id > :base + 2;
UPDATE schemaguard.changelog SET id = -id + 1 WHERE id < 0;
INSERT INTO schemaguard.changelog
SELECT f.*, schemaguard.sha256_text(schemaguard.entry_canonical(
           f.id, f.recorded_at, f.xid, f.role_name, f.session_role,
           f.application_name, f.client_addr, f.command_tag, f.objects,
           f.statement, f.statement_sha256, f.migration, f.allowed_rules,
           f.warnings, f.prev_hash))
  FROM (SELECT id + 1 AS id, recorded_at, xid, role_name, session_role,
               application_name, client_addr, 'DROP TABLE'::text AS command_tag,
               '[]'::jsonb AS objects, 'DROP TABLE tamper_a'::text AS statement,
               schemaguard.sha256_text('DROP TABLE tamper_a') AS statement_sha256,
               migration, '{}'::text[] AS allowed_rules, '{}'::text[] AS warnings,
               entry_hash AS prev_hash
          FROM schemaguard.changelog WHERE id = :base + 2) f;
SELECT id - :base AS n, statement FROM schemaguard.changelog WHERE id > :base ORDER BY id;
SELECT * FROM problems;
SELECT pg_temp.restore();
SELECT * FROM restored;

-- =====================================================================
-- 5. two rows swap their ids (reordering)
-- =====================================================================
UPDATE schemaguard.changelog SET id = -id WHERE id IN (:base + 2, :base + 3);
UPDATE schemaguard.changelog
   SET id = CASE id WHEN -(:base + 2) THEN :base + 3 ELSE :base + 2 END
 WHERE id < 0;
SELECT id - :base AS n, statement FROM schemaguard.changelog WHERE id > :base ORDER BY id;
SELECT * FROM problems;
SELECT pg_temp.restore();
SELECT * FROM restored;

-- =====================================================================
-- 6. an edit with every later hash recomputed: verify_changelog() alone
--    cannot tell, the head anchored outside the database can
-- =====================================================================
SELECT id AS anchor_id, entry_hash AS anchor_hash FROM schemaguard.changelog_head() \gset
UPDATE schemaguard.changelog SET statement = 'CREATE TABLE tamper_b (a int, b int)',
       statement_sha256 = schemaguard.sha256_text('CREATE TABLE tamper_b (a int, b int)')
 WHERE id = :base + 2;
DO $$
DECLARE
    e record;
    prev text;
BEGIN
    FOR e IN SELECT * FROM schemaguard.changelog ORDER BY id LOOP
        IF prev IS NOT NULL AND e.prev_hash IS DISTINCT FROM prev THEN
            UPDATE schemaguard.changelog SET prev_hash = prev WHERE id = e.id;
            e.prev_hash := prev;
        END IF;
        prev := schemaguard.sha256_text(schemaguard.entry_canonical(
            e.id, e.recorded_at, e.xid, e.role_name, e.session_role,
            e.application_name, e.client_addr, e.command_tag, e.objects,
            e.statement, e.statement_sha256, e.migration, e.allowed_rules,
            e.warnings, e.prev_hash));
        IF prev IS DISTINCT FROM e.entry_hash THEN
            UPDATE schemaguard.changelog SET entry_hash = prev WHERE id = e.id;
        END IF;
    END LOOP;
END
$$;
SELECT * FROM problems;
SELECT (SELECT entry_hash FROM schemaguard.changelog WHERE id = :anchor_id) = :'anchor_hash'
       AS anchored_entry_unchanged;
SELECT pg_temp.restore();
SELECT * FROM restored;
SELECT (SELECT entry_hash FROM schemaguard.changelog WHERE id = :anchor_id) = :'anchor_hash'
       AS anchored_entry_unchanged;

-- =====================================================================
-- a rule that swallows the changelog's INSERT: the statement that creates
-- it is itself recorded at commit, the row is not stored, so it fails and
-- nothing commits (found by the fuzzer)
-- =====================================================================
SELECT max(id) AS last_id FROM schemaguard.changelog \gset
\set VERBOSITY default
CREATE RULE swallow AS ON INSERT TO schemaguard.changelog DO INSTEAD NOTHING;
\set VERBOSITY terse
SELECT count(*) AS swallow_rules FROM pg_rules WHERE rulename = 'swallow';
SELECT max(id) = :last_id AS nothing_recorded FROM schemaguard.changelog;
-- a BEFORE trigger that skips the row: the same
CREATE FUNCTION tamper_skip() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';
BEGIN;
CREATE TRIGGER skip BEFORE INSERT ON schemaguard.changelog
    FOR EACH ROW EXECUTE FUNCTION tamper_skip();
COMMIT;
SELECT count(*) AS skip_triggers FROM pg_trigger WHERE tgname = 'skip';
DROP FUNCTION tamper_skip();

-- =====================================================================
-- clean up: the chain is intact for the suites that follow
-- =====================================================================
DROP TABLE tamper_a, tamper_b, tamper_c, tamper_d;
SELECT * FROM schemaguard.verify_changelog();

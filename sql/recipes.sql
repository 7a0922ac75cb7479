--
-- recipes: the HINT's recipe, pasted line by line as it is printed, leaves
-- the same schema as the statement run as written (deliberately allowed).
-- Each line runs at top level (psql \gexec), so recipes with CONCURRENTLY
-- run as a user would run them.  Covered here: index_not_concurrent,
-- add_unique_constraint, set_not_null, add_check_validated and
-- add_foreign_key_validated, with INCLUDE, WHERE, opclasses, collations,
-- sort order, MATCH, ON DELETE / ON UPDATE, DEFERRABLE and quoted
-- mixed-case names; the column forms are in guard_constraint.
--
SET schemaguard.table_size_threshold = '64kB';
CREATE TABLE "Rcp Customers" (id bigint PRIMARY KEY, "Email" text);
INSERT INTO "Rcp Customers" SELECT g, 'c' || g || '@example.com' FROM generate_series(1, 3000) g;
CREATE TABLE "Rcp Orders" (id bigint PRIMARY KEY, "Code" text COLLATE "C", qty int,
                           note text, cust bigint);
INSERT INTO "Rcp Orders" SELECT g, 'O-' || g, g % 10, 'n' || g, g % 3000 + 1
  FROM generate_series(1, 3000) g;
VACUUM ANALYZE "Rcp Customers", "Rcp Orders";

-- the table's columns, constraints and indexes, one line each
CREATE FUNCTION rcp_shape(t regclass) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(what, E'\n' ORDER BY what) FROM (
        SELECT 'column ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ||
               CASE WHEN a.attnotnull THEN ' not null' ELSE '' END ||
               coalesce(' collate ' || nullif(c.collname, 'default'), '') AS what
          FROM pg_attribute a LEFT JOIN pg_collation c ON c.oid = a.attcollation
         WHERE a.attrelid = t AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid)
          FROM pg_constraint WHERE conrelid = t
        UNION ALL
        SELECT 'index ' || pg_get_indexdef(indexrelid) || CASE WHEN indisvalid THEN '' ELSE ' INVALID' END
          FROM pg_index WHERE indrelid = t) s
$$;
-- the HINT of a statement's violation
CREATE FUNCTION rcp_hint(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    h text;
BEGIN
    EXECUTE stmt;
    RETURN NULL;
EXCEPTION WHEN SQLSTATE 'SG001' THEN
    GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
    RETURN h;
END
$$;
-- its recipe: every line but the first (what to do), comments and the allow line
CREATE FUNCTION rcp_lines(stmt text) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT line FROM unnest((string_to_array(rcp_hint(stmt), E'\n'))[2:]) WITH ORDINALITY AS u(line, n)
     WHERE line NOT LIKE '--%' AND line NOT LIKE 'To allow it deliberately%'
     ORDER BY n
$$;

CREATE TEMP TABLE rcp_cases (n int, rule text, stmt text, undo text);
INSERT INTO rcp_cases VALUES
 (1, 'index_not_concurrent',
  $s$CREATE INDEX "Rcp_Code_Idx" ON "Rcp Orders" ("Code" COLLATE "C" text_pattern_ops DESC NULLS LAST, qty) INCLUDE (note) WHERE qty > 0$s$,
  $s$DROP INDEX "Rcp_Code_Idx"$s$),
 (2, 'index_not_concurrent',
  $s$CREATE UNIQUE INDEX ON "Rcp Orders" USING btree (lower(note), id) WITH (fillfactor = 70)$s$,
  $s$DROP INDEX "Rcp Orders_lower_id_idx"$s$),
 (3, 'add_unique_constraint',
  $s$ALTER TABLE "Rcp Orders" ADD CONSTRAINT "Rcp_Code_Key" UNIQUE ("Code") INCLUDE (note)$s$,
  $s$ALTER TABLE "Rcp Orders" DROP CONSTRAINT "Rcp_Code_Key"$s$),
 (4, 'set_not_null',
  $s$ALTER TABLE "Rcp Orders" ALTER COLUMN "Code" SET NOT NULL$s$,
  $s$ALTER TABLE "Rcp Orders" ALTER COLUMN "Code" DROP NOT NULL$s$),
 (5, 'add_check_validated',
  $s$ALTER TABLE "Rcp Orders" ADD CONSTRAINT "Qty Small" CHECK (qty < 100 AND note <> 'x''y')$s$,
  $s$ALTER TABLE "Rcp Orders" DROP CONSTRAINT "Qty Small"$s$),
 (6, 'add_foreign_key_validated',
  $s$ALTER TABLE "Rcp Orders" ADD CONSTRAINT "Cust FK" FOREIGN KEY (cust) REFERENCES "Rcp Customers" (id) MATCH FULL ON DELETE CASCADE ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED$s$,
  $s$ALTER TABLE "Rcp Orders" DROP CONSTRAINT "Cust FK"$s$);

-- each case: the statement as written (allowed), the shape, undo; then
-- the recipe line by line at top level, the shape, undo
SELECT rcp_shape('"Rcp Orders"') AS shape_before \gset
-- case 1
SELECT stmt, undo, rule FROM rcp_cases WHERE n = 1 \gset
BEGIN;
SET LOCAL schemaguard.allow = 'all';
:stmt ;
SELECT rcp_shape('"Rcp Orders"') AS written \gset
ROLLBACK;
SELECT line FROM rcp_lines(:'stmt') AS line \gexec
SELECT 1 AS "case", :'rule' AS rule, :'written' <> :'shape_before' AS statement_changes_schema,
       rcp_shape('"Rcp Orders"') = :'written' AS same_schema;
SELECT :'written' AS written, rcp_shape('"Rcp Orders"') AS pasted
 WHERE rcp_shape('"Rcp Orders"') IS DISTINCT FROM :'written';
SET schemaguard.mode = off;
:undo ;
RESET schemaguard.mode;
-- case 2
SELECT stmt, undo, rule FROM rcp_cases WHERE n = 2 \gset
BEGIN;
SET LOCAL schemaguard.allow = 'all';
:stmt ;
SELECT rcp_shape('"Rcp Orders"') AS written \gset
ROLLBACK;
SELECT line FROM rcp_lines(:'stmt') AS line \gexec
SELECT 2 AS "case", :'rule' AS rule, :'written' <> :'shape_before' AS statement_changes_schema,
       rcp_shape('"Rcp Orders"') = :'written' AS same_schema;
SELECT :'written' AS written, rcp_shape('"Rcp Orders"') AS pasted
 WHERE rcp_shape('"Rcp Orders"') IS DISTINCT FROM :'written';
SET schemaguard.mode = off;
:undo ;
RESET schemaguard.mode;
-- case 3
SELECT stmt, undo, rule FROM rcp_cases WHERE n = 3 \gset
BEGIN;
SET LOCAL schemaguard.allow = 'all';
:stmt ;
SELECT rcp_shape('"Rcp Orders"') AS written \gset
ROLLBACK;
SELECT line FROM rcp_lines(:'stmt') AS line \gexec
SELECT 3 AS "case", :'rule' AS rule, :'written' <> :'shape_before' AS statement_changes_schema,
       rcp_shape('"Rcp Orders"') = :'written' AS same_schema;
SELECT :'written' AS written, rcp_shape('"Rcp Orders"') AS pasted
 WHERE rcp_shape('"Rcp Orders"') IS DISTINCT FROM :'written';
SET schemaguard.mode = off;
:undo ;
RESET schemaguard.mode;
-- case 4
SELECT stmt, undo, rule FROM rcp_cases WHERE n = 4 \gset
BEGIN;
SET LOCAL schemaguard.allow = 'all';
:stmt ;
SELECT rcp_shape('"Rcp Orders"') AS written \gset
ROLLBACK;
SELECT line FROM rcp_lines(:'stmt') AS line \gexec
SELECT 4 AS "case", :'rule' AS rule, :'written' <> :'shape_before' AS statement_changes_schema,
       rcp_shape('"Rcp Orders"') = :'written' AS same_schema;
SELECT :'written' AS written, rcp_shape('"Rcp Orders"') AS pasted
 WHERE rcp_shape('"Rcp Orders"') IS DISTINCT FROM :'written';
SET schemaguard.mode = off;
:undo ;
RESET schemaguard.mode;
-- case 5
SELECT stmt, undo, rule FROM rcp_cases WHERE n = 5 \gset
BEGIN;
SET LOCAL schemaguard.allow = 'all';
:stmt ;
SELECT rcp_shape('"Rcp Orders"') AS written \gset
ROLLBACK;
SELECT line FROM rcp_lines(:'stmt') AS line \gexec
SELECT 5 AS "case", :'rule' AS rule, :'written' <> :'shape_before' AS statement_changes_schema,
       rcp_shape('"Rcp Orders"') = :'written' AS same_schema;
SELECT :'written' AS written, rcp_shape('"Rcp Orders"') AS pasted
 WHERE rcp_shape('"Rcp Orders"') IS DISTINCT FROM :'written';
SET schemaguard.mode = off;
:undo ;
RESET schemaguard.mode;
-- case 6
SELECT stmt, undo, rule FROM rcp_cases WHERE n = 6 \gset
BEGIN;
SET LOCAL schemaguard.allow = 'all';
:stmt ;
SELECT rcp_shape('"Rcp Orders"') AS written \gset
ROLLBACK;
SELECT line FROM rcp_lines(:'stmt') AS line \gexec
SELECT 6 AS "case", :'rule' AS rule, :'written' <> :'shape_before' AS statement_changes_schema,
       rcp_shape('"Rcp Orders"') = :'written' AS same_schema;
SELECT :'written' AS written, rcp_shape('"Rcp Orders"') AS pasted
 WHERE rcp_shape('"Rcp Orders"') IS DISTINCT FROM :'written';
SET schemaguard.mode = off;
:undo ;
RESET schemaguard.mode;
-- after every case the table is as before
SELECT rcp_shape('"Rcp Orders"') = :'shape_before' AS back_as_before;

-- clean up
SET schemaguard.mode = off;
DROP TABLE "Rcp Orders", "Rcp Customers";
DROP FUNCTION rcp_shape(regclass), rcp_lines(text), rcp_hint(text);
RESET schemaguard.mode;
RESET schemaguard.table_size_threshold;

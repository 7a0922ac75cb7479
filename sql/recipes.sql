--
-- recipes: the HINT's recipe, pasted line by line as it is printed, leaves
-- the same schema as the statement run as written (deliberately allowed).
-- The recipe's lines run at top level (psql \gexec), so recipes with
-- CONCURRENTLY run as a user would run them.  Covered: index_not_concurrent,
-- add_unique_constraint, set_not_null, add_check_validated and
-- add_foreign_key_validated, as table constraints and as the column
-- constraints ORMs emit (Django: every ForeignKey is a column with
-- REFERENCES ... DEFERRABLE INITIALLY DEFERRED), with INCLUDE, WHERE,
-- opclasses, collations, sort order, storage parameters, MATCH, ON DELETE
-- / ON UPDATE, DEFERRABLE, NOT NULL, DEFAULT and quoted mixed-case names.
--
SET schemaguard.table_size_threshold = '64kB';
CREATE TABLE "Rcp Customers" (id bigint PRIMARY KEY, "Code" text UNIQUE);
INSERT INTO "Rcp Customers" SELECT g, 'C' || g FROM generate_series(1, 3000) g;
CREATE TABLE "Rcp Orders" (id bigint PRIMARY KEY, "Code" text COLLATE "C", qty int,
                           note text, cust bigint);
INSERT INTO "Rcp Orders" SELECT g, 'O-' || g, g % 10, 'n' || g, g % 3000 + 1
  FROM generate_series(1, 3000) g;
VACUUM ANALYZE "Rcp Customers", "Rcp Orders";

-- the table's columns, constraints and indexes, one line each
CREATE FUNCTION rcp_shape() RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(what, E'\n' ORDER BY what) FROM (
        SELECT 'column ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ||
               CASE WHEN a.attnotnull THEN ' not null' ELSE '' END ||
               coalesce(' collate ' || nullif(c.collname, 'default'), '') ||
               coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS what
          FROM pg_attribute a
          LEFT JOIN pg_collation c ON c.oid = a.attcollation
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = '"Rcp Orders"'::regclass AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid)
          FROM pg_constraint WHERE conrelid = '"Rcp Orders"'::regclass
        UNION ALL
        SELECT 'index ' || pg_get_indexdef(indexrelid) || CASE WHEN indisvalid THEN '' ELSE ' INVALID' END
          FROM pg_index WHERE indrelid = '"Rcp Orders"'::regclass) s
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
-- the shape the statement leaves when run as written (then undone)
CREATE FUNCTION rcp_written(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    shape text;
BEGIN
    SET LOCAL schemaguard.allow = 'all';
    EXECUTE stmt;
    shape := rcp_shape();
    RAISE EXCEPTION USING ERRCODE = 'P0003';
EXCEPTION WHEN SQLSTATE 'P0003' THEN
    RETURN shape;
END
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
  $s$ALTER TABLE "Rcp Orders" DROP CONSTRAINT "Cust FK"$s$),
 (7, 'add_foreign_key_validated',
  $s$ALTER TABLE "Rcp Orders" ADD COLUMN buyer2_id bigint REFERENCES "Rcp Customers"(id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED$s$,
  $s$ALTER TABLE "Rcp Orders" DROP COLUMN buyer2_id$s$),
 (8, 'add_foreign_key_validated',
  $s$ALTER TABLE "Rcp Orders" ADD COLUMN buyer3_id bigint NOT NULL DEFAULT 1 REFERENCES "Rcp Customers"(id) ON DELETE CASCADE$s$,
  $s$ALTER TABLE "Rcp Orders" DROP COLUMN buyer3_id$s$),
 (9, 'add_foreign_key_validated',
  $s$ALTER TABLE "Rcp Orders" ADD COLUMN "Buyer4" bigint CONSTRAINT "Buyer4_FK" REFERENCES "Rcp Customers" MATCH FULL ON UPDATE CASCADE NOT DEFERRABLE$s$,
  $s$ALTER TABLE "Rcp Orders" DROP COLUMN "Buyer4"$s$),
 (10, 'add_foreign_key_validated',
  $s$ALTER TABLE "Rcp Orders" ADD COLUMN code5 text COLLATE "C" DEFAULT 'C1' REFERENCES "Rcp Customers" ("Code") ON DELETE SET DEFAULT$s$,
  $s$ALTER TABLE "Rcp Orders" DROP COLUMN code5$s$),
 (11, 'add_check_validated',
  $s$ALTER TABLE "Rcp Orders" ADD COLUMN qty6 int DEFAULT 1 NOT NULL CHECK (qty6 > 0 AND qty6 <> 13)$s$,
  $s$ALTER TABLE "Rcp Orders" DROP COLUMN qty6$s$),
 (12, 'add_check_validated',
  $s$ALTER TABLE "Rcp Orders" ADD COLUMN qty7 int DEFAULT 2 CONSTRAINT "Qty7 positive" CHECK (qty7 > 0) NOT NULL$s$,
  $s$ALTER TABLE "Rcp Orders" DROP COLUMN qty7$s$),
 (13, 'add_check_validated',
  $s$ALTER TABLE "Rcp Orders" ADD COLUMN arr int[] DEFAULT ARRAY[1,2] CHECK (cardinality(arr) < 5)$s$,
  $s$ALTER TABLE "Rcp Orders" DROP COLUMN arr$s$);

-- each statement's recipe and the shape it leaves as written, taken on
-- the table as it is before every case (each case is undone)
SELECT rcp_shape() AS shape_before \gset
CREATE TEMP TABLE rcp_runs AS
SELECT n, rule, undo, rcp_written(stmt) AS written, rcp_hint(stmt) AS hint FROM rcp_cases;
SELECT n, rule, written <> :'shape_before' AS statement_changes_schema
  FROM rcp_runs ORDER BY n;

-- for each case: its recipe's lines, the comparison, and the undo, all at
-- top level in this order
SELECT q FROM (
    SELECT r.n, 1 AS step, u.o, u.line AS q
      FROM rcp_runs r, unnest((string_to_array(r.hint, E'\n'))[2:]) WITH ORDINALITY AS u(line, o)
     WHERE u.line NOT LIKE '--%' AND u.line NOT LIKE 'To allow it deliberately%'
    UNION ALL
    SELECT n, 2, 1, format('SELECT n AS "case", rule, rcp_shape() = written AS same_schema, '
                           'CASE WHEN rcp_shape() <> written THEN rcp_shape() END AS pasted_differs '
                           'FROM rcp_runs WHERE n = %s', n) FROM rcp_runs
    UNION ALL
    SELECT n, 3, 1, 'SET schemaguard.mode = off' FROM rcp_runs
    UNION ALL
    SELECT n, 3, 2, undo FROM rcp_runs
    UNION ALL
    SELECT n, 3, 3, 'RESET schemaguard.mode' FROM rcp_runs
) s ORDER BY n, step, o \gexec
-- after every case the table is as before
SELECT rcp_shape() = :'shape_before' AS back_as_before;

-- clean up
SET schemaguard.mode = off;
DROP TABLE "Rcp Orders", "Rcp Customers";
DROP FUNCTION rcp_shape(), rcp_hint(text), rcp_written(text);
RESET schemaguard.mode;
RESET schemaguard.table_size_threshold;

--
-- check: schemaguard.check(sql) lints a migration script against the live
-- catalog without executing anything.  Statements are numbered from 1;
-- relations the script creates before it uses them count as created in the
-- same transaction.
--
SET schemaguard.table_size_threshold = '64kB';

CREATE TABLE customers (id bigint PRIMARY KEY, name text);
INSERT INTO customers SELECT g, 'Customer ' || g FROM generate_series(1, 5000) g;
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, status text,
                     qty int, total numeric(10,2));
INSERT INTO orders SELECT g, g % 5000 + 1, 'open', g % 10, g * 1.5
  FROM generate_series(1, 5000) g;
CREATE TABLE customers_old AS SELECT * FROM customers;
CREATE TABLE tiny (id bigint, note text);
INSERT INTO tiny VALUES (1, 'one');
CREATE TABLE empty_tbl (id bigint, note text);
ANALYZE customers, orders, customers_old, tiny;

SELECT relname, pg_size_pretty(pg_relation_size(oid)) AS size, reltuples
  FROM pg_class WHERE relname IN ('customers', 'orders', 'customers_old', 'tiny', 'empty_tbl')
 ORDER BY relname;

-- the catalog before: tables, columns of orders, indexes and constraints
CREATE FUNCTION catalog_state() RETURNS TABLE (what text, n bigint) LANGUAGE sql AS $$
    SELECT 'relations', count(*) FROM pg_class
     WHERE relnamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'orders columns', count(*) FROM pg_attribute
     WHERE attrelid = 'orders'::regclass AND attnum > 0 AND NOT attisdropped
    UNION ALL
    SELECT 'constraints', count(*) FROM pg_constraint
     WHERE connamespace = 'public'::regnamespace
       AND contype <> 'n'       -- NOT NULL has rows here from 18 on
    UNION ALL
    SELECT 'orders rows', count(*) FROM orders
    UNION ALL
    SELECT 'tiny rows', count(*) FROM tiny
$$;
CREATE TEMP TABLE state_before AS SELECT * FROM catalog_state();
SELECT * FROM state_before ORDER BY what;

-- check() executes nothing, not even the script's SET statements: the
-- session's lock_timeout stands in for the script's SET lock_timeout
SET lock_timeout = '5s';

-- =====================================================================
-- a migration script: exactly the unsafe statements are returned
-- =====================================================================
SELECT statement, rule, level, object
  FROM schemaguard.check($script$
BEGIN;
SET lock_timeout = '5s';
-- a new table: nothing to say about what is done to it in the script
CREATE TABLE invoices (id bigint PRIMARY KEY, order_id bigint,
                       issued_at timestamptz, amount numeric(12,2));
CREATE INDEX invoices_order_idx ON invoices (order_id);
ALTER TABLE invoices ADD CONSTRAINT invoices_order_fk
    FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE invoices ADD COLUMN note text DEFAULT 'none';
/* existing, large tables */
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);
ALTER TABLE orders ADD COLUMN shipped_at timestamptz;
ALTER TABLE orders ADD COLUMN tracking uuid DEFAULT gen_random_uuid();
ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;
ALTER TABLE orders ALTER COLUMN total TYPE numeric(14,2);
ALTER TABLE orders ALTER COLUMN qty TYPE bigint;
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
    FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
ALTER TABLE orders ADD CONSTRAINT orders_qty_check CHECK (qty >= 0);
ALTER TABLE orders RENAME COLUMN status TO state;
-- data changes are not DDL
INSERT INTO invoices SELECT id, id, now(), total FROM orders;
UPDATE orders SET status = 'paid' WHERE id = 1;
CREATE TABLE audit_log (id int PRIMARY KEY, logged_at timestamp);
DROP TABLE tiny;
DROP TABLE empty_tbl;
TRUNCATE customers_old;
COMMIT;
VACUUM FULL orders;
$script$)
 ORDER BY statement, rule;

-- nothing was executed: no new relation, column, index or constraint, no
-- row changed
SELECT b.what, b.n AS before, a.n AS after
  FROM state_before b JOIN catalog_state() a USING (what) ORDER BY what;
SELECT to_regclass('invoices') AS invoices, to_regclass('audit_log') AS audit_log,
       to_regclass('orders_customer_idx') AS orders_customer_idx;

-- messages and hints are the same as the guard's
SELECT statement, rule, message, hint
  FROM schemaguard.check($script$
SELECT 1;
CREATE INDEX orders_customer_idx ON orders (customer_id);
VACUUM FULL orders;
$script$)
 ORDER BY statement;

-- one statement that breaks several rules: all of them (the guard stops at
-- the first error)
SELECT statement, rule, level
  FROM schemaguard.check($$ALTER TABLE orders
    ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp(),
    ALTER COLUMN customer_id SET NOT NULL,
    ADD CONSTRAINT orders_total_check CHECK (total >= 0)$$)
 ORDER BY rule;

-- a table the script drops and creates again is new after that
SELECT statement, rule, level, object
  FROM schemaguard.check($$
DROP TABLE customers_old;
CREATE TABLE customers_old (id bigint PRIMARY KEY, name text);
CREATE INDEX customers_old_name_idx ON customers_old (name);
ALTER TABLE customers_old ALTER COLUMN id TYPE numeric;
$$)
 ORDER BY statement;
-- the same statements, without the CREATE TABLE
SELECT statement, rule, level, object
  FROM schemaguard.check($$
CREATE INDEX customers_old_name_idx ON customers_old (name);
ALTER TABLE customers_old ALTER COLUMN id TYPE numeric;
$$)
 ORDER BY statement;
-- a temporary table of the same name shadows the existing one
SELECT statement, rule, level, object
  FROM schemaguard.check($$
CREATE TEMP TABLE orders (id bigint, customer_id bigint);
CREATE INDEX ON orders (customer_id);
$$);

-- the advice rules: a json column, an int column that references a bigint
-- key, a name the server would truncate, and a foreign key no statement
-- of the script (nor the live table) indexes
SELECT statement, rule, level, object
  FROM schemaguard.check($$
CREATE TABLE payments (id bigint PRIMARY KEY, order_id int REFERENCES orders,
                       customer_id bigint REFERENCES customers, raw json);
CREATE INDEX payments_order_idx ON payments (order_id);
CREATE INDEX payments_customer_id_index_for_the_monthly_statements_and_reminders
    ON payments (customer_id);
ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers;
$$)
 ORDER BY statement, rule;

-- statements about objects that do not exist: nothing (they would fail)
SELECT * FROM schemaguard.check($$
CREATE INDEX ON no_such_table (id);
ALTER TABLE no_such_table ALTER COLUMN id TYPE bigint;
DROP TABLE IF EXISTS no_such_table;
$$);

-- =====================================================================
-- settings apply as in the guard
-- =====================================================================
-- allowed by the session's schemaguard.allow
SET schemaguard.allow = 'index_not_concurrent';
SELECT statement, rule, level FROM schemaguard.check('CREATE INDEX ON orders (customer_id)');
RESET schemaguard.allow;
-- warn mode
SET schemaguard.mode = warn;
SELECT statement, rule, level FROM schemaguard.check('CREATE INDEX ON orders (customer_id)');
-- mode off: nothing is evaluated
SET schemaguard.mode = off;
SELECT statement, rule, level FROM schemaguard.check('CREATE INDEX ON orders (customer_id)');
RESET schemaguard.mode;
-- per-rule level
SET schemaguard.rules = 'index_not_concurrent=warn, prefer_text=error';
SELECT statement, rule, level
  FROM schemaguard.check('CREATE INDEX ON orders (customer_id); CREATE TABLE t (id bigint PRIMARY KEY, v varchar(5))')
 ORDER BY statement;
RESET schemaguard.rules;
-- small tables, and assume_large_tables
SELECT * FROM schemaguard.check('CREATE INDEX ON tiny (note)');
SET schemaguard.assume_large_tables = on;
SELECT statement, rule, level, object
  FROM schemaguard.check('CREATE INDEX ON tiny (note); CREATE INDEX ON empty_tbl (note)')
 ORDER BY statement;
RESET schemaguard.assume_large_tables;

-- =====================================================================
-- odd scripts
-- =====================================================================
-- empty
SELECT * FROM schemaguard.check('');
-- comments and whitespace only
SELECT * FROM schemaguard.check($$
  -- nothing to do here
  /* really
     nothing */

$$);
-- empty statements
SELECT * FROM schemaguard.check(' ; ;; ');
-- statements that are not DDL
SELECT * FROM schemaguard.check($$
SELECT count(*) FROM orders;
INSERT INTO tiny VALUES (2, 'two');
UPDATE tiny SET note = 'uno' WHERE id = 1;
DELETE FROM tiny WHERE id = 2;
COPY tiny TO STDOUT;
EXPLAIN SELECT * FROM orders;
BEGIN;
SAVEPOINT s;
RELEASE SAVEPOINT s;
COMMIT;
SET search_path = public;
SHOW search_path;
$$);
SELECT count(*) AS tiny_rows FROM tiny;
-- numbering: comments and empty statements do not count; line and col
-- are where the statement's first token is (after blanks and comments),
-- from 1, the column in characters
SELECT statement, line, col, rule
  FROM schemaguard.check($$
-- 1
SELECT 1;;
/* 2 */ SELECT 2; ; SELECT 3; CREATE INDEX ON orders (qty);
$$);
SELECT statement, line, col, rule, level
  FROM schemaguard.check(E'CREATE INDEX ON orders (qty);\n' ||
                         E'/* déjà vu, \n  ünïcödé */\tCREATE INDEX ON orders (total); SELECT \'é;\n\';' ||
                         E'   -- x\n\n\n      ALTER TABLE orders\n  ALTER COLUMN qty TYPE bigint;')
 ORDER BY statement;
-- a statement that starts on the last line without a newline
SELECT statement, line, col FROM schemaguard.check(E'SELECT 1;\n\n  VACUUM FULL orders');

-- =====================================================================
-- errors
-- =====================================================================
-- NULL
SELECT * FROM schemaguard.check(NULL);
\set VERBOSITY sqlstate
SELECT * FROM schemaguard.check(NULL);
\set VERBOSITY default
-- a syntax error: reported with its position in the script; nothing is
-- linted
SELECT * FROM schemaguard.check($$
CREATE INDEX orders_qty_idx ON orders (qty);
ALTER TABLE orders
    ADD COLUMN discount numeric DEFALT 0;
$$);
SELECT * FROM schemaguard.check('CREATE INDEX ON orders (qty');
-- an error while a statement is evaluated names the statement (a column
-- reference in a default: the server words this error alike on every
-- version, unlike a missing function's DETAIL and HINT)
SELECT * FROM schemaguard.check($$
SELECT 1;
ALTER TABLE orders ADD COLUMN x int DEFAULT no_such_column;
$$);
-- the session is fine afterwards
SELECT count(*) FROM schemaguard.check('CREATE INDEX ON orders (qty)');

-- =====================================================================
-- who may call it: EXECUTE is revoked from PUBLIC; a CI role needs
-- exactly the GRANT docs/check.md shows
-- =====================================================================
CREATE ROLE regress_check_ci;
SELECT has_function_privilege('public', 'schemaguard.check(text)', 'EXECUTE') AS public_may,
       has_schema_privilege('public', 'schemaguard', 'USAGE') AS public_usage;
SET ROLE regress_check_ci;
SELECT count(*) FROM schemaguard.check('CREATE INDEX ON orders (qty)');
RESET ROLE;
GRANT EXECUTE ON FUNCTION schemaguard.check(text) TO regress_check_ci;
SET ROLE regress_check_ci;
SELECT statement, line, col, rule, level FROM schemaguard.check('CREATE INDEX ON orders (qty)');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION schemaguard.check(text) FROM regress_check_ci;
DROP ROLE regress_check_ci;

RESET lock_timeout;

-- clean up
SET schemaguard.mode = off;
DROP TABLE customers, orders, customers_old, tiny, empty_tbl;
DROP FUNCTION catalog_state();
RESET schemaguard.mode;

--
-- guard_constraint: add_foreign_key_validated, add_check_validated,
-- add_unique_constraint, attach_partition_scan and
-- detach_partition_not_concurrent.
--
-- Sizes are stable because autovacuum is off and row counts are fixed; a
-- table of a few hundred kB is large against the 64kB threshold.
--
SET schemaguard.table_size_threshold = '64kB';

CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, name text);
INSERT INTO customers SELECT g, 'customer' || g || '@example.com', 'Customer ' || g
  FROM generate_series(1, 5000) g;
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, qty int, code text);
INSERT INTO orders SELECT g, g % 5000 + 1, g % 10, 'O-' || g
  FROM generate_series(1, 5000) g;
CREATE TABLE codes (code text, label text);
INSERT INTO codes SELECT 'C-' || g, 'code ' || g FROM generate_series(1, 5000) g;
ANALYZE customers, orders, codes;

CREATE TABLE tiny (id bigint, customer_id bigint, qty int);
INSERT INTO tiny VALUES (1, 1, 1), (2, 2, 2);
ANALYZE tiny;
CREATE TABLE empty_tbl (id bigint, customer_id bigint, qty int);

SELECT relname, pg_size_pretty(pg_relation_size(oid)) AS size, reltuples
  FROM pg_class WHERE relname IN ('customers', 'orders', 'codes', 'tiny', 'empty_tbl')
 ORDER BY relname;

CREATE FUNCTION show_violation(stmt text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_state text; v_schema text; v_table text; v_column text;
BEGIN
    EXECUTE stmt;
    RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE,
        v_schema = SCHEMA_NAME, v_table = TABLE_NAME, v_column = COLUMN_NAME;
    RAISE NOTICE 'sqlstate=% schema=% table=% column=%',
        v_state, v_schema, v_table, v_column;
END $$;

-- constraints of a table and whether they are validated (not NOT NULL,
-- which has rows in pg_constraint from 18 on)
CREATE FUNCTION constraints_of(tbl regclass) RETURNS TABLE (conname name, contype "char", convalidated boolean)
LANGUAGE sql AS $$
    SELECT conname, contype, convalidated FROM pg_constraint
     WHERE conrelid = tbl AND contype <> 'n' ORDER BY conname
$$;

-- =====================================================================
-- add_foreign_key_validated
-- =====================================================================
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
    FOREIGN KEY (customer_id) REFERENCES customers (id);
SELECT show_violation('ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)');
-- without a name: the recipe names it as the server would
ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers;
-- a column constraint of ADD COLUMN
ALTER TABLE orders ADD COLUMN referrer_id bigint REFERENCES customers (id);

-- the recipe, as the hint prints it: NOT VALID passes, VALIDATE passes
ALTER TABLE public.orders ADD CONSTRAINT orders_customer_fk
    FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
ALTER TABLE public.orders VALIDATE CONSTRAINT orders_customer_fk;
-- the recipe for the column constraint
ALTER TABLE public.orders ADD COLUMN referrer_id bigint;  -- with its default, without the constraint
ALTER TABLE public.orders ADD CONSTRAINT orders_referrer_id_fkey FOREIGN KEY (referrer_id) REFERENCES public.customers (id) NOT VALID;
ALTER TABLE public.orders VALIDATE CONSTRAINT orders_referrer_id_fkey;
SELECT * FROM constraints_of('orders');

-- exempt: created in this transaction
BEGIN;
CREATE TABLE orders_copy AS SELECT * FROM orders;
ALTER TABLE orders_copy ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
ROLLBACK;
-- exempt: small table
BEGIN;
ALTER TABLE tiny ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
ROLLBACK;
-- exempt: temporary table (which can only reference temporary tables)
CREATE TEMP TABLE customers_tmp AS SELECT * FROM customers;
ALTER TABLE customers_tmp ADD PRIMARY KEY (id);
CREATE TEMP TABLE orders_tmp AS SELECT * FROM orders;
ALTER TABLE orders_tmp ADD FOREIGN KEY (customer_id) REFERENCES customers_tmp (id);
DROP TABLE orders_tmp, customers_tmp;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'add_foreign_key_validated';
ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
ROLLBACK;
-- warn mode
BEGIN;
SET LOCAL schemaguard.mode = warn;
ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
ROLLBACK;
-- per-rule level
BEGIN;
SET LOCAL schemaguard.rules = 'add_foreign_key_validated=warn';
ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.rules = 'add_foreign_key_validated=off';
ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
ROLLBACK;
-- assume_large_tables: the small and the empty table count as large
SET schemaguard.assume_large_tables = on;
ALTER TABLE tiny ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE empty_tbl ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
RESET schemaguard.assume_large_tables;

-- =====================================================================
-- add_check_validated
-- =====================================================================
ALTER TABLE orders ADD CONSTRAINT orders_qty_nonneg CHECK (qty >= 0);
SELECT show_violation('ALTER TABLE orders ADD CONSTRAINT orders_qty_nonneg CHECK (qty >= 0)');
-- without a name (named as the server would); string literals and
-- parentheses are kept as written
ALTER TABLE orders ADD CHECK (code <> ')' AND (length(code) < 100));
-- a column constraint of ADD COLUMN
ALTER TABLE orders ADD COLUMN discount numeric CHECK (discount >= 0);

-- the recipe, as the hint prints it
ALTER TABLE public.orders ADD CONSTRAINT orders_qty_nonneg CHECK (qty >= 0) NOT VALID;
ALTER TABLE public.orders VALIDATE CONSTRAINT orders_qty_nonneg;
ALTER TABLE public.orders ADD CONSTRAINT orders_code_check CHECK (code <> ')' AND (length(code) < 100)) NOT VALID;
ALTER TABLE public.orders VALIDATE CONSTRAINT orders_code_check;
ALTER TABLE public.orders ADD COLUMN discount numeric;  -- with its default, without the constraint
ALTER TABLE public.orders ADD CONSTRAINT orders_discount_check CHECK (discount >= 0) NOT VALID;
ALTER TABLE public.orders VALIDATE CONSTRAINT orders_discount_check;
SELECT * FROM constraints_of('orders') WHERE contype = 'c';

-- exempt: created in this transaction
BEGIN;
CREATE TABLE orders_copy AS SELECT * FROM orders;
ALTER TABLE orders_copy ADD CHECK (qty >= 0);
ROLLBACK;
-- exempt: small table
BEGIN;
ALTER TABLE tiny ADD CHECK (qty >= 0);
ROLLBACK;
-- exempt: temporary table
CREATE TEMP TABLE orders_tmp AS SELECT * FROM orders;
ALTER TABLE orders_tmp ADD CHECK (qty >= 0);
DROP TABLE orders_tmp;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'add_check_validated';
ALTER TABLE orders ADD CHECK (qty < 1000);
ROLLBACK;
-- warn mode
BEGIN;
SET LOCAL schemaguard.mode = warn;
ALTER TABLE orders ADD CHECK (qty < 1000);
ROLLBACK;
-- per-rule level
BEGIN;
SET LOCAL schemaguard.rules = 'add_check_validated=warn';
ALTER TABLE orders ADD CHECK (qty < 1000);
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.rules = 'add_check_validated=off';
ALTER TABLE orders ADD CHECK (qty < 1000);
ROLLBACK;
-- assume_large_tables
SET schemaguard.assume_large_tables = on;
ALTER TABLE tiny ADD CHECK (qty >= 0);
RESET schemaguard.assume_large_tables;

-- =====================================================================
-- add_unique_constraint
-- =====================================================================
ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE (code);
SELECT show_violation('ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE (code)');
-- with INCLUDE columns
ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE (email) INCLUDE (name);
-- a column constraint of ADD COLUMN
ALTER TABLE orders ADD COLUMN external_id bigint UNIQUE;
-- a primary key on a nullable column: the recipe proves NOT NULL first
ALTER TABLE codes ADD PRIMARY KEY (code);
-- an exclusion constraint cannot be built concurrently
ALTER TABLE orders ADD CONSTRAINT orders_code_excl EXCLUDE USING btree (code WITH =);

-- the recipes, as the hints print them: ADD CONSTRAINT ... USING INDEX passes
CREATE UNIQUE INDEX CONCURRENTLY orders_code_key ON public.orders (code);
ALTER TABLE public.orders ADD CONSTRAINT orders_code_key UNIQUE USING INDEX orders_code_key;
CREATE UNIQUE INDEX CONCURRENTLY customers_email_key ON public.customers (email) INCLUDE (name);
ALTER TABLE public.customers ADD CONSTRAINT customers_email_key UNIQUE USING INDEX customers_email_key;
ALTER TABLE public.orders ADD COLUMN external_id bigint;  -- with its default, without the constraint
CREATE UNIQUE INDEX CONCURRENTLY orders_external_id_key ON public.orders (external_id);
ALTER TABLE public.orders ADD CONSTRAINT orders_external_id_key UNIQUE USING INDEX orders_external_id_key;
ALTER TABLE public.codes ADD CONSTRAINT codes_code_not_null CHECK (code IS NOT NULL) NOT VALID;
ALTER TABLE public.codes VALIDATE CONSTRAINT codes_code_not_null;
ALTER TABLE public.codes ALTER COLUMN code SET NOT NULL;
ALTER TABLE public.codes DROP CONSTRAINT codes_code_not_null;
CREATE UNIQUE INDEX CONCURRENTLY codes_pkey ON public.codes (code);
ALTER TABLE public.codes ADD CONSTRAINT codes_pkey PRIMARY KEY USING INDEX codes_pkey;
SELECT * FROM constraints_of('orders') WHERE contype IN ('u', 'p');
SELECT * FROM constraints_of('customers') WHERE contype IN ('u', 'p');
SELECT * FROM constraints_of('codes');

-- exempt: created in this transaction
BEGIN;
CREATE TABLE orders_copy AS SELECT * FROM orders;
ALTER TABLE orders_copy ADD PRIMARY KEY (id);
ALTER TABLE orders_copy ADD UNIQUE (code);
ROLLBACK;
-- exempt: small table
BEGIN;
ALTER TABLE tiny ADD UNIQUE (id);
ROLLBACK;
-- exempt: temporary table
CREATE TEMP TABLE orders_tmp AS SELECT * FROM orders;
ALTER TABLE orders_tmp ADD UNIQUE (code);
DROP TABLE orders_tmp;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'add_unique_constraint';
ALTER TABLE orders ADD UNIQUE (id, code);
ROLLBACK;
-- warn mode
BEGIN;
SET LOCAL schemaguard.mode = warn;
ALTER TABLE orders ADD UNIQUE (id, code);
ROLLBACK;
-- per-rule level
BEGIN;
SET LOCAL schemaguard.rules = 'add_unique_constraint=warn';
ALTER TABLE orders ADD UNIQUE (id, code);
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.rules = 'add_unique_constraint=off';
ALTER TABLE orders ADD UNIQUE (id, code);
ROLLBACK;
-- assume_large_tables
SET schemaguard.assume_large_tables = on;
ALTER TABLE tiny ADD UNIQUE (id);
RESET schemaguard.assume_large_tables;

-- =====================================================================
-- attach_partition_scan
-- =====================================================================
CREATE TABLE events (id bigint NOT NULL, day date NOT NULL, payload text)
    PARTITION BY RANGE (day);
CREATE TABLE events_2024 PARTITION OF events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO events SELECT g, date '2024-01-01' + g % 366, 'event ' || g
  FROM generate_series(1, 5000) g;
CREATE TABLE events_2025 (id bigint NOT NULL, day date NOT NULL, payload text);
INSERT INTO events_2025 SELECT g, date '2025-01-01' + g % 365, 'event ' || g
  FROM generate_series(1, 5000) g;
CREATE TABLE events_2026 (LIKE events_2025);
INSERT INTO events_2026 SELECT g, date '2026-01-01' + g % 365, 'event ' || g
  FROM generate_series(1, 5000) g;
CREATE TABLE events_2027 (LIKE events_2025);
INSERT INTO events_2027 VALUES (1, '2027-01-01', 'one');
CREATE TABLE events_2028 (LIKE events_2025);
ANALYZE events, events_2025, events_2026, events_2027;

-- blocked: nothing proves the bound
ALTER TABLE events ATTACH PARTITION events_2025
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
SELECT show_violation($$ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')$$);
-- a NOT VALID check that implies the bound proves nothing yet: still blocked
ALTER TABLE events_2025 ADD CONSTRAINT events_2025_day_check
    CHECK (day >= '2025-01-01' AND day < '2026-01-01') NOT VALID;
ALTER TABLE events ATTACH PARTITION events_2025
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
-- once validated, it does: the attach passes (and the server skips its scan)
ALTER TABLE events_2025 VALIDATE CONSTRAINT events_2025_day_check;
ALTER TABLE events ATTACH PARTITION events_2025
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE events_2025 DROP CONSTRAINT events_2025_day_check;

-- the recipe, as the hint prints it
ALTER TABLE events ATTACH PARTITION events_2026
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE public.events_2026 ADD CONSTRAINT events_2026_partition_check CHECK (((day IS NOT NULL) AND (day >= '01-01-2026'::date) AND (day < '01-01-2027'::date))) NOT VALID;
ALTER TABLE public.events_2026 VALIDATE CONSTRAINT events_2026_partition_check;
ALTER TABLE events ATTACH PARTITION events_2026
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE public.events_2026 DROP CONSTRAINT events_2026_partition_check;
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'events'::regclass ORDER BY 1;

-- exempt: created in this transaction
BEGIN;
CREATE TABLE events_2029 (LIKE events_2025);
INSERT INTO events_2029 SELECT g, date '2029-01-01' + g % 365, 'event ' || g
  FROM generate_series(1, 5000) g;
ALTER TABLE events ATTACH PARTITION events_2029
    FOR VALUES FROM ('2029-01-01') TO ('2030-01-01');
ROLLBACK;
-- exempt: small table
BEGIN;
ALTER TABLE events ATTACH PARTITION events_2027
    FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
ROLLBACK;
-- exempt: empty table
BEGIN;
ALTER TABLE events ATTACH PARTITION events_2028
    FOR VALUES FROM ('2028-01-01') TO ('2029-01-01');
ROLLBACK;
-- exempt: temporary tables
CREATE TEMP TABLE tmp_events (id bigint NOT NULL, day date NOT NULL) PARTITION BY RANGE (day);
CREATE TEMP TABLE tmp_events_2025 (LIKE tmp_events);
INSERT INTO tmp_events_2025 SELECT id, day FROM events_2025;
ALTER TABLE tmp_events ATTACH PARTITION tmp_events_2025
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
DROP TABLE tmp_events;
-- detach events_2026 again (concurrently, see below) for the remaining cases
ALTER TABLE events DETACH PARTITION events_2026 CONCURRENTLY;
-- Before 19, DETACH ... CONCURRENTLY leaves a CHECK constraint that copies
-- the bound, so attaching again would skip its scan; drop it, so that the
-- cases below attach a table that must be scanned on every version.
SELECT count(*) AS bound_copies FROM pg_constraint
 WHERE conrelid = 'events_2026'::regclass AND contype = 'c' \gset
SET schemaguard.mode = off;
DO $$
DECLARE
    c text;
BEGIN
    FOR c IN SELECT conname FROM pg_constraint
              WHERE conrelid = 'events_2026'::regclass AND contype = 'c'
    LOOP
        EXECUTE format('ALTER TABLE events_2026 DROP CONSTRAINT %I', c);
    END LOOP;
END
$$;
RESET schemaguard.mode;
SELECT :bound_copies = CASE WHEN current_setting('server_version_num')::int < 190000
                            THEN 1 ELSE 0 END AS bound_copied_as_before;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'attach_partition_scan';
ALTER TABLE events ATTACH PARTITION events_2026
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ROLLBACK;
-- warn mode
BEGIN;
SET LOCAL schemaguard.mode = warn;
ALTER TABLE events ATTACH PARTITION events_2026
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ROLLBACK;
-- per-rule level
BEGIN;
SET LOCAL schemaguard.rules = 'attach_partition_scan=warn';
ALTER TABLE events ATTACH PARTITION events_2026
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.rules = 'attach_partition_scan=off';
ALTER TABLE events ATTACH PARTITION events_2026
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ROLLBACK;
-- assume_large_tables: the small and the empty table count as large
SET schemaguard.assume_large_tables = on;
ALTER TABLE events ATTACH PARTITION events_2027
    FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
ALTER TABLE events ATTACH PARTITION events_2028
    FOR VALUES FROM ('2028-01-01') TO ('2029-01-01');
RESET schemaguard.assume_large_tables;

-- =====================================================================
-- detach_partition_not_concurrent
-- =====================================================================
ALTER TABLE events DETACH PARTITION events_2024;
SELECT show_violation('ALTER TABLE events DETACH PARTITION events_2024');
-- the recipe, as the hint prints it (outside a transaction block)
ALTER TABLE public.events DETACH PARTITION public.events_2024 CONCURRENTLY;
-- (from 19 on there is nothing to drop: no NOTICE saying so here)
SET client_min_messages = warning;
ALTER TABLE public.events_2024 DROP CONSTRAINT IF EXISTS events_2024_day_check;
RESET client_min_messages;
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'events'::regclass ORDER BY 1;

-- exempt: the partitioned table was created in this transaction
BEGIN;
CREATE TABLE logs (id bigint NOT NULL) PARTITION BY RANGE (id);
CREATE TABLE logs_1 PARTITION OF logs FOR VALUES FROM (1) TO (10001);
INSERT INTO logs SELECT generate_series(1, 10000);
ALTER TABLE logs DETACH PARTITION logs_1;
ROLLBACK;
-- exempt: the partition was created in this transaction
BEGIN;
CREATE TABLE events_2030 PARTITION OF events
    FOR VALUES FROM ('2030-01-01') TO ('2031-01-01');
ALTER TABLE events DETACH PARTITION events_2030;
ROLLBACK;
-- exempt: small partitioned table
CREATE TABLE small_parts (id bigint NOT NULL) PARTITION BY LIST (id);
CREATE TABLE small_parts_1 PARTITION OF small_parts FOR VALUES IN (1);
CREATE TABLE small_parts_2 PARTITION OF small_parts FOR VALUES IN (2);
INSERT INTO small_parts VALUES (1), (2);
BEGIN;
ALTER TABLE small_parts DETACH PARTITION small_parts_2;
ROLLBACK;
-- exempt: temporary tables
CREATE TEMP TABLE tmp_events (id bigint NOT NULL, day date NOT NULL) PARTITION BY RANGE (day);
CREATE TEMP TABLE tmp_events_2025 PARTITION OF tmp_events
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO tmp_events SELECT id, day FROM events_2025;
ALTER TABLE tmp_events DETACH PARTITION tmp_events_2025;
DROP TABLE tmp_events, tmp_events_2025;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'detach_partition_not_concurrent';
ALTER TABLE events DETACH PARTITION events_2025;
ROLLBACK;
-- warn mode
BEGIN;
SET LOCAL schemaguard.mode = warn;
ALTER TABLE events DETACH PARTITION events_2025;
ROLLBACK;
-- per-rule level
BEGIN;
SET LOCAL schemaguard.rules = 'detach_partition_not_concurrent=warn';
ALTER TABLE events DETACH PARTITION events_2025;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.rules = 'detach_partition_not_concurrent=off';
ALTER TABLE events DETACH PARTITION events_2025;
ROLLBACK;
-- assume_large_tables
SET schemaguard.assume_large_tables = on;
ALTER TABLE small_parts DETACH PARTITION small_parts_2;
RESET schemaguard.assume_large_tables;

-- =====================================================================
-- column foreign keys: the lock ADD COLUMN takes, NOT ENFORCED
-- =====================================================================
-- The forms ORMs emit (Django: every ForeignKey is a column with
-- REFERENCES ... DEFERRABLE INITIALLY DEFERRED).  Their recipes, pasted,
-- are compared with the statements in the suite "recipes".
CREATE TABLE shop_customer (id bigint PRIMARY KEY);
INSERT INTO shop_customer SELECT g FROM generate_series(1, 3000) g;
CREATE TABLE shop_order (id bigint PRIMARY KEY, note text);
INSERT INTO shop_order SELECT g, 'n' || g FROM generate_series(1, 3000) g;
ANALYZE shop_customer, shop_order;
-- the DETAIL names ADD COLUMN's lock, and the recipe keeps the clauses
ALTER TABLE shop_order ADD COLUMN buyer3_id bigint NOT NULL DEFAULT 1 REFERENCES shop_customer(id) ON DELETE CASCADE;
-- A column foreign key NOT ENFORCED (18 and later) checks no row
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 180000 THEN
        BEGIN
            EXECUTE 'ALTER TABLE shop_order ADD COLUMN ne_fk bigint REFERENCES shop_customer (id) NOT ENFORCED';
            RAISE EXCEPTION USING ERRCODE = 'P0003';
        EXCEPTION WHEN SQLSTATE 'P0003' THEN
            NULL;
        END;
    END IF;
    RAISE NOTICE 'a NOT ENFORCED column foreign key passes where the server has it';
END
$$;
SET schemaguard.mode = off;
DROP TABLE shop_order, shop_customer;
RESET schemaguard.mode;

-- =====================================================================
-- ALTER DOMAIN: add_check_validated and set_not_null
-- =====================================================================
-- every column of the domain, and of domains over it, in every table is
-- checked, with SHARE (writes blocked) on each table
CREATE DOMAIN qty_dom AS int;
CREATE DOMAIN qty_dom2 AS qty_dom;
CREATE TABLE dom_orders (id bigint, qty qty_dom);
INSERT INTO dom_orders SELECT g, g % 10 FROM generate_series(1, 5000) g;
CREATE TABLE dom_lines (id bigint, qty qty_dom2, note text);
INSERT INTO dom_lines SELECT g, g % 10, 'line ' || g FROM generate_series(1, 5000) g;
ANALYZE dom_orders, dom_lines;
ALTER DOMAIN qty_dom ADD CONSTRAINT qty_dom_nonneg CHECK (VALUE >= 0);
-- unnamed: the hint uses the name the server will choose
ALTER DOMAIN qty_dom ADD CHECK (VALUE >= 0);
ALTER DOMAIN qty_dom SET NOT NULL;
-- the recipe, as the hint prints it
ALTER DOMAIN qty_dom ADD CONSTRAINT qty_dom_nonneg CHECK (VALUE >= 0) NOT VALID;
ALTER DOMAIN public.qty_dom VALIDATE CONSTRAINT qty_dom_nonneg;
SELECT conname, convalidated FROM pg_constraint
 WHERE contypid = 'qty_dom'::regtype ORDER BY conname;
-- passes: a domain that no large table uses
CREATE DOMAIN unused_dom AS int;
ALTER DOMAIN unused_dom ADD CHECK (VALUE > 0);
ALTER DOMAIN unused_dom SET NOT NULL;
-- passes: NOT VALID
ALTER DOMAIN qty_dom ADD CONSTRAINT qty_dom_small CHECK (VALUE < 1000) NOT VALID;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'set_not_null';
ALTER DOMAIN qty_dom SET NOT NULL;
ROLLBACK;

-- clean up
SET schemaguard.mode = off;
DROP TABLE dom_orders, dom_lines;
DROP DOMAIN qty_dom2, qty_dom, unused_dom;
DROP TABLE orders, customers, codes, tiny, empty_tbl, events, events_2024,
    events_2026, events_2027, events_2028, small_parts;
DROP FUNCTION show_violation(text), constraints_of(regclass);
RESET schemaguard.mode;

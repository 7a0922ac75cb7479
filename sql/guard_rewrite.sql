--
-- guard_rewrite: alter_column_type and table_rewrite, and the table_rewrite
-- safety net (an event trigger that stops a rewrite the static checks did
-- not foresee, right before it starts).
--
-- pg_relation_filenode() shows what the server really did: a table or an
-- index that is rewritten or rebuilt gets a new file.  Sizes are stable
-- because autovacuum is off and row counts are fixed.
--
SET schemaguard.table_size_threshold = '64kB';

CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    code varchar(20) NOT NULL,
    name varchar(50),
    region varchar(20),
    balance numeric(10,2) NOT NULL,
    visits int,
    note text
);
INSERT INTO accounts
SELECT g, 'A' || g, 'Account ' || g, CASE WHEN g % 2 = 0 THEN 'east' ELSE 'west' END,
       g * 1.25, g % 1000, NULL
  FROM generate_series(1, 5000) g;
ANALYZE accounts;
CREATE INDEX CONCURRENTLY accounts_code_idx ON accounts (code);
CREATE INDEX CONCURRENTLY accounts_balance_idx ON accounts (balance);
CREATE INDEX CONCURRENTLY accounts_lower_name_idx ON accounts (lower(name));
CREATE INDEX CONCURRENTLY accounts_east_idx ON accounts (id) WHERE region = 'east';

CREATE TABLE tiny (id bigint, n int);
INSERT INTO tiny VALUES (1, 1), (2, 2);
ANALYZE tiny;

SELECT relname, pg_size_pretty(pg_relation_size(oid)) AS size, reltuples
  FROM pg_class WHERE relname IN ('accounts', 'tiny') ORDER BY relname;

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

-- the files of a table and of its indexes
CREATE FUNCTION filenodes(tbl regclass) RETURNS TABLE (rel name, node oid)
LANGUAGE sql AS $$
    SELECT c.relname, c.relfilenode FROM pg_class c WHERE c.oid = tbl
    UNION ALL
    SELECT c.relname, c.relfilenode
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = tbl
$$;
CREATE TEMP TABLE nodes_before AS SELECT * FROM filenodes('accounts');
CREATE FUNCTION rebuilt() RETURNS TABLE (rel name, rebuilt boolean)
LANGUAGE sql AS $$
    SELECT b.rel, b.node <> n.node FROM nodes_before b JOIN filenodes('accounts') n USING (rel)
     ORDER BY b.rel
$$;

-- =====================================================================
-- alter_column_type: binary-coercible changes pass and rewrite nothing
-- =====================================================================
ALTER TABLE accounts ALTER COLUMN code TYPE varchar(40);
ALTER TABLE accounts ALTER COLUMN code TYPE text;
ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(12,2);
ALTER TABLE accounts ALTER COLUMN note TYPE varchar USING note;
-- neither the table nor any index got a new file
SELECT * FROM rebuilt();
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'accounts'::regclass AND attname IN ('code', 'balance', 'note')
 ORDER BY attnum;

-- =====================================================================
-- alter_column_type: changes that rewrite the table are blocked
-- =====================================================================
ALTER TABLE accounts ALTER COLUMN visits TYPE bigint;
SELECT show_violation('ALTER TABLE accounts ALTER COLUMN visits TYPE bigint');
-- a smaller scale, a shorter length, text to a bounded varchar
ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(12,4);
ALTER TABLE accounts ALTER COLUMN region TYPE varchar(10);
ALTER TABLE accounts ALTER COLUMN code TYPE varchar(40);
-- several subcommands: the one that rewrites is reported
ALTER TABLE accounts ALTER COLUMN code TYPE text,
    ALTER COLUMN visits TYPE numeric;
-- nothing was rewritten
SELECT * FROM rebuilt();

-- =====================================================================
-- alter_column_type: no rewrite, but an index is rebuilt
-- =====================================================================
-- an expression index on the column
ALTER TABLE accounts ALTER COLUMN name TYPE varchar(100);
-- a partial index whose predicate uses the column
ALTER TABLE accounts ALTER COLUMN region TYPE varchar(40);
-- what the server does when it is allowed: the table keeps its file, the
-- index is rebuilt
BEGIN;
SET LOCAL schemaguard.allow = 'alter_column_type';
ALTER TABLE accounts ALTER COLUMN name TYPE varchar(100);
SELECT * FROM rebuilt();
ROLLBACK;
-- a plain index on the column is kept, as above: no error
ALTER TABLE accounts ALTER COLUMN code TYPE text;

-- =====================================================================
-- alter_column_type: no rewrite, but a validated CHECK is re-validated
-- =====================================================================
-- the check function says when it is called for the first row
CREATE FUNCTION balance_ok(b numeric, id bigint) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF id = 1 THEN RAISE NOTICE 'balance_ok called for row 1'; END IF;
    RETURN b >= 0;
END $$;
-- a NOT VALID check is not re-validated: the change passes
ALTER TABLE accounts ADD CONSTRAINT accounts_balance_ok CHECK (balance_ok(balance, id)) NOT VALID;
ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(14,2);
-- once validated, the same kind of change reads the whole table
ALTER TABLE accounts VALIDATE CONSTRAINT accounts_balance_ok;
ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(16,2);
-- allowed, the server does scan the table again
BEGIN;
SET LOCAL schemaguard.allow = 'alter_column_type';
ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(16,2);
ROLLBACK;
ALTER TABLE accounts DROP CONSTRAINT accounts_balance_ok;
ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(16,2);
SELECT * FROM rebuilt();

-- =====================================================================
-- alter_column_type: exemptions
-- =====================================================================
-- created in this transaction
BEGIN;
CREATE TABLE accounts_copy AS SELECT * FROM accounts;
ALTER TABLE accounts_copy ALTER COLUMN visits TYPE bigint;
ROLLBACK;
-- small table
ALTER TABLE tiny ALTER COLUMN n TYPE bigint;
-- temporary table
CREATE TEMP TABLE accounts_tmp AS SELECT * FROM accounts;
ALTER TABLE accounts_tmp ALTER COLUMN visits TYPE bigint;
DROP TABLE accounts_tmp;
-- allowed deliberately; the safety net does not fire a second time
BEGIN;
SET LOCAL schemaguard.allow = 'alter_column_type';
ALTER TABLE accounts ALTER COLUMN visits TYPE bigint;
SELECT rebuilt FROM rebuilt() WHERE rel = 'accounts';
ROLLBACK;
-- allowing table_rewrite instead does not help
BEGIN;
SET LOCAL schemaguard.allow = 'table_rewrite';
ALTER TABLE accounts ALTER COLUMN visits TYPE bigint;
ROLLBACK;
-- warn mode: one warning (not a second one from the safety net), and the
-- statement runs
BEGIN;
SET LOCAL schemaguard.mode = warn;
ALTER TABLE accounts ALTER COLUMN visits TYPE bigint;
SELECT rebuilt FROM rebuilt() WHERE rel = 'accounts';
ROLLBACK;
-- per-rule level
BEGIN;
SET LOCAL schemaguard.rules = 'alter_column_type=warn';
ALTER TABLE accounts ALTER COLUMN visits TYPE bigint;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.rules = 'alter_column_type=off';
ALTER TABLE accounts ALTER COLUMN visits TYPE bigint;
ROLLBACK;
-- assume_large_tables: the small table counts as large
SET schemaguard.assume_large_tables = on;
ALTER TABLE tiny ALTER COLUMN n TYPE int;
RESET schemaguard.assume_large_tables;

-- =====================================================================
-- alter_column_type: the recipe of the first error above, as the hint
-- prints it
-- =====================================================================
ALTER TABLE public.accounts ADD COLUMN visits_new bigint;
-- keep visits_new in step with visits by a trigger
CREATE FUNCTION accounts_visits_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.visits_new := NEW.visits;
    RETURN NEW;
END $$;
CREATE TRIGGER accounts_visits_sync BEFORE INSERT OR UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_visits_sync();
-- backfill it in batches
UPDATE accounts SET visits_new = visits WHERE id BETWEEN 1 AND 2500;
UPDATE accounts SET visits_new = visits WHERE id BETWEEN 2501 AND 5000;
-- then switch in one short transaction (deliberately allowed)
BEGIN;
SET LOCAL schemaguard.allow = 'drop_column, rename_column, drop_trigger, drop_function';
DROP TRIGGER accounts_visits_sync ON accounts;
ALTER TABLE accounts DROP COLUMN visits;
ALTER TABLE accounts RENAME COLUMN visits_new TO visits;
COMMIT;
DROP FUNCTION accounts_visits_sync();
SELECT format_type(atttypid, atttypmod) AS visits_type FROM pg_attribute
 WHERE attrelid = 'accounts'::regclass AND attname = 'visits';
SELECT count(*) FILTER (WHERE visits IS NULL) AS nulls, sum(visits) FROM accounts;
-- no rewrite on the way
SELECT rebuilt FROM rebuilt() WHERE rel = 'accounts';

-- =====================================================================
-- table_rewrite: statements that rewrite the table
-- =====================================================================
CREATE TABLE items (id bigint PRIMARY KEY, price numeric(10,2));
INSERT INTO items SELECT g, g * 0.5 FROM generate_series(1, 5000) g;
ANALYZE items;
CREATE UNLOGGED TABLE items_unlogged AS SELECT * FROM items;
-- VACUUM drops the empty pages that bulk loading adds on PostgreSQL 16+
VACUUM ANALYZE items_unlogged;
CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
CREATE DOMAIN any_int AS int;
CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;
SELECT pg_relation_filenode('items') AS items_node \gset

-- an identity column
ALTER TABLE items ADD COLUMN seq_no bigint GENERATED ALWAYS AS IDENTITY;
SELECT show_violation('ALTER TABLE items ADD COLUMN seq_no bigint GENERATED ALWAYS AS IDENTITY');
ALTER TABLE items ADD COLUMN seq_no bigint GENERATED BY DEFAULT AS IDENTITY;
-- a serial column
ALTER TABLE items ADD COLUMN seq_no bigserial;
-- a stored generated column
ALTER TABLE items ADD COLUMN price_cents bigint GENERATED ALWAYS AS ((price * 100)::bigint) STORED;
-- a column of a domain type with a constraint
ALTER TABLE items ADD COLUMN quantity positive_int;
-- ... but not a domain without constraints
BEGIN;
ALTER TABLE items ADD COLUMN quantity any_int;
ROLLBACK;
-- persistence
ALTER TABLE items SET UNLOGGED;
ALTER TABLE items_unlogged SET LOGGED;
-- access method
ALTER TABLE items SET ACCESS METHOD heap2;
SELECT pg_relation_filenode('items') = :items_node AS not_rewritten;
-- not fired: changes to what the table already has copy nothing
ALTER TABLE items SET LOGGED;
ALTER TABLE items_unlogged SET UNLOGGED;
ALTER TABLE items SET ACCESS METHOD heap;
ALTER TABLE items SET TABLESPACE pg_default;
ALTER TABLE items SET LOGGED, SET TABLESPACE pg_default;
SELECT pg_relation_filenode('items') = :items_node AS not_rewritten;
-- ALTER TABLE ALL IN TABLESPACE moves every table of a tablespace (OWNED
-- BY: of some roles), each copied under an ACCESS EXCLUSIVE lock: judged on
-- the tables it would move, and the largest is named
SET allow_in_place_tablespaces = on;
CREATE TABLESPACE regress_sg_ts LOCATION '';
RESET allow_in_place_tablespaces;
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_rw_owner;
RESET client_min_messages;
CREATE ROLE regress_rw_owner;
CREATE TABLE rw_small (id int);
CREATE TABLE rw_large AS SELECT g AS id, repeat('x', 100) AS pad FROM generate_series(1, 3000) g;
-- VACUUM drops the empty pages that bulk loading adds on PostgreSQL 16+
VACUUM ANALYZE rw_large;
ALTER TABLE rw_small OWNER TO regress_rw_owner;
ALTER TABLE rw_large OWNER TO regress_rw_owner;
ALTER TABLE ALL IN TABLESPACE pg_default OWNED BY regress_rw_owner SET TABLESPACE regress_sg_ts;
-- NOWAIT: not judged, since measuring the tables would wait for a lock
-- that the statement itself does not wait for
BEGIN;
ALTER TABLE ALL IN TABLESPACE pg_default OWNED BY regress_rw_owner SET TABLESPACE regress_sg_ts NOWAIT;
ROLLBACK;
-- nothing to move, or the same tablespace: nothing copied
ALTER TABLE ALL IN TABLESPACE regress_sg_ts OWNED BY regress_rw_owner SET TABLESPACE pg_default;
ALTER TABLE ALL IN TABLESPACE pg_default OWNED BY regress_rw_owner SET TABLESPACE pg_default;
ALTER INDEX ALL IN TABLESPACE pg_default OWNED BY regress_rw_owner SET TABLESPACE regress_sg_ts;
-- allowed deliberately: the tables move
BEGIN;
SET LOCAL schemaguard.allow = 'table_rewrite';
ALTER TABLE ALL IN TABLESPACE pg_default OWNED BY regress_rw_owner SET TABLESPACE regress_sg_ts;
SELECT relname, spcname FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace
 WHERE relname LIKE 'rw\_%' ORDER BY relname;
ROLLBACK;
SET schemaguard.mode = off;
DROP TABLE rw_small, rw_large;
RESET schemaguard.mode;
DROP ROLE regress_rw_owner;
DROP TABLESPACE regress_sg_ts;

-- =====================================================================
-- table_rewrite: exemptions
-- =====================================================================
-- created in this transaction
BEGIN;
CREATE TABLE items_copy AS SELECT * FROM items;
ALTER TABLE items_copy ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE items_copy SET UNLOGGED;
ROLLBACK;
-- small table
BEGIN;
ALTER TABLE tiny ADD COLUMN k bigint GENERATED ALWAYS AS IDENTITY;
ROLLBACK;
-- temporary table
CREATE TEMP TABLE items_tmp AS SELECT id, price FROM items;
ALTER TABLE items_tmp ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;
DROP TABLE items_tmp;
-- allowed deliberately: the rewrite runs, and the safety net lets it pass
BEGIN;
SET LOCAL schemaguard.allow = 'table_rewrite';
ALTER TABLE items SET UNLOGGED;
SELECT relpersistence, pg_relation_filenode('items') = :items_node AS not_rewritten
  FROM pg_class WHERE relname = 'items';
ROLLBACK;
-- warn mode: one warning, and the statement runs
BEGIN;
SET LOCAL schemaguard.mode = warn;
ALTER TABLE items ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;
ROLLBACK;
-- per-rule level
BEGIN;
SET LOCAL schemaguard.rules = 'table_rewrite=warn';
ALTER TABLE items SET UNLOGGED;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.rules = 'table_rewrite=off';
ALTER TABLE items SET UNLOGGED;
ROLLBACK;
-- assume_large_tables
SET schemaguard.assume_large_tables = on;
ALTER TABLE tiny ADD COLUMN k bigint GENERATED ALWAYS AS IDENTITY;
RESET schemaguard.assume_large_tables;

-- =====================================================================
-- table_rewrite: the recipes, as the hints print them
-- =====================================================================
-- the identity column
CREATE SEQUENCE public.items_seq_no_seq;
ALTER TABLE public.items ADD COLUMN seq_no bigint;
ALTER TABLE public.items ALTER COLUMN seq_no SET DEFAULT nextval('public.items_seq_no_seq');
-- backfill in batches
UPDATE public.items SET seq_no = nextval('public.items_seq_no_seq') WHERE seq_no IS NULL AND id BETWEEN 1 AND 2500;
UPDATE public.items SET seq_no = nextval('public.items_seq_no_seq') WHERE seq_no IS NULL AND id BETWEEN 2501 AND 5000;
ALTER SEQUENCE public.items_seq_no_seq OWNED BY public.items.seq_no;
SELECT count(DISTINCT seq_no) AS distinct_values, count(*) FILTER (WHERE seq_no IS NULL) AS nulls
  FROM items;
INSERT INTO items (id, price) VALUES (5001, 1) RETURNING seq_no;
-- the stored generated column: a plain column, a trigger
-- for new rows, a batched UPDATE for existing ones
ALTER TABLE public.items ADD COLUMN price_cents bigint;
CREATE FUNCTION items_price_cents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.price_cents := (NEW.price * 100)::bigint;
    RETURN NEW;
END $$;
CREATE TRIGGER items_price_cents BEFORE INSERT OR UPDATE ON items
    FOR EACH ROW EXECUTE FUNCTION items_price_cents();
UPDATE items SET price_cents = (price * 100)::bigint WHERE id BETWEEN 1 AND 2500;
UPDATE items SET price_cents = (price * 100)::bigint WHERE id BETWEEN 2501 AND 5001;
SELECT count(*) FILTER (WHERE price_cents = (price * 100)::bigint) AS correct FROM items;
-- the domain column: the base type, a backfill, then the
-- domain's check as a CHECK constraint NOT VALID, validated
ALTER TABLE public.items ADD COLUMN quantity int;
UPDATE items SET quantity = 1 WHERE id BETWEEN 1 AND 2500;
UPDATE items SET quantity = 1 WHERE id BETWEEN 2501 AND 5001;
ALTER TABLE items ADD CONSTRAINT items_quantity_positive CHECK (quantity > 0) NOT VALID;
ALTER TABLE items VALIDATE CONSTRAINT items_quantity_positive;
SELECT pg_relation_filenode('items') = :items_node AS not_rewritten;

-- =====================================================================
-- the safety net: the event trigger
-- =====================================================================
SELECT evtname, evtevent, evtenabled, evtfoid::regprocedure AS function
  FROM pg_event_trigger WHERE evtname = 'schemaguard_table_rewrite';
-- it only works as an event trigger
SELECT schemaguard.table_rewrite_guard();

-- ALTER TYPE ... ALTER ATTRIBUTE ... CASCADE rewrites the typed tables of
-- a composite type; no static rule looks at it, the safety net stops it
CREATE TYPE reading AS (id bigint, value int);
CREATE TABLE readings OF reading;
INSERT INTO readings SELECT g, g % 100 FROM generate_series(1, 5000) g;
ANALYZE readings;
CREATE TABLE readings_small OF reading;
INSERT INTO readings_small VALUES (1, 1);
SELECT pg_relation_filenode('readings') AS readings_node \gset
ALTER TYPE reading ALTER ATTRIBUTE value TYPE bigint CASCADE;
SELECT show_violation('ALTER TYPE reading ALTER ATTRIBUTE value TYPE bigint CASCADE');
SELECT pg_relation_filenode('readings') = :readings_node AS not_rewritten;
-- a binary-coercible change rewrites nothing: the safety net stays quiet
CREATE TYPE label AS (id bigint, name varchar(20));
CREATE TABLE labels OF label;
INSERT INTO labels SELECT g, 'label ' || g FROM generate_series(1, 5000) g;
ANALYZE labels;
ALTER TYPE label ALTER ATTRIBUTE name TYPE varchar(40) CASCADE;
-- allowed deliberately
BEGIN;
SET LOCAL schemaguard.allow = 'table_rewrite';
ALTER TYPE reading ALTER ATTRIBUTE value TYPE bigint CASCADE;
SELECT pg_relation_filenode('readings') = :readings_node AS not_rewritten;
ROLLBACK;
-- warn mode
BEGIN;
SET LOCAL schemaguard.mode = warn;
ALTER TYPE reading ALTER ATTRIBUTE value TYPE bigint CASCADE;
ROLLBACK;
-- per-rule level
BEGIN;
SET LOCAL schemaguard.rules = 'table_rewrite=warn';
ALTER TYPE reading ALTER ATTRIBUTE value TYPE bigint CASCADE;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.rules = 'table_rewrite=off';
ALTER TYPE reading ALTER ATTRIBUTE value TYPE bigint CASCADE;
ROLLBACK;
-- mode off
BEGIN;
SET LOCAL schemaguard.mode = off;
ALTER TYPE reading ALTER ATTRIBUTE value TYPE bigint CASCADE;
ROLLBACK;
-- exempt: the typed tables are small (readings_small alone)
BEGIN;
SET LOCAL schemaguard.allow = 'drop_table';
DROP TABLE readings;
ALTER TYPE reading ALTER ATTRIBUTE value TYPE bigint CASCADE;
ROLLBACK;
-- exempt: the typed table was created in this transaction
BEGIN;
CREATE TYPE reading2 AS (id bigint, value int);
CREATE TABLE readings2 OF reading2;
INSERT INTO readings2 SELECT g, g FROM generate_series(1, 5000) g;
ALTER TYPE reading2 ALTER ATTRIBUTE value TYPE bigint CASCADE;
ROLLBACK;
-- assume_large_tables: the small typed table counts as large
BEGIN;
SET LOCAL schemaguard.allow = 'drop_table';
DROP TABLE readings;
SET LOCAL schemaguard.allow = '';
SET LOCAL schemaguard.assume_large_tables = on;
ALTER TYPE reading ALTER ATTRIBUTE value TYPE bigint CASCADE;
ROLLBACK;

-- a rewrite the static rules judged is not judged again by the safety
-- net: a partitioned table, allowed (its partitions are rewritten)
CREATE TABLE ledger (id bigint NOT NULL, amount int) PARTITION BY RANGE (id);
CREATE TABLE ledger_1 PARTITION OF ledger FOR VALUES FROM (1) TO (3001);
CREATE TABLE ledger_2 PARTITION OF ledger FOR VALUES FROM (3001) TO (6001);
INSERT INTO ledger SELECT g, g FROM generate_series(1, 6000) g;
ANALYZE ledger;
ALTER TABLE ledger ALTER COLUMN amount TYPE bigint;
BEGIN;
SET LOCAL schemaguard.allow = 'alter_column_type';
ALTER TABLE ledger ALTER COLUMN amount TYPE bigint;
ROLLBACK;
BEGIN;
SET LOCAL schemaguard.mode = warn;
ALTER TABLE ledger ALTER COLUMN amount TYPE bigint;
ROLLBACK;
-- the same for add_column_volatile_default
BEGIN;
SET LOCAL schemaguard.allow = 'add_column_volatile_default';
ALTER TABLE items ADD COLUMN r float8 DEFAULT random();
ROLLBACK;

-- =====================================================================
-- defaults of ADD COLUMN, briefly (guard_default has the details)
-- =====================================================================
CREATE TABLE visits (id bigint PRIMARY KEY, page text);
INSERT INTO visits SELECT g, '/page/' || g FROM generate_series(1, 5000) g;
ANALYZE visits;
CREATE FUNCTION visit_weight() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 10';
CREATE FUNCTION visit_token() RETURNS text LANGUAGE plpgsql VOLATILE
    AS $$ BEGIN RETURN md5(random()::text); END $$;
SELECT pg_relation_filenode('visits') AS visits_node \gset
-- not volatile: metadata only, they pass
ALTER TABLE visits ADD COLUMN seen_at timestamptz DEFAULT now();
ALTER TABLE visits ADD COLUMN weight int DEFAULT visit_weight();
SELECT pg_relation_filenode('visits') = :visits_node AS not_rewritten;
-- volatile: every row is rewritten, they are blocked
ALTER TABLE visits ADD COLUMN logged_at timestamptz DEFAULT clock_timestamp();
ALTER TABLE visits ADD COLUMN uid uuid DEFAULT gen_random_uuid();
ALTER TABLE visits ADD COLUMN token text DEFAULT visit_token();
-- allowed: the table is rewritten, and the safety net does not fire again
BEGIN;
SET LOCAL schemaguard.allow = 'add_column_volatile_default';
ALTER TABLE visits ADD COLUMN token text DEFAULT visit_token();
SELECT pg_relation_filenode('visits') = :visits_node AS not_rewritten;
ROLLBACK;

-- clean up
SET schemaguard.mode = off;
DROP TABLE accounts, tiny, items, items_unlogged, readings, readings_small,
    labels, ledger, visits;
DROP TYPE reading, label;
DROP DOMAIN positive_int, any_int;
DROP ACCESS METHOD heap2;
DROP FUNCTION show_violation(text), filenodes(regclass), rebuilt(),
    balance_ok(numeric, bigint), items_price_cents(), visit_weight(), visit_token();
RESET schemaguard.mode;

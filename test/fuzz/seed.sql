-- test/fuzz/seed.sql — the small schema the fuzzer's statements run against.
--
-- Tables with rows (one over the default 1MB size threshold), partitioned
-- tables of each kind, validated and NOT VALID constraints, indexes of
-- several kinds, views, materialized views, enums, composite types, domains,
-- sequences, triggers, policies, an event trigger and statistics, so that
-- mutated statements find real objects and reach the guard's deeper checks.
-- The names are also the identifier pool of the grammar generator
-- (test/fuzz/fuzz.py).
SET schemaguard.mode = off;

CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE app.pair AS (x int, y text);
CREATE DOMAIN app.posint AS int CHECK (VALUE > 0);
CREATE DOMAIN app.email AS text CHECK (VALUE LIKE '%@%') NOT NULL;
CREATE SEQUENCE app.seq1;

CREATE FUNCTION app.vol() RETURNS int LANGUAGE sql VOLATILE AS 'SELECT 1';
CREATE FUNCTION app.imm() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1';
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql
	AS $$BEGIN NEW.created := now(); RETURN NEW; END$$;
CREATE FUNCTION app.on_ddl() RETURNS event_trigger LANGUAGE plpgsql
	AS $$BEGIN PERFORM 1; END$$;

CREATE TABLE app.accounts (
	id int PRIMARY KEY,
	email varchar(100) UNIQUE,
	name text NOT NULL,
	created timestamp DEFAULT now(),
	balance numeric(12, 2) DEFAULT 0,
	mood app.mood,
	flags char(4),
	CONSTRAINT accounts_name_nn CHECK (name IS NOT NULL)
);
CREATE TABLE app.orders (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id int REFERENCES app.accounts (id),
	amount numeric(10, 2) CHECK (amount >= 0),
	note varchar(50),
	placed_at timestamptz DEFAULT now(),
	qty int,
	total numeric GENERATED ALWAYS AS (amount * qty) STORED
);
ALTER TABLE app.orders ADD CONSTRAINT orders_qty_chk CHECK (qty > 0) NOT VALID;
ALTER TABLE app.orders ADD CONSTRAINT orders_account_fk2
	FOREIGN KEY (account_id) REFERENCES app.accounts (id) NOT VALID;
CREATE INDEX orders_account_idx ON app.orders (account_id);
CREATE INDEX orders_lower_note ON app.orders (lower(note)) WHERE note IS NOT NULL;
CREATE UNIQUE INDEX orders_note_uq ON app.orders (note, id);

CREATE TABLE app.events (id bigserial, kind text, at date NOT NULL, payload jsonb)
	PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events
	FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_2025 PARTITION OF app.events
	FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;
CREATE INDEX events_at_idx ON app.events (at);
CREATE INDEX events_kind_idx ON ONLY app.events (kind);
CREATE TABLE app.events_2026 (LIKE app.events);
ALTER TABLE app.events_2026 ADD CONSTRAINT events_2026_at_chk
	CHECK (at >= '2026-01-01' AND at < '2027-01-01');
CREATE TABLE app.events_2027 (LIKE app.events);

CREATE TABLE app.regions (code text NOT NULL, name text) PARTITION BY LIST (code);
CREATE TABLE app.regions_eu PARTITION OF app.regions FOR VALUES IN ('de', 'fr');
CREATE TABLE app.regions_us PARTITION OF app.regions FOR VALUES IN ('us');
CREATE TABLE app.hashed (id int, v text) PARTITION BY HASH (id);
CREATE TABLE app.hashed_0 PARTITION OF app.hashed FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE app.hashed_1 PARTITION OF app.hashed FOR VALUES WITH (MODULUS 2, REMAINDER 1);

CREATE TABLE public.t1 (id int, a text, b int, c timestamp, d varchar(20), e char(3));
CREATE TABLE public.t2 (id serial PRIMARY KEY, t1_id int, payload text);
CREATE TABLE public.empty1 (id int, v text);
CREATE UNLOGGED TABLE public.u1 (x int);
CREATE TABLE public.child1 () INHERITS (public.empty1);
CREATE TABLE public.typed1 OF app.pair;
CREATE INDEX t1_b_idx ON public.t1 (b);
CREATE INDEX t1_a_brin ON public.t1 USING brin (id);

CREATE VIEW app.big_accounts AS SELECT * FROM app.accounts WHERE balance > 1000;
CREATE VIEW public.v1 AS SELECT id, a FROM public.t1;
CREATE MATERIALIZED VIEW app.order_totals AS
	SELECT account_id, sum(amount) AS total FROM app.orders GROUP BY account_id;
CREATE UNIQUE INDEX order_totals_account ON app.order_totals (account_id);
CREATE MATERIALIZED VIEW app.unpopulated AS SELECT 1 AS x WITH NO DATA;

CREATE TRIGGER accounts_touch BEFORE UPDATE ON app.accounts
	FOR EACH ROW EXECUTE FUNCTION app.touch();
ALTER TABLE app.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY accounts_all ON app.accounts USING (true);
CREATE STATISTICS app.accounts_stats ON id, balance FROM app.accounts;
CREATE EVENT TRIGGER fuzz_ddl ON ddl_command_end EXECUTE FUNCTION app.on_ddl();
COMMENT ON TABLE app.accounts IS 'customer accounts';

INSERT INTO app.accounts
	SELECT i, 'user' || i || '@example.com', 'user ' || i, now(), i * 10,
		(ARRAY['sad', 'ok', 'happy'])[1 + i % 3]::app.mood, 'abcd'
	FROM generate_series(1, 2000) i;
INSERT INTO app.orders (account_id, amount, note, qty)
	SELECT 1 + i % 2000, i % 100, 'note ' || i, 1 + i % 5
	FROM generate_series(1, 4000) i;
INSERT INTO app.events (kind, at, payload)
	SELECT 'k' || i % 7, date '2024-01-01' + i % 900, '{}'
	FROM generate_series(1, 3000) i;
INSERT INTO app.regions VALUES ('de', 'Germany'), ('fr', 'France'), ('us', 'USA');
INSERT INTO app.hashed SELECT i, 'v' || i FROM generate_series(1, 500) i;
INSERT INTO app.events_2026 (id, kind, at) VALUES (1, 'k', '2026-03-01');
INSERT INTO app.events_2027 (id, kind, at) VALUES (1, 'k', '2027-03-01');
-- over the default 1MB table_size_threshold
INSERT INTO public.t1
	SELECT i, md5(i::text), i % 100, now(), 'd' || i, 'abc'
	FROM generate_series(1, 15000) i;
INSERT INTO public.t2 (t1_id, payload) SELECT i, 'p' FROM generate_series(1, 300) i;
INSERT INTO public.u1 SELECT generate_series(1, 100);
REFRESH MATERIALIZED VIEW app.order_totals;
ANALYZE;

-- a foreign table (no handler needed for DDL)
CREATE FOREIGN DATA WRAPPER fz_fdw;
CREATE SERVER fz_server FOREIGN DATA WRAPPER fz_fdw;
CREATE FOREIGN TABLE app.ft1 (id int, v text) SERVER fz_server;

-- objects that other statement forms drop or rename (DROP OWNED BY, a
-- partition in a schema of its own, an inheritance child, a typed table,
-- a citext column)
DO $$BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fz_owner') THEN
		CREATE ROLE fz_owner;
	END IF;
END$$;
CREATE TABLE app.fz_owned (id int, v text);
INSERT INTO app.fz_owned VALUES (1, 'one');
ALTER TABLE app.fz_owned OWNER TO fz_owner;
CREATE SCHEMA fz_parts;
CREATE TABLE fz_parts.events_2030 PARTITION OF app.events
	FOR VALUES FROM ('2030-01-01') TO ('2031-01-01');
INSERT INTO app.events (kind, at) VALUES ('k', '2030-06-01');
CREATE TABLE public.child2 (extra text) INHERITS (public.t2);
INSERT INTO public.child2 (t1_id, payload, extra) VALUES (1, 'p', 'x');
INSERT INTO public.typed1 VALUES (1, 'one');
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TABLE app.emails (id int, address citext);
INSERT INTO app.emails VALUES (1, 'a@example.com');

#!/usr/bin/env bash
# test/demo.sh — a short narrated tour of schemaguard; what `make demo` runs.
#
#   bash test/demo.sh          build, install, (re)start the demo cluster, run the tour
#   bash test/demo.sh stop     stop the demo cluster and delete it
#
# The demo cluster lives in /tmp/schemaguard-demo (data/, sock/, server.log),
# listens only on a Unix socket in /tmp/schemaguard-demo/sock, port 54330, and
# is left running at the end so you can try things yourself. Running the demo
# again stops and replaces it. Statement errors in the tour are the point of
# the demo; only a failure to build or start the server makes this script fail.
#
# Environment: PG_CONFIG (default /usr/lib/postgresql/15/bin/pg_config),
# SG_DEMO_PORT (default 54330).
set -euo pipefail

# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEMO=/tmp/schemaguard-demo
PORT=${SG_DEMO_PORT:-54330}
STOP_CMD="runuser -u postgres -- $PG_BINDIR/pg_ctl -D $DEMO/data stop"
[ "$(id -u)" -eq 0 ] || STOP_CMD="$PG_BINDIR/pg_ctl -D $DEMO/data stop"

sg_cluster_stop "$DEMO"
rm -rf "$DEMO"
if [ "${1:-}" = stop ]; then
	echo "demo cluster stopped and removed ($DEMO)"
	exit 0
fi

echo "== building and installing schemaguard"
sg_build_install

echo "== starting the demo cluster in $DEMO"
sg_mkdir "$DEMO"
sg_cluster_create "$DEMO" "$PORT"
sg_cluster_start "$DEMO"

export PGHOST="$DEMO/sock" PGPORT="$PORT" PGUSER=postgres
unset PGDATABASE PGSERVICE PGOPTIONS
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE demo"
psql -X -q -v ON_ERROR_STOP=1 -d demo -c "CREATE EXTENSION schemaguard"

# The tour. \echo lines narrate; -e echoes each statement before its output.
# ON_ERROR_STOP=0: the blocked statements are expected to fail. psql still
# exits non-zero if it cannot connect at all. stderr is merged into stdout
# (unbuffered) so errors appear right after their statements when piped.
echo
psql -X -e -v ON_ERROR_STOP=0 -P pager=off -d demo 2>&1 <<'SQL'
\echo '-- 1. A table with real data: 200,000 orders, a few MB (threshold: 1MB).'
CREATE TABLE public.orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    note        text
);
INSERT INTO orders (customer_id, created_at, note)
SELECT g % 5000, now() - g * interval '1 minute', 'order #' || g
FROM generate_series(1, 200000) AS g;
ANALYZE orders;
SELECT pg_size_pretty(pg_table_size('orders')) AS table_size,
       current_setting('schemaguard.table_size_threshold') AS threshold;

\echo
\echo '-- 2. A plain CREATE INDEX would block every write while it builds: blocked.'
CREATE INDEX orders_created_idx ON orders (created_at);
\echo 'SQLSTATE' :LAST_ERROR_SQLSTATE

\echo
\echo '-- 3. The recipe from the hint: build it concurrently. Writes keep flowing.'
CREATE INDEX CONCURRENTLY orders_created_idx ON public.orders (created_at);
\echo

\echo '-- 4. Renaming a column breaks the code that is running now: blocked.'
ALTER TABLE orders RENAME COLUMN note TO comment;

\echo
\echo '-- 5. Warn mode (superuser): violations become warnings and the statement runs.'
\echo '--    (inside a transaction that we roll back, to keep the demo tidy)'
BEGIN;
SET LOCAL schemaguard.mode = warn;
ALTER TABLE orders RENAME COLUMN note TO comment;
ROLLBACK;

\echo
\echo '-- 6. A deliberate exception, for one transaction only: schemaguard.allow.'
BEGIN;
SET LOCAL schemaguard.allow = 'rename_column';
ALTER TABLE orders RENAME COLUMN note TO comment;
ROLLBACK;

\echo
\echo '-- 7. Lint a migration before it runs: schemaguard.check() executes nothing.'
SELECT statement, rule, level, object FROM schemaguard.check($$
  ALTER TABLE orders ADD COLUMN status text;
  ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
  ALTER TABLE orders ADD COLUMN shipped_at timestamptz DEFAULT clock_timestamp();
  CREATE TABLE refunds (id bigint PRIMARY KEY, order_id bigint REFERENCES orders);
  CREATE INDEX ON refunds (order_id);
$$);

\echo
\echo '-- 8. Every committed schema change is in the hash-chained changelog.'
SET schemaguard.migration = 'demo-V1';
COMMENT ON TABLE orders IS 'customer orders';
SELECT id, command_tag, left(statement, 60) AS statement, migration
  FROM schemaguard.changelog ORDER BY id;
SELECT count(*) AS problems FROM schemaguard.verify_changelog();

\echo
\echo '-- 9. Drift: a baseline, one change made through a migration, one behind its back.'
SELECT schemaguard.take_baseline('demo-release-1') AS baseline_fingerprint;
CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);
SET schemaguard.changelog = off;
ALTER TABLE orders ALTER COLUMN note SET DEFAULT 'hotfix';
RESET schemaguard.changelog;
SELECT object_type, identity, change, tracked, changelog_ids
  FROM schemaguard.drift('demo-release-1');

\echo
\echo '-- 10. Every rule, its family and its level.'
SELECT rule, family, default_level, level FROM schemaguard.list_rules();
SQL

cat <<EOF

== the demo cluster is still running
connect:  psql -h $DEMO/sock -p $PORT -U postgres demo
stop:     $STOP_CMD
   (or:   bash test/demo.sh stop   — stops it and deletes $DEMO)
EOF

#!/usr/bin/env bash
# test/upgrade.sh — pg_upgrade of a cluster with schemaguard from PostgreSQL
# 15 to 18 keeps the changelog verifying; what `make test-upgrade` runs.
#
#   bash test/upgrade.sh
#
# 1. builds and installs schemaguard for 15 (Debian's packages, in this tree)
#    and for 18 (test/build-postgres.sh's build, in a scratch copy of the
#    tree, since a tree holds the objects of one server at a time);
# 2. a 15 cluster with two databases: "current" (schemaguard 0.2.0) and
#    "old" (0.1.0), each with recorded history and a baseline; the heads
#    and the exported chains are kept;
# 3. pg_upgrade --check, then pg_upgrade (--copy) to a new 18 cluster
#    (initdb --no-data-checksums, like the 15 one), both preloading
#    schemaguard;
# 4. on 18: both chains verify (verify_changelog() and
#    test/verify_changelog.py), with the same heads and the same exported
#    rows as before; the baselines are there; new DDL chains onto the old
#    chain; "old" is then updated with ALTER EXTENSION schemaguard UPDATE
#    and still verifies;
# 5. no crash in the server logs.
# Prints "ok N - ..." / "not ok N - ..." lines and, last, "N passed, N failed";
# exits 1 if anything failed.
#
# Environment: SG_TEST_PORT (default 54329; the clusters use the next two
# ports, on Unix sockets in a private directory only), PG_OLD_CONFIG
# (default Debian's 15), PG_NEW_CONFIG (default: bash test/build-postgres.sh 18).
set -uo pipefail

export PG=15
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OLD_CONFIG=${PG_OLD_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
if [ -n "${PG_NEW_CONFIG:-}" ]; then
	NEW_CONFIG=$PG_NEW_CONFIG
else
	NEW_CONFIG=$(bash "$SG_REPO/test/build-postgres.sh" 18) || {
		echo "test-upgrade needs PostgreSQL 18 built from source (test/build-postgres.sh 18)" >&2
		exit 1
	}
fi
OLD_BIN=$("$OLD_CONFIG" --bindir)
NEW_BIN=$("$NEW_CONFIG" --bindir)
PORT=$((${SG_TEST_PORT:-54329} + 1))
PASS=0
FAIL=0
N=0

check() { # check DESCRIPTION EXPECTED ACTUAL
	N=$((N + 1))
	if [ "$2" = "$3" ]; then
		PASS=$((PASS + 1))
		echo "ok $N - $1"
	else
		FAIL=$((FAIL + 1))
		echo "not ok $N - $1"
		echo "#   expected: $2"
		echo "#        got: $3"
	fi
}

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
	exit $?
}

BASE=$(mktemp -d /tmp/schemaguard-upgrade.XXXXXX)
cleanup() {
	sg_stop_all_under "$BASE"
	mkdir -p "$SG_REPO/tmp_check/logs/upgrade"
	cp "$BASE"/*.log "$SG_REPO/tmp_check/logs/upgrade/" 2>/dev/null
	find "$BASE" -path '*pg_upgrade_output.d*' -name '*.log' \
		-exec cp {} "$SG_REPO/tmp_check/logs/upgrade/" \; 2>/dev/null
	rm -rf "$BASE"
}
trap cleanup EXIT
sg_mkdir "$BASE"
sg_mkdir "$BASE/sock"
export PGHOST="$BASE/sock" PGPORT="$PORT" PGUSER=postgres
unset PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS

# --- 1. build for both servers ------------------------------------------------
echo "== build for $("$OLD_CONFIG" --version) and $("$NEW_CONFIG" --version)"
PG_CONFIG="$OLD_CONFIG" bash "$SG_REPO/test/build.sh" || {
	echo "not ok - build for 15"
	FAIL=1
	finish
}
mkdir -p "$BASE/src18"
tar -C "$SG_REPO" --exclude=./.git --exclude=./tmp_check --exclude=./results \
	--exclude='*.o' --exclude='*.bc' --exclude='*.so' --exclude=./.build-pg_config \
	-cf - . | tar -C "$BASE/src18" -xf -
PG_CONFIG="$NEW_CONFIG" bash "$BASE/src18/test/build.sh" || {
	echo "not ok - build for 18"
	FAIL=1
	finish
}

# initdb_at BINDIR DATA: a cluster like test/lib.sh's, checksums off on both
initdb_at() {
	as_pg "$BASE" "$1/initdb" --pgdata="$2" --username=postgres --auth=trust \
		--encoding=UTF8 --locale=C --no-sync \
		$("$1/initdb" --help | grep -q -- --no-data-checksums && echo --no-data-checksums) \
		>"$BASE/initdb-$(basename "$2").log" 2>&1 || {
		cat "$BASE/initdb-$(basename "$2").log" >&2
		return 1
	}
	as_pg "$BASE" tee -a "$2/postgresql.conf" >/dev/null <<-EOF
		listen_addresses = ''
		port = $PORT
		unix_socket_directories = '$BASE/sock'
		shared_preload_libraries = 'schemaguard'
		lc_messages = 'C'
		fsync = off
	EOF
}
start() { as_pg "$BASE" "$1/pg_ctl" --pgdata="$2" --log="$BASE/$3.log" --wait --silent start; }
stop() { as_pg "$BASE" "$1/pg_ctl" --pgdata="$2" --wait --silent stop; }
sql() { # sql BINDIR DB QUERY
	"$1/psql" -X -At -v ON_ERROR_STOP=1 -d "$2" -c "$3"
}
export_chain() { # the chain as test/verify_changelog.py reads it
	PGCLIENTENCODING=UTF8 "$1/psql" -X -At -d "$2" \
		-c "$(python3 "$SG_REPO/test/verify_changelog.py" --print-query)"
}
verifies() { # verifies BINDIR DB: "0 ok" when both verifiers agree the chain is intact
	local inside outside
	inside=$(sql "$1" "$2" 'SELECT count(*) FROM schemaguard.verify_changelog()')
	outside=$(export_chain "$1" "$2" | python3 "$SG_REPO/test/verify_changelog.py" >/dev/null 2>&1 && echo ok || echo failed)
	echo "$inside $outside"
}

# --- 2. history on 15 ------------------------------------------------------------
initdb_at "$OLD_BIN" "$BASE/old" && start "$OLD_BIN" "$BASE/old" old15 || {
	echo "not ok - 15 cluster"
	FAIL=1
	finish
}
sql "$OLD_BIN" postgres 'CREATE DATABASE current' >/dev/null
sql "$OLD_BIN" postgres 'CREATE DATABASE old' >/dev/null
sql "$OLD_BIN" current 'CREATE EXTENSION schemaguard' >/dev/null
sql "$OLD_BIN" old "CREATE EXTENSION schemaguard VERSION '0.1.0'" >/dev/null
for db in current old; do
	"$OLD_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null 2>&1 <<-'EOF'
		CREATE SCHEMA app;
		CREATE TABLE app.accounts (account_id bigint PRIMARY KEY, email text NOT NULL);
		CREATE INDEX accounts_email ON app.accounts (email);
		ALTER TABLE app.accounts ADD COLUMN created timestamptz;
		COMMENT ON TABLE app.accounts IS 'before pg_upgrade';
		CREATE VIEW app.account_emails AS SELECT account_id, email FROM app.accounts;
		SELECT schemaguard.take_baseline('before pg_upgrade');
		DROP VIEW app.account_emails;
	EOF
done
declare -A HEAD CHAIN
for db in current old; do
	check "15, $db: the chain verifies" "0 ok" "$(verifies "$OLD_BIN" "$db")"
	HEAD[$db]=$(sql "$OLD_BIN" "$db" 'SELECT id || $$ $$ || entry_hash FROM schemaguard.changelog_head()')
	CHAIN[$db]=$(export_chain "$OLD_BIN" "$db")
done
# PostgreSQL 15.20's Debian packages give every column the option
# pg_attver, which 18.6 rejects ('unrecognized parameter "pg_attver"' in
# pg_restore), whatever the extensions: pg_upgrade of any table fails.
# Not schemaguard's doing; the option is cleared in the old cluster's
# catalog (ALTER COLUMN ... RESET does not remove it) so the test can run.
for db in postgres current old; do
	n=$(sql "$OLD_BIN" "$db" "WITH u AS (UPDATE pg_catalog.pg_attribute SET attoptions = NULL WHERE attrelid >= 16384 AND attoptions::text LIKE '%pg_attver=%' RETURNING 1) SELECT count(*) FROM u")
	[ "$n" = 0 ] || echo "# $db: cleared the option pg_attver of $n columns (PostgreSQL 15.20 packaging; 18.6 rejects it)"
done
check "15: versions" "0.2.0 0.1.0" \
	"$(sql "$OLD_BIN" current "SELECT extversion FROM pg_extension WHERE extname = 'schemaguard'") $(sql "$OLD_BIN" old "SELECT extversion FROM pg_extension WHERE extname = 'schemaguard'")"
stop "$OLD_BIN" "$BASE/old"

# --- 3. pg_upgrade ------------------------------------------------------------------
initdb_at "$NEW_BIN" "$BASE/new" || {
	echo "not ok - 18 cluster"
	FAIL=1
	finish
}
for mode in --check ""; do
	as_pg "$BASE" "$NEW_BIN/pg_upgrade" $mode --old-bindir="$OLD_BIN" --new-bindir="$NEW_BIN" \
		--old-datadir="$BASE/old" --new-datadir="$BASE/new" --username=postgres \
		--old-port="$PORT" --new-port="$PORT" --socketdir="$BASE/sock" --copy \
		>"$BASE/pg_upgrade${mode}.log" 2>&1
	rc=$?
	check "pg_upgrade ${mode:-(the upgrade)} succeeds" 0 "$rc"
	[ "$rc" -eq 0 ] || {
		tail -30 "$BASE/pg_upgrade${mode}.log"
		finish
	}
done

# --- 4. on 18 -------------------------------------------------------------------------
start "$NEW_BIN" "$BASE/new" new18 || {
	echo "not ok - start 18"
	FAIL=$((FAIL + 1))
	finish
}
check "18: the server" 18 "$(sql "$NEW_BIN" postgres 'SHOW server_version_num' | cut -c1-2)"
for db in current old; do
	check "18, $db: the chain verifies after pg_upgrade" "0 ok" "$(verifies "$NEW_BIN" "$db")"
	check "18, $db: the same head" "${HEAD[$db]}" \
		"$(sql "$NEW_BIN" "$db" 'SELECT id || $$ $$ || entry_hash FROM schemaguard.changelog_head()')"
	check "18, $db: the same rows" "${CHAIN[$db]}" "$(export_chain "$NEW_BIN" "$db")"
	check "18, $db: the baseline is there" 1 \
		"$(sql "$NEW_BIN" "$db" "SELECT count(*) FROM schemaguard.baselines WHERE label = 'before pg_upgrade'")"
	sql "$NEW_BIN" "$db" 'ALTER TABLE app.accounts ADD COLUMN updated timestamptz' >/dev/null
	check "18, $db: new DDL chains onto the old chain" \
		"$(echo "${HEAD[$db]}" | cut -d' ' -f1) true" \
		"$(sql "$NEW_BIN" "$db" "SELECT p.id || ' ' || (c.prev_hash = p.entry_hash) FROM schemaguard.changelog c JOIN schemaguard.changelog p ON p.id = c.id - 1 WHERE c.statement LIKE '%ADD COLUMN updated%'")"
	check "18, $db: the chain verifies after new DDL" "0 ok" "$(verifies "$NEW_BIN" "$db")"
done
sql "$NEW_BIN" old 'ALTER EXTENSION schemaguard UPDATE' >/dev/null
check "18, old: ALTER EXTENSION schemaguard UPDATE reaches 0.2.0" 0.2.0 \
	"$(sql "$NEW_BIN" old "SELECT extversion FROM pg_extension WHERE extname = 'schemaguard'")"
sql "$NEW_BIN" old 'CREATE INDEX accounts_created ON app.accounts (created)' >/dev/null
check "18, old: the chain verifies after the update" "0 ok" "$(verifies "$NEW_BIN" old)"
stop "$NEW_BIN" "$BASE/new"

# --- 5. no crash ---------------------------------------------------------------------------
check "no crashed backend" "" \
	"$(grep -hE 'terminated by signal|server process .* was terminated|^TRAP:|PANIC:' "$BASE"/*.log)"
finish

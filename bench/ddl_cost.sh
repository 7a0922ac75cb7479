#!/usr/bin/env bash
# bench/ddl_cost.sh — does the time schemaguard adds to each DDL statement
# grow with the size of the schema?
#
# Builds and installs the extension, creates a throwaway PostgreSQL cluster
# (private Unix socket only, removed on exit) with two databases:
#   empty  one user table, t_1 (the target of the existing-table statements)
#   big    BENCH_TABLES tables t_1 .. t_N of the same shape
#          (id bigint PRIMARY KEY, a int, b text, c timestamptz)
# and measures, alternating configurations in one run:
#   A  schemaguard not in shared_preload_libraries, extension not created
#   B  shared_preload_libraries = 'schemaguard', CREATE EXTENSION schemaguard
#      in both databases (guard and changelog on, the defaults)
# a DDL-only pgbench transaction at one client (10 DDL statements: 4 on a
# table created in the transaction, 6 on an existing table t_:n picked at
# random among the database's tables; all of them are inspected by the guard
# and allowed, two of them through SET LOCAL schemaguard.allow). Rounds run
# A then B, or B then A in even rounds; the server is restarted for every
# configuration; all runs on one database do the same number of transactions.
#
# Per transaction it records pgbench's average latency and the CPU time
# (user + system, and user alone) of the server process that ran it, then
#   added(db) = median(B, db) - median(A, db)
#   ratio     = added(big) / added(empty)          goal: <= 1.20
#
# Environment:
#   BENCH_ROUNDS   rounds (one A and one B run per database each)   default 3
#   BENCH_SECONDS  length of a run: the warm-up runs this long, and   default 15
#                  every measured run on a database does as many
#                  transactions as its warm-up did
#   BENCH_TABLES   tables in the "big" database                     default 10000
#   BENCH_KEEP     1 = keep the cluster directory on exit           default 0
#   PG_CONFIG      default /usr/lib/postgresql/15/bin/pg_config
#   TMPDIR         where the cluster directory is created           default /tmp
#                  (TMPDIR=/dev/shm takes the file system out of the numbers)
#
# Results: printed and written to bench/results/ddl_cost-latest.txt (and a
# dated copy). Meant to run as root (the server runs as the "postgres" OS
# user); as another user everything runs as that user.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RESULTS_DIR=$REPO/bench/results

ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_PER_RUN=${BENCH_SECONDS:-15}
NTABLES=${BENCH_TABLES:-10000}
KEEP=${BENCH_KEEP:-0}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
GOAL=1.20
DDL_PER_XACT=10

for v in ROUNDS SECONDS_PER_RUN NTABLES; do
	if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
		echo "ddl_cost: $v must be a positive integer (got '${!v}')" >&2
		exit 2
	fi
done
if [ ! -x "$PG_CONFIG" ]; then
	echo "ddl_cost: pg_config not found at $PG_CONFIG (set PG_CONFIG)" >&2
	exit 2
fi
PG_BINDIR=$("$PG_CONFIG" --bindir)
export PATH="$PG_BINDIR:$PATH"

COMMAND_LINE="BENCH_ROUNDS=$ROUNDS BENCH_SECONDS=$SECONDS_PER_RUN BENCH_TABLES=$NTABLES bash bench/ddl_cost.sh"
[ -n "${TMPDIR:-}" ] && COMMAND_LINE="TMPDIR=$TMPDIR $COMMAND_LINE"

log() { printf '[ddl_cost %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- build and install ----------------------------------------------------

log "building and installing schemaguard ($PG_CONFIG)"
# objects built for another server are cleaned first
PG_CONFIG="$PG_CONFIG" bash "$REPO/test/build.sh" >/dev/null

GIT_REV=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$REPO" status --porcelain -- src sql schemaguard.control Makefile 2>/dev/null)" ]; then
	GIT_REV="$GIT_REV (working tree has uncommitted changes in src/ sql/ or build files)"
fi

# --- throwaway cluster ------------------------------------------------------

if [ "$(id -u)" -eq 0 ]; then
	as_pg() { runuser -u postgres -- "$@"; }
else
	as_pg() { "$@"; }
fi

BASE=$(mktemp -d "${TMPDIR:-/tmp}/schemaguard-ddlcost.XXXXXX")
PGDATA_DIR=$BASE/data
SOCK=$BASE/sock
SERVER_LOG=$BASE/server.log
mkdir "$SOCK" "$BASE/out"

# a file descriptor nothing is ever written to: "read -t" on it is a sleep
# without starting a process
mkfifo "$BASE/sleep.fifo"
exec {SLEEP_FD}<>"$BASE/sleep.fifo"
CLK_TCK=$(getconf CLK_TCK)
if [ "$(id -u)" -eq 0 ]; then
	chown postgres:postgres "$BASE" "$SOCK"
fi

cleanup() {
	local rc=$?
	if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
		(cd "$BASE" && as_pg pg_ctl -D "$PGDATA_DIR" -m immediate -w stop) >/dev/null 2>&1 || true
	fi
	if [ "$rc" -ne 0 ] && [ -f "$SERVER_LOG" ]; then
		echo "--- last lines of the server log ---" >&2
		tail -n 30 "$SERVER_LOG" >&2 || true
	fi
	if [ "$KEEP" = 1 ]; then
		echo "ddl_cost: cluster kept in $BASE" >&2
	else
		rm -rf "$BASE"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server runs from a private copy of the PostgreSQL installation, taken
# right after the install above (PostgreSQL finds its lib and share
# directories relative to its binaries). Other sessions may "make install"
# another build while this runs; the copy keeps every configuration B of the
# run on the build measured here.
INST=$BASE/pg
PG_PKGLIBDIR=$("$PG_CONFIG" --pkglibdir)
PG_SHAREDIR=$("$PG_CONFIG" --sharedir)
for d in "$PG_BINDIR" "$PG_PKGLIBDIR" "$PG_SHAREDIR"; do
	[ -d "$INST$d" ] && continue
	mkdir -p "$INST$(dirname "$d")"
	cp -a "$d" "$INST$d"
done
for f in "$REPO/schemaguard.so" "$REPO/schemaguard.control" "$REPO"/sql/schemaguard--*.sql; do
	case $f in
		*.so) dest=$INST$PG_PKGLIBDIR ;;
		*) dest=$INST$PG_SHAREDIR/extension ;;
	esac
	if ! cmp -s "$f" "$dest/${f##*/}"; then
		echo "ddl_cost: ${f##*/} changed between 'make install' and the copy (another install?); rerun" >&2
		exit 1
	fi
done
SO_SUM=$(sha256sum "$INST$PG_PKGLIBDIR/schemaguard.so" | cut -c1-16)
export PATH="$INST$PG_BINDIR:$PATH"

# A free port. The server listens only on a socket in a private directory, so
# the port only names the socket; still skip ports someone listens on.
pick_port() {
	local p i
	for i in $(seq 1 100); do
		p=$((20000 + RANDOM % 40000))
		if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	echo 54331
}
PORT=$(pick_port)

log "creating cluster in $BASE (port $PORT)"
# --no-sync only skips initdb's own final flush; the server runs with fsync on.
(cd "$BASE" && as_pg initdb --pgdata="$PGDATA_DIR" --username=postgres --auth=trust \
	--encoding=UTF8 --locale=C --no-sync) >"$BASE/initdb.log" 2>&1 || {
	cat "$BASE/initdb.log" >&2
	exit 1
}
as_pg tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null <<EOF

# --- schemaguard DDL cost benchmark cluster (bench/ddl_cost.sh) ---
# Defaults otherwise: fsync, synchronous_commit, full_page_writes on.
listen_addresses = ''
port = $PORT
unix_socket_directories = '$SOCK'
shared_buffers = 256MB
# The catalogs are vacuumed before every run instead, so that an autovacuum
# pass over 10,000 tables does not land in some runs and not in others.
autovacuum = off
include = 'bench_preload.conf'
EOF

set_config() { # A|B
	local spl=''
	[ "$1" = B ] && spl='schemaguard'
	echo "shared_preload_libraries = '$spl'" | as_pg tee "$PGDATA_DIR/bench_preload.conf" >/dev/null
}

server_start() {
	(cd "$BASE" && as_pg pg_ctl -D "$PGDATA_DIR" -l "$SERVER_LOG" -w -t 120 start) >/dev/null
}
server_stop() {
	(cd "$BASE" && as_pg pg_ctl -D "$PGDATA_DIR" -m fast -w -t 300 stop) >/dev/null
}

PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U postgres)
PGBENCH=(pgbench -h "$SOCK" -p "$PORT" -U postgres)
DBS=(empty big)
declare -A DB_TABLES=([empty]=1 [big]=$NTABLES)

# --- the workload ---------------------------------------------------------
#
# One transaction = 10 DDL statements, all inspected by the guard and allowed:
#   on a table created in the transaction (the "created in this transaction"
#   exemption): CREATE TABLE, ALTER TABLE ADD COLUMN, CREATE INDEX, DROP TABLE;
#   on an existing table t_:n, n random in 1..:ntables (size checks, relcache
#   and catalog lookups on the big catalog): ALTER COLUMN SET DEFAULT,
#   COMMENT ON TABLE, CREATE INDEX + DROP INDEX (small table: allowed; the
#   guard applies schemaguard.lock_timeout), and two RENAME COLUMNs that
#   violate rename_column and are let through by schemaguard.allow (logged).
# Nothing accumulates on t_:n from one transaction to the next (no ADD/DROP
# COLUMN: dropped columns would count towards the 1600-column limit of t_1).
# With schemaguard every statement becomes a changelog row at commit.
WORKLOAD=$BASE/ddl_cost.sql
cat >"$WORKLOAD" <<'EOF'
\set id random(1, 999999999)
\set n random(1, :ntables)
BEGIN;
CREATE TABLE sg_cost_:id (a int, b int);
ALTER TABLE sg_cost_:id ADD COLUMN c int NOT NULL DEFAULT 0;
CREATE INDEX ON sg_cost_:id (a);
DROP TABLE sg_cost_:id;
ALTER TABLE t_:n ALTER COLUMN a SET DEFAULT 0;
COMMENT ON TABLE t_:n IS 'ddl_cost';
CREATE INDEX sg_cost_probe ON t_:n (a);
DROP INDEX sg_cost_probe;
SET LOCAL schemaguard.allow = 'rename_column';
ALTER TABLE t_:n RENAME COLUMN b TO b_renamed;
ALTER TABLE t_:n RENAME COLUMN b_renamed TO b;
COMMIT;
EOF
chmod 644 "$WORKLOAD"

# Make the running server configuration $1 in both databases and check it.
GUARD_CHECK="not run"
prepare_config() {
	local cfg=$1 spl db out
	spl=$("${PSQL[@]}" -d postgres -Atc "SHOW shared_preload_libraries")
	for db in "${DBS[@]}"; do
		if [ "$cfg" = A ]; then
			[ -z "$spl" ] || { echo "ddl_cost: config A but shared_preload_libraries='$spl'" >&2; exit 1; }
			"${PSQL[@]}" -d "$db" -c "SET client_min_messages = warning" \
				-c "DROP EXTENSION IF EXISTS schemaguard CASCADE"
		else
			[ "$spl" = schemaguard ] || { echo "ddl_cost: config B but shared_preload_libraries='$spl'" >&2; exit 1; }
			# a fresh extension, so every B run starts with an empty changelog
			"${PSQL[@]}" -d "$db" -c "SET client_min_messages = warning" \
				-c "DROP EXTENSION IF EXISTS schemaguard CASCADE" -c "CREATE EXTENSION schemaguard"
			# Is the guard live? Renaming a column of an existing table must be
			# refused by rename_column; is the changelog on?
			if out=$("${PSQL[@]}" -d "$db" 2>&1 <<-'SQL'
				BEGIN;
				ALTER TABLE t_1 RENAME COLUMN b TO b_check;
				ROLLBACK;
				SQL
			); then
				GUARD_CHECK="NOT ACTIVE in $db: a column rename on t_1 was allowed"
				log "WARNING: guard check: $GUARD_CHECK"
			elif grep -q rename_column <<<"$out"; then
				[[ $GUARD_CHECK == NOT* || $GUARD_CHECK == unexpected* ]] ||
					GUARD_CHECK="active (RENAME COLUMN on t_1 refused by rename_column)"
			else
				GUARD_CHECK="unexpected in $db: $(head -n 1 <<<"$out")"
				log "WARNING: guard check: $GUARD_CHECK"
			fi
			CHANGELOG_SETTING=$("${PSQL[@]}" -d "$db" -Atc "SHOW schemaguard.changelog")
		fi
	done
}

# Same starting point for every run: vacuumed catalogs (the workload leaves
# dead catalog rows; autovacuum is off) and a fresh checkpoint.
# schemaguard.changelog is left alone: in B it was just created and is empty,
# as after a real CREATE EXTENSION.
pre_run() {
	local db=$1
	"${PSQL[@]}" -d "$db" -Atc "SELECT format('VACUUM %s;', c.oid::regclass)
		FROM pg_class c
		WHERE c.relkind = 'r' AND c.relnamespace = 'pg_catalog'::regnamespace
		ORDER BY 1" >"$BASE/out/vacuum-$db.sql"
	"${PSQL[@]}" -d "$db" -f "$BASE/out/vacuum-$db.sql" -c "CHECKPOINT"
}

# run_pgbench NAME DB LENGTH: one client, LENGTH = -T <seconds> (warm-up) or
# -t <transactions> (measured runs); prints the average latency
# in ms. pgbench's per-statement latencies (-r) stay in $BASE/out/NAME.txt.
#
# Also writes $BASE/out/NAME.cpu: the CPU time (user and system, ms) of the
# server process that ran the workload, read from /proc/<pid>/stat every
# 20 ms while it lives (the last reading is at most 20 ms before it exits;
# the backend's start-up, a few ms, is included).
# On a busy machine wall-clock latency includes time spent waiting for a
# CPU; CPU time does not.
run_pgbench() {
	local name=$1 db=$2 out lat bpid backend="" stat="" line rc=0 seen=0
	shift 2
	out=$BASE/out/$name.txt
	"${PGBENCH[@]}" -n -r -c 1 -j 1 "$@" \
		-D ntables="${DB_TABLES[$db]}" -f "$WORKLOAD" "$db" >"$out" 2>&1 &
	bpid=$!
	# pgbench first opens and closes a connection of its own, then connects
	# the client: follow each new pgbench backend until it exits, and keep
	# the readings of the last one.
	while kill -0 "$bpid" 2>/dev/null; do
		backend=$("${PSQL[@]}" -d postgres -Atc "SELECT pid FROM pg_stat_activity
			WHERE application_name = 'pgbench' AND datname = '$db'
			AND pid NOT IN ($seen) LIMIT 1")
		if [ -z "$backend" ]; then
			read -r -t 0.01 -u "$SLEEP_FD" || true
			continue
		fi
		seen="$seen,$backend"
		stat=""
		while { read -r line <"/proc/$backend/stat"; } 2>/dev/null; do
			[[ $line == "$backend (postgres) "* ]] || break
			stat=$line
			read -r -t 0.02 -u "$SLEEP_FD" || true
		done
	done
	wait "$bpid" || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "ddl_cost: pgbench failed ($name):" >&2
		tail -n 30 "$out" >&2
		exit 1
	fi
	if grep -Eq '^number of failed transactions: [1-9]' "$out"; then
		echo "ddl_cost: pgbench reported failed transactions ($name):" >&2
		tail -n 30 "$out" >&2
		exit 1
	fi
	if grep -Eq '(WARNING|ERROR):' "$out"; then
		echo "ddl_cost: the server sent warnings or errors ($name):" >&2
		grep -E '(WARNING|ERROR):' "$out" | sort | uniq -c | head -n 10 >&2
		exit 1
	fi
	lat=$(sed -nE 's/^latency average = ([0-9.]+) ms$/\1/p' "$out")
	if [ -z "$lat" ]; then
		echo "ddl_cost: no latency in pgbench output ($name):" >&2
		cat "$out" >&2
		exit 1
	fi
	if [ -z "$stat" ]; then
		echo "ddl_cost: could not read the CPU time of the server process ($name; pid ${backend:-not found})" >&2
		exit 1
	fi
	# fields 14 and 15 of /proc/<pid>/stat: utime, stime in clock ticks
	awk -v hz="$CLK_TCK" '{ printf "%.0f %.0f\n", $14 * 1000 / hz, $15 * 1000 / hz }' <<<"$stat" >"$BASE/out/$name.cpu"
	printf '%.3f\n' "$lat"
}

# Per-statement latencies of a run (pgbench -r), one per line, in script order.
stmt_latencies() {
	awk '/^statement latencies in milliseconds/ { on = 1; next }
		on && $1 ~ /^[0-9.]+$/ { print $1 }' "$BASE/out/$1.txt"
}
stmt_texts() {
	awk '/^statement latencies in milliseconds/ { on = 1; next }
		on && $1 ~ /^[0-9.]+$/ && $2 ~ /^[0-9]+$/ { $1 = ""; $2 = ""; sub(/^ +/, ""); print; next }
		on && $1 ~ /^[0-9.]+$/ { $1 = ""; sub(/^ +/, ""); print }' "$BASE/out/$1.txt"
}

median() { # numbers as arguments
	printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {
		if (NR % 2) printf "%.3f", v[(NR+1)/2]; else printf "%.3f", (v[NR/2]+v[NR/2+1])/2 }'
}
sub3() { awk -v b="$1" -v a="$2" 'BEGIN { printf "%.3f", b - a }'; }

# --- the two databases (configuration A) -----------------------------------

set_config A
server_start
PG_VERSION_FULL=$("${PSQL[@]}" -d postgres -Atc "SELECT version()")
"${PSQL[@]}" -d postgres -c "CREATE DATABASE empty" -c "CREATE DATABASE big"

TABLE_DDL="(id bigint PRIMARY KEY, a int, b text, c timestamptz)"
"${PSQL[@]}" -d empty -c "CREATE TABLE t_1 $TABLE_DDL"
log "creating $NTABLES tables in database big"
SETUP_T0=$(date +%s)
# Batches of 500 per transaction (each CREATE TABLE holds its locks until
# commit; 10,000 in one transaction would exhaust the lock table).
"${PSQL[@]}" -d big <<EOF
DO \$\$
BEGIN
	FOR i IN 1..$NTABLES LOOP
		EXECUTE format('CREATE TABLE t_%s $TABLE_DDL', i);
		IF i % 500 = 0 THEN
			COMMIT;
		END IF;
	END LOOP;
END
\$\$;
VACUUM ANALYZE;
EOF
BIG_RELS=$("${PSQL[@]}" -d big -Atc "SELECT count(*) FROM pg_class")
BIG_USER_TABLES=$("${PSQL[@]}" -d big -Atc "SELECT count(*) FROM pg_stat_user_tables")
EMPTY_RELS=$("${PSQL[@]}" -d empty -Atc "SELECT count(*) FROM pg_class")
EMPTY_USER_TABLES=$("${PSQL[@]}" -d empty -Atc "SELECT count(*) FROM pg_stat_user_tables")
BIG_SIZE=$("${PSQL[@]}" -d big -Atc "SELECT pg_size_pretty(pg_database_size('big'))")
log "  done in $(($(date +%s) - SETUP_T0)) s: big has $BIG_USER_TABLES user tables, $BIG_RELS relations in pg_class ($BIG_SIZE)"

# Unmeasured warm-up on both databases: the first DDL runs on a fresh
# cluster are faster than later ones (the catalogs grow to a steady size).
# The warm-up also sets the length of the measured runs: as many
# transactions as it managed in BENCH_SECONDS. Every measured run on a
# database then does the same work, A and B alike. With a fixed duration the
# faster configuration would run more transactions, leave more dead catalog
# rows and new files behind and slow itself down as it goes (on the big
# database, ALTER TABLE ... ADD COLUMN scans all of pg_index).
declare -A NTX=()
for db in "${DBS[@]}"; do
	pre_run "$db"
	log "warm-up (not measured): $db ${SECONDS_PER_RUN}s"
	log "  latency $(run_pgbench "warmup-$db" "$db" -T "$SECONDS_PER_RUN") ms"
	NTX[$db]=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$BASE/out/warmup-$db.txt")
	log "  measured runs on $db: ${NTX[$db]} transactions each"
done
server_stop

# --- measurements -----------------------------------------------------------

declare -A LAT=() CPU=() UCPU=() TXNS=() CHANGELOG_ROWS=()
CHANGELOG_SETTING="?"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
START_TS=$(date -u '+%Y-%m-%d %H:%M:%S UTC')

# Configuration order A,B in odd rounds and B,A in even rounds: the cluster
# drifts during a run (each DDL run leaves the catalogs and the file system a
# little slower, see bench/README.md), and a fixed order would charge that
# drift to whichever configuration always runs second.
for round in $(seq 1 "$ROUNDS"); do
	if [ $((round % 2)) -eq 1 ]; then cfg_order=(A B); else cfg_order=(B A); fi
	for cfg in "${cfg_order[@]}"; do
		set_config "$cfg"
		server_start
		prepare_config "$cfg"
		for db in "${DBS[@]}"; do
			pre_run "$db"
			log "round $round/$ROUNDS config $cfg: $db, ${NTX[$db]} transactions"
			LAT[$cfg,$db,$round]=$(run_pgbench "$cfg-$db-$round" "$db" -t "${NTX[$db]}")
			TXNS[$cfg,$db,$round]=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' \
				"$BASE/out/$cfg-$db-$round.txt")
			read -r cpu_user cpu_sys <"$BASE/out/$cfg-$db-$round.cpu"
			CPU[$cfg,$db,$round]=$(awk -v u="$cpu_user" -v s="$cpu_sys" \
				-v t="${TXNS[$cfg,$db,$round]}" 'BEGIN { printf "%.3f", (u + s) / t }')
			# shellcheck disable=SC2034  # read through "declare -n" in the report
			UCPU[$cfg,$db,$round]=$(awk -v u="$cpu_user" \
				-v t="${TXNS[$cfg,$db,$round]}" 'BEGIN { printf "%.3f", u / t }')
			if [ "$cfg" = B ]; then
				# rows this run wrote (the changelog starts empty, see prepare_config)
				CHANGELOG_ROWS[$db,$round]=$("${PSQL[@]}" -d "$db" -Atc "SELECT count(*) FROM schemaguard.changelog")
			fi
			log "  latency ${LAT[$cfg,$db,$round]} ms, server CPU ${CPU[$cfg,$db,$round]} ms per transaction (${TXNS[$cfg,$db,$round]} transactions)"
		done
		server_stop
	done
done

END_TS=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report -----------------------------------------------------------------

# MED[metric,cfg,db], ADDED[metric,db], RATIO[metric], VERDICT[metric] for
# metric LAT (pgbench latency) and CPU (server CPU time), ms per transaction
declare -A MED=() ADDED=() RATIO=() VERDICT=()
for metric in LAT CPU UCPU; do
	declare -n arr=$metric
	for db in "${DBS[@]}"; do
		for cfg in A B; do
			vals=()
			for r in $(seq 1 "$ROUNDS"); do vals+=("${arr[$cfg,$db,$r]}"); done
			MED[$metric,$cfg,$db]=$(median "${vals[@]}")
		done
		ADDED[$metric,$db]=$(sub3 "${MED[$metric,B,$db]}" "${MED[$metric,A,$db]}")
	done
	unset -n arr
	RATIO[$metric]=$(awk -v b="${ADDED[$metric,big]}" -v e="${ADDED[$metric,empty]}" 'BEGIN {
		if (e > 0) printf "%.2f", b / e; else printf "n/a" }')
	if [ "${RATIO[$metric]}" = n/a ]; then
		VERDICT[$metric]="not computable: the added time on the empty database is not positive (noise larger than the effect?)"
	elif awk -v r="${RATIO[$metric]}" -v g="$GOAL" 'BEGIN { exit !(r <= g) }'; then
		VERDICT[$metric]="met"
	else
		VERDICT[$metric]="NOT met"
	fi
done

# per-statement medians (pgbench -r), for where the added time goes
STMT_FILE=$BASE/out/statements.txt
stmt_texts "A-empty-1" >"$STMT_FILE"
NSTMT=$(wc -l <"$STMT_FILE")
declare -A SMED=()
for db in "${DBS[@]}"; do
	for cfg in A B; do
		for r in $(seq 1 "$ROUNDS"); do
			stmt_latencies "$cfg-$db-$r" >"$BASE/out/stmts-$cfg-$db-$r"
		done
		for i in $(seq 1 "$NSTMT"); do
			vals=()
			for r in $(seq 1 "$ROUNDS"); do
				vals+=("$(sed -n "${i}p" "$BASE/out/stmts-$cfg-$db-$r")")
			done
			SMED[$cfg,$db,$i]=$(median "${vals[@]}")
		done
	done
done

CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
MEM_TOTAL=$(awk '/^MemTotal/ { printf "%.1f GiB", $2/1048576 }' /proc/meminfo)

metric_table() { # metric title
	local metric=$1 db cfg r
	declare -n arr=$metric
	printf '%-30s' "$2"
	for r in $(seq 1 "$ROUNDS"); do printf ' %8s' "run$r"; done
	printf ' | %8s\n' "median"
	for db in "${DBS[@]}"; do
		for cfg in A B; do
			printf '%-30s' "  $db $cfg"
			for r in $(seq 1 "$ROUNDS"); do printf ' %8s' "${arr[$cfg,$db,$r]}"; done
			printf ' | %8s\n' "${MED[$metric,$cfg,$db]}"
		done
		printf '%-30s' "  $db added (B-A)"
		for r in $(seq 1 "$ROUNDS"); do printf ' %8s' "$(sub3 "${arr[B,$db,$r]}" "${arr[A,$db,$r]}")"; done
		printf ' | %8s\n' "${ADDED[$metric,$db]}"
	done
}
metric_summary() { # metric label
	local metric=$1 db
	for db in "${DBS[@]}"; do
		printf '%s added per DDL transaction, %-5s: %7s ms = %6s ms per statement (A %s -> B %s ms, %+.0f%%)\n' \
			"$2" "$db" "${ADDED[$metric,$db]}" \
			"$(awk -v a="${ADDED[$metric,$db]}" -v n="$DDL_PER_XACT" 'BEGIN { printf "%.3f", a / n }')" \
			"${MED[$metric,A,$db]}" "${MED[$metric,B,$db]}" \
			"$(awk -v b="${MED[$metric,B,$db]}" -v a="${MED[$metric,A,$db]}" 'BEGIN { print (b / a - 1) * 100 }')"
	done
	echo "$2 ratio added(big) / added(empty): ${RATIO[$metric]}   (goal <= $GOAL: ${VERDICT[$metric]})"
}

mkdir -p "$RESULTS_DIR"
REPORT=$RESULTS_DIR/ddl_cost-latest.txt
{
	echo "schemaguard DDL cost vs. schema size"
	echo "===================================="
	echo "command:     $COMMAND_LINE"
	echo "date:        $START_TS .. $END_TS"
	echo "postgresql:  $PG_VERSION_FULL"
	echo "machine:     nproc=$(nproc), CPU: ${CPU_MODEL:-unknown}, RAM: $MEM_TOTAL, kernel $(uname -r)"
	echo "load avg:    start $LOAD_START, end $LOAD_END (1/5/15 min; other work on the machine skews results)"
	echo "schemaguard: git $GIT_REV at build time; schemaguard.so sha256 $SO_SUM (server run from a private"
	echo "             copy of the installation taken right after make install)"
	echo "cluster:     in ${BASE%/*} ($(findmnt -n -o FSTYPE -T "$BASE" 2>/dev/null || stat -f -c %T "$BASE")), shared_buffers=256MB,"
	echo "             autovacuum=off (catalogs vacuumed before each run),"
	echo "             everything else default (fsync, synchronous_commit on)"
	echo "databases:   empty = $EMPTY_USER_TABLES user table (t_1), $EMPTY_RELS relations in pg_class"
	echo "             big   = $BIG_USER_TABLES user tables t_1..t_$NTABLES (id bigint PRIMARY KEY, a int, b text, c timestamptz),"
	echo "                     $BIG_RELS relations in pg_class, $BIG_SIZE"
	echo "configs:     A = no shared_preload_libraries, extension not created"
	echo "             B = shared_preload_libraries='schemaguard' + CREATE EXTENSION schemaguard"
	echo "                 (schemaguard.changelog = $CHANGELOG_SETTING); guard check in B: $GUARD_CHECK"
	echo "             order A,B in odd rounds and B,A in even rounds (empty, then big, in each), server"
	echo "             restarted for every configuration; one unmeasured ${SECONDS_PER_RUN}s warm-up per database first"
	echo "pgbench:     pgbench -n -r -c 1 -j 1 -t <${NTX[empty]}|${NTX[big]}> -D ntables=<1|$NTABLES> -f ddl_cost.sql <empty|big>"
	echo "             (transactions per run: what the warm-up on that database did in ${SECONDS_PER_RUN}s)"
	echo "             one transaction = $DDL_PER_XACT DDL statements (script below)"
	echo "metrics:     latency = pgbench 'latency average' (wall clock, includes waiting for a CPU and for WAL flushes)"
	echo "             server CPU = user+system CPU time of the backend that ran the workload / transactions"
	echo "             user CPU = the user part of it (system time is mostly creating and removing files)"
	echo
	metric_table LAT "latency per transaction, ms"
	echo
	metric_table CPU "server CPU per transaction, ms"
	echo
	metric_table UCPU "  of which user CPU, ms"
	echo
	metric_summary LAT "latency   "
	metric_summary CPU "server CPU"
	metric_summary UCPU "user CPU  "
	echo
	printf 'changelog rows written per transaction in B:'
	for db in "${DBS[@]}"; do
		for r in $(seq 1 "$ROUNDS"); do
			printf ' %s/run%s=%s' "$db" "$r" "$(awk -v c="${CHANGELOG_ROWS[$db,$r]}" -v t="${TXNS[B,$db,$r]}" \
				'BEGIN { if (t > 0) printf "%.1f", c / t; else print "n/a" }')"
		done
	done
	echo
	echo
	echo "per statement latency (pgbench -r), median over rounds, ms:"
	printf '  %-52s %7s %7s %7s | %7s %7s %7s\n' "statement" "A empty" "B empty" "added" "A big" "B big" "added"
	for i in $(seq 1 "$NSTMT"); do
		printf '  %-52.52s %7s %7s %7s | %7s %7s %7s\n' "$(sed -n "${i}p" "$STMT_FILE")" \
			"${SMED[A,empty,$i]}" "${SMED[B,empty,$i]}" "$(sub3 "${SMED[B,empty,$i]}" "${SMED[A,empty,$i]}")" \
			"${SMED[A,big,$i]}" "${SMED[B,big,$i]}" "$(sub3 "${SMED[B,big,$i]}" "${SMED[A,big,$i]}")"
	done
	echo "  (COMMIT includes writing the changelog rows at pre-commit in B)"
	echo
	echo "workload (ddl_cost.sql, written by bench/ddl_cost.sh):"
	sed 's/^/  /' "$WORKLOAD"
} >"$REPORT"
cp "$REPORT" "$RESULTS_DIR/ddl_cost-$(date -u +%Y%m%dT%H%M%SZ).txt"

echo
cat "$REPORT"
echo
echo "written to ${REPORT#"$REPO"/}"

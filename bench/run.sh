#!/usr/bin/env bash
# bench/run.sh — throughput cost of having schemaguard loaded.
#
# Builds and installs the extension, creates a throwaway PostgreSQL cluster
# (private Unix socket only, removed on exit) and measures, alternating
# configurations in one run:
#   A  schemaguard not in shared_preload_libraries, extension not created
#   B  shared_preload_libraries = 'schemaguard', CREATE EXTENSION schemaguard
# with two workloads: pgbench's built-in TPC-B and bench/ddl.sql (DDL that the
# guard inspects but allows). Order: A, B, A, B, ... for BENCH_ROUNDS rounds,
# the server restarted for every configuration.
#
# Environment:
#   BENCH_ROUNDS   rounds (one A and one B run per workload each)   default 3
#   BENCH_SECONDS  seconds per pgbench run                          default 20
#   BENCH_CLIENTS  pgbench clients (-c)                             default 4
#   BENCH_JOBS     pgbench threads (-j)                             default 2
#   BENCH_SCALE    pgbench -i scale factor                          default 10
#   BENCH_KEEP     1 = keep the cluster directory on exit           default 0
#   PG_CONFIG      default /usr/lib/postgresql/15/bin/pg_config
#
# Results: printed and written to bench/results/latest.txt (and a dated copy).
# Meant to run as root (the server runs as the "postgres" OS user); as another
# user everything runs as that user.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=$REPO/bench
RESULTS_DIR=$BENCH_DIR/results

ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_PER_RUN=${BENCH_SECONDS:-20}
CLIENTS=${BENCH_CLIENTS:-4}
JOBS=${BENCH_JOBS:-2}
SCALE=${BENCH_SCALE:-10}
KEEP=${BENCH_KEEP:-0}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
GOAL=0.97

for v in ROUNDS SECONDS_PER_RUN CLIENTS JOBS SCALE; do
	if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
		echo "bench: $v must be a positive integer (got '${!v}')" >&2
		exit 2
	fi
done
if [ ! -x "$PG_CONFIG" ]; then
	echo "bench: pg_config not found at $PG_CONFIG (set PG_CONFIG)" >&2
	exit 2
fi
PG_BINDIR=$("$PG_CONFIG" --bindir)
export PATH="$PG_BINDIR:$PATH"

COMMAND_LINE="BENCH_ROUNDS=$ROUNDS BENCH_SECONDS=$SECONDS_PER_RUN BENCH_CLIENTS=$CLIENTS BENCH_JOBS=$JOBS BENCH_SCALE=$SCALE bash bench/run.sh"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- build and install ----------------------------------------------------

log "building and installing schemaguard ($PG_CONFIG)"
# objects built for another server are cleaned first
PG_CONFIG="$PG_CONFIG" bash "$REPO/test/build.sh" >/dev/null

# --- throwaway cluster ------------------------------------------------------

if [ "$(id -u)" -eq 0 ]; then
	as_pg() { runuser -u postgres -- "$@"; }
else
	as_pg() { "$@"; }
fi

BASE=$(mktemp -d "${TMPDIR:-/tmp}/schemaguard-bench.XXXXXX")
PGDATA_DIR=$BASE/data
SOCK=$BASE/sock
SERVER_LOG=$BASE/server.log
mkdir "$SOCK" "$BASE/out"
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
		echo "bench: cluster kept in $BASE" >&2
	else
		rm -rf "$BASE"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
	echo 54329
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

# --- schemaguard benchmark cluster (bench/run.sh) ---
# Defaults otherwise: fsync, synchronous_commit, full_page_writes, autovacuum on.
listen_addresses = ''
port = $PORT
unix_socket_directories = '$SOCK'
shared_buffers = 256MB
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
DB=bench

# Make the running server configuration $1 and check that it is what we think.
prepare_config() {
	local cfg=$1 spl
	spl=$("${PSQL[@]}" -d "$DB" -Atc "SHOW shared_preload_libraries")
	if [ "$cfg" = A ]; then
		[ -z "$spl" ] || { echo "bench: config A but shared_preload_libraries='$spl'" >&2; exit 1; }
		"${PSQL[@]}" -d "$DB" -c "SET client_min_messages = warning" -c "DROP EXTENSION IF EXISTS schemaguard CASCADE"
	else
		[ "$spl" = schemaguard ] || { echo "bench: config B but shared_preload_libraries='$spl'" >&2; exit 1; }
		"${PSQL[@]}" -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS schemaguard"
		# Is the guard live? A plain CREATE INDEX on pgbench_accounts (well over
		# the default 1MB threshold) must be refused by index_not_concurrent.
		local out
		if out=$("${PSQL[@]}" -d "$DB" 2>&1 <<-'SQL'
			BEGIN;
			CREATE INDEX ON pgbench_accounts (abalance);
			ROLLBACK;
			SQL
		); then
			GUARD_CHECK="NOT ACTIVE: a plain CREATE INDEX on pgbench_accounts was allowed"
			log "WARNING: guard check: $GUARD_CHECK"
		elif grep -q index_not_concurrent <<<"$out"; then
			GUARD_CHECK="active (plain CREATE INDEX on pgbench_accounts refused by index_not_concurrent)"
		else
			GUARD_CHECK="unexpected: $(head -n 1 <<<"$out")"
			log "WARNING: guard check: $GUARD_CHECK"
		fi
	fi
}

# Same starting point for every run: no history rows, vacuumed tables and
# catalogs (the DDL workload leaves dead catalog rows), a fresh checkpoint.
# DELETE rather than TRUNCATE so nothing here is a guarded statement.
pre_run() {
	"${PSQL[@]}" -d "$DB" -c "DELETE FROM pgbench_history" -c "VACUUM" -c "CHECKPOINT"
}

# run_pgbench NAME ARGS...: prints the tps (excluding connection time).
run_pgbench() {
	local name=$1 out tps
	shift
	out=$BASE/out/$name.txt
	if ! "${PGBENCH[@]}" -c "$CLIENTS" -j "$JOBS" -T "$SECONDS_PER_RUN" -n "$@" "$DB" >"$out" 2>&1; then
		echo "bench: pgbench failed ($name):" >&2
		tail -n 20 "$out" >&2
		exit 1
	fi
	if grep -Eq '^number of failed transactions: [1-9]' "$out"; then
		echo "bench: pgbench reported failed transactions ($name):" >&2
		tail -n 20 "$out" >&2
		exit 1
	fi
	tps=$(sed -nE 's/^tps = ([0-9.]+) \(without initial connection time\)/\1/p' "$out")
	if [ -z "$tps" ]; then
		echo "bench: no tps in pgbench output ($name):" >&2
		cat "$out" >&2
		exit 1
	fi
	printf '%.1f\n' "$tps"
}

median() { # numbers as arguments
	printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {
		if (NR % 2) printf "%.1f", v[(NR+1)/2]; else printf "%.1f", (v[NR/2]+v[NR/2+1])/2 }'
}
ratio() { awk -v b="$2" -v a="$1" 'BEGIN { if (a > 0) printf "%.3f", b/a; else printf "n/a" }'; }

# --- initial data (configuration A) ----------------------------------------

set_config A
server_start
PG_VERSION_FULL=$("${PSQL[@]}" -d postgres -Atc "SELECT version()")
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB"
log "pgbench -i -s $SCALE"
"${PGBENCH[@]}" -i -s "$SCALE" -q "$DB" >"$BASE/out/init.txt" 2>&1 || {
	cat "$BASE/out/init.txt" >&2
	exit 1
}
log "  $(grep -E '^done in' "$BASE/out/init.txt" || true)"
"${PSQL[@]}" -d "$DB" -c "CREATE EXTENSION pg_prewarm"
# Unmeasured warm-up of the DDL workload: the first DDL run on a fresh cluster
# is about twice as fast as every later one (the system catalogs and their
# indexes grow to a steady size during the first run), which would favour the
# configuration that runs first.
pre_run
log "warm-up (not measured): DDL ${SECONDS_PER_RUN}s"
log "  tps $(run_pgbench warmup-ddl -f "$BENCH_DIR/ddl.sql")"
server_stop

# --- measurements -----------------------------------------------------------

declare -A TPS_TPCB=() TPS_DDL=()
GUARD_CHECK="not run"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
START_TS=$(date -u '+%Y-%m-%d %H:%M:%S UTC')

for round in $(seq 1 "$ROUNDS"); do
	for cfg in A B; do
		set_config "$cfg"
		server_start
		prepare_config "$cfg"
		# Warm shared_buffers after the restart (the TPC-B data set fits).
		"${PSQL[@]}" -d "$DB" -Atc "SELECT sum(pg_prewarm(c.oid)) FROM pg_class c
			WHERE c.relname LIKE 'pgbench\_%' AND c.relkind IN ('r', 'i')" >/dev/null

		pre_run
		log "round $round/$ROUNDS config $cfg: TPC-B ${SECONDS_PER_RUN}s"
		TPS_TPCB[$cfg,$round]=$(run_pgbench "tpcb-$cfg-$round")
		log "  tps ${TPS_TPCB[$cfg,$round]}"

		pre_run
		log "round $round/$ROUNDS config $cfg: DDL ${SECONDS_PER_RUN}s"
		TPS_DDL[$cfg,$round]=$(run_pgbench "ddl-$cfg-$round" -f "$BENCH_DIR/ddl.sql")
		log "  tps ${TPS_DDL[$cfg,$round]}"

		server_stop
	done
done

END_TS=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report -----------------------------------------------------------------

row() { # label array-name cfg
	local -n arr=$2
	local cfg=$3 vals=() r
	for r in $(seq 1 "$ROUNDS"); do vals+=("${arr[$cfg,$r]}"); done
	printf '%-22s %-3s' "$1" "$cfg"
	printf ' %9s' "${vals[@]}"
	printf ' | %9s\n' "$(median "${vals[@]}")"
}
med_of() { # array-name cfg
	local -n arr=$1
	local vals=() r
	for r in $(seq 1 "$ROUNDS"); do vals+=("${arr[$2,$r]}"); done
	median "${vals[@]}"
}

TPCB_RATIO=$(ratio "$(med_of TPS_TPCB A)" "$(med_of TPS_TPCB B)")
DDL_RATIO=$(ratio "$(med_of TPS_DDL A)" "$(med_of TPS_DDL B)")
if [ "$TPCB_RATIO" != n/a ] && awk -v r="$TPCB_RATIO" -v g="$GOAL" 'BEGIN { exit !(r >= g) }'; then
	VERDICT="met"
else
	VERDICT="NOT met"
fi
GIT_REV=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$REPO" status --porcelain -- src sql schemaguard.control Makefile 2>/dev/null)" ]; then
	GIT_REV="$GIT_REV (working tree has uncommitted changes in src/ sql/ or build files)"
fi
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
MEM_TOTAL=$(awk '/^MemTotal/ { printf "%.1f GiB", $2/1048576 }' /proc/meminfo)

mkdir -p "$RESULTS_DIR"
REPORT=$RESULTS_DIR/latest.txt
{
	echo "schemaguard benchmark"
	echo "====================="
	echo "command:     $COMMAND_LINE"
	echo "date:        $START_TS .. $END_TS"
	echo "postgresql:  $PG_VERSION_FULL"
	echo "machine:     nproc=$(nproc), CPU: ${CPU_MODEL:-unknown}, RAM: $MEM_TOTAL, kernel $(uname -r)"
	echo "load avg:    start $LOAD_START, end $LOAD_END (1/5/15 min; other work on the machine skews results)"
	echo "schemaguard: git $GIT_REV"
	echo "cluster:     shared_buffers=256MB, everything else default (fsync, synchronous_commit, autovacuum on)"
	echo "configs:     A = no shared_preload_libraries, extension not created"
	echo "             B = shared_preload_libraries='schemaguard' + CREATE EXTENSION schemaguard"
	echo "             order A,B per round, server restarted for every configuration; guard check in B: $GUARD_CHECK"
	echo "before each run: DELETE FROM pgbench_history; VACUUM; CHECKPOINT (tables prewarmed after each restart;"
	echo "             one unmeasured DDL warm-up run of ${SECONDS_PER_RUN}s after pgbench -i)"
	echo "pgbench:     -i -s $SCALE (once); TPC-B: pgbench -c $CLIENTS -j $JOBS -T $SECONDS_PER_RUN -n"
	echo "             DDL:   pgbench -c $CLIENTS -j $JOBS -T $SECONDS_PER_RUN -n -f bench/ddl.sql"
	echo
	printf '%-22s %-3s' "tps" "cfg"
	for r in $(seq 1 "$ROUNDS"); do printf ' %9s' "run$r"; done
	printf ' | %9s\n' "median"
	row "TPC-B" TPS_TPCB A
	row "TPC-B" TPS_TPCB B
	row "DDL (bench/ddl.sql)" TPS_DDL A
	row "DDL (bench/ddl.sql)" TPS_DDL B
	echo
	echo "TPC-B median ratio B/A: $TPCB_RATIO   (goal >= $GOAL: $VERDICT)"
	echo "DDL   median ratio B/A: $DDL_RATIO"
} >"$REPORT"
cp "$REPORT" "$RESULTS_DIR/$(date -u +%Y%m%dT%H%M%SZ).txt"

echo
cat "$REPORT"
echo
echo "written to ${REPORT#"$REPO"/}"

#!/usr/bin/env bash
# bench/drift.sh — how fast and how large are schemaguard's drift-detection
# functions on a big schema, compared with pg_dump --schema-only?
#
# Creates a throwaway PostgreSQL cluster (private Unix socket only, removed on
# exit) with schemaguard preloaded, and one database "drift" with
# CREATE EXTENSION schemaguard and BENCH_TABLES tables t1 .. tN, each with
# 10 columns, a primary key, a foreign key to the previous table, a plain
# index and a two-column partial index, plus N/10 views v1 .. and N/10 SQL
# functions f1 .. (built with schemaguard.changelog and schemaguard.mode off).
#
# Then:
#   - times SELECT schemaguard.take_baseline('bench') once (fresh connection);
#   - stores SELECT schemaguard.export_manifest() in bench.manifest (m);
#   - makes five schema changes after the baseline (two recorded in the
#     changelog, three with the changelog off), so that drift() has rows;
#   - one unmeasured warm-up pass, then BENCH_ROUNDS rounds, each timing
#       pg_dump --schema-only -f /dev/null        (wall clock, max RSS)
#       SELECT schemaguard.fingerprint()
#       SELECT count(*) FROM schemaguard.drift()
#       SELECT length(schemaguard.export_manifest()::text)
#       SELECT count(*) FROM schemaguard.compare(m, m)
#       SELECT count(*) FROM schemaguard.compare(m)
#     (order reversed in even rounds); before each item the script waits
#     until the server's processes are back to those of an idle server (a
#     backend goes on freeing memory after its client has gone, and a
#     parallel worker may still be ending). Each SQL function runs in a new psql
#     session: the first call is "fresh connection" (cold backend caches),
#     the second "same session" (warm caches). Both are timed inside the
#     server with clock_timestamp() around an EXECUTE, so connection set-up
#     and sending the result are not counted. Around the first call the
#     backend reads its own /proc/self/status: peak RSS growth (VmHWM), and
#     how much of that is shared memory (RssShmem: shared_buffers pages the
#     backend mapped for the first time) or files (RssFile).
#
# Reports medians and
#   pg_dump / fingerprint    goal >= 30
#   drift / fingerprint      goal <= 2
#
# Environment:
#   BENCH_ROUNDS   measured rounds                                  default 5
#   BENCH_TABLES   tables; views and functions = tables / 10        default 10000
#                  (at least 10; BENCH_TABLES=500 is a quick smoke test)
#   BENCH_KEEP     1 = keep the cluster directory on exit           default 0
#   PG_CONFIG      default /usr/lib/postgresql/15/bin/pg_config
#   TMPDIR         where the cluster directory is created           default /tmp
#
# The extension is not built: the script measures what is installed in
# PG_CONFIG's tree (it runs "make install" only if schemaguard.control is not
# installed at all). The server runs from a private copy of the installation
# taken at start, so a "make install" by someone else during the run does not
# change what is measured.
#
# Results: printed and written to bench/results/drift-<timestamp>.txt (and
# bench/results/drift-latest.txt). Meant to run as root (the server runs as
# the "postgres" OS user); as another user everything runs as that user.
# Linux only (/proc).

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RESULTS_DIR=$REPO/bench/results

ROUNDS=${BENCH_ROUNDS:-5}
NTABLES=${BENCH_TABLES:-10000}
KEEP=${BENCH_KEEP:-0}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
GOAL_DUMP_RATIO=30 # pg_dump / fingerprint >= this
GOAL_DRIFT_RATIO=2 # drift / fingerprint <= this

for v in ROUNDS NTABLES; do
	if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
		echo "drift: $v must be a positive integer (got '${!v}')" >&2
		exit 2
	fi
done
if [ "$NTABLES" -lt 10 ]; then
	echo "drift: BENCH_TABLES must be at least 10 (got $NTABLES)" >&2
	exit 2
fi
NVIEWS=$((NTABLES / 10))
if [ ! -x "$PG_CONFIG" ]; then
	echo "drift: pg_config not found at $PG_CONFIG (set PG_CONFIG)" >&2
	exit 2
fi
PG_BINDIR=$("$PG_CONFIG" --bindir)
PG_PKGLIBDIR=$("$PG_CONFIG" --pkglibdir)
PG_SHAREDIR=$("$PG_CONFIG" --sharedir)
export PATH="$PG_BINDIR:$PATH"

COMMAND_LINE="BENCH_ROUNDS=$ROUNDS BENCH_TABLES=$NTABLES bash bench/drift.sh"
[ "$KEEP" = 1 ] && COMMAND_LINE="BENCH_KEEP=1 $COMMAND_LINE"
[ "$PG_CONFIG" != /usr/lib/postgresql/15/bin/pg_config ] && COMMAND_LINE="PG_CONFIG=$PG_CONFIG $COMMAND_LINE"
[ -n "${TMPDIR:-}" ] && COMMAND_LINE="TMPDIR=$TMPDIR $COMMAND_LINE"

log() { printf '[drift %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

TIME_BIN=/usr/bin/time
[ -x "$TIME_BIN" ] || TIME_BIN="" # then pg_dump's max RSS is not reported

# --- the installed extension ------------------------------------------------

if [ ! -f "$PG_SHAREDIR/extension/schemaguard.control" ]; then
	log "schemaguard is not installed in $PG_SHAREDIR: make install"
	PG_CONFIG="$PG_CONFIG" bash "$REPO/test/build.sh" >/dev/null
fi

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

BASE=$(mktemp -d "${TMPDIR:-/tmp}/schemaguard-drift.XXXXXX")
PGDATA_DIR=$BASE/data
SOCK=$BASE/sock
SERVER_LOG=$BASE/server.log
OUT=$BASE/out
mkdir "$SOCK" "$OUT"
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
		echo "drift: cluster kept in $BASE" >&2
	else
		rm -rf "$BASE"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server runs from a private copy of the PostgreSQL installation
# (PostgreSQL finds its lib and share directories relative to its binaries):
# other sessions may "make install" another build of schemaguard while this
# runs.
INST=$BASE/pg
for d in "$PG_BINDIR" "$PG_PKGLIBDIR" "$PG_SHAREDIR"; do
	[ -d "$INST$d" ] && continue
	mkdir -p "$INST$(dirname "$d")"
	cp -a "$d" "$INST$d"
done
SO_FILE=$INST$PG_PKGLIBDIR/schemaguard.so
SO_SUM=$(sha256sum "$SO_FILE" | cut -c1-16)
SO_MTIME=$(date -u -r "$SO_FILE" '+%Y-%m-%d %H:%M:%S UTC')
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
	echo 54332
}
PORT=$(pick_port)

# pg_dump --schema-only takes an ACCESS SHARE lock on every table, and the
# drift functions may open every relation: make the lock table hold several
# locks per relation (slots = max_locks_per_transaction * max_connections).
MAX_LOCKS=$((NTABLES * 6 / 100))
[ "$MAX_LOCKS" -lt 128 ] && MAX_LOCKS=128

log "creating cluster in $BASE (port $PORT)"
(cd "$BASE" && as_pg initdb --pgdata="$PGDATA_DIR" --username=postgres --auth=trust \
	--encoding=UTF8 --locale=C --no-sync) >"$BASE/initdb.log" 2>&1 || {
	cat "$BASE/initdb.log" >&2
	exit 1
}
as_pg tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null <<EOF

# --- schemaguard drift benchmark cluster (bench/drift.sh) ---
listen_addresses = ''
port = $PORT
unix_socket_directories = '$SOCK'
shared_preload_libraries = 'schemaguard'
# large enough to hold all the catalogs: the measured calls read them from
# shared buffers, not from disk
shared_buffers = 512MB
max_locks_per_transaction = $MAX_LOCKS
autovacuum = off
# Only the schema build and take_baseline write; the measured calls read.
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 4GB
lc_messages = 'C'
EOF

(cd "$BASE" && as_pg pg_ctl -D "$PGDATA_DIR" -l "$SERVER_LOG" -w -t 120 start) >/dev/null

PSQL=(env PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1
	-h "$SOCK" -p "$PORT" -U postgres)
DB=drift

PG_VERSION_FULL=$("${PSQL[@]}" -d postgres -Atc "SELECT version()")
PG_SETTINGS=$("${PSQL[@]}" -d postgres -Atc "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
	FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'jit', 'max_locks_per_transaction')")
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB"
"${PSQL[@]}" -d "$DB" -c "CREATE EXTENSION schemaguard"
EXT_VERSION=$("${PSQL[@]}" -d "$DB" -Atc "SELECT extversion FROM pg_extension WHERE extname = 'schemaguard'")

# Which of the drift functions does the installed extension have? has_fn NAME
# NARGS: a function schemaguard.NAME callable with NARGS arguments.
has_fn() {
	[ "$("${PSQL[@]}" -d "$DB" -Atc "SELECT EXISTS (SELECT FROM pg_proc
		WHERE pronamespace = 'schemaguard'::regnamespace AND proname = '$1'
		AND pronargs >= $2 AND pronargs - pronargdefaults <= $2)")" = t ]
}
declare -A HAVE=()
MISSING=()
for spec in fingerprint:0 take_baseline:1 drift:0 export_manifest:0 compare:1 compare:2; do
	if has_fn "${spec%:*}" "${spec#*:}"; then
		HAVE[$spec]=1
	else
		HAVE[$spec]=0
		MISSING+=("schemaguard.${spec%:*}() with ${spec#*:} argument(s)")
	fi
done
MISSING_TEXT=""
if [ "${#MISSING[@]}" -gt 0 ]; then
	MISSING_TEXT=$(printf '%s, ' "${MISSING[@]}")
	MISSING_TEXT=${MISSING_TEXT%, }
	log "WARNING: the installed extension ($EXT_VERSION) lacks $MISSING_TEXT; those measurements are skipped"
fi

# --- helpers in schema "bench" (created before the baseline, so they are part
# of it and not drift) ---------------------------------------------------------

"${PSQL[@]}" -d "$DB" <<'EOF'
SET schemaguard.changelog = off;
CREATE SCHEMA bench;
-- time one query inside the server; its single value comes back as text
CREATE FUNCTION bench.time_ms(query text, OUT ms numeric, OUT result text)
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
BEGIN
	t0 := clock_timestamp();
	EXECUTE query INTO result;
	ms := round(extract(epoch FROM clock_timestamp() - t0) * 1000, 3);
END
$$;
-- this backend's memory, kB, from /proc/self/status (plpgsql: so that the
-- plpgsql library is loaded before the first reading)
CREATE FUNCTION bench.proc_status(OUT vmhwm bigint, OUT rss_anon bigint,
	OUT rss_shmem bigint, OUT rss_file bigint)
LANGUAGE plpgsql AS $$
DECLARE
	s text := pg_read_file('/proc/self/status');
BEGIN
	vmhwm := (regexp_match(s, 'VmHWM:\s+(\d+) kB'))[1];
	rss_anon := (regexp_match(s, 'RssAnon:\s+(\d+) kB'))[1];
	rss_shmem := (regexp_match(s, 'RssShmem:\s+(\d+) kB'))[1];
	rss_file := (regexp_match(s, 'RssFile:\s+(\d+) kB'))[1];
END
$$;
CREATE TABLE bench.manifest (m jsonb);
EOF

# --- the schema ---------------------------------------------------------------

log "building the schema: $NTABLES tables, $NVIEWS views, $NVIEWS functions"
BUILD_T0=$(date +%s)
# Commits every 500 tables: each CREATE holds its locks until commit.
env PGOPTIONS="-c client_min_messages=warning -c schemaguard.changelog=off -c schemaguard.mode=off" \
	psql -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U postgres -d "$DB" <<EOF
DO \$\$
DECLARE i int;
BEGIN
  FOR i IN 1..$NTABLES LOOP
    EXECUTE format('CREATE TABLE public.t%s (id bigint PRIMARY KEY, parent_id bigint, c1 text NOT NULL DEFAULT %L, c2 integer, c3 numeric(12,2), c4 timestamptz DEFAULT now(), c5 boolean, c6 varchar(40), c7 jsonb, c8 bigint)', i, 'x');
    IF i > 1 THEN
      EXECUTE format('ALTER TABLE public.t%s ADD CONSTRAINT t%s_parent_fk FOREIGN KEY (parent_id) REFERENCES public.t%s (id)', i, i, i - 1);
    END IF;
    EXECUTE format('CREATE INDEX t%s_c2_idx ON public.t%s (c2)', i, i);
    EXECUTE format('CREATE INDEX t%s_c4_c8_idx ON public.t%s (c4, c8) WHERE c5', i, i);
    IF i <= $NVIEWS THEN
      EXECUTE format('CREATE VIEW public.v%s AS SELECT id, c1, c2 FROM public.t%s WHERE c5', i, i);
      EXECUTE format('CREATE FUNCTION public.f%s(a integer, b text) RETURNS text LANGUAGE sql STABLE AS %L', i, format('SELECT b || a::text || (SELECT count(*) FROM public.t%s)::text', i));
    END IF;
    IF i % 500 = 0 THEN COMMIT; END IF;
  END LOOP;
END \$\$;
EOF
BUILD_SECS=$(($(date +%s) - BUILD_T0))
log "  built in $BUILD_SECS s; VACUUM ANALYZE"
"${PSQL[@]}" -d "$DB" -c "VACUUM ANALYZE" -c "CHECKPOINT"
DB_STATS=$("${PSQL[@]}" -d "$DB" -Atc "SELECT format('%s relations in pg_class (%s tables, %s indexes, %s views), %s constraints, %s functions in public, %s rows in pg_attribute, database %s',
	(SELECT count(*) FROM pg_class),
	(SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace),
	(SELECT count(*) FROM pg_class WHERE relkind = 'i' AND relnamespace = 'public'::regnamespace),
	(SELECT count(*) FROM pg_class WHERE relkind = 'v' AND relnamespace = 'public'::regnamespace),
	(SELECT count(*) FROM pg_constraint WHERE connamespace = 'public'::regnamespace),
	(SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace),
	(SELECT count(*) FROM pg_attribute),
	pg_size_pretty(pg_database_size(current_database())))")
log "  $DB_STATS"

# --- measuring one SQL call ---------------------------------------------------

# run_fn KEY SQL [once]: a new psql session (a fresh backend) that
#   1. calls the timing wrapper once on SELECT 1 (loads plpgsql, compiles the
#      wrappers), reads /proc/self/status                       -> mem0
#   2. runs SQL, timed in the server                            -> cold
#   3. reads /proc/self/status                                  -> mem1
#   4. runs SQL again, timed in the server (not with "once")    -> warm
# Output lines "tag|values..." in $OUT/KEY.txt.
run_fn() {
	local key=$1 sql=$2 warm=""
	[ "${3:-}" = once ] || warm="SELECT 'warm', ms, result FROM bench.time_ms(\$sgq\$$sql\$sgq\$);"
	"${PSQL[@]}" -d "$DB" -At -F'|' >"$OUT/$key.txt" 2>"$OUT/$key.err" <<EOF || {
SELECT 'calib', ms FROM bench.time_ms('SELECT 1');
SELECT 'mem0', * FROM bench.proc_status();
SELECT 'cold', ms, result FROM bench.time_ms(\$sgq\$$sql\$sgq\$);
SELECT 'mem1', * FROM bench.proc_status();
$warm
EOF
		echo "drift: '$sql' failed:" >&2
		cat "$OUT/$key.err" >&2
		exit 1
	}
	if [ -s "$OUT/$key.err" ]; then
		log "  messages from '$sql':"
		sed 's/^/    /' "$OUT/$key.err" >&2
	fi
}
# field KEY TAG N: the Nth field (1 = tag) of the line TAG in $OUT/KEY.txt
field() { awk -F'|' -v t="$2" -v n="$3" '$1 == t { print $n; exit }' "$OUT/$1.txt"; }
# kB -> MB, 1 decimal
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# Records, for function NAME in round R (R = 0: warm-up, not recorded):
# COLD, WARM (ms), RESULT (value of the cold call), DHWM (peak RSS growth
# over the cold call), DSHM (RssShmem growth), PRIV (DHWM - DSHM - RssFile
# growth: a lower bound for the peak growth of private memory), RETAINED
# (RssAnon growth: private memory still held after the call), all in MB.
declare -A COLD=() WARM=() RESULT=() DHWM=() DSHM=() PRIV=() RETAINED=() CALIB=()
measure_fn() { # NAME R SQL [once]
	local name=$1 r=$2 key="$1-$2"
	run_fn "$key" "$3" "${4:-}"
	[ "$r" -eq 0 ] && return 0
	COLD[$name,$r]=$(field "$key" cold 2)
	WARM[$name,$r]=$(field "$key" warm 2)
	RESULT[$name,$r]=$(field "$key" cold 3)
	# shellcheck disable=SC2034  # read through "local -n" in the report
	CALIB[$name,$r]=$(field "$key" calib 2)
	local h0 a0 s0 f0 h1 a1 s1 f1
	IFS='|' read -r _ h0 a0 s0 f0 < <(grep '^mem0|' "$OUT/$key.txt")
	IFS='|' read -r _ h1 a1 s1 f1 < <(grep '^mem1|' "$OUT/$key.txt")
	DHWM[$name,$r]=$(mb $((h1 - h0)))
	DSHM[$name,$r]=$(mb $((s1 - s0)))
	PRIV[$name,$r]=$(mb $((h1 - h0 - (s1 - s0) - (f1 - f0))))
	# shellcheck disable=SC2034  # read through "local -n" in the report
	RETAINED[$name,$r]=$(mb $((a1 - a0)))
	log "  $name: fresh connection ${COLD[$name,$r]} ms${WARM[$name,$r]:+, same session ${WARM[$name,$r]} ms}, peak RSS +${DHWM[$name,$r]} MB (shared +${DSHM[$name,$r]}, private >= ${PRIV[$name,$r]}); result ${RESULT[$name,$r]:0:60}"
}

# pg_dump --schema-only; DUMP_MS, DUMP_RSS (MB) for round R (R = 0: warm-up,
# writes the dump to a file for its size instead of /dev/null)
declare -A DUMP_MS=() DUMP_RSS=()
DUMP_CMD=(pg_dump --schema-only -h "$SOCK" -p "$PORT" -U postgres -d "$DB")
measure_dump() { # R
	local r=$1 target=/dev/null t0 t1 timecmd=()
	[ "$r" -eq 0 ] && target=$OUT/schema.sql
	[ -n "$TIME_BIN" ] && timecmd=("$TIME_BIN" -f '%M' -o "$OUT/dump-$r.rss")
	t0=$(date +%s%N)
	env -u PGOPTIONS "${timecmd[@]}" "${DUMP_CMD[@]}" -f "$target" 2>"$OUT/dump-$r.err" || {
		echo "drift: pg_dump failed:" >&2
		cat "$OUT/dump-$r.err" >&2
		exit 1
	}
	t1=$(date +%s%N)
	[ "$r" -eq 0 ] && return 0
	DUMP_MS[$r]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')
	if [ -n "$TIME_BIN" ]; then
		DUMP_RSS[$r]=$(mb "$(tail -n 1 "$OUT/dump-$r.rss")")
	else
		DUMP_RSS[$r]=n/a
	fi
	log "  pg_dump: ${DUMP_MS[$r]} ms, max RSS ${DUMP_RSS[$r]} MB"
}

med() { # the median of the numbers on stdin, one per line
	sort -g | awk '{v[NR]=$1} END {
		if (NR == 0) print "n/a"; else if (NR % 2) printf "%.3f", v[(NR+1)/2]; else printf "%.3f", (v[NR/2]+v[NR/2+1])/2 }'
}
med1() { med | awk '{ if ($1 == "n/a") print; else printf "%.1f", $1 }'; }

# --- baseline, manifest, changes after the baseline -------------------------

BASELINE_MS=n/a BASELINE_FP=n/a BASELINE_MEM="" FP_AT_BASELINE=n/a
if [ "${HAVE[take_baseline:1]}" = 1 ]; then
	log "take_baseline('bench')"
	measure_fn take_baseline 1 "SELECT schemaguard.take_baseline('bench')" once
	BASELINE_MS=${COLD[take_baseline,1]}
	BASELINE_FP=${RESULT[take_baseline,1]}
	BASELINE_MEM="peak RSS +${DHWM[take_baseline,1]} MB (shared +${DSHM[take_baseline,1]}, private >= ${PRIV[take_baseline,1]})"
	if [ "${HAVE[fingerprint:0]}" = 1 ]; then
		FP_AT_BASELINE=$("${PSQL[@]}" -d "$DB" -Atc "SELECT schemaguard.fingerprint()")
	fi
fi
MANIFEST_INFO="n/a"
if [ "${HAVE[export_manifest:0]}" = 1 ]; then
	"${PSQL[@]}" -d "$DB" -c "INSERT INTO bench.manifest SELECT schemaguard.export_manifest()"
	MANIFEST_INFO=$("${PSQL[@]}" -d "$DB" -Atc "SELECT format('%s bytes as text, %s bytes stored; top-level keys: %s',
		length(m::text), pg_column_size(m),
		(SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(m) AS k))
		FROM bench.manifest")
fi
SNAPSHOT_INFO=n/a
if has_fn snapshot 0; then
	SNAPSHOT_INFO=$("${PSQL[@]}" -d "$DB" -Atc "SELECT sum(n) || ' objects (' || string_agg(format('%s %s', n, object_type), ', ' ORDER BY n DESC) || ')'
		FROM (SELECT object_type, count(*) AS n FROM schemaguard.snapshot() GROUP BY 1) s" 2>&1 | head -n 1) || true
fi

# Five changes after the baseline (and after m was exported), so that drift()
# and compare(m) have rows: two recorded by the changelog, three made with the
# changelog off (untracked drift). The guard is off for all of them.
log "changes after the baseline"
"${PSQL[@]}" -d "$DB" <<'EOF'
SET schemaguard.mode = off;
ALTER TABLE public.t1 ADD COLUMN bench_extra integer;
CREATE INDEX t2_c6_idx ON public.t2 (c6);
SET schemaguard.changelog = off;
ALTER TABLE public.t3 ALTER COLUMN c2 SET DEFAULT 0;
DROP INDEX public.t4_c2_idx;
CREATE OR REPLACE FUNCTION public.f1(a integer, b text) RETURNS text LANGUAGE sql STABLE
	AS 'SELECT b || a::text';
EOF
CHANGES_TEXT="tracked: ALTER TABLE t1 ADD COLUMN bench_extra integer; CREATE INDEX t2_c6_idx ON t2 (c6)
             untracked (schemaguard.changelog off): ALTER TABLE t3 ALTER COLUMN c2 SET DEFAULT 0;
                        DROP INDEX t4_c2_idx; CREATE OR REPLACE FUNCTION f1 (new body)"
"${PSQL[@]}" -d "$DB" -c "VACUUM ANALYZE" -c "CHECKPOINT"

DRIFT_ROWS="n/a"
if [ "${HAVE[drift:0]}" = 1 ] && [ "${HAVE[take_baseline:1]}" = 1 ]; then
	DRIFT_ROWS=$("${PSQL[@]}" -d "$DB" -Atc "SELECT string_agg(format('%s %s %s (%s)', change, object_type, identity,
		CASE WHEN tracked THEN 'tracked, changelog ' || changelog_ids::text ELSE 'untracked' END), E'\n' ORDER BY object_type, identity)
		FROM schemaguard.drift()")
fi

# --- measurements -------------------------------------------------------------

# NAME|SQL|needs (HAVE keys, space separated)
FUNCS=(
	"fingerprint|SELECT schemaguard.fingerprint()|fingerprint:0"
	"drift|SELECT count(*) FROM schemaguard.drift()|drift:0 take_baseline:1"
	"export_manifest|SELECT length(schemaguard.export_manifest()::text)|export_manifest:0"
	"compare(m,m)|SELECT count(*) FROM bench.manifest, schemaguard.compare(m, m)|compare:2 export_manifest:0"
	"compare(m)|SELECT count(*) FROM bench.manifest, schemaguard.compare(m)|compare:1 export_manifest:0"
)
ITEMS=(pg_dump)
declare -A FN_SQL=()
for f in "${FUNCS[@]}"; do
	IFS='|' read -r name sql needs <<<"$f"
	ok=1
	for n in $needs; do [ "${HAVE[$n]}" = 1 ] || ok=0; done
	if [ "$ok" = 1 ]; then
		ITEMS+=("$name")
		FN_SQL[$name]=$sql
	fi
done

# The postmaster's children when no session is open: the server's own
# processes. A backend goes on after its client has gone, freeing its memory
# and unmapping the shared buffers it mapped (hundreds of MB after some of
# these calls); settle waits for that before the next measurement, so that
# no measurement shares the CPUs with the end of the previous one.
POSTMASTER_PID=$(head -n 1 "$PGDATA_DIR/postmaster.pid")
server_children() { pgrep -c -P "$POSTMASTER_PID" || true; }
settle() {
	local i
	for i in $(seq 1 100); do
		[ "$(server_children)" -le "$IDLE_CHILDREN" ] && break
		sleep 0.02
	done
}
sleep 1
IDLE_CHILDREN=$(server_children)

measure_item() { # ITEM R
	settle
	if [ "$1" = pg_dump ]; then
		measure_dump "$2"
	else
		measure_fn "$1" "$2" "${FN_SQL[$1]}"
	fi
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
START_TS=$(date -u '+%Y-%m-%d %H:%M:%S UTC')

log "warm-up pass (not measured)"
for item in "${ITEMS[@]}"; do measure_item "$item" 0; done
DUMP_SIZE=$(wc -c <"$OUT/schema.sql")
DUMP_LINES=$(wc -l <"$OUT/schema.sql")

for r in $(seq 1 "$ROUNDS"); do
	order=("${ITEMS[@]}")
	if [ $((r % 2)) -eq 0 ]; then
		order=()
		for ((i = ${#ITEMS[@]} - 1; i >= 0; i--)); do order+=("${ITEMS[i]}"); done
	fi
	log "round $r/$ROUNDS: ${order[*]}"
	for item in "${order[@]}"; do measure_item "$item" "$r"; done
done

END_TS=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report -----------------------------------------------------------------

vals_of() { # ARRAY NAME: the values for rounds 1..ROUNDS (NAME "" for DUMP_*)
	local -n arr=$1
	local r
	for r in $(seq 1 "$ROUNDS"); do
		if [ -n "$2" ]; then echo "${arr[$2,$r]}"; else echo "${arr[$r]}"; fi
	done
}
declare -A MED_COLD=() MED_WARM=()
MED_DUMP=$(vals_of DUMP_MS "" | med)
for item in "${ITEMS[@]:1}"; do
	MED_COLD[$item]=$(vals_of COLD "$item" | med)
	MED_WARM[$item]=$(vals_of WARM "$item" | med)
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }
verdict() { # VALUE OP GOAL
	[ "$1" = n/a ] && { echo "n/a"; return; }
	if awk -v v="$1" -v g="$3" -v op="$2" 'BEGIN { exit !(op == ">=" ? v >= g : v <= g) }'; then
		echo "met"
	else
		echo "NOT met"
	fi
}
RATIO_LINES=()
if [ -n "${MED_COLD[fingerprint]:-}" ]; then
	for kind in cold warm; do
		if [ "$kind" = cold ]; then
			fp=${MED_COLD[fingerprint]} dr=${MED_COLD[drift]:-} label="fresh connection"
		else
			fp=${MED_WARM[fingerprint]} dr=${MED_WARM[drift]:-} label="same session"
		fi
		r1=$(ratio "$MED_DUMP" "$fp")
		RATIO_LINES+=("$(printf '%-56s %7s   (goal >= %s: %s)' "pg_dump / fingerprint (fingerprint in $label):" "$r1" "$GOAL_DUMP_RATIO" "$(verdict "$r1" '>=' "$GOAL_DUMP_RATIO")")")
		if [ -n "$dr" ]; then
			r2=$(ratio "$dr" "$fp")
			RATIO_LINES+=("$(printf '%-56s %7s   (goal <= %s: %s)' "drift / fingerprint (both in $label):" "$r2" "$GOAL_DRIFT_RATIO" "$(verdict "$r2" '<=' "$GOAL_DRIFT_RATIO")")")
		fi
	done
else
	RATIO_LINES+=("ratios: n/a (schemaguard.fingerprint() is not in the installed extension)")
fi

FP_VALUES=""
if [ -n "${MED_COLD[fingerprint]:-}" ]; then
	FP_VALUES=$(vals_of RESULT fingerprint | sort -u)
fi

CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
MEM_TOTAL=$(awk '/^MemTotal/ { printf "%.1f GiB", $2/1048576 }' /proc/meminfo)

row() { # LABEL then values; the last is the median
	local label=$1
	shift
	printf '  %-36s' "$label"
	local n=$#
	local i=0 v
	for v in "$@"; do
		i=$((i + 1))
		if [ "$i" -eq "$n" ]; then printf ' | %10s\n' "$v"; else printf ' %10s' "$v"; fi
	done
}

mkdir -p "$RESULTS_DIR"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
REPORT=$RESULTS_DIR/drift-$STAMP.txt
{
	echo "schemaguard drift detection vs. pg_dump --schema-only"
	echo "======================================================"
	echo "command:     $COMMAND_LINE"
	echo "date:        $START_TS .. $END_TS (measurements)"
	echo "postgresql:  $PG_VERSION_FULL"
	echo "machine:     nproc=$(nproc), CPU: ${CPU_MODEL:-unknown}, RAM: $MEM_TOTAL, kernel $(uname -r)"
	echo "load avg:    start $LOAD_START, end $LOAD_END (1/5/15 min; other work on the machine skews results)"
	echo "schemaguard: extension $EXT_VERSION as installed in $PG_SHAREDIR (not built by this script),"
	echo "             schemaguard.so sha256 $SO_SUM, installed $SO_MTIME; repository at git $GIT_REV"
	if [ -n "$MISSING_TEXT" ]; then
		echo "             NOT IN THE INSTALLED EXTENSION (not measured): $MISSING_TEXT"
	fi
	echo "cluster:     in ${BASE%/*} ($(findmnt -n -o FSTYPE -T "$BASE" 2>/dev/null || stat -f -c %T "$BASE")), $PG_SETTINGS,"
	echo "             autovacuum=off, fsync=off (only the build and take_baseline write)"
	echo "schema:      $NTABLES tables t1..t$NTABLES (10 columns, primary key, foreign key to the previous table,"
	echo "             an index on c2, a partial index on (c4, c8) WHERE c5), $NVIEWS views, $NVIEWS SQL functions;"
	echo "             built in $BUILD_SECS s with schemaguard.changelog and mode off; VACUUM ANALYZE after"
	echo "             $DB_STATS"
	echo "             schemaguard.snapshot(): $SNAPSHOT_INFO"
	echo "pg_dump:     pg_dump --schema-only -f /dev/null: $DUMP_SIZE bytes, $DUMP_LINES lines when written to a file"
	echo "baseline:    SELECT schemaguard.take_baseline('bench'), fresh connection: $BASELINE_MS ms${BASELINE_MEM:+, $BASELINE_MEM}"
	echo "             returned $BASELINE_FP"
	echo "             fingerprint() right after it:                            $FP_AT_BASELINE"
	echo "manifest m:  SELECT schemaguard.export_manifest() right after the baseline, stored in bench.manifest: $MANIFEST_INFO"
	echo "changes:     after the baseline and m, before the measurements:"
	echo "             $CHANGES_TEXT"
	echo
	echo "time, ms: pg_dump = wall clock of the pg_dump process; the SQL calls are timed inside the server"
	echo "(clock_timestamp() around EXECUTE in a plpgsql wrapper), first call in a new session = fresh"
	echo "connection, second call = same session. One unmeasured warm-up pass first; order reversed in even rounds."
	printf '  %-36s' ""
	for r in $(seq 1 "$ROUNDS"); do printf ' %10s' "run$r"; done
	printf ' | %10s\n' median
	mapfile -t v < <(vals_of DUMP_MS "")
	row "pg_dump --schema-only" "${v[@]}" "$MED_DUMP"
	for item in "${ITEMS[@]:1}"; do
		mapfile -t v < <(vals_of COLD "$item")
		row "$item, fresh connection" "${v[@]}" "${MED_COLD[$item]}"
		mapfile -t v < <(vals_of WARM "$item")
		row "$item, same session" "${v[@]}" "${MED_WARM[$item]}"
	done
	if [ "${#ITEMS[@]}" -gt 1 ]; then
		echo "  (the timing wrapper on SELECT 1, first call in a new session: median $(for item in "${ITEMS[@]:1}"; do vals_of CALIB "$item"; done | med) ms)"
	fi
	echo
	for l in "${RATIO_LINES[@]}"; do echo "$l"; done
	echo
	echo "memory, MB, medians: the backend's /proc/self/status before and after the first call in a fresh connection"
	echo "  peak RSS growth = VmHWM after - before; shared = RssShmem growth (shared_buffers pages the backend"
	echo "  mapped for the first time; they count in RSS); private peak >= peak RSS growth - shared - RssFile growth;"
	echo "  retained = RssAnon growth (private memory still held after the call: caches)"
	printf '  %-36s %12s %10s %14s %10s\n' "" "peak RSS +" "shared +" "private peak>=" "retained"
	for item in "${ITEMS[@]:1}"; do
		printf '  %-36s %12s %10s %14s %10s\n' "$item" "$(vals_of DHWM "$item" | med1)" \
			"$(vals_of DSHM "$item" | med1)" "$(vals_of PRIV "$item" | med1)" "$(vals_of RETAINED "$item" | med1)"
	done
	if [ -n "$TIME_BIN" ]; then
		printf '  %-36s %12s   (max RSS of the pg_dump client process, /usr/bin/time %%M)\n' "pg_dump --schema-only" "$(vals_of DUMP_RSS "" | med1)"
	fi
	echo
	echo "results of the calls (fresh connection, per round):"
	for item in "${ITEMS[@]:1}"; do
		printf '  %-36s %s\n' "$item" "$(vals_of RESULT "$item" | paste -sd ' ')"
	done
	if [ -n "$FP_VALUES" ]; then
		echo "  fingerprint() gave $(wc -l <<<"$FP_VALUES") distinct value(s) over $ROUNDS rounds"
	fi
	echo
	echo "drift() rows after the changes:"
	# shellcheck disable=SC2001  # indent every line
	sed 's/^/  /' <<<"$DRIFT_ROWS"
} >"$REPORT"
cp "$REPORT" "$RESULTS_DIR/drift-latest.txt"

echo
cat "$REPORT"
echo
echo "written to ${REPORT#"$REPO"/}"

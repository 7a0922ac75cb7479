#!/usr/bin/env bash
# bench/tpcb_callgrind.sh — instructions schemaguard adds to a TPC-B
# transaction, counted with callgrind (no timing noise).
#
# A throwaway cluster gets pgbench's tables (pgbench -i -s 1). Then the
# server runs in single-user mode under valgrind --tool=callgrind, reading
# TPC-B transactions (pgbench's built-in script, with fixed pseudo-random
# values) from a file, in two configurations with the same binary and data:
#   A  no shared_preload_libraries
#   B  shared_preload_libraries = 'schemaguard' and the extension created
# each for N1 and N2 transactions. The instructions of one transaction are
# (Ir(N2) - Ir(N1)) / (N2 - N1), which cancels start-up and shut-down; the
# result is B's per-transaction instructions over A's.
#
# Environment:
#   CG_N1, CG_N2   transaction counts                default 200, 1200
#   PG_CONFIG      default /usr/lib/postgresql/15/bin/pg_config
#   CG_KEEP        1 = keep the work directory (callgrind files: cg.<cfg>.<n>)
#
# Meant to run as root (the server runs as the "postgres" OS user).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
BINDIR=$("$PG_CONFIG" --bindir)
N1=${CG_N1:-200}
N2=${CG_N2:-1200}

command -v valgrind >/dev/null || { echo "tpcb_callgrind: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }

# objects built for another server are cleaned first
PG_CONFIG="$PG_CONFIG" bash "$REPO/test/build.sh" >/dev/null

WORK=$(mktemp -d /tmp/sg-callgrind.XXXXXX)
chown postgres "$WORK"
as_pg() { runuser -u postgres -- "$@"; }
cleanup() {
	as_pg "$BINDIR/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
	if [ "${CG_KEEP:-0}" = 1 ]; then echo "kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

as_pg "$BINDIR/initdb" -D "$WORK/data" -A trust >/dev/null
cat >> "$WORK/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$WORK'
fsync = off
EOF
as_pg "$BINDIR/pg_ctl" -D "$WORK/data" -l "$WORK/log" -w start >/dev/null
as_pg "$BINDIR/createdb" -h "$WORK" bench
as_pg "$BINDIR/pgbench" -h "$WORK" -q -i -s 1 bench >/dev/null 2>&1
as_pg "$BINDIR/psql" -X -q -h "$WORK" -d bench -c "VACUUM (FREEZE, ANALYZE)" -c "CHECKPOINT"
as_pg "$BINDIR/pg_ctl" -D "$WORK/data" -w stop >/dev/null

# n TPC-B transactions, one statement per line (single-user mode ends a
# statement at a newline), the same values for every configuration
tpcb() {
	awk -v n="$1" 'BEGIN {
		srand(42);
		for (i = 0; i < n; i++) {
			aid = int(rand() * 100000) + 1; bid = int(rand() * 1) + 1;
			tid = int(rand() * 10) + 1; delta = int(rand() * 10001) - 5000;
			print "BEGIN;";
			printf "UPDATE pgbench_accounts SET abalance = abalance + %d WHERE aid = %d;\n", delta, aid;
			printf "SELECT abalance FROM pgbench_accounts WHERE aid = %d;\n", aid;
			printf "UPDATE pgbench_tellers SET tbalance = tbalance + %d WHERE tid = %d;\n", delta, tid;
			printf "UPDATE pgbench_branches SET bbalance = bbalance + %d WHERE bid = %d;\n", delta, bid;
			printf "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (%d, %d, %d, %d, CURRENT_TIMESTAMP);\n", tid, bid, aid, delta;
			print "END;";
		}
	}'
}
tpcb "$N1" > "$WORK/n1.sql"
tpcb "$N2" > "$WORK/n2.sql"
chown postgres "$WORK"/*.sql

single() {	# single <preload> <input> [callgrind output]
	local preload=$1 input=$2 out=${3:-}
	if [ -n "$out" ]; then
		as_pg valgrind --tool=callgrind --callgrind-out-file="$out" \
			"$BINDIR/postgres" --single -D "$WORK/data" \
			-c shared_preload_libraries="$preload" bench < "$input" > /dev/null 2>> "$WORK/valgrind.log"
	else
		as_pg "$BINDIR/postgres" --single -D "$WORK/data" \
			-c shared_preload_libraries="$preload" bench < "$input" > /dev/null
	fi
}
total_ir() { awk '/^summary:/ { print $2 }' "$1"; }

# every run starts from a copy of the same data directory: A's as pgbench
# left it, B's with the extension created (the runs update the same rows,
# and dead rows left by one run would be pruned by the next)
as_pg cp -a "$WORK/data" "$WORK/data.A"
echo "CREATE EXTENSION schemaguard;" > "$WORK/create.sql"
chown postgres "$WORK/create.sql"
single schemaguard "$WORK/create.sql"
as_pg cp -a "$WORK/data" "$WORK/data.B"

declare -A IR
for cfg in A B; do
	preload=""; [ "$cfg" = B ] && preload=schemaguard
	for n in n1 n2; do
		rm -rf "$WORK/data"
		as_pg cp -a "$WORK/data.$cfg" "$WORK/data"
		single "$preload" "$WORK/$n.sql" "$WORK/cg.$cfg.$n"
		IR[$cfg,$n]=$(total_ir "$WORK/cg.$cfg.$n")
	done
done

per_txn() { awk -v a="${IR[$1,n1]}" -v b="${IR[$1,n2]}" -v n="$((N2 - N1))" 'BEGIN { printf "%.1f", (b - a) / n }'; }
A=$(per_txn A)
B=$(per_txn B)
echo "PostgreSQL: $("$PG_CONFIG" --version); git $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')"
printf "instructions (callgrind Ir), whole run: A %s / %s, B %s / %s (%d / %d transactions)\n" \
	"${IR[A,n1]}" "${IR[A,n2]}" "${IR[B,n1]}" "${IR[B,n2]}" "$N1" "$N2"
awk -v a="$A" -v b="$B" 'BEGIN {
	printf "per TPC-B transaction: A %.1f, B %.1f; B adds %.1f (%.3f%%)\n", a, b, b - a, (b - a) * 100 / a }'

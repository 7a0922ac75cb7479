#!/usr/bin/env bash
# test/fuzz/run.sh — what `make fuzz` runs: build and install schemaguard,
# start a throwaway cluster with it preloaded, and run test/fuzz/fuzz.py.
#
#   bash test/fuzz/run.sh
#
# Environment:
#   PG_CONFIG        default /usr/lib/postgresql/15/bin/pg_config
#   FUZZ_STATEMENTS  statements to generate (default 100000)
#   FUZZ_SEED        random seed (default 1); a run is deterministic for a
#                    seed and a corpus
#   FUZZ_PGSRC       a PostgreSQL source tree whose src/test/regress/sql joins
#                    the corpus; "auto" (default): the tree `make test-core`
#                    uses (`test/core.sh source`: Debian's source package of
#                    the server's major version, fetched once, needs root the
#                    first time); "none": only this repository's suites
#   FUZZ_OUT         output directory (default tmp_check/fuzz in the repository):
#                    summary.txt, crash-N/ (batch.sql, minimal.sql), hangs.sql,
#                    server.log
#   FUZZ_ARGS        more options for fuzz.py, e.g. --batch=200
#   FUZZ_INJECT      a statement to add to the second batch, to see that a
#                    crash is caught and minimised
#   SG_FUZZ_PORT     default 54339 (names the socket in a private directory)
#
# Exit status: 0 no crash, 1 a crash (reproducers in FUZZ_OUT), 2 setup error.
set -uo pipefail

# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

STATEMENTS=${FUZZ_STATEMENTS:-100000}
SEED=${FUZZ_SEED:-1}
PGSRC=${FUZZ_PGSRC:-auto}
OUT=${FUZZ_OUT:-$SG_REPO/tmp_check/fuzz}
PORT=${SG_FUZZ_PORT:-54339}
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

log() { echo "fuzz: $*" >&2; }

# pgsrc_regress: print the source tree of the server's major version that
# `make test-core` takes PostgreSQL's regression suite from (fetched once
# by test/core.sh), or nothing.
pgsrc_regress() {
	bash "$SG_REPO/test/core.sh" source 2>&2 || log "going on without PostgreSQL's regression suite"
}

case "$PGSRC" in
	none) PGSRC="" ;;
	auto) PGSRC=$(pgsrc_regress) ;;
esac
if [ -n "$PGSRC" ] && [ ! -d "$PGSRC/src/test/regress/sql" ]; then
	log "FUZZ_PGSRC=$PGSRC has no src/test/regress/sql"
	exit 2
fi

log "build ($PG_CONFIG, $("$PG_CONFIG" --version))"
sg_build_install || exit 2

BASE=$(mktemp -d /tmp/schemaguard-fuzz.XXXXXX)
cleanup() {
	trap - EXIT INT TERM
	sg_cluster_stop "$BASE" immediate
	rm -rf "$BASE"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
sg_mkdir "$BASE"
rm -rf "$OUT"
mkdir -p "$OUT"

export PGHOST="$BASE/sock" PGPORT="$PORT" PGUSER=postgres
unset PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS

# log_min_messages = log: the statements' errors and warnings stay out of the
# log (they are counted from psql's output), crashes and PANICs do not.
sg_cluster_create "$BASE" "$PORT" "log_min_messages = log" "restart_after_crash = on" &&
	sg_cluster_start "$BASE" || exit 2

# shellcheck disable=SC2086 # FUZZ_ARGS: words
"$PYTHON" "$SG_REPO/test/fuzz/fuzz.py" ${FUZZ_ARGS:-} ${FUZZ_INJECT:+--inject="$FUZZ_INJECT"} --statements "$STATEMENTS" --seed "$SEED" \
	--out "$OUT" --pgsrc "$PGSRC" --psql "$PG_BINDIR/psql" --server-log "$BASE/server.log"
rc=$?

sg_cluster_stop "$BASE"
cp "$BASE/server.log" "$OUT/server.log" 2>/dev/null
if grep -qE 'terminated by signal|^TRAP:|PANIC:' "$OUT/server.log" 2>/dev/null && [ "$rc" -eq 0 ]; then
	log "the server log shows a crash the run did not attribute:"
	grep -E 'terminated by signal|^TRAP:|PANIC:' "$OUT/server.log" >&2
	rc=1
fi
log "output in $OUT"
exit "$rc"

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
#                    the corpus; "auto" (default): use the cached copy in
#                    $SG_PG_CACHE/pgsrc15 (default /var/cache/schemaguard), or
#                    fetch it once with `apt-get source --download-only
#                    postgresql-15` from bookworm (needs root; adds a deb-src
#                    line for bookworm if apt has none); "none": only this
#                    repository's suites
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
CACHE=${SG_PG_CACHE:-/var/cache/schemaguard}
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

log() { echo "fuzz: $*" >&2; }

# pgsrc_regress: print a directory holding src/test/regress/sql, or nothing.
pgsrc_regress() {
	local dir tarball
	dir=$(find "$CACHE/pgsrc15" -maxdepth 1 -type d -name 'postgresql-15*' 2>/dev/null | head -n 1)
	if [ -n "$dir" ] && [ -d "$dir/src/test/regress/sql" ]; then
		echo "$dir"
		return
	fi
	if [ "$(id -u)" -ne 0 ]; then
		log "no PostgreSQL regression suite cached in $CACHE/pgsrc15; fetching it needs root"
		return
	fi
	if ! apt-cache showsrc postgresql-15 2>/dev/null | grep -q '^Version:'; then
		log "adding a deb-src line for bookworm to /etc/apt/sources.list.d/schemaguard-bookworm-src.sources"
		cat >/etc/apt/sources.list.d/schemaguard-bookworm-src.sources <<-EOF
			Types: deb-src
			URIs: http://deb.debian.org/debian
			Suites: bookworm bookworm-updates
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
		apt-get update -qq >&2 || return
	fi
	mkdir -p "$CACHE/pgsrc15" && rm -rf "$CACHE/pgsrc15/dl" && mkdir "$CACHE/pgsrc15/dl"
	# newest first; a version that a mirror does not have falls back to the next
	local ver
	for ver in $(apt-cache showsrc postgresql-15 | awk '/^Version:/ { print $2 }' | sort -rV -u); do
		log "fetching postgresql-15 $ver's source package into $CACHE/pgsrc15"
		if (cd "$CACHE/pgsrc15/dl" && apt-get source --download-only -q "postgresql-15=$ver" \
			>/dev/null 2>&1); then
			break
		fi
		rm -f "$CACHE/pgsrc15/dl"/*
	done
	tarball=$(find "$CACHE/pgsrc15/dl" -name 'postgresql-15_*.orig.tar.*' | head -n 1)
	[ -n "$tarball" ] || return
	if [[ "$tarball" == *.bz2 ]] && ! command -v bzip2 >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends bzip2 >&2 || return
	fi
	tar -xf "$tarball" -C "$CACHE/pgsrc15" --wildcards '*/src/test/regress/sql/*' >&2 || return
	rm -rf "$CACHE/pgsrc15/dl"
	dir=$(find "$CACHE/pgsrc15" -maxdepth 1 -type d -name 'postgresql-15*' | head -n 1)
	[ -n "$dir" ] && echo "$dir"
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

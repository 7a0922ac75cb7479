#!/usr/bin/env bash
# test/valgrind.sh — every test suite with the servers under valgrind memcheck;
# what `make test-valgrind` runs.
#
#   bash test/valgrind.sh [SUITE...]      SUITE as for test/run.sh (regress, pgtap, tap)
#
# Runs against the assertion-enabled PostgreSQL build made by
# test/build-postgres.sh (PG=18 by default; PG=17 or 19 with SG_PG_BUILD=source, and
# PG_CONFIG=... takes a copy of such a build or another one). That
# build has -DUSE_VALGRIND, so memory contexts tell valgrind which palloc'd
# chunks are live: a read of freed or never-written palloc memory is reported,
# not only malloc-level mistakes.
#
# How: a private bin directory holds a `postgres` wrapper that starts the
# server under valgrind (the other programs are links to the real ones, and
# pg_ctl is a copy, so that it finds the wrapper next to itself). Every
# server process -- postmaster, backends, background workers, in the
# pg_regress/pgTAP cluster and in every TAP test's clusters -- runs under
# memcheck with PostgreSQL's own suppressions (src/tools/valgrind.supp) and
# writes its reports to a file of its own. initdb's bootstrap and the
# version checks run the real binary directly.
#
# Then test/run.sh runs as usual (with long timeouts) and this script counts
# the reports. It ends with "valgrind: N errors in M processes" and exits
# non-zero when there is an error or a failed test. Reports are kept in
# tmp_check/valgrind/.
set -uo pipefail

# PG=18 unless PG or PG_CONFIG says otherwise
[ -n "${PG_CONFIG:-}" ] || export PG=${PG:-18}
# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REAL_BINDIR=$("$PG_CONFIG" --bindir)
SUPP="$(dirname "$REAL_BINDIR")/share/valgrind.supp"
if [ ! -f "$SUPP" ]; then
	echo "valgrind.sh: no valgrind.supp next to $PG_CONFIG (build it with test/build-postgres.sh)" >&2
	exit 1
fi
command -v valgrind >/dev/null || {
	echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2
	exit 1
}

VGDIR=$(mktemp -d /tmp/schemaguard-valgrind.XXXXXX)
chmod 755 "$VGDIR"
VGLOGS="$VGDIR/logs"
sg_mkdir "$VGLOGS"
mkdir "$VGDIR/bin"
for f in "$REAL_BINDIR"/*; do
	ln -s "$f" "$VGDIR/bin/"
done
rm "$VGDIR/bin/postgres" "$VGDIR/bin/pg_ctl"
cp "$REAL_BINDIR/pg_ctl" "$VGDIR/bin/pg_ctl"
cat >"$VGDIR/bin/postgres" <<EOF
#!/bin/sh
# postgres under valgrind memcheck (written by test/valgrind.sh)
for a in "\$@"; do
	case "\$a" in
		-V | --version | --boot | --single | -C | --describe-config | --check)
			exec "$REAL_BINDIR/postgres" "\$@" ;;
	esac
done
exec valgrind --quiet --tool=memcheck --leak-check=no --track-origins=yes \\
	--read-var-info=no --num-callers=40 --trace-children=no \\
	--suppressions="$SUPP" --gen-suppressions=all \\
	--error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END \\
	--log-file="$VGLOGS/%p.log" \\
	"$REAL_BINDIR/postgres" "\$@"
EOF
chmod 755 "$VGDIR/bin/postgres"

# Everything is 20 to 50 times slower under valgrind.
export SG_BINDIR="$VGDIR/bin"
export SG_TIMEOUT=${SG_TIMEOUT:-7200}
export PG_TEST_TIMEOUT_DEFAULT=${PG_TEST_TIMEOUT_DEFAULT:-1800}

echo "== valgrind: PostgreSQL $("$PG_CONFIG" --version), reports in $VGLOGS"
bash "$SG_REPO/test/run.sh" "$@"
rc=$?

KEEP="$SG_REPO/tmp_check/valgrind"
rm -rf "$KEEP"
mkdir -p "$KEEP"
nproc=$(find "$VGLOGS" -name '*.log' | wc -l)
errors=0
while IFS= read -r log; do
	n=$(grep -c 'VALGRINDERROR-BEGIN' "$log")
	if [ "$n" -gt 0 ]; then
		errors=$((errors + n))
		cp "$log" "$KEEP/"
		echo "---- $(basename "$log"): $n error(s)"
		sed -n '/VALGRINDERROR-BEGIN/,/VALGRINDERROR-END/p' "$log" | head -n 80
	fi
done < <(find "$VGLOGS" -name '*.log' -size +0)
rm -rf "$VGDIR"

echo "valgrind: $errors errors in $nproc processes (tests: exit $rc)"
[ "$errors" -eq 0 ] && [ "$rc" -eq 0 ]

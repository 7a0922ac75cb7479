#!/usr/bin/env bash
# test/run.sh — build schemaguard and run every test suite; what `make test` runs.
#
#   bash test/run.sh [SUITE...]   SUITE: regress (pg_regress + isolation), pgtap, tap;
#                                 default: all
#
# 1. builds with -Werror (STRICT=1) and installs into $PG_CONFIG's tree;
# 2. starts a throwaway cluster (see test/lib.sh) with schemaguard preloaded
#    and autovacuum off, so sizes and row estimates in expected output are stable;
# 3. pg_regress: `make installcheck` (REGRESS from the Makefile, sql/ + expected/;
#    then ISOLATION, specs/ + expected/, if the Makefile defines it);
# 4. pgTAP: pg_prove over test/pgtap/*.sql in a database with pgtap and schemaguard;
# 5. TAP: prove over test/t/*.pl (PostgreSQL::Test::Cluster), as the postgres
#    OS user, from a copy in a postgres-owned directory;
# 6. checks the server logs for crashed backends;
# 7. prints per-suite results and, as the very last line, "N passed, N failed"
#    (pg_regress and isolation tests + pgTAP and TAP assertions). Exits 1 if
#    anything failed.
#
# Environment: PG_CONFIG (default /usr/lib/postgresql/15/bin/pg_config),
# SG_TEST_PORT (default 54329; only names the socket in a private directory),
# SG_TIMEOUT (default 300: seconds allowed for the pg_regress run, for each
# isolation run, and for each pgTAP or TAP file; one that hangs is killed and
# counted as failed), SG_TAP (a glob of TAP file names without .pl: SG_TAP=004_lock_queue
# runs only that file).
# Logs of the last run are kept in tmp_check/logs/ in the repository.
set -uo pipefail

# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SUITES=("$@")
[ ${#SUITES[@]} -gt 0 ] || SUITES=(regress pgtap tap)
want() { [[ " ${SUITES[*]} " == *" $1 "* ]]; }

TOTAL_PASS=0
TOTAL_FAIL=0
SUMMARY=()

# record NAME PASSED FAILED [NOTE]
record() {
	TOTAL_PASS=$((TOTAL_PASS + $2))
	TOTAL_FAIL=$((TOTAL_FAIL + $3))
	if [ "$2" -eq 0 ] && [ "$3" -eq 0 ] && [ -n "${4:-}" ]; then
		SUMMARY+=("$(printf '  %-12s %s' "$1" "$4")")
	else
		SUMMARY+=("$(printf '  %-12s %4d passed, %4d failed%s' "$1" "$2" "$3" "${4:+  ($4)}")")
	fi
}

finish() {
	echo
	echo "== summary"
	printf '%s\n' "${SUMMARY[@]}"
	echo "  logs: ${SG_HOST_REPO:-$SG_REPO}/tmp_check/logs"
	echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
	if [ "$TOTAL_FAIL" -eq 0 ]; then exit 0; else exit 1; fi
}

cleanup() {
	trap - EXIT INT TERM
	sg_cluster_stop "$BASE"
	sg_stop_all_under "$BASE"
	cp "$BASE"/*.log "$LOGS"/ 2>/dev/null
	if [ -d "$BASE/tap/tmp_check/log" ]; then
		cp -r "$BASE/tap/tmp_check/log" "$LOGS/tap" 2>/dev/null
	fi
	rm -rf "$BASE"
}

PORT=${SG_TEST_PORT:-54329}
TIMEOUT=${SG_TIMEOUT:-300}
LOGS="$SG_REPO/tmp_check/logs"
rm -rf "$LOGS"
mkdir -p "$LOGS"
BASE=$(mktemp -d /tmp/schemaguard-test.XXXXXX)
# fd 4 = the real stderr, also while a function's output is redirected to a log
exec 4>&2
trap cleanup EXIT
trap 'echo "interrupted" >&4; exit 130' INT TERM
sg_mkdir "$BASE"

export PGHOST="$BASE/sock" PGPORT="$PORT" PGUSER=postgres
unset PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS

# tap_count FILE: "PASSED FAILED" from (prove -v) TAP output. A not-ok TODO
# test counts as passed; planned tests that never ran count as failed.
# (Numbered lines only: prove ends each file with a bare "ok".)
tap_count() {
	awk '
		/^1\.\.[0-9]+/     { plan = substr($1, 4) + 0 }
		/^ok [0-9]+/       { pass++; run++; next }
		/^not ok [0-9]+/   { run++; if ($0 ~ /# *TODO/) pass++; else fail++ }
		END { if (plan > run) fail += plan - run; print pass + 0, fail + 0 }
	' "$1"
}

# crash_lines FILE...: log lines that show a backend crash or an assertion failure.
crash_lines() {
	grep -hE 'terminated by signal|server process .* was terminated|^TRAP:|PANIC:' "$@" 2>/dev/null
}

# timeout_note RC: a note for a per-file line if RC says `timeout` killed it.
timeout_note() {
	case "$1" in
		124 | 137) echo "  (timed out after ${TIMEOUT}s)" ;;
	esac
}

# --- build and install ------------------------------------------------------
echo "== build ($PG_CONFIG, $("$PG_CONFIG" --version))"
if ! sg_build_install; then
	record build 0 1 "build or install failed"
	finish
fi

# --- throwaway cluster ------------------------------------------------------
if want regress || want pgtap; then
	echo "== cluster: $BASE (socket $PGHOST, port $PORT)"
	# (max_prepared_transactions: specs/changelog_prepared.spec)
	if ! { sg_cluster_create "$BASE" "$PORT" "max_prepared_transactions = 10" && sg_cluster_start "$BASE"; }; then
		record cluster 0 1 "could not start"
		finish
	fi
fi

# --- pg_regress (REGRESS, and ISOLATION if the Makefile defines it) -------
# run_installcheck SUITE TESTS DIFFS MAKEVAR...: `make installcheck` with the
# extra make variables, then one result per test name in TESTS.
run_installcheck() {
	local suite=$1 tests=$2 diffs=$3 out="$BASE/$1.log" rc results status t p=0 f=0 note=""
	shift 3
	echo "== $suite"
	rm -f "$diffs"
	# Full output goes to the log; the terminal gets it without the setup chatter.
	timeout -k 10 "$TIMEOUT" \
		make -s --no-print-directory -C "$SG_REPO" installcheck PG_CONFIG="$PG_CONFIG" "$@" 2>&1 |
		tee "$out" |
		grep -vE '^(SET|(CREATE|ALTER|DROP) DATABASE|CREATE EXTENSION)$|^=+ (dropping|creating|installing) '
	rc=${PIPESTATUS[0]}
	# PG15 prints "test name ... ok" (or "     name ... FAILED" in groups);
	# PG16+ prints TAP ("ok 1 - name", "not ok 2 - name").
	results=$(perl -ne '
		if (/^(?:test\s+|\s+)?(\S+)\s+\.\.\.\s+(ok|FAILED|failed \(ignored\))/) { print "$1 $2\n" }
		elsif (/^(not ok|ok)\s+\d+\s+[-+]\s+(\S+)/) { print "$2 ", ($1 eq "ok" ? "ok" : "FAILED"), "\n" }
	' "$out")
	for t in $tests; do
		status=$(awk -v t="$t" '$1 == t { $1 = ""; sub(/^ /, ""); print; exit }' <<<"$results")
		case "$status" in
			ok | "failed (ignored)") p=$((p + 1)) ;;
			FAILED) f=$((f + 1)) ;;
			*) f=$((f + 1)); echo "  $t: no result (not run)" ;;
		esac
	done
	case "$rc" in
		0) ;;
		124 | 137) note="timed out after ${TIMEOUT}s" ;;
		*) note="exited $rc" ;;
	esac
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	if [ -s "$diffs" ] && [ "$f" -gt 0 ]; then
		echo "---- $diffs (first 400 lines)"
		head -n 400 "$diffs"
		echo "----"
	fi
	record "$suite" "$p" "$f" "$note"
}

if want regress; then
	regress_tests=$(make -s --no-print-directory -C "$SG_REPO" print-REGRESS PG_CONFIG="$PG_CONFIG")
	isolation_tests=$(make -s --no-print-directory -C "$SG_REPO" print-ISOLATION PG_CONFIG="$PG_CONFIG")
	# An empty command-line value turns the other suite off (PGXS uses ifdef).
	if [ -n "$regress_tests" ]; then
		run_installcheck pg_regress "$regress_tests" "$SG_REPO/regression.diffs" ISOLATION=
	fi
	if [ -n "$isolation_tests" ]; then
		run_installcheck isolation "$isolation_tests" "$SG_REPO/output_iso/regression.diffs" REGRESS=
	fi
fi

# --- pgTAP ------------------------------------------------------------------
if want pgtap; then
	echo "== pgTAP"
	shopt -s nullglob
	pgtap_files=("$SG_REPO"/test/pgtap/*.sql)
	shopt -u nullglob
	if [ ${#pgtap_files[@]} -eq 0 ]; then
		record pgtap 0 0 "no tests in test/pgtap"
	elif ! psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE sg_pgtap" ||
		! psql -X -q -v ON_ERROR_STOP=1 -d sg_pgtap \
			-c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION schemaguard"; then
		record pgtap 0 1 "could not create the test database"
	else
		p=0 f=0
		for file in "${pgtap_files[@]}"; do
			name=$(basename "$file" .sql)
			out="$BASE/pgtap_$name.log"
			timeout -k 10 "$TIMEOUT" pg_prove -v -d sg_pgtap "$file" >"$out" 2>&1
			rc=$?
			read -r fp ff < <(tap_count "$out")
			[ "$rc" -ne 0 ] && [ "$ff" -eq 0 ] && ff=1
			printf '  %-30s %4d passed, %4d failed%s\n' "$name" "$fp" "$ff" "$(timeout_note $rc)"
			[ "$ff" -gt 0 ] && sed 's/^/    | /' "$out"
			p=$((p + fp)) f=$((f + ff))
		done
		record pgtap "$p" "$f"
	fi
fi

# --- stop the cluster, look for crashes --------------------------------------
if [ -f "$BASE/data/postmaster.pid" ]; then
	sg_cluster_stop "$BASE"
	crashes=$(crash_lines "$BASE/server.log")
	if [ -n "$crashes" ]; then
		echo "== server crashed:"
		echo "$crashes" | sed 's/^/  /'
		record "server log" 0 1 "backend crash, see $LOGS/server.log"
	else
		record "server log" 0 0 "no crashes"
	fi
fi

# --- TAP (PostgreSQL::Test::Cluster) ---------------------------------------
if want tap; then
	echo "== TAP"
	shopt -s nullglob
	tap_files=("$SG_REPO"/test/t/${SG_TAP:-*}.pl)
	shopt -u nullglob
	if [ ${#tap_files[@]} -eq 0 ]; then
		record tap 0 0 "no tests in test/t"
	else
		# The repository may not be readable by postgres (e.g. under /root).
		TAPDIR="$BASE/tap"
		sg_mkdir "$TAPDIR"
		cp -r "$SG_REPO/test/t" "$TAPDIR/t"
		cp "$SG_REPO/test/verify_changelog.py" "$SG_REPO/README.md" "$TAPDIR/"
		cp -r "$SG_REPO/docs" "$TAPDIR/docs"
		mkdir "$TAPDIR/tmp" # TMPDIR: keeps the tests' socket dirs inside $BASE
		[ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$TAPDIR"
		p=0 f=0
		for file in "${tap_files[@]}"; do
			name=$(basename "$file")
			out="$BASE/tap_${name%.pl}.log"
			as_pg "$TAPDIR" timeout -k 10 "$TIMEOUT" env \
				PATH="$PATH" \
				PERL5LIB="$PGXS_SRC/test/perl${PERL5LIB:+:$PERL5LIB}" \
				TESTDIR="$TAPDIR" \
				TMPDIR="$TAPDIR/tmp" \
				PG_REGRESS="$PGXS_SRC/test/regress/pg_regress" \
				prove -v "t/$name" >"$out" 2>&1
			rc=$?
			read -r fp ff < <(tap_count "$out")
			[ "$rc" -ne 0 ] && [ "$ff" -eq 0 ] && ff=1
			printf '  %-30s %4d passed, %4d failed%s\n' "$name" "$fp" "$ff" "$(timeout_note $rc)"
			[ "$ff" -gt 0 ] && sed 's/^/    | /' "$out"
			p=$((p + fp)) f=$((f + ff))
		done
		# A test killed by the timeout leaves its servers running.
		sg_stop_all_under "$TAPDIR"
		# Deliberate kills (signal 9) are how TAP tests simulate crashes.
		crashes=$(crash_lines "$TAPDIR"/tmp_check/log/*.log | grep -v 'signal 9')
		if [ -n "$crashes" ]; then
			echo "  server crashed during TAP tests:"
			echo "$crashes" | sed 's/^/    /'
			f=$((f + 1))
		fi
		record tap "$p" "$f"
	fi
fi

finish

#!/usr/bin/env bash
# test/core.sh — PostgreSQL's own regression suite with schemaguard loaded;
# what `make test-core` runs.
#
#   bash test/core.sh [RUN...]    RUN: vanilla warn changelog enforce (default: all four)
#   bash test/core.sh source      only print the source tree (fetched once; the
#                                 fuzzer takes its corpus from it too)
#
# 1. takes the core suite (src/test/regress) from the source tree of the
#    server's major version: $SG_CORE_SRC, or else Debian's source package
#    postgresql-<major>, fetched once with `apt-get source` (the version of
#    the installed server when the archive still has it) into
#    $SG_CORE_CACHE/src (default /var/cache/schemaguard/src);
# 2. builds the suite's C modules (regress, and autoinc and refint from
#    contrib/spi) with PGXS against $PG_CONFIG, as Debian's own installcheck
#    package test does, and runs the suite's parallel schedule with that
#    tree's pg_regress against a running server (installcheck);
# 3. runs it on four throwaway clusters (test/lib.sh), one after the other:
#      vanilla    schemaguard not loaded
#      warn       preloaded, schemaguard.mode = warn
#      changelog  preloaded, mode = warn, and CREATE EXTENSION schemaguard in
#                 the test database (pg_regress --load-extension), so the
#                 changelog's and the table_rewrite guard's event triggers
#                 fire for every DDL statement of the suite
#      enforce    preloaded, schemaguard.mode = enforce, extension created
#                 (the table_rewrite guard armed as well)
# 4. checks:
#      every run: no crash (no "terminated by signal", "TRAP:" or "PANIC:"
#        in the server log, server still answering after the suite), and
#        pg_regress ran to its end;
#      warn: every result file equals the vanilla run's once schemaguard's
#        own warnings are removed (see strip_warnings); any other difference
#        fails. The vanilla run is the reference, not expected/: a test that
#        fails against expected/ for reasons of its own (locale, version)
#        fails the same way in both runs;
#      changelog: result files that differ from vanilla after the same
#        filter are listed but do not fail (the extension's own objects are
#        visible to the catalog-listing tests, event_trigger and opr_sanity);
#      enforce: blocked statements (ERROR with schemaguard's SQLSTATE SG001 in
#        the server log) are counted; their knock-on differences are expected;
#      changelog and enforce: schemaguard.verify_changelog() finds no problem
#        in the changelog the suite leaves behind.
# 5. prints one line per run and, as the last line, a summary; exits 1 on a
#    crash, an unfinished run or a warn-mode difference.
#
# Environment: PG_CONFIG (default /usr/lib/postgresql/15/bin/pg_config),
# SG_CORE_SRC (a PostgreSQL source tree of the server's major version),
# SG_CORE_CACHE (default /var/cache/schemaguard), SG_CORE_TESTS (run these
# tests, in this order, instead of the parallel schedule; for iterating),
# SG_CORE_PORT (default 54339), SG_TIMEOUT (default 1200 seconds per run).
# Fetching the source needs root once (apt-get; dpkg-dev).
# Logs and result files of the last run are kept in tmp_check/core/.
set -uo pipefail

# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=("$@")
[ ${#RUNS[@]} -gt 0 ] || RUNS=(vanilla warn changelog enforce)
ONLY_SOURCE=false
if [ "${RUNS[*]}" = source ]; then
	ONLY_SOURCE=true
	RUNS=()
fi
for r in "${RUNS[@]}"; do
	case "$r" in
		vanilla | warn | changelog | enforce) ;;
		*)
			echo "usage: $0 [vanilla|warn|changelog|enforce]..." >&2
			exit 2
			;;
	esac
done
want() { [[ " ${RUNS[*]} " == *" $1 "* ]]; }
if { want warn || want changelog; } && ! want vanilla; then
	echo "core.sh: the warn and changelog runs are compared with the vanilla run; add 'vanilla'" >&2
	exit 2
fi

PORT=${SG_CORE_PORT:-54339}
TIMEOUT=${SG_TIMEOUT:-1200}
CACHE=${SG_CORE_CACHE:-/var/cache/schemaguard}
MAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
LOGS="$SG_REPO/tmp_check/core"
STARTED=$SECONDS

log() { echo "core: $*" >&2; }

# --- the suite's source -----------------------------------------------------
# source_versions: the versions of source package postgresql-$MAJOR apt knows, oldest first.
source_versions() {
	apt-cache showsrc "postgresql-$MAJOR" 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -uV
}

# add_bookworm_sources: deb-src lines (source packages only) for those of
# bookworm, bookworm-updates and bookworm-security that apt lacks; Debian 12
# ships with none, and PostgreSQL 15's point releases come through
# bookworm-security.
add_bookworm_sources() {
	local have sources=/etc/apt/sources.list.d/schemaguard-src-bookworm.sources main=() sec=()
	# shellcheck disable=SC2016 # apt's own $(RELEASE) placeholder
	have=$(apt-get indextargets --format '$(RELEASE)' 'Identifier: Sources' 2>/dev/null | sort -u)
	grep -qx bookworm <<<"$have" || main+=(bookworm)
	grep -qx bookworm-updates <<<"$have" || main+=(bookworm-updates)
	grep -qx bookworm-security <<<"$have" || sec+=(bookworm-security)
	[ ${#main[@]} -gt 0 ] || [ ${#sec[@]} -gt 0 ] || return 0
	log "adding deb-src lines for ${main[*]} ${sec[*]} to $sources"
	{
		if [ ${#main[@]} -gt 0 ]; then
			printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\n' "${main[*]}"
			printf 'Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n'
		fi
		if [ ${#sec[@]} -gt 0 ]; then
			printf 'Types: deb-src\nURIs: http://deb.debian.org/debian-security\nSuites: %s\n' "${sec[*]}"
			printf 'Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		fi
	} >>"$sources"
	apt-get update -qq >&2
}

# core_source: print the source tree to take the suite from.
core_source() {
	if [ -n "${SG_CORE_SRC:-}" ]; then
		echo "$SG_CORE_SRC"
		return
	fi
	local dir="$CACHE/src/core-pg$MAJOR" want_ver avail ver srcdir stamp=""
	# the installed server's Debian version (none for a server built from source)
	want_ver=$("$PG_CONFIG" --version | sed -nE 's/.*\(Debian ([^)]+)\).*/\1/p')
	[ -f "$dir/.schemaguard-core" ] && stamp=$(cat "$dir/.schemaguard-core")
	# the stamp: "server <its version> suite postgresql-N <source version>"
	if [ -n "$stamp" ] && { [ -z "$want_ver" ] || [[ "$stamp" == "server $want_ver "* ]]; }; then
		srcdir=$(find "$dir" -mindepth 1 -maxdepth 1 -type d -name "postgresql-$MAJOR-*" | head -n 1)
		if [ -n "$srcdir" ]; then
			echo "$srcdir"
			return
		fi
	fi
	if [ "$(id -u)" -ne 0 ]; then
		srcdir=$(find "$dir" -mindepth 1 -maxdepth 1 -type d -name "postgresql-$MAJOR-*" 2>/dev/null | head -n 1)
		if [ -n "$stamp" ] && [ -n "$srcdir" ]; then
			log "taking the suite of the cached source ($stamp); run as root to fetch the server's"
			echo "$srcdir"
			return
		fi
		log "no source of PostgreSQL $MAJOR's regression suite in $dir:"
		log "run this once as root (it runs apt-get source), or set SG_CORE_SRC"
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	if ! dpkg-query -W -f='${Status}' dpkg-dev 2>/dev/null | grep -q 'install ok installed'; then
		log "installing dpkg-dev (for apt-get source)"
		apt-get install -y -q --no-install-recommends dpkg-dev >&2 || return 1
	fi
	# the installed server's version if the archive has it, else the newest
	if [ "$MAJOR" = 15 ] && ! source_versions | grep -qxF "${want_ver:-none}"; then
		add_bookworm_sources || return 1
	fi
	avail=$(source_versions)
	if [ -z "$avail" ]; then
		log "no source package postgresql-$MAJOR in apt's sources (test/build-postgres.sh $MAJOR adds them), or set SG_CORE_SRC"
		return 1
	fi
	# try the server's version first, then the others, newest first (a
	# mirror may lack the security archive's sources)
	local candidates=() v
	grep -qxF "${want_ver:-none}" <<<"$avail" && candidates+=("$want_ver")
	while IFS= read -r v; do
		[ "$v" = "$want_ver" ] || candidates+=("$v")
	done < <(sort -rV <<<"$avail")
	rm -rf "${dir:?}"
	mkdir -p "$dir"
	ver=""
	for v in "${candidates[@]}"; do
		log "fetching postgresql-$MAJOR $v into $dir"
		if (cd "$dir" && apt-get source -q "postgresql-$MAJOR=$v" >"$dir/fetch.log" 2>&1); then
			ver=$v
			break
		fi
		grep '^E:' "$dir/fetch.log" | head -n 3 >&2
	done
	[ -n "$ver" ] || return 1
	[ "$ver" = "$want_ver" ] || [ -z "$want_ver" ] ||
		log "took the suite of $ver; the server is $want_ver (the comparisons are with the vanilla run, so this only shows against expected/)"
	srcdir=$(find "$dir" -mindepth 1 -maxdepth 1 -type d -name "postgresql-$MAJOR-*" | head -n 1)
	[ -n "$srcdir" ] || { log "no source directory after apt-get source"; return 1; }
	rm -f "$dir"/*.tar.* # keep only the unpacked tree (and the .dsc)
	echo "server ${want_ver:-unknown} suite postgresql-$MAJOR $ver" >"$dir/.schemaguard-core"
	echo "$srcdir"
}

# build_suite SRC DEST: copy the suite to DEST and build its C modules there.
build_suite() {
	local src=$1 dest=$2 f
	local reg="$src/src/test/regress"
	for f in "$reg/parallel_schedule" "$reg/regress.c" "$src/contrib/spi/autoinc.c" "$src/contrib/spi/refint.c"; do
		[ -f "$f" ] || { log "$f is missing: is $src a PostgreSQL $MAJOR source tree?"; return 1; }
	done
	mkdir -p "$dest"
	cp -r "$reg/sql" "$reg/expected" "$reg/data" "$reg/parallel_schedule" "$reg/regress.c" "$dest/"
	[ -f "$reg/resultmap" ] && cp "$reg/resultmap" "$dest/"
	cp "$src/contrib/spi/autoinc.c" "$src/contrib/spi/refint.c" "$dest/"
	cat >"$dest/Makefile" <<-'EOF'
		# the core suite's C modules, built with PGXS (see test/core.sh)
		MODULES = regress autoinc refint
		PGXS := $(shell $(PG_CONFIG) --pgxs)
		include $(PGXS)
	EOF
	# with_llvm=no: no JIT bitcode (it would need clang); nothing is installed
	make -s -C "$dest" PG_CONFIG="$PG_CONFIG" with_llvm=no >"$dest/build.log" 2>&1 || {
		tail -n 30 "$dest/build.log" >&2
		return 1
	}
}

# --- filters and counts -----------------------------------------------------
# strip_warnings FILE: FILE without schemaguard's warnings, as psql prints
# them (src/guard/engine.c, sg_emit) at each VERBOSITY:
#   WARNING:  [SG002: ]schemaguard: <rule>: <message>    (terse: this line only)
#   DETAIL:  <one line>                              (optional)
#   HINT:  <recipe lines>                            (always; then a line
#   To allow it deliberately: ...                     starting "To allow it deliberately"
#   See docs/rules/<rule>.md.                         and the rule's page, the last)
#   CONTEXT:  <where>                                (with SHOW_CONTEXT always)
#   SCHEMA NAME:  ... TABLE NAME: ...                (verbose: error fields)
#   LOCATION:  sg_emit, engine.c:<line>              (verbose)
# A CONTEXT continuation line must look like one of the server's context
# lines. Anything that does not fit stays in, and so shows as a difference.
# Also removed: the HINT schemaguard adds to the server's error when a
# CONCURRENTLY statement fails (the statement that cleans up what it left,
# src/guard/lockqueue.c), when the server's error had no HINT of its own.
strip_warnings() {
	perl -e '
		my @l = <>;
		my $ctx = qr/^(?:PL\/pgSQL function |SQL function "|SQL statement "|SQL expression "|extension script file ")/;
		my $i = 0;
		my $cleanup = qr/^(?:The failed build left an INVALID index|The index \S+ is now INVALID|The partition \S+ is left pending detach|DROP INDEX CONCURRENTLY IF EXISTS \S+;$|ALTER TABLE \S+ DETACH PARTITION \S+ FINALIZE;$)/;
		LINE: while ($i < @l) {
			# the HINT schemaguard gives a failed CONCURRENTLY statement
			if ($l[$i] =~ /^HINT:  (.*)/ && $1 =~ $cleanup) {
				$i++;
				$i++ while $i < @l && $l[$i] =~ $cleanup;
				next;
			}
			if ($l[$i] !~ /^WARNING:  (SG002: )?schemaguard: [a-z_]+: /) { print $l[$i++]; next; }
			my $verbose = defined $1;
			my $j = $i + 1;
			if (!$verbose && ($j >= @l || $l[$j] !~ /^(?:DETAIL|HINT):  /)) { $i = $j; next; } # terse
			$j++ if $j < @l && $l[$j] =~ /^DETAIL:  /;
			# the hint, up to its last line
			if ($j >= @l || $l[$j] !~ /^HINT:  /) { print $l[$i++]; next; }
			$j++ while $j < @l && $l[$j] !~ /^(?:HINT:  )?To allow it deliberately/;
			if ($j >= @l) { print $l[$i++]; next; }
			$j++;
			$j++ if $j < @l && $l[$j] =~ /^See \S*rules\/[a-z_]+\.md\.$/;
			if ($j < @l && $l[$j] =~ /^CONTEXT:  /) {
				my $inq = 0;
				my $k = $j;
				while ($k < @l) {
					my $t = $l[$k];
					if ($k == $j) { $t =~ s/^CONTEXT:  //; }
					elsif (!$inq && $t !~ $ctx) { last; }
					chomp $t;
					if ($inq) { $inq = 0 if $t =~ /"$/; }
					elsif ($t =~ /^SQL statement "/ && $t !~ /^SQL statement ".*"$/) { $inq = 1; }
					$k++;
				}
				$j = $k;
			}
			if ($verbose) {
				$j++ while $j < @l && $l[$j] =~ /^(?:SCHEMA|TABLE|COLUMN|DATATYPE) NAME:  /;
				if ($j >= @l || $l[$j] !~ /^LOCATION:  sg_emit, engine\.c:[0-9]+$/) { print $l[$i++]; next; }
				$j++;
			}
			$i = $j;
		}
	' "$1"
}

# crash_lines FILE: log lines that show a backend crash or an assertion failure.
crash_lines() {
	grep -hE 'terminated by signal|server process .* was terminated|^TRAP:|PANIC:' "$1" 2>/dev/null
}

# test_results LOG: "name status" per test from pg_regress output (PG15:
# "test name ... ok"; PG16+: TAP "ok 1 - name").
test_results() {
	perl -ne '
		if (/^(?:test\s+|\s+)?(\S+)\s+\.\.\.\s+(ok|FAILED|failed \(ignored\))/) { print "$1 $2\n" }
		elsif (/^(not ok|ok)\s+\d+\s+[-+]\s+(\S+)/) { print "$2 ", ($1 eq "ok" ? "ok" : "FAILED"), "\n" }
	' "$1"
}

# --- one run ----------------------------------------------------------------
FAILED=0
SUMMARY=()

# run_suite NAME [CONF_LINE...]: fresh cluster, the suite, crash check.
# Sets RUN_DIR, RUN_TESTS, RUN_FAILED (vs expected/), RUN_OK (0/1).
run_suite() {
	local name=$1 start=$SECONDS rc crashes extra=()
	shift
	RUN_DIR="$BASE/$name"
	RUN_OK=1
	sg_mkdir "$RUN_DIR"
	sg_mkdir "$RUN_DIR/out"
	if ! { sg_cluster_create "$RUN_DIR" "$PORT" "log_line_prefix = '%m [%p] %e '" "$@" &&
		sg_cluster_start "$RUN_DIR"; }; then
		RUN_OK=0 RUN_TESTS=0 RUN_FAILED=0 RUN_CRASHES=0 RUN_CHANGELOG="" RUN_SECONDS=$((SECONDS - start))
		return
	fi
	case "$name" in changelog | enforce) extra+=(--load-extension=schemaguard) ;; esac
	if [ -n "${SG_CORE_TESTS:-}" ]; then
		# shellcheck disable=SC2206
		extra+=($SG_CORE_TESTS)
	else
		extra+=(--schedule="$SUITE/parallel_schedule")
	fi
	as_pg "$RUN_DIR" timeout -k 10 "$TIMEOUT" env PATH="$PATH" PGUSER=postgres \
		"$PGXS_SRC/test/regress/pg_regress" \
		--bindir="$PG_BINDIR" --dlpath="$SUITE" --inputdir="$SUITE" \
		--outputdir="$RUN_DIR/out" --host="$RUN_DIR/sock" --port="$PORT" \
		--max-concurrent-tests=20 "${extra[@]}" >"$RUN_DIR/pg_regress.log" 2>&1
	rc=$?
	RUN_TESTS=$(test_results "$RUN_DIR/pg_regress.log" | wc -l)
	RUN_FAILED=$(test_results "$RUN_DIR/pg_regress.log" | grep -c ' FAILED$')
	case "$rc" in
		124 | 137)
			echo "  $name: pg_regress timed out after ${TIMEOUT}s"
			RUN_OK=0
			;;
		0 | 1) # 1: some test differs from expected/
			if ! grep -qE '^[ #]*(All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests (failed|passed))' \
				"$RUN_DIR/pg_regress.log"; then
				echo "  $name: pg_regress did not finish (exit $rc):"
				tail -n 20 "$RUN_DIR/pg_regress.log" | sed 's/^/    | /'
				RUN_OK=0
			fi
			;;
		*)
			echo "  $name: pg_regress exited $rc:"
			tail -n 20 "$RUN_DIR/pg_regress.log" | sed 's/^/    | /'
			RUN_OK=0
			;;
	esac
	if ! psql -X -q -h "$RUN_DIR/sock" -p "$PORT" -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
		echo "  $name: the server no longer answers after the suite"
		RUN_OK=0
	fi
	RUN_CHANGELOG=""
	if [[ "$name" == @(changelog|enforce) ]] && [ "$RUN_OK" -eq 1 ]; then
		# the suite's schema changes, recorded at commit: the chain must verify
		RUN_CHANGELOG=$(psql -X -At -h "$RUN_DIR/sock" -p "$PORT" -U postgres -d regression -c \
			"SELECT count(*) || ' ' || (SELECT count(*) FROM schemaguard.verify_changelog()) FROM schemaguard.changelog" 2>&1)
		if ! [[ "$RUN_CHANGELOG" =~ ^[0-9]+\ 0$ ]]; then
			echo "  $name: the changelog does not verify: $RUN_CHANGELOG"
			RUN_OK=0
		fi
	fi
	sg_cluster_stop "$RUN_DIR"
	crashes=$(crash_lines "$RUN_DIR/server.log")
	if [ -n "$crashes" ]; then
		echo "  $name: server crashed:"
		echo "$crashes" | head -n 20 | sed 's/^/    | /'
		RUN_OK=0
	fi
	RUN_CRASHES=$(printf '%s' "$crashes" | grep -c .)
	RUN_SECONDS=$((SECONDS - start))
}

# compare NAME: result files of run NAME against the vanilla run, without
# schemaguard's warnings. Sets CMP_FILES, CMP_DIFFS, CMP_WARNINGS; the diffs
# go to $BASE/NAME/vs-vanilla.diffs.
compare() {
	local name=$1 f t
	local van="$BASE/vanilla/out/results" res="$BASE/$name/out/results"
	local diffs="$BASE/$name/vs-vanilla.diffs"
	: >"$diffs"
	CMP_FILES=0 CMP_DIFFS=0 CMP_WARNINGS=0 CMP_DIFFERING=()
	for f in "$res"/*.out "$van"/*.out; do
		[ -e "$f" ] || continue
		t=$(basename "$f")
		[ "$f" = "$van/$t" ] && [ -e "$res/$t" ] && continue # seen from $res
		CMP_FILES=$((CMP_FILES + 1))
		if [ ! -e "$res/$t" ] || [ ! -e "$van/$t" ]; then
			echo "only in one run: $t" >>"$diffs"
			CMP_DIFFS=$((CMP_DIFFS + 1)) CMP_DIFFERING+=("${t%.out}")
			continue
		fi
		CMP_WARNINGS=$((CMP_WARNINGS + $(grep -c '^WARNING:  schemaguard: ' "$res/$t")))
		if ! diff -u --label "vanilla/$t" --label "$name/$t (schemaguard warnings removed)" \
			"$van/$t" <(strip_warnings "$res/$t") >>"$diffs"; then
			CMP_DIFFS=$((CMP_DIFFS + 1)) CMP_DIFFERING+=("${t%.out}")
		fi
	done
}

# sqlstate_count NAME CODE LEVEL: server log lines of run NAME at LEVEL with CODE.
sqlstate_count() {
	grep -cE "^[0-9-]+ [0-9:.]+ [A-Z]+ \[[0-9]+\] $2 $3:  " "$BASE/$1/server.log"
}

cleanup() {
	trap - EXIT INT TERM
	local d
	for d in "$BASE"/*/; do
		sg_cluster_stop "${d%/}" immediate
	done
	rm -rf "$LOGS"
	mkdir -p "$LOGS"
	for d in "$BASE"/*/; do
		d=${d%/}
		[ -d "$d/out" ] || continue
		mkdir -p "$LOGS/$(basename "$d")"
		cp -r "$d"/*.log "$d"/*.diffs "$d/out/results" "$d/out/regression.diffs" \
			"$LOGS/$(basename "$d")/" 2>/dev/null
	done
	rm -rf "$BASE"
}

if $ONLY_SOURCE; then
	core_source
	exit
fi

BASE=$(mktemp -d /tmp/schemaguard-core.XXXXXX)
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
sg_mkdir "$BASE"
unset PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS PGHOST PGPORT

echo "== build ($PG_CONFIG, $("$PG_CONFIG" --version))"
if ! sg_build_install; then
	echo "core: building or installing schemaguard failed" >&2
	exit 1
fi
SRC=$(core_source) || exit 1
SUITE="$BASE/suite"
echo "== suite: $SRC/src/test/regress"
build_suite "$SRC" "$SUITE" || exit 1
[ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$SUITE"

CRASHES=0 WARN_DIFFS="-"
for run in vanilla warn changelog enforce; do
	want "$run" || continue
	echo "== $run"
	case "$run" in
		vanilla) run_suite vanilla "shared_preload_libraries = ''" ;;
		warn) run_suite warn "schemaguard.mode = warn" ;;
		changelog) run_suite changelog "schemaguard.mode = warn" ;;
		enforce) run_suite enforce "schemaguard.mode = enforce" ;;
	esac
	[ "$RUN_OK" -eq 1 ] || FAILED=1
	CRASHES=$((CRASHES + RUN_CRASHES))
	line=$(printf '  %-9s %3d tests (%3d differ from expected/), %d crashes, %3ds' \
		"$run" "$RUN_TESTS" "$RUN_FAILED" "$RUN_CRASHES" "$RUN_SECONDS")
	case "$run" in
		warn | changelog)
			compare "$run"
			line+=$(printf '; %d of %d result files differ from vanilla' "$CMP_DIFFS" "$CMP_FILES")
			[ "$CMP_DIFFS" -gt 0 ] && line+=" (${CMP_DIFFERING[*]})"
			line+=$(printf ' once %d schemaguard warnings are removed (%d in the server log)' \
				"$CMP_WARNINGS" "$(sqlstate_count "$run" SG002 WARNING)")
			if [[ "$RUN_CHANGELOG" =~ ^([0-9]+)\ ([0-9]+)$ ]]; then
				line+="; ${BASH_REMATCH[1]} changelog entries, verify_changelog(): ${BASH_REMATCH[2]} problems"
			fi
			if [ "$run" = warn ]; then
				WARN_DIFFS=$CMP_DIFFS
				if [ "$CMP_DIFFS" -gt 0 ]; then
					FAILED=1
					echo "---- $BASE/$run/vs-vanilla.diffs (first 200 lines)"
					head -n 200 "$BASE/$run/vs-vanilla.diffs"
					echo "----"
				fi
			fi
			;;
		enforce)
			want vanilla && compare enforce
			line+=$(printf '; %d statements blocked (SQLSTATE SG001), %d warnings (SG002)' \
				"$(sqlstate_count enforce SG001 ERROR)" "$(sqlstate_count enforce SG002 WARNING)")
			want vanilla && line+=$(printf '; %d of %d result files differ from vanilla' "$CMP_DIFFS" "$CMP_FILES")
			if [[ "$RUN_CHANGELOG" =~ ^([0-9]+)\ ([0-9]+)$ ]]; then
				line+="; ${BASH_REMATCH[1]} changelog entries, verify_changelog(): ${BASH_REMATCH[2]} problems"
			fi
			;;
	esac
	[ "$RUN_OK" -eq 1 ] || line+="  FAILED"
	echo "$line"
	SUMMARY+=("$line")
done

echo
echo "== summary (logs and result files: $LOGS)"
printf '%s\n' "${SUMMARY[@]}"
result="core suite: ${#RUNS[@]} runs (${RUNS[*]}), $CRASHES crashes, warn mode: $WARN_DIFFS result files differ from vanilla, $((SECONDS - STARTED))s"
if [ "$FAILED" -eq 0 ]; then
	echo "$result: passed"
	exit 0
else
	echo "$result: FAILED"
	exit 1
fi

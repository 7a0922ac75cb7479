#!/usr/bin/env bash
# test/tools.sh — real migration tools against schemaguard; what `make test-tools` runs.
#
#   bash test/tools.sh [TOOL...]     TOOL: django alembic rails sqitch knex node_pg_migrate (default: all)
#
# For each tool, in its own database owned by a non-superuser migration role
# ("migrator") of a throwaway cluster with schemaguard (test/lib.sh), with the
# tool's project in test/tools/<tool>/ (the files docs/tools/<tool>.md shows):
#   setup     the tool's own setup and first migrations succeed, and nothing
#             reports SG001/SG002 (no changelog row carries a warning)
#   idioms    the safe idioms pass: concurrent index outside a transaction,
#             NOT VALID + VALIDATE, the expand step of a rename
#   blocked   an unsafe migration (drop_column of a column with data) fails,
#             the recipe is in the tool's output, the tool's history is unchanged
#   ids       the changelog rows carry the tool's migration ids, with no setting
#   lint      the tool's generated SQL linted with schemaguard.check()
# plus a tool's own extras (Django: `manage.py test` twice, which drops its
# test database, allowed by schemaguard.disposable_databases on the role).
# One summary line per tool; the last line is "N passed, N failed".
#
# Tools come from Debian's packages (python3-django, python3-psycopg2) and
# npm (knex, node-pg-migrate, pg; pinned in test/tools/package.json, installed
# into /var/cache/schemaguard/tools-node). A tool that cannot be installed
# fails, with the reason. Prisma is left out: its engines are downloaded from
# outside the package registries at install time.
#
# Installs the extension into the system PostgreSQL: run it under the test
# lock (flock /tmp/sg-test.lock make test-tools).
#
# Environment: PG_CONFIG (default PostgreSQL 15), SG_TOOLS_PORT (default 54331),
# SG_TOOLS_KEEP=1 leaves the cluster running (socket in /tmp/schemaguard-tools/sock).
set -uo pipefail

# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TOOLS=("$@")
[ ${#TOOLS[@]} -gt 0 ] || TOOLS=(django alembic rails sqitch knex node_pg_migrate)
PROJECTS=$SG_REPO/test/tools
WORK=/tmp/schemaguard-tools
PORT=${SG_TOOLS_PORT:-54331}
NODE_DIR=/var/cache/schemaguard/tools-node

PASSED=0
FAILED=0
SUMMARY=()

# ---------------------------------------------------------------------------
# installation
# ---------------------------------------------------------------------------
APT_PACKAGES=(python3-django python3-psycopg2 alembic ruby-activerecord ruby-pg sqitch libdbd-pg-perl)
# Debian's own Python, with Debian's Django (not a pyenv or venv python3)
PY=/usr/bin/python3

install_tools() {
	local missing=() p
	for p in "${APT_PACKAGES[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	# node and npm from Debian, unless the machine has them already
	command -v node >/dev/null 2>&1 || missing+=(nodejs)
	command -v npm >/dev/null 2>&1 || missing+=(npm)
	if [ ${#missing[@]} -gt 0 ]; then
		echo "== installing ${missing[*]}"
		apt-get update -qq >/dev/null 2>&1
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >"$WORK/apt.log" 2>&1 ||
			echo "apt-get install ${missing[*]} failed: see $WORK/apt.log"
	fi
	if command -v npm >/dev/null 2>&1 &&
		! cmp -s "$PROJECTS/package.json" "$NODE_DIR/package.json" ||
		[ ! -d "$NODE_DIR/node_modules" ]; then
		echo "== installing the npm tools into $NODE_DIR"
		mkdir -p "$NODE_DIR"
		cp "$PROJECTS/package.json" "$NODE_DIR/package.json"
		(cd "$NODE_DIR" && npm install --no-audit --no-fund >"$WORK/npm.log" 2>&1) ||
			echo "npm install failed: see $WORK/npm.log"
	fi
}

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
# sq DB SQL: one query as the superuser, unaligned
sq() {
	psql -X -q -At -v ON_ERROR_STOP=1 -U postgres -d "$1" -c "$2"
}

# new_db NAME: a database owned by migrator, with schemaguard, where
# migrator may lint with check()
new_db() {
	sq postgres "CREATE DATABASE $1 OWNER migrator" &&
		sq "$1" "CREATE EXTENSION schemaguard; GRANT EXECUTE ON FUNCTION schemaguard.check(text) TO migrator"
}

# Per tool: problems found so far and facts for the summary line.
PROBLEMS=()
FACTS=()
problem() { PROBLEMS+=("$*"); echo "   PROBLEM: $*"; }
fact() { FACTS+=("$*"); }

# run_step LOG CMD...: run it, its output in $STEP_OUT and appended to LOG
STEP_OUT=
run_step() {
	local log=$1 rc
	shift
	STEP_OUT=$WORK/step.out
	"$@" >"$STEP_OUT" 2>&1
	rc=$?
	{ echo "   \$ $*"; cat "$STEP_OUT"; } >>"$log"
	return $rc
}

# expect_ok STEP LOG CMD...: the command succeeds and reports no SG001/SG002
expect_ok() {
	local step=$1 log=$2 rc
	shift 2
	run_step "$log" "$@"
	rc=$?
	if [ $rc -ne 0 ]; then
		problem "$step failed (exit $rc): $(tail -3 "$STEP_OUT" | tr '\n' ' ')"
		return 1
	fi
	if grep -q 'SG00[12]\|schemaguard: ' "$STEP_OUT"; then
		problem "$step: schemaguard reported something: $(grep -m1 'schemaguard: ' "$STEP_OUT")"
		return 1
	fi
	return 0
}

# expect_blocked STEP LOG CMD...: fails, with schemaguard's recipe in the output
expect_blocked() {
	local step=$1 log=$2
	shift 2
	if run_step "$log" "$@"; then
		problem "$step was not blocked"
		return 1
	fi
	if ! grep -q 'schemaguard: drop_column' "$STEP_OUT"; then
		problem "$step failed, but not with schemaguard's drop_column: $(tail -3 "$STEP_OUT" | tr '\n' ' ')"
		return 1
	fi
	if ! grep -q 'keep a copy of its values' "$STEP_OUT"; then
		problem "$step: the recipe is not in the tool's output"
		return 1
	fi
	cp "$STEP_OUT" "$WORK/$CURRENT_TOOL.blocked.out"
	return 0
}

# no_warnings DB: no schemaguard warning (SG002) in the server log for the
# database (the client may not show warnings), and no changelog row with one
no_warnings() {
	local n
	n=$(grep -c "^$1 WARNING:  schemaguard: " "$WORK/server.log")
	[ "$n" = 0 ] || problem "$n schemaguard warnings: $(grep -m1 "^$1 WARNING:  schemaguard: " "$WORK/server.log")"
	n=$(sq "$1" "SELECT count(*) FROM schemaguard.changelog WHERE cardinality(warnings) > 0")
	[ "$n" = 0 ] || problem "$n changelog rows carry warnings"
}

# has_ids DB ID...: each id labels at least one changelog row
has_ids() {
	local db=$1 id n
	shift
	for id in "$@"; do
		n=$(sq "$db" "SELECT count(*) FROM schemaguard.changelog WHERE migration = '$id'")
		[ "$n" -gt 0 ] || problem "no changelog row carries migration id $id"
	done
	fact "ids: $(sq "$db" "SELECT string_agg(DISTINCT migration, ' ' ORDER BY migration) FROM schemaguard.changelog WHERE migration IS NOT NULL")"
}

# ---------------------------------------------------------------------------
# Django (Debian's python3-django, python3-psycopg2)
# ---------------------------------------------------------------------------
tool_django() {
	local dir=$WORK/django log=$WORK/django.log n
	"$PY" -c 'import django, psycopg2' 2>/dev/null ||
		{ problem "not installed: python3-django and python3-psycopg2 (apt-get install python3-django python3-psycopg2)"; return; }
	rm -rf "$dir"
	cp -r "$PROJECTS/django" "$dir"
	new_db app_django || { problem "could not create the database"; return; }
	export PGDATABASE=app_django
	cd "$dir" || return

	# setup: Django's own apps and the first migrations
	expect_ok "migrate (setup, 0001, 0002)" "$log" "$PY" manage.py migrate library 0002 &&
		fact "setup clean"
	# the concurrent index (atomic = False), labelled by PGOPTIONS
	expect_ok "migrate 0003 (AddIndexConcurrently)" "$log" \
		env PGOPTIONS='-c schemaguard.migration=library.0003_book_isbn_idx' "$PY" manage.py migrate library 0003
	# NOT VALID + VALIDATE, expand step of the rename
	expect_ok "migrate 0004-0006 (NOT VALID, VALIDATE, expand)" "$log" "$PY" manage.py migrate library 0006 &&
		fact "idioms pass"
	no_warnings app_django

	# the unsafe contract step, on a table with data
	sq app_django "INSERT INTO library_book (title, name) SELECT 'Book ' || g, 'Book ' || g FROM generate_series(1, 100) g"
	if expect_blocked "migrate 0007 (RemoveField with data)" "$log" "$PY" manage.py migrate library 0007; then
		n=$(sq app_django "SELECT count(*) FROM django_migrations WHERE app = 'library' AND name = '0007_remove_book_title'")
		if [ "$n" = 0 ]; then fact "unsafe blocked with recipe, history unchanged"; else problem "django_migrations records the blocked 0007"; fi
	fi
	has_ids app_django library.0002_book_isbn library.0003_book_isbn_idx library.0005_validate_book_author library.0006_book_name

	# lint the generated SQL of the unsafe step in CI
	if run_step "$log" sh -c "\"$PY\" manage.py sqlmigrate library 0007 >0007.sql" &&
		! run_step "$log" sh "$PROJECTS/lint.sh" 0007.sql &&
		grep -q '^error: drop_column' "$STEP_OUT"; then
		fact "sqlmigrate | check() finds drop_column"
	else
		problem "sqlmigrate | check() did not report drop_column: $(head -3 "$STEP_OUT")"
	fi

	# manage.py test creates and drops test_app_django; twice, so that a
	# database left behind by a blocked DROP DATABASE would fail the second
	if expect_ok "manage.py test (1)" "$log" "$PY" manage.py test library --noinput &&
		expect_ok "manage.py test (2)" "$log" "$PY" manage.py test library --noinput; then
		fact "manage.py test drops test_app_django"
	fi
	cd "$SG_REPO" || return
	unset PGDATABASE
}

# ---------------------------------------------------------------------------
# knex (npm, pinned in test/tools/package.json)
# ---------------------------------------------------------------------------
tool_knex() {
	local dir=$WORK/knex log=$WORK/knex.log knex n
	knex=$NODE_DIR/node_modules/.bin/knex
	[ -x "$knex" ] || { problem "not installed: knex (npm install in $NODE_DIR failed; see $WORK/npm.log)"; return; }
	rm -rf "$dir"
	cp -r "$PROJECTS/knex" "$dir"
	ln -s "$NODE_DIR/node_modules" "$dir/node_modules"
	new_db app_knex || { problem "could not create the database"; return; }
	export PGDATABASE=app_knex
	cd "$dir" || return

	# knex records a migration in the migration's own transaction only when
	# its batch runs in one transaction, i.e. has no { transaction: false }
	# migration: the transactional ones in one batch, the concurrent index
	# on its own, labelled by PGOPTIONS, then the rest
	mkdir pending && mv migrations/2024010[3-6]* pending/
	expect_ok "migrate:latest (setup, 0101, 0102)" "$log" "$knex" migrate:latest &&
		fact "setup clean"
	mv pending/20240103000000_isbn_index.js migrations/
	expect_ok "migrate:up (CREATE INDEX CONCURRENTLY, transaction: false)" "$log" \
		env PGOPTIONS='-c schemaguard.migration=20240103000000_isbn_index.js' "$knex" migrate:up
	mv pending/*.js migrations/
	expect_ok "migrate:latest (NOT VALID, VALIDATE, expand)" "$log" "$knex" migrate:latest &&
		fact "idioms pass"
	no_warnings app_knex

	sq app_knex "INSERT INTO books (title, name) SELECT 'Book ' || g, 'Book ' || g FROM generate_series(1, 100) g"
	cp unsafe/*.js migrations/
	if expect_blocked "migrate:latest (dropColumn with data)" "$log" "$knex" migrate:latest; then
		n=$(sq app_knex "SELECT count(*) FROM knex_migrations WHERE name = '20240107000000_drop_title.js'")
		if [ "$n" = 0 ]; then fact "unsafe blocked with recipe, history unchanged"; else problem "knex_migrations records the blocked migration"; fi
	fi
	# lint the SQL of the unsafe migration in CI
	if run_step "$log" sh -c "NODE_PATH=$NODE_DIR/node_modules node print-sql.js unsafe/20240107000000_drop_title.js >drop_title.sql" &&
		! run_step "$log" sh "$PROJECTS/lint.sh" drop_title.sql &&
		grep -q '^error: drop_column' "$STEP_OUT"; then
		fact "print-sql.js | check() finds drop_column"
	else
		problem "print-sql.js | check() did not report drop_column: $(head -3 "$STEP_OUT")"
	fi
	has_ids app_knex 20240101000000_create_books.js 20240102000000_add_isbn.js \
		20240103000000_isbn_index.js 20240104000000_author_fk.js 20240105000000_validate_author_fk.js 20240106000000_books_name.js
	cd "$SG_REPO" || return
	unset PGDATABASE
}

# ---------------------------------------------------------------------------
# node-pg-migrate (npm, pinned in test/tools/package.json)
# ---------------------------------------------------------------------------
tool_node_pg_migrate() {
	local dir=$WORK/node-pg-migrate log=$WORK/node_pg_migrate.log npm n
	npm=$NODE_DIR/node_modules/.bin/node-pg-migrate
	[ -x "$npm" ] || { problem "not installed: node-pg-migrate (npm install in $NODE_DIR failed; see $WORK/npm.log)"; return; }
	rm -rf "$dir"
	cp -r "$PROJECTS/node-pg-migrate" "$dir"
	new_db app_pgm || { problem "could not create the database"; return; }
	export DATABASE_URL="postgres://migrator@$(printf %s "$PGHOST" | sed 's|/|%2F|g'):$PGPORT/app_pgm" PGDATABASE=app_pgm
	cd "$dir" || return

	expect_ok "up 2 (setup)" "$log" "$npm" up 2 && fact "setup clean"
	expect_ok "up 1 (noTransaction, CREATE INDEX CONCURRENTLY)" "$log" \
		env PGOPTIONS='-c schemaguard.migration=1704240000000_isbn-index' "$npm" up 1
	expect_ok "up (NOT VALID, VALIDATE, expand)" "$log" "$npm" up && fact "idioms pass"
	no_warnings app_pgm

	sq app_pgm "INSERT INTO books (title, name) SELECT 'Book ' || g, 'Book ' || g FROM generate_series(1, 100) g"
	cp unsafe/*.js migrations/
	if expect_blocked "up (dropColumn with data)" "$log" "$npm" up; then
		n=$(sq app_pgm "SELECT count(*) FROM pgmigrations WHERE name = '1704585600000_drop-title'")
		if [ "$n" = 0 ]; then fact "unsafe blocked with recipe, history unchanged"; else problem "pgmigrations records the blocked migration"; fi
	fi

	# lint the SQL that --dry-run prints, in CI
	if run_step "$log" sh -c "'$npm' up --dry-run | sed -n '/^### MIGRATION/,\$p' | grep -v -e '^###' -e '^Migrations complete' >drop_title.sql" &&
		! run_step "$log" sh "$PROJECTS/lint.sh" drop_title.sql &&
		grep -q '^error: drop_column' "$STEP_OUT"; then
		fact "up --dry-run | check() finds drop_column"
	else
		problem "up --dry-run | check() did not report drop_column: $(head -3 "$STEP_OUT")"
	fi
	has_ids app_pgm 1704067200000_create-books 1704153600000_add-isbn 1704240000000_isbn-index \
		1704326400000_author-fk 1704412800000_validate-author-fk 1704499200000_books-name
	cd "$SG_REPO" || return
	unset PGDATABASE DATABASE_URL
}

# ---------------------------------------------------------------------------
# Rails / ActiveRecord (Debian's ruby-activerecord, ruby-pg)
# ---------------------------------------------------------------------------
tool_rails() {
	local dir=$WORK/rails log=$WORK/rails.log n
	ruby -e 'require "active_record"; require "pg"' 2>/dev/null ||
		{ problem "not installed: ruby-activerecord and ruby-pg (apt-get install ruby-activerecord ruby-pg)"; return; }
	rm -rf "$dir"
	cp -r "$PROJECTS/rails" "$dir"
	new_db app_rails || { problem "could not create the database"; return; }
	export PGDATABASE=app_rails
	cd "$dir" || return

	expect_ok "migrate 20240102000000 (setup)" "$log" ruby migrate.rb 20240102000000 &&
		fact "setup clean"
	expect_ok "migrate 20240103000000 (disable_ddl_transaction!, algorithm: :concurrently)" "$log" \
		env PGOPTIONS='-c schemaguard.migration=20240103000000' ruby migrate.rb 20240103000000
	expect_ok "migrate (NOT VALID, VALIDATE, expand)" "$log" ruby migrate.rb && fact "idioms pass"
	no_warnings app_rails

	sq app_rails "INSERT INTO books (title, name) SELECT 'Book ' || g, 'Book ' || g FROM generate_series(1, 100) g"
	cp unsafe/*.rb db/migrate/
	if expect_blocked "migrate (remove_column with data)" "$log" ruby migrate.rb; then
		n=$(sq app_rails "SELECT count(*) FROM schema_migrations WHERE version = '20240107000000'")
		if [ "$n" = 0 ]; then fact "unsafe blocked with recipe, history unchanged"; else problem "schema_migrations records the blocked migration"; fi
	fi

	if run_step "$log" sh -c "ruby migrate.rb --sql 20240107000000 >remove_title.sql" &&
		! run_step "$log" sh "$PROJECTS/lint.sh" remove_title.sql &&
		grep -q '^error: drop_column' "$STEP_OUT"; then
		fact "migrate.rb --sql | check() finds drop_column"
	else
		problem "migrate.rb --sql | check() did not report drop_column: $(head -3 "$STEP_OUT")"
	fi
	has_ids app_rails 20240101000000 20240102000000 20240103000000 20240104000000 20240105000000 20240106000000
	cd "$SG_REPO" || return
	unset PGDATABASE
}

# ---------------------------------------------------------------------------
# Sqitch (Debian's sqitch, libdbd-pg-perl; psql)
# ---------------------------------------------------------------------------
tool_sqitch() {
	local dir=$WORK/sqitch log=$WORK/sqitch.log n
	command -v sqitch >/dev/null 2>&1 && perl -MDBD::Pg -e1 2>/dev/null ||
		{ problem "not installed: sqitch and libdbd-pg-perl (apt-get install sqitch libdbd-pg-perl)"; return; }
	rm -rf "$dir"
	cp -r "$PROJECTS/sqitch" "$dir"
	new_db app_sqitch || { problem "could not create the database"; return; }
	export PGDATABASE=app_sqitch SQITCH_FULLNAME=Suite SQITCH_EMAIL=suite@example.com
	cd "$dir" || return

	expect_ok "deploy --to books (setup, registry)" "$log" sqitch deploy db:pg:app_sqitch --to books &&
		fact "setup clean"
	expect_ok "deploy (concurrent indexes, NOT VALID, VALIDATE, expand)" "$log" sqitch deploy db:pg:app_sqitch &&
		fact "idioms pass"
	no_warnings app_sqitch

	sq app_sqitch "INSERT INTO books (title, name) SELECT 'Book ' || g, 'Book ' || g FROM generate_series(1, 100) g"
	cp -r unsafe/deploy unsafe/revert .
	cat unsafe/sqitch.plan.add >>sqitch.plan
	if expect_blocked "deploy drop_title (drop_column with data)" "$log" sqitch deploy db:pg:app_sqitch; then
		n=$(sq app_sqitch "SELECT count(*) FROM sqitch.changes WHERE change = 'drop_title'")
		if [ "$n" = 0 ]; then fact "unsafe blocked with recipe, history unchanged"; else problem "sqitch.changes records the blocked change"; fi
	fi

	# lint the change's deploy script in CI
	if ! run_step "$log" sh "$PROJECTS/lint.sh" deploy/drop_title.sql &&
		grep -q '^error: drop_column' "$STEP_OUT"; then
		fact "deploy script | check() finds drop_column"
	else
		problem "deploy script | check() did not report drop_column: $(head -3 "$STEP_OUT")"
	fi
	has_ids app_sqitch library:books library:isbn_idx library:author_fk library:validate_author_fk library:books_name
	cd "$SG_REPO" || return
	unset PGDATABASE SQITCH_FULLNAME SQITCH_EMAIL
}

# ---------------------------------------------------------------------------
# Alembic (Debian's alembic, python3-psycopg2)
# ---------------------------------------------------------------------------
tool_alembic() {
	local dir=$WORK/alembic log=$WORK/alembic.log n
	command -v alembic >/dev/null 2>&1 ||
		{ problem "not installed: alembic (apt-get install alembic)"; return; }
	rm -rf "$dir"
	cp -r "$PROJECTS/alembic" "$dir"
	new_db app_alembic || { problem "could not create the database"; return; }
	export PGDATABASE=app_alembic
	cd "$dir" || return

	expect_ok "upgrade 0002_isbn (setup)" "$log" alembic upgrade 0002_isbn &&
		fact "setup clean"
	expect_ok "upgrade 0003_isbn_idx (autocommit_block)" "$log" \
		env PGOPTIONS='-c schemaguard.migration=0003_isbn_idx' alembic upgrade 0003_isbn_idx
	expect_ok "upgrade head (NOT VALID, VALIDATE, expand)" "$log" alembic upgrade head &&
		fact "idioms pass"
	no_warnings app_alembic

	sq app_alembic "INSERT INTO books (title, name) SELECT 'Book ' || g, 'Book ' || g FROM generate_series(1, 100) g"
	cp unsafe/*.py versions/
	if expect_blocked "upgrade 0007_drop_title (drop_column with data)" "$log" alembic upgrade head; then
		n=$(sq app_alembic "SELECT version_num FROM alembic_version")
		if [ "$n" = 0006_name ]; then fact "unsafe blocked with recipe, history unchanged"; else problem "alembic_version is $n after the blocked upgrade"; fi
	fi

	# lint the generated SQL of the unsafe step in CI (offline mode)
	if run_step "$log" sh -c "alembic upgrade 0006_name:0007_drop_title --sql >0007.sql" &&
		! run_step "$log" sh "$PROJECTS/lint.sh" 0007.sql &&
		grep -q '^error: drop_column' "$STEP_OUT"; then
		fact "upgrade --sql | check() finds drop_column"
	else
		problem "upgrade --sql | check() did not report drop_column: $(head -3 "$STEP_OUT")"
	fi
	has_ids app_alembic 0001_books 0002_isbn 0003_isbn_idx 0004_author_fk 0005_validate 0006_name
	cd "$SG_REPO" || return
	unset PGDATABASE
}

# ---------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------
cleanup() {
	[ -n "${SG_TOOLS_KEEP:-}" ] || sg_cluster_stop "$WORK"
}
trap cleanup EXIT

sg_cluster_stop "$WORK"
rm -rf "$WORK/data" "$WORK/sock" "$WORK"/*.log "$WORK"/*.out
sg_mkdir "$WORK"
install_tools

echo "== building and installing schemaguard"
sg_build_install >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; echo "0 passed, 1 failed"; exit 1; }
sg_cluster_create "$WORK" "$PORT" "log_min_messages = warning" "log_line_prefix = '%d '" || exit 1
sg_cluster_start "$WORK" || exit 1
export PGHOST=$WORK/sock PGPORT=$PORT PGUSER=migrator
unset PGOPTIONS PGSERVICE PGDATABASE
sq postgres "CREATE ROLE migrator LOGIN CREATEDB;
	ALTER ROLE migrator SET schemaguard.disposable_databases = 'test_*'" || exit 1

for tool in "${TOOLS[@]}"; do
	echo "== $tool"
	CURRENT_TOOL=$tool
	PROBLEMS=()
	FACTS=()
	if ! declare -F "tool_$tool" >/dev/null; then
		problem "unknown tool"
	else
		"tool_$tool"
	fi
	if [ ${#PROBLEMS[@]} -eq 0 ]; then
		PASSED=$((PASSED + 1))
		SUMMARY+=("$(printf '  %-16s passed: %s' "$tool" "$(IFS=';'; echo "${FACTS[*]}" | sed 's/;/; /g')")")
	else
		FAILED=$((FAILED + 1))
		SUMMARY+=("$(printf '  %-16s FAILED: %s (log: %s)' "$tool" "${PROBLEMS[0]}" "$WORK/$tool.log")")
	fi
done

echo
echo "== summary (prisma: left out, its engines download from outside the package registries)"
printf '%s\n' "${SUMMARY[@]}"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

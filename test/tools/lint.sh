#!/bin/sh
# lint.sh FILE: lint a migration's generated SQL with schemaguard.check();
# prints one "level: rule: message" line per finding and exits 1 if any is
# at level error. Connects as libpq does (PGHOST, PGDATABASE, PGUSER ...);
# the role needs EXECUTE on schemaguard.check(text).
set -eu
out=$(psql -X -At -v ON_ERROR_STOP=1 -v sql="$(cat "$1")" <<'SQL'
SELECT level || ': ' || rule || ': ' || message FROM schemaguard.check(:'sql');
SQL
)
[ -z "$out" ] || printf '%s\n' "$out"
! printf '%s\n' "$out" | grep -q '^error: '

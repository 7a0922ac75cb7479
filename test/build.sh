#!/usr/bin/env bash
# test/build.sh — build schemaguard with -Werror and install it into
# $PG_CONFIG's tree; what the test and benchmark scripts build with.
#
# Objects built for another server (make test PG=17 after PG=15, or a
# benchmark after that) are cleaned first: .build-pg_config names the
# server of the last build.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
stamp="$REPO/.build-pg_config"
server="$PG_CONFIG $("$PG_CONFIG" --version)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$server" ]; then
	make -s -C "$REPO" clean PG_CONFIG="$PG_CONFIG" >/dev/null
fi
make -s -C "$REPO" STRICT=1 PG_CONFIG="$PG_CONFIG"
make -s -C "$REPO" install PG_CONFIG="$PG_CONFIG" >/dev/null
echo "$server" >"$stamp"

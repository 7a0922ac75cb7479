#!/usr/bin/env bash
# test/deps.sh — install what building and testing schemaguard needs (Debian 12).
#
# Run by `make deps` (and so by `make test` / `make demo`). Idempotent and quick:
# it asks dpkg which packages are missing and only then runs apt-get update and
# apt-get install. Needs root when something is missing.
#
# Installed: the PostgreSQL 15 server and its PGXS development files, pgTAP and
# pg_prove, IPC::Run (for PostgreSQL's TAP test modules), make, gcc and perl.
# Installing postgresql-15 on Debian creates and starts a "15 main" cluster on
# port 5432; the test and demo scripts never use it (they run their own
# clusters on private socket directories).
set -euo pipefail

PACKAGES=(
	postgresql-15                          # server, contrib modules, pg_regress (via client)
	postgresql-server-dev-15               # PGXS, pg_config, PostgreSQL::Test::* perl modules
	postgresql-15-pgtap                    # CREATE EXTENSION pgtap
	libtap-parser-sourcehandler-pgtap-perl # pg_prove
	libipc-run-perl                        # IPC::Run, used by PostgreSQL::Test::Cluster
	perl                                   # prove, Test::More
	python3                                # test/verify_changelog.py
	make
	gcc
)

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for p in "${PACKAGES[@]}"; do
	installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}" >&2
	echo "deps.sh: run as root (e.g. 'sudo make deps') or install them yourself:" >&2
	echo "  apt-get install --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "deps.sh: installing: ${missing[*]}"
apt-get update -qq

# Some Debian releases ship contrib as a separate postgresql-contrib-15; in
# bookworm it is only a virtual package provided by postgresql-15 itself.
# Add it only where it is a real package.
if apt-cache show postgresql-contrib-15 2>/dev/null | grep '^Package:' >/dev/null &&
	! installed postgresql-contrib-15; then
	missing+=(postgresql-contrib-15)
fi

apt-get install -y -q --no-install-recommends "${missing[@]}"

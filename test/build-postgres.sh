#!/usr/bin/env bash
# test/build-postgres.sh — build PostgreSQL 17, 18 or 19 from Debian's
# source package, with assertions, once, into a cache outside the repository.
#
#   bash test/build-postgres.sh 17|18|19  prints the pg_config path on stdout
#
# This is the assertion-enabled build among the tested versions (`make test
# PG=18` uses it; SG_PG_BUILD=source asks for it with 17 or 19). The source
# packages come from Debian 13 "trixie" (postgresql-17), "sid"
# (postgresql-18) and "experimental" (postgresql-19), built without Debian's
# path patches. Only deb-src lines are added to apt's sources, so no binary
# package from a newer release is installed on the host.
#
# When the archive serves no source for the version (its index may list
# files that answer 404), the script says so in one line and exits 3:
# test/lib.sh then tests that version's binary packages in a chroot instead
# (test/chroot.sh). Any other failure exits 1.
#
# The build is configured with --enable-cassert and --enable-debug (so node
# type and memory-context mistakes fail loudly), --enable-tap-tests and
# -DUSE_VALGRIND (memory contexts tell valgrind which palloc'd chunks are
# live: `make test-valgrind`; costs next to nothing outside valgrind), and
# installs the server, contrib, pg_regress, pg_isolation_regress, the
# PostgreSQL::Test perl modules and PostgreSQL's valgrind.supp (in share/),
# and pgTAP (Debian 12's postgresql-15-pgtap, plain SQL) into the same tree:
#
#   $SG_PG_CACHE/pg<N>/bin/pg_config       (SG_PG_CACHE default /var/cache/schemaguard)
#
# A finished build leaves a stamp file naming the source version; a second run
# only checks it and prints the path (about a second). Building takes 4 to 6
# minutes per version on 2 cores. Needs root the first time (apt-get).
set -euo pipefail

VERSION=${1:-}
case "$VERSION" in
	17) SUITE=trixie ;;
	18) SUITE=sid ;;
	19) SUITE=experimental ;;
	*)
		echo "usage: $0 17|18|19" >&2
		exit 2
		;;
esac

CACHE=${SG_PG_CACHE:-/var/cache/schemaguard}
PREFIX="$CACHE/pg$VERSION"
STAMP="$PREFIX/.schemaguard-build"
JOBS=${SG_BUILD_JOBS:-$(nproc)}

log() { echo "build-postgres: $*" >&2; }

if [ -f "$STAMP" ] && [ -x "$PREFIX/bin/pg_config" ]; then
	echo "$PREFIX/bin/pg_config"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	log "PostgreSQL $VERSION is not built yet in $PREFIX; run this once as root"
	exit 1
fi

BUILD_DEPS=(
	build-essential bison flex perl pkg-config dpkg-dev
	libreadline-dev zlib1g-dev libssl-dev libicu-dev liblz4-dev libzstd-dev
	libipc-run-perl xz-utils bzip2 ca-certificates valgrind postgresql-15-pgtap
)
export DEBIAN_FRONTEND=noninteractive

# no_source REASON: the one line that says this version's source cannot be
# had, and the exit status that makes test/lib.sh fall back to packages
no_source() {
	log "no source package postgresql-$VERSION from Debian $SUITE: $1; testing its binary packages instead (not assertion-enabled)"
	exit 3
}

# deb-src lines for trixie, sid and experimental (source packages only;
# sid's and experimental's Release files may be past Valid-Until on a mirror)
SOURCES=/etc/apt/sources.list.d/schemaguard-src.sources
if ! grep -q experimental "$SOURCES" 2>/dev/null; then
	log "adding deb-src lines for trixie, sid and experimental to $SOURCES"
	cat >"$SOURCES" <<-EOF
		Types: deb-src
		URIs: http://deb.debian.org/debian
		Suites: trixie sid experimental
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		Check-Valid-Until: no
	EOF
	apt-get update -qq >&2 || log "apt-get update reported errors; going on"
elif ! apt-cache showsrc "postgresql-$VERSION" 2>/dev/null | grep -q '^Version:'; then
	apt-get update -qq >&2 || log "apt-get update reported errors; going on"
fi
apt-cache showsrc "postgresql-$VERSION" 2>/dev/null | grep -q '^Version:' ||
	no_source "apt's index has none"

missing=()
for p in "${BUILD_DEPS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing build dependencies: ${missing[*]}"
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

WORK="$CACHE/src"
mkdir -p "$WORK"
rm -rf "${WORK:?}/pg$VERSION"
mkdir "$WORK/pg$VERSION"
cd "$WORK/pg$VERSION"

# the newest postgresql-N source in the suite it comes from
SRCVER=$(apt-cache showsrc "postgresql-$VERSION" |
	awk '/^Version:/ { print $2 }' | sort -V | tail -n 1)
log "fetching postgresql-$VERSION $SRCVER ($SUITE)"
# Debian's patches move files to Debian's fixed paths (/usr/lib/postgresql/N,
# /var/run/postgresql): leave them out, so that everything stays under PREFIX.
if ! apt-get source -q --download-only "postgresql-$VERSION=$SRCVER" >fetch.log 2>&1; then
	url=$(grep -oE 'https?://[^ ]+' fetch.log | head -n 1)
	cd / && rm -rf "${WORK:?}/pg$VERSION"
	no_source "$SRCVER is in apt's index but its files did not download${url:+ ($url)}"
fi
dpkg-source --skip-patches -x ./*.dsc >&2
SRCDIR=$(find "$PWD" -maxdepth 1 -type d -name "postgresql-$VERSION-*" | head -n 1)
[ -n "$SRCDIR" ] || { log "no source directory after apt-get source"; exit 1; }

cd "$SRCDIR"
log "configuring ($PREFIX, --enable-cassert)"
./configure --prefix="$PREFIX" --enable-cassert --enable-debug --enable-tap-tests \
	--with-openssl --with-icu --with-lz4 --with-zstd \
	CFLAGS="-O2 -g" CPPFLAGS="-DUSE_VALGRIND" >"$WORK/pg$VERSION/configure.log" 2>&1 || {
	tail -n 40 "$WORK/pg$VERSION/configure.log" >&2
	exit 1
}
log "building with $JOBS jobs (log: $WORK/pg$VERSION/build.log)"
# Run from `make test PG=N`, the environment says this is a sub-make
# (MAKELEVEL, MAKEFLAGS); PostgreSQL's top-level make must not think so, or
# it skips building the generated headers first.
unset MAKELEVEL MAKEFLAGS MFLAGS
{
	make -j"$JOBS" -s &&
		make -j"$JOBS" -s -C contrib &&
		make -s -C src/test/isolation &&
		make -s install &&
		make -s -C contrib install &&
		make -s -C src/test/isolation install
} >"$WORK/pg$VERSION/build.log" 2>&1 || {
	tail -n 60 "$WORK/pg$VERSION/build.log" >&2
	exit 1
}

# PostgreSQL's valgrind suppressions, for `make test-valgrind`
cp "$SRCDIR/src/tools/valgrind.supp" "$PREFIX/share/valgrind.supp"

# pgTAP is plain SQL: Debian 12's postgresql-15-pgtap files serve every
# version (the archive does not reliably serve pgtap's source package)
cp /usr/share/postgresql/15/extension/pgtap* "$("$PREFIX/bin/pg_config" --sharedir)/extension/"

# the postgres OS user runs the servers: it must be able to read the tree
chmod -R a+rX "$PREFIX"
echo "postgresql-$VERSION $SRCVER cassert" >"$STAMP"
rm -rf "${WORK:?}/pg$VERSION"
log "done: $PREFIX"
echo "$PREFIX/bin/pg_config"

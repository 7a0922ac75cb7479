#!/usr/bin/env bash
# test/chroot.sh — PostgreSQL from a newer Debian release's own binary
# packages, in a chroot of that release, cached outside the repository.
#
#   bash test/chroot.sh prepare N          make (or check) the chroot for
#                                          PostgreSQL N; prints its directory
#   bash test/chroot.sh run N CMD [ARG...] run CMD inside it, from the
#                                          repository (bind-mounted at
#                                          /src/schemaguard), as root
#
# Debian 12 packages PostgreSQL 15 only. A newer major's binary packages are
# built against its own release's libc, so they run in a chroot of that
# release, installed exactly as a user of that release installs them:
#
#   N    release                   packages
#   17   trixie (Debian 13)        postgresql-17, postgresql-server-dev-17
#   18   sid                       postgresql-18, postgresql-server-dev-18
#   19   sid, and experimental     postgresql-19, postgresql-server-dev-19
#        pinned for src:postgresql-19 only (19~rc1 today; the final
#        release wherever the archive has the newest)
#
# plus pgTAP (postgresql-N-pgtap where the release has it, or else the plain
# SQL of the host's postgresql-15-pgtap), pg_prove, IPC::Run, make, gcc, perl
# and python3. The chroot is made with `debootstrap --variant=minbase` from
# the host's Debian mirror (SG_DEBIAN_MIRROR) into
# $SG_PG_CACHE/chroot/<release> (SG_PG_CACHE default /var/cache/schemaguard);
# the release's Release file is not checked for expiry (sid's and
# experimental's may be stale on a mirror). No service is started in it and
# no default cluster is created. Cold: about 30 s for debootstrap and 30 s
# per PostgreSQL version; warm: a stamp file is found at once. A chroot
# older than SG_CHROOT_MAX_AGE days (default 7) gets `apt-get update` and an
# upgrade of its packages first; if that fails it goes on with what it has.
#
# `run` mounts proc, the host's /dev, a private tmpfs on /dev/shm (the
# server's dynamic shared memory) and the repository into the chroot, and
# unmounts them again when CMD ends; runs in one chroot are serialized with
# flock. Environment passed to CMD: CI, PG_CONFIG (the release's pg_config),
# SG_IN_CHROOT=N, SG_HOST_REPO (the repository's path outside) and the SG_*/FUZZ_*/PG_TEST_* settings of the caller.
#
# Needs root (debootstrap, mount, chroot). Fails with one line that names
# the package and the archive it was to come from, and the log to read.
set -uo pipefail

SG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${SG_PG_CACHE:-/var/cache/schemaguard}
MAX_AGE=${SG_CHROOT_MAX_AGE:-7}
INSIDE=/src/schemaguard

log() { echo "chroot.sh: $*" >&2; }
die() {
	log "$*"
	exit 1
}

# the Debian mirror: SG_DEBIAN_MIRROR, or the host's own, or deb.debian.org
mirror() {
	local m=${SG_DEBIAN_MIRROR:-}
	if [ -z "$m" ]; then
		m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
			/etc/apt/sources.list.d/*.sources 2>/dev/null |
			grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ')
	fi
	echo "${m:-http://deb.debian.org/debian}"
}

VERSION=${2:-}
case "$VERSION" in
	17) RELEASE=trixie EXTRA_SUITE="" ;;
	18) RELEASE=sid EXTRA_SUITE="" ;;
	19) RELEASE=sid EXTRA_SUITE=experimental ;;
	*)
		echo "usage: $0 prepare|run 17|18|19 [CMD...]" >&2
		exit 2
		;;
esac
ROOT="$CACHE/chroot/$RELEASE"
STAMP="$ROOT/.schemaguard-pg$VERSION"
MIRROR=$(mirror)
APTLOG="$CACHE/chroot/$RELEASE-apt.log"

[ "$(id -u)" -eq 0 ] || {
	[ "$1" = prepare ] && [ -f "$STAMP" ] && { echo "$ROOT"; exit 0; }
	die "PostgreSQL $VERSION runs in a Debian $RELEASE chroot: run this as root (debootstrap, mount, chroot)"
}

# the mounts `run` and the package installation need, undone by unmount_all
MOUNTED=()
mount_one() { # mount_one TARGET MOUNT-ARGS...
	local target=$1
	shift
	mountpoint -q "$target" && return 0
	mkdir -p "$target"
	mount "$@" "$target" || return 1
	MOUNTED=("$target" "${MOUNTED[@]}")
}
unmount_all() {
	local m
	for m in "${MOUNTED[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	MOUNTED=()
}
mount_system() {
	mount_one "$ROOT/proc" -t proc proc &&
		mount_one "$ROOT/dev" --bind /dev &&
		mount_one "$ROOT/dev/shm" -t tmpfs -o mode=1777 shm
}

in_root() { # in_root CMD...: run CMD in the chroot with a plain environment
	chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# apt_in_root WHAT ARGS...: apt-get in the chroot, output to the log; on
# failure one line naming WHAT and where it was to come from.
apt_in_root() {
	local what=$1
	shift
	echo "### apt-get $*" >>"$APTLOG"
	if ! in_root apt-get -q -y "$@" >>"$APTLOG" 2>&1; then
		log "could not get $what from $MIRROR ($RELEASE${EXTRA_SUITE:+ and $EXTRA_SUITE}); apt's last errors (full log: $APTLOG):"
		grep -E '^(E|W):' "$APTLOG" | tail -n 3 | sed 's/^/chroot.sh:   /' >&2
		return 1
	fi
}

debootstrap_root() {
	if ! command -v debootstrap >/dev/null; then
		log "installing debootstrap"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			debootstrap >>"$APTLOG" 2>&1 ||
			{
				apt-get update -qq >>"$APTLOG" 2>&1 &&
					DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
						--no-install-recommends debootstrap >>"$APTLOG" 2>&1
			} ||
			die "could not install debootstrap from the host's archive (log: $APTLOG)"
	fi
	log "debootstrap $RELEASE from $MIRROR into $ROOT (about 30 s)"
	rm -rf "$ROOT.new"
	if ! debootstrap --variant=minbase "$RELEASE" "$ROOT.new" "$MIRROR" >>"$APTLOG" 2>&1; then
		log "debootstrap of Debian $RELEASE from $MIRROR failed; its last lines (full log: $APTLOG):"
		tail -n 3 "$APTLOG" | sed 's/^/chroot.sh:   /' >&2
		rm -rf "$ROOT.new"
		exit 1
	fi
	# sid and experimental Release files may be past their Valid-Until on
	# a mirror; no service starts in the chroot, no default cluster is made
	echo 'Acquire::Check-Valid-Until "false";' >"$ROOT.new/etc/apt/apt.conf.d/99schemaguard"
	printf '#!/bin/sh\nexit 101\n' >"$ROOT.new/usr/sbin/policy-rc.d"
	chmod 755 "$ROOT.new/usr/sbin/policy-rc.d"
	mkdir -p "$ROOT.new/etc/postgresql-common"
	echo 'create_main_cluster = false' >"$ROOT.new/etc/postgresql-common/createcluster.conf"
	mv "$ROOT.new" "$ROOT"
}

# the packages of PostgreSQL $VERSION in the chroot, and the test tools
install_packages() {
	local pkgs pgtap=""
	if [ -n "$EXTRA_SUITE" ] && [ ! -f "$ROOT/etc/apt/sources.list.d/$EXTRA_SUITE.list" ]; then
		echo "deb $MIRROR $EXTRA_SUITE main" >"$ROOT/etc/apt/sources.list.d/$EXTRA_SUITE.list"
		printf 'Package: src:postgresql-%s\nPin: release a=%s\nPin-Priority: 500\n' \
			"$VERSION" "$EXTRA_SUITE" >"$ROOT/etc/apt/preferences.d/schemaguard-pg$VERSION"
	fi
	apt_in_root "the package lists" update || return 1
	in_root apt-cache show "postgresql-$VERSION" >/dev/null 2>&1 ||
		{
			log "Debian $RELEASE${EXTRA_SUITE:+/$EXTRA_SUITE} at $MIRROR has no package postgresql-$VERSION"
			return 1
		}
	in_root apt-cache show "postgresql-$VERSION-pgtap" >/dev/null 2>&1 && pgtap="postgresql-$VERSION-pgtap"
	pkgs=("postgresql-$VERSION" "postgresql-server-dev-$VERSION" $pgtap
		libtap-parser-sourcehandler-pgtap-perl libipc-run-perl make gcc perl python3)
	log "installing ${pkgs[*]} in the $RELEASE chroot (about 30 s)"
	apt_in_root "${pkgs[*]}" install --no-install-recommends "${pkgs[@]}" || return 1
	if [ -z "$pgtap" ]; then
		# pgTAP is plain SQL: the host's files serve every version
		local ext="$ROOT/usr/share/postgresql/$VERSION/extension"
		if ls /usr/share/postgresql/15/extension/pgtap* >/dev/null 2>&1; then
			log "no postgresql-$VERSION-pgtap in $RELEASE: taking pgTAP's SQL from the host's postgresql-15-pgtap"
			cp /usr/share/postgresql/15/extension/pgtap* "$ext/"
		else
			log "no postgresql-$VERSION-pgtap in $RELEASE and none on the host: the pgTAP suite will fail"
		fi
	fi
	in_root dpkg-query -W -f='${Package} ${Version}\n' "postgresql-$VERSION" \
		"postgresql-server-dev-$VERSION" >"$STAMP"
}

# upgrade the chroot's packages when its stamp is older than MAX_AGE days
refresh_packages() {
	[ -n "$(find "$STAMP" -mtime "+$MAX_AGE" 2>/dev/null)" ] || return 0
	log "the $RELEASE chroot is more than $MAX_AGE days old: upgrading its packages"
	if apt_in_root "the package lists" update &&
		apt_in_root "upgrades" upgrade --no-install-recommends; then
		in_root dpkg-query -W -f='${Package} ${Version}\n' "postgresql-$VERSION" \
			"postgresql-server-dev-$VERSION" >"$STAMP"
	else
		log "going on with the packages the chroot has"
		touch "$STAMP"
	fi
}

prepare() {
	mkdir -p "$CACHE/chroot"
	[ -d "$ROOT/usr/bin" ] || debootstrap_root
	if [ -f "$STAMP" ] && [ -x "$ROOT/usr/lib/postgresql/$VERSION/bin/pg_config" ]; then
		mount_system || die "could not mount proc, /dev and /dev/shm into $ROOT"
		refresh_packages
	else
		mount_system || die "could not mount proc, /dev and /dev/shm into $ROOT"
		install_packages || return 1
		log "PostgreSQL $VERSION in $ROOT: $(tr '\n' ' ' <"$STAMP")"
	fi
}

ACTION=$1
mkdir -p "$CACHE/chroot" || die "cannot create $CACHE/chroot"
exec 9>"$CACHE/chroot/$RELEASE.lock"
flock 9
trap unmount_all EXIT
trap 'exit 130' INT TERM

case "$ACTION" in
	prepare)
		prepare || exit 1
		echo "$ROOT"
		;;
	run)
		shift 2
		[ $# -gt 0 ] || die "run $VERSION: no command"
		prepare || exit 1
		mount_one "$ROOT$INSIDE" --bind "$SG_REPO" || die "could not bind-mount $SG_REPO at $ROOT$INSIDE"
		# the caller's settings for the suites, and nothing else of its environment
		envs=(CI="${CI:-}" SG_IN_CHROOT="$VERSION" SG_HOST_REPO="$SG_REPO"
			PG_CONFIG="/usr/lib/postgresql/$VERSION/bin/pg_config")
		while IFS='=' read -r name _; do
			case "$name" in
				SG_PG_CACHE | SG_IN_CHROOT | SG_HOST_REPO | SG_BINDIR) ;;
				SG_* | FUZZ_* | PG_TEST_*) envs+=("$name=${!name}") ;;
			esac
		done < <(env)
		chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" "${envs[@]}" \
			/bin/bash -c 'cd "$0" && exec "$@"' "$INSIDE" "$@"
		;;
	*)
		echo "usage: $0 prepare|run 17|18|19 [CMD...]" >&2
		exit 2
		;;
esac

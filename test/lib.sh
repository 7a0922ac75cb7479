# test/lib.sh — helpers shared by test/run.sh and test/demo.sh (source it, don't run it).
#
# Builds and installs the extension and runs throwaway PostgreSQL clusters that
# never touch the system's clusters: each lives in its own directory, listens
# only on a Unix socket in a private directory, trusts local connections and
# preloads schemaguard.
#
# As root, servers run as the "postgres" OS user (initdb refuses root) and the
# clients (psql, pg_regress, pg_prove) run as root. As another user, everything
# runs as that user (installing the extension then needs write access to the
# PostgreSQL directories). The database superuser is always "postgres".
#
# Environment: PG (15, 17, 18 or 19) or PG_CONFIG (default
# /usr/lib/postgresql/15/bin/pg_config); SG_PG_BUILD (source or packages).

SG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# sg_in_chroot N ARG...: run the calling script again, with its arguments,
# inside the Debian chroot that has PostgreSQL N's binary packages
# (test/chroot.sh). Does not return.
sg_in_chroot() {
	local version=$1 script
	shift
	script=$(realpath "$0")
	script=${script#"$SG_REPO"/}
	exec bash "$SG_REPO/test/chroot.sh" run "$version" bash "$script" "$@"
}

# PG=N (`make test PG=19`) picks a major version:
#   15        Debian 12's own packages (test/deps.sh)
#   17, 19    that version's binary packages from the Debian release that
#             has them, in a chroot of that release (test/chroot.sh): the
#             script runs again in there
#   18        an assertion-enabled build from Debian's source package
#             (test/build-postgres.sh, made once and cached); if the archive
#             serves no source, one line says so and 18's binary packages
#             are used instead, in a chroot
# SG_PG_BUILD=source or =packages overrides the choice for 17, 18 and 19.
# Inside the chroot SG_IN_CHROOT is set and PG_CONFIG names its pg_config.
if [ -z "${SG_IN_CHROOT:-}" ]; then
	case "${PG:-15}" in
		15) ;;
		17 | 18 | 19)
			sg_from=${SG_PG_BUILD:-$([ "$PG" = 18 ] && echo source || echo packages)}
			case "$sg_from" in
				source)
					PG_CONFIG=$(bash "$SG_REPO/test/build-postgres.sh" "$PG")
					case $? in
						0) ;;
						3) sg_in_chroot "$PG" "$@" ;; # no source: it said so
						*) exit 1 ;;
					esac
					;;
				packages) sg_in_chroot "$PG" "$@" ;;
				*)
					echo "SG_PG_BUILD=$sg_from: say source or packages" >&2
					exit 1
					;;
			esac
			;;
		*)
			echo "PG=$PG: supported versions are 15, 17, 18 and 19" >&2
			exit 1
			;;
	esac
fi
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
if ! command -v "$PG_CONFIG" >/dev/null; then
	echo "pg_config not found at $PG_CONFIG (set PG_CONFIG, or run 'make deps')" >&2
	exit 1
fi
# SG_BINDIR: run the programs from another directory (test/valgrind.sh)
PG_BINDIR=${SG_BINDIR:-$("$PG_CONFIG" --bindir)}
# .../lib/pgxs/src/makefiles/pgxs.mk -> .../lib/pgxs/src (pg_regress, TAP modules)
PGXS_SRC=$(dirname "$(dirname "$("$PG_CONFIG" --pgxs)")")
export PATH="$PG_BINDIR:$PATH" PG_CONFIG PGXS_SRC

# as_pg DIR CMD...: run CMD in DIR as the server's OS user.
# (Running from a postgres-readable directory avoids "could not change
# directory" errors when the caller's cwd is e.g. under /root.)
as_pg() {
	local dir=$1
	shift
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$dir" && runuser -u postgres -- "$@")
	else
		(cd "$dir" && "$@")
	fi
}

# sg_mkdir DIR: create DIR owned by the server's OS user.
sg_mkdir() {
	mkdir -p "$1"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres:postgres "$1"
	fi
}

# sg_build_install: build with -Werror and install into $PG_CONFIG's tree
# (test/build.sh: objects built for another server are cleaned first).
sg_build_install() {
	PG_CONFIG="$PG_CONFIG" bash "$SG_REPO/test/build.sh"
}

# sg_cluster_create BASE PORT [EXTRA_CONF_LINE...]
#   BASE/data  data directory      BASE/sock  Unix socket directory
#   BASE/server.log                server log
# BASE must exist and be traversable by the server's OS user.
sg_cluster_create() {
	local base=$1 port=$2
	shift 2
	sg_mkdir "$base/sock"
	as_pg "$base" initdb --pgdata="$base/data" --username=postgres \
		--auth=trust --encoding=UTF8 --locale=C --no-sync >"$base/initdb.log" 2>&1 || {
		cat "$base/initdb.log" >&2
		return 1
	}
	as_pg "$base" tee -a "$base/data/postgresql.conf" >/dev/null <<-EOF

		# --- schemaguard throwaway cluster ---
		listen_addresses = ''
		port = $port
		unix_socket_directories = '$base/sock'
		shared_preload_libraries = 'schemaguard'
		autovacuum = off
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		lc_messages = 'C'
	EOF
	local line
	for line in "$@"; do
		echo "$line" | as_pg "$base" tee -a "$base/data/postgresql.conf" >/dev/null
	done
}

# sg_cluster_start BASE: start and wait until it accepts connections.
sg_cluster_start() {
	local base=$1
	as_pg "$base" pg_ctl --pgdata="$base/data" --log="$base/server.log" \
		--wait --timeout=60 --silent start || {
		echo "could not start the cluster in $base/data; server log:" >&2
		cat "$base/server.log" >&2 2>/dev/null
		return 1
	}
}

# sg_cluster_stop BASE [MODE]: stop it if it is running (MODE default fast).
sg_cluster_stop() {
	local base=$1 mode=${2:-fast}
	if [ -f "$base/data/postmaster.pid" ]; then
		as_pg / pg_ctl --pgdata="$base/data" --mode="$mode" --wait --silent stop \
			>/dev/null 2>&1 || true
	fi
}

# sg_stop_all_under DIR: stop every server whose data directory lies under DIR
# (e.g. clusters left behind by an interrupted TAP test), by its own pid file.
sg_stop_all_under() {
	local pidfile
	[ -d "$1" ] || return 0
	while IFS= read -r pidfile; do
		as_pg / pg_ctl --pgdata="$(dirname "$pidfile")" --mode=immediate \
			--wait --silent stop >/dev/null 2>&1 || true
	done < <(find "$1" -name postmaster.pid -type f 2>/dev/null)
}

#!/bin/sh
# pg-env.sh - a private, throw-away PostgreSQL server for the store tests.
#
# Source it and call pg_env_start / pg_env_stop, or run it:
#   eval "$(tests/pg/pg-env.sh start)"   # exports HD_TEST_PG_URI, HD_PG_ENV_DIR
#   tests/pg/pg-env.sh stop "$HD_PG_ENV_DIR"
#
# The cluster lives in a fresh temp dir, listens only on a unix socket in that
# dir (no TCP), trusts local connections, and is deleted by pg_env_stop. As
# root, initdb/pg_ctl run as the `postgres` system user (Debian's package
# creates it). It never touches the system's own clusters.
# Environment: PG_BINDIR (default: newest /usr/lib/postgresql/*/bin),
# HD_PG_ENV_PORT (socket name only; default 5432), HD_PG_ENV_DB (default hdtest).

pg_env_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		echo "$PG_BINDIR"
		return
	fi
	for v in 17 16 15 14 13; do
		if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then
			echo "/usr/lib/postgresql/$v/bin"
			return
		fi
	done
	d=$(command -v initdb 2>/dev/null) && dirname "$d" && return
	return 1
}

# Run a command as the cluster owner (postgres when we are root).
pg_env_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# Start the server; sets and exports HD_TEST_PG_URI and HD_PG_ENV_DIR.
pg_env_start() {
	bindir=$(pg_env_bindir) || { echo "pg-env: PostgreSQL binaries not found (install postgresql)" >&2; return 1; }
	port=${HD_PG_ENV_PORT:-5432}
	db=${HD_PG_ENV_DB:-hdtest}
	dir=$(mktemp -d /tmp/hd-pg-XXXXXX) || return 1
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || { echo "pg-env: no postgres user" >&2; rm -rf "$dir"; return 1; }
		chown postgres "$dir"
		user=postgres
	else
		user=$(id -un)
	fi
	chmod 700 "$dir"
	if ! pg_env_as_owner "$bindir/initdb" -D "$dir/data" -U "$user" --auth=trust \
			-E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
		echo "pg-env: initdb failed:" >&2
		cat "$dir/initdb.log" >&2
		rm -rf "$dir"
		return 1
	fi
	if ! pg_env_as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
			-o "-c listen_addresses='' -k $dir -p $port -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
			start >"$dir/pg_ctl.log" 2>&1; then
		echo "pg-env: server did not start:" >&2
		cat "$dir/pg_ctl.log" "$dir/server.log" >&2
		rm -rf "$dir"
		return 1
	fi
	if ! pg_env_as_owner "$bindir/createdb" -h "$dir" -p "$port" -U "$user" "$db" >"$dir/createdb.log" 2>&1; then
		echo "pg-env: createdb failed:" >&2
		cat "$dir/createdb.log" >&2
		pg_env_stop "$dir"
		return 1
	fi
	HD_PG_ENV_DIR=$dir
	HD_TEST_PG_URI="postgresql:///$db?host=$dir&port=$port&user=$user"
	export HD_PG_ENV_DIR HD_TEST_PG_URI
}

# Stop the server started by pg_env_start and delete its directory.
pg_env_stop() {
	dir=${1:-${HD_PG_ENV_DIR:-}}
	[ -n "$dir" ] && [ -d "$dir" ] || return 0
	bindir=$(pg_env_bindir) || return 1
	if [ -f "$dir/data/postmaster.pid" ]; then
		pg_env_as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
	fi
	rm -rf "$dir"
}

case "${0##*/}" in
pg-env.sh)
	set -u
	case "${1:-}" in
	start)
		pg_env_start >&2 || exit 1
		echo "export HD_TEST_PG_URI='$HD_TEST_PG_URI' HD_PG_ENV_DIR='$HD_PG_ENV_DIR'"
		;;
	stop)
		pg_env_stop "${2:-}"
		;;
	*)
		echo "usage: $0 start | stop DIR   (or source it: pg_env_start / pg_env_stop)" >&2
		exit 2
		;;
	esac
	;;
esac

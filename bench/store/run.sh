#!/bin/sh
# run.sh [RECORDS [BATCH [REPEATS]]] - build bench-store and run it on a fresh
# SQLite store (and on a private PostgreSQL server when BENCH_PG=1).
# Not part of make check. Environment: CC, CFLAGS (default -O2 -g),
# CONFIG_INC (dir holding the autoconf config.h: the build directory; default
# $BUILD, else the top of the source tree), BENCH_DIR (where the database
# goes; default a temp dir).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${BENCH_DIR:-$(mktemp -d /tmp/hd-bench-store-XXXXXX)}
cc=${CC:-gcc}
inc=${CONFIG_INC:-${BUILD:-$top}}
if [ ! -f "$inc/config.h" ]; then
	echo "$0: no config.h in $inc: run configure, then CONFIG_INC=BUILDDIR $0" >&2
	exit 2
fi
pkgs="glib-2.0 sqlite3 libpq"
set -- ${1:-1000000} ${2:-1000} ${3:-5}

build="$cc -std=gnu11 ${CFLAGS:--O2 -g} -I$inc -I$top/src/lib -I$top/src/lib-store $(pkg-config --cflags $pkgs) \
 $top/src/lib/util.c $top/src/lib-store/*.c \
 $top/bench/store/bench-store.c -o $out/bench-store \
 $(pkg-config --libs $pkgs) -lpthread"
echo "+ $build"
$build

echo "+ $out/bench-store sqlite:$out/bench.db $*"
"$out/bench-store" "sqlite:$out/bench.db" "$@"
ls -l "$out/bench.db"

if [ "${BENCH_PG:-0}" = 1 ]; then
	. "$top/tests/pg/pg-env.sh"
	pg_env_start
	trap 'pg_env_stop "$HD_PG_ENV_DIR"' EXIT
	echo "+ $out/bench-store $HD_TEST_PG_URI $*"
	"$out/bench-store" "$HD_TEST_PG_URI" "$@"
fi
[ -n "${BENCH_DIR:-}" ] || rm -rf "$out"

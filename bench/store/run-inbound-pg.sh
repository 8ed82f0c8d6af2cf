#!/bin/sh
# run-inbound-pg.sh [BASE-REV] - bench-inbound.c on PostgreSQL, this tree
# against BASE-REV (default main) in the same run, on a private server
# (tests/pg/pg-env.sh: fsync=off, so this measures statements and CPU, not
# the disk). Per inbound message: round trips (send/sendto calls of the
# client between the bench's markers, strace -f) and messages/s with 1 and
# WRITERS writers (median of ROUNDS, interleaved). Not part of make check.
# Environment: MESSAGES (2000), PREFILL (2000), WRITERS (8), HASHES (10),
# ROUNDS (3), CONFIG_INC (dir with config.h; default $BUILD, else ./build).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
base=${1:-main}
N=${MESSAGES:-2000} PRE=${PREFILL:-2000} W=${WRITERS:-8} H=${HASHES:-10} ROUNDS=${ROUNDS:-3}
inc=${CONFIG_INC:-${BUILD:-$top/build}}
[ -f "$inc/config.h" ] || { echo "$0: no config.h in $inc (CONFIG_INC=BUILDDIR)" >&2; exit 2; }
command -v strace >/dev/null || { echo "$0: strace is missing" >&2; exit 2; }
pkgs="glib-2.0 sqlite3 libpq"
work=$(mktemp -d /var/tmp/hd-bench-inbound-pg-XXXXXX)	# not $dir: pg-env.sh uses that name
. "$top/tests/pg/pg-env.sh"
pg_env_start || exit 1
trap 'pg_env_stop "$HD_PG_ENV_DIR"; rm -rf "$work"' EXIT

echo "# $(date -u +%FT%TZ) $(uptime)"
echo "# base: $base ($(git -C "$top" rev-parse --short "$base")), new: working tree" \
     "($(git -C "$top" rev-parse --short HEAD)$(git -C "$top" diff --quiet HEAD -- src || echo +changes))"
mkdir -p "$work/base-src"
git -C "$top" archive "$base" src/lib src/lib-store | tar -x -C "$work/base-src"
bindir=$(pg_env_bindir)
pgdir=$HD_PG_ENV_DIR
uri_of() {	# the URI of the database named $1
	echo "$HD_TEST_PG_URI" | sed "s|^postgresql:///[^?]*|postgresql:///$1|"
}
for v in base new; do
	src=$top
	[ $v = base ] && src=$work/base-src
	${CC:-gcc} -std=gnu11 ${CFLAGS:--O2 -g} -I"$inc" -I"$src/src/lib" -I"$src/src/lib-store" \
		$(pkg-config --cflags $pkgs) "$src/src/lib/util.c" "$src"/src/lib-store/*.c \
		"$top/bench/store/bench-inbound.c" -o "$work/bench-$v" $(pkg-config --libs $pkgs) -lpthread
done

# A fresh database for variant $1 with PREFILL messages; prints its URI.
fresh() {
	db=hd_bench_$1
	pg_env_as_owner "$bindir/dropdb" --if-exists -h "$pgdir" -p "${HD_PG_ENV_PORT:-5432}" "$db" \
		>/dev/null 2>&1 || true
	pg_env_as_owner "$bindir/createdb" -h "$pgdir" -p "${HD_PG_ENV_PORT:-5432}" "$db"
	"$work/bench-$1" "$(uri_of "$db")" "$PRE" "$W" "$H" 1 >/dev/null 2>&1
	uri_of "$db"
}
first=$((PRE + 100))

echo "## round trips per message (strace -f -e trace=sendto,write)"
for v in base new; do
	uri=$(fresh $v)
	strace -f -e trace=sendto,write -o "$work/strace.log" \
		"$work/bench-$v" "$uri" "$N" 1 "$H" "$first" >/dev/null 2>&1
	rt=$(awk -v n="$N" '/write\(2,.*bench-inbound: start/ { on = 1; next }
		/write\(2,.*bench-inbound: end/ { on = 0 } on && /sendto\(/ { k++ }
		END { printf "%.2f", k / n }' "$work/strace.log")
	eval "rt_$v=$rt"
	echo "$v: $rt"
done
echo "## wall clock ($N messages, $ROUNDS rounds interleaved, median)"
for r in $(seq 1 "$ROUNDS"); do
	for v in base new; do
		for w in 1 "$W"; do
			uri=$(fresh $v)
			"$work/bench-$v" "$uri" "$N" "$w" "$H" "$first" 2>/dev/null |
				tee -a "$work/wall.$v.$w" | sed "s/^/$v round $r: /"
		done
	done
done
for v in base new; do
	for w in 1 "$W"; do
		m=$(sed -E 's/.* ([0-9.]+) messages\/s.*/\1/' "$work/wall.$v.$w" | sort -n |
			awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
		eval "rps_${v}_$w=$m"
	done
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2fx", b / a; else print "-" }'; }
echo "## PostgreSQL, per inbound message: base $base -> this tree; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| figure | base | new | new/base |"
echo "|---|---|---|---|"
echo "| round trips | $rt_base | $rt_new | $(ratio "$rt_base" "$rt_new") |"
echo "| messages/s, 1 writer | $rps_base_1 | $rps_new_1 | $(ratio "$rps_base_1" "$rps_new_1") |"
eval "echo \"| messages/s, $W writers | \$rps_base_$W | \$rps_new_$W | \$(ratio \$rps_base_$W \$rps_new_$W) |\""

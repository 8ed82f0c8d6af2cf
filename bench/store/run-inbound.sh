#!/bin/sh
# run-inbound.sh [BASE-REV] - what the audit store costs one inbound message,
# this tree against BASE-REV (default main) in the same run: bench-inbound.c
# is built twice, once on this tree's src/lib + src/lib-store and once on
# BASE-REV's (git archive), and both run on the same disk, interleaved.
# Per message (one new inbound message = one audit record, the engine's
# exact store calls, see bench-inbound.c), on a store prefilled with PREFILL
# messages:
#   WAL pages     frames written to the -wal file: the bytes of its pwrite64
#                 calls (bar the 32-byte WAL header) over page size + 24
#                 (strace -f -y; since the VFS of store-sqlite-vfs.c one
#                 pwrite64 carries a whole commit)
#   pwrite        every pwrite64 (WAL frames, checkpoints, -shm growth)
#   fdatasync     every fdatasync/fsync, 1 writer and WRITERS writers
#   instructions  callgrind, inside bench_message() only, 1 writer
#   CPU           user + system (getrusage) per message, median of ROUNDS
#   messages/s    wall clock, median of ROUNDS, 1 writer and WRITERS writers
# Counts are taken between the bench's start and end markers (the last
# close, which checkpoints the whole WAL, is left out; the automatic
# checkpoints of the run are in). Not part of make check.
# Environment: MESSAGES (2000), CG_MESSAGES (1000), PREFILL (20000),
# WRITERS (8), HASHES (10), ROUNDS (3), BENCH_DIR (default a new dir under
# /var/tmp: a real disk, not tmpfs), CONFIG_INC (dir with config.h; default
# $BUILD, else ./build), CC, CFLAGS (-O2 -g).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
base=${1:-main}
N=${MESSAGES:-2000} CGN=${CG_MESSAGES:-1000} PRE=${PREFILL:-20000}
W=${WRITERS:-8} H=${HASHES:-10} ROUNDS=${ROUNDS:-3}
dir=${BENCH_DIR:-$(mktemp -d /var/tmp/hd-bench-inbound-XXXXXX)}
inc=${CONFIG_INC:-${BUILD:-$top/build}}
[ -f "$inc/config.h" ] || { echo "$0: no config.h in $inc (CONFIG_INC=BUILDDIR)" >&2; exit 2; }
for t in strace valgrind; do
	command -v $t >/dev/null || { echo "$0: $t is missing" >&2; exit 2; }
done
pkgs="glib-2.0 sqlite3 libpq"

echo "# $(date -u +%FT%TZ) $(uptime)"
echo "# base: $base ($(git -C "$top" rev-parse --short "$base")), new: working tree" \
     "($(git -C "$top" rev-parse --short HEAD)$(git -C "$top" diff --quiet HEAD -- src || echo +changes))"
mkdir -p "$dir/base-src"
git -C "$top" archive "$base" src/lib src/lib-store | tar -x -C "$dir/base-src"
for v in base new; do
	src=$top
	[ $v = base ] && src=$dir/base-src
	build="${CC:-gcc} -std=gnu11 ${CFLAGS:--O2 -g} -I$inc -I$src/src/lib -I$src/src/lib-store \
 $(pkg-config --cflags $pkgs) $src/src/lib/util.c $src/src/lib-store/*.c \
 $top/bench/store/bench-inbound.c -o $dir/bench-$v $(pkg-config --libs $pkgs) -lpthread"
	echo "+ $build" | tr -s ' '
	$build
	# the seed store: PREFILL messages, then a few more (the first open of
	# a grown store runs ANALYZE once: not in the measured runs)
	rm -f "$dir/$v.seed.db"*
	"$dir/bench-$v" "sqlite:$dir/$v.seed.db" "$PRE" "$W" "$H" 1 2>/dev/null
	"$dir/bench-$v" "sqlite:$dir/$v.seed.db" 10 1 "$H" $((PRE + 1)) 2>/dev/null
	echo "# $v seed store: $(stat -c %s "$dir/$v.seed.db") bytes," \
	     "page size $(sqlite3 "$dir/$v.seed.db" 'PRAGMA page_size'), schema" \
	     "$(sqlite3 "$dir/$v.seed.db" 'SELECT schema_version FROM meta')"
done
first=$((PRE + 100))

# A fresh copy of the seed store of $1 at $dir/run.db.
fresh() {
	rm -f "$dir/run.db" "$dir/run.db-wal" "$dir/run.db-shm"
	cp "$dir/$1.seed.db" "$dir/run.db"
}

# Counts per message between the markers of an strace -f -y log: $1 log, $2 messages.
count() {
	awk -v n="$2" -v ps="$(sqlite3 "$dir/base.seed.db" 'PRAGMA page_size')" '
	/write\(2[<,].*bench-inbound: start/ { on = 1; next }
	/write\(2[<,].*bench-inbound: end/ { on = 0 }
	!on { next }
	/pwrite64\(/ {
		pw++
		if ($0 ~ /-wal>/) {	# frames: bytes past the 32-byte WAL header, over page + 24
			t = $0; sub(/\) += .*/, "", t); k = split(t, a, ", ")
			if (a[k - 1] + 0 > 32) walb += a[k - 1]
		} else if ($0 ~ /\.db>/) dbp++
	}
	/fdatasync\(|fsync\(/ { fs++ }
	/pread64\(/ { pr++ }
	END { printf "%.2f %.2f %.2f %.3f %.2f\n", walb / (ps + 24) / n, pw / n, dbp / n, fs / n, pr / n }' "$1"
}

# strace one run: $1 variant, $2 writers, $3 messages; prints the counts.
traced() {
	fresh "$1"
	strace -f -y -s 40 -e trace=pwrite64,fdatasync,fsync,pread64,write -o "$dir/strace.log" \
		"$dir/bench-$1" "sqlite:$dir/run.db" "$3" "$2" "$H" "$first" >/dev/null 2>&1
	count "$dir/strace.log" "$3"
}

echo "## syscalls per message (strace -f -y -e trace=pwrite64,fdatasync,fsync,pread64,write)"
echo "# variant writers: wal_pages pwrite db_pages(checkpoint) fdatasync pread"
for v in base new; do
	for w in 1 "$W"; do
		set -- $(traced $v "$w" "$N")
		echo "$v $w: $*"
		eval "walp_${v}_$w=$1 pw_${v}_$w=$2 fs_${v}_$w=$4"
	done
done

echo "## instructions per message (valgrind --tool=callgrind --toggle-collect=bench_message, $CGN messages)"
for v in base new; do
	fresh $v
	valgrind --tool=callgrind --toggle-collect=bench_message \
		--callgrind-out-file="$dir/cg.$v" "$dir/bench-$v" "sqlite:$dir/run.db" \
		"$CGN" 1 "$H" "$first" >/dev/null 2>"$dir/cg.$v.log"
	ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$dir/cg.$v")
	eval "ir_$v=$((ir / CGN))"
	echo "$v: $((ir / CGN)) instructions/message (total $ir)"
done

echo "## wall clock ($N messages, $ROUNDS rounds interleaved, median; load: $(cut -d' ' -f1-3 /proc/loadavg))"
for r in $(seq 1 "$ROUNDS"); do
	for v in base new; do
		for w in 1 "$W"; do
			fresh $v
			"$dir/bench-$v" "sqlite:$dir/run.db" "$N" "$w" "$H" "$first" 2>/dev/null |
				tee -a "$dir/wall.$v.$w" | sed "s/^/$v round $r: /"
		done
	done
done
med() {	# median of field $2 (1 messages/s, 2 CPU ms, 3 group syncs) of a wall.* file
	sed -E 's/.* ([0-9.]+) messages\/s, CPU ([0-9.]+) ms.*= ([0-9.]+) per message/\1 \2 \3/' "$1" |
		awk -v f="$2" '{ print $f }' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
for v in base new; do
	for w in 1 "$W"; do
		eval "rps_${v}_$w=$(med "$dir/wall.$v.$w" 1) cpu_${v}_$w=$(med "$dir/wall.$v.$w" 2)"
		eval "gs_${v}_$w=$(med "$dir/wall.$v.$w" 3)"
	done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2fx", b / a; else print "-" }'; }
echo "## per inbound message (one record): base $base -> this tree; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| figure | base | new | new/base |"
echo "|---|---|---|---|"
echo "| WAL pages written | $walp_base_1 | $walp_new_1 | $(ratio "$walp_base_1" "$walp_new_1") |"
echo "| pwrite calls | $pw_base_1 | $pw_new_1 | $(ratio "$pw_base_1" "$pw_new_1") |"
echo "| fdatasync, 1 writer | $fs_base_1 | $fs_new_1 | $(ratio "$fs_base_1" "$fs_new_1") |"
eval "echo \"| fdatasync, $W writers (strace) | \$fs_base_$W | \$fs_new_$W | \$(ratio \$fs_base_$W \$fs_new_$W) |\""
eval "echo \"| group syncs, $W writers (untraced) | \$gs_base_$W | \$gs_new_$W | \$(ratio \$gs_base_$W \$gs_new_$W) |\""
echo "| instructions (callgrind) | $ir_base | $ir_new | $(ratio "$ir_base" "$ir_new") |"
echo "| CPU ms (user+sys), 1 writer | $cpu_base_1 | $cpu_new_1 | $(ratio "$cpu_base_1" "$cpu_new_1") |"
eval "echo \"| CPU ms (user+sys), $W writers | \$cpu_base_$W | \$cpu_new_$W | \$(ratio \$cpu_base_$W \$cpu_new_$W) |\""
echo "| messages/s, 1 writer | $rps_base_1 | $rps_new_1 | $(ratio "$rps_base_1" "$rps_new_1") |"
eval "echo \"| messages/s, $W writers | \$rps_base_$W | \$rps_new_$W | \$(ratio \$rps_base_$W \$rps_new_$W) |\""
[ -n "${BENCH_DIR:-}" ] || rm -rf "$dir"

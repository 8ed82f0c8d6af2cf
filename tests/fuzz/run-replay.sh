#!/bin/bash
# run-replay.sh - make check: every fuzz harness (built with fuzz/driver.c)
# replays its committed corpus (fuzz/corpus/NAME) and its regression cases
# (tests/fuzz/regress/NAME, one file per crash the fuzzers found). Under a
# --enable-sanitizers build this is the gcc+ASan+UBSan regression run.
# A harness aborts on a crash or a violated property, which fails the test.
set -u
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${TOP_BUILDDIR:-$top/build}
names="engine-in engine-out html quote mime match amount policy config audit"
n=0
fail=0
for name in $names; do
	n=$((n + 1))
	dirs=("$top/fuzz/corpus/$name")
	[ -d "$top/tests/fuzz/regress/$name" ] && dirs+=("$top/tests/fuzz/regress/$name")
	if out=$("$build/fuzz/replay-$name" "${dirs[@]}" 2>&1); then
		echo "ok $n - $name: ${out##*replayed }"
	else
		echo "not ok $n - $name"
		echo "$out" | tail -40 | sed 's/^/#   /'
		fail=$((fail + 1))
	fi
done
echo "1..$n"
[ $fail -eq 0 ]

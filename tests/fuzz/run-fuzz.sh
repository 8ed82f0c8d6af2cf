#!/bin/bash
# run-fuzz.sh - CI "fuzz regression": builds every harness with clang and
# libFuzzer under ASan+UBSan (BUILDDIR, default ./build-fuzz, configured
# with --enable-fuzzing --enable-sanitizers), runs each on its committed
# corpus and regression cases, then fuzzes it for SECONDS (default 20).
# Fails, never skips, when clang or libFuzzer is missing (contrib/install-deps.sh
# installs them). New inputs go to a scratch corpus, never into the repository;
# a crash input is kept in BUILDDIR/fuzz-crashes/NAME/ and fails the step.
# Usage: tests/fuzz/run-fuzz.sh [BUILDDIR] [SECONDS]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build-fuzz}
seconds=${2:-20}
names="engine-in engine-out html quote mime match amount policy config audit"

command -v clang >/dev/null || { echo "run-fuzz: clang not found (run contrib/install-deps.sh)"; exit 1; }
mkdir -p "$build" && build=$(cd "$build" && pwd) && cd "$build" || exit 1
if [ ! -f Makefile ]; then
	"$top/configure" -q CC=clang --enable-fuzzing --enable-sanitizers >configure.log 2>&1 ||
		{ tail -20 configure.log; exit 1; }
fi
make -j2 >make.log 2>&1 || { tail -40 make.log; exit 1; }
# shellcheck source=tests/fuzz/sanitizer-env.sh
. "$top/tests/fuzz/sanitizer-env.sh"
fail=0
for name in $names; do
	case $name in
	engine-*|mime) dict=mime; max_len=65536 ;;
	policy|config) dict=yaml; max_len=16384 ;;
	html) dict=html; max_len=65536 ;;
	*) dict=; max_len=16384 ;;
	esac
	work=$build/fuzz-work/$name crashes=$build/fuzz-crashes/$name
	rm -rf "$work" && mkdir -p "$work" "$crashes"
	seeds=("$top/fuzz/corpus/$name")
	[ -d "$top/tests/fuzz/regress/$name" ] && seeds+=("$top/tests/fuzz/regress/$name")
	opts=(-max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -max_len="$max_len"
	      -artifact_prefix="$crashes/" -print_final_stats=1)
	[ -n "$dict" ] && opts+=(-dict="$top/fuzz/dict/$dict.dict")
	start=$(date +%s)
	if "$build/fuzz/fuzz-$name" "${opts[@]}" "$work" "${seeds[@]}" >"$build/fuzz-$name.log" 2>&1; then
		res=ok
	else
		res=FAIL; fail=$((fail + 1))
	fi
	stats=$(grep -E '^stat::(number_of_executed_units|new_units_added)' "$build/fuzz-$name.log" |
		sed 's/stat:://' | tr '\n' ' ')
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$build/fuzz-$name.log" | tail -1)
	echo "$res fuzz-$name: $(( $(date +%s) - start ))s ${cov:-} $stats"
	[ $res = FAIL ] && grep -E 'ERROR|runtime error|property violated|SUMMARY|Test unit written' "$build/fuzz-$name.log" | head -20
done
[ $fail -eq 0 ]

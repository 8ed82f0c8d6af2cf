#!/bin/bash
# run-asan.sh - CI "make check under ASan+UBSan": a second build
# (BUILDDIR, default ./build-asan) configured with --enable-sanitizers, then
# make check: every Check program, the golden scan scripts, and the fuzz
# harnesses replaying their corpus and regression cases under gcc. Reports
# are fatal (tests/fuzz/sanitizer-env.sh); LeakSanitizer runs at every
# exit, and only the third-party allocations in fuzz/lsan.supp are ignored.
# Replaces the former tests/run-ubsan.sh (UBSan alone).
# Usage: tests/fuzz/run-asan.sh [BUILDDIR]   (-j2 at most)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build-asan}
mkdir -p "$build" && build=$(cd "$build" && pwd) && cd "$build" || exit 1
if [ ! -f Makefile ]; then
	"$top/configure" -q --enable-sanitizers >configure.log 2>&1 || { tail -20 configure.log; exit 1; }
fi
make -j2 >make.log 2>&1 || { tail -40 make.log; exit 1; }
. "$top/tests/fuzz/sanitizer-env.sh"
make -j2 check >check.log 2>&1
rc=$?
grep -E '^(PASS|FAIL|ERROR|XFAIL|SKIP):|^# ' check.log
if [ $rc -ne 0 ]; then
	for f in $(grep -lE '^(FAIL|ERROR)' tests/*/*.log tests/*/*/*.log 2>/dev/null); do
		echo "----- $f"; grep -E 'ERROR: |runtime error|SUMMARY|#[0-9]+ 0x|not ok' "$f" | head -40
	done
fi
exit $rc

#!/bin/bash
# run-ubsan.sh - make check on a build with -fsanitize=undefined that stops
# at the first report (qsort(NULL, 0), memcpy(x, NULL, 0), overflow, ...).
# Usage: tests/run-ubsan.sh [BUILDDIR]   (default ./build-ubsan; -j2 at most)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-ubsan}
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q CFLAGS="-g -O1 -fsanitize=undefined -fno-sanitize-recover=undefined" \
	LDFLAGS="-fsanitize=undefined"
make -j2 >/dev/null
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 make -j2 check

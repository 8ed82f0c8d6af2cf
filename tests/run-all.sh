#!/bin/bash
# Runs every test: builds in ./build (out of tree), `make check` (Check unit
# tests and helpdeskctl golden tests), the PostgreSQL store tests against a
# private server, then the integration tests against a private Postfix on
# loopback, then the Debian package (built, checked with lintian, installed,
# tested, purged), then make check again under ASan+UBSan (build-asan) and
# every fuzz harness on its regression corpus and briefly fuzzing under
# clang+libFuzzer (build-fuzz). Ends with one "N passed, M failed" line.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
passed=0
failed=0
failures=()

# Run one named step, counting it.
step() {
	local name=$1; shift
	echo "=== $name"
	if "$@"; then
		passed=$((passed + 1)); echo "--- PASS: $name"
	else
		failed=$((failed + 1)); failures+=("$name"); echo "--- FAIL: $name"
	fi
}

build_all() {
	(cd "$top" && autoreconf -fi >/dev/null 2>&1) || { echo "autoreconf failed"; return 1; }
	mkdir -p "$build" && cd "$build" &&
	"$top/configure" -q && make -j"$(nproc)" >make.log 2>&1 || { tail -60 "$build/make.log"; return 1; }
}

unit_tests() {
	cd "$build" && make -j"$(nproc)" check >check.log 2>&1
	local rc=$?
	grep -E '^(PASS|FAIL|ERROR|XFAIL|SKIP):|^# ' check.log
	if [ $rc -ne 0 ]; then
		for f in $(grep -lE '^(FAIL|ERROR)' tests/*/*.log tests/*/*/*.log 2>/dev/null); do
			echo "----- $f"; tail -40 "$f"
		done
	fi
	return $rc
}

step build build_all || true
if [ $failed -eq 0 ]; then
	step "make check" unit_tests
	[ -x "$top/tests/pg/run-store-pg.sh" ] && step "store on PostgreSQL" "$top/tests/pg/run-store-pg.sh" "$build/tests/unit/lib-store/test-store"
	step "report in headless Chromium" "$top/tests/report/run-browser.sh" "$build"
	[ -x "$top/tests/integration/run-all.sh" ] && step "integration (Postfix)" "$top/tests/integration/run-all.sh" "$build"
	[ -x "$top/tests/deb/run-deb.sh" ] && step "Debian package (build, lintian, install, tests, purge)" "$top/tests/deb/run-deb.sh"
	step "make check under ASan+UBSan" "$top/tests/fuzz/run-asan.sh" "${ASAN_BUILD_DIR:-$top/build-asan}"
	step "fuzz regression" "$top/tests/fuzz/run-fuzz.sh" "${FUZZ_BUILD_DIR:-$top/build-fuzz}" "${FUZZ_SECONDS:-20}"
fi
echo
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

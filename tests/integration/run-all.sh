#!/bin/bash
# run-all.sh - run every real-Postfix integration test against a build.
# Usage: tests/integration/run-all.sh BUILDDIR   (as root; needs postfix, swaks)
# Environment: MILTER_VALGRIND=1 runs the bad-input test under valgrind;
# HD_KEEP=1 keeps each test's temp directory.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export BUILD=$(cd "${1:?usage: $0 BUILDDIR}" && pwd)
export SRC=${SRC:-$(cd "$here/../.." && pwd)}
failed=0 skipped=0 passed=0
for t in test-postfix.sh test-snippet.sh test-samples.sh test-noloss.sh test-badinput.sh test-storedown.sh test-auth.sh \
	 test-sendmail.sh test-corpus.sh test-thread-quote.sh test-rt.sh test-sla.sh test-daemon.sh; do
	echo "=== $t"
	"$here/$t" </dev/null
	rc=$?
	case $rc in
	0) passed=$((passed + 1)) ;;
	77) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)); echo "=== $t FAILED (status $rc)" ;;
	esac
done
if [ -x "$here/../miltertest/run.sh" ]; then
	echo "=== miltertest"
	"$here/../miltertest/run.sh" "$BUILD" </dev/null
	rc=$?
	case $rc in 0) passed=$((passed + 1)) ;; 77) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)); echo "=== miltertest FAILED (status $rc)" ;; esac
fi
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

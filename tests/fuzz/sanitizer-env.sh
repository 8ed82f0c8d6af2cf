# sanitizer-env.sh - sourced by the sanitizer runs (run-asan.sh, run-fuzz.sh,
# bench/fuzz/run): every report is fatal and says where it came from, in the
# Check programs' forked children too (a child that reports exits non-zero,
# which Check counts as a failure).
top_=${top:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$top_/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# Check's per-test timeout (4 s) is for an optimised build; sanitizers and
# a loaded CI machine make code several times slower.
export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-10}
unset top_

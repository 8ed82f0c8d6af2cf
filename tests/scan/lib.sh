# lib.sh - sourced by the tests/scan scripts that drive helpdeskctl: where the
# binary and the example policy are, a private temporary directory removed on
# exit, and TAP-like ok/not ok counting (finish with scan_done).
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${TOP_BUILDDIR:-$top}/src/helpdeskctl/helpdeskctl
pol=$top/conf/policy.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=sqlite:$tmp/audit.db
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
# scan_done: the closing count line; the exit status says whether all passed.
scan_done() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; }

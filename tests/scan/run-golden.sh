#!/bin/bash
# Golden tests of `helpdeskctl scan` over contrib/samples: each case
# tests/scan/cases/NAME.args holds the scan arguments (one per line; @TOP@ is
# the source tree) and NAME.json the exact verdict expected. Run with
# --regen to rewrite the expectations (then review every diff by hand).
set -u
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${TOP_BUILDDIR:-$top}/src/helpdeskctl/helpdeskctl
regen=no
[ "${1:-}" = --regen ] && regen=yes
pass=0
fail=0
for args in "$top"/tests/scan/cases/*.args; do
	name=$(basename "$args" .args)
	mapfile -t argv < <(sed -e "s|@TOP@|$top|g" -e '/^#/d' -e '/^$/d' "$args")
	out=$("$bin" scan "${argv[@]}" 2>&1)
	expected="${args%.args}.json"
	if [ $regen = yes ]; then
		printf '%s\n' "$out" > "$expected"
		echo "regenerated $name"
		continue
	fi
	if diff -u "$expected" <(printf '%s\n' "$out") > /tmp/golden-$$.diff; then
		echo "ok - $name"; pass=$((pass + 1))
	else
		echo "not ok - $name"; cat /tmp/golden-$$.diff; fail=$((fail + 1))
	fi
done
rm -f /tmp/golden-$$.diff
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]

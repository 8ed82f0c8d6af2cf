#!/bin/bash
# run-deb.sh - the Debian package end to end (a step of tests/run-all.sh):
# build it with dpkg-buildpackage -us -uc -b from a copy of the tree, check it
# with lintian (no error and no warning; the justified ones are overridden in
# debian/helpdesk-milter.lintian-overrides), install it with apt-get, then run
# against the installed programs and files: contrib/demo.sh,
# tests/integration/test-postfix.sh and debian/tests/packaged-unit (the unit's
# user, directories, socket and store with a private Postfix); then purge it.
# As root; integration tests: run it under flock /tmp/hd-integration.lock.
# Exit 77 (skip) when dpkg-dev, debhelper or lintian is missing.
# HD_DEB_KEEP=1 keeps the build directory.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0
fail=0

# part NAME COMMAND...: run one part, count it.
part() {
	local name=$1; shift
	echo "# --- $name"
	if "$@"; then pass=$((pass + 1)); echo "ok - $name"; else fail=$((fail + 1)); echo "not ok - $name"; fi
}

[ "$(id -u)" = 0 ] || { echo "SKIP: must run as root (apt-get install)"; exit 77; }
for c in dpkg-buildpackage dh lintian apt-get; do
	command -v "$c" >/dev/null || { echo "SKIP: $c missing (contrib/install-deps.sh installs it)"; exit 77; }
done
if dpkg-query -W -f='${Status}' helpdesk-milter 2>/dev/null | grep -q ' installed'; then
	echo "helpdesk-milter is installed on this machine already; this test installs and purges"
	echo "its own build: remove it first (apt-get purge helpdesk-milter)"
	exit 1
fi

version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
w=$(mktemp -d /tmp/hd-deb.XXXXXX)
src=$w/helpdesk-milter-${version%-*}
deb=$w/helpdesk-milter_${version}_$(dpkg --print-architecture).deb
echo "# workdir $w"

# Copy the sources (what git tracks or would track, else the tree minus builds).
copy_tree() {
	mkdir -p "$src"
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$top" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$src")
	else
		tar -C "$top" --exclude='./build*' --exclude=./autom4te.cache -cf - . | tar -C "$src" -xf -
	fi
}

# make check ran in an earlier step of tests/run-all.sh on the same sources.
build_deb() {
	(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
		>"$w/build.log" 2>&1 || { tail -40 "$w/build.log"; return 1; }
	grep -E '^dpkg-deb: building' "$w/build.log"
}

# No error, no warning; print the tags and their counts. (Not --fail-on:
# with --show-overrides it counts the overridden warnings too.)
run_lintian() {
	lintian --pedantic -I --show-overrides "$w"/*.changes >"$w/lintian.log" 2>&1 || return 1
	grep -v '^running with root privileges' "$w/lintian.log"
	echo "lintian: $(grep -c '^E:' "$w/lintian.log") errors, $(grep -c '^W:' "$w/lintian.log") warnings," \
		"$(grep -c '^I:' "$w/lintian.log") info, $(grep -c '^P:' "$w/lintian.log") pedantic," \
		"$(grep -c '^O:' "$w/lintian.log") overridden"
	! grep -qE '^[EW]:' "$w/lintian.log"
}

install_deb() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb" \
		>"$w/install.log" 2>&1 || { tail -30 "$w/install.log"; return 1; }
	dpkg -L helpdesk-milter | while read -r f; do [ -f "$f" ] && echo "   $f"; done
	return 0
}

# The demo against the installed programs and policy: every sample mail delivered
# stamped, the agent's prohibited phrase refused, the audit chain verified.
demo() {
	local out
	out=$(HELPDESK_MILTER=/usr/sbin/helpdesk-milter HELPDESKCTL=/usr/bin/helpdeskctl \
		HD_POLICY=/etc/helpdesk-milter/policy.yaml HD_KEEP=0 bash "$top/contrib/demo.sh" 2>&1)
	echo "$out" | sed 's/^/   /'
	[ "$(grep -c '^-- delivered to' <<<"$out")" = 5 ] &&
		! grep -q '^-- not delivered' <<<"$out" &&
		grep -qE '^ +<\*\* +550' <<<"$out" &&
		grep -qE '^OK: [1-9][0-9]* records, hash chain intact' <<<"$out"
}

# test-postfix.sh against the installed daemon and policy (BUILD points
# nowhere: nothing may come from a build tree).
postfix_test() {
	MILTER_BIN=/usr/sbin/helpdesk-milter HELPDESKCTL=/usr/bin/helpdeskctl \
		HD_POLICY=/etc/helpdesk-milter/policy.yaml BUILD=/nonexistent SRC=$top \
		"$top/tests/integration/test-postfix.sh" </dev/null
}

# Purge: the programs, conffiles and (empty) directories go.
purge_deb() {
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q helpdesk-milter >"$w/purge.log" 2>&1 ||
		{ tail -20 "$w/purge.log"; return 1; }
	! dpkg-query -W -f='${Status}' helpdesk-milter 2>/dev/null | grep -q ' installed' &&
		[ ! -e /usr/sbin/helpdesk-milter ] && [ ! -e /etc/helpdesk-milter ] &&
		[ ! -e /lib/systemd/system/helpdesk-milter.service ]
}

part "copy the sources" copy_tree
part "dpkg-buildpackage -us -uc -b" build_deb
if [ -f "$deb" ]; then
	part "lintian" run_lintian
	if part "apt-get install $(basename "$deb")" install_deb; then
		part "demo on the installed package" demo
		part "test-postfix.sh on the installed package" postfix_test
		part "debian/tests/packaged-unit" "$top/debian/tests/packaged-unit"
	fi
	dpkg-query -W helpdesk-milter >/dev/null 2>&1 && part "apt-get purge helpdesk-milter" purge_deb
fi
[ "${HD_DEB_KEEP:-0}" = 1 ] && echo "# kept $w" || rm -rf "$w"
echo "deb: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/bash
# run-examples.sh - every YAML example in the man pages, and the shipped
# conf/ files, must be accepted by the programs that read them: a config
# example by `helpdesk-milter -n -c`, a policy example by `helpdeskctl
# check-policy`. Examples are marked in the roff source by the comment lines
# `.\" example-begin config|policy` and `.\" example-end` around their body.
# What depends on the machine is substituted before the check (policy ->
# conf/policy.yaml, store and socket -> a temp dir, user/group/socket_owner/
# socket_group -> the current user and group, seal key files -> fresh keys
# in a temp dir, notify_command's program ->
# /bin/cat); everything else is checked as written.
# Usage: TOP_SRCDIR=src TOP_BUILDDIR=build tests/docs/run-examples.sh (make check)
set -u
SRCDIR=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${TOP_BUILDDIR:-$SRCDIR/build}
MILTER=$BUILDDIR/src/milter/helpdesk-milter
CTL=$BUILDDIR/src/helpdeskctl/helpdeskctl
for p in "$MILTER" "$CTL"; do [ -x "$p" ] || { echo "SKIP: $p not built"; exit 77; }; done
T=$(mktemp -d /tmp/hd-examples.XXXXXX)
trap 'rm -rf "$T"' EXIT
PASS=0 FAIL=0 n=0
me=$(id -un) mygroup=$(id -gn)

# Extract the marked examples of PAGE into $T/PAGE.N.KIND; prints the files.
extract() {
	awk -v out="$T/$(basename "$1")" '
	/^\.\\" example-begin / { n++; f = out "." n "." $3; printf "" > f; print f; next }
	/^\.\\" example-end/ { f = ""; next }
	f != "" { gsub(/\\-/, "-"); gsub(/\\e/, "\\"); gsub(/\\\(dq/, "\""); print >> f }
	' "$1"
}

# Check config FILE (LABEL) with the machine-dependent values substituted.
check_config() {
	local label=$1 file=$2 c=$T/check.yaml
	mkdir -p "$T/store" "$T/keys"
	# seal key files named in the example: made here, private as required
	for k in $(grep -o '/etc/helpdesk-milter/[A-Za-z0-9_.-]*\.key' "$file" | sort -u); do
		head -c 32 /dev/urandom >"$T/keys/${k##*/}"
		chmod 600 "$T/keys/${k##*/}"
	done
	sed -e "s|^policy: .*|policy: $SRCDIR/conf/policy.yaml|" \
	    -e "s|/etc/helpdesk-milter/\([A-Za-z0-9_.-]*\.key\)|$T/keys/\1|g" \
	    -e "s|^store: .*|store: sqlite:$T/store/audit.db|" \
	    -e "s|^socket: .*|socket: unix:$T/milter.sock|" \
	    -e "s|^user: .*|user: $me|" -e "s|^group: .*|group: $mygroup|" \
	    -e "s|^socket_owner: .*|socket_owner: $me|" \
	    -e "s|^socket_group: .*|socket_group: $mygroup|" \
	    -e "s|^notify_command: *\[[^,]*|notify_command: [/bin/cat|" "$file" >"$c"
	run "$label" "$MILTER" -n -c "$c"
}

# run LABEL CMD...: ok when CMD exits 0; its output shown otherwise.
run() {
	local label=$1; shift
	n=$((n + 1))
	if "$@" >"$T/out" 2>&1; then
		PASS=$((PASS + 1)); echo "ok $n - $label"
	else
		FAIL=$((FAIL + 1)); echo "not ok $n - $label"; sed 's/^/#   /' "$T/out"
	fi
}

found=0
for page in "$SRCDIR"/man/*.[158]; do
	for f in $(extract "$page"); do
		found=$((found + 1))
		case $f in
		*.config) check_config "$(basename "$page") example ${f#$T/*.[158].}" "$f" ;;
		*.policy) run "$(basename "$page") example ${f#$T/*.[158].}" "$CTL" check-policy "$f" ;;
		*) FAIL=$((FAIL + 1)); echo "not ok - $f: example kind must be config or policy" ;;
		esac
	done
done
[ "$found" -gt 0 ] || { FAIL=$((FAIL + 1)); echo "not ok - no marked example found in man/"; }
check_config "conf/helpdesk-milter.yaml" "$SRCDIR/conf/helpdesk-milter.yaml"
run "conf/policy.yaml" "$CTL" check-policy "$SRCDIR/conf/policy.yaml"
echo "examples: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]

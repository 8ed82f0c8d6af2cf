#!/bin/bash
# run.sh - protocol-level tests of helpdesk-milter with miltertest(8): each
# *.lua script here talks to one milter started on a private unix socket.
# Also checks, from the milter's debug log, that forged headers are removed
# by per-name index from the last one back (CVE-2022-48521 class of bug).
# Usage: tests/miltertest/run.sh BUILDDIR     (no root needed)
set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:?usage: $0 BUILDDIR}" && pwd)
SRC=${SRC:-$(cd "$here/../.." && pwd)}
MILTER=$BUILD/src/milter/helpdesk-milter
command -v miltertest >/dev/null || { echo "SKIP: miltertest not installed"; exit 77; }
[ -x "$MILTER" ] || { echo "SKIP: $MILTER not built"; exit 77; }
T=$(mktemp -d /tmp/hd-mt.XXXXXX)
PASS=0 FAIL=0 PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	if [ "$FAIL" -gt 0 ] || [ "${HD_KEEP:-0}" = 1 ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
nok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }

cat >"$T/milter.yaml" <<YAML
socket: unix:$T/milter.sock
policy: $SRC/conf/policy.yaml
store: sqlite:$T/audit.db
trusted_networks: [127.0.0.0/8]
limits: { recipients: 100 }
log: { level: debug }
YAML
"$MILTER" -f -c "$T/milter.yaml" >"$T/milter.log" 2>&1 &
PID=$!
for _ in $(seq 1 50); do [ -S "$T/milter.sock" ] && break; sleep 0.1; done
[ -S "$T/milter.sock" ] || { nok "milter starts"; cat "$T/milter.log"; exit 1; }

# miltertest prints nothing when a script's assert fails: wrap it.
cat >"$T/wrap.lua" <<'LUA'
local ok, err = pcall(dofile, script)
if not ok then mt.echo("FAIL: " .. tostring(err)); error(err) end
LUA
for script in "$here"/*.lua; do
	name=$(basename "$script" .lua)
	if miltertest -D sock="unix:$T/milter.sock" -D script="$script" -s "$T/wrap.lua" \
		>"$T/$name.out" 2>&1; then
		ok "$name"
	else
		nok "$name"; sed 's/^/#   /' "$T/$name.out" | tail -5
	fi
	kill -0 "$PID" 2>/dev/null && ok "$name: milter still running" || nok "$name: milter still running"
done

# Removal order of the forged-removal script: per name, last index first.
order=$(grep -o 'MT0001: removing header [^ ]*' "$T/milter.log" | awk '{print $4}' | tr '\n' ' ')
echo "# removal order: $order"
case $order in
*"X-Helpdesk-Ticket[3] X-Helpdesk-Ticket[2] X-Helpdesk-Ticket[1]"*) ok "forged headers removed from the last index back" ;;
*) nok "forged headers removed from the last index back" ;;
esac
grep -q 'MTHUGE: ' "$T/milter.log" && ok "huge headers: decision logged with the queue id" \
	|| nok "huge headers: decision logged with the queue id"
grep -q 'MTRCPTS: more than 100 recipients' "$T/milter.log" && ok "recipient cap logged" \
	|| nok "recipient cap logged"

kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
[ "$rc" -eq 0 ] && ok "milter exits 0 on SIGTERM" || nok "milter exits 0 on SIGTERM (status $rc)"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]

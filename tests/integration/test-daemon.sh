#!/bin/bash
# test-daemon.sh - helpdesk-milter as a daemon an administrator runs, without
# an MTA: -n refuses each config start would refuse (exit 78, EX_CONFIG, with
# the key named) and passes a good one (0); a bad option exits 64; SIGUSR1
# reloads and the daemon stays up; a failed start leaves no socket behind;
# shutdown leaves a socket a newer instance owns; the inherited umask governs
# the SQLite store (0640 under umask 027); with -f a line is logged once on
# stderr. Usage: BUILD=builddir tests/integration/test-daemon.sh (root)
. "$(dirname "$0")/mta-env.sh"
mta_require "user, group and privilege checks" miltertest
mta_env_init hd-daemon

# milter_config sets socket_group: postfix; use a group that surely exists.
sed_group() { sed -i 's/^socket_group: .*/socket_group: root/' "$1"; }

# check_n LABEL KEY SED-SCRIPT: -n on a good config edited by SED-SCRIPT
# exits 78 (EX_CONFIG) and its message names KEY at the file:line:column
# of its value.
check_n() {
	local label=$1 key=$2 script=$3 rc line col
	milter_config "$T/n.yaml" "unix:$T/milter/n.sock"
	sed_group "$T/n.yaml"
	sed -i -e "$script" "$T/n.yaml"
	"$MILTER_BIN" -n -c "$T/n.yaml" >"$T/n.out" 2>&1
	rc=$?
	line=$(grep -n "^$key:" "$T/n.yaml" | tail -1 | cut -d: -f1)
	col=$(( ${#key} + 3 ))
	check "-n $label: exit 78 (got $rc)" test "$rc" -eq 78
	check "-n $label: message names $key at n.yaml:$line:$col" \
		grep -q "n.yaml:$line:$col: $key: " "$T/n.out"
	[ "$rc" -eq 78 ] || sed 's/^/#   /' "$T/n.out"
}

mkdir -p "$T/store"; chown nobody "$T/store"
milter_config "$T/good.yaml" "unix:$T/milter/good.sock" "user: nobody"; sed_group "$T/good.yaml"
sed -i "s|^store: .*|store: sqlite:$T/store/audit.db|" "$T/good.yaml"
"$MILTER_BIN" -n -c "$T/good.yaml" >"$T/n.out" 2>&1
rc=$?
check "-n good config (user: nobody): exit 0 (got $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T/n.out"
"$MILTER_BIN" -Z -c "$T/good.yaml" >/dev/null 2>&1
rc=$?
check "bad option: exit 64 (got $rc)" test "$rc" -eq 64

check_n "unknown user" "user" '$a user: hd-no-such-user'
check_n "unknown group" "group" '$a group: hd-no-such-group'
check_n "unknown socket_owner" "socket_owner" '$a socket_owner: hd-no-such-user'
check_n "unknown socket_group" "socket_group" 's/^socket_group: .*/socket_group: hd-no-such-group/'
check_n "store scheme mysql://" "store" 's|^store: .*|store: mysql://localhost/hd|'
check_n "store directory missing" "store" "s|^store: .*|store: sqlite:$T/nodir/audit.db|"
mkdir -p "$T/rootonly"; chmod 755 "$T/rootonly"
check_n "store directory not writable by user nobody" "store" \
	"s|^store: .*|store: sqlite:$T/rootonly/audit.db|; \$a user: nobody"
check_n "notify_command program missing" "notify_command" "\$a notify_command: [$T/no-such-program]"
touch "$T/notexec"; chmod 644 "$T/notexec"
check_n "notify_command program not executable" "notify_command" "\$a notify_command: [$T/notexec]"

# A failed start (pidfile in a missing directory) removes the socket it made.
milter_config "$T/fail.yaml" "unix:$T/milter/fail.sock" "pidfile: $T/no-such-dir/hd.pid"
sed_group "$T/fail.yaml"
"$MILTER_BIN" -f -c "$T/fail.yaml" >"$T/fail.out" 2>&1
rc=$?
check "pidfile in a missing directory: exit 73 (got $rc)" test "$rc" -eq 73
check "failed start leaves no socket behind" test ! -e "$T/milter/fail.sock"

# A running daemon: umask 027 store mode, SIGUSR1, -f logging on stderr.
cp "$HD_POLICY" "$T/policy.yaml"
milter_config "$T/run.yaml" "unix:$T/milter/run.sock" "pidfile: $T/run.pid"
sed_group "$T/run.yaml"
sed -i "s|^policy: .*|policy: $T/policy.yaml|" "$T/run.yaml"
: >"$T/milter.log"
(umask 027; exec "$MILTER_BIN" -f -c "$T/run.yaml" 2>"$T/milter.log" >/dev/null) &
MILTER_PID=$!
if ! mta_wait_listen "unix:$T/milter/run.sock" "$MILTER_PID"; then
	nok "milter starts"; cat "$T/milter.log"; summary; exit 1
fi
# One inbound message in scope makes the milter create its store.
miltertest -D sock="unix:$T/milter/run.sock" -s "$SRC/tests/miltertest/forged-removal.lua" >"$T/mt.out" 2>&1 \
	|| sed 's/^/#   /' "$T/mt.out"
check "store created by the message" test -f "$T/audit.db"
mode=$(stat -c %a "$T/audit.db" 2>/dev/null)
check "store mode under umask 027 is 640 (got $mode)" test "$mode" = 640
check "pidfile written" test -s "$T/run.pid"
check "-f: 'started' logged once on stderr" test "$(grep -c 'started on' "$T/milter.log")" = 1

sed -i 's/^  version: .*/  version: 99/' "$T/policy.yaml"
kill -USR1 "$MILTER_PID"
for _ in $(seq 1 50); do grep -q 'reloaded: policy .* v99' "$T/milter.log" && break; sleep 0.1; done
check "SIGUSR1: reloading logged" grep -q 'SIGUSR1: reloading' "$T/milter.log"
check "SIGUSR1: the changed policy (v99) is in force" grep -q 'reloaded: policy .* v99' "$T/milter.log"
sleep 0.3
check "SIGUSR1: daemon still running" milter_alive
check "SIGUSR1: socket still there" test -S "$T/milter/run.sock"

# A newer instance took the socket path: shutting down must leave it alone.
mv "$T/milter/run.sock" "$T/milter/old.sock"
echo newer >"$T/milter/run.sock"
echo 999999 >"$T/run.pid"
milter_stop TERM
rc=$?
check "SIGTERM: exit 0 (got $rc)" test "$rc" -eq 0
check "shutdown leaves the newer instance's socket" grep -qx newer "$T/milter/run.sock"
check "shutdown leaves the newer instance's pidfile" grep -qx 999999 "$T/run.pid"
summary

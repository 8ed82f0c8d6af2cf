# postfix-env.sh - shared helpers for the real-Postfix integration tests.
# Source it from a test script. It installs nothing (the CI script installs
# postfix and swaks); it configures and runs a PRIVATE Postfix instance on
# 127.0.0.1 in a temporary directory, plus helpdesk-milter in the foreground,
# and tears both down on exit. Must run as root (Postfix's master needs it).
#
# Inputs: BUILD (build directory holding src/milter/helpdesk-milter), SRC (source
# tree; default: two levels above this file). HD_KEEP=1 keeps the temp dir.
#
# Functions: hd_env_init, pf_start MILTER_SPEC, pf_stop, milter_config FILE
# [extra yaml], milter_start CONFIG [args], milter_stop [signal], milter_alive,
# send (swaks wrapper), wait_mail DIR PATTERN [secs], mail_arrives, mail_headers,
# ok/nok/check, summary. Optional hook: define pf_configure_hook (run after
# main.cf/master.cf are written, before Postfix starts).

set -u

SRC=${SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$SRC}
MILTER_BIN=${MILTER_BIN:-$BUILD/src/milter/helpdesk-milter}
HD_POLICY=${HD_POLICY:-$SRC/conf/policy.yaml}
PASS=0
FAIL=0
T=
PF_PORT=
MILTER_PID=
MILTER_VALGRIND=${MILTER_VALGRIND:-}

# Skip (exit 77, the automake convention) when the environment cannot run us.
hd_require() {
	if [ "$(id -u)" != 0 ]; then echo "SKIP: must run as root (Postfix master)"; exit 77; fi
	for cmd in postfix postconf swaks; do
		command -v "$cmd" >/dev/null 2>&1 || { echo "SKIP: $cmd not installed"; exit 77; }
	done
	[ -x "$MILTER_BIN" ] || { echo "SKIP: $MILTER_BIN not built"; exit 77; }
	[ -r "$HD_POLICY" ] || { echo "SKIP: no policy at $HD_POLICY"; exit 77; }
}

# A free TCP port on 127.0.0.1.
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$(( 20000 + RANDOM % 30000 ))
		if ! ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then echo "$p"; return 0; fi
	done
	return 1
}

# Create the temp dir and the cleanup trap.
hd_env_init() {
	hd_require
	T=$(mktemp -d /tmp/hd-it.XXXXXX)
	chmod 755 "$T"
	mkdir -p "$T/mail" "$T/milter" "$T/spool" "$T/data" "$T/postfix-conf"
	chown nobody:nogroup "$T/mail"
	chown root:postfix "$T/milter"; chmod 750 "$T/milter"
	chown postfix:postfix "$T/data"
	trap hd_env_cleanup EXIT
	echo "# workdir $T"
}

# Stop everything; keep the directory when HD_KEEP=1 or a test failed.
hd_env_cleanup() {
	local rc=$?
	milter_stop TERM >/dev/null 2>&1
	pf_stop >/dev/null 2>&1
	if [ "${HD_KEEP:-0}" = 1 ] || [ "$FAIL" -gt 0 ]; then
		echo "# kept $T (maillog: $T/maillog, milter log: $T/milter.log)"
	else
		rm -rf "$T"
	fi
	exit $rc
}

# Write main.cf/master.cf for a private instance using MILTER_SPEC (Postfix syntax).
pf_configure() {
	local milter=$1 conf=$T/postfix-conf
	PF_PORT=$(free_port)
	cat >"$conf/main.cf" <<EOF
compatibility_level = 3.6
config_directory = $conf
queue_directory = $T/spool
data_directory = $T/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.test.invalid
mydomain = test.invalid
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
maillog_file = $T/maillog
maillog_file_prefixes = $T
smtpd_banner = \$myhostname ESMTP helpdesk-test
smtp_dns_support_level = disabled
disable_dns_lookups = yes
default_transport = error:no external delivery in tests
relay_transport = error:no external delivery in tests
virtual_mailbox_domains = support.example.com, example.net, example.com, bigcorp.example
virtual_mailbox_base = $T/mail
virtual_mailbox_maps = texthash:$conf/vmailbox
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
virtual_minimum_uid = 100
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_milters = $milter
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 10s
milter_command_timeout = 30s
milter_content_timeout = 120s
message_size_limit = 60000000
virtual_mailbox_limit = 0
header_size_limit = 1024000
biff = no
delay_warning_time = 0
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
EOF
	# virtual(8) refuses regexp substitutions: list the mailboxes, plus a
	# catch-all per domain.
	local a d
	for a in billing invoices support lead ops oncall escalations approvals alice bob \
		 carol dave erin customer angry a b; do
		for d in support.example.com example.net example.com bigcorp.example; do
			printf '%s@%s\t%s/%s/\n' "$a" "$d" "$d" "$a"
		done
	done >"$conf/vmailbox"
	for d in support.example.com example.net example.com bigcorp.example; do
		printf '@%s\t%s/catchall/\n' "$d" "$d"
	done >>"$conf/vmailbox"
	cat >"$conf/master.cf" <<EOF
127.0.0.1:$PF_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	# Optional: a test may define pf_configure_hook to adjust the instance
	# (e.g. postconf -c "$T/postfix-conf" -e ...) before it starts.
	if declare -F pf_configure_hook >/dev/null; then pf_configure_hook || return 1; fi
}

# Configure and start the private Postfix; MILTER_SPEC as in smtpd_milters.
pf_start() {
	pf_configure "$1"
	# Postfix reports startup errors to syslog only; a pseudo-tty shows them.
	script -qc "postfix -c $T/postfix-conf start" /dev/null >"$T/postfix-start.log" 2>&1
	if ! postfix -c "$T/postfix-conf" status >/dev/null 2>&1; then
		cat "$T/postfix-start.log"; return 1
	fi
	for _ in $(seq 1 50); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$PF_PORT") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "postfix did not start listening on $PF_PORT"; cat "$T/postfix-start.log"
	return 1
}

# Stop the private Postfix (if running).
pf_stop() {
	[ -n "$T" ] && [ -f "$T/postfix-conf/main.cf" ] || return 0
	postfix -c "$T/postfix-conf" stop >/dev/null 2>&1 || true
}

# Change a Postfix parameter and reload.
pf_set() {
	postconf -c "$T/postfix-conf" -e "$@" && postfix -c "$T/postfix-conf" reload >/dev/null 2>&1
}

# Write a milter config FILE for SOCKET (libmilter syntax); extra YAML lines follow.
milter_config() {
	local file=$1 socket=$2; shift 2
	{
		echo "socket: $socket"
		echo "socket_group: postfix"
		echo "socket_mode: \"0660\""
		echo "policy: $HD_POLICY"
		echo "store: sqlite:$T/audit.db"
		echo "on_failure: tempfail"
		echo "trusted_networks: [127.0.0.0/8]"
		echo "log: { level: debug }"
		for line in "$@"; do echo "$line"; done
	} >"$file"
}

# Start the milter in the foreground (background job) with CONFIG; waits for the socket.
milter_start() {
	local config=$1; shift
	local sock
	sock=$(sed -n 's/^socket: *//p' "$config")
	if [ -n "$MILTER_VALGRIND" ]; then
		valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			--show-possibly-lost=no --log-file="$T/valgrind.%p.log" \
			"$MILTER_BIN" -f -c "$config" "$@" >>"$T/milter.log" 2>&1 &
	else
		"$MILTER_BIN" -f -c "$config" "$@" >>"$T/milter.log" 2>&1 &
	fi
	MILTER_PID=$!
	for _ in $(seq 1 100); do
		case $sock in
		unix:*) [ -S "${sock#unix:}" ] && return 0 ;;
		inet:*) local port=${sock#inet:}; port=${port%@*}
			(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0 ;;
		esac
		kill -0 "$MILTER_PID" 2>/dev/null || { echo "milter exited:"; tail -20 "$T/milter.log"; return 1; }
		sleep 0.1
	done
	echo "milter socket $sock did not appear"; tail -20 "$T/milter.log"
	return 1
}

# Stop the milter with SIGNAL (default TERM) and wait for it.
milter_stop() {
	local sig=${1:-TERM}
	[ -n "$MILTER_PID" ] || return 0
	kill -"$sig" "$MILTER_PID" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$MILTER_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$MILTER_PID" 2>/dev/null
	local rc=$?
	MILTER_PID=
	return $rc
}

# Is the milter process still running?
milter_alive() {
	[ -n "$MILTER_PID" ] && kill -0 "$MILTER_PID" 2>/dev/null
}

# swaks against the private Postfix; output in $SENT, exit status returned.
send() {
	SENT=$(swaks --server 127.0.0.1 --port "$PF_PORT" --helo client.test.invalid \
		--suppress-data --timeout 120 "$@" 2>&1)
}

# Wait until a delivered file under DIR contains PATTERN (fixed string); prints
# its path. Maildir tmp/ holds deliveries still being written: never read there.
wait_mail() {
	local dir=$1 pattern=$2 secs=${3:-20} f
	for _ in $(seq 1 $((secs * 10))); do
		f=$(grep -rlF --exclude-dir=tmp -- "$pattern" "$dir" 2>/dev/null | head -1)
		if [ -n "$f" ]; then echo "$f"; return 0; fi
		sleep 0.1
	done
	return 1
}

# Like wait_mail, silent: for check.
mail_arrives() {
	wait_mail "$@" >/dev/null
}

# Headers of a delivered file (up to the first blank line).
mail_headers() {
	sed -e 's/\r$//' -e '/^$/q' "$1"
}

# A unique token for Message-IDs and subjects.
uniq_token() {
	echo "$(date +%s%N)-$RANDOM"
}

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
nok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	local d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}

# Print the tally and return non-zero on any failure.
summary() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

# mta-env.sh - what the real-MTA integration tests share, whichever MTA they
# run (Postfix: postfix-env.sh, Sendmail: sendmail-env.sh, both source this
# file): the temporary directory and its cleanup trap, free ports, waiting
# for a listener, helpdesk-milter's config, start and stop, swaks, reading
# the Maildir files a test delivered to, and the ok/not ok tally. It
# installs and starts no MTA itself, and must never touch anything outside
# the temporary directory it creates (and HD_CACHE).
#
# Inputs: BUILD (build directory holding src/milter/helpdesk-milter), SRC (source
# tree; default: two levels above this file), MILTER_VALGRIND=1 (run the milter
# under valgrind), HD_KEEP=1 (keep the temp dir), HD_CACHE (downloads, default
# /var/cache/helpdesk-tests).
#
# For the MTA's env file: mta_require WHY CMD..., mta_skip REASON, mta_env_init
# PREFIX (then set MTA_STOP, the function that stops the MTA, and MTA_KEPT, what
# the "kept" note names), mta_env_cleanup, mta_wait_listen, mta_proc_stop,
# mta_send PORT ARGS.
# For tests: free_port, milter_config FILE SOCKET [extra yaml], milter_start
# CONFIG [args], milter_stop [signal], milter_stop_clean [LABEL], milter_alive,
# final_reply, mkmsg, wait_mail DIR PATTERN [secs], mail_arrives, mail_headers,
# no_helpdesk_header, check_untouched, not_delivered, uniq_token,
# ok/nok/check, summary.

set -u

SRC=${SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$SRC}
MILTER_BIN=${MILTER_BIN:-$BUILD/src/milter/helpdesk-milter}
HD_POLICY=${HD_POLICY:-$SRC/conf/policy.yaml}
HD_CACHE=${HD_CACHE:-/var/cache/helpdesk-tests}
PASS=0
FAIL=0
T=
MILTER_PID=
MILTER_VALGRIND=${MILTER_VALGRIND:-}
MTA_STOP=
MTA_KEPT=

# Skip (exit 77, the automake convention) with the reason.
mta_skip() {
	echo "SKIP: $*"
	exit 77
}

# Skip unless root (WHY: what needs it), every CMD, the milter and the policy are there.
mta_require() {
	local why=$1 cmd; shift
	[ "$(id -u)" = 0 ] || mta_skip "must run as root ($why)"
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null 2>&1 || mta_skip "$cmd not installed"
	done
	[ -x "$MILTER_BIN" ] || mta_skip "$MILTER_BIN not built"
	[ -r "$HD_POLICY" ] || mta_skip "no policy at $HD_POLICY"
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

# Create the temp dir /tmp/PREFIX.XXXXXX (T) with mail/ and milter/, and the cleanup trap.
mta_env_init() {
	T=$(mktemp -d "/tmp/$1.XXXXXX")
	chmod 755 "$T"
	mkdir -p "$T/mail" "$T/milter"
	trap mta_env_cleanup EXIT
	echo "# workdir $T"
}

# Stop the milter and the MTA ($MTA_STOP); keep $T when HD_KEEP=1 or a test failed.
mta_env_cleanup() {
	local rc=$?
	milter_stop TERM >/dev/null 2>&1
	[ -z "$MTA_STOP" ] || "$MTA_STOP" >/dev/null 2>&1
	if [ "${HD_KEEP:-0}" = 1 ] || [ "$FAIL" -gt 0 ]; then
		echo "# kept $T ($MTA_KEPT)"
	else
		rm -rf "$T"
	fi
	exit $rc
}

# Wait until SPEC (unix:PATH, inet:PORT or inet:PORT@HOST: on 127.0.0.1)
# accepts connections: 0; 1 after TENTHS tenths of a second (default 100);
# 2 as soon as process PID, when given, has exited.
mta_wait_listen() {
	local spec=$1 pid=${2:-} tenths=${3:-100} port
	for _ in $(seq 1 "$tenths"); do
		case $spec in
		unix:*) [ -S "${spec#unix:}" ] && return 0 ;;
		inet:*) port=${spec#inet:}; port=${port%@*}
			(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0 ;;
		esac
		[ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || return 2
		sleep 0.1
	done
	return 1
}

# Send SIGNAL (default TERM) to the child PID, give it TENTHS tenths of a
# second (default 50), then SIGKILL it unless NOKILL is "nokill"; returns its
# exit status.
mta_proc_stop() {
	local pid=$1 sig=${2:-TERM} tenths=${3:-50} nokill=${4:-}
	kill -"$sig" "$pid" 2>/dev/null
	for _ in $(seq 1 "$tenths"); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ "$nokill" = nokill ] || { kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null; }
	wait "$pid" 2>/dev/null
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
	mta_wait_listen "$sock" "$MILTER_PID"
	case $? in
	0) return 0 ;;
	2) echo "milter exited:" ;;
	*) echo "milter socket $sock did not appear" ;;
	esac
	tail -20 "$T/milter.log"
	return 1
}

# Stop the milter with SIGNAL (default TERM) and wait for it; returns its status.
milter_stop() {
	[ -n "$MILTER_PID" ] || return 0
	mta_proc_stop "$MILTER_PID" "${1:-TERM}" 100 nokill
	local rc=$?
	MILTER_PID=
	return $rc
}

# Stop the milter with SIGTERM and check that it exits with status 0 and,
# under MILTER_VALGRIND, that valgrind reported no error; LABEL prefixes both.
milter_stop_clean() {
	local label=${1:+$1: } rc
	milter_stop TERM
	rc=$?
	check "${label}milter exits cleanly on SIGTERM (status $rc)" test "$rc" -eq 0
	if [ -n "$MILTER_VALGRIND" ]; then
		check "${label}valgrind reports no errors in the milter" \
			bash -c '! grep -lE "ERROR SUMMARY: [1-9]|Invalid|uninitialised|definitely lost" "$1"/valgrind.*.log' _ "$T"
	fi
}

# Is the milter process still running?
milter_alive() {
	[ -n "$MILTER_PID" ] && kill -0 "$MILTER_PID" 2>/dev/null
}

# swaks against the MTA on 127.0.0.1:PORT; output in $SENT, exit status returned.
mta_send() {
	local port=$1; shift
	SENT=$(swaks --server 127.0.0.1 --port "$port" --helo client.test.invalid \
		--suppress-data --timeout 120 "$@" 2>&1)
}

# The reply code to the end of DATA in $SENT (e.g. 250, 550, 451); empty if none.
final_reply() {
	awk '/^ -> \.$/ || /^ -> [0-9]+ lines sent/ {d=1; next}
	     d && /^(<-|<\*\*)/ {print substr($2, 1, 3); exit}' <<<"$SENT"
}

# Write a message to FILE: from, to, subject, Message-ID (without <>), body
# (printf %b escapes); extra header lines (CRLF-terminated) via $EXTRA.
mkmsg() {
	local file=$1 from=$2 to=$3 subject=$4 msgid=$5 body=$6
	{
		printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\n' "$from" "$to" "$subject"
		printf 'Date: %s\r\nMessage-ID: <%s>\r\n' "$(date -R)" "$msgid"
		printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n'
		[ -n "${EXTRA:-}" ] && printf '%b' "$EXTRA"
		printf '\r\n%b\r\n' "$body"
	} >"$file"
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

# Does the delivered FILE carry no X-Helpdesk-* header at all?
no_helpdesk_header() {
	! mail_headers "$1" | grep -qi '^X-Helpdesk-'
}

# check DESCRIPTION: mail containing PATTERN arrives under DIR, without any
# X-Helpdesk-* header (untouched by the milter).
check_untouched() {
	local d=$1 dir=$2 pattern=$3 f
	if f=$(wait_mail "$dir" "$pattern"); then
		check "$d" no_helpdesk_header "$f"
	else
		nok "$d (not delivered)"
	fi
}

# Nothing containing PATTERN was delivered under DIR (after a second's grace).
not_delivered() {
	sleep 1
	! grep -rqF -- "$1" "$2" 2>/dev/null
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

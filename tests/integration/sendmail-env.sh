# sendmail-env.sh - shared helpers for the real-Sendmail integration test.
# Source it from a test script. Sendmail and Postfix conflict as Debian
# packages, so nothing is installed: the sendmail-bin and sendmail-cf .debs
# are fetched once with `apt-get download` into a cache and unpacked with
# `dpkg -x` into a private prefix under the test's temp dir. A sendmail.cf is
# generated with m4 from contrib/sendmail/helpdesk-test.mc (which includes the
# shipped snippet contrib/sendmail/helpdesk-milter.mc), and Sendmail runs as
# root in the foreground (-bD) on 127.0.0.1, in a private UTS namespace whose
# host name is qualified (an unqualified host name makes Sendmail sleep 60 s
# at startup). Every recipient is delivered to $T/mail/DOMAIN/USER/new/, the
# layout of the Postfix tests, so their helpers apply.
#
# Reuses postfix-env.sh for the milter, mail and tally helpers (milter_config,
# milter_start, milter_stop, milter_alive, wait_mail, mail_arrives,
# mail_headers, uniq_token, ok/nok/check, summary); Postfix itself is not used.
#
# Inputs: BUILD, SRC as in postfix-env.sh; HD_CACHE (default
# /var/cache/helpdesk-tests) holds the downloaded .debs; SENDMAIL_PREFIX, if
# set, is an existing unpacked prefix to use instead. HD_KEEP=1 keeps $T.
#
# Functions: sm_env_init, sm_run, sm_start, sm_stop, sm_send (swaks wrapper, output
# in $SENT), sm_final_reply, sm_queue_id.

. "$(dirname "${BASH_SOURCE[0]}")/postfix-env.sh"

HD_CACHE=${HD_CACHE:-/var/cache/helpdesk-tests}
SM_PREFIX=
SM_BIN=
SM_CF_DIR=
SM_PORT=
SM_PID=
SM_VERSION=
SM_PACKAGES="sendmail-bin sendmail-cf"

# Skip (exit 77) with the reason when the environment cannot run Sendmail.
sm_skip() {
	echo "SKIP: $*"
	exit 77
}

# What we need besides the .debs; skips with the precise reason.
sm_require() {
	[ "$(id -u)" = 0 ] || sm_skip "must run as root (Sendmail daemon, milter socket)"
	local cmd
	for cmd in swaks m4 unshare hostname ss; do
		command -v "$cmd" >/dev/null 2>&1 || sm_skip "$cmd not installed"
	done
	[ -x "$MILTER_BIN" ] || sm_skip "$MILTER_BIN not built"
	[ -r "$HD_POLICY" ] || sm_skip "no policy at $HD_POLICY"
	# a private UTS namespace, to give Sendmail a qualified host name
	unshare -u true 2>/dev/null || sm_skip "unshare -u (UTS namespace) not permitted here"
}

# The .deb files in the cache, downloading them on first use.
sm_fetch_debs() {
	local dir=$HD_CACHE/deb p
	mkdir -p "$dir" || sm_skip "cannot create $dir"
	for p in $SM_PACKAGES; do
		ls "$dir/${p}_"*.deb >/dev/null 2>&1 && continue
		command -v apt-get >/dev/null 2>&1 || sm_skip "no apt-get to download $p"
		# apt's _apt user cannot write to a root-owned cache dir: download as root
		(cd "$dir" && apt-get -q -o APT::Sandbox::User=root download "$p") \
			>"$T/apt-download.log" 2>&1 ||
			sm_skip "apt-get download $p failed: $(tail -1 "$T/apt-download.log")"
	done
}

# Unpack Sendmail into $T/sendmail (or use SENDMAIL_PREFIX); sets SM_BIN, SM_CF_DIR.
sm_unpack() {
	local d
	if [ -n "${SENDMAIL_PREFIX:-}" ]; then
		SM_PREFIX=$SENDMAIL_PREFIX
	else
		sm_fetch_debs
		SM_PREFIX=$T/sendmail
		mkdir -p "$SM_PREFIX"
		for d in $SM_PACKAGES; do
			dpkg -x "$(ls "$HD_CACHE/deb/${d}_"*.deb | tail -1)" "$SM_PREFIX" ||
				sm_skip "dpkg -x $d failed"
		done
	fi
	SM_BIN=$SM_PREFIX/usr/libexec/sendmail/sendmail
	[ -x "$SM_BIN" ] || SM_BIN=$SM_PREFIX/usr/lib/sm.bin/sendmail
	[ -x "$SM_BIN" ] || sm_skip "no sendmail binary in $SM_PREFIX"
	SM_CF_DIR=$SM_PREFIX/usr/share/sendmail/cf
	[ -r "$SM_CF_DIR/m4/cf.m4" ] || sm_skip "no sendmail-cf m4 files in $SM_CF_DIR"
	local missing
	missing=$(ldd "$SM_BIN" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')
	[ -z "$missing" ] || sm_skip "sendmail needs shared libraries: $missing(apt-get install liblockfile1 libwrap0 ...)"
	SM_VERSION=$(sm_run -d0.1 -bt -C/dev/null </dev/null 2>/dev/null)
	grep -qw MILTER <<<"$SM_VERSION" || sm_skip "this sendmail binary is built without MILTER"
	SM_VERSION=$(sed -n 's/^Version //p' <<<"$SM_VERSION")
}

# Run the unpacked sendmail with ARGS in a private UTS namespace whose host
# name is qualified (else it sleeps 60 s at startup to retry the lookup).
# RES_OPTIONS: it looks that name up once; a missing DNS server costs <= 2 s.
SM_UTS_SH='hostname mx.test.invalid && exec "$0" "$@"'
sm_run() {
	RES_OPTIONS="timeout:1 attempts:1" unshare -u /bin/sh -c "$SM_UTS_SH" "$SM_BIN" "$@"
}

# Create the temp dir, unpack Sendmail, and set the cleanup trap.
sm_env_init() {
	sm_require
	T=$(mktemp -d /tmp/hd-sm.XXXXXX)
	chmod 755 "$T"
	mkdir -p "$T/mail" "$T/milter" "$T/sm" "$T/sm/mqueue"
	chmod 700 "$T/sm/mqueue" "$T/milter"
	trap sm_env_cleanup EXIT
	echo "# workdir $T"
	sm_unpack
}

# Stop Sendmail and the milter; keep $T when HD_KEEP=1 or a test failed.
sm_env_cleanup() {
	local rc=$?
	milter_stop TERM >/dev/null 2>&1
	sm_stop >/dev/null 2>&1
	if [ "${HD_KEEP:-0}" = 1 ] || [ "$FAIL" -gt 0 ]; then
		echo "# kept $T (SMTP traffic: $T/sm/traffic.log, milter log: $T/milter.log)"
	else
		rm -rf "$T"
	fi
	exit $rc
}

# Write the delivery program and the name-service files, generate sendmail.cf
# for milter SOCKET (Sendmail syntax: local:/path or inet:PORT@HOST).
sm_configure() {
	local socket=$1 dir=$T/sm
	SM_PORT=$(free_port)
	# hd-deliver BASE DOMAIN USER: one Maildir file per recipient
	cat >"$dir/hd-deliver" <<'EOF'
#!/bin/sh
# hd-deliver BASE DOMAIN USER: store the message on stdin as one Maildir file
# BASE/DOMAIN/USER/new/NAME (test infrastructure only).
base=$1
dom=$(printf '%s' "${2%.}" | tr 'A-Z' 'a-z')
user=$(printf '%s' "$3" | tr 'A-Z' 'a-z')
case "$dom/$user" in *..*|/*|*/|*/*/*) echo "hd-deliver: bad address $user@$dom" >&2; exit 64 ;; esac
d=$base/$dom/$user
mkdir -p "$d/tmp" "$d/new" "$d/cur" || exit 75
f=$(date +%s.%N).$$.mx
cat >"$d/tmp/$f" && mv "$d/tmp/$f" "$d/new/$f" || exit 75
EOF
	chmod 755 "$dir/hd-deliver"
	printf '127.0.0.1\tmx.test.invalid localhost\n' >"$dir/hosts"
	printf 'hosts\tfiles\naliases\tfiles\n' >"$dir/service.switch"
	printf 'postmaster: root\nmailer-daemon: root\n' >"$dir/aliases"
	m4 -D_CF_DIR_="$SM_CF_DIR/" -DHD_DIR="$dir" -DHD_MAILDIR="$T/mail" -DHD_PORT="$SM_PORT" \
		-DHD_DELIVER="$dir/hd-deliver" \
		-DHD_SNIPPET="$SRC/contrib/sendmail/helpdesk-milter.mc" \
		-DHELPDESK_MILTER_SOCKET="$socket" \
		"$SM_CF_DIR/m4/cf.m4" "$SRC/contrib/sendmail/helpdesk-test.mc" \
		>"$dir/sendmail.cf" 2>"$dir/m4.log" || { cat "$dir/m4.log"; return 1; }
	# the shipped snippet must have produced the filter line
	grep -q "^Xhelpdesk-milter, S=$socket, F=T" "$dir/sendmail.cf" ||
		{ echo "sendmail.cf has no helpdesk-milter filter for $socket"; return 1; }
}

# Generate the cf and start Sendmail in the foreground (background job).
sm_start() {
	sm_configure "$1" || return 1
	# as sm_run, but a simple command: $! is then Sendmail itself (unshare
	# and sh exec it)
	RES_OPTIONS="timeout:1 attempts:1" unshare -u /bin/sh -c "$SM_UTS_SH" \
		"$SM_BIN" -C"$T/sm/sendmail.cf" -bD -X "$T/sm/traffic.log" \
		>>"$T/sm/sendmail.out" 2>&1 &
	SM_PID=$!
	for _ in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$SM_PORT") 2>/dev/null; then return 0; fi
		kill -0 "$SM_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "sendmail did not start listening on $SM_PORT:"; cat "$T/sm/sendmail.out"
	return 1
}

# Stop Sendmail (if running) and wait for it.
sm_stop() {
	[ -n "$SM_PID" ] || return 0
	kill -TERM "$SM_PID" 2>/dev/null
	for _ in $(seq 1 50); do
		kill -0 "$SM_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$SM_PID" 2>/dev/null
	wait "$SM_PID" 2>/dev/null
	SM_PID=
}

# swaks against the private Sendmail; output in $SENT, exit status returned.
sm_send() {
	SENT=$(swaks --server 127.0.0.1 --port "$SM_PORT" --helo client.test.invalid \
		--suppress-data --timeout 120 "$@" 2>&1)
}

# The reply code to the end of DATA in $SENT (e.g. 250, 550, 451).
sm_final_reply() {
	awk '/^ -> \.$/ || /^ -> [0-9]+ lines sent/ {d=1; next}
	     d && /^(<-|<\*\*)/ {print substr($2, 1, 3); exit}' <<<"$SENT"
}

# Sendmail's queue id from "250 2.0.0 QUEUEID Message accepted" in $SENT.
sm_queue_id() {
	sed -n 's/^<-  250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted.*/\1/p' <<<"$SENT" | tail -1
}

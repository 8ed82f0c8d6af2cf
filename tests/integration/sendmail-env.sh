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
# Sources mta-env.sh for the milter, mail and tally helpers (milter_config,
# milter_start, milter_stop, milter_alive, final_reply, wait_mail,
# mail_arrives, mail_headers, uniq_token, ok/nok/check, summary, ...).
#
# Inputs: BUILD, SRC as in mta-env.sh; HD_CACHE (default
# /var/cache/helpdesk-tests) holds the downloaded .debs; SENDMAIL_PREFIX, if
# set, is an existing unpacked prefix to use instead. HD_KEEP=1 keeps $T.
#
# Functions: sm_env_init, sm_run, sm_start, sm_stop, sm_send (swaks wrapper, output
# in $SENT), sm_queue_id.

. "$(dirname "${BASH_SOURCE[0]}")/mta-env.sh"

SM_PREFIX=
SM_BIN=
SM_CF_DIR=
SM_PORT=
SM_PID=
SM_VERSION=
SM_PACKAGES="sendmail-bin sendmail-cf"

# What we need besides the .debs; skips (exit 77) with the precise reason.
sm_require() {
	mta_require "Sendmail daemon, milter socket" swaks m4 unshare hostname ss
	# a private UTS namespace, to give Sendmail a qualified host name
	unshare -u true 2>/dev/null || mta_skip "unshare -u (UTS namespace) not permitted here"
}

# The .deb files in the cache, downloading them on first use.
sm_fetch_debs() {
	local dir=$HD_CACHE/deb p
	mkdir -p "$dir" || mta_skip "cannot create $dir"
	for p in $SM_PACKAGES; do
		ls "$dir/${p}_"*.deb >/dev/null 2>&1 && continue
		command -v apt-get >/dev/null 2>&1 || mta_skip "no apt-get to download $p"
		# apt's _apt user cannot write to a root-owned cache dir: download as root
		(cd "$dir" && apt-get -q -o APT::Sandbox::User=root download "$p") \
			>"$T/apt-download.log" 2>&1 ||
			mta_skip "apt-get download $p failed: $(tail -1 "$T/apt-download.log")"
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
				mta_skip "dpkg -x $d failed"
		done
	fi
	SM_BIN=$SM_PREFIX/usr/libexec/sendmail/sendmail
	[ -x "$SM_BIN" ] || SM_BIN=$SM_PREFIX/usr/lib/sm.bin/sendmail
	[ -x "$SM_BIN" ] || mta_skip "no sendmail binary in $SM_PREFIX"
	SM_CF_DIR=$SM_PREFIX/usr/share/sendmail/cf
	[ -r "$SM_CF_DIR/m4/cf.m4" ] || mta_skip "no sendmail-cf m4 files in $SM_CF_DIR"
	local missing
	missing=$(ldd "$SM_BIN" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')
	[ -z "$missing" ] || mta_skip "sendmail needs shared libraries: $missing(apt-get install liblockfile1 libwrap0 ...)"
	SM_VERSION=$(sm_run -d0.1 -bt -C/dev/null </dev/null 2>/dev/null)
	grep -qw MILTER <<<"$SM_VERSION" || mta_skip "this sendmail binary is built without MILTER"
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
	mta_env_init hd-sm
	MTA_STOP=sm_stop
	MTA_KEPT="SMTP traffic: $T/sm/traffic.log, milter log: $T/milter.log"
	mkdir -p "$T/sm/mqueue"
	chmod 700 "$T/sm/mqueue" "$T/milter"
	sm_unpack
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
	mta_wait_listen "inet:$SM_PORT" "$SM_PID" && return 0
	echo "sendmail did not start listening on $SM_PORT:"; cat "$T/sm/sendmail.out"
	return 1
}

# Stop Sendmail (if running) and wait for it.
sm_stop() {
	[ -n "$SM_PID" ] || return 0
	mta_proc_stop "$SM_PID"
	SM_PID=
}

# swaks against the private Sendmail; output in $SENT, exit status returned.
sm_send() {
	mta_send "$SM_PORT" "$@"
}

# Sendmail's queue id from "250 2.0.0 QUEUEID Message accepted" in $SENT.
sm_queue_id() {
	sed -n 's/^<-  250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted.*/\1/p' <<<"$SENT" | tail -1
}

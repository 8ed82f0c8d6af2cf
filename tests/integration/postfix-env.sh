# postfix-env.sh - shared helpers for the real-Postfix integration tests.
# Source it from a test script. It installs nothing (the CI script installs
# postfix and swaks); it configures and runs a PRIVATE Postfix instance on
# 127.0.0.1 in a temporary directory, plus helpdesk-milter in the foreground,
# and tears both down on exit. Must run as root (Postfix's master needs it).
# What does not depend on Postfix (temp dir, milter, Maildir reading, tally)
# is in mta-env.sh, sourced here.
#
# Inputs: BUILD (build directory holding src/milter/helpdesk-milter), SRC (source
# tree; default: two levels above this file). HD_KEEP=1 keeps the temp dir.
#
# Functions: hd_require, hd_env_init, hd_env_cleanup, pf_start MILTER_SPEC,
# pf_stop, pf_set PARAM=VALUE..., send (swaks wrapper), and those of mta-env.sh
# (milter_config, milter_start, milter_stop, milter_alive, wait_mail,
# mail_arrives, mail_headers, ok/nok/check, summary, ...). Optional hook:
# define pf_configure_hook (run after main.cf/master.cf are written, before
# Postfix starts).

. "$(dirname "${BASH_SOURCE[0]}")/mta-env.sh"

PF_PORT=

# Skip (exit 77) when the environment cannot run us.
hd_require() {
	mta_require "Postfix master" postfix postconf swaks
}

# Create the temp dir and the cleanup trap.
hd_env_init() {
	hd_require
	mta_env_init hd-it
	MTA_STOP=pf_stop
	MTA_KEPT="maillog: $T/maillog, milter log: $T/milter.log"
	mkdir -p "$T/spool" "$T/data" "$T/postfix-conf"
	chown nobody:nogroup "$T/mail"
	chown root:postfix "$T/milter"; chmod 750 "$T/milter"
	chown postfix:postfix "$T/data"
}

# Stop everything; keep the directory when HD_KEEP=1 or a test failed (for
# scripts that set their own EXIT trap and end with this one).
hd_env_cleanup() {
	mta_env_cleanup
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
	mta_wait_listen "inet:$PF_PORT" "" 50 && return 0
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

# swaks against the private Postfix; output in $SENT, exit status returned.
send() {
	mta_send "$PF_PORT" "$@"
}

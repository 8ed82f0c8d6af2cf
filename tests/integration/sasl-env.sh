# sasl-env.sh - a private Dovecot SASL authentication service for the
# real-Postfix integration tests (SMTP AUTH on loopback). Source it after
# postfix-env.sh (it uses mta-env.sh's helpers). It installs nothing (the CI
# script installs dovecot-core).
#
# Dovecot runs in the foreground (background job) with its own dovecot.conf
# under DIR: base_dir, state and log in DIR, no protocol listeners at all
# (protocols = none), a passwd-file passdb of test users with plain
# passwords, and one auth socket DIR/auth (mode 0660, group postfix) for
# Postfix's smtpd_sasl_type = dovecot. It never reads /etc/dovecot.
#
# Functions: sasl_require (exit 77 when dovecot is missing), sasl_start DIR
# USER:PASSWORD..., sasl_stop, sasl_postconf (prints the Postfix parameters,
# one per line, for postconf -e), sasl_password USER.
# Variables set: SASL_DIR, SASL_SOCKET, SASL_PID.

SASL_DIR=
SASL_SOCKET=
SASL_PID=
DOVECOT_BIN=${DOVECOT_BIN:-$(command -v dovecot 2>/dev/null || echo /usr/sbin/dovecot)}

# Skip (exit 77) when Dovecot or its system users are missing.
sasl_require() {
	[ -x "$DOVECOT_BIN" ] || { echo "SKIP: dovecot not installed (dovecot-core)"; exit 77; }
	id dovecot >/dev/null 2>&1 && id dovenull >/dev/null 2>&1 ||
		{ echo "SKIP: no dovecot/dovenull system users"; exit 77; }
}

# Write DIR/dovecot.conf and DIR/users for the USER:PASSWORD pairs given.
sasl_configure() {
	local dir=$1 pair; shift
	mkdir -p "$dir/run" "$dir/state" "$dir/db"
	chmod 755 "$dir" "$dir/run" "$dir/state"
	: >"$dir/db/users"
	for pair in "$@"; do
		printf '%s:{PLAIN}%s::::::\n' "${pair%%:*}" "${pair#*:}" >>"$dir/db/users"
	done
	chown root:dovecot "$dir/db" "$dir/db/users"
	chmod 750 "$dir/db"; chmod 640 "$dir/db/users"
	cat >"$dir/dovecot.conf" <<EOF
# private test instance: SASL for Postfix only, no IMAP/POP3/LMTP listeners
protocols = none
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
auth_failure_delay = 0
default_internal_user = dovecot
default_login_user = dovenull
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/db/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener $dir/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
  unix_listener auth-userdb {
    mode = 0600
  }
}
EOF
}

# Start Dovecot with a private config in DIR for the USER:PASSWORD pairs.
sasl_start() {
	local dir=$1; shift
	SASL_DIR=$dir
	SASL_SOCKET=$dir/auth
	sasl_configure "$dir" "$@"
	"$DOVECOT_BIN" -c "$dir/dovecot.conf" -F >>"$dir/dovecot.out" 2>&1 &
	SASL_PID=$!
	mta_wait_listen "unix:$SASL_SOCKET" "$SASL_PID" && return 0
	echo "dovecot did not create $SASL_SOCKET:"
	cat "$dir/dovecot.out" "$dir/dovecot.log" 2>/dev/null | tail -20
	return 1
}

# Stop the Dovecot started by sasl_start (if running) and wait for it.
sasl_stop() {
	[ -n "$SASL_PID" ] || return 0
	mta_proc_stop "$SASL_PID"
	SASL_PID=
}

# The Postfix parameters for SMTP AUTH through the socket (one per line).
# Test only: AUTH PLAIN without TLS on loopback.
sasl_postconf() {
	cat <<EOF
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $SASL_SOCKET
smtpd_sasl_security_options = noanonymous
smtpd_sasl_local_domain =
smtpd_tls_security_level = none
smtpd_tls_auth_only = no
broken_sasl_auth_clients = no
EOF
}

# The password of USER as written by sasl_start (empty when unknown).
sasl_password() {
	sed -n "s/^$1:{PLAIN}\\([^:]*\\):.*/\\1/p" "$SASL_DIR/db/users" 2>/dev/null
}

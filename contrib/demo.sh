#!/bin/bash
# demo.sh - see helpdesk-milter do its job on real mail: builds the tree in
# ./build, starts a private Postfix on 127.0.0.1 (its own config, spool and
# Maildirs in a temp dir; the system Postfix is not touched) with the milter
# on a unix socket and an SQLite audit store, sends sample customer mails and
# agent replies through it with swaks, and prints what was delivered and what
# the audit store recorded. Run as root after contrib/install-deps.sh.
# HELPDESK_MILTER=/usr/sbin/helpdesk-milter HELPDESKCTL=/usr/bin/helpdeskctl
# run installed programs instead (nothing is built); HD_KEEP=0 removes the
# temp dir at the end.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}

if [ -z "${HELPDESK_MILTER:-}" ]; then
	echo "== building in $build"
	(cd "$top" && autoreconf -fi >/dev/null 2>&1)
	mkdir -p "$build"
	(cd "$build" && { [ -f Makefile ] || "$top/configure" -q; } && make -j"$(nproc)" >/dev/null)
fi
export MILTER_BIN=${HELPDESK_MILTER:-$build/src/milter/helpdesk-milter}
ctl=${HELPDESKCTL:-$build/src/helpdeskctl/helpdeskctl}

export BUILD=$build SRC=$top HD_KEEP=${HD_KEEP:-1}
set +eu
. "$top/tests/integration/postfix-env.sh"
hd_env_init
milter_config "$T/milter.yaml" "unix:$T/milter/milter.sock"
milter_start "$T/milter.yaml" || exit 1
pf_start "unix:$T/milter/milter.sock" || exit 1
echo "== Postfix listening on 127.0.0.1:$PF_PORT, milter on $T/milter/milter.sock"

# show_delivered DIR PATTERN TITLE: print the X-Helpdesk-* headers of the delivered copy.
show_delivered() {
	local f
	if f=$(wait_mail "$1" "$2" 20); then
		echo "-- delivered to ${f#$T/mail/}:"
		mail_headers "$f" | grep -iE '^(Subject|X-Helpdesk-)' | sed 's/^/   /'
	else
		echo "-- not delivered (see $T/maillog)"
	fi
}

for s in 01-plain-billing 02-qp-outage 09-forged-headers 10-lawyer-threat; do
	eml=$top/contrib/samples/$s.eml
	rcpt=$(grep -m1 -i '^To:' "$eml" | grep -o '[a-z]*@support\.example\.com' | head -1)
	echo
	echo "== customer mail $s.eml -> $rcpt"
	grep -i '^X-Helpdesk-' "$eml" | sed 's/^/   forged in the original: /' || true
	send --from customer@example.net --to "$rcpt" --data "$eml"
	show_delivered "$T/mail/support.example.com/${rcpt%@*}" "$(grep -m1 -i '^Message-ID:' "$eml" | sed 's/^[^:]*: *//')"
done

echo
echo "== agent reply with a prohibited phrase (alice, from the trusted loopback client)"
send --from alice@support.example.com --to customer@example.net \
	--data "$top/contrib/samples/12-agent-reply-calm-down.eml"
grep -E '^<\*\* +5' <<<"$SENT" | sed 's/^/   /'

echo
echo "== a clean agent reply"
send --from alice@support.example.com --to customer@example.net \
	--data "$top/contrib/samples/13-agent-reply-clean.eml"
show_delivered "$T/mail/example.net" "$(grep -m1 -i '^Message-ID:' "$top/contrib/samples/13-agent-reply-clean.eml" | sed 's/^[^:]*: *//')"

echo
echo "== audit store ($T/audit.db)"
"$ctl" audit --store "sqlite:$T/audit.db"
"$ctl" audit --store "sqlite:$T/audit.db" --verify
if [ "$HD_KEEP" = 1 ]; then
	echo
	echo "Everything is kept in $T (maillog, Maildirs under mail/, milter.log)."
fi

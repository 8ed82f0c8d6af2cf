#!/bin/bash
# test-postfix.sh - helpdesk-milter behind a real Postfix, over a unix socket
# and over an inet socket, plus one run that drops privileges to nobody:
# inbound stamping, forged X-Helpdesk-* removal in any case, escalation copy,
# an agent's prohibited phrase refused at DATA with the suggestion, out-of-
# scope mail untouched, tone hold (quarantine) and notify (notify_command),
# SIGHUP reload (valid and invalid policy), and the
# queue id in the milter's log lines.
# Usage: BUILD=builddir tests/integration/test-postfix.sh
. "$(dirname "$0")/postfix-env.sh"
hd_env_init

# Write $T/NAME.eml (From: FROM, To: TO, Subject: SUBJECT and a new token,
# BODY with printf %b escapes, extra headers via $EXTRA) and send it with
# the header addresses as envelope; sets the caller's tok to the token.
send_new() {
	local name=$1 from=$2 to=$3 subject=$4 body=$5 addr
	tok=$(uniq_token)
	mkmsg "$T/$name.eml" "$from" "$to" "$subject $tok" "$tok@client.test.invalid" "$body"
	addr=${from##*<}
	send --from "${addr%>}" --to "$to" --data "$T/$name.eml"
}

# One full round of checks against the milter listening on SPEC.
round() {
	local label=$1 tok f hdrs
	echo "# --- round: $label"

	# 1. inbound: stamped; forged headers in any case removed
	EXTRA='X-Helpdesk-Priority: critical; rule=forged\r\nx-helpdesk-ticket: FORGED-1\r\nX-HELPDESK-TEAM: forged-team\r\nX-Helpdesk-Ticket: FORGED-2\r\nX-Helpdesk-Escalation: forged-level\r\n'
	send_new in "Customer <customer@example.net>" billing@support.example.com "Invoice question" \
		"Hello,\nI was charged twice for my invoice.\nThanks"
	EXTRA=
	check "$label: inbound accepted (250)" grep -q '<-  250 2.0.0 Ok: queued' <<<"$SENT"
	if f=$(wait_mail "$T/mail/support.example.com/billing" "$tok"); then
		hdrs=$(mail_headers "$f")
		for h in Policy Ticket Team Priority First-Response-Due Resolution-Due; do
			check "$label: inbound stamped X-Helpdesk-$h" \
				grep -qi "^X-Helpdesk-$h: [^ ]" <<<"$hdrs"
		done
		check "$label: no forged value survives" \
			bash -c '! grep -qiE "FORGED|forged-team|forged-level" <<<"$1"' _ "$hdrs"
		check "$label: exactly one X-Helpdesk-Ticket" \
			test "$(grep -ci '^X-Helpdesk-Ticket:' <<<"$hdrs")" = 1
		check "$label: exactly one X-Helpdesk-Priority" \
			test "$(grep -ci '^X-Helpdesk-Priority:' <<<"$hdrs")" = 1
		check "$label: no X-Helpdesk-Escalation on a standard mail" \
			bash -c '! grep -qi "^X-Helpdesk-Escalation:" <<<"$1"' _ "$hdrs"
		check "$label: policy header names the policy and version" \
			grep -qiE '^X-Helpdesk-Policy: [A-Za-z0-9._-]+ v[0-9]' <<<"$hdrs"
	else
		nok "$label: inbound message delivered"
	fi

	# 2. escalation: an outage + lawyer mail is copied to the escalation
	#    contacts the policy names (X-Helpdesk-Escalation: LEVEL; contact=ADDR)
	send_new esc "Angry <angry@example.net>" support@support.example.com "Site is down" \
		"Our site is down since this morning: a total outage.\nMy lawyer is reading along."
	check "$label: escalation mail accepted" grep -q '<-  250' <<<"$SENT"
	if f=$(wait_mail "$T/mail/support.example.com/support" "$tok"); then
		ok "$label: original recipient still gets the escalated mail"
		hdrs=$(mail_headers "$f")
		check "$label: escalation stamped" grep -qi '^X-Helpdesk-Escalation: [^ ]' <<<"$hdrs"
		check "$label: critical priority" grep -qi '^X-Helpdesk-Priority: critical' <<<"$hdrs"
		local contacts c
		contacts=$(grep -i '^X-Helpdesk-Escalation:' <<<"$hdrs" | grep -oiE 'contact=[^; ]+' | cut -d= -f2 | sort -u)
		check "$label: escalation names a contact" test -n "$contacts"
		for c in $contacts; do
			check "$label: escalation copy delivered to $c" \
				mail_arrives "$T/mail/${c#*@}/${c%@*}" "$tok"
		done
	else
		nok "$label: original recipient still gets the escalated mail"
	fi

	# 3. agent reply with a prohibited phrase: 550 5.7.1 + suggestion at DATA
	send_new out "Alice <alice@support.example.com>" customer@example.net "Re: Invoice question" \
		"Hello,\n\nPlease calm down. We will look at it.\n\nAlice"
	check "$label: prohibited phrase refused with 550 5.7.1" grep -q '<\*\* *550[- ]5.7.1' <<<"$SENT"
	check "$label: refusal carries the suggestion" \
		grep -qi 'I understand how frustrating this is' <<<"$SENT"
	check "$label: refused reply not delivered" not_delivered "$tok" "$T/mail/example.net"

	# 4. a clean agent reply goes out stamped as outbound
	send_new out2 "Alice <alice@support.example.com>" customer@example.net "Re: Invoice question" \
		"Hello,\n\nI understand how frustrating this is. The double charge is refunded.\n\nAlice"
	check "$label: clean agent reply accepted" grep -q '<-  250' <<<"$SENT"
	if f=$(wait_mail "$T/mail/example.net/customer" "$tok"); then
		hdrs=$(mail_headers "$f")
		check "$label: outbound stamped X-Helpdesk-Tone clean" \
			grep -qi '^X-Helpdesk-Tone: clean' <<<"$hdrs"
	else
		nok "$label: clean agent reply delivered"
	fi

	# 4a. an #exception line is removed from the body before delivery (SPEC s.6)
	send_new exc "Alice <alice@support.example.com>" customer@example.net "Re: late return" \
		"Hello,\n#exception policy=refund-window tier=1 reason=\"late return\"\nWe accept the late return.\n\nAlice"
	check "$label: reply with an #exception line accepted" grep -q '<-  250' <<<"$SENT"
	if f=$(wait_mail "$T/mail/example.net/customer" "$tok"); then
		check "$label: delivered body keeps the agent's words" grep -q 'We accept the late return' "$f"
		check "$label: delivered body has no #exception line" bash -c '! grep -qi "#exception" "$1"' _ "$f"
		check "$label: exception stamped" grep -qi '^X-Helpdesk-Exception: EXC-' "$f"
	else
		nok "$label: reply with an #exception line delivered"
	fi

	# 4b. tone action hold: quarantined by Postfix (hold queue), not delivered
	send_new hold "Alice <alice@support.example.com>" customer@example.net "Re: manual" \
		"Hello,\n\nObviously you didn't read the manual.\n\nAlice"
	check "$label: hold: accepted by SMTP" grep -q '<-  250' <<<"$SENT"
	sleep 1
	check "$label: hold: message in Postfix's hold queue" \
		bash -c 'grep -rqF "$1" "$2/spool/hold"' _ "$tok" "$T"
	check "$label: hold: not delivered" not_delivered "$tok" "$T/mail/example.net"

	# 4c. tone action notify: delivered, notify_command gets the notice on stdin
	if [ -n "${NOTIFY_OUT:-}" ]; then
		send_new notify "Alice <alice@support.example.com>" customer@example.net "Re: refund" \
			"Hello,\n\nI can't, rules are rules.\n\nAlice"
		check "$label: notify: accepted" grep -q '<-  250' <<<"$SENT"
		check "$label: notify: delivered" mail_arrives "$T/mail/example.net/customer" "$tok"
		for _ in $(seq 1 30); do [ -s "$NOTIFY_OUT" ] && break; sleep 0.1; done
		check "$label: notify: notify_command received the notice" test -s "$NOTIFY_OUT"
		: >"$NOTIFY_OUT"
	fi

	# 5. out of scope: untouched, no X-Helpdesk header added
	send_new oos a@example.net b@example.com "Lunch" "Lunch at noon?"
	check_untouched "$label: out-of-scope mail delivered without X-Helpdesk header" \
		"$T/mail/example.com/b" "$tok"

	# 6. the milter logged decisions with Postfix's queue id
	local qid
	qid=$(grep -o 'queued as [0-9A-Za-z]*' <<<"$SENT" | awk '{print $3}')
	check "$label: milter still alive" milter_alive
	if [ -n "$qid" ]; then
		check "$label: milter log lines carry the queue id ($qid)" grep -q "$qid: " "$T/milter.log"
	fi
}

# ---- unix socket -------------------------------------------------------
NOTIFY_OUT=$T/notify.out
milter_config "$T/unix.yaml" "unix:$T/milter/milter.sock" \
	"notify_command: [/usr/bin/tee, -a, $NOTIFY_OUT]"
milter_start "$T/unix.yaml" || { nok "milter starts on a unix socket"; summary; exit 1; }
check "unix socket is group postfix, mode 0660" \
	test "$(stat -c '%G %a' "$T/milter/milter.sock")" = "postfix 660"
pf_start "unix:$T/milter/milter.sock" || { nok "postfix starts"; summary; exit 1; }
round unix

# SIGHUP with a broken policy: refused, old policy stays, still answering
cp "$HD_POLICY" "$T/policy.yaml"
milter_config "$T/reload.yaml" "unix:$T/milter/milter.sock" \
	"notify_command: [/usr/bin/tee, -a, $NOTIFY_OUT]"
sed -i "s|^policy: .*|policy: $T/policy.yaml|" "$T/reload.yaml"
milter_stop TERM
milter_start "$T/reload.yaml" || nok "milter restarts"
printf 'policy: [unclosed\n' >"$T/policy.yaml"
kill -HUP "$MILTER_PID"; sleep 1
check "SIGHUP with an invalid policy: milter keeps running" milter_alive
check "SIGHUP with an invalid policy: refusal logged" grep -q 'reload refused' "$T/milter.log"
check "SIGHUP with an invalid policy: file:line:column logged" \
	grep -qE "$T/policy.yaml:[0-9]+:[0-9]+: " "$T/milter.log"
cp "$HD_POLICY" "$T/policy.yaml"
kill -HUP "$MILTER_PID"; sleep 1
check "SIGHUP with a valid policy: reloaded" grep -q 'reloaded: policy' "$T/milter.log"
round unix-after-reload
milter_stop_clean unix

# ---- inet socket -------------------------------------------------------
NOTIFY_OUT=
MPORT=$(free_port)
milter_config "$T/inet.yaml" "inet:$MPORT@127.0.0.1"
milter_start "$T/inet.yaml" || { nok "milter starts on an inet socket"; summary; exit 1; }
pf_set "smtpd_milters = inet:127.0.0.1:$MPORT"
round inet
milter_stop TERM

# ---- privilege drop: user nobody ----------------------------------------
mkdir -p "$T/priv"; chown nobody:nogroup "$T/priv"
milter_config "$T/priv.yaml" "unix:$T/milter/priv.sock" "user: nobody" "group: nogroup" \
	"pidfile: $T/priv/milter.pid"
sed -i "s|^store: .*|store: sqlite:$T/priv/audit.db|" "$T/priv.yaml"
chmod 644 "$T/priv.yaml"
milter_start "$T/priv.yaml" || { nok "milter starts and drops privileges"; summary; exit 1; }
check "privileges dropped to nobody" test "$(ps -o user= -p "$MILTER_PID")" = nobody
check "pid file written" test "$(cat "$T/priv/milter.pid" 2>/dev/null)" = "$MILTER_PID"
pf_set "smtpd_milters = unix:$T/milter/priv.sock"
round nobody
check "audit store written by the unprivileged milter" test -s "$T/priv/audit.db"
milter_stop TERM

summary

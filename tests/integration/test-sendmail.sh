#!/bin/bash
# test-sendmail.sh - helpdesk-milter behind a real Sendmail (its own libmilter
# peer), unpacked privately from the Debian packages (see sendmail-env.sh) and
# configured through the shipped contrib/sendmail snippet, milter on a unix
# socket: an inbound sample stamped (ticket, team, priority) with the
# escalation copy delivered to the contact named in X-Helpdesk-Escalation;
# forged X-Helpdesk-* headers removed; an agent's "calm down" refused at DATA
# with 550 5.7.1 and the suggestion; a clean agent reply stamped and
# delivered; out-of-scope mail untouched; Sendmail's queue id ({i}) in the
# milter's log lines; and F=T: with the milter down Sendmail tempfails (4xx),
# and after a restart the same message is accepted and stamped. Then the
# same round again with the milter on an inet socket.
# Usage: BUILD=builddir [MILTER_VALGRIND=1] tests/integration/test-sendmail.sh
# (as root; MILTER_VALGRIND=1 runs the milter under valgrind).
. "$(dirname "$0")/sendmail-env.sh"
sm_env_init

SAMPLES=$SRC/contrib/samples
SOCK=$T/milter/milter.sock

# The milter config of mta-env.sh for SOCKET with audit store STORE,
# without the Postfix socket group.
sm_milter_config() {
	milter_config "$1" "$2"
	sed -i -e '/^socket_group:/d' -e '/^socket_mode:/d' \
		-e "s|^store: .*|store: sqlite:$3|" "$1"
}

# Start the milter with config FILE on SOCKET and audit store STORE, then
# Sendmail with the milter at SM_SOCKET (Sendmail syntax); exits on failure.
sm_phase_start() {
	local file=$1 socket=$2 store=$3 sm_socket=$4
	sm_milter_config "$file" "$socket" "$store"
	milter_start "$file" || { nok "milter starts on $socket"; summary; exit 1; }
	sm_start "$sm_socket" || { nok "sendmail starts (milter at $sm_socket)"; summary; exit 1; }
	ok "sendmail $SM_VERSION started with the helpdesk-milter snippet ($sm_socket)"
}

# One round of checks against Sendmail + milter (fixed samples, so one round
# per store: the milter config of each round has its own audit store).
round() {
	local label=$1 f g hdrs contacts c qid tok
	echo "# --- round: $label"
	rm -rf "${T:?}/mail/"*
	# 1. inbound sample (quoted-printable, an outage): stamped, escalated
	sm_send --from marco@example.net --to support@support.example.com --data "$SAMPLES/02-qp-outage.eml"
	check "$label: inbound: accepted (250)" test "$(final_reply)" = 250
	qid=$(sm_queue_id)
	if f=$(wait_mail "$T/mail/support.example.com/support" "qp-outage-0001@"); then
		hdrs=$(mail_headers "$f")
		for h in Policy Ticket Team Priority First-Response-Due Resolution-Due; do
			check "$label: inbound: stamped X-Helpdesk-$h" grep -qi "^X-Helpdesk-$h: [^ ]" <<<"$hdrs"
		done
		check "$label: inbound: team technical" grep -qi '^X-Helpdesk-Team: technical' <<<"$hdrs"
		check "$label: inbound: priority critical (outage)" grep -qi '^X-Helpdesk-Priority: critical' <<<"$hdrs"
		check "$label: inbound: escalation stamped" grep -qi '^X-Helpdesk-Escalation: [^ ]' <<<"$hdrs"
		check "$label: inbound: Sendmail's own Received header kept" grep -q '^Received: .*' <<<"$hdrs"
		contacts=$(grep -i '^X-Helpdesk-Escalation:' <<<"$hdrs" | grep -oiE 'contact=[^; ]+' |
			cut -d= -f2 | sort -u)
		check "$label: inbound: escalation names a contact" test -n "$contacts"
		for c in $contacts; do
			if g=$(wait_mail "$T/mail/${c#*@}/${c%@*}" "qp-outage-0001@"); then
				ok "$label: inbound: escalation copy delivered to $c (recipient added by the milter)"
				check "$label: inbound: escalation copy carries the same ticket" test \
					"$(grep -i '^X-Helpdesk-Ticket:' <<<"$(mail_headers "$g")")" = \
					"$(grep -i '^X-Helpdesk-Ticket:' <<<"$hdrs")"
			else
				nok "$label: inbound: escalation copy delivered to $c (recipient added by the milter)"
			fi
		done
	else
		nok "$label: inbound: delivered to support@support.example.com"
	fi
	if [ -n "$qid" ]; then
		check "$label: milter log lines carry Sendmail's queue id ({i} = $qid)" \
			grep -q "$qid: inbound" "$T/milter.log"
	else
		nok "$label: Sendmail's 250 reply names a queue id"
	fi

	# 2. forged X-Helpdesk-* headers (mixed case) are removed, genuine ones added
	sm_send --from sneaky@example.net --to billing@support.example.com --data "$SAMPLES/09-forged-headers.eml"
	check "$label: forged: accepted (250)" test "$(final_reply)" = 250
	if f=$(wait_mail "$T/mail/support.example.com/billing" "forged-9@"); then
		hdrs=$(mail_headers "$f")
		check "$label: forged: no forged value survives" \
			bash -c '! grep -qiE "HD-FAKE|rule=forged|^X-Helpdesk-Escalation: lead$" <<<"$1"' _ "$hdrs"
		for h in Ticket Priority Team; do
			check "$label: forged: exactly one X-Helpdesk-$h" \
				test "$(grep -ci "^X-Helpdesk-$h:" <<<"$hdrs")" = 1
		done
		check "$label: forged: the milter's own ticket" grep -qiE '^X-Helpdesk-Ticket: HD-[0-9A-Z]+$' <<<"$hdrs"
		check "$label: forged: standard priority, not the forged critical" \
			grep -qi '^X-Helpdesk-Priority: standard' <<<"$hdrs"
		check "$label: forged: no escalation for a standard request" \
			bash -c '! grep -qi "^X-Helpdesk-Escalation:" <<<"$1"' _ "$hdrs"
	else
		nok "$label: forged: delivered to billing@support.example.com"
	fi

	# 3. agent reply with "calm down" from a trusted loopback client: 550 5.7.1
	sm_send --from alice@support.example.com --to frank@example.net \
		--data "$SAMPLES/12-agent-reply-calm-down.eml"
	check "$label: calm down: refused at DATA with 550" test "$(final_reply)" = 550
	check "$label: calm down: enhanced status 5.7.1" grep -q '^<\*\* *550[- ]5\.7\.1' <<<"$SENT"
	check "$label: calm down: the reply names the rule" grep -q 'rule calm-down' <<<"$SENT"
	check "$label: calm down: the reply carries the suggestion" \
		grep -q 'I understand how frustrating this is' <<<"$SENT"
	check "$label: calm down: not delivered" not_delivered "agent-12@" "$T/mail/example.net"

	# 4. a clean agent reply is delivered, stamped outbound
	sm_send --from carol@support.example.com --to jane.doe@example.net \
		--data "$SAMPLES/13-agent-reply-clean.eml"
	check "$label: clean reply: accepted (250)" test "$(final_reply)" = 250
	if f=$(wait_mail "$T/mail/example.net/jane.doe" "agent-13@"); then
		hdrs=$(mail_headers "$f")
		check "$label: clean reply: X-Helpdesk-Tone clean" grep -qi '^X-Helpdesk-Tone: clean' <<<"$hdrs"
		check "$label: clean reply: X-Helpdesk-Authority within" \
			grep -qi '^X-Helpdesk-Authority: within' <<<"$hdrs"
	else
		nok "$label: clean reply: delivered to jane.doe@example.net"
	fi

	# 5. out of scope: delivered untouched
	tok=$(uniq_token)
	printf 'From: a@example.net\r\nTo: b@example.com\r\nSubject: Lunch %s\r\nMessage-ID: <%s@client.test.invalid>\r\n\r\nLunch at noon?\r\n' \
		"$tok" "$tok" >"$T/oos.eml"
	sm_send --from a@example.net --to b@example.com --data "$T/oos.eml"
	check_untouched "$label: out of scope: delivered without X-Helpdesk header" \
		"$T/mail/example.com/b" "$tok"
	check "$label: milter still alive" milter_alive
}

# ---- unix socket -------------------------------------------------------
sm_phase_start "$T/milter.yaml" "unix:$SOCK" "$T/audit-unix.db" "local:$SOCK"
round unix

# F=T: milter down -> Sendmail tempfails; restarted -> accepted and stamped
milter_stop_clean unix
tok=$(uniq_token)
printf 'From: Ann <ann@example.net>\r\nTo: support@support.example.com\r\nSubject: Password reset %s\r\nMessage-ID: <%s@client.test.invalid>\r\nDate: %s\r\n\r\nHello, how do I reset my password?\r\n' \
	"$tok" "$tok" "$(date -R)" >"$T/down.eml"
sm_send --from ann@example.net --to support@support.example.com --data "$T/down.eml"
check "milter down: Sendmail answers 4xx (F=T)" grep -qE '^<\*\* *4[0-9][0-9][- ]' <<<"$SENT"
check "milter down: message not accepted" bash -c '! grep -q "Message accepted" <<<"$1"' _ "$SENT"
check "milter down: nothing delivered" not_delivered "$tok" "$T/mail"
milter_start "$T/milter.yaml" || nok "milter restarts"
sm_send --from ann@example.net --to support@support.example.com --data "$T/down.eml"
check "milter back: the retried message is accepted (250)" test "$(final_reply)" = 250
if f=$(wait_mail "$T/mail/support.example.com/support" "$tok"); then
	check "milter back: delivered stamped" \
		grep -qi '^X-Helpdesk-Ticket: [^ ]' <<<"$(mail_headers "$f")"
	check "milter back: delivered exactly once" \
		test "$(grep -rlF "$tok" "$T/mail/support.example.com/support" | wc -l)" = 1
else
	nok "milter back: delivered"
fi
check "milter still alive after the restart" milter_alive
milter_stop TERM
sm_stop

# ---- inet socket -------------------------------------------------------
MPORT=$(free_port)
sm_phase_start "$T/inet.yaml" "inet:$MPORT@127.0.0.1" "$T/audit-inet.db" "inet:$MPORT@127.0.0.1"
round inet
milter_stop_clean inet

summary

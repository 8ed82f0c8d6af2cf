#!/bin/bash
# test-auth.sh - issue 5 through a real Postfix with SMTP AUTH (Dovecot SASL on
# loopback): a customer opens a ticket; an agent's refund over her limit is
# refused at DATA with the limit, the approving role and an EXC- id; approval
# by mail to the approvals mailbox is refused for the agent herself, for a
# customer with a forged From:, for an unauthenticated envelope sender and for
# an agent role, and accepted (and delivered as the paper trail) for the team
# lead; the agent's same reply then goes out stamped with the exception, the
# approver and the first response; a hand-off without its checklist is refused
# with what is missing. Each run is checked in the audit store too (records,
# --kind approval, --verify). The whole flow runs twice: SQLite store, then a
# PostgreSQL store from tests/pg/pg-env.sh (skipped when PostgreSQL is absent).
# A last phase trusts loopback and checks that an envelope sender from a
# trusted client still cannot approve without SMTP AUTH.
#
# Identity comes ONLY from {auth_authen}: the milter's trusted_networks and
# Postfix's mynetworks exclude loopback, so the envelope sender of a loopback
# client never makes anyone an agent.
# Usage: BUILD=builddir tests/integration/test-auth.sh   (as root)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/postfix-env.sh"
. "$here/sasl-env.sh"
HELPDESKCTL=${HELPDESKCTL:-$BUILD/src/helpdeskctl/helpdeskctl}
sasl_require
[ -x "$HELPDESKCTL" ] || { echo "SKIP: $HELPDESKCTL not built"; exit 77; }
hd_env_init

PG_DIR=
# Stop Dovecot and PostgreSQL, then the common cleanup (milter, Postfix, temp dir).
auth_cleanup() {
	local rc=$?
	sasl_stop >/dev/null 2>&1
	[ -n "$PG_DIR" ] && "$SRC/tests/pg/pg-env.sh" stop "$PG_DIR" >/dev/null 2>&1
	(exit $rc)
	hd_env_cleanup
}
trap auth_cleanup EXIT

TEST_NET=192.0.2.0/24		# TEST-NET-1: trusted networks that exclude loopback
D=support.example.com
USERS="alice bob carol dave erin"

# The test users' passwords (never valid outside this run).
password_of() {
	echo "${1%@*}-Pw-$$"
}

# Postfix: SMTP AUTH through Dovecot; loopback is not in mynetworks.
pf_configure_hook() {
	local -a params
	local line
	while IFS= read -r line; do params+=("$line"); done < <(sasl_postconf)
	postconf -c "$T/postfix-conf" -e "${params[@]}" \
		"mynetworks = $TEST_NET" \
		"smtpd_recipient_restrictions = permit_sasl_authenticated, permit_mynetworks, reject_unauth_destination"
}

# swaks as USER (local part) with AUTH PLAIN; output in $SENT.
send_as() {
	local user=$1@$D; shift
	send --auth PLAIN --auth-user "$user" --auth-password "$(password_of "$user")" "$@"
}

# Value of header NAME in a delivered file (first occurrence, unfolded).
header_value() {
	mail_headers "$2" | awk -v n="$1" '
		BEGIN { n = tolower(n) ":" }
		found && /^[ \t]/ { sub(/^[ \t]+/, " "); v = v $0; next }
		found { exit }
		tolower(substr($0, 1, length(n))) == n { v = substr($0, length(n) + 1); sub(/^ +/, "", v); found = 1 }
		END { if (found) print v }'
}

# Was the last swaks run refused at DATA with 550 5.7.1?
refused() {
	grep -q '<\*\* *550[- ]5.7.1' <<<"$SENT"
}

# Was the last swaks run accepted and queued?
queued() {
	grep -q '<-  250 2.0.0 Ok: queued' <<<"$SENT"
}

# Did AUTH succeed in the last swaks run?
authed() {
	grep -q '<-  235 ' <<<"$SENT"
}

# helpdeskctl audit on the current store, JSON lines; extra args are filters.
audit_json() {
	"$HELPDESKCTL" audit --store "$STORE" --format json "$@" 2>>"$T/helpdeskctl.err"
}

# audit_has KIND STRING...: one JSON record of KIND contains every STRING.
audit_has() {
	local kind=$1 line s all; shift
	while IFS= read -r line; do
		all=1
		for s in "$@"; do
			[[ $line == *"$s"* ]] || { all=0; break; }
		done
		[ $all = 1 ] && return 0
	done < <(audit_json --kind "$kind")
	return 1
}

# The whole issue-5 flow against the milter using store URI $2.
flow() {
	local label=$1 tok cmid rmid f hdrs ticket exc v
	STORE=$2
	echo "# --- flow: $label ($STORE)"
	milter_config "$T/$label.yaml" "unix:$T/milter/milter.sock"
	grep -v -e '^store:' -e '^trusted_networks:' "$T/$label.yaml" >"$T/$label.tmp"
	{ cat "$T/$label.tmp"; echo "store: \"$STORE\""; echo "trusted_networks: [$TEST_NET]"; } >"$T/$label.yaml"
	milter_start "$T/$label.yaml" || { nok "$label: milter starts"; return 1; }

	tok=$(uniq_token)
	cmid="$tok.c@example.net"
	rmid="$tok.r@$D"

	# 1. A customer opens a ticket (no AUTH).
	mkmsg "$T/cust.eml" "Pat Customer <customer@example.net>" "billing@$D" "Refund $tok" "$cmid" \
		"Hello,\nI sent the parcel back two weeks ago. Please refund my order.\nPat"
	send --from customer@example.net --to "billing@$D" --data "$T/cust.eml"
	check "$label: customer mail accepted" queued
	ticket=
	if f=$(wait_mail "$T/mail/$D/billing" "$cmid"); then
		ticket=$(header_value X-Helpdesk-Ticket "$f")
		check "$label: customer mail stamped with a ticket" test -n "$ticket"
		check "$label: customer mail stamped with the team" \
			grep -qi '^X-Helpdesk-Team: billing' <<<"$(mail_headers "$f")"
		check "$label: customer mail stamped with the first-response deadline" \
			grep -qi '^X-Helpdesk-First-Response-Due: [0-9]' <<<"$(mail_headers "$f")"
	else
		nok "$label: customer mail delivered"
	fi
	ticket=${ticket%%;*}

	# 2. Alice (agent, refund limit 50) refunds $200 on the thread: refused with
	#    the limit, the role that can approve and an exception id.
	EXTRA="In-Reply-To: <$cmid>\r\nReferences: <$cmid>\r\n"
	mkmsg "$T/reply.eml" "Alice Archer <alice@$D>" "customer@example.net" "Re: Refund $tok" "$rmid" \
		"Hello Pat,\n\nI have issued a refund of \$200.00 to your card.\n\nAlice"
	EXTRA=
	send_as alice --from "alice@$D" --to customer@example.net --data "$T/reply.eml"
	check "$label: alice authenticated (235)" authed
	check "$label: refund over the limit refused with 550 5.7.1" refused
	check "$label: refusal names the limit" grep -q 'limit of 50.00 USD for role agent' <<<"$SENT"
	check "$label: refusal names the role that can approve" grep -q 'team_lead may approve' <<<"$SENT"
	check "$label: refusal names the approvals mailbox" grep -q "approvals@$D" <<<"$SENT"
	exc=$(grep '^ *<\*\*' <<<"$SENT" | grep -o 'EXC-[A-Za-z0-9]*' | head -1)
	check "$label: refusal carries an EXC- id ($exc)" test -n "$exc"
	check "$label: refused reply not delivered" not_delivered "$rmid" "$T/mail/example.net"
	check "$label: pending exception recorded" audit_has exception "\"rule\":\"$exc\"" '"action":"reject"' \
		"\"agent\":\"alice@$D\"" "\"ticket\":\"$ticket\""
	check "$label: exceeded authority recorded" audit_has authority '"action":"exceeded"' "\"agent\":\"alice@$D\""

	# 2b. The same reply without AUTH from loopback (not a trusted network):
	#     the envelope sender alone makes nobody an agent (out of scope).
	mkmsg "$T/noauth.eml" "Alice Archer <alice@$D>" "customer@example.net" "Re: Refund $tok" "$tok.n@$D" \
		"Hello Pat,\n\nI have issued a refund of \$200.00 to your card.\n\nAlice"
	send --from "alice@$D" --to customer@example.net --data "$T/noauth.eml"
	check "$label: no AUTH: no 235" bash -c '! grep -q "<-  235 " <<<"$1"' _ "$SENT"
	check_untouched "$label: no AUTH from loopback: not treated as an agent (no X-Helpdesk-*)" \
		"$T/mail/example.net/customer" "$tok.n@$D"
	check "$label: a wrong password is refused (535)" \
		bash -c 'swaks --server 127.0.0.1 --port "$1" --from "alice@$2" --to customer@example.net \
			--auth PLAIN --auth-user "alice@$2" --auth-password wrong --timeout 30 2>&1 |
			grep -q "<\*\* *535"' _ "$PF_PORT" "$D"

	# 3. Forged and unauthorised approvals record nothing.
	printf 'Subject: approval\r\n\r\napprove %s\r\n' "$exc" >"$T/approve.eml"
	send_as alice --from "alice@$D" --to "approvals@$D" --data "$T/approve.eml"
	check "$label: alice approving her own exception: refused" refused
	check "$label: ... because it is her own" grep -q 'you cannot approve your own exception' <<<"$SENT"

	mkmsg "$T/forged.eml" "Dave Dean <dave@$D>" "approvals@$D" "approval $tok forged" "$tok.f@example.net" \
		"approve $exc"
	send --from customer@example.net --to "approvals@$D" --data "$T/forged.eml"
	check "$label: customer with From: dave: accepted as plain mail, not as an approval" queued
	mkmsg "$T/forged2.eml" "Dave Dean <dave@$D>" "approvals@$D" "approval $tok envelope" "$tok.e@example.net" \
		"approve $exc"
	send --from "dave@$D" --to "approvals@$D" --data "$T/forged2.eml"
	check "$label: envelope dave@ without AUTH from loopback: accepted as plain mail, not as an approval" queued
	for v in "$tok.f@example.net" "$tok.e@example.net"; do
		check_untouched "$label: forged approval <$v> delivered untouched (no X-Helpdesk-*)" \
			"$T/mail/$D/approvals" "$v"
	done

	send_as bob --from "bob@$D" --to "approvals@$D" --data "$T/approve.eml"
	check "$label: bob (agent role) approving: refused" refused
	check "$label: ... because his role may not approve" \
		grep -q 'role agent may not approve exceptions' <<<"$SENT"

	check "$label: no approval recorded after the forged and refused attempts" \
		bash -c '! grep -q "\"action\":\"approve\"" <<<"$1"' _ "$(audit_json --kind approval)"
	check "$label: refused approvals recorded (alice)" audit_has approval "\"agent\":\"alice@$D\"" \
		'"rule":"refused"' 'your own exception'
	check "$label: refused approvals recorded (bob)" audit_has approval "\"agent\":\"bob@$D\"" \
		'"rule":"refused"' 'may not approve'
	check "$label: no record names dave yet" \
		bash -c '! grep -q "\"agent\":\"dave@" <<<"$1"' _ "$(audit_json)"

	send_as alice --from "alice@$D" --to customer@example.net --data "$T/reply.eml"
	check "$label: before approval the same reply is still refused" refused
	check "$label: ... with the same exception id" grep -q "\[$exc\]" <<<"$SENT"

	# 4. Dave (team_lead, refund limit 250) approves: accepted, delivered to
	#    the approvals mailbox as the paper trail, recorded.
	mkmsg "$T/dave.eml" "Dave Dean <dave@$D>" "approvals@$D" "approval $tok dave" "$tok.d@$D" \
		"Checked the return.\n\napprove $exc"
	send_as dave --from "dave@$D" --to "approvals@$D" --data "$T/dave.eml"
	check "$label: dave authenticated (235)" authed
	check "$label: dave's approval accepted" queued
	check "$label: Postfix logged dave's SASL login" \
		grep -q "sasl_method=PLAIN, sasl_username=dave@$D" "$T/maillog"
	check "$label: dave's approval delivered to the approvals mailbox" \
		mail_arrives "$T/mail/$D/approvals" "$tok.d@$D"
	check "$label: approval recorded (--kind approval lists dave's)" audit_has approval \
		"\"agent\":\"dave@$D\"" "\"rule\":\"$exc\"" '"action":"approve"'

	# A second approval of the same exception is refused: already approved.
	send_as carol --from "carol@$D" --to "approvals@$D" --data "$T/approve.eml"
	check "$label: second approval (carol) refused: already approved" refused
	check "$label: ... 'already approved'" grep -q "$exc: already approved" <<<"$SENT"

	# 5. Alice sends the same reply again: delivered, stamped.
	send_as alice --from "alice@$D" --to customer@example.net --data "$T/reply.eml"
	check "$label: approved reply accepted" queued
	if f=$(wait_mail "$T/mail/example.net/customer" "$rmid"); then
		hdrs=$(mail_headers "$f")
		v=$(header_value X-Helpdesk-Exception "$f")
		check "$label: X-Helpdesk-Exception starts with $exc ($v)" test "${v%%;*}" = "$exc"
		check "$label: X-Helpdesk-Exception names approved-by=dave@$D" \
			grep -q "approved-by=dave@$D" <<<"$v"
		check "$label: X-Helpdesk-Exception names the tier" grep -q 'tier=[1-3]' <<<"$v"
		v=$(header_value X-Helpdesk-Authority "$f")
		check "$label: X-Helpdesk-Authority: approved ($v)" \
			grep -q '^approved; amount=200.00; currency=USD; kind=refund; role=agent' <<<"$v"
		v=$(header_value X-Helpdesk-First-Response "$f")
		check "$label: first reply carries X-Helpdesk-First-Response met|breached ($v)" \
			grep -qE '^(met|breached); elapsed=' <<<"$v"
		check "$label: reply on the customer's ticket" \
			test -n "$ticket" -a "$(header_value X-Helpdesk-Ticket "$f")" = "$ticket"
		check "$label: exactly one X-Helpdesk-Exception" \
			test "$(grep -ci '^X-Helpdesk-Exception:' <<<"$hdrs")" = 1
		check "$label: reply stamped tone clean" grep -qi '^X-Helpdesk-Tone: clean' <<<"$hdrs"
	else
		nok "$label: approved reply delivered"
	fi
	check "$label: applied exception recorded with the approver" audit_has exception \
		"\"rule\":\"$exc\"" '"action":"accept"' "\"approved_by\":\"dave@$D\""
	check "$label: first response recorded" audit_has sla "\"ticket\":\"$ticket\"" '"rule":"first-response"'
	# The approval was for that one send (SPEC s.6): the same reply again is
	# refused under a new exception id, and the use is chained.
	send_as alice --from "alice@$D" --to customer@example.net --data "$T/reply.eml"
	check "$label: the approved reply sent a second time: refused" refused
	check "$label: ... under a new exception id" bash -c '! grep -q "\[$1\]" <<<"$2"' _ "$exc" "$SENT"
	check "$label: the approval's use recorded" audit_has approval "\"rule\":\"$exc\"" \
		'"action":"consume"' "\"ticket\":\"$ticket\""

	# 6. Hand-off to the lead: without the checklist refused, with it delivered.
	mkmsg "$T/handoff.eml" "Alice Archer <alice@$D>" "lead@$D" "Fwd: Refund $tok" "$tok.h1@$D" \
		"Customer: Pat Customer\nPlease take over this one.\n\nAlice"
	send_as alice --from "alice@$D" --to "lead@$D" --data "$T/handoff.eml"
	check "$label: hand-off without the checklist refused" refused
	check "$label: ... naming what is missing" \
		grep -q 'hand-off checklist incomplete: missing Summary:, Steps tried:, Customer expects:' <<<"$SENT"
	check "$label: incomplete hand-off not delivered" not_delivered "$tok.h1@$D" "$T/mail/$D/lead"
	mkmsg "$T/handoff2.eml" "Alice Archer <alice@$D>" "lead@$D" "Fwd: Refund $tok" "$tok.h2@$D" \
		"Customer: Pat Customer\nSummary: wants the order refunded\nSteps tried: checked the return\nCustomer expects: an answer today\n\nAlice"
	send_as alice --from "alice@$D" --to "lead@$D" --data "$T/handoff2.eml"
	check "$label: hand-off with the checklist accepted" queued
	check "$label: complete hand-off delivered" mail_arrives "$T/mail/$D/lead" "$tok.h2@$D"
	check "$label: incomplete hand-off recorded" audit_has handoff '"action":"reject"' 'Steps tried:'

	# 7. The audit chain is intact.
	v=$("$HELPDESKCTL" audit --store "$STORE" --verify 2>&1)
	check "$label: audit --verify exits 0" test $? -eq 0
	check "$label: audit --verify: chain intact ($v)" grep -q 'hash chain intact' <<<"$v"
	check "$label: milter still alive" milter_alive
	milter_stop_clean "$label"
}

# Loopback trusted (SPEC s.3: a trusted client's envelope sender may make an
# agent), yet an approval still needs SMTP AUTH (SPEC s.6, issue 5): dave's
# address as envelope sender without AUTH must not approve anything.
trusted_phase() {
	local tok exc
	tok=$(uniq_token)
	STORE="sqlite:$T/trusted.db"
	echo "# --- trusted loopback: approvals still need SMTP AUTH ($STORE)"
	milter_config "$T/trusted.yaml" "unix:$T/milter/milter.sock"
	grep -v -e '^store:' "$T/trusted.yaml" >"$T/trusted.tmp"
	{ cat "$T/trusted.tmp"; echo "store: \"$STORE\""; } >"$T/trusted.yaml"
	milter_start "$T/trusted.yaml" || { nok "trusted: milter starts"; return 1; }
	mkmsg "$T/tcust.eml" "Pat Customer <customer@example.net>" "billing@$D" "Refund $tok" "$tok.c@example.net" \
		"Hello,\nPlease refund my order.\nPat"
	send --from customer@example.net --to "billing@$D" --data "$T/tcust.eml"
	mail_arrives "$T/mail/$D/billing" "$tok.c@example.net"
	EXTRA="References: <$tok.c@example.net>\r\n"
	mkmsg "$T/treply.eml" "Alice Archer <alice@$D>" "customer@example.net" "Re: Refund $tok" "$tok.r@$D" \
		"Hello Pat,\n\nI have issued a refund of \$200.00 to your card.\n\nAlice"
	EXTRA=
	send_as alice --from "alice@$D" --to customer@example.net --data "$T/treply.eml"
	exc=$(grep '^ *<\*\*' <<<"$SENT" | grep -o 'EXC-[A-Za-z0-9]*' | head -1)
	check "trusted: refund over the limit refused with an EXC- id ($exc)" test -n "$exc"
	mkmsg "$T/tdave.eml" "Dave Dean <dave@$D>" "approvals@$D" "approval $tok" "$tok.d@$D" "approve $exc"
	send --from "dave@$D" --to "approvals@$D" --data "$T/tdave.eml"
	check "trusted: envelope dave@ from a trusted client without AUTH records no approval" \
		bash -c '! grep -q "\"action\":\"approve\"" <<<"$1"' _ "$(audit_json --kind approval)"
	send_as alice --from "alice@$D" --to customer@example.net --data "$T/treply.eml"
	check "trusted: the reply is still refused (exception not approved)" refused
	milter_stop TERM
}

# ---- set-up ---------------------------------------------------------------
pairs=()
for u in $USERS; do pairs+=("$u@$D:$(password_of "$u@$D")"); done
sasl_start "$T/sasl" "${pairs[@]}" || { nok "dovecot SASL starts"; summary; exit 1; }
ok "dovecot SASL starts (auth socket $SASL_SOCKET)"
pf_start "unix:$T/milter/milter.sock" || { nok "postfix starts"; summary; exit 1; }
check "postfix passes {auth_authen} with MAIL FROM (milter_mail_macros)" \
	grep -qF '{auth_authen}' <<<"$(postconf -c "$T/postfix-conf" -h milter_mail_macros)"
check "loopback not in Postfix's mynetworks" \
	test "$(postconf -c "$T/postfix-conf" -h mynetworks)" = "$TEST_NET"
send --quit-after EHLO
check "postfix advertises AUTH PLAIN without TLS" grep -qE '<-  250[- ]AUTH .*PLAIN' <<<"$SENT"

# ---- SQLite store -----------------------------------------------------------
flow sqlite "sqlite:$T/audit.db"

# ---- PostgreSQL store ---------------------------------------------------------
if pgout=$("$SRC/tests/pg/pg-env.sh" start 2>"$T/pg-env.err"); then
	eval "$pgout"
	PG_DIR=$HD_PG_ENV_DIR
	flow postgresql "$HD_TEST_PG_URI"
else
	echo "# PostgreSQL flow skipped: $(tail -1 "$T/pg-env.err")"
fi

# ---- trusted loopback ---------------------------------------------------------
trusted_phase

summary

#!/bin/bash
# test-samples.sh - every contrib/samples/*.eml through the real Postfix +
# milter, checked against the same golden verdicts helpdeskctl scan is tested
# with (tests/scan/cases/NAME.json): the SMTP outcome (250, or the golden
# reject code), and for inbound mail the delivered X-Helpdesk-Team and
# X-Helpdesk-Priority. Agents are recognised by envelope sender from the
# trusted 127.0.0.1 (no SMTP AUTH in the test instance). Also: a reply in a
# thread (11) lands on the ticket of the message it references (01).
# Usage: BUILD=builddir tests/integration/test-samples.sh
. "$(dirname "$0")/postfix-env.sh"
hd_env_init
CASES=$SRC/tests/scan/cases
[ -d "$CASES" ] || { echo "SKIP: no golden cases in $CASES"; exit 77; }

milter_config "$T/milter.yaml" "unix:$T/milter/milter.sock"
milter_start "$T/milter.yaml" || { nok "milter starts"; summary; exit 1; }
pf_start "unix:$T/milter/milter.sock" || { nok "postfix starts"; summary; exit 1; }

# Value following OPTION in an .args file (one argument per line).
arg() { awk -v o="$2" 'prev == o { print; exit } { prev = $0 }' "$1"; }
# A field of the golden JSON.
golden() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d
for k in sys.argv[2].split("."): v = (v or {}).get(k) if isinstance(v, dict) else None
print("" if v is None else v)' "$1" "$2"; }

declare -A TICKET
for eml in "$SRC"/contrib/samples/*.eml; do
	name=$(basename "$eml" .eml)
	args=$CASES/$name.args json=$CASES/$name.json
	[ -f "$args" ] && [ -f "$json" ] || { echo "# $name: no golden case, skipped"; continue; }
	from=$(arg "$args" --from) rcpt=$(arg "$args" --rcpt)
	dir=$(golden "$json" direction) action=$(golden "$json" action)
	code=$(golden "$json" smtp_reply.code)
	send --from "$from" --to "$rcpt" --data "$eml"
	got=$(final_reply)
	case $action in
	accept|hold)
		check "$name: accepted (golden: $dir $action; got $got)" test "$got" = 250 ;;
	reject)
		check "$name: rejected with $code (got $got)" test "$got" = "$code" ;;
	tempfail)
		check "$name: deferred (got $got)" test "${got#4}" != "$got" ;;
	esac
	[ "$got" = 250 ] || continue
	# the delivered copy in the (first) recipient's mailbox
	mid=$(grep -m1 -i '^Message-ID:' "$eml" | tr -d '\r' | sed 's/^[^:]*: *//')
	f=$(wait_mail "$T/mail/${rcpt#*@}" "$mid" 20) || f=$(wait_mail "$T/mail" "$mid" 5)
	if [ -z "$f" ]; then nok "$name: delivered"; continue; fi
	hdrs=$(mail_headers "$f")
	TICKET[$name]=$(grep -i '^X-Helpdesk-Ticket:' <<<"$hdrs" | head -1 | sed 's/^[^:]*: *//; s/[; ].*//')
	case $dir in
	inbound)
		team=$(golden "$json" team) prio=$(golden "$json" priority)
		check "$name: X-Helpdesk-Team $team" grep -qi "^X-Helpdesk-Team: $team\b" <<<"$hdrs"
		check "$name: X-Helpdesk-Priority $prio" grep -qi "^X-Helpdesk-Priority: $prio\b" <<<"$hdrs"
		check "$name: exactly one X-Helpdesk-Ticket" \
			test "$(grep -ci '^X-Helpdesk-Ticket:' <<<"$hdrs")" = 1 ;;
	outbound)
		check "$name: outbound stamped X-Helpdesk-Tone" grep -qi '^X-Helpdesk-Tone: ' <<<"$hdrs" ;;
	*)
		check "$name: out of scope, no X-Helpdesk header" no_helpdesk_header "$f" ;;
	esac
done
if [ -n "${TICKET[01-plain-billing]:-}" ] && [ -n "${TICKET[11-thread-reply]:-}" ]; then
	check "thread reply (11) continues the ticket of 01 (${TICKET[01-plain-billing]})" \
		test "${TICKET[11-thread-reply]}" = "${TICKET[01-plain-billing]}"
fi
check "milter still running" milter_alive
summary

#!/bin/bash
# test-storedown.sh - SPEC s.9/s.10 through real Postfix: when the audit
# store cannot be written, the milter answers with on_failure (tempfail by
# default, so the client retries), logs the queue id and the reason, keeps
# running, and delivers once the store is back; on_failure: accept delivers
# at once. Usage: BUILD=builddir tests/integration/test-storedown.sh (root)
. "$(dirname "$0")/postfix-env.sh"
hd_env_init

# The store's directory exists at start (helpdesk-milter refuses to start
# without it), then goes away: every open fails.
milter_config "$T/milter.yaml" "unix:$T/milter/milter.sock"
sed -i "s|^store: .*|store: sqlite:$T/storedir/audit.db|" "$T/milter.yaml"
mkdir -p "$T/storedir"
milter_start "$T/milter.yaml" || { nok "milter starts"; summary; exit 1; }
rm -rf "$T/storedir"
pf_start "unix:$T/milter/milter.sock" || { nok "postfix starts"; summary; exit 1; }

tok=$(uniq_token)
mkmsg() {	# FILE SUBJECT TOKEN
	printf 'From: Pat <pat@example.net>\nTo: billing@support.example.com\nSubject: %s\nMessage-ID: <%s@example.net>\n\nMy invoice is wrong.\n' \
		"$2" "$3" >"$1"
}
mkmsg "$T/m1.eml" "Invoice $tok" "$tok"
send --from pat@example.net --to billing@support.example.com --data "$T/m1.eml"
check "store down: message tempfailed (451 4.3.0)" grep -qE '<\*\* +451 4\.3\.0' <<<"$SENT"
check "store down: nothing delivered" bash -c '! grep -rqF "$1" "$2/mail" 2>/dev/null' _ "$tok" "$T"
sleep 0.5
check "store down: reason logged with a queue id" \
	grep -qE '[0-9A-F]{6,}: .*store.*on_failure=tempfail' "$T/milter.log"
check "store down: milter still running" milter_alive

# The store comes back: the client's retry is delivered, stamped, once.
mkdir -p "$T/storedir"
send --from pat@example.net --to billing@support.example.com --data "$T/m1.eml"
check "store back: retry accepted" grep -q '<-  250' <<<"$SENT"
if f=$(wait_mail "$T/mail/support.example.com/billing" "$tok"); then
	check "store back: delivered copy stamped" grep -qi '^X-Helpdesk-Ticket: HD-' "$f"
else
	nok "store back: retry delivered"
fi
check "store back: the record is in the store" \
	bash -c '"$1/src/helpdeskctl/helpdeskctl" audit --store "sqlite:$2/storedir/audit.db" --format csv | grep -qF "$3"' \
	_ "$BUILD" "$T" "Invoice $tok"

# on_failure: accept delivers when the store is down.
milter_stop TERM
echo "on_failure: accept" >>"$T/milter.yaml"
sed -i '0,/^on_failure: tempfail$/{/^on_failure: tempfail$/d}' "$T/milter.yaml"
milter_start "$T/milter.yaml" || { nok "milter restarts"; summary; exit 1; }
rm -rf "$T/storedir"
tok2=$(uniq_token)
mkmsg "$T/m2.eml" "Invoice $tok2" "$tok2"
send --from pat@example.net --to billing@support.example.com --data "$T/m2.eml"
check "on_failure accept: message accepted while the store is down" grep -q '<-  250' <<<"$SENT"
check "on_failure accept: delivered" mail_arrives "$T/mail/support.example.com/billing" "$tok2"
milter_stop_clean
summary

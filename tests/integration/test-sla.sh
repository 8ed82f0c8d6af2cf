#!/bin/bash
# test-sla.sh - ticket life and sla-watch through the real Postfix + milter
# (SPEC s.11): a customer mail opens a ticket; sla-watch --at 75%, 90% and
# past the first-response due time delivers exactly three mails through
# Postfix's own sendmail, to the primary by day and to the backup at night,
# read back from the Maildir; an agent's "#status pending" reply is delivered
# without the line and pauses the ticket; the customer's answer reopens it
# and its delivered copy carries a later resolution due time.
# Usage: BUILD=builddir tests/integration/test-sla.sh
export HD_POLICY=${HD_POLICY:-$(cd "$(dirname "$0")/../.." && pwd)/tests/data/sla/policy-wall.yaml}
. "$(dirname "$0")/postfix-env.sh"
hd_env_init
CTL=$BUILD/src/helpdeskctl/helpdeskctl

milter_config "$T/milter.yaml" "unix:$T/milter/milter.sock"
milter_start "$T/milter.yaml" || { nok "milter starts"; summary; exit 1; }
pf_start "unix:$T/milter/milter.sock" || { nok "postfix starts"; summary; exit 1; }
# sla-watch: the milter's store, Postfix's sendmail for the private instance.
printf 'policy: %s\nstore: sqlite:%s\nsendmail: %s\n' "$HD_POLICY" "$T/audit.db" \
	"$(command -v sendmail || echo /usr/sbin/sendmail)" >"$T/watch.yaml"
watch() { MAIL_CONFIG=$T/postfix-conf "$CTL" sla-watch -c "$T/watch.yaml" --at "$1" >>"$T/watch.log" 2>&1; }
# Expected contact at an instant: the primary 08:00-20:00 UTC.
contact() { local h; h=$(date -u -d "@$1" +%H); [ "$h" -ge 8 ] && [ "$h" -lt 20 ] && echo lead || echo ops; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
sla_mails() { grep -rlF --exclude-dir=tmp "Subject: [$ticket] SLA" "$T/mail" 2>/dev/null | wc -l; }

tok=$(uniq_token)
mkmsg "$T/c1.eml" "Pat <pat@example.net>" billing@support.example.com "Invoice $tok" "c1-$tok@example.net" "My invoice is wrong."
send --from pat@example.net --to billing@support.example.com --data "$T/c1.eml"
f=$(wait_mail "$T/mail" "c1-$tok@example.net" 20)
hdrs=$(mail_headers "${f:-/dev/null}")
ticket=$(sed -n 's/^X-Helpdesk-Ticket: *\([^;]*\).*/\1/Ip' <<<"$hdrs")
due=$(sed -n 's/^X-Helpdesk-First-Response-Due: *//Ip' <<<"$hdrs")
res1=$(sed -n 's/^X-Helpdesk-Resolution-Due: *//Ip' <<<"$hdrs")
check "customer mail opens a ticket with deadlines" test -n "$ticket" -a -n "$due" -a -n "$res1"
d=$(date -u -d "$due" +%s)
t75=$((d - 2 * 3600 + 60)) t90=$((d - 48 * 60 + 60))
# The breach is checked at the next 02:00 UTC after the due time: night.
tb=$(( (d / 86400 + 1) * 86400 + 2 * 3600 ))
watch "$(iso $((d - 2 * 3600 - 60)))"
sleep 1
check "nothing before 75%" test "$(sla_mails)" -eq 0
watch "$(iso $t75)"
check "75% warning delivered to the $(contact $t75) contact" \
	mail_arrives "$T/mail/support.example.com/$(contact $t75)" "SLA warning: first-response at 75%" 20
watch "$(iso $t90)"
check "90% warning delivered to the $(contact $t90) contact" \
	mail_arrives "$T/mail/support.example.com/$(contact $t90)" "SLA warning: first-response at 90%" 20
watch "$(iso $tb)"
check "breach delivered to the backup at night" \
	mail_arrives "$T/mail/support.example.com/ops" "SLA breach: first-response 100%" 20
f=$(wait_mail "$T/mail/support.example.com/ops" "SLA breach" 5)
check "the breach mail carries customer, due time, overdue and the audit command" bash -c \
	'grep -q "^Customer:  pat@example.net" "$1" && grep -q "^Due:       $2" "$1" &&
	 grep -q "^Overdue:" "$1" && grep -q "helpdeskctl audit --store .* --ticket $3" "$1"' _ "${f:-/dev/null}" "$due" "$ticket"
watch "$(iso $tb)"
sleep 2
check "exactly three SLA mails ($(sla_mails))" test "$(sla_mails)" -eq 3

# Pause and resume.
EXTRA="In-Reply-To: <c1-$tok@example.net>\r\nReferences: <c1-$tok@example.net>\r\n" \
	mkmsg "$T/a1.eml" "Alice <alice@support.example.com>" pat@example.net "Re: Invoice $tok" \
	"a1-$tok@support.example.com" "Which invoice number?\r\n#status pending\r\nAlice"
send --from alice@support.example.com --to pat@example.net --data "$T/a1.eml"
check "pending reply accepted (got $(final_reply))" test "$(final_reply)" = 250
f=$(wait_mail "$T/mail" "a1-$tok@support.example.com" 20)
check "the #status line never reaches the customer" bash -c '! grep -q "#status" "$1" && grep -q "Which invoice number" "$1"' _ "${f:-/dev/null}"
check "the reply says pending" grep -qi '^X-Helpdesk-State: pending' < <(mail_headers "${f:-/dev/null}")
sleep 3
EXTRA="In-Reply-To: <a1-$tok@support.example.com>\r\nReferences: <c1-$tok@example.net> <a1-$tok@support.example.com>\r\n" \
	mkmsg "$T/c2.eml" "Pat <pat@example.net>" billing@support.example.com "Re: Invoice $tok" \
	"c2-$tok@example.net" "It is 4711."
send --from pat@example.net --to billing@support.example.com --data "$T/c2.eml"
f=$(wait_mail "$T/mail" "c2-$tok@example.net" 20)
hdrs=$(mail_headers "${f:-/dev/null}")
res2=$(sed -n 's/^X-Helpdesk-Resolution-Due: *//Ip' <<<"$hdrs")
check "the customer's answer reopens the ticket" grep -qi '^X-Helpdesk-State: open' <<<"$hdrs"
check "and carries a later resolution due time ($res1 -> $res2)" \
	test -n "$res2" -a "$(date -u -d "${res2:-1970-01-01}" +%s)" -gt "$(date -u -d "$res1" +%s)"
check "audit chain intact" "$CTL" audit --store "sqlite:$T/audit.db" --verify
summary

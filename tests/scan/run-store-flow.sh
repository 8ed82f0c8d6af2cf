#!/bin/bash
# run-store-flow.sh - the exception and approval flow of SPEC s.6 through
# `helpdeskctl scan --store` with a real SQLite file: an over-limit refund is
# refused with an EXC id, the agent cannot approve it, the team lead can (by
# SMTP AUTH), the agent's resend is accepted and stamped, the first
# response is recorded, and `audit --verify` finds the chain intact.
set -u
. "$(dirname "$0")/lib.sh"
# field JSON PATH: a value out of a verdict (python3 is in every test image).
field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1])
for k in sys.argv[2].split("."): v = v[int(k)] if isinstance(v, list) else v.get(k)
print("" if v is None else v)' "$1" "$2"; }
header() { python3 -c 'import json,sys; v=json.loads(sys.argv[1])
print(next((h[1] for h in v["headers_added"] if h[0] == sys.argv[2]), ""))' "$1" "$2"; }

printf 'From: Pat <pat@example.net>\nTo: billing@support.example.com\nMessage-ID: <flow-1@example.net>\nSubject: Refund please\n\nI was charged twice.\n' >"$tmp/in.eml"
printf 'From: alice@support.example.com\nTo: pat@example.net\nMessage-ID: <flow-2@support.example.com>\nReferences: <flow-1@example.net>\nSubject: Re: Refund please\n\nI have issued a refund of $200.00 to your card.\n' >"$tmp/reply.eml"

v=$("$bin" scan --policy "$pol" --store "$db" --from pat@example.net --rcpt billing@support.example.com --at 2026-11-30T10:00:00Z "$tmp/in.eml")
ticket=$(field "$v" ticket)
check "customer mail opens a ticket" test -n "$ticket"

v=$("$bin" scan --policy "$pol" --store "$db" --auth alice@support.example.com --from alice@support.example.com --rcpt pat@example.net --at 2026-11-30T11:00:00Z "$tmp/reply.eml")
check "over-limit refund refused" test "$(field "$v" action)" = reject
check "refusal names the role limit" grep -q "limit of 50.00 USD for role agent" <<<"$(field "$v" smtp_reply.lines.1)"
exc=$(grep -o 'EXC-[A-Z0-9]*' <<<"$(field "$v" smtp_reply.lines.1)" | head -1)
check "refusal carries an exception id" test -n "$exc"
check "reply stays on the customer's ticket" test "$(field "$v" ticket)" = "$ticket"

printf 'Subject: ok\n\napprove %s\n' "$exc" >"$tmp/approve.eml"
v=$("$bin" scan --policy "$pol" --store "$db" --auth alice@support.example.com --from alice@support.example.com --rcpt approvals@support.example.com --at 2026-11-30T11:05:00Z "$tmp/approve.eml")
check "the agent cannot approve her own exception" test "$(field "$v" action)" = reject
v=$("$bin" scan --policy "$pol" --store "$db" --from dave@support.example.com --client-ip 127.0.0.1 --rcpt approvals@support.example.com --at 2026-11-30T11:06:00Z "$tmp/approve.eml")
check "no approval without SMTP AUTH, even from a trusted client" test "$(field "$v" action)" = reject
v=$("$bin" scan --policy "$pol" --store "$db" --auth dave@support.example.com --from dave@support.example.com --rcpt approvals@support.example.com --at 2026-11-30T11:10:00Z "$tmp/approve.eml")
check "the team lead approves" test "$(field "$v" action)" = accept

v=$("$bin" scan --policy "$pol" --store "$db" --auth alice@support.example.com --from alice@support.example.com --rcpt pat@example.net --at 2026-11-30T11:15:00Z "$tmp/reply.eml")
check "the approved resend is accepted" test "$(field "$v" action)" = accept
check "stamped with the approver" grep -q "^$exc; .*approved-by=dave@support.example.com" <<<"$(header "$v" X-Helpdesk-Exception)"
check "authority says approved" grep -q '^approved; amount=200.00' <<<"$(header "$v" X-Helpdesk-Authority)"
# Received 10:00, answered 11:15 on a Monday within London hours: 1h15m, target 8h.
check "first response met after 1h15m" grep -q '^met; elapsed=1h15m; target=8h' <<<"$(header "$v" X-Helpdesk-First-Response)"

check "audit lists the approval" bash -c '"$1" audit --store "$2" --kind approval --format csv | grep -q "dave@support.example.com"' _ "$bin" "$db"
check "audit chain intact" "$bin" audit --store "$db" --verify
# Tamper as an attacker with file access would: drop the guards, rewrite a row.
for t in $(sqlite3 "$tmp/audit.db" "SELECT name FROM sqlite_master WHERE type = 'trigger'"); do
	sqlite3 "$tmp/audit.db" "DROP TRIGGER \"$t\""
done
sqlite3 "$tmp/audit.db" "UPDATE records SET text = 'rewritten' WHERE seq = 1"
check "a rewritten record is detected" bash -c '! "$1" audit --store "$2" --verify >/dev/null' _ "$bin" "$db"
scan_done

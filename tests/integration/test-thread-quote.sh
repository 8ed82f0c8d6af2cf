#!/bin/bash
# test-thread-quote.sh - the thread-history path through the real Postfix +
# milter: a customer mail opens a ticket; the agent's reply pastes the
# customer's lines in a layout no word list knows ("| " lines under a made-up
# marker) and is delivered with X-Helpdesk-Tone: clean, because the store
# remembered the fingerprints of those lines. The same reply on a thread that
# never held the lines is refused, so the first check can fail.
# Usage: BUILD=builddir tests/integration/test-thread-quote.sh
. "$(dirname "$0")/postfix-env.sh"
hd_env_init

milter_config "$T/milter.yaml" "unix:$T/milter/milter.sock"
milter_start "$T/milter.yaml" || { nok "milter starts"; summary; exit 1; }
pf_start "unix:$T/milter/milter.sock" || { nok "postfix starts"; summary; exit 1; }

tok=$(uniq_token)
cat >"$T/customer.eml" <<MAIL
From: Pat Customer <pat@example.net>
To: billing@support.example.com
Subject: Order $tok arrived broken
Message-ID: <cust-$tok@example.net>
Date: Mon, 30 Nov 2026 16:00:00 +0000

Hello,
the parcel for order $tok arrived broken this morning.
Your colleague on the phone told me to calm down and hung up.
I expect a replacement, not excuses.
Pat
MAIL
send --from pat@example.net --to billing@support.example.com --data "$T/customer.eml"
check "customer mail accepted" test "$(final_reply)" = 250
f=$(wait_mail "$T/mail" "cust-$tok@example.net" 20)
check "customer mail delivered with a ticket" grep -qi '^X-Helpdesk-Ticket: ' < <(mail_headers "${f:-/dev/null}")

# The agent pastes the customer's words under a marker of her own.
reply() {
	cat <<MAIL
From: Alice Archer <alice@support.example.com>
To: Pat Customer <pat@example.net>
Subject: Re: Order $tok arrived broken
Message-ID: <$1-$tok@support.example.com>
$2
Hello Pat,

I am sorry. Quoting you so that the warehouse sees it:

[[ customer, via phone log ]]
| the parcel for order $tok arrived broken this morning.
| Your colleague on the phone told me to calm down and hung up.
| I expect a replacement, not excuses.
[[ end ]]

A replacement leaves today.
Alice
MAIL
}
reply agent "In-Reply-To: <cust-$tok@example.net>
References: <cust-$tok@example.net>
" >"$T/reply.eml"
send --from alice@support.example.com --to pat@example.net --data "$T/reply.eml"
check "reply quoting the thread accepted (got $(final_reply))" test "$(final_reply)" = 250
f=$(wait_mail "$T/mail" "agent-$tok@support.example.com" 20)
hdrs=$(mail_headers "${f:-/dev/null}")
check "reply delivered with X-Helpdesk-Tone: clean" grep -qi '^X-Helpdesk-Tone: clean' <<<"$hdrs"
check "reply on the customer's ticket" \
	test "$(grep -i '^X-Helpdesk-Ticket:' <<<"$hdrs" | sed 's/^[^:]*: *//; s/[; ].*//')" = \
	"$(grep -i '^X-Helpdesk-Ticket:' < <(mail_headers "$(wait_mail "$T/mail" "cust-$tok@example.net" 5)") | sed 's/^[^:]*: *//; s/[; ].*//')"

# Control: the same words on a thread that never held them are the agent's.
reply other "" >"$T/other.eml"
sed -i "s/^Subject: .*/Subject: Other matter $tok/" "$T/other.eml"
send --from alice@support.example.com --to pat@example.net --data "$T/other.eml"
check "same words without the thread refused with 550 (got $(final_reply))" test "$(final_reply)" = 550

summary

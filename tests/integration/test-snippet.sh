#!/bin/bash
# test-snippet.sh - contrib/postfix/main.cf.snippet applied the way its README
# says, to a main.cf that already runs another milter (bench/milter/null-milter.c,
# adding one header) with a global milter_default_action = accept, as an
# OpenDKIM set-up has. Afterwards both milters run on every message (both
# headers on the delivered copy), nothing but smtpd_milters (appended to) and
# the snippet's own parameter changed, the recipe is idempotent, and with
# helpdesk-milter down its own default_action=tempfail defers the mail
# although the global default says accept. The helpdesk socket is named as a
# chrooted smtpd needs it: relative to the queue directory.
# Usage: BUILD=builddir tests/integration/test-snippet.sh
. "$(dirname "$0")/postfix-env.sh"
hd_env_init

conf=$T/postfix-conf
snippet=$SRC/contrib/postfix/main.cf.snippet
readme=$SRC/contrib/postfix/README
hd_sock=$T/spool/helpdesk-milter/helpdesk-milter.sock	# queue_directory is $T/spool
null_sock=$T/milter/null.sock

# The other milter, built from the benchmark's source; stopped when this
# script ends (postfix-env.sh owns the EXIT trap).
if ! ${CC:-cc} -std=gnu11 -O2 -o "$T/null-milter" "$SRC/bench/milter/null-milter.c" \
	-lmilter -lpthread 2>"$T/null-build.log"; then
	echo "SKIP: cannot build null-milter"; cat "$T/null-build.log"; exit 77
fi
"$T/null-milter" "unix:$null_sock" 1 >>"$T/null.log" 2>&1 &
null_pid=$!
(while kill -0 $$ 2>/dev/null; do sleep 0.5; done; kill "$null_pid" 2>/dev/null) &
for _ in $(seq 1 50); do [ -S "$null_sock" ] && break; sleep 0.1; done

mkdir -p "$T/spool/helpdesk-milter"
chown root:postfix "$T/spool/helpdesk-milter"; chmod 750 "$T/spool/helpdesk-milter"
milter_config "$T/milter.yaml" "unix:$hd_sock"
milter_start "$T/milter.yaml" || exit 1

# The main.cf before: the other milter alone, global default accept.
pf_configure_hook() {
	postconf -c "$conf" -e 'milter_default_action = accept'
}
pf_start "unix:$null_sock" || exit 1
before=$(postconf -c "$conf" -n)

# inbound MESSAGE-TOKEN: send a customer mail to billing; its delivered headers
# in $HDRS (empty when not delivered).
inbound() {
	local tok=$1 f
	HDRS=
	send --from customer@example.net --to billing@support.example.com \
		--header "Subject: Invoice question $tok" --header "Message-ID: <$tok@client.test.invalid>" \
		--body "Hello, I was charged twice for my invoice. Thanks"
	if f=$(wait_mail "$T/mail/support.example.com/billing" "$tok"); then HDRS=$(mail_headers "$f"); fi
}

inbound "before-$(uniq_token)"
check "before: the other milter adds its header" grep -q '^X-Null-Milter-1:' <<<"$HDRS"
check "before: no helpdesk-milter yet" bash -c '! grep -qi "^X-Helpdesk-" <<<"$1"' _ "$HDRS"

# Apply the snippet: append it (socket named relative to the queue
# directory), then run the README's recipe, verbatim, twice.
recipe=$(grep -m1 'postconf -h smtpd_milters | grep -q helpdesk_milter' "$readme" | sed 's/^ *//')
check "README gives the recipe" test -n "$recipe"
check "the snippet gives the same recipe" grep -qF "$recipe" "$snippet"
check "the snippet assigns no global parameter" \
	bash -c '! grep -vE "^(#|$|helpdesk_milter =)" "$1"' _ "$snippet"
sed 's|unix:/run/helpdesk-milter/helpdesk-milter.sock|unix:helpdesk-milter/helpdesk-milter.sock|' \
	"$snippet" >>"$conf/main.cf"
MAIL_CONFIG=$conf bash -c "$recipe" && MAIL_CONFIG=$conf bash -c "$recipe"
check "recipe applied" test $? = 0
postfix -c "$conf" reload >/dev/null 2>&1
after=$(postconf -c "$conf" -n 2>"$T/postconf.err")
check "postconf has no warning for the result" test ! -s "$T/postconf.err"

changed=$(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | sed -E 's/^([<>]) ([a-z_]+) =.*/\1 \2/' | sort -u | tr '\n' ' ')
check "only smtpd_milters changed and helpdesk_milter was added (got: $changed)" \
	test "$changed" = "< smtpd_milters > helpdesk_milter > smtpd_milters "
check "smtpd_milters keeps the other milter first and appends helpdesk-milter once" \
	test "$(postconf -c "$conf" -h smtpd_milters)" = "unix:$null_sock \$helpdesk_milter"
check "the global milter_default_action is still accept" \
	test "$(postconf -c "$conf" -h milter_default_action)" = accept
check "helpdesk_milter carries its own settings" \
	grep -q '^{ unix:helpdesk-milter/helpdesk-milter.sock, default_action=tempfail, content_timeout=300s }$' \
	<<<"$(postconf -c "$conf" -h helpdesk_milter)"

tok="after-$(uniq_token)"
inbound "$tok"
check "after: delivered" test -n "$HDRS"
check "after: the other milter still adds its header" grep -q '^X-Null-Milter-1:' <<<"$HDRS"
check "after: helpdesk-milter stamps the ticket" grep -qi '^X-Helpdesk-Ticket: [^ ]' <<<"$HDRS"
check "after: helpdesk-milter stamps the team" grep -qi '^X-Helpdesk-Team: [^ ]' <<<"$HDRS"
check "no warning about the milters in the Postfix log" \
	bash -c '! grep -E "warning: milter|fatal" "$1"' _ "$T/maillog"

# helpdesk-milter down: its own default_action=tempfail defers the mail,
# whatever the global milter_default_action says.
milter_stop TERM
tok="down-$(uniq_token)"
send --from customer@example.net --to billing@support.example.com \
	--header "Subject: Down $tok" --body "Hello"
check "helpdesk-milter down: deferred with a 4xx" grep -qE '^<\*\* +4[0-9][0-9]' <<<"$SENT"
check "helpdesk-milter down: not queued" bash -c '! grep -q "Ok: queued" <<<"$1"' _ "$SENT"

summary

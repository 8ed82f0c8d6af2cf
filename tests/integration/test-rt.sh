#!/bin/bash
# test-rt.sh - a real Request Tracker 5 behind Postfix and helpdesk-milter
# (SPEC s.12): a customer's critical mail is routed by envelope recipient to
# the team's RT queue (rt+ops@, rt-mailgate --queue ${extension}) and the RT extension in
# contrib/rt sets RT's priority, due date and custom fields from the sealed
# stamps; forged X-RT-*/RT-*/X-Helpdesk-* headers and a forged seal change
# nothing, through the milter or straight into rt-mailgate; an agent's reply
# written in RT and sent through Postfix is judged for tone as the agent named
# in X-RT-Originator. Needs Debian 12 request-tracker5 + rt5-db-sqlite
# (contrib/install-deps.sh); skips (77) without them.
# Usage: BUILD=builddir tests/integration/test-rt.sh   (as root)
. "$(dirname "$0")/postfix-env.sh"
RT_SERVER=/usr/share/request-tracker5/libexec/rt-server
RT_SETUP=/usr/sbin/rt-setup-database-5
for f in "$RT_SERVER" "$RT_SETUP" /usr/bin/rt-mailgate-5 /usr/bin/rt-5; do
	[ -x "$f" ] || { echo "SKIP: $f not installed (request-tracker5, rt5-db-sqlite)"; exit 77; }
done
perl -MDBD::SQLite -e1 2>/dev/null || { echo "SKIP: rt5-db-sqlite not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }
HD_POLICY=$(mktemp /tmp/hd-rt-policy.XXXXXX.yaml)
hd_env_init
mv "$HD_POLICY" "$T/policy.yaml"; HD_POLICY=$T/policy.yaml
RT_PID=
RT_PORT=$(free_port)
RTD=$T/rt
mkdir -p "$RTD/d"
# Stop RT too (the env's trap stops Postfix and the milter).
rt_cleanup() {
	local rc=$?
	[ -n "$RT_PID" ] && kill "$RT_PID" 2>/dev/null
	(exit $rc)
	hd_env_cleanup
}
trap rt_cleanup EXIT

cat > "$HD_POLICY" <<EOF
policy: { name: rt-test, version: 1 }
scope:
  teams:
    ops: { mailboxes: [rt@support.example.com], calendar: always }
calendars:
  always: { timezone: UTC, hours: { mon-sun: "00:00-24:00" } }
priorities:
  - { name: critical, when: { words: [outage] } }
  - { name: standard }
sla:
  email:
    critical: { first_response: 1h, resolution: 8h, clock: wall }
    standard: { first_response: 8h, resolution: 40h }
roles:
  currency: USD
  agent: { refund: 50, credit: 100, discount: 10% }
agents:
  alice@support.example.com: { role: agent, team: ops }
tone:
  action: reject
  phrases:
    - { id: calm-down, match: ["calm down"], suggest: "I understand how frustrating this is." }
helpdesk:
  kind: rt
  priorities: { critical: "90", standard: "50" }
  addresses: { ops: "+ops" }
  relay: [127.0.0.1/32]          # RT sends from 127.0.0.1; customers below use 127.0.0.2
  ticket_tag: rt.support.example.com
EOF

# --- RT: private site config, SQLite database, the extension, queue ops.
printf 'rt-integration-seal-secret-0123456789\n' > "$T/k1.key"
chmod 600 "$T/k1.key"
cat > "$RTD/RT_SiteConfig.pm" <<EOF
Set(\$rtname, 'rt.support.example.com');
Set(\$Organization, 'support.example.com');
Set(\$CorrespondAddress, 'rt@support.example.com');
Set(\$CommentAddress, 'rt-comment@support.example.com');
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, $RT_PORT);
Set(\$WebPath, '');
Set(\$WebBaseURL, 'http://127.0.0.1:$RT_PORT');
Set(\$DatabaseType, 'SQLite');
Set(\$DatabaseName, '$RTD/rt.db');
Set(\$LogToSTDERR, 'info');
Set(\$LogToSyslog, undef);
Set(\$Timezone, 'UTC');
Set(\$MailCommand, 'sendmailpipe');
Set(\$SendmailPath, '$RTD/sendmail');
Set(%HelpdeskMilterSealKeys, k1 => '$T/k1.key');
Set(%HelpdeskMilterCustomFields, 'X-Helpdesk-Team' => 'Helpdesk Team',
    'X-Helpdesk-Priority' => 'Helpdesk Priority');
1;
EOF
cat > "$RTD/testdata" <<'EOF'
our @Queues = ({ Name => 'ops', CorrespondAddress => 'rt@support.example.com' });
our @Users = ({ Name => 'alice', EmailAddress => 'alice@support.example.com',
                Password => 'alice-pass-1', Privileged => 1 });
our @CustomFields = (
  { Name => 'Helpdesk Team', Type => 'FreeformSingle', LookupType => 'RT::Queue-RT::Ticket', ApplyTo => 'ops' },
  { Name => 'Helpdesk Priority', Type => 'FreeformSingle', LookupType => 'RT::Queue-RT::Ticket', ApplyTo => 'ops' },
);
our @ACL = (
  { UserId => 'alice', Right => 'SuperUser' },
  { GroupDomain => 'SystemInternal', GroupType => 'Everyone', Right => 'CreateTicket' },
  { GroupDomain => 'SystemInternal', GroupType => 'Everyone', Right => 'ReplyToTicket' },
  { GroupDomain => 'SystemInternal', GroupType => 'Everyone', Right => 'SeeQueue' },
);
1;
EOF
export RT_SITE_CONFIG=$RTD/RT_SiteConfig.pm RT_SITE_CONFIG_DIR=$RTD/d
{
	"$RT_SETUP" --action init --skip-create --dba '' --dba-password '' &&
	"$RT_SETUP" --action insert --datafile "$SRC/contrib/rt/etc/initdata" &&
	"$RT_SETUP" --action insert --datafile "$RTD/testdata"
} >"$RTD/setup.log" 2>&1
check "RT database set up with the extension's scrips" grep -q 'Done inserting data' "$RTD/setup.log"
perl -I"$SRC/contrib/rt/lib" "$RT_SERVER" --server Standalone --port "$RT_PORT" >"$RTD/server.log" 2>&1 &
RT_PID=$!
for _ in $(seq 1 120); do (exec 3<>"/dev/tcp/127.0.0.1/$RT_PORT") 2>/dev/null && break; sleep 0.5; done
check "RT web server up" bash -c "exec 3<>/dev/tcp/127.0.0.1/$RT_PORT"

# --- Postfix: rt+ops@ goes to rt-mailgate --queue ops; the rest to mailboxes.
pf_configure_hook() {
	local conf=$T/postfix-conf
	printf 'rt+ops@support.example.com rtgate:\n' > "$conf/transport"
	postconf -c "$conf" -e "transport_maps = texthash:$conf/transport" "recipient_delimiter = +"
	# pipe(8) passes the address extension as \${extension}: rt+ops -> queue ops.
	printf 'rtgate unix - n n - - pipe\n  flags=Rq user=nobody argv=/usr/bin/rt-mailgate-5 --queue ${extension} --action correspond --url http://127.0.0.1:%s/\n' \
		"$RT_PORT" >> "$conf/master.cf"
}
milter_config "$T/milter.yaml" "unix:$T/milter/m.sock" "seal: { key_id: k1, key_file: $T/k1.key }"
check "milter started" milter_start "$T/milter.yaml"
check "postfix started" pf_start "unix:$T/milter/m.sock"
# RT's $SendmailPath, written now that the private Postfix has its port.
cat > "$RTD/sendmail" <<EOF
#!/usr/bin/perl
# RT's \$SendmailPath: submit stdin to the private Postfix from 127.0.0.1 (RT's relay).
use strict; use Net::SMTP;
my \$msg = do { local \$/; <STDIN> };
my (\$head) = split /\r?\n\r?\n/, \$msg, 2;
\$head =~ s/\r?\n[ \t]+/ /g;
my @to = map { /([^<>\s,]+@[^<>\s,]+)/g } (\$head =~ /^(?:To|Cc|Bcc):(.*)\$/mgi);
my (\$from) = \$head =~ /^From:.*?([^<>\s]+@[^<>\s]+)/mi;
my \$s = Net::SMTP->new('127.0.0.1', Port => $PF_PORT, LocalAddr => '127.0.0.1', Timeout => 60) or exit 75;
\$s->mail(\$from) or exit 75;
\$s->to(\$_) or exit 77 for @to;
\$s->data(\$msg) or exit 77;
\$s->quit;
EOF
chmod 755 "$RTD/sendmail"

sqlq() { sqlite3 -cmd ".timeout 10000" "$RTD/rt.db" "$1"; }
# Wait until RT has a ticket whose subject contains TOKEN; prints its id.
rt_ticket() {
	local id
	for _ in $(seq 1 300); do
		id=$(sqlq "select id from Tickets where Subject like '%$1%' order by id limit 1;")
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.2
	done
	return 1
}
cf() { sqlq "select v.Content from ObjectCustomFieldValues v join CustomFields c on c.id = v.CustomField where v.ObjectId = $1 and c.Name = '$2' and v.Disabled = 0;"; }
customer_mail() {	# FILE TOKEN SUBJECT BODY [extra header lines]
	local file=$1 tok=$2 subj=$3 body=$4; shift 4
	{
		printf 'From: Pat <pat@example.net>\r\nTo: rt@support.example.com\r\nSubject: %s %s\r\n' "$subj" "$tok"
		printf 'Date: %s\r\nMessage-ID: <%s@example.net>\r\n' "$(date -R)" "$tok"
		for h in "$@"; do printf '%s\r\n' "$h"; done
		printf 'MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n%s\r\n' "$body"
	} > "$file"
}

# 1. A critical customer mail becomes a ticket in queue ops with our decision.
tok=$(uniq_token)
customer_mail "$T/c1.eml" "$tok" "Production" "Our production has an outage since 9:00."
send --local-interface 127.0.0.2 --from pat@example.net --to rt@support.example.com --data "$T/c1.eml"
check "critical mail accepted" grep -q '<-  250' <<<"$SENT"
if id=$(rt_ticket "$tok"); then
	ok "critical mail is RT ticket $id"
	check "ticket is in the team's queue (routed to rt+ops)" \
		test "$(sqlq "select q.Name from Tickets t join Queues q on q.id = t.Queue where t.id = $id;")" = ops
	for _ in $(seq 1 50); do [ "$(sqlq "select Priority from Tickets where id = $id;")" = 90 ] && break; sleep 0.2; done
	check "RT priority from the sealed X-Helpdesk-Native-Priority (90)" \
		test "$(sqlq "select Priority from Tickets where id = $id;")" = 90
	due=$(sqlq "select a.Headers from Attachments a join Transactions x on x.id = a.TransactionId where x.ObjectId = $id and x.Type = 'Create' and a.Parent = 0;" |
		sed -n 's/^X-Helpdesk-Resolution-Due: \(....-..-..\)T\(..:..:..\)Z.*/\1 \2/p')
	check "RT due date is our resolution due ($due)" \
		test -n "$due" -a "$(sqlq "select Due from Tickets where id = $id;")" = "$due"
	check "custom field Helpdesk Team = ops" test "$(cf "$id" 'Helpdesk Team')" = ops
	check "custom field Helpdesk Priority = critical" test "$(cf "$id" 'Helpdesk Priority')" = critical
else
	nok "critical mail is an RT ticket"
fi

# 2. The same customer forging RT's and our headers and a seal changes nothing.
tok=$(uniq_token)
customer_mail "$T/c2.eml" "$tok" "Question" "Where is my invoice?" \
	"X-Helpdesk-Priority: critical; rule=forged" "X-Helpdesk-Native-Priority: 99" \
	"X-Helpdesk-Resolution-Due: 2030-01-01T00:00:00Z" "X-Helpdesk-Seal: v=1; k=k1; h=Message-ID; s=AAAA" \
	"X-RT-Loop-Prevention: rt.support.example.com" "RT-Send-Cc: attacker@example.com" \
	"x-rt-originator: alice@support.example.com" "X-RT-Queue: General"
send --local-interface 127.0.0.2 --from pat@example.net --to rt@support.example.com --data "$T/c2.eml"
check "forged mail accepted" grep -q '<-  250' <<<"$SENT"
if id=$(rt_ticket "$tok"); then
	ok "forged X-RT-Loop-Prevention did not make RT drop the mail (ticket $id)"
	hdrs=$(sqlq "select a.Headers from Attachments a join Transactions x on x.id = a.TransactionId where x.ObjectId = $id and x.Type = 'Create' and a.Parent = 0;")
	check "no customer RT-*/X-RT-* header reached RT" bash -c '! grep -qiE "^(x-)?rt-(send-cc|loop-prevention|originator|queue)" <<<"$1"' _ "$hdrs"
	check "ticket still in queue ops (forged X-RT-Queue ignored)" \
		test "$(sqlq "select q.Name from Tickets t join Queues q on q.id = t.Queue where t.id = $id;")" = ops
	sleep 1
	check "priority is ours (standard = 50), not the forged one" \
		test "$(sqlq "select Priority from Tickets where id = $id;")" = 50
	check "custom field Helpdesk Priority = standard" test "$(cf "$id" 'Helpdesk Priority')" = standard
	check "the attacker is not a Cc" bash -c "! sqlite3 -cmd '.timeout 10000' '$RTD/rt.db' \"select EmailAddress from Users\" | grep -q attacker"
else
	nok "forged mail is an RT ticket"
fi

# 3. Straight into rt-mailgate, bypassing the milter: a forged seal, and a
#    real seal with an altered value, change nothing in RT.
tok=$(uniq_token)
customer_mail "$T/c3.eml" "$tok" "Bypass" "Hello" "X-Helpdesk-Team: ops" \
	"X-Helpdesk-Priority: critical" "X-Helpdesk-Native-Priority: 99" \
	"X-Helpdesk-Resolution-Due: 2030-01-01T00:00:00Z" "X-Helpdesk-Seal: v=1; k=k1; h=X-Helpdesk-Team:X-Helpdesk-Priority:X-Helpdesk-Native-Priority:X-Helpdesk-Resolution-Due:Message-ID; s=bm90IGEgcmVhbCBzZWFsIGF0IGFsbCwganVzdCBieXRlcw=="
/usr/bin/rt-mailgate-5 --queue ops --action correspond --url "http://127.0.0.1:$RT_PORT/" < "$T/c3.eml"
if id=$(rt_ticket "$tok"); then
	sleep 1
	check "forged seal: priority unchanged (0)" test "$(sqlq "select Priority from Tickets where id = $id;")" = 0
	check "forged seal: no due date" test "$(sqlq "select Due from Tickets where id = $id;")" = "1970-01-01 00:00:00"
	check "forged seal: no custom field" test -z "$(cf "$id" 'Helpdesk Priority')"
	check "RT logged why nothing changed" grep -q "HelpdeskMilter: ticket $id: seal does not match" "$RTD/server.log"
else
	nok "bypass mail is an RT ticket"
fi
tok=$(uniq_token)
customer_mail "$T/c4.eml" "$tok" "Altered" "Our production has an outage."
"$BUILD/src/helpdeskctl/helpdeskctl" scan -c "$T/milter.yaml" --store "sqlite:$T/scan.db" --from pat@example.net \
	--rcpt rt@support.example.com --output message "$T/c4.eml" |
	sed 's/^X-Helpdesk-Native-Priority: 90/X-Helpdesk-Native-Priority: 99/' > "$T/c4-altered.eml"
check "scan sealed the altered copy's original" grep -q '^X-Helpdesk-Seal: v=1; k=k1' "$T/c4-altered.eml"
/usr/bin/rt-mailgate-5 --queue ops --action correspond --url "http://127.0.0.1:$RT_PORT/" < "$T/c4-altered.eml"
if id=$(rt_ticket "$tok"); then
	sleep 1
	check "altered sealed value: priority unchanged (0)" test "$(sqlq "select Priority from Tickets where id = $id;")" = 0
	check "altered sealed value: no custom field" test -z "$(cf "$id" 'Helpdesk Priority')"
else
	nok "altered mail is an RT ticket"
fi

# 4. An agent's reply written in RT goes out through Postfix from RT's relay:
#    judged as the agent in X-RT-Originator; a prohibited phrase is refused.
first=$(sqlq "select min(id) from Tickets where Subject like 'Production %';")
export RTSERVER="http://127.0.0.1:$RT_PORT" RTUSER=alice RTPASSWD=alice-pass-1
rt-5 correspond -m "Please calm down, we are on it." "$first" > "$T/rt-cli.log" 2>&1
check "RT accepted alice's reply" grep -qiE 'correspondence added|recorded' "$T/rt-cli.log"
for _ in $(seq 1 100); do grep -q 'calm-down' "$T/milter.log" && break; sleep 0.2; done
audit=$("$BUILD/src/helpdeskctl/helpdeskctl" audit --store "sqlite:$T/audit.db" --kind tone --format json 2>&1)
check "tone finding recorded for agent alice (identity from X-RT-Originator)" \
	bash -c 'grep "calm-down" <<<"$1" | grep -q "alice@support.example.com"' _ "$audit"
check "RT saw Postfix refuse it at DATA (sendmail exit 77)" grep -q 'exited with code 77' "$RTD/server.log"
check "the customer did not get the refused reply" \
	bash -c "! grep -rqs 'calm down' '$T/mail/example.net'"
rt-5 correspond -m "We have fixed it, thank you for your patience." "$first" > "$T/rt-cli2.log" 2>&1
if f=$(wait_mail "$T/mail/example.net" "thank you for your patience" 30); then
	hdrs=$(mail_headers "$f")
	check "clean reply delivered, stamped X-Helpdesk-Tone: clean" grep -qi '^X-Helpdesk-Tone: clean' <<<"$hdrs"
	check "clean reply is on the RT ticket's thread (same X-Helpdesk-Ticket)" \
		test "$(grep -i '^X-Helpdesk-Ticket:' <<<"$hdrs" | cut -d' ' -f2)" = \
		     "$(sqlq "select a.Headers from Attachments a join Transactions x on x.id = a.TransactionId where x.ObjectId = $first and x.Type = 'Create' and a.Parent = 0;" | sed -n 's/^X-Helpdesk-Ticket: //p')"
else
	nok "clean reply delivered to the customer"
fi
summary

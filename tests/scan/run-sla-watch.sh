#!/bin/bash
# run-sla-watch.sh - helpdeskctl sla-watch on a SQLite store with a fake
# sendmail that appends every invocation to a file: warnings at 75% and 90%
# and the breach of the first-response target go out once each, to the
# primary inside the London hours and to the backup at night; a second run
# at the same time sends nothing; two watchers racing over 60 tickets mail
# each warning once; a watcher SIGKILLed mid-run loses no warning.
set -u
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${TOP_BUILDDIR:-$top}/src/helpdeskctl/helpdeskctl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }

# The fake sendmail: one line per invocation "RCPT MESSAGE-ID", written
# after the whole message was read (as postdrop commits a queue file).
cat >"$tmp/sendmail" <<'SH'
#!/bin/bash
msg=$(cat)
id=$(sed -n '/^Message-ID: </{s/^Message-ID: <\(.*\)>$/\1/p;q}' <<<"$msg")
[ -n "${SLOW_SENDMAIL:-}" ] && sleep "$SLOW_SENDMAIL"
printf '%s %s\n' "${@: -1}" "$id" >>"$0.log"	# one O_APPEND write: atomic
printf '%s\n' "$msg" >"$0.last"
SH
chmod +x "$tmp/sendmail"
cat >"$tmp/cfg.yaml" <<EOF2
policy: $top/tests/data/sla/policy.yaml
store: sqlite:$tmp/audit.db
sendmail: $tmp/sendmail
EOF2
scan() { "$bin" scan --policy "$top/tests/data/sla/policy.yaml" --store "sqlite:$tmp/audit.db" "$@" >/dev/null; }
watch() { "$bin" sla-watch -c "$tmp/cfg.yaml" "$@" >>"$tmp/watch.out"; }
sent() { wc -l <"$tmp/sendmail.log" 2>/dev/null || echo 0; }

printf 'From: Pat <pat@example.net>\nTo: billing@support.example.com\nMessage-ID: <w1@example.net>\nSubject: Invoice wrong\n\nPlease fix.\n' >"$tmp/in.eml"
scan --from pat@example.net --rcpt billing@support.example.com --at 2026-11-30T09:00:00Z "$tmp/in.eml"
# First response 8h from Mon 09:00 (lunch 12:30-13:30): due 18:00? no: the
# day has 7h30, so 30m on Tuesday: due Tue 09:30Z. 75% = 6h: Mon 16:00Z;
# 90% = 7h12m: Mon 17:12Z; breach at Tue 09:30Z, night check Tue 07:00Z.
watch --at 2026-11-30T15:59:00Z
check "nothing before 75%" test "$(sent)" -eq 0
watch --at 2026-11-30T16:00:00Z
check "75% warning mailed to the primary" test "$(sent)" -eq 1 -a "$(tail -1 "$tmp/sendmail.log" | cut -d' ' -f1)" = lead@support.example.com
check "the mail names ticket, customer, team, due and the audit command" bash -c \
	'grep -q "^Customer:  pat@example.net" "$1" && grep -q "^Team:      billing" "$1" &&
	 grep -q "^Due:       2026-12-01T09:30:00Z" "$1" && grep -q "^Time left: 17h30m" "$1" &&
	 grep -q "^Subject:   Invoice wrong" "$1" && grep -q "helpdeskctl audit --store .* --ticket HD-" "$1"' _ "$tmp/sendmail.last"
watch --at 2026-11-30T16:00:00Z
check "a second run mails nothing again" test "$(sent)" -eq 1
watch --at 2026-11-30T17:12:00Z
check "90% warning mailed" test "$(sent)" -eq 2
watch --at 2026-12-01T09:31:00Z
check "breach mailed" test "$(sent)" -eq 3
check "breach at 09:31 goes to the primary (inside hours)" test "$(tail -1 "$tmp/sendmail.log" | cut -d' ' -f1)" = lead@support.example.com
check "breach mail says overdue" grep -q "^Overdue:   0h01m" "$tmp/sendmail.last"
check "three sla records" test "$("$bin" audit --store "sqlite:$tmp/audit.db" --kind sla --format csv | grep -c ',sla,')" -eq 3
check "audit chain intact" "$bin" audit --store "sqlite:$tmp/audit.db" --verify

# Night: a second ticket opened Mon 17:00Z reaches 75% (6h) Tue 15:00Z...
# its first response breach is checked at 02:00Z Wed after due Tue 17:00Z
printf 'From: Kim <kim@example.net>\nTo: billing@support.example.com\nMessage-ID: <w2@example.net>\nSubject: Other\n\nHi.\n' >"$tmp/in2.eml"
scan --from kim@example.net --rcpt billing@support.example.com --at 2026-11-30T17:00:00Z "$tmp/in2.eml"
watch --at 2026-12-02T02:00:00Z
check "at night all three events of the second ticket go to the backup" test \
	"$(grep -c '^night@support.example.com ' "$tmp/sendmail.log")" -eq 3

# Race: n tickets opened Mon 12-07 09:00Z pass 75% at 16:00Z; two watchers
# at once: n first-response warnings, each once.
fr() { grep -c "\.first-response\.[0-9]*\.$1@" "$tmp/sendmail.log"; }
# With HD_TEST_PG_URI (tests/pg/run-store-pg.sh) the race and the kill run
# on that PostgreSQL store, with SLA_RACE_N tickets (default 1000).
n=60
sql() { sqlite3 "$tmp/audit.db"; }
if [ -n "${HD_TEST_PG_URI:-}" ]; then
	n=${SLA_RACE_N:-1000}
	printf 'policy: %s\nstore: "%s"\nsendmail: %s\n' "$top/tests/data/sla/policy.yaml" \
		"$HD_TEST_PG_URI" "$tmp/sendmail" >"$tmp/cfg.yaml"
	"$bin" sla-watch -c "$tmp/cfg.yaml" --at 2026-01-01T00:00:00Z >/dev/null	# schema
	sql() { psql -q -v ON_ERROR_STOP=1 "$HD_TEST_PG_URI" >/dev/null; }
	echo "# race and kill on PostgreSQL, $n tickets"
fi
rm -f "$tmp/sendmail.log"
# (rows written directly: the engine's part is tested above)
{
	echo "BEGIN;"
	for i in $(seq 1 $n); do
		echo "INSERT INTO tickets (id, team, priority, customer, opened, first_response_due, resolution_due) VALUES ('HD-RACE$i', 'billing', 'standard', 'c$i@example.net', $(date -d 2026-12-07T09:00:00Z +%s), $(date -d 2026-12-08T09:30:00Z +%s), $(date -d 2026-12-14T09:30:00Z +%s));"
		echo "INSERT INTO ticket_state (id, state, since) VALUES ('HD-RACE$i', 'open', $(date -d 2026-12-07T09:00:00Z +%s));"
	done
	echo "COMMIT;"
} | sql
watch --at 2026-12-07T16:05:00Z & watch --at 2026-12-07T16:05:00Z & wait
check "two racing watchers: $n mails" test "$(fr 75)" -eq "$n"
check "two racing watchers: no duplicate" test "$(cut -d' ' -f2 "$tmp/sendmail.log" | sort | uniq -d | wc -l)" -eq 0

# Kill: a slow sendmail; SIGKILL the watcher mid-run; a later run (lease 0,
# owner gone) finishes. At most the one mail in flight can be duplicated.
rm -f "$tmp/sendmail.log"
SLOW_SENDMAIL=0.05 "$bin" sla-watch -c "$tmp/cfg.yaml" --at 2026-12-07T17:15:00Z >/dev/null &
pid=$!
# Kill once the first mail is out (not after a fixed second: a sanitizer
# build on a loaded machine may not have mailed anything by then).
for _ in $(seq 1 300); do
	[ "$(fr 90 2>/dev/null)" -gt 0 ] 2>/dev/null && break
	sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
before=$(fr 90)
check "the killed watcher had mailed some but not all ($before)" test "$before" -gt 0 -a "$before" -lt "$n"
watch --at 2026-12-07T17:15:00Z --lease 0
check "after the restart every 90% warning went out" test "$(grep "\.first-response\.[0-9]*\.90@" "$tmp/sendmail.log" | cut -d' ' -f2 | sort -u | wc -l)" -eq "$n"
dups=$(cut -d' ' -f2 "$tmp/sendmail.log" | sort | uniq -d | wc -l)
check "at most the one mail in flight twice ($dups)" test "$dups" -le 1
check "exit code 64 on a bad option" bash -c '"$1" sla-watch --loop 0 -c x; test $? -eq 64' _ "$bin"
check "exit code 78 on a bad config" bash -c '"$1" sla-watch -c /nonexistent.yaml 2>/dev/null; test $? -eq 78' _ "$bin"

echo "$pass passed, $fail failed"
test "$fail" -eq 0

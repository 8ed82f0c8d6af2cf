#!/bin/bash
# run-ctl.sh - helpdeskctl as an administrator uses it against a store: scan
# with -c never writes to the daemon's store, audit and report refuse a store
# that does not exist (and create none), filters are validated, --agent is
# case-insensitive, the rule the header names finds its record, CSV cells
# cannot become formulas, the table shows no control characters, and expire
# removes old records only through a checkpoint that keeps the chain verifiable.
set -u
. "$(dirname "$0")/lib.sh"
# exits CODE CMD...: the command exits with CODE.
exits() { local want=$1; shift; "$@" >/dev/null 2>&1; [ $? -eq "$want" ]; }

printf 'policy: %s\nstore: sqlite:%s/prod.db\n' "$pol" "$tmp" >"$tmp/daemon.yaml"
printf 'From: Pat <pat@example.net>\nTo: billing@support.example.com\nMessage-ID: <ctl-1@example.net>\nSubject: =HYPERLINK("http://x")\033[31m red\n\nOur site is down, urgent.\n' >"$tmp/in.eml"
printf 'From: Alice@Support.Example.com\nTo: pat@example.net\nMessage-ID: <ctl-2@support.example.com>\nReferences: <ctl-1@example.net>\nSubject: Re: x\n\nWe are looking into it.\n' >"$tmp/reply.eml"

# scan -c: the daemon's store is never touched without --store.
check "scan -c exits 0" exits 0 "$bin" scan -c "$tmp/daemon.yaml" --from pat@example.net --rcpt billing@support.example.com "$tmp/in.eml"
check "scan -c wrote no store" test ! -e "$tmp/prod.db"

# audit and report refuse a store that is not there, and create none.
check "audit of a missing store exits 66" exits 66 "$bin" audit --store "$tmp/nope.db"
check "report of a missing store exits 66" exits 66 "$bin" report --store "$tmp/nope.db" --policy "$pol"
check "audit --verify of a missing store exits 66" exits 66 "$bin" audit --store "sqlite:$tmp/nope.db" --verify
check "no database was created" test ! -e "$tmp/nope.db"
check "the refusal says what to do" bash -c '"$1" audit --store "$2" 2>&1 | grep -q "does not exist (give the daemon"' _ "$bin" "$tmp/nope.db"

v=$("$bin" scan --policy "$pol" --store "$db" --from pat@example.net --rcpt billing@support.example.com --at 2026-11-30T10:00:00Z "$tmp/in.eml")
# The rule the header names is the rule the record carries.
rule=$(python3 -c 'import json,sys; v=json.loads(sys.argv[1])
h=next(h[1] for h in v["headers_added"] if h[0] == "X-Helpdesk-Priority")
print(h.split("rule=")[1].split(";")[0])' "$v")
check "the header names the outage rule" test "$rule" = outage-or-key-account
check "audit --rule with the header's rule finds the inbound record" test "$("$bin" audit --store "$db" --format json --kind inbound --rule "$rule" | wc -l)" = 1
"$bin" scan --policy "$pol" --store "$db" --auth alice@support.example.com --from alice@support.example.com --rcpt pat@example.net --at 2026-11-30T11:00:00Z "$tmp/reply.eml" >/dev/null

# Filters are validated (EX_USAGE).
check "--kind bogus exits 64" exits 64 "$bin" audit --store "$db" --kind bogus
check "--team unknown to the policy exits 64" exits 64 "$bin" audit --store "$db" --policy "$pol" --team nosuchteam
check "--team known to the policy exits 0" exits 0 "$bin" audit --store "$db" --policy "$pol" --team billing
check "--limit abc exits 64" exits 64 "$bin" audit --store "$db" --limit abc
check "--limit 5x exits 64" exits 64 "$bin" audit --store "$db" --limit 5x
check "--limit -1 exits 64" exits 64 "$bin" audit --store "$db" --limit -1

# Filters that find.
n() { "$bin" audit --store "$db" --format json "$@" | wc -l; }
check "--agent is case-insensitive" test "$(n --agent ALICE@support.EXAMPLE.com)" -ge 1
check "--agent matches the same rows in any case" test "$(n --agent ALICE@support.EXAMPLE.com)" = "$(n --agent alice@support.example.com)"
check "--message-id finds the inbound" test "$(n --message-id ctl-1@example.net --kind inbound)" = 1
check "--queue-id filters" test "$(n --queue-id helpdeskctl)" -ge 2
check "--queue-id of another message finds none" test "$(n --queue-id NOSUCH)" = 0
check "--action filters" test "$(n --action notify)" = "$(n --kind escalation)"
check "--limit 1 gives one row" test "$(n --limit 1)" = 1

# CSV: every JSON column, formula cells neutralised.
csv=$("$bin" audit --store "$db" --format csv --kind inbound --message-id ctl-1@example.net)
check "CSV has every JSON column" test "$(head -1 <<<"$csv" | tr -d '\r')" = "seq,at,kind,ticket,team,priority,agent,rule,action,text,queue_id,message_id,policy,policy_version,prev_hash,hash,detail"
check "a formula subject is neutralised" grep -q "\"'=HYPERLINK(\"\"http://x\"\")" <<<"$csv"
json_cols=$("$bin" audit --store "$db" --format json --limit 1 | python3 -c 'import json,sys; print(",".join(json.loads(sys.stdin.readline()).keys()))')
check "CSV and JSON columns agree" test "$(head -1 <<<"$csv" | tr -d '\r')" = "$json_cols"
# Table: no ESC reaches the terminal.
check "table output has no control characters" bash -c '! "$1" audit --store "$2" | tr -d "\n" | grep -q "[[:cntrl:]]"' _ "$bin" "$db"
check "table shows the escaped subject" bash -c '"$1" audit --store "$2" --kind inbound | grep -q "?\[31m red"' _ "$bin" "$db"

# Retention: expire through a checkpoint; the chain still verifies.
"$bin" scan --policy "$pol" --store "$db" --from pat@example.net --rcpt billing@support.example.com --at 2026-11-30T20:00:00Z "$tmp/in.eml" >/dev/null
total=$(n)
old=$(n --until 2026-11-30T15:00:00Z)
check "expire of a missing store exits 66" exits 66 "$bin" expire --store "$tmp/nope.db" --before 2026-12-01
check "expire --before in the future exits 64" exits 64 "$bin" expire --store "$db" --before 2999-01-01
check "expire without a date exits 64" exits 64 "$bin" expire --store "$db"
out=$("$bin" expire --store "$db" --before 2026-11-30T15:00:00Z)
check "expire says what it removed" grep -q "^removed $old records (1\.\.$old) received before 2026-11-30T15:00:00Z" <<<"$out"
check "the old records are gone, a checkpoint added" test "$(n)" = $((total - old + 1))
check "audit --verify still verifies after expiry" exits 0 "$bin" audit --store "$db" --verify
cp=$("$bin" audit --store "$db" --kind checkpoint --format json)
check "the checkpoint record says what was removed" grep -q "\"removed\":$old,\"first_seq\":1,\"last_seq\":$old," <<<"$cp"
check "the checkpoint names the chain hash at the cut" grep -q '"cut_hash":"[0-9a-f]\{64\}"' <<<"$cp"
check "expire again removes nothing" bash -c '"$1" expire --store "$2" --before 2026-11-30T15:00:00Z | grep -q "^nothing to remove"' _ "$bin" "$db"
printf 'policy: %s\nstore: %s\n' "$pol" "$db" >"$tmp/noret.yaml"
check "expire -c without retention exits 78" exits 78 "$bin" expire -c "$tmp/noret.yaml"
printf 'policy: %s\nstore: %s\nretention: { keep: 1d }\n' "$pol" "$db" >"$tmp/ret.yaml"
check "expire -c applies retention.keep" bash -c '"$1" expire -c "$2" | grep -q "^removed "' _ "$bin" "$tmp/ret.yaml"
# Left: the first checkpoint (written just now, within keep) and the second.
check "only the two checkpoints are left" test "$(n --kind checkpoint)" = 2 -a "$(n)" = 2
check "the chain verifies after a second expiry" exits 0 "$bin" audit --store "$db" --verify

scan_done

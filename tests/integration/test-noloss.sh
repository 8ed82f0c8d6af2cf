#!/bin/bash
# test-noloss.sh - SPEC s.10: a milter must never lose mail. 50 messages are
# sent by a client that retries on 4xx (as an MTA would) while the milter is
# killed with SIGKILL and restarted twice mid-run. Every message must be
# delivered exactly once, and every delivered copy must carry
# X-Helpdesk-Ticket (nothing slipped through undecided).
# Usage: BUILD=builddir tests/integration/test-noloss.sh
. "$(dirname "$0")/postfix-env.sh"
hd_env_init

N=${NOLOSS_COUNT:-50}
RUN=$(uniq_token)
RESULTS=$T/noloss.results

milter_config "$T/milter.yaml" "unix:$T/milter/milter.sock"
milter_start "$T/milter.yaml" || { nok "milter starts"; summary; exit 1; }
pf_start "unix:$T/milter/milter.sock" || { nok "postfix starts"; summary; exit 1; }

# Send message I, retrying on anything but a 250 or a 5xx.
send_retrying() {
	local i=$1 tries=0 out f=$T/noloss-$1.eml
	{
		printf 'From: Customer %s <c%s@example.net>\r\nTo: billing@support.example.com\r\n' "$i" "$i"
		printf 'Subject: noloss %s %s\r\nMessage-ID: <noloss-%s-%s@client.test.invalid>\r\n' \
			"$RUN" "$i" "$RUN" "$i"
		printf 'Date: %s\r\n\r\nMessage number %s of the no-loss run.\r\n' "$(date -R)" "$i"
		# a few KB of body so that kills can land mid-transfer
		for _ in $(seq 1 40); do printf 'Invoice line with some words for the matcher %s\r\n' "$i"; done
	} >"$f"
	while [ $tries -lt 120 ]; do
		tries=$((tries + 1))
		out=$(swaks --server 127.0.0.1 --port "$PF_PORT" --helo client.test.invalid \
			--from "c$i@example.net" --to billing@support.example.com --data "$f" \
			--timeout 60 2>&1)
		if grep -q '<-  250 2.0.0 Ok: queued' <<<"$out"; then
			echo "$i sent tries=$tries" >>"$RESULTS"
			return 0
		fi
		if grep -qE '<\*\* +5[0-9][0-9]' <<<"$out"; then
			echo "$i rejected: $(grep -E '<\*\* +5' <<<"$out" | head -1)" >>"$RESULTS"
			return 1
		fi
		sleep 0.3
	done
	echo "$i gave-up" >>"$RESULTS"
	return 1
}

: >"$RESULTS"
(
	for i in $(seq 1 "$N"); do send_retrying "$i"; done
) &
SENDER=$!

# Count finished sends.
done_count() { wc -l <"$RESULTS"; }

# Kill the milter with SIGKILL once COUNT messages are through, restart it.
kill_at() {
	local count=$1
	for _ in $(seq 1 600); do
		[ "$(done_count)" -ge "$count" ] && break
		sleep 0.1
	done
	sleep 0.$((RANDOM % 9 + 1))	# land somewhere inside a transaction
	echo "# SIGKILL milter (pid $MILTER_PID) after $(done_count) messages"
	milter_stop KILL
	sleep 1.5			# the client sees 4xx meanwhile and retries
	milter_start "$T/milter.yaml" || nok "milter restarts after SIGKILL"
}
kill_at $((N / 5))
kill_at $((N * 3 / 5))
wait "$SENDER"

check "all $N messages were accepted by Postfix" test "$(grep -c ' sent ' "$RESULTS")" = "$N"
check "no message was rejected or given up" bash -c '! grep -qE "rejected|gave-up" "$1"' _ "$RESULTS"
retried=$(awk '{sub("tries=","",$3); if ($3 > 1) n++} END {print n+0}' "$RESULTS")
echo "# $retried message(s) needed retries (the milter was down or killed mid-message)"
check "the kills really hit messages (some retries happened)" test "$retried" -gt 0

# Wait for delivery, then check each message exactly once, stamped.
box=$T/mail/support.example.com/billing
for _ in $(seq 1 300); do
	[ "$(grep -rlF --exclude-dir=tmp "noloss-$RUN-" "$box" 2>/dev/null | wc -l)" -ge "$N" ] && break
	sleep 0.2
done
sleep 1
missing=0 dup=0 unstamped=0
for i in $(seq 1 "$N"); do
	files=$(grep -rlF --exclude-dir=tmp "Message-ID: <noloss-$RUN-$i@" "$box" 2>/dev/null)
	n=$(printf '%s' "$files" | grep -c .)
	if [ "$n" -eq 0 ]; then missing=$((missing + 1)); echo "# missing: $i"; fi
	if [ "$n" -gt 1 ]; then dup=$((dup + 1)); echo "# duplicated: $i ($n copies)"; fi
	for f in $files; do
		mail_headers "$f" | grep -qi '^X-Helpdesk-Ticket: [^ ]' || {
			unstamped=$((unstamped + 1)); echo "# unstamped: $i ($f)"; }
	done
done
check "every message delivered (missing: $missing)" test "$missing" -eq 0
check "no message delivered twice (duplicates: $dup)" test "$dup" -eq 0
check "every delivered copy carries X-Helpdesk-Ticket (unstamped: $unstamped)" test "$unstamped" -eq 0
check "nothing left in the Postfix queue" \
	bash -c '[ -z "$(find "$1/spool/deferred" "$1/spool/active" "$1/spool/incoming" -type f 2>/dev/null)" ]' _ "$T"
check "milter alive at the end" milter_alive

summary

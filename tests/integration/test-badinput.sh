#!/bin/bash
# test-badinput.sh - hostile MIME through a real Postfix: 1000-deep multipart
# nesting, 50,000 headers, NUL bytes, broken base64, unknown charsets, a 20 MB
# body (past limits.message_bytes). The milter must answer every one (250, or
# 4xx under on_failure=tempfail; never a crash, a hang or a silent drop) and
# still stamp a normal message afterwards. MILTER_VALGRIND=1 runs the milter
# under valgrind and fails on any error it reports.
# Usage: BUILD=builddir [MILTER_VALGRIND=1] tests/integration/test-badinput.sh
. "$(dirname "$0")/postfix-env.sh"
hd_env_init

milter_config "$T/milter.yaml" "unix:$T/milter/milter.sock"
milter_start "$T/milter.yaml" || { nok "milter starts"; summary; exit 1; }
pf_start "unix:$T/milter/milter.sock" || { nok "postfix starts"; summary; exit 1; }

# Common headers of a hostile message to FILE with TOKEN.
head_of() {
	printf 'From: Mallory <mallory@example.net>\r\nTo: billing@support.example.com\r\n'
	printf 'Subject: hostile %s\r\nMessage-ID: <%s@client.test.invalid>\r\nMIME-Version: 1.0\r\n' "$1" "$1"
}

gen_deep() {	# 1000 nested multiparts
	local tok=$1 i
	head_of "$tok"
	printf 'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n'
	for i in $(seq 1 999); do
		printf -- '--b%d\r\nContent-Type: multipart/mixed; boundary="b%d"\r\n\r\n' $((i - 1)) "$i"
	done
	printf -- '--b999\r\nContent-Type: text/plain\r\n\r\nour site is down, lawyer\r\n--b999--\r\n'
	for i in $(seq 998 -1 0); do printf -- '--b%d--\r\n' "$i"; done
}
gen_headers() {	# 50,000 headers and a 500 KB one
	local tok=$1
	head_of "$tok"
	awk 'BEGIN { for (i = 0; i < 50000; i++) printf "X-Filler-%d: value %d\r\n", i, i }'
	# one 500 KB header, folded every 70 characters
	awk 'BEGIN { printf "X-Huge: start"; for (i = 0; i < 7000; i++) printf "\r\n\tfolded line %06d of a huge header value with words", i; printf "\r\n" }'
	printf 'X-Helpdesk-Priority: critical; forged at the end\r\n'
	printf 'Content-Type: text/plain\r\n\r\nbody\r\n'
}
gen_nul() {	# NUL bytes and other control characters
	local tok=$1
	head_of "$tok"
	printf 'Content-Type: text/plain; charset=utf-8\r\n\r\nbefore\0after\r\n\0\0\0\r\n\x01\x02\x7f\xff\xfe\r\ncalm\0 down\r\n'
}
gen_base64() {	# broken base64 and truncated parts
	local tok=$1
	head_of "$tok"
	printf 'Content-Type: multipart/alternative; boundary="x"\r\n\r\n--x\r\n'
	printf 'Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!not*base64====\r\nQUJD\r\n=====\r\n--x\r\n'
	printf 'Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>=ZZ=\r\n=3\r\n<b>unterminated'
	printf '\r\n--x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJDRE'
	printf '\r\n'	# no closing boundary at all
}
gen_charset() {	# unknown and lying charsets, encoded words
	local tok=$1
	head_of "$tok"
	printf 'X-Note: =?x-unknown-42?B?SGVsbG8=?= =?utf-8?Q?broken=ZZ?=\r\n'
	printf 'Content-Type: multipart/mixed; boundary="c"\r\n\r\n--c\r\n'
	printf 'Content-Type: text/plain; charset=x-klingon-9000\r\n\r\nqapla outage\r\n--c\r\n'
	printf 'Content-Type: text/plain; charset=utf-8\r\n\r\n\xc3\x28 \xe2\x82 \xf0\x9f\x98\r\n--c\r\n'
	printf 'Content-Type: text/plain; charset="utf-16"\r\n\r\n\xff\xfeh\x00i\x00\r\n--c--\r\n'
}
gen_big() {	# 20 MB body, more than limits.message_bytes (10M)
	local tok=$1
	head_of "$tok"
	printf 'Content-Type: text/plain\r\n\r\n'
	awk 'BEGIN { for (i = 0; i < 350000; i++) printf "%07d the quick brown fox jumps over the lazy dog again\r\n", i }'
	printf 'lawyer at the very end, beyond the limit\r\n'
}

for kind in deep headers nul base64 charset big; do
	tok=bad-$kind-$(uniq_token)
	"gen_$kind" "$tok" >"$T/$kind.eml"
	start=$(date +%s)
	send --from mallory@example.net --to billing@support.example.com --data "$T/$kind.eml"
	took=$(( $(date +%s) - start ))
	code=$(final_reply)
	echo "# $kind: $(wc -c <"$T/$kind.eml") bytes, final reply $code, ${took}s"
	check "$kind: answered with 250 or 4xx (got ${code:-none})" \
		bash -c '[ "$1" = 250 ] || [ "${1#4}" != "$1" ]' _ "$code"
	check "$kind: milter still running" milter_alive
	if [ "$code" = 250 ]; then
		f=$(wait_mail "$T/mail/support.example.com/billing" "$tok" 60)
		check "$kind: delivered copy is stamped X-Helpdesk-Ticket" \
			bash -c '[ -n "$1" ] && sed "/^\r\?$/q" "$1" | grep -qi "^X-Helpdesk-Ticket: [^ ]"' _ "$f"
		if [ "$kind" = headers ] && [ -n "$f" ]; then
			check "headers: forged header after 50,000 others removed" \
				bash -c '! grep -q "forged at the end" "$1"' _ "$f"
		fi
	fi
done

# Still serving normal mail afterwards.
tok=after-$(uniq_token)
{ head_of "$tok"; printf 'Content-Type: text/plain\r\n\r\nA normal question.\r\n'; } >"$T/after.eml"
send --from customer@example.net --to billing@support.example.com --data "$T/after.eml"
check "normal mail after the hostile ones accepted" grep -q '<-  250' <<<"$SENT"
f=$(wait_mail "$T/mail/support.example.com/billing" "$tok")
check "normal mail after the hostile ones stamped" \
	bash -c '[ -n "$1" ] && grep -qi "^X-Helpdesk-Ticket:" "$1"' _ "$f"

milter_stop_clean

summary

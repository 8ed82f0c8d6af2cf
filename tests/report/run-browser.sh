#!/bin/bash
# run-browser.sh [BUILD_DIR] - open the HTML KPI report and the HTML policy card
# in real headless Chromium: take screenshots (left in $HD_REPORT_OUT, default a
# temp dir), check the page loads nothing from the network and logs nothing to
# the console, that every number on the report page equals the JSON report's
# (check-page.js), and that the card prints on one A4 page. The store is built
# through helpdeskctl scan (the engine) with fixed times. Exit 77 (skipped) only
# when chromium is missing and cannot be installed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${BUILD_DIR:-$top/build}}
ctl=$build/src/helpdeskctl/helpdeskctl
policy=$top/conf/policy.yaml
out=${HD_REPORT_OUT:-$(mktemp -d /tmp/hd-report-XXXXXX)}
AT=2026-12-08T12:00:00Z
mkdir -p "$out"

find_chromium() { command -v chromium || command -v chromium-browser || true; }
chrome=$(find_chromium)
if [ -z "$chrome" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 || true
	chrome=$(find_chromium)
fi
if [ -z "$chrome" ]; then
	echo "run-browser.sh: chromium is not installed and could not be installed: skipped" >&2
	exit 77
fi
command -v node >/dev/null || { echo "run-browser.sh: node is needed (apt-get install nodejs)" >&2; exit 1; }
[ -x "$ctl" ] || { echo "run-browser.sh: no $ctl: build first" >&2; exit 1; }

# One message through the engine: scan FROM RCPT AUTH AT MESSAGE-TEXT
scan() {
	local from=$1 rcpt=$2 auth=$3 when=$4 msg=$5
	printf '%b' "$msg" >"$out/msg.eml"
	"$ctl" scan --policy "$policy" --store "$out/store.db" --from "$from" --rcpt "$rcpt" \
		${auth:+--auth "$auth"} --at "$when" "$out/msg.eml" >/dev/null
}
rm -f "$out/store.db"
C=pat@example.net
# A hostile subject: it must reach the page, if at all, as text.
scan $C billing@support.example.com "" 2026-11-30T16:00:00Z \
	'From: <pat@example.net>\nMessage-ID: <b1@example.net>\nSubject: <script>alert(1)</script><img src="http://192.0.2.9/x.png">\n\nInvoice wrong.\n'
scan $C billing@support.example.com "" 2026-11-30T09:00:00Z \
	'From: <pat@example.net>\nMessage-ID: <b2@example.net>\nSubject: Charged twice\n\nPlease fix.\n'
scan $C support@support.example.com "" 2026-12-01T08:00:00Z \
	'From: <pat@example.net>\nMessage-ID: <b3@example.net>\nSubject: outage\n\nAll down, my lawyer knows.\n'
scan $C support@support.example.com "" 2026-12-07T10:00:00Z \
	'From: <pat@example.net>\nMessage-ID: <b4@example.net>\nSubject: urgent\n\nCannot log in.\n'
scan $C billing@support.example.com "" 2026-12-08T09:00:00Z \
	'From: <pat@example.net>\nMessage-ID: <b5@example.net>\nSubject: urgent invoice\n\nPlease.\n'
A=alice@support.example.com B=bob@support.example.com
scan $A $C $A 2026-12-01T10:00:00Z 'Subject: Re: x\nReferences: <b1@example.net>\n\nFixed today.\n'
scan $A $C $A 2026-12-01T10:30:00Z 'Subject: Re: x\nReferences: <b2@example.net>\n\nPlease calm down.\n'
scan $A $C $A 2026-12-01T11:00:00Z 'Subject: Re: x\nReferences: <b2@example.net>\n\nSorted.\n'
scan $B $C $B 2026-12-01T09:30:00Z 'Subject: Re: x\nReferences: <b3@example.net>\n\nThis is not our fault.\n'
scan $B $C $B 2026-12-07T15:00:00Z 'Subject: Re: x\nReferences: <b4@example.net>\nX-Helpdesk-Exception-Request: policy=fee-waiver; tier=1; reason="first time"\n\nFee waived.\n'

# A ticket row with hostile values, as a compromised or foreign writer could leave
# it: on the page it must stay text (no element, no load, no console output).
if command -v sqlite3 >/dev/null; then
	sqlite3 "$out/store.db" "INSERT INTO tickets (id, team, priority, opened, first_response_due)
		VALUES ('HD-<i>EVIL</i>', '<img src=\"http://192.0.2.9/t.png\" onerror=\"console.error(1)\">',
			'standard\"><b>x</b>', 1796472000, 1796475600)"
fi
"$ctl" report --store "$out/store.db" --policy "$policy" --at $AT --by week --format json --output "$out/report.json"
"$ctl" report --store "$out/store.db" --policy "$policy" --at $AT --by week --format html --output "$out/report.html"
"$ctl" card --policy "$policy" --format html >"$out/card.html"

if grep -Eqi '<script|<link|@import|url\(http|src="http' "$out/report.html" "$out/card.html"; then
	echo "FAIL: a page carries a script, a link or an external URL" >&2
	exit 1
fi

# Headless chromium, as root without the sandbox; logs to files in $out.
chrome_run() {
	local name=$1; shift
	timeout 120 "$chrome" --headless=new --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-default-apps --user-data-dir="$out/profile-$name" --enable-logging=stderr --v=0 \
		--log-net-log="$out/$name-net.json" "$@" 2>>"$out/$name-console.log"
}
fail=0
for page in report card; do
	: >"$out/$page-console.log"
	height=5200
	[ $page = card ] && height=1500
	chrome_run "$page" --window-size=1000,$height --screenshot="$out/$page.png" "file://$out/$page.html" >/dev/null
	chrome_run "$page-dom" --dump-dom "file://$out/$page.html" >"$out/$page-dom.html"
	chrome_run "$page-pdf" --no-pdf-header-footer --print-to-pdf="$out/$page.pdf" "file://$out/$page.html" >/dev/null
	[ -s "$out/$page.png" ] || { echo "FAIL: no screenshot of $page" >&2; fail=1; }
	pages=$(grep -c '/Type /Page\b' "$out/$page.pdf" || true)
	echo "$page: screenshot $out/$page.png, PDF $pages A4 page(s)"
	cat "$out/$page-dom-console.log" >>"$out/$page-console.log"
done
pages=$(grep -c '/Type /Page\b' "$out/card.pdf" || true)
[ "$pages" = 1 ] || { echo "FAIL: the card prints on $pages pages, not 1" >&2; fail=1; }
if grep -Eq '<script|<img|<i>EVIL|<b>x' "$out/report-dom.html" "$out/card-dom.html"; then
	echo "FAIL: a value from the store became markup in a rendered page" >&2
	fail=1
fi
node "$top/tests/report/check-page.js" "$out/report-dom.html" "$out/report.json" "$out/report-net.json" \
	"$out/report-console.log" || fail=1
node "$top/tests/report/check-page.js" "$out/card-dom.html" - "$out/card-net.json" "$out/card-console.log" || fail=1
[ -n "${HD_REPORT_OUT:-}" ] || [ $fail -ne 0 ] || rm -rf "$out"
exit $fail

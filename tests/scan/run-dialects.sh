#!/bin/bash
# Golden tests of the helpdesk dialects (SPEC s.12): each case
# tests/scan/dialects/NAME.args holds `helpdeskctl scan` arguments (one per
# line; @DIR@ is the dialects folder) run with a config that seals, and
# NAME.out the exact output (the delivered message, or the verdict). Cases run
# in the order listed in ORDER below, on one store, so threading by the
# helpdesk's ticket number (learnt from RT's autoreply) is tested too. Every delivered message must pass
# `helpdeskctl verify-seal`, and fail it once a stamp is altered. Run with
# --regen to rewrite the expectations (then review every diff by hand).
set -u
top=$(cd "${TOP_SRCDIR:-$(dirname "$0")/../..}" && pwd)
bin=${TOP_BUILDDIR:-$top}/src/helpdeskctl/helpdeskctl
dir=$top/tests/scan/dialects
regen=no
[ "${1:-}" = --regen ] && regen=yes
ORDER="znuny-forged zammad-forged zammad-followup osticket-forged rt-forged rt-agent-reply rt-customer-followup rt-autoreply rt-agent-tag-only"
tmp=$(mktemp -d /tmp/hd-dialects.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
printf 'dialects-test-secret-0123456789\n' > "$tmp/k1.key"
chmod 600 "$tmp/k1.key"
cat > "$tmp/config.yaml" <<CFG
policy: $dir/policy.yaml
store: sqlite:$tmp/store.db
seal: { key_id: k1, key_file: k1.key }
CFG
pass=0
fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
notok() { echo "not ok - $1"; fail=$((fail + 1)); }
for name in $ORDER; do
	mapfile -t argv < <(sed -e "s|@DIR@|$dir|g" -e '/^#/d' -e '/^$/d' "$dir/$name.args")
	out=$("$bin" scan -c "$tmp/config.yaml" --store "sqlite:$tmp/store.db" "${argv[@]}" 2>&1)
	printf '%s\n' "$out" > "$tmp/$name.delivered"
	if [ $regen = yes ]; then
		printf '%s\n' "$out" > "$dir/$name.out"
		echo "regenerated $name"
		continue
	fi
	if diff -u "$dir/$name.out" "$tmp/$name.delivered" > "$tmp/diff"; then
		ok "$name"
	else
		notok "$name"; cat "$tmp/diff"
	fi
	# A delivered message carries a good seal; an altered stamp breaks it.
	if grep -q '^X-Helpdesk-Seal:' "$tmp/$name.delivered"; then
		if "$bin" verify-seal --key-file "k1=$tmp/k1.key" "$tmp/$name.delivered" > "$tmp/v" 2>&1; then
			ok "$name: seal good"
		else
			notok "$name: seal good"; cat "$tmp/v"
		fi
		sed -e 's/^\(X-Helpdesk-Priority: \)[a-z]*/\1low/' "$tmp/$name.delivered" > "$tmp/altered"
		if ! "$bin" verify-seal --key-file "k1=$tmp/k1.key" "$tmp/altered" > "$tmp/v" 2>&1 &&
		   grep -q '^bad:' "$tmp/v"; then
			ok "$name: altered seal refused"
		else
			notok "$name: altered seal refused"; cat "$tmp/v"
		fi
		# The RT extension's Perl verifier agrees with the C one.
		if perl -MDigest::SHA -e1 2>/dev/null; then
			rtv() { perl -I"$top/contrib/rt/lib" "$top/contrib/rt/t/verify.pl" "k1=$tmp/k1.key" "$1"; }
			if [ "$(rtv "$tmp/$name.delivered")" = good ] &&
			   [ "$(rtv "$tmp/altered")" = "seal does not match" ]; then
				ok "$name: RT extension verifies the same"
			else
				notok "$name: RT extension verifies the same"
			fi
		fi
	fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]

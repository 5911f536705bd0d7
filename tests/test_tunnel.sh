#!/bin/sh
# Inside the IP-HTTPS tunnel, end to end on the lab captures
# (testdata/gen/iphttps-inner.sh): the tunnel facts in the JSON document, the
# encrypted case, and --export-inner read back by tshark (skipped when
# tshark is not installed). Verdict ids and frames are in
# testdata/scenarios/expected.tsv (test_e2e). Run from the top of the tree.
set -u
. tests/lib.sh
S=testdata/scenarios
# has FILE TEXT: the JSON output holds this line fragment
has() { grep -qF -- "$2" "$1" && ok || bad "$1 lacks '$2'"; }

"$CLI" -f json "$S/inner-ok-ikev2.pcap" >"$tmp/ok.json"
has "$tmp/ok.json" '"iphttps": true'
has "$tmp/ok.json" '"prefix": "2001:db8:1::/64"'
has "$tmp/ok.json" '"protocol": "IKEv2"'
has "$tmp/ok.json" '"established": true'
has "$tmp/ok.json" '"first_query": "dc.corp.example"'
has "$tmp/ok.json" '"framing_error": null'
"$CLI" -f json "$S/inner-ok-ikev1.pcap" >"$tmp/v1.json"
has "$tmp/v1.json" '"protocol": "IKEv1"'
has "$tmp/v1.json" '"type": "Quick Mode"'
"$CLI" -f json "$S/inner-ikev1-no-proposal.pcap" >"$tmp/np.json"
has "$tmp/np.json" '"name": "NO_PROPOSAL_CHOSEN"'
"$CLI" -f json "$S/inner-http-503-adc.pcap" >"$tmp/503.json"
has "$tmp/503.json" '"line": "HTTP/1.1 503 Service Unavailable"'
# an encrypting suite: said plainly, nothing guessed
"$CLI" -f json "$S/enc-aes-openssl.pcap" >"$tmp/enc.json"
has "$tmp/enc.json" '"encrypted": true'
"$CLI" -v "$S/enc-aes-openssl.pcap" >"$tmp/enc.txt"
has "$tmp/enc.txt" 'tunnel content encrypted'

# --export-inner: raw IPv6 pcapng, outer timestamps, outer frame comments
"$CLI" --export-inner "$tmp/inner.pcapng" "$S/inner-ok-ikev2.pcap" \
    >/dev/null 2>"$tmp/err"
[ $? = 0 ] && ok || bad "--export-inner exit status: $(cat "$tmp/err")"
[ "$(od -An -tx1 -N4 "$tmp/inner.pcapng" | tr -d ' ')" = 0a0d0d0a ] && ok ||
	bad "--export-inner did not write a pcapng section header"
"$CLI" --export-inner /nonexistent/dir/x.pcapng "$S/inner-ok-ikev2.pcap" \
    >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q "cannot write /nonexistent/dir/x.pcapng" "$tmp/err" &&
	ok || bad "--export-inner to a bad path: $(cat "$tmp/err")"
"$CLI" --redact --export-inner "$tmp/r.pcapng" "$S/inner-ok-ikev2.pcap" \
    >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q "cannot be combined with --redact" "$tmp/err" && ok ||
	bad "--export-inner with --redact: $(cat "$tmp/err")"
if command -v tshark >/dev/null 2>&1; then
	tshark -r "$tmp/inner.pcapng" -T fields -e frame.comment \
	    -e _ws.col.Protocol -e _ws.col.Info >"$tmp/tshark" 2>"$tmp/terr"
	[ $? = 0 ] && ok || bad "tshark -r: $(cat "$tmp/terr")"
	grep -q 'Router Advertisement' "$tmp/tshark" && ok ||
		bad "tshark sees no Router Advertisement: $(cat "$tmp/tshark")"
	grep -q 'ISAKMP.*IKE_SA_INIT' "$tmp/tshark" && ok ||
		bad "tshark sees no IKE_SA_INIT"
	grep -q '	DNS	' "$tmp/tshark" && ok || bad "tshark sees no DNS"
	grep -q '	ESP	' "$tmp/tshark" && ok || bad "tshark sees no ESP"
	# the first IKE packet's comment names the outer frame the JSON gives
	f=$(grep -m1 'IKE_SA_INIT' "$tmp/tshark" | sed 's/^outer frame \([0-9]*\) .*/\1/')
	sed -n '/"protocol": "IKEv2"/,$p' "$tmp/ok.json" | grep -m1 first_frame |
	    grep -q "\"first_frame\": $f," && ok ||
		bad "IKE outer frame $f is not the JSON's first_frame"
else
	echo "skip: tshark not installed, --export-inner not read back"
fi

summary tunnel

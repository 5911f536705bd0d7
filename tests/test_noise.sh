#!/bin/sh
# Issue 16: every scenario keeps its verdicts when a client's other traffic
# is in the capture. Each line of testdata/scenarios/expected.tsv is run on
# the scenario alone and merged (mergecap) with the browser-like noise of
# testdata/noise/ (testdata/gen/noise.sh: self-signed, wrong-name, no-SNI
# and TLS 1.3 connections, UDP 443 datagrams, connections caught
# mid-stream) shifted to several offsets around the scenario, with the
# line's options and with --host added or removed: the verdict ids and the
# exit status must be those of the scenario alone, and with the line's own
# options its expected ids present and forbidden ids absent.
set -u
. tests/lib.sh
for t in mergecap editcap capinfos; do
	command -v $t >/dev/null 2>&1 || { echo "noise: $t missing, skipped"; exit 0; }
done

ids() {		# verdict ids of a JSON document, sorted, once each
	tr ',' '\n' <"$1" | sed -n 's/^ *"id": "\([a-z-]*\)".*/\1/p' |
	    LC_ALL=C sort -u | tr '\n' ' '
}

# the noise, one file: browser-like connections and mid-stream ones
mergecap -w "$tmp/noise.pcapng" testdata/noise/browser.pcapng \
    testdata/noise/midstream.pcapng
nstart=$(capinfos -a -T -r -S "$tmp/noise.pcapng" | awk -F'\t' '{print $2}' |
    cut -d. -f1)
# empty columns become "-" first: read with a tab IFS would merge them
grep -v '^#' testdata/scenarios/expected.tsv |
    awk -F'\t' -v OFS='\t' '{ for (i = 1; i <= 6; i++) if ($i == "") $i = "-"; print }' |
while IFS='	' read -r file opts want _frames wexit absent; do
	[ "$opts" = - ] && opts=
	[ "$want" = - ] && want=
	[ "$absent" = - ] && absent=
	cap=testdata/scenarios/$file
	start=$(capinfos -a -T -r -S "$cap" 2>/dev/null | awk -F'\t' '{print $2}' |
	    cut -d. -f1)
	[ -n "$start" ] || { bad "$file: no start time"; continue; }
	case " $opts " in
	*" --host "*) other=$(echo "$opts" | sed 's/--host [^ ]*//') ;;
	*) other="--host da.corp.example $opts" ;;
	esac
	for mode in own other; do
		o=$opts
		[ $mode = other ] && o=$other
		# shellcheck disable=SC2086
		"$CLI" -f json $o "$cap" >"$tmp/clean.json" 2>/dev/null
		cexit=$?
		cids=$(ids "$tmp/clean.json")
		# interleaved with the scenario, and 3 s before it
		off=0
		[ $mode = other ] && off=-3
		{
				editcap -t $((start - nstart + off)) \
				    "$tmp/noise.pcapng" "$tmp/n.pcapng"
				mergecap -w "$tmp/m.pcapng" "$cap" "$tmp/n.pcapng"
				# shellcheck disable=SC2086
				"$CLI" -f json $o "$tmp/m.pcapng" >"$tmp/m.json" \
				    2>/dev/null
				mexit=$?
				mids=$(ids "$tmp/m.json")
				what="$file ($o) + noise at ${off}s"
				[ "$mexit" = "$cexit" ] ||
				    { bad "$what: exit $mexit, alone $cexit"; continue; }
				case " $o " in
				*" --all "*) ;;	# background shown on purpose
				*) [ "$mids" = "$cids" ] || { bad "$what: ids [$mids], alone [$cids]"; continue; } ;;
				esac
				if [ $mode = own ]; then
					[ "$mexit" = "$wexit" ] || { bad "$what: exit $mexit, expected $wexit"; continue; }
					for i in $(echo "$want" | tr ',' ' '); do
						case " $mids " in *" $i "*) ;; *) bad "$what: $i missing" ;; esac
					done
					for i in $(echo "$absent" | tr ',' ' '); do
						case " $mids " in *" $i "*) bad "$what: $i present" ;; esac
					done
				fi
				pass=$((pass + 1))
		}
	done
	echo "$pass $fail" >"$tmp/count"
done
read -r pass fail <"$tmp/count" 2>/dev/null || { pass=0; fail=1; }
echo "noise: $pass merged runs as the scenario alone, $fail failed"
[ "$fail" -eq 0 ]

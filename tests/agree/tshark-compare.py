#!/usr/bin/env python3
"""Compare datrace's TLS facts with Wireshark's dissection (developer tool,
not needed by CI).

For every capture given (default: testdata/ and ../shared/corpus/), runs
`datrace --all -f json` and `tshark -T fields`, matches connections by their
endpoints, and compares per connection: the plaintext handshake messages in
order (type and sender), the ClientHello's cipher suites, the ServerHello's
suite, the plaintext alerts, and the number of server certificates.
Frames are compared too but reported apart: Wireshark puts a message that
spans TCP segments on the frame that completed it, datrace on the frame that
carried its first byte.

Usage: python3 tests/agree/tshark-compare.py [-v] [--datrace PATH] [CAPTURE...]
Prints the differences and the agreement figure; exit status 0.
"""
import glob
import json
import os
import subprocess
import sys

HS_TYPES = {
    "hello_request": 0, "client_hello": 1, "server_hello": 2,
    "hello_retry_request": 2, "new_session_ticket": 4,
    "end_of_early_data": 5, "encrypted_extensions": 8, "certificate": 11,
    "server_key_exchange": 12, "certificate_request": 13,
    "server_hello_done": 14, "certificate_verify": 15,
    "client_key_exchange": 16, "finished": 20, "certificate_url": 21,
    "certificate_status": 22, "supplemental_data": 23, "key_update": 24,
}

FIELDS = ["frame.number", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst",
          "ipv6.dst", "tcp.dstport", "tls.handshake.type",
          "tls.handshake.ciphersuite", "tls.alert_message.level",
          "tls.alert_message.desc", "tls.handshake.certificate_length",
          "tls.record.content_type"]


def endpoint(ip, port):
    return "[%s]:%s" % (ip, port) if ":" in ip else "%s:%s" % (ip, port)


def tshark(path):
    cmd = ["tshark", "-r", path, "-n", "-Y", "tcp and (tls or ssl)", "-T",
           "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E",
           "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True,
                             timeout=300).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    conns = {}
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        # tunnels: the innermost addresses are the last ones
        src = endpoint((v["ip.src"] or v["ipv6.src"]).split(",")[-1],
                       v["tcp.srcport"].split(",")[-1])
        dst = endpoint((v["ip.dst"] or v["ipv6.dst"]).split(",")[-1],
                       v["tcp.dstport"].split(",")[-1])
        c = conns.setdefault(frozenset((src, dst)), {
            "msgs": [], "frames": [], "suites": None, "suite": None,
            "alerts": [], "certs": None, "first": src})
        frame = int(v["frame.number"])
        types = [int(t) for t in v["tls.handshake.type"].split(",") if t]
        who = src	# resolved to client/server once datrace's roles known
        suites = [int(s, 0) for s in v["tls.handshake.ciphersuite"].split(",")
                  if s]
        for t in types:
            c["msgs"].append((who, t))
            c["frames"].append(frame)
            if t == 1 and c["suites"] is None:
                c["suites"] = suites
                suites = suites[len(suites):]
            elif t == 2 and c["suite"] is None and suites:
                c["suite"] = suites[-1]
        if types and 11 in types and who == "server" and c["certs"] is None:
            c["certs"] = len([x for x in
                              v["tls.handshake.certificate_length"].split(",")
                              if x])
        descs = [d for d in v["tls.alert_message.desc"].split(",") if d]
        for d in descs:
            c["alerts"].append((who, int(d)))
    return conns


def ours(path, datrace):
    try:
        out = subprocess.run([datrace, "--all", "-f", "json", path],
                             capture_output=True, text=True,
                             timeout=300).stdout
        doc = json.loads(out)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    conns = {}
    for cap in doc.get("captures", []):
        for c in cap.get("connections", []):
            t = c.get("tls")
            if not t:
                continue
            d = {"msgs": [], "frames": [], "alerts": [], "certs": None,
                 "client": c["client"],
                 "suites": [int(s["id"], 16) for s in
                            t.get("offered_suites") or []] or None,
                 "suite": int(t["suite"]["id"], 16) if t.get("suite")
                 else None}
            for m in t.get("messages", []):
                if m["type"].startswith("sslv2"):
                    d["msgs"].append((m["from"],
                                      1 if m["from"] == "client" else 4))
                    d["frames"].append(m["frame"])
                elif m["type"] in HS_TYPES and not m.get("encrypted"):
                    d["msgs"].append((m["from"], HS_TYPES[m["type"]]))
                    d["frames"].append(m["frame"])
                elif m["type"] == "alert" and not m.get("encrypted") and \
                        m.get("code") is not None:
                    d["alerts"].append((m["from"], m["code"]))
            a = t.get("alert")
            if a and not d["alerts"] and a.get("code") is not None and \
                    a.get("level") is not None:
                d["alerts"].append((a["from"], a["code"]))
            if t.get("server_certificates"):
                d["certs"] = len(t["server_certificates"])
            conns[frozenset((c["client"], c["server"]))] = d
    return conns


def main():
    args = sys.argv[1:]
    verbose = "-v" in args
    args = [a for a in args if a != "-v"]
    datrace = "build/datrace"
    if "--datrace" in args:
        i = args.index("--datrace")
        datrace = args[i + 1]
        del args[i:i + 2]
    if not args:
        args = sorted(glob.glob("testdata/**/*.pcap*", recursive=True) +
                      glob.glob("../shared/corpus/**/*.pcap*",
                                recursive=True))
    total = agree = frames_same = frames_total = 0
    for path in args:
        theirs = tshark(path)
        mine = ours(path, datrace)
        if theirs is None or mine is None:
            print("skip %s (tshark or datrace failed)" % path)
            continue
        for key, t in sorted(theirs.items(), key=lambda kv: sorted(kv[0])):
            if not t["msgs"] and not t["alerts"]:
                continue
            total += 1
            m = mine.get(key)
            client = m["client"] if m else next(
                (w for w, ty in t["msgs"] if ty == 1), t["first"])
            for name in ("msgs", "alerts"):
                t[name] = [("client" if w == client else "server", x)
                           for w, x in t[name]]
            if not t["suites"]:
                t["suites"] = None	# SSLv2 hellos: cipher specs elsewhere
            diffs = []
            if m is None:
                diffs.append("connection has no TLS facts in datrace")
            else:
                for name in ("msgs", "suites", "suite", "alerts", "certs"):
                    if t[name] is not None and t[name] != m[name]:
                        diffs.append("%s: tshark %s, datrace %s" %
                                     (name, t[name], m[name]))
                if t["msgs"] == m["msgs"]:
                    frames_total += len(t["frames"])
                    frames_same += sum(a == b for a, b in
                                       zip(t["frames"], m["frames"]))
            if diffs:
                print("DIFF %s %s" % (path, " <-> ".join(sorted(key))))
                for d in diffs:
                    print("    " + d)
            else:
                agree += 1
                if verbose:
                    print("ok   %s %s" % (path, " <-> ".join(sorted(key))))
    print("agreement: %d of %d TLS connections (%.1f%%); message frames "
          "equal: %d of %d" % (agree, total, 100.0 * agree / max(total, 1),
                                frames_same, frames_total))


main()

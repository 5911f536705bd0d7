#!/usr/bin/env python3
"""TCP agreement: datrace's connections against tshark's tcp.stream.

Developer tool, not run by CI (issue 24).  Usage:
    tcp_agree.py [--datrace PATH] [--tshark PATH] [-v] CAPTURE...

Per capture, tshark -2 (two passes, so tcp.completeness is final) gives per
frame the stream, endpoints, flags, payload length, completeness and the
retransmission / keep-alive analysis; `datrace --all -f json` gives the
connections (tcp.state, syn/synack frames, fin frames, bytes, timeline).
A tshark stream is matched to the datrace connection with the same
unordered 4-tuple whose frame range overlaps it.

Facts (one item per connection and fact; README.md has the table):
  count    connections per capture (streams vs connections)
  answer   no-answer / refused / answered (tshark: completeness bits SYN,
           SYN-ACK, RST and who sent the RST; datrace: tcp.state)
  syn      frame of the first SYN;  synack: of the first SYN-ACK
  rst      frame and sender of the first RST (datrace: the timeline)
  fin      frame of the first FIN per direction
  bytes    payload bytes per direction, every segment (both count
           retransmissions; datrace merges exact duplicates within 1 ms)
"""
import argparse, collections, ipaddress, json, subprocess, sys

FIELDS = ["frame.number", "tcp.stream", "ip.src", "ipv6.src", "tcp.srcport",
          "ip.dst", "ipv6.dst", "tcp.dstport", "tcp.flags", "tcp.len",
          "tcp.completeness"]


def norm(a):
    try:
        return str(ipaddress.ip_address(a))
    except ValueError:
        return a


def ep(s):
    host, port = s.rsplit(":", 1)
    return (norm(host.strip("[]")), int(port))


def tshark_streams(tshark, path):
    out = subprocess.run([tshark, "-r", path, "-n", "-2", "-Y", "tcp", "-T",
                          "fields", "-E", "occurrence=f"] +
                         sum([["-e", f] for f in FIELDS], []),
                         capture_output=True, text=True).stdout
    st = collections.OrderedDict()
    for line in out.splitlines():
        p = line.split("\t")
        if len(p) < len(FIELDS) or p[1] == "":
            continue
        fr, sid = int(p[0]), int(p[1])
        src = (norm(p[2] or p[3]), int(p[4]))
        dst = (norm(p[5] or p[6]), int(p[7]))
        fl = int(p[8], 16)
        s = st.setdefault(sid, {"frames": [], "pk": []})
        s["frames"].append(fr)
        s["pk"].append((fr, src, dst, fl, int(p[9] or 0)))
        if p[10]:
            s["comp"] = int(p[10])
    return st


def datrace_conns(datrace, path):
    r = subprocess.run([datrace, "--all", "-f", "json", path],
                       capture_output=True, text=True)
    d = json.loads(r.stdout)
    return d["captures"][0]["connections"] if d["captures"] else []


def t_facts(s, cli):
    f = {"syn": 0, "synack": 0, "rst": None, "fin": [0, 0], "bytes": [0, 0]}
    for fr, src, dst, fl, n in s["pk"]:
        d = 0 if src == cli else 1
        if fl & 0x12 == 0x02 and not f["syn"]:
            f["syn"] = fr
        if fl & 0x12 == 0x12 and not f["synack"]:
            f["synack"] = fr
        if fl & 0x04 and f["rst"] is None:
            f["rst"] = (fr, d)
        if fl & 0x01 and not f["fin"][d]:
            f["fin"][d] = fr
        f["bytes"][d] += n
    comp = s.get("comp", 0)
    if not f["syn"]:
        f["answer"] = None
    elif comp & 2 or f["synack"]:
        f["answer"] = "answered"
    elif f["rst"] and f["rst"][1] == 1:
        f["answer"] = "refused"
    else:
        # data from the server also answers
        srv = any(n > 0 and src != cli for _, src, _, _, n in s["pk"])
        f["answer"] = "answered" if srv else "no-answer"
    return f


def d_facts(c):
    t = c["tcp"]
    rst = None
    for ev in c.get("timeline", []):
        if ev.get("type") == "rst":
            rst = (ev["frame"], 0 if ev.get("from", ev.get("dir")) in
                   ("client", 0) else 1)
            break
    st = t["state"]
    ans = None if not t["syn_frame"] else \
        st if st in ("no-answer", "refused") else "answered"
    fin = t.get("fin") or {}
    return {"syn": t["syn_frame"] or 0, "synack": t["synack_frame"] or 0,
            "rst": rst, "answer": ans,
            "fin": [fin.get("client") or 0, fin.get("server") or 0],
            "bytes": [t["bytes"]["client"], t["bytes"]["server"]]}


def compare(path, args, tot, diffs):
    st = tshark_streams(args.tshark, path)
    conns = datrace_conns(args.datrace, path)
    tot["count"][0] += 1
    if len(st) == len(conns):
        tot["count"][1] += 1
    else:
        diffs.append("%s: count tshark %d datrace %d" % (path, len(st),
                                                        len(conns)))
    used = set()
    for sid, s in st.items():
        lo, hi = min(s["frames"]), max(s["frames"])
        fr, a, b, _, _ = s["pk"][0]
        key = frozenset([a, b])
        m = None
        for c in conns:
            if c["id"] in used:
                continue
            if frozenset([ep(c["client"]), ep(c["server"])]) != key:
                continue
            if c["first_frame"] <= hi and c["last_frame"] >= lo:
                m = c
                break
        if m is None:
            continue
        used.add(m["id"])
        tf, df = t_facts(s, ep(m["client"])), d_facts(m)
        for k in ("answer", "syn", "synack", "rst", "fin", "bytes"):
            if k == "answer" and tf[k] is None and df[k] is None:
                continue
            tot[k][0] += 1
            if tf[k] == df[k]:
                tot[k][1] += 1
            else:
                diffs.append("%s: stream %d (conn %d) %s: tshark %s datrace %s"
                             % (path, sid, m["id"], k, tf[k], df[k]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datrace", default="build/datrace")
    ap.add_argument("--tshark", default="tshark")
    ap.add_argument("-v", action="store_true")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    tot = collections.OrderedDict((k, [0, 0]) for k in
                                  ("count", "answer", "syn", "synack", "rst",
                                   "fin", "bytes"))
    diffs = []
    for f in args.files:
        try:
            compare(f, args, tot, diffs)
        except (ValueError, KeyError, IndexError) as e:
            diffs.append("%s: not compared (%s)" % (f, e))
    print("| fact | items | agree | % |")
    print("|---|---|---|---|")
    for k, (n, ok) in tot.items():
        print("| %s | %d | %d | %.1f |" % (k, n, ok, 100.0 * ok / n if n else 100))
    if args.v or diffs:
        print()
        for d in diffs:
            print(d)


if __name__ == "__main__":
    main()

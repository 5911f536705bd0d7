#!/usr/bin/env python3
"""Compare datrace's TLS facts with Wireshark's dissection (tshark 4.0).

Developer tool, not run by CI.  Usage:
    agree.py [--datrace PATH] [--tshark PATH] [-v] CAPTURE...

For each capture: tshark -T fields gives, per frame, the TCP stream, the
endpoints, the TLS record content types and lengths, the handshake message
types and lengths, alert level/description, cipher suites and the frames of a
reassembled TCP PDU; tshark -T pdml on the frames holding a Certificate gives
the certificate subjects (OID + string per RDN, as Wireshark decoded them).
`datrace --all -f json` gives, per connection, tls.messages, tls.offered_suites,
tls.suite, tls.application_data and tls.server_certificates[].subject.

Items compared per connection (tshark stream matched to datrace connection by
the unordered 4-tuple and the frame range):
  msg    every handshake message and ChangeCipherSpec, per direction, aligned
         by type (difflib); equal type and equal frame = agree
  alert  every alert (level, description or "encrypted"), per direction
  suite  the chosen suite (last TLS ServerHello)
  offer  the suite list of the first ClientHello (order included)
  cert   each server certificate subject (first server Certificate message)
  appdata the first application-data record per direction (TLS <= 1.2 only:
         in TLS 1.3 every encrypted record is type 23 to tshark)

Frame convention: tshark names a message in the frame that completes its TCP
reassembly.  A msg/alert whose datrace frame is earlier and is one of the
segments tshark reassembled for it is tagged [start-frame]; the second figure
counts those as agreement.
"""

import argparse
import difflib
import ipaddress
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

FIELDS = [
    "frame.number", "tcp.stream", "frame.protocols",
    "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport",
    "tls.record.content_type", "tls.record.length", "tls.record.opaque_type",
    "tls.handshake.type", "tls.handshake.length",
    "tls.alert_message.level", "tls.alert_message.desc",
    "tls.handshake.ciphersuite", "tls.handshake.cipher_suites_length",
    "tls.handshake.cipherspec", "tls.handshake.cipher_spec_len",
    "tls.handshake.random", "tcp.segment", "tcp.len",
]

TSHARK_OPTS = ["-o", "tcp.reassemble_out_of_order:TRUE"]

HS_NAMES = {
    0: "hello_request", 1: "client_hello", 2: "server_hello",
    3: "hello_verify_request", 4: "new_session_ticket",
    5: "end_of_early_data", 6: "hello_retry_request",
    8: "encrypted_extensions", 11: "certificate",
    12: "server_key_exchange", 13: "certificate_request",
    14: "server_hello_done", 15: "certificate_verify",
    16: "client_key_exchange", 20: "finished", 21: "certificate_url",
    22: "certificate_status", 23: "supplemental_data", 24: "key_update",
    25: "compressed_certificate", 254: "message_hash",
}
SSL2_NAMES = {
    0: "sslv2_error", 1: "sslv2_client_hello", 2: "sslv2_client_master_key",
    3: "sslv2_client_finished", 4: "sslv2_server_hello",
    5: "sslv2_server_verify", 6: "sslv2_server_finished",
    7: "sslv2_request_certificate", 8: "sslv2_client_certificate",
}
HRR_RANDOM = ("cf21ad74e59a6111be1d8c021e65b891"
              "c2a211167abb8c5e079e09e2c8a8339c")
LEVELS = {1: "warning", 2: "fatal"}

# datrace message types that take part in the "msg" sequence
DT_MSG_TYPES = set(HS_NAMES.values()) | {"change_cipher_spec",
                                          "sslv2_client_hello",
                                          "sslv2_server_hello",
                                          "sslv2_client_master_key"}

OID_SHORT = {
    "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST",
    "2.5.4.9": "STREET", "2.5.4.10": "O", "2.5.4.11": "OU",
    "2.5.4.12": "TITLE", "2.5.4.4": "SN", "2.5.4.42": "GN",
    "2.5.4.43": "INITIALS", "2.5.4.44": "GENERATIONQUALIFIER",
    "2.5.4.46": "DNQUALIFIER", "2.5.4.5": "SERIALNUMBER",
    "2.5.4.17": "POSTALCODE", "2.5.4.65": "PSEUDONYM",
    "2.5.4.15": "BUSINESSCATEGORY", "2.5.4.97": "ORGANIZATIONIDENTIFIER",
    "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
    "1.2.840.113549.1.9.1": "EMAIL",
    "1.3.6.1.4.1.311.60.2.1.3": "JURISDICTIONOFINCORPORATIONCOUNTRYNAME",
    "1.3.6.1.4.1.311.60.2.1.2": "JURISDICTIONOFINCORPORATIONSTATEORPROVINCENAME",
    "1.3.6.1.4.1.311.60.2.1.1": "JURISDICTIONOFINCORPORATIONLOCALITYNAME",
}
# GnuTLS spellings that differ from the canonical names above
DT_ATTR_ALIAS = {
    "SURNAME": "SN", "GIVENNAME": "GN", "E": "EMAIL", "EMAILADDRESS": "EMAIL",
    "S": "ST",
}


def ints(s):
    out = []
    for x in s.split(",") if s else []:
        x = x.strip()
        if not x:
            continue
        try:
            out.append(int(x, 0))
        except ValueError:
            out.append(None)
    return out


def strs(s):
    return [x for x in s.split(",")] if s else []


def norm_ep(ip, port):
    try:
        ip = str(ipaddress.ip_address(ip))
    except ValueError:
        pass
    return (ip, int(port))


def parse_dt_ep(s):
    # "1.2.3.4:443" or "[2001:db8::1]:443"
    if s.startswith("["):
        ip, _, port = s[1:].partition("]:")
    else:
        ip, _, port = s.rpartition(":")
    return norm_ep(ip, port)


# ---------------------------------------------------------------- tshark

class Stream:
    def __init__(self, sid):
        self.sid = sid
        self.frames = []          # raw per-frame dicts
        self.eps = None
        self.first_frame = None
        self.has_tls = False
        self.tls13 = False


def run_tshark_fields(tshark, path, ports=()):
    cmd = [tshark, "-r", path, "-n"] + TSHARK_OPTS
    for port in sorted(ports):		# TLS on a port tshark does not know
        cmd += ["-d", "tcp.port==%d,tls" % port]
    cmd += [
        "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
        "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, errors="replace")
    streams = {}
    for line in p.stdout.splitlines():
        col = line.split("\t")
        if len(col) < len(FIELDS):
            col += [""] * (len(FIELDS) - len(col))
        r = dict(zip(FIELDS, col))
        if not r["tcp.stream"]:
            continue
        sid = int(r["tcp.stream"].split(",")[0])
        st = streams.setdefault(sid, Stream(sid))
        protos = r["frame.protocols"].split(":")
        # the IP layer that carries TCP: the last ip/ipv6 before tcp
        ipl = None
        for pr in protos:
            if pr in ("ip", "ipv6"):
                ipl = pr
            if pr == "tcp":
                break
        src = strs(r[ipl + ".src"])[-1:] if ipl else []
        dst = strs(r[ipl + ".dst"])[-1:] if ipl else []
        sp = strs(r["tcp.srcport"])[:1]
        dp = strs(r["tcp.dstport"])[:1]
        if not (src and dst and sp and dp):
            continue
        r["_src"] = norm_ep(src[0], sp[0])
        r["_dst"] = norm_ep(dst[0], dp[0])
        r["_num"] = int(r["frame.number"])
        r["_tls"] = "tls" in protos
        if st.eps is None:
            st.eps = frozenset([r["_src"], r["_dst"]])
            st.first_frame = r["_num"]
        st.last_frame = r["_num"]
        if r["_tls"]:
            st.has_tls = True
        if r["tls.record.opaque_type"]:
            st.tls13 = True
        st.frames.append(r)
    return streams, p.stderr


def tshark_events(st, client):
    """Turn a stream's frames into events.  client: (ip, port) or None."""
    ev = {"msg": {"client": [], "server": []},
          "alert": {"client": [], "server": []},
          "suite": None, "offer": None,
          "appdata": {"client": None, "server": None},
          "segs": {}}
    ccs = {"client": False, "server": False}
    encfin = {"client": False, "server": False}
    if client is None:
        # the sender of the first ClientHello, else the lower port is server
        for r in st.frames:
            if 1 in ints(r["tls.handshake.type"]) and r["tls.record.content_type"]:
                client = r["_src"]
                break
        if client is None:
            a, b = sorted(st.eps, key=lambda e: e[1]) if len(st.eps) == 2 \
                else (list(st.eps)[0], None)
            client = b if b is not None else a
    for r in st.frames:
        if not r["_tls"]:
            continue
        d = "client" if r["_src"] == client else "server"
        fno = r["_num"]
        segs = ints(r["tcp.segment"])
        if segs:
            ev["segs"][fno] = set(segs)
        ctypes = ints(r["tls.record.content_type"])
        rlens = ints(r["tls.record.length"])
        htypes = ints(r["tls.handshake.type"])
        hlens = ints(r["tls.handshake.length"])
        levels = ints(r["tls.alert_message.level"])
        descs = ints(r["tls.alert_message.desc"])
        suites = ints(r["tls.handshake.ciphersuite"])
        cslens = ints(r["tls.handshake.cipher_suites_length"])
        specs = ints(r["tls.handshake.cipherspec"])
        speclens = ints(r["tls.handshake.cipher_spec_len"])
        randoms = strs(r["tls.handshake.random"])
        out = []                      # (type-name, extra) in frame order
        hs = []                       # decoded handshake names, in order
        if not ctypes and htypes:
            # SSLv2 records: no content type, SSLv2 message numbering
            si = 0
            li = 0
            for t in htypes:
                name = SSL2_NAMES.get(t, "sslv2_%d" % t)
                n = 1
                if t in (1, 4):
                    n = speclens[li] // 3 if li < len(speclens) else 0
                    li += 1
                lst = specs[si:si + n]
                si += n
                if t == 1 and ev["offer"] is None:
                    ev["offer"] = [s & 0xffff for s in lst
                                   if s is not None and s >> 16 == 0]
                out.append((name, None))
            for name, _ in out:
                ev["msg"][d].append((name, fno))
            continue
        # hand out the suites in message order: ClientHello takes
        # cipher_suites_length/2, ServerHello takes one
        si = 0
        ci = 0
        ri = 0
        for t in htypes:
            name = HS_NAMES.get(t, "handshake_%d" % t)
            if t == 1:
                n = cslens[ci] // 2 if ci < len(cslens) else 0
                ci += 1
                lst = suites[si:si + n]
                si += n
                if ev["offer"] is None:
                    ev["offer"] = lst
                ri += 1
            elif t == 2:
                rnd = randoms[ri] if ri < len(randoms) else ""
                ri += 1
                if rnd.replace(":", "").lower() == HRR_RANDOM:
                    name = "hello_retry_request"
                if si < len(suites):
                    if name == "server_hello":
                        ev["suite"] = suites[si]
                    si += 1
            hs.append(name)
        # walk the records; assign decoded handshake messages by length
        hi = 0
        ai = 0
        n21 = ctypes.count(21)
        for k, ct in enumerate(ctypes):
            rl = rlens[k] if k < len(rlens) and rlens[k] is not None else 0
            if ct == 22:
                rem = rl
                took = 0
                while hi < len(hs):
                    hl = hlens[hi] if hi < len(hlens) and hlens[hi] is not None else 0
                    if 4 + hl > rem and took:
                        break
                    if 4 + hl > rem and not took:
                        # maybe the tail of a fragmented message, or
                        # an encrypted record: decide below
                        break
                    out.append((hs[hi], None))
                    rem -= 4 + hl
                    hi += 1
                    took += 1
                if not took:
                    if ccs[d] and encfin[d]:
                        # NPN's Finished after NextProtocol, a
                        # renegotiation: datrace's encrypted_handshake
                        out.append(("encrypted_handshake", None))
                    elif ccs[d]:
                        out.append(("finished", "encrypted"))
                        encfin[d] = True
                    elif hi < len(hs) and k == max(
                            i for i, c in enumerate(ctypes) if c == 22):
                        # last handshake record of the frame: the
                        # reassembled (fragmented) messages live here
                        while hi < len(hs):
                            out.append((hs[hi], None))
                            hi += 1
            elif ct == 20:
                out.append(("change_cipher_spec", None))
                ccs[d] = True
            elif ct == 21:
                plain = (ai < len(levels)) and (rl == 2 or len(levels) >= n21)
                if plain:
                    out.append(("alert", (levels[ai], descs[ai]
                                          if ai < len(descs) else None)))
                    ai += 1
                else:
                    out.append(("alert", "encrypted"))
            elif ct == 23:
                if ev["appdata"][d] is None:
                    ev["appdata"][d] = fno
        while hi < len(hs):
            out.append((hs[hi], None))
            hi += 1
        for name, extra in out:
            if name == "alert":
                ev["alert"][d].append((extra, fno))
            else:
                ev["msg"][d].append((name, fno))
    return ev, client


def dn_from_pdml(name_el):
    """x509af.subject element -> list of (ATTR, value) in RFC 4514 order."""
    rdns = []
    for item in name_el.iter("field"):
        if item.get("name") != "x509if.RDNSequence_item":
            continue
        avas = []
        for ava in item:
            if ava.get("name") != "x509if.RelativeDistinguishedName_item_element":
                continue
            oid = None
            val = None
            raw = None
            for ch in ava:
                if ch.get("name") in ("x509if.oid", "x509if.type"):
                    oid = ch.get("show")
                elif raw is None:
                    raw = ch.get("value")
                    leaves = [e for e in ch.iter("field") if len(e) == 0]
                    val = leaves[-1].get("show") if leaves else ch.get("show")
            avas.append((OID_SHORT.get(oid, oid), val, raw))
        rdns.append(avas)
    rdns.reverse()
    return [a for r in rdns for a in r]


def run_tshark_certs(tshark, path):
    """frame number -> list of subjects (list of (attr, value, rawhex))."""
    cmd = [tshark, "-r", path, "-n"] + TSHARK_OPTS + [
        "-Y", "tls.handshake.type == 11", "-T", "pdml"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    res = {}
    if not p.stdout.strip():
        return res
    try:
        root = ET.fromstring(p.stdout)
    except ET.ParseError:
        return res
    for pkt in root.iter("packet"):
        fno = None
        subs = []
        for f in pkt.iter("field"):
            n = f.get("name")
            if n == "frame.number" and fno is None:
                fno = int(f.get("show"))
            elif n == "tls.handshake.certificate":
                for s in f.iter("field"):
                    if s.get("name") == "x509af.subject":
                        subs.append(dn_from_pdml(s))
                        break
                else:
                    subs.append(None)
        if fno is not None:
            res[fno] = subs
    return res


def parse_dt_dn(s):
    """GnuTLS RFC 4514 string -> list of (ATTR, value)."""
    out = []
    cur = ""
    parts = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            cur += s[i:i + 2]
            if (i + 2 < len(s) and s[i + 1] in "0123456789abcdefABCDEF"
                    and s[i + 2] in "0123456789abcdefABCDEF"):
                cur += s[i + 2]
                i += 3
                continue
            i += 2
            continue
        if c in ",+":
            parts.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    parts.append(cur)
    for p in parts:
        a, _, v = p.partition("=")
        a = a.strip().upper()
        a = DT_ATTR_ALIAS.get(a, a)
        # unescape
        raw = bytearray()
        j = 0
        while j < len(v):
            if v[j] == "\\" and j + 1 < len(v):
                h = v[j + 1:j + 3]
                if len(h) == 2 and all(x in "0123456789abcdefABCDEF" for x in h):
                    raw += bytes([int(h, 16)])
                    j += 3
                    continue
                raw += v[j + 1].encode()
                j += 2
                continue
            raw += v[j].encode()
            j += 1
        out.append((a, raw.decode("utf-8", "replace")))
    return out


def dn_equal(ts, dt):
    if ts is None:
        return False
    if len(ts) != len(dt):
        return False
    for (ta, tv, traw), (da, dv) in zip(ts, dt):
        if ta is None or da.upper() != str(ta).upper():
            # unknown OID: datrace prints the dotted OID
            if not (da == ta):
                return False
        if dv.startswith("#"):
            if traw is None or dv[1:].lower() != traw.lower():
                return False
        elif tv != dv:
            return False
    return True


def fmt_ts_dn(ts):
    if ts is None:
        return "(not decoded)"
    return ",".join("%s=%s" % (a, v) for a, v, _ in ts)


# ---------------------------------------------------------------- datrace

def run_datrace(datrace, path):
    p = subprocess.run([datrace, "--all", "-f", "json", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, errors="replace")
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        return None, p.stderr
    conns = []
    for cap in doc.get("captures", []):
        conns.extend(cap.get("connections", []))
    return conns, p.stderr


MALFORMED_MSG = {"ClientHello": "client_hello",
                 "ServerHello": "server_hello",
                 "Certificate": "certificate",
                 "CertificateRequest": "certificate_request"}


def mf_name(t, d, frame):
    """The message named by tls.malformed.reason when it is about this
    direction and frame, else None."""
    mf = t.get("malformed") or {}
    if mf.get("from") != d or mf.get("frame") != frame:
        return None
    return (mf.get("reason") or "").split(":", 1)[0]


def dt_events(c):
    t = c.get("tls") or {}
    ev = {"msg": {"client": [], "server": []},
          "alert": {"client": [], "server": []},
          "suite": None, "offer": None,
          "appdata": {"client": None, "server": None},
          "certs": None, "enc_hs": 0, "version": t.get("version")}
    for m in t.get("messages") or []:
        ty = m.get("type")
        d = m.get("from")
        if d not in ("client", "server"):
            continue
        if ty == "alert":
            if m.get("encrypted") or m.get("code") is None:
                key = "encrypted"
            else:
                lv = {"warning": 1, "fatal": 2}.get(m.get("level"), m.get("level"))
                key = (lv, m.get("code"))
            ev["alert"][d].append((key, m["frame"]))
        elif ty == "malformed" and MALFORMED_MSG.get(
                mf_name(t, d, m.get("frame"))):
            # datrace shows the message it could not parse as
            # "malformed", naming it in tls.malformed.reason
            # ("ClientHello: empty compression_methods"): the same
            # message in the same frame as tshark's (which flags it
            # in its expert info)
            ev["msg"][d].append((MALFORMED_MSG[mf_name(t, d, m["frame"])],
                                 m["frame"]))
        elif ty in DT_MSG_TYPES:
            ev["msg"][d].append((ty, m["frame"]))
        elif ty == "encrypted_handshake" and \
                not (t.get("version") or "").startswith("TLS 1.3"):
            # before TLS 1.3: an encrypted handshake record after the
            # direction's Finished, one per record as tshark lists them
            ev["msg"][d].append((ty, m["frame"]))
        elif ty == "encrypted_handshake":
            ev["enc_hs"] += 1
    s = t.get("suite")
    if s and s.get("id") is not None:
        ev["suite"] = int(s["id"], 16)
    if t.get("offered_suites") is not None and t.get("messages"):
        ev["offer"] = [int(x["id"], 16) for x in t["offered_suites"]]
    ad = t.get("application_data") or {}
    for d in ("client", "server"):
        x = ad.get(d)
        if x and x.get("frame"):
            ev["appdata"][d] = x["frame"]
    if t.get("server_certificates"):
        ev["certs"] = [x.get("subject") for x in t["server_certificates"]]
    return ev


# ---------------------------------------------------------------- compare

class Tally:
    def __init__(self):
        self.n = 0
        self.ok = 0
        self.ok_start = 0
        self.diffs = []

        self.hints = {}
        self.kinds = {}
        self.classes = {}
        self.cls = "plain"

    def item(self, ok, diff=None, start=False, hint=None, kind="?"):
        self.n += 1
        k = self.kinds.setdefault(kind, [0, 0])
        k[0] += 1
        k[1] += 1 if ok else 0
        k = self.classes.setdefault(self.cls, [0, 0])
        k[0] += 1
        k[1] += 1 if ok else 0
        if ok:
            self.ok += 1
            self.ok_start += 1
            return
        if start:
            self.ok_start += 1
            hint = "start-frame"
        if hint is None:
            hint = "unclassified"
        self.hints[hint] = self.hints.get(hint, 0) + 1
        self.diffs.append("%s  {%s}" % (diff, hint))


def fmt_alert(k):
    if k == "encrypted":
        return "alert(encrypted)"
    lv, code = k
    return "alert(%s,%s)" % (LEVELS.get(lv, lv), code)


def hint_for(ctx, kind, d, side, frame, key=None, dt_same=()):
    """A mechanical first guess at why an item differs (see README)."""
    if ctx.get("tshark_no_tls"):
        return "tshark-no-tls"
    ad = ctx.get("appdata", {}).get(d)
    if side == "missing" and kind == "alert" and ad and frame > ad:
        return "after-appdata"
    if ctx.get("starttls") and not any(ctx.get("dt_dir", {}).values()):
        return "starttls"
    mf = ctx.get("malformed")
    if mf and mf[1] == d and (frame is None or frame >= mf[0]):
        return "datrace-malformed"
    if mf and kind in ("suite", "offer") and mf[0] is not None:
        return "datrace-malformed"
    if ctx.get("tunnel"):
        return "tunnel"
    if side == "missing" and ctx.get("midstream") and not ctx["dt_dir"][d]:
        return "midstream-client"
    if side == "missing" and kind == "msg" and key == "finished" and \
            frame in dt_same:
        return "second-encrypted-hs"
    if side == "extra" and ctx.get("tls_dirs") is not None and \
            d in ctx["tls_dirs"] and not ctx["tls_dirs"][d] and \
            ctx["payload_dirs"].get(d):
        return "tshark-dir-not-dissected"
    if side in ("extra", "value") and kind in ("suite", "cert") and \
            ctx.get("tls_dirs") and not ctx["tls_dirs"]["server"] and \
            ctx["payload_dirs"].get("server"):
        return "tshark-dir-not-dissected"
    r = ctx.get("frames", {}).get(frame)
    if side == "extra" and r is not None and \
            not r["tls.record.content_type"] and \
            not r["tls.handshake.type"] and \
            any(x for x in ints(r["tcp.len"]) if x):
        return "tshark-no-tls-in-frame"
    if ctx.get("sslv2"):
        return "sslv2"
    return None


def compare_seq(tally, cid, kind, d, ts, dt, segs, ctx):
    """ts, dt: lists of (key, frame).  Align by key."""
    a = [k for k, _ in ts]
    b = [k for k, _ in dt]
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    show = fmt_alert if kind == "alert" else str
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                tf = ts[i][1]
                df = dt[j][1]
                if tf == df:
                    tally.item(True, kind=kind)
                    continue
                start = df < tf and df in segs.get(tf, ())
                tag = "start-frame" if start else "frame"
                tally.item(False, "[%s] conn %s %s %s %s: tshark frame %d, "
                           "datrace frame %d" % (tag, cid, kind, d,
                                                 show(ts[i][0]), tf, df),
                           start, kind=kind)
            continue
        # unequal: pair positionally what we can, the rest missing/extra
        same = set(f for k, f in dt if k == "finished")
        for i in range(i1, i2):
            tally.item(False, "[missing] conn %s %s %s: tshark %s frame %d, "
                       "datrace has nothing" % (cid, kind, d, show(ts[i][0]),
                                               ts[i][1]),
                       hint=hint_for(ctx, kind, d, "missing", ts[i][1],
                                     ts[i][0], same), kind=kind)
        for j in range(j1, j2):
            tally.item(False, "[extra] conn %s %s %s: datrace %s frame %d, "
                       "tshark has nothing" % (cid, kind, d, show(dt[j][0]),
                                              dt[j][1]),
                       hint=hint_for(ctx, kind, d, "extra", dt[j][1]),
                       kind=kind)


def fmt_suites(lst):
    return "[" + ",".join("0x%04X" % x if x is not None else "?"
                          for x in lst) + "]"


def compare_conn(tally, cid, tev, dev, tcerts, tls13, ctx):
    ctx["appdata"] = dev["appdata"]
    ctx["dt_dir"] = {d: bool(dev["msg"][d] or dev["alert"][d]
                             or dev["appdata"][d]) for d in ("client", "server")}
    for d in ("client", "server"):
        compare_seq(tally, cid, "msg", d, tev["msg"][d], dev["msg"][d],
                    tev["segs"], ctx)
        compare_seq(tally, cid, "alert", d, tev["alert"][d],
                    dev["alert"][d], tev["segs"], ctx)
    if tev["suite"] is not None or dev["suite"] is not None:
        ok = tev["suite"] == dev["suite"]
        tally.item(ok, "[value] conn %s suite: tshark %s, datrace %s" % (
            cid, "0x%04X" % tev["suite"] if tev["suite"] is not None else "none",
            "0x%04X" % dev["suite"] if dev["suite"] is not None else "none"),
            hint=hint_for(ctx, "suite", "server", "value", None), kind="suite")
    to = tev["offer"] or []
    do = dev["offer"] or []
    if to or do:
        ok = to == do
        tally.item(ok, "[value] conn %s offered suites: tshark %s (%d), "
                   "datrace %s (%d)" % (cid, fmt_suites(to), len(to),
                                        fmt_suites(do), len(do)),
                   hint=hint_for(ctx, "offer", "client", "value", None),
                   kind="offer")
    dc = dev["certs"] or []
    for i in range(max(len(tcerts), len(dc))):
        ts = tcerts[i] if i < len(tcerts) else False
        ds = dc[i] if i < len(dc) else None
        if ts is False:
            tally.item(False, "[extra] conn %s cert[%d]: datrace %r, tshark "
                       "has none" % (cid, i, ds),
                       hint=hint_for(ctx, "cert", "server", "extra", None),
                       kind="cert")
        elif ds is None:
            tally.item(False, "[missing] conn %s cert[%d]: tshark %r, "
                       "datrace has none" % (cid, i, fmt_ts_dn(ts)),
                       hint=hint_for(ctx, "cert", "server", "missing", None),
                       kind="cert")
        else:
            ok = dn_equal(ts, parse_dt_dn(ds))
            tally.item(ok, "[value] conn %s cert[%d] subject: tshark %r, "
                       "datrace %r" % (cid, i, fmt_ts_dn(ts), ds),
                       kind="cert")
    if not tls13:
        for d in ("client", "server"):
            tf = tev["appdata"][d]
            df = dev["appdata"][d]
            if tf is None and df is None:
                continue
            ok = tf == df
            start = (tf is not None and df is not None and df < tf
                     and df in tev["segs"].get(tf, ()))
            side = "extra" if tf is None else "missing" if df is None \
                else "frame"
            tally.item(ok, "[%s] conn %s first application data %s: tshark "
                       "frame %s, datrace frame %s" % (
                           "start-frame" if start else "appdata", cid, d,
                           tf, df), start,
                       hint=hint_for(ctx, "appdata", d, side, tf or df),
                       kind="appdata")


def stream_ctx(st, conn):
    """Facts about a connection that explain differences mechanically."""
    ctx = {}
    t = (conn or {}).get("tls") or {}
    m = t.get("malformed")
    if m:
        ctx["malformed"] = (m.get("frame"), m.get("from"), m.get("reason"))
    if conn is not None and not (conn.get("tcp") or {}).get("roles_from_syn"):
        ctx["midstream"] = True
    # bytes before the first TLS frame that tshark did not see as TLS
    for r in st.frames:
        if r["_tls"]:
            break
        if any(x for x in ints(r["tcp.len"]) if x):
            ctx["starttls"] = True
            break
    if any(x in r["frame.protocols"].split(":")
           for r in st.frames for x in ("gtp", "gre", "teredo", "6in4")):
        ctx["tunnel"] = True
    if conn is not None and ((conn.get("tls") or {}).get("version") or "") \
            == "SSL 2.0":
        ctx["sslv2"] = True
    # which directions tshark dissected TLS in / carried payload
    ctx["frames"] = {r["_num"]: r for r in st.frames}
    if conn is not None:
        cl = parse_dt_ep(conn["client"])
        ctx["tls_dirs"] = {"client": False, "server": False}
        ctx["payload_dirs"] = {"client": False, "server": False}
        for r in st.frames:
            d = "client" if r["_src"] == cl else "server"
            if r["_tls"]:
                ctx["tls_dirs"][d] = True
            if any(x for x in ints(r["tcp.len"]) if x):
                ctx["payload_dirs"][d] = True
    return ctx


# Encapsulations and link layers as tshark names them in frame.protocols.
ENCAP = [("gtp", "tunnel-gtpu"), ("vxlan", "tunnel-vxlan"),
         ("geneve", "tunnel-geneve"),
         ("teredo", "tunnel-teredo"), ("gre", "tunnel-gre"),
         ("wlan", "802.11"), ("pppoes", "pppoe"), ("vlan", "vlan")]


def conn_class(st, conn):
    """The class a connection's items count under: its preamble, an
    SSLv2-format hello, the encapsulation it came in, or plain TLS."""
    tls = (conn or {}).get("tls") or {}
    pre = tls.get("preamble")
    if pre:
        return "preamble-" + pre.get("protocol", "?")
    if tls.get("sslv2_hello"):
        return "sslv2"
    protos = st.frames[0]["frame.protocols"].split(":") if st and st.frames else []
    for name, cls in ENCAP:
        if name in protos:
            return cls
    ips = [p for p in protos[:protos.index("tcp")] if p in ("ip", "ipv6")] \
        if "tcp" in protos else []
    if len(ips) > 1:
        return "tunnel-" + "in".join(reversed(ips))
    return "plain"


def tls_ports(conns, streams):
    """Server ports where datrace read TLS without a preamble and tshark
    saw no TLS: decoded with -d on a second run."""
    seen = {}
    for st in streams.values():
        for r in st.frames:
            if r["_tls"]:
                seen.setdefault(r["_src"][1], True)
                seen.setdefault(r["_dst"][1], True)
    ports = set()
    for c in conns:
        tls = c.get("tls") or {}
        if not tls.get("messages") or tls.get("preamble"):
            continue
        port = parse_dt_ep(c["server"])[1]
        if port not in seen:
            ports.add(port)
    return ports


def analyse(path, datrace, tshark, verbose):
    tally = Tally()
    streams, terr = run_tshark_fields(tshark, path)
    conns, derr = run_datrace(datrace, path)
    if conns is None:
        tally.diffs.append("[error] datrace gave no JSON: %s" % derr.strip()[:200])
        conns = []
    ports = tls_ports(conns, streams)
    if ports:
        streams, terr = run_tshark_fields(tshark, path, ports)
    certframes = None
    used = set()
    for sid in sorted(streams):
        st = streams[sid]
        if not st.has_tls:
            continue
        # the datrace connection with the same endpoints whose frames
        # cover this stream
        cand = [c for c in conns
                if frozenset([parse_dt_ep(c["client"]),
                              parse_dt_ep(c["server"])]) == st.eps
                and id(c) not in used]
        conn = None
        for c in cand:
            if c.get("first_frame", 0) <= st.last_frame and \
                    c.get("last_frame", 1 << 60) >= st.first_frame:
                conn = c
                break
        if conn is None and cand:
            conn = cand[0]
        client = parse_dt_ep(conn["client"]) if conn else None
        tev, client = tshark_events(st, client)
        if conn is not None:
            used.add(id(conn))
            dev = dt_events(conn)
            cid = "%s (%s -> %s, tcp.stream %d)" % (conn["id"], conn["client"],
                                                   conn["server"], sid)
        else:
            dev = dt_events({})
            cid = "? (tcp.stream %d, no datrace connection)" % sid
        tcerts = []
        has_cert = any(n == "certificate" for n, _ in tev["msg"]["server"])
        if has_cert:
            if certframes is None:
                certframes = run_tshark_certs(tshark, path)
            for n, f in tev["msg"]["server"]:
                if n == "certificate":
                    tcerts = certframes.get(f, [])
                    break
        tls13 = st.tls13 or (dev["version"] or "").startswith("TLS 1.3")
        ctx = stream_ctx(st, conn)
        tally.cls = conn_class(st, conn)
        if verbose:
            print("  %s" % cid)
            for d in ("client", "server"):
                print("    tshark  %s msg %s alert %s appdata %s" % (
                    d, tev["msg"][d], tev["alert"][d], tev["appdata"][d]))
                print("    datrace %s msg %s alert %s appdata %s" % (
                    d, dev["msg"][d], dev["alert"][d], dev["appdata"][d]))
        compare_conn(tally, cid, tev, dev, tcerts, tls13, ctx)
    # datrace connections with TLS facts that tshark saw no TLS in
    for c in conns:
        if id(c) in used:
            continue
        dev = dt_events(c)
        if not any(dev["msg"][d] or dev["alert"][d] for d in ("client", "server")):
            continue
        cid = "%s (%s -> %s, tshark: no TLS)" % (c["id"], c["client"], c["server"])
        tev = {"msg": {"client": [], "server": []},
               "alert": {"client": [], "server": []},
               "suite": None, "offer": None,
               "appdata": {"client": None, "server": None}, "segs": {}}
        tally.cls = conn_class(None, c)
        compare_conn(tally, cid, tev, dev, [], True, {"tshark_no_tls": True})
    return tally


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datrace", default="build-agree/datrace")
    ap.add_argument("--tshark", default="tshark")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print both ladders of every connection")
    ap.add_argument("captures", nargs="+")
    a = ap.parse_args()
    tot = Tally()
    for path in a.captures:
        t = analyse(path, a.datrace, a.tshark, a.verbose)
        print("%s: agree %d/%d items%s" % (
            path, t.ok, t.n,
            "" if t.ok == t.ok_start else
            " (%d/%d counting start-frame)" % (t.ok_start, t.n)))
        for d in t.diffs:
            print("    " + d)
        tot.n += t.n
        tot.ok += t.ok
        tot.ok_start += t.ok_start
        tot.diffs += t.diffs
        for k, v in t.hints.items():
            tot.hints[k] = tot.hints.get(k, 0) + v
        for k, v in t.kinds.items():
            x = tot.kinds.setdefault(k, [0, 0])
            x[0] += v[0]
            x[1] += v[1]
        for k, v in t.classes.items():
            x = tot.classes.setdefault(k, [0, 0])
            x[0] += v[0]
            x[1] += v[1]
    pct = lambda x: 100.0 * x / tot.n if tot.n else 100.0
    print()
    print("TOTAL: agree %d/%d items (%.1f%%) with tshark's completion-frame "
          "convention; %d/%d (%.1f%%) counting datrace's start frames; "
          "%d differences in %d captures" % (
              tot.ok, tot.n, pct(tot.ok), tot.ok_start, tot.n,
              pct(tot.ok_start), len(tot.diffs), len(a.captures)))
    print("items by kind (agree/total): " + ", ".join(
        "%s %d/%d" % (k, v[1], v[0]) for k, v in sorted(tot.kinds.items())))
    print("items by class (agree/total): " + ", ".join(
        "%s %d/%d" % (k, v[1], v[0]) for k, v in sorted(tot.classes.items())))
    print("differences by first-guess cause: " + ", ".join(
        "%s %d" % (k, v) for k, v in sorted(tot.hints.items(),
                                             key=lambda kv: -kv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())

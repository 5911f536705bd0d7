#!/usr/bin/env python3
"""Seed directories for the fuzz harnesses from other projects' captures.

usage: tests/fuzz/seeds-from-captures.py OUTDIR DIR...

Walks the DIRs for pcap and pcapng files (told by their magic) and ETL
files (by name), drops byte-identical copies, and writes under OUTDIR:
  whole/   every capture under 64 KiB (pipeline, capture, export, redact)
  etl/     ETL files up to 1 MiB, the first 256 KiB and 1 MiB of larger
           ones (etl, events)
  xpress/  each compressed ETL buffer as fuzz_xpress takes it (u16 LE
           output size, then the LZ77 stream)
  tls/     each TCP connection that carries a TLS handshake record, in
           fuzz_tls's segment script (as pcap2tls-seed.py, any stream)
  x509/    the certificates of TLS <= 1.2 Certificate messages (DER)
  dns/     UDP payloads to or from port 53 and 5353
  http/    the first 4 KiB of TCP payloads that start an HTTP head
  net/     the first packets of each capture in fuzz_net's script
  flow/    the first segments of each capture in fuzz_flow's script
  tunnel/  each capture's IPv6 packets, split by address order, as
           fuzz_tunnel's two directions
Sets are capped (3,000 files at most) so a run loads in seconds. The
captures stay where they are: the seeds are for local runs, never for
the repository. Our own reading of pcap/pcapng (no tshark) keeps a sweep
over thousands of files to seconds; it is only a seed cutter, so it skips
what it does not understand.
"""
import hashlib
import os
import random
import struct
import sys

PCAP_MAGIC = (b'\xd4\xc3\xb2\xa1', b'\xa1\xb2\xc3\xd4', b'\x4d\x3c\xb2\xa1',
              b'\xa1\xb2\x3c\x4d', b'\xa1\xb2\xcd\x34', b'\x34\xcd\xb2\xa1')
PCAP_LE = (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1', b'\x34\xcd\xb2\xa1')
# fuzz_net.c's linktypes[], in its order: the first byte of a packet
NET_LT = [1, 1, 1, 1, 0, 9, 12, 14, 50, 51, 101, 104, 108, 113, 228, 229,
          276, 105, 127, 192, 253]
CAP = 3000
# bytes before the IP header for the other link types we cut from
LINK_SKIP = {101: 0, 12: 0, 14: 0, 228: 0, 229: 0, 113: 16, 276: 20, 0: 4,
             108: 4}


def put(out, h, data):
    d = os.path.join(out, h)
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, hashlib.sha1(data).hexdigest()[:16])
    if not os.path.exists(p):
        with open(p, 'wb') as f:
            f.write(data)


def pcap(d):
    e = '<' if d[:4] in PCAP_LE else '>'
    if len(d) < 24:
        return
    lt = struct.unpack(e + 'I', d[20:24])[0] & 0xffff
    o = 24
    while o + 16 <= len(d):
        cl = struct.unpack(e + 'I', d[o + 8:o + 12])[0]
        if cl > 262144:
            return
        yield lt, d[o + 16:o + 16 + cl]
        o += 16 + cl


def pcapng(d):
    o, e, lts = 0, '<', []
    while o + 12 <= len(d):
        if d[o:o + 4] == b'\x0a\x0d\x0d\x0a':
            e = '<' if d[o + 8:o + 12] == b'\x4d\x3c\x2b\x1a' else '>'
            lts = []
        bt, bl = struct.unpack(e + 'II', d[o:o + 8])
        if bl < 12 or o + bl > len(d):
            return
        b = d[o + 8:o + bl - 4]
        if bt == 1 and len(b) >= 2:
            lts.append(struct.unpack(e + 'H', b[:2])[0])
        elif bt == 6 and len(b) >= 20:
            iface, cl = struct.unpack(e + 'I', b[:4])[0], \
                struct.unpack(e + 'I', b[12:16])[0]
            if iface < len(lts):
                yield lts[iface], b[20:20 + cl]
        elif bt == 3 and len(b) >= 4 and lts:
            yield lts[0], b[4:]
        o += bl


def l3(lt, p):
    """The IP packet in a frame of link type lt, or None."""
    if lt == 1:
        if len(p) < 14:
            return None
        et, o = struct.unpack('>H', p[12:14])[0], 14
        while et in (0x8100, 0x88a8) and len(p) >= o + 4:
            et, o = struct.unpack('>H', p[o + 2:o + 4])[0], o + 4
        return p[o:] if et in (0x800, 0x86dd) else None
    skip = LINK_SKIP.get(lt)
    return p[skip:] if skip is not None else None


def l4(ip):
    v = ip[0] >> 4
    if v == 4 and len(ip) >= 20:
        hl, proto = (ip[0] & 15) * 4, ip[9]
        src, dst = ip[12:16], ip[16:20]
        if struct.unpack('>H', ip[6:8])[0] & 0x3fff:
            return None			# fragments: not cut here
        tl = struct.unpack('>H', ip[2:4])[0]
        body = ip[hl:tl] if tl >= hl else ip[hl:]
    elif v == 6 and len(ip) >= 40:
        proto, src, dst = ip[6], ip[8:24], ip[24:40]
        body = ip[40:40 + struct.unpack('>H', ip[4:6])[0]]
    else:
        return None
    if proto == 6 and len(body) >= 20:
        sp, dp, seq, ack, off = struct.unpack('>HHIIB', body[:13])
        win = struct.unpack('>H', body[14:16])[0]
        return ('tcp', src, dst, sp, dp, seq, ack, body[13], win,
                body[(off >> 4) * 4:])
    if proto == 17 and len(body) >= 8:
        sp, dp = struct.unpack('>HH', body[:4])
        return ('udp', src, dst, sp, dp, body[8:])
    return None


def certs(srv):
    """DER certificates of the plaintext handshake of a server stream."""
    hs, o = bytearray(), 0
    while o + 5 <= len(srv):
        ct, ln = srv[o], struct.unpack('>H', srv[o + 3:o + 5])[0]
        if ct not in (21, 22):
            break
        if ct == 22:
            hs += srv[o + 5:o + 5 + ln]
        o += 5 + ln
    o = 0
    while o + 4 <= len(hs):
        t, ln = hs[o], int.from_bytes(hs[o + 1:o + 4], 'big')
        if t == 11:
            m, q = hs[o + 4:o + 4 + ln], 3
            while q + 3 <= len(m):
                cl = int.from_bytes(m[q:q + 3], 'big')
                if cl == 0:
                    break
                yield bytes(m[q + 3:q + 3 + cl])
                q += 3 + cl
        o += 4 + ln


def cut(out, d):
    """The stream and message seeds of one capture's bytes d."""
    gen = pcapng(d) if d[:4] == b'\x0a\x0d\x0d\x0a' else pcap(d)
    streams, conns = {}, {}
    net, flow, v6 = bytearray(), bytearray(), [bytearray(), bytearray()]
    for i, (lt, pk) in enumerate(gen):
        if i > 5000:
            break
        if lt in NET_LT and len(net) < 4096:
            net += bytes([NET_LT.index(lt), 0]) + \
                struct.pack('>H', len(pk)) + pk
        ip = l3(lt, pk)
        if not ip:
            continue
        if ip[0] >> 4 == 6 and len(ip) >= 40:
            side = 0 if ip[8:24] < ip[24:40] else 1
            if len(v6[side]) < 3000:
                v6[side] += ip[:40 + struct.unpack('>H', ip[4:6])[0]]
        x = l4(ip)
        if not x:
            continue
        if x[0] == 'udp':
            _, s, dst, sp, dp, pl = x
            if 53 in (sp, dp) or 5353 in (sp, dp):
                if 12 <= len(pl) <= 1500:
                    put(out, 'dns', pl)
            if 53 in (sp, dp) and len(flow) < 3000:
                n = min(len(pl), 255)
                flow += bytes([0x80 | (0x40 if sp == 53 else 0), 1]) + \
                    struct.pack('>IIH', 0, 0, 0) + bytes([n, 0, 1]) + pl[:n]
            continue
        _, s, dst, sp, dp, seq, ack, fl, win, pl = x
        key = (min((s, sp), (dst, dp)), max((s, sp), (dst, dp)))
        st = streams.setdefault(key, {'client': None, 'segs': [], 'n': 0})
        if st['client'] is None:	# a SYN+ACK comes from the server
            st['client'] = (dst, dp) if fl & 0x12 == 0x12 else (s, sp)
        back = (s, sp) != st['client']
        if pl and st['n'] < 200000:
            st['segs'].append((back, pl))
            st['n'] += len(pl)
        if key not in conns and len(conns) < 4:
            conns[key] = len(conns)
        if conns.get(key) is not None and len(flow) < 3000:
            n = min(len(pl), 255)
            flow += bytes([(fl & 0x3f) | (0x40 if back else 0),
                           conns[key]]) + \
                struct.pack('>IIH', seq, ack, win) + bytes([n, 0, 1]) + pl[:n]
    if len(net) > 4:
        put(out, 'net', bytes(net))
    if len(flow) > 15:
        put(out, 'flow', bytes(flow))
    if v6[0] or v6[1]:
        put(out, 'tunnel', struct.pack('>H', len(v6[0])) + v6[0] + v6[1])
    for st in streams.values():
        segs = st['segs']
        if any(len(p) > 5 and p[0] == 0x16 and p[1] == 3
               for _, p in segs[:12]):
            buf, tot = bytearray([random.randrange(256)]), 0
            for back, p in segs:
                while p and tot < 60000:
                    k = min(len(p), 0x7fff)
                    buf += struct.pack('>H', k | (0x8000 if back else 0)) + \
                        p[:k]
                    tot, p = tot + k, p[k:]
            put(out, 'tls', bytes(buf))
            for c in certs(b''.join(p for back, p in segs if back)):
                put(out, 'x509', c)
        for _, p in segs[:3]:
            if p[:4] in (b'GET ', b'POST', b'HTTP', b'CONN', b'HEAD',
                         b'PUT ', b'OPTI', b'DELE'):
                put(out, 'http', bytes(p[:4096]))


def etl(out, d):
    if len(d) <= 1 << 20:
        put(out, 'etl', d)
    else:
        for n in (1 << 18, 1 << 20):
            put(out, 'etl', d[:n])
    o = 0
    while o + 0x48 <= len(d):
        bs = struct.unpack('<I', d[o:o + 4])[0]
        if bs < 0x50 or bs > 1 << 24:
            break
        filled, flags = struct.unpack('<IH', d[o + 0x30:o + 0x36])
        if flags & 0x40 and 0 < filled - 0x48 < 65536:
            put(out, 'xpress', struct.pack('<H', filled - 0x48) +
                d[o + 0x48:o + bs])
        o += bs


def main():
    out, dirs = sys.argv[1], sys.argv[2:]
    random.seed(6)
    seen = set()
    for root in dirs:
        for dp, _, fn in sorted(os.walk(root)):
            for f in sorted(fn):
                p = os.path.join(dp, f)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                with open(p, 'rb') as fh:
                    d = fh.read()
                h = hashlib.sha1(d).digest()
                if not d or h in seen:
                    continue
                seen.add(h)
                try:
                    if d[:4] in PCAP_MAGIC or d[:4] == b'\x0a\x0d\x0d\x0a':
                        if len(d) < 65536:
                            put(out, 'whole', d)
                        cut(out, d)
                    elif f.lower().endswith('.etl'):
                        etl(out, d)
                except (struct.error, IndexError, ValueError):
                    pass	# a damaged file: what was cut is kept
    for h in os.listdir(out):
        fs = sorted(os.listdir(os.path.join(out, h)))
        random.shuffle(fs)
        for f in fs[CAP:]:
            os.unlink(os.path.join(out, h, f))
        print('%s: %d' % (h, min(len(fs), CAP)))


main()

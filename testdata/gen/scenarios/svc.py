#!/usr/bin/python3
"""The actors of the scenario captures (run inside the namespaces).

  svc.py tls-server ...   IP-HTTPS server (Python ssl = OpenSSL) and the
                          broken look-alikes (silent, reset, HTTP 400)
  svc.py client ...       Windows 8+ IP-HTTPS client mimic: DNS lookup,
                          optional proxy CONNECT, TLS 1.2 with SNI and NULL
                          suites, POST /IPHTTPS with the streaming
                          Content-Length, optional CRL download afterwards
  svc.py dns ...          tiny authoritative DNS responder (A/AAAA, NXDOMAIN)
  svc.py http ...         plain HTTP: CRL server, web server
  svc.py proxy ...        web proxy: CONNECT answered 403, reset, or tunnelled
  svc.py tamper ...       a box on the path that relays TCP and changes one
                          byte of the client's first application-data record
                          (what an IPS or WAN optimiser that rewrites a
                          readable NULL-cipher session does to its MAC)

Only addresses given on the command line are used (the namespaces' own).
Everything is short-lived: servers exit after --count connections or when
killed by the generator.
"""
import argparse
import os
import select
import socket
import ssl
import struct
import sys
import time

IPHTTPS_CL = "18446744073709551615"
VERSIONS = {
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}
# A Windows IP-HTTPS client's first tunnel packet is an IPv6 Router
# Solicitation; these are just bytes of that shape.
RS = bytes.fromhex(
    "6000000000103aff" + "fe80" + "00" * 12 + "0001" + "ff02" + "00" * 13 + "02"
    + "8500" + "0000" + "00000000" + "0101" + "000000000000")


def log(*a):
    print("svc:", *a, file=sys.stderr, flush=True)


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def set_ttl(sock, ttl):
    if ttl is None:
        return
    if sock.family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
    else:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)


def listen(addr, port, ttl=None):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    set_ttl(s, ttl)
    s.bind((addr, port))
    s.listen(8)
    return s


def reset(sock):
    """Close with RST (SO_LINGER 0)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def read_head(sock, limit=8192):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < limit:
        try:
            b = sock.recv(4096)
        except (ssl.SSLError, OSError):
            break
        if not b:
            break
        data += b
    return data


# ---------------------------------------------------------------- tls-server

def tls_server(a):
    ls = listen(a.bind, a.port, a.ttl_listen)
    ctx = None
    if a.mode == "tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = VERSIONS[a.min]
        ctx.maximum_version = VERSIONS[a.max]
        ctx.set_ciphers(a.ciphers)
        ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_NO_TICKET
        ctx.load_cert_chain(a.cert, a.key)
        if a.verify != "none":
            ctx.verify_mode = (ssl.CERT_REQUIRED if a.verify == "required"
                               else ssl.CERT_OPTIONAL)
            ctx.load_verify_locations(a.client_ca)
    log("tls-server", a.mode, "on", a.bind, a.port)
    for _ in range(a.count):
        conn, peer = ls.accept()
        set_ttl(conn, a.ttl_conn)
        if a.mode == "silent":		# accept, never answer the ClientHello
            time.sleep(a.hold)
            conn.close()
            continue
        if a.mode == "reset":		# read the ClientHello, then RST
            conn.recv(4096)
            time.sleep(0.05)
            reset(conn)
            continue
        if a.mode == "close":		# read the ClientHello, then FIN
            conn.recv(4096)
            time.sleep(0.05)
            conn.close()
            continue
        if a.mode == "http400":		# a plain web server on 443
            conn.recv(4096)
            body = b"<html><body><h1>400 Bad Request</h1></body></html>\r\n"
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n"
                         b"Content-Type: text/html\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n"
                         b"Connection: close\r\n\r\n" + body)
            time.sleep(0.05)
            conn.close()
            continue
        if a.delay:
            time.sleep(a.delay)
        try:
            t = ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log("handshake failed:", e)
            conn.close()
            continue
        log("handshake ok:", t.version(), t.cipher()[0])
        head = read_head(t)
        if head.startswith(b"POST") or head.startswith(b"GET"):
            if a.http_reply == "iphttps":
                t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: " + IPHTTPS_CL.encode()
                          + b"\r\nServer: Microsoft-HTTPAPI/2.0\r\n"
                          b"Date: Mon, 01 Jul 2024 08:00:00 GMT\r\n\r\n")
            else:			# IIS without the IP-HTTPS listener
                body = b"<html><body>404 - File or directory not found.</body></html>\r\n"
                t.sendall(b"HTTP/1.1 404 Not Found\r\nServer: Microsoft-IIS/10.0\r\n"
                          b"Content-Type: text/html\r\nContent-Length: "
                          + str(len(body)).encode() + b"\r\n\r\n" + body)
        # Tunnel: echo what the client sends until it closes.
        t.settimeout(5)
        try:
            while True:
                b = t.recv(4096)
                if not b:
                    break
                if a.http_reply == "iphttps":
                    t.sendall(b)
                else:
                    break
        except (ssl.SSLError, OSError):
            pass
        try:
            t.unwrap()
        except (ssl.SSLError, OSError):
            pass
        t.close()


# -------------------------------------------------------------------- client

def dns_query(server, name, qtype, qid=0x1234):
    """One UDP query; returns (rcode, [addresses])."""
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack("!HH", 28 if qtype == "AAAA" else 1, 1)
    s = socket.socket(family(server), socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(q, (server, 53))
    try:
        r, _ = s.recvfrom(2048)
    except socket.timeout:
        return None, []
    rcode = r[3] & 15
    an = struct.unpack("!H", r[6:8])[0]
    off = len(q)
    addrs = []
    for _ in range(an):
        off += 2			# compressed name pointer (our server)
        t, _c, _ttl, rdlen = struct.unpack("!HHIH", r[off:off + 10])
        off += 10
        rd = r[off:off + rdlen]
        off += rdlen
        if t == 1:
            addrs.append(socket.inet_ntop(socket.AF_INET, rd))
        elif t == 28:
            addrs.append(socket.inet_ntop(socket.AF_INET6, rd))
    return rcode, addrs


def resolve(a, name):
    if not a.dns:
        return None
    rc, addrs = dns_query(a.dns, name, a.qtype)
    log("dns", name, a.qtype, "rcode", rc, addrs)
    return addrs[0] if addrs else None


def client_ctx(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = VERSIONS[a.min]
    ctx.maximum_version = VERSIONS[a.max]
    ctx.set_ciphers(a.ciphers)
    ctx.options |= ssl.OP_NO_TICKET
    if a.ca:
        ctx.load_verify_locations(a.ca)
        ctx.check_hostname = a.check_hostname
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)
    return ctx


def http_get(addr, port, host, path):
    s = socket.create_connection((addr, port), timeout=3)
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Microsoft-CryptoAPI/10.0"
               "\r\nAccept: */*\r\nConnection: close\r\n\r\n" % (path, host)).encode())
    head = read_head(s)
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    s.close()
    line = head.split(b"\r\n", 1)[0]
    log("crl", line)
    try:
        return int(line.split()[1])
    except (IndexError, ValueError):
        return 0


def client(a):
    addr = a.connect
    for extra in a.extra_query:
        dns_query(a.dns, extra, a.qtype, qid=0x2222)
    if a.name and a.dns:
        addr = resolve(a, a.name)
        if addr is None:
            return 0			# no address: Windows never tries TCP
    if a.proxy:
        paddr, pport = a.proxy.rsplit(":", 1)
        raw = socket.create_connection((paddr.strip("[]"), int(pport)),
                                       timeout=a.timeout)
        raw.sendall(("CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n"
                     "Content-Length: 0\r\nProxy-Connection: Keep-Alive\r\n"
                     "Pragma: no-cache\r\n\r\n" % (a.sni, a.port, a.sni, a.port)).encode())
        try:
            head = read_head(raw)
        except OSError as e:
            log("proxy:", e)
            raw.close()
            return 0
        log("proxy:", head.split(b"\r\n", 1)[0])
        if not head.split(b" ")[1:2] == [b"200"]:
            raw.close()
            return 0
    else:
        raw = socket.socket(family(addr), socket.SOCK_STREAM)
        raw.settimeout(a.timeout)
        try:
            raw.connect((addr, a.port))
        except OSError as e:
            log("connect:", e)
            raw.close()
            return 0
    raw.settimeout(a.timeout)
    try:
        t = client_ctx(a).wrap_socket(raw, server_hostname=a.sni)
    except (ssl.SSLError, OSError) as e:
        log("handshake:", e)
        raw.close()
        return 0
    log("handshake ok:", t.version(), t.cipher()[0])
    if a.post:
        t.sendall(("POST /IPHTTPS HTTP/1.1\r\nHost: %s\r\nContent-Length: %s\r\n\r\n"
                   % (a.sni, IPHTTPS_CL)).encode())
        t.settimeout(a.reply_timeout)
        head = read_head(t)
        log("reply:", head.split(b"\r\n", 1)[0])
        if head.startswith(b"HTTP/1.1 200"):
            t.sendall(RS)
            try:
                t.recv(4096)
            except (ssl.SSLError, OSError):
                pass
    elif a.get:
        t.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                   % a.sni).encode())
        read_head(t)
    if a.crl:
        # The revocation check of the server certificate: CDP URL
        host, path = a.crl.split("://", 1)[1].split("/", 1)
        caddr = resolve(a, host) if a.dns else a.crl_addr
        status = http_get(caddr, 80, host, "/" + path) if caddr else 0
        if status != 200:
            log("revocation offline: closing the tunnel")
    time.sleep(a.linger)
    try:
        t.unwrap()
    except (ssl.SSLError, OSError):
        pass
    t.close()
    return 0


# ----------------------------------------------------------------------- dns

def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns(a):
    zone = {}				# (name, type) -> [addr]; name -> exists
    names = set()
    for rec in a.record:		# name=A:addr | name=AAAA:addr | name=AAAA:
        name, rest = rec.split("=", 1)
        t, _, ad = rest.partition(":")
        if t == "AAAA" and ad == "":
            names.add(name.lower())
            continue
        names.add(name.lower())
        zone.setdefault((name.lower(), t), []).append(rest.split(":", 1)[1])
    socks = []
    for b in a.bind:
        s = socket.socket(family(b), socket.SOCK_DGRAM)
        s.bind((b, 53))
        socks.append(s)
    log("dns on", a.bind)
    while True:
        r, _, _ = select.select(socks, [], [])
        for s in r:
            q, peer = s.recvfrom(2048)
            if len(q) < 17:
                continue
            off, labels = 12, []
            while q[off]:
                labels.append(q[off + 1:off + 1 + q[off]].decode())
                off += 1 + q[off]
            qname = ".".join(labels).lower()
            qtype = struct.unpack("!H", q[off + 1:off + 3])[0]
            question = q[12:off + 5]
            tname = {1: "A", 28: "AAAA"}.get(qtype, "?")
            answers = zone.get((qname, tname), [])
            rcode = 0 if qname in names else 3
            flags = 0x8400 | 0x0100 | rcode | 0x80
            resp = struct.pack("!HHHHHH", struct.unpack("!H", q[:2])[0], flags,
                               1, len(answers), 0, 0) + question
            for ad in answers:
                rd = socket.inet_pton(socket.AF_INET6 if tname == "AAAA"
                                      else socket.AF_INET, ad)
                resp += struct.pack("!HHHIH", 0xC00C, qtype, 1, 300, len(rd)) + rd
            s.sendto(resp, peer)


# ---------------------------------------------------------------------- http

def http(a):
    ls = listen(a.bind, a.port)
    log("http on", a.bind, a.port)
    while True:
        conn, _ = ls.accept()
        head = read_head(conn)
        path = head.split(b" ")[1].decode() if b" " in head else "/"
        body = None
        if a.crl and path == "/corp-root.crl":
            with open(a.crl, "rb") as f:
                body = f.read()
            ctype = b"application/pkix-crl"
        elif a.page and path == "/":
            body = b"<html><body>other.example</body></html>\r\n"
            ctype = b"text/html"
        if body is None:
            body = b"<html><body>404 Not Found</body></html>\r\n"
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nServer: Microsoft-IIS/10.0\r\n"
                         b"Content-Type: text/html\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\n"
                         b"Content-Type: " + ctype + b"\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
        time.sleep(0.05)
        conn.close()


# --------------------------------------------------------------------- proxy

def pipe(x, y, x_to_y=None, idle=10):
    """Relay both ways until a side ends or both are idle for `idle` s;
    what x sends goes through x_to_y when given."""
    socks = [x, y]
    while True:
        r, _, _ = select.select(socks, [], [], idle)
        if not r:
            return
        for s in r:
            try:
                b = s.recv(16384)
            except OSError:
                return
            if not b:
                return
            if s is x:
                y.sendall(x_to_y(b) if x_to_y is not None else b)
            else:
                x.sendall(b)


def proxy(a):
    ls = listen(a.bind, a.port)
    log("proxy", a.mode, "on", a.bind, a.port)
    while True:
        conn, _ = ls.accept()
        head = read_head(conn)
        if a.mode == "reset":
            time.sleep(0.05)
            reset(conn)
            continue
        if a.mode == "deny":
            body = b"<html><body>Access denied by policy</body></html>\r\n"
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nServer: squid\r\n"
                         b"Content-Type: text/html\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n"
                         b"Connection: close\r\n\r\n" + body)
            time.sleep(0.05)
            conn.close()
            continue
        target = head.split(b" ")[1].decode()
        host, port = target.rsplit(":", 1)
        up = socket.create_connection((a.upstream, int(port)), timeout=5)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        pipe(conn, up)
        up.close()
        conn.close()


# -------------------------------------------------------------------- tamper

def tamper(a):
    """Relay one connection to --upstream; in the client's stream, after its
    ChangeCipherSpec, flip one payload byte of the first application-data
    record. The TLS records are followed across reads by their headers."""
    ls = listen(a.bind, a.port)
    conn, _ = ls.accept()
    up = socket.create_connection((a.upstream, a.port), timeout=5)
    state = {"buf": b"", "ccs": False, "done": False}

    def c2s(data):
        if state["done"]:
            return data
        out = bytearray(data)
        state["buf"] += data
        base = len(state["buf"]) - len(data)   # offset of data in buf
        at = 0
        while len(state["buf"]) - at >= 5:
            ctype = state["buf"][at]
            rlen = struct.unpack(">H", state["buf"][at + 3:at + 5])[0]
            if ctype == 20:
                state["ccs"] = True
            elif ctype == 23 and state["ccs"] and rlen > 0:
                flip = at + 5 + min(8, rlen - 1)  # inside the payload
                if flip >= base and flip - base < len(out):
                    out[flip - base] ^= 0x20
                    state["done"] = True
                    log("tamper: flipped byte", flip)
                    break
            if len(state["buf"]) - at < 5 + rlen:
                break
            at += 5 + rlen
        state["buf"] = state["buf"][at:]
        return bytes(out)

    pipe(conn, up, c2s, a.hold)
    conn.close()
    up.close()
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("tls-server")
    s.add_argument("--bind", required=True)
    s.add_argument("--port", type=int, default=443)
    s.add_argument("--mode", default="tls",
                   choices=["tls", "silent", "reset", "close", "http400"])
    s.add_argument("--cert")
    s.add_argument("--key")
    s.add_argument("--ciphers", default="NULL-SHA256:NULL-SHA:AES128-SHA256:"
                   "AES256-SHA:@SECLEVEL=0")
    s.add_argument("--min", default="1.2")
    s.add_argument("--max", default="1.2")
    s.add_argument("--verify", default="none", choices=["none", "optional", "required"])
    s.add_argument("--client-ca")
    s.add_argument("--http-reply", default="iphttps", choices=["iphttps", "web404"])
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--hold", type=float, default=30)
    s.add_argument("--delay", type=float, default=0)
    s.add_argument("--ttl-listen", type=int)
    s.add_argument("--ttl-conn", type=int)
    c = sub.add_parser("client")
    c.add_argument("--connect")
    c.add_argument("--name", help="resolve this name with --dns first")
    c.add_argument("--dns")
    c.add_argument("--extra-query", action="append", default=[])
    c.add_argument("--qtype", default="A", choices=["A", "AAAA"])
    c.add_argument("--port", type=int, default=443)
    c.add_argument("--sni", default="da.corp.example")
    c.add_argument("--ciphers", default="NULL-SHA256:NULL-SHA:AES128-SHA256:"
                   "AES128-SHA:AES256-SHA256:AES256-SHA:@SECLEVEL=0")
    c.add_argument("--min", default="1.2")
    c.add_argument("--max", default="1.2")
    c.add_argument("--ca")
    c.add_argument("--check-hostname", action="store_true")
    c.add_argument("--cert")
    c.add_argument("--key")
    c.add_argument("--post", action="store_true")
    c.add_argument("--get", action="store_true")
    c.add_argument("--proxy")
    c.add_argument("--crl")
    c.add_argument("--crl-addr")
    c.add_argument("--timeout", type=float, default=10)
    c.add_argument("--reply-timeout", type=float, default=3)
    c.add_argument("--linger", type=float, default=0.2)
    d = sub.add_parser("dns")
    d.add_argument("--bind", action="append", required=True)
    d.add_argument("--record", action="append", default=[])
    h = sub.add_parser("http")
    h.add_argument("--bind", required=True)
    h.add_argument("--port", type=int, default=80)
    h.add_argument("--crl")
    h.add_argument("--page", action="store_true")
    x = sub.add_parser("proxy")
    x.add_argument("--bind", required=True)
    x.add_argument("--port", type=int, default=8080)
    x.add_argument("--mode", default="deny", choices=["deny", "reset", "tunnel"])
    x.add_argument("--upstream")
    t = sub.add_parser("tamper")
    t.add_argument("--bind", required=True)
    t.add_argument("--port", type=int, default=443)
    t.add_argument("--upstream", required=True)
    t.add_argument("--hold", type=float, default=10)
    a = p.parse_args()
    return {"tls-server": tls_server, "client": client, "dns": dns,
            "http": http, "proxy": proxy, "tamper": tamper}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())

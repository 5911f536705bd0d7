#!/usr/bin/env python3
"""IP-HTTPS ends for the tunnel lab (testdata/gen/iphttps-inner.sh).

Both ends of a NULL-cipher TLS connection (Python's ssl module, i.e.
OpenSSL, suite NULL-SHA256 at security level 0) that carry a real TUN
device's IPv6 packets framed as MS-IPHTTPS 3.1.5.3 / 3.2.5.2.2 say: the
client sends "POST /IPHTTPS" with Content-Length 18446744073709551615, the
server answers with an HTTP head, then each direction's entity body is the
IPv6 packets back to back, delimited only by their Payload Length.

  iphttps_relay.py client TUN HOST PORT CAFILE   (exits when the server
                                                  closes, or on SIGTERM)
  iphttps_relay.py server TUN PORT CERT KEY
  iphttps_relay.py web STATUS PORT CERT KEY      (a web server, Python's
                    http.server, answering every POST with STATUS: an ADC's
                    503, a site's 404)
"""
import fcntl
import http.server
import os
import select
import socket
import ssl
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
CIPHERS = "NULL-SHA256:@SECLEVEL=0"


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(),
                                           IFF_TUN | IFF_NO_PI))
    return fd


def context(server):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server
                         else ssl.PROTOCOL_TLS_CLIENT)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(CIPHERS)
    return ctx


def read_head(s):
    head = b""
    while b"\r\n\r\n" not in head:
        b = s.recv(4096)
        if not b:
            raise SystemExit("peer closed before its HTTP head ended")
        head += b
    i = head.index(b"\r\n\r\n") + 4
    return head[:i], head[i:]


def relay(s, tun, rest):
    """TUN -> body and body -> TUN, cut by the IPv6 Payload Length."""
    buf = rest
    s.setblocking(False)
    while True:
        if s.pending():
            r, _, _ = select.select([tun], [], [], 0)
            r.append(s)
        else:
            r, _, _ = select.select([s, tun], [], [])
        if tun in r:
            s.setblocking(True)
            s.sendall(os.read(tun, 65575))
            s.setblocking(False)
        if s in r:
            try:
                b = s.recv(65536)
            except ssl.SSLWantReadError:
                continue
            if not b:
                return
            buf += b
        while len(buf) >= 40:
            if buf[0] >> 4 != 6:
                raise SystemExit("non-IPv6 byte in the body")
            n = 40 + (buf[4] << 8 | buf[5])
            if len(buf) < n:
                break
            os.write(tun, buf[:n])
            buf = buf[n:]


def client(tun_name, host, port, cafile):
    tun = open_tun(tun_name)
    ctx = context(False)
    ctx.load_verify_locations(cafile)
    raw = socket.create_connection((host, int(port)))
    s = ctx.wrap_socket(raw, server_hostname="da.corp.example")
    s.sendall(b"POST /IPHTTPS HTTP/1.1\r\nHost: da.corp.example\r\n"
              b"Content-Length: 18446744073709551615\r\n\r\n")
    head, rest = read_head(s)
    status = head.split(b" ", 2)[1]
    print("answer:", head.split(b"\r\n", 1)[0].decode(), flush=True)
    if status[:1] != b"2":
        s.close()
        return
    # the tunnel is up: the interface comes up now, so its Router
    # Solicitation goes into the tunnel
    os.system("ip link set %s up" % tun_name)
    relay(s, tun, rest)


def server(tun_name, port, cert, key):
    ctx = context(True)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", int(port)))
    ls.listen(1)
    raw, _ = ls.accept()
    s = ctx.wrap_socket(raw, server_side=True)
    head, rest = read_head(s)
    if not head.startswith(b"POST "):
        s.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        return
    # the client's link exists from now on (router advertisements sent
    # before it are not queued for it)
    tun = open_tun(tun_name)
    s.sendall(b"HTTP/1.1 200 OK\r\nDate: Sun, 06 Dec 2026 10:00:00 GMT"
              b"\r\n\r\n")
    relay(s, tun, rest)


def web(status, port, cert, key):
    code = int(status)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.send_error(code)
            self.close_connection = True

    ctx = context(True)
    ctx.load_cert_chain(cert, key)
    srv = http.server.HTTPServer(("0.0.0.0", int(port)), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.handle_request()


if __name__ == "__main__":
    mode = sys.argv[1]
    {"client": client, "server": server, "web": web}[mode](*sys.argv[2:])

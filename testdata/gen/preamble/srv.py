#!/usr/bin/env python3
"""The server side of a plaintext preamble that leads to TLS, for
testdata/gen/preambles.sh: it speaks what `openssl s_client -starttls PROTO`
expects, then hands the socket to Python's ssl module (OpenSSL) for the
handshake, reads one line of application data and closes.

usage: srv.py PROTO PORT CERT KEY [refuse]
  PROTO: smtp imap pop3 ftp xmpp nntp sieve irc ldap postgres mysql tls
  (tls: TLS from the first byte, the target behind a SOCKS or CONNECT proxy)
  refuse: answer the upgrade with the protocol's "no" and close.
Serves one connection, then exits.
"""
import socket
import ssl
import sys


def lines(f):
    """Read one CRLF line from the client."""
    return f.readline()


def send(c, s):
    c.sendall(s.encode() if isinstance(s, str) else s)


def smtp(c, f, refuse):
    send(c, "220 mail.corp.example ESMTP\r\n")
    lines(f)                                    # EHLO
    send(c, "250-mail.corp.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
    while lines(f).strip().upper() == b"RSET":  # pipelined before STARTTLS
        send(c, "250 2.0.0 Ok\r\n")
    if refuse:
        send(c, "454 4.7.0 TLS not available due to local problem\r\n")
        return False
    send(c, "220 2.0.0 Ready to start TLS\r\n")
    return True


def imap(c, f, refuse):
    send(c, "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")
    tag = lines(f).split(b" ")[0].decode()      # . CAPABILITY
    send(c, "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n")
    send(c, "%s OK CAPABILITY completed\r\n" % tag)
    tag = lines(f).split(b" ")[0].decode()      # . STARTTLS
    if refuse:
        send(c, "%s BAD STARTTLS unavailable\r\n" % tag)
        return False
    send(c, "%s OK Begin TLS negotiation now\r\n" % tag)
    return True


def pop3(c, f, refuse):
    send(c, "+OK POP3 ready\r\n")
    lines(f)                                    # STLS
    if refuse:
        send(c, "-ERR not now\r\n")
        return False
    send(c, "+OK Begin TLS negotiation\r\n")
    return True


def ftp(c, f, refuse):
    send(c, "220-Corp FTP\r\n220 ready\r\n")
    lines(f)                                    # AUTH TLS
    if refuse:
        send(c, "534 Request denied for policy reasons\r\n")
        return False
    send(c, "234 Proceed with negotiation.\r\n")
    return True


def xmpp(c, f, refuse):
    buf = b""
    while b">" not in buf:                      # <stream:stream ...>
        buf += c.recv(4096)
    send(c, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
         "xmlns:stream='http://etherx.jabber.org/streams' id='1' "
         "from='corp.example' version='1.0'>"
         "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
         "<required/></starttls></stream:features>")
    buf = b""
    while b"starttls" not in buf or not buf.rstrip().endswith(b">"):
        buf += c.recv(4096)
    if refuse:
        send(c, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
             "</stream:stream>")
        return False
    send(c, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    return True


def nntp(c, f, refuse):
    send(c, "200 news.corp.example ready\r\n")
    lines(f)                                    # CAPABILITIES
    send(c, "101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n")
    lines(f)                                    # STARTTLS
    if refuse:
        send(c, "580 Can not initiate TLS negotiation\r\n")
        return False
    send(c, "382 Continue with TLS negotiation\r\n")
    return True


def sieve(c, f, refuse):
    send(c, '"IMPLEMENTATION" "Corp Sieve"\r\n"SIEVE" "fileinto"\r\n'
         '"STARTTLS"\r\n"VERSION" "1.0"\r\nOK "ready"\r\n')
    lines(f)                                    # STARTTLS
    if refuse:
        send(c, 'NO "not now"\r\n')
        return False
    send(c, 'OK "Begin TLS negotiation now"\r\n')
    return True


def irc(c, f, refuse):
    # IRCv3 "tls" extension: STARTTLS answered with numeric 670
    # (RPL_STARTTLS) or 691 (ERR_STARTTLS), after another numeric as real
    # servers send while they look the client up (s_client reads numerics
    # until 670 and gives up at a line without one, such as a NOTICE)
    lines(f)                                    # STARTTLS
    send(c, ":irc.corp.example 020 * :Please wait while we process your "
         "connection.\r\n")
    if refuse:
        send(c, ":irc.corp.example 691 * :STARTTLS failed\r\n")
        return False
    send(c, ":irc.corp.example 670 * :STARTTLS successful, go ahead with "
         "TLS handshake\r\n")
    return True


def ber_read(c):
    """One BER TLV from the socket (an LDAPMessage)."""
    h = c.recv(2)
    n = h[1]
    extra = b""
    if n & 0x80:
        extra = c.recv(n & 0x7F)
        n = int.from_bytes(extra, "big")
    body = b""
    while len(body) < n:
        body += c.recv(n - len(body))
    return h + extra + body


def ldap(c, f, refuse):
    msg = ber_read(c)                           # ExtendedRequest StartTLS
    assert b"1.3.6.1.4.1.1466.20037" in msg
    mid = msg[4]                                # messageID (1 byte)
    code = 2 if refuse else 0                   # protocolError / success
    oid = b"1.3.6.1.4.1.1466.20037"
    resp = bytes([0x0A, 1, code, 0x04, 0, 0x04, 0]) + \
        bytes([0x8A, len(oid)]) + oid
    op = bytes([0x78, len(resp)]) + resp
    body = bytes([0x02, 1, mid]) + op
    send(c, bytes([0x30, len(body)]) + body)
    return not refuse


def postgres(c, f, refuse):
    req = c.recv(8)
    assert req == bytes([0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]), req
    send(c, b"N" if refuse else b"S")
    return not refuse


def mysql(c, f, refuse):
    payload = (b"\x0a" + b"8.0.36-corp\x00" + (42).to_bytes(4, "little") +
               b"abcdefgh" + b"\x00" +
               (0xFFFF if not refuse else 0xF7FF).to_bytes(2, "little") +
               b"\x21" + (2).to_bytes(2, "little") +
               (0x01FF).to_bytes(2, "little") + b"\x15" + b"\x00" * 10 +
               b"ijklmnopqrst\x00" + b"caching_sha2_password\x00")
    send(c, len(payload).to_bytes(3, "little") + b"\x00" + payload)
    if refuse:
        return False
    hdr = c.recv(4)                             # SSLRequest: 32 bytes
    n = int.from_bytes(hdr[:3], "little")
    body = b""
    while len(body) < n:
        body += c.recv(n - len(body))
    return True


def tls(c, f, refuse):
    return True


def main():
    proto, port, cert, key = sys.argv[1:5]
    refuse = len(sys.argv) > 5 and sys.argv[5] == "refuse"
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", int(port)))
    ls.listen(1)
    print("ready", flush=True)
    c, _ = ls.accept()
    f = c.makefile("rb", buffering=0)
    ok = globals()[proto](c, f, refuse)
    if not ok:
        c.close()
        return
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2    # certificates visible
    ctx.load_cert_chain(cert, key)
    s = ctx.wrap_socket(c, server_side=True)
    try:
        s.recv(100)
    except (ssl.SSLError, OSError):
        pass
    try:
        s.close()
    except OSError:
        pass


if __name__ == "__main__":
    main()

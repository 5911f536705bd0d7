#!/usr/bin/env python3
"""An SMTP client that pipelines (RFC 2920) for testdata/gen/preambles.sh:
EHLO, then "RSET" and "STARTTLS" in one write, so the server's first reply
after STARTTLS answers RSET and only the second answers the upgrade; then
a TLS 1.2 handshake with Python's ssl module (OpenSSL), SNI
da.corp.example, one line of application data.

usage: pipelined.py PORT
"""
import socket
import ssl
import sys


def reply(f):
    """One SMTP reply: its lines up to the one whose code has a space."""
    while True:
        line = f.readline()
        if len(line) < 4 or line[3:4] != b"-":
            return line


def main():
    c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    f = c.makefile("rb", buffering=0)
    reply(f)                                    # 220 greeting
    c.sendall(b"EHLO client.corp.example\r\n")
    reply(f)                                    # 250 PIPELINING ...
    c.sendall(b"RSET\r\nSTARTTLS\r\n")
    reply(f)                                    # 250, for RSET
    if not reply(f).startswith(b"220"):         # for STARTTLS
        return
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    s = ctx.wrap_socket(c, server_hostname="da.corp.example")
    s.sendall(b"QUIT\r\n")
    s.close()


if __name__ == "__main__":
    main()

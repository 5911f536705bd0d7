#!/usr/bin/env python3
"""Hand-damaged copies of real captures, for the malformed-input scenarios
(issue 17): the server's first record header in preamble-smtp.pcap gets the
version 0xFFFF (the record layer must say so, read on from the next header
and the tls-protocol-violation rule must name the frame).
usage: testdata/gen/malformed-tls.py   (from the top of the tree)"""
import struct

SRC = "testdata/scenarios/preamble-smtp.pcap"
DST = "testdata/scenarios/malformed-record-version.pcap"
FRAME = 12          # ServerHello, Certificate, ... in one segment

data = bytearray(open(SRC, "rb").read())
off, n = 24, 0
while off < len(data):
    incl = struct.unpack_from("<I", data, off + 8)[0]
    n += 1
    if n == FRAME:
        pkt = off + 16
        i = data.index(b"\x16\x03\x03", pkt, pkt + incl)
        data[i + 1:i + 3] = b"\xff\xff"
        break
    off += 16 + incl
open(DST, "wb").write(data)

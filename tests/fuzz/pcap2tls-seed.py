#!/usr/bin/env python3
"""Turn the first TCP connection of a capture into a fuzz_tls seed (the
format in fuzz_tls.c: a flags byte, then segments with a 2-byte header,
top bit = server to client). Needs tshark.
usage: tests/fuzz/pcap2tls-seed.py CAPTURE SEED"""
import subprocess
import sys

cap, out = sys.argv[1:3]
rows = subprocess.run(
    ["tshark", "-r", cap, "-n", "-Y", "tcp.stream == 0 && tcp.len > 0 && "
     "!tcp.analysis.retransmission", "-T", "fields", "-e", "tcp.srcport",
     "-e", "tcp.dstport", "-e", "tcp.payload"],
    check=True, capture_output=True, text=True).stdout.split("\n")
client = None
buf = bytearray([0])
for r in rows:
    if not r.strip():
        continue
    sport, dport, hexp = r.split("\t")
    if client is None:
        client = sport
    data = bytes.fromhex(hexp.split(",")[0].replace(":", ""))
    while data:
        k = min(len(data), 0x7FFF)
        hdr = k | (0x8000 if sport != client else 0)
        buf += hdr.to_bytes(2, "big") + data[:k]
        data = data[k:]
open(out, "wb").write(buf)

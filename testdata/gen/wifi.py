#!/usr/bin/env python3
"""Re-encapsulate a capture made by real TLS stacks as a Wi-Fi client logs it.

Reads a little-endian classic pcap of Ethernet frames (default: the
OpenSSL NULL-cipher session testdata/scenarios/ok-null-openssl.pcap, made
by testdata/gen/scenarios.sh) and writes the same traffic as native 802.11
data frames, the way netsh and pktmon log a Wi-Fi adapter (IEEE Std
802.11-2020 9.2: QoS data subtype, To-DS from the client, From-DS from the
access point, RFC 1042 LLC/SNAP), in three link types: IEEE802_11 (105),
IEEE802_11_RADIOTAP (127, a minimal radiotap header with a flags field)
and PPI (192, PPI header naming 105). After the session come three frames
that carry no IP for us: a beacon (management), a QoS null-data frame and
a protected (CCMP) data frame, so a test sees them counted and not
decoded. Frame numbers of the session are unchanged.

Usage: python3 testdata/gen/wifi.py [SRC.pcap] [OUTDIR]
Needs only python3.
"""
import struct
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "testdata/scenarios/ok-null-openssl.pcap"
OUT = sys.argv[2] if len(sys.argv) > 2 else "testdata/scenarios"
BSSID = bytes.fromhex("02000000a0a0")


def records(path):
    data = open(path, "rb").read()
    magic, _, _, _, _, _, lt = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B2C3D4 and lt == 1, "a little-endian Ethernet pcap"
    off = 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        yield sec, usec, data[off + 16:off + 16 + incl]
        off += 16 + incl


def qos_data(eth, client_mac):
    dst, src, etype = eth[0:6], eth[6:12], eth[12:14]
    if src == client_mac:       # client -> AP: To DS; A1 BSSID, A2 SA, A3 DA
        fc1, a1, a2, a3 = 0x01, BSSID, src, dst
    else:                       # AP -> client: From DS; A1 DA, A2 BSSID, A3 SA
        fc1, a1, a2, a3 = 0x02, dst, BSSID, src
    hdr = struct.pack("<BBH", 0x88, fc1, 0) + a1 + a2 + a3
    hdr += struct.pack("<H", 0) + struct.pack("<H", 0)   # seq, QoS control
    return hdr + bytes.fromhex("aaaa03000000") + etype + eth[14:]


def extras(client_mac):
    beacon = struct.pack("<BBH", 0x80, 0, 0) + b"\xff" * 6 + BSSID + BSSID
    beacon += struct.pack("<H", 0) + bytes(12) + b"\x00\x04Corp"
    null = struct.pack("<BBH", 0xC8, 0x01, 0) + BSSID + client_mac + BSSID
    null += struct.pack("<HH", 0x10, 0)
    prot = struct.pack("<BBH", 0x88, 0x41, 0) + BSSID + client_mac + BSSID
    prot += struct.pack("<HH", 0x20, 0) + bytes.fromhex("0100002000000000")
    prot += bytes(range(48)) + bytes(8)             # ciphertext and MIC
    return [beacon, null, prot]


def radiotap(frame):
    # version 0, pad, length 9, present = flags (bit 1), flags = 0
    return struct.pack("<BBHIB", 0, 0, 9, 0x2, 0) + frame


def ppi(frame):
    return struct.pack("<BBHI", 0, 0, 8, 105) + frame


def write(path, lt, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, lt))
        for sec, usec, b in frames:
            f.write(struct.pack("<IIII", sec, usec, len(b), len(b)) + b)


def main():
    recs = list(records(SRC))
    client_mac = recs[0][2][6:12]   # the first frame is the client's SYN
    frames = [(s, u, qos_data(e, client_mac)) for s, u, e in recs]
    s, u = recs[-1][0], recs[-1][1]
    frames += [(s, u + 1 + i, x) for i, x in enumerate(extras(client_mac))]
    base = OUT + "/" + SRC.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    write(base + "-wifi.pcap", 105, frames)
    write(base + "-radiotap.pcap", 127, [(s, u, radiotap(b)) for s, u, b in frames])
    write(base + "-ppi.pcap", 192, [(s, u, ppi(b)) for s, u, b in frames])


main()

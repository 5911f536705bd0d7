#!/usr/bin/python3
"""A tunnel endpoint for testdata/gen/tunnels.sh, run inside a namespace.

The kernels these captures are made on have no GRE, IPIP or SIT modules,
so the tunnels are carried by this relay: it owns a TUN device whose
packets come from the namespace's real TCP/IP stack (the TLS client or
server), wraps each one in the tunnel's header exactly as its RFC lays it
out and sends it to the peer relay over the veth; the peer unwraps and
writes the inner packet to its own TUN device. tcpdump on the veth sees
what a capture on a real tunnel's underlay sees.

  relay.py --tun NAME --local A --peer B --kind gre|gre-key|aruba|ipip|6in4|gtpu|geneve|teredo

Only the two addresses given are used. Runs until killed.
"""
import argparse
import fcntl
import os
import select
import socket
import struct

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def ethertype(pkt):
    return 0x86DD if pkt[0] >> 4 == 6 else 0x0800


class Gre:
    """RFC 2784 base header; gre-key adds the RFC 2890 key and sequence."""
    proto = 47

    def __init__(self, keyed):
        self.keyed = keyed
        self.seq = 0

    def wrap(self, pkt):
        if not self.keyed:
            return struct.pack("!HH", 0, ethertype(pkt)) + pkt
        self.seq += 1
        return struct.pack("!HHII", 0x3000, ethertype(pkt), 0x2A, self.seq) + pkt

    def unwrap(self, data):
        flags, _ = struct.unpack("!HH", data[:4])
        off = 4 + 4 * bool(flags & 0x8000) + 4 * bool(flags & 0x2000) + 4 * bool(flags & 0x1000)
        return data[off:]


class Aruba:
    """GRE with protocol type 0x8200, as Aruba access points tunnel their
    clients' frames to the controller: the 802.11 data frame as it was on
    the air, decrypted (a 24-byte header, to the DS from the client and
    from the DS to it, then RFC 1042 LLC/SNAP and the EtherType)."""
    proto = 47
    bssid = bytes.fromhex("00246c000001")
    sta = bytes.fromhex("3c15c2000002")
    gw = bytes.fromhex("00246c0000fe")

    def __init__(self, to_ds):
        self.to_ds = to_ds
        self.seq = 0

    def wrap(self, pkt):
        self.seq = (self.seq + 1) & 0xFFF
        if self.to_ds:
            fc, addrs = 0x0801, self.bssid + self.sta + self.gw
        else:
            fc, addrs = 0x0802, self.sta + self.bssid + self.gw
        hdr = struct.pack("!HH", fc, 0x2C00) + addrs + struct.pack("<H", self.seq << 4)
        llc = bytes([0xAA, 0xAA, 3, 0, 0, 0]) + struct.pack("!H", ethertype(pkt))
        return struct.pack("!HH", 0, 0x8200) + hdr + llc + pkt

    def unwrap(self, data):
        return data[4 + 24 + 8:]


class IpIn:
    """IPv4 in IPv4 (protocol 4) or IPv6 in IPv4 (protocol 41): no header."""

    def __init__(self, proto):
        self.proto = proto

    def wrap(self, pkt):
        return pkt

    def unwrap(self, data):
        return data


class Gtpu:
    """3GPP TS 29.281 G-PDU; every other packet carries the sequence
    number word and a PDU session container extension header."""
    port = 2152

    def __init__(self):
        self.n = 0

    def wrap(self, pkt):
        self.n += 1
        if self.n % 2:
            return struct.pack("!BBHI", 0x30, 255, len(pkt), 0x1000) + pkt
        ext = bytes([1, 0x10, 0x09, 0])      # PDU session container, QFI 9
        body = struct.pack("!HBB", self.n, 0, 0x85) + ext + pkt
        return struct.pack("!BBHI", 0x34, 255, len(body), 0x1000) + body

    def unwrap(self, data):
        flags = data[0]
        off = 8
        if flags & 7:
            nxt = data[off + 3]
            off += 4
            while nxt:
                words = data[off]
                nxt = data[off + words * 4 - 1]
                off += words * 4
        return data[off:]


class Geneve:
    """RFC 8926: an 8-byte header (version 0, option length in 4-byte
    words, protocol type, VNI), then options, then the packet; every other
    packet carries one 8-byte option (class 0x0108, type 1), as load
    balancers that steer traffic through appliances add theirs."""
    port = 6081

    def __init__(self):
        self.n = 0

    def wrap(self, pkt):
        self.n += 1
        opts = b""
        if self.n % 2 == 0:
            opts = struct.pack("!HBBI", 0x0108, 1, 1, self.n)
        return struct.pack("!BBHI", len(opts) // 4, 0, ethertype(pkt),
                           42 << 8) + opts + pkt

    def unwrap(self, data):
        return data[8 + (data[0] & 0x3F) * 4:]


class Teredo:
    """RFC 4380: IPv6 in UDP; the server side puts an origin indication
    (5.1.1) in front of its first packets, as a Teredo server does."""
    port = 3544

    def __init__(self, origin):
        self.origin = origin
        self.n = 0

    def wrap(self, pkt):
        self.n += 1
        if self.origin is not None and self.n <= 2:
            host, port = self.origin
            obf_port = port ^ 0xFFFF
            obf_addr = bytes(b ^ 0xFF for b in socket.inet_aton(host))
            return struct.pack("!HH", 0, obf_port) + obf_addr + pkt
        return pkt

    def unwrap(self, data):
        if data[:2] == b"\x00\x01":
            idl, aul = data[2], data[3]
            data = data[4 + idl + aul + 9:]
        if data[:2] == b"\x00\x00":
            data = data[8:]
        return data


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tun", required=True)
    p.add_argument("--local", required=True)
    p.add_argument("--peer", required=True)
    p.add_argument("--kind", required=True,
                   choices=["gre", "gre-key", "aruba", "ipip", "6in4", "gtpu", "geneve", "teredo"])
    p.add_argument("--server", action="store_true",
                   help="the server end (Teredo: sends origin indications)")
    a = p.parse_args()

    tun = open_tun(a.tun)
    if a.kind in ("gtpu", "geneve", "teredo"):
        if a.kind == "teredo":
            t = Teredo((a.peer, 40000) if a.server else None)
        else:
            t = Gtpu() if a.kind == "gtpu" else Geneve()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # the Teredo client talks from its own port to the server's 3544
        lport = t.port if (a.kind != "teredo" or a.server) else 40000
        rport = t.port if (a.kind != "teredo" or not a.server) else 40000
        s.bind((a.local, lport))
        send = lambda b: s.sendto(b, (a.peer, rport))
        recv = lambda: s.recv(65535)
    else:
        t = {"gre": Gre(False), "gre-key": Gre(True), "aruba": Aruba(not a.server),
             "ipip": IpIn(4), "6in4": IpIn(41)}[a.kind]
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, t.proto)
        s.bind((a.local, 0))
        send = lambda b: s.sendto(b, (a.peer, 0))

        def recv():
            d = s.recv(65535)
            return d[(d[0] & 15) * 4:]      # raw IPv4 sockets see the header
    while True:
        r, _, _ = select.select([tun, s], [], [])
        if tun in r:
            send(t.wrap(os.read(tun, 65535)))
        if s in r:
            inner = t.unwrap(recv())
            if inner:
                os.write(tun, inner)


if __name__ == "__main__":
    main()

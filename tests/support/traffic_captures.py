#!/usr/bin/python3
"""Writes one pcap per traffic case into the directory given (argument 1), crafted with scapy,
for the tshark oracle test (tests/integration/traffic_oracle_test.cpp): DNS over UDP and TCP on
53 and on other ports, random UDP that is not DNS, malformed DNS, bytes of packets whose IP
length field does not hold their size, malformed IP, fragments, VXLAN and Geneve. Addresses are
private or documentation ranges; nothing is sent anywhere."""
import os
import sys

from scapy.all import (DNS, DNSQR, DNSRR, IP, TCP, UDP, VXLAN, Ether, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrRouting, Jumbo, Raw, PcapWriter, fragment, fragment6)
from scapy.contrib.geneve import GENEVE

out = sys.argv[1]
C, R, EXT = "172.18.0.2", "172.18.0.53", "203.0.113.70"
C6, EXT6 = "2001:db8::2", "2001:db8::70"
ETH = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
t = [1795683600.0]


def write(name, packets):
    w = PcapWriter(os.path.join(out, name), linktype=1, sync=True)
    for p in packets:
        t[0] += 0.01
        p.time = t[0]
        w.write(p)
    w.close()


def eth(p):
    return Ether(**ETH) / p


def query(name, ident=1, qtype="A"):
    return DNS(id=ident, rd=1, qd=DNSQR(qname=name, qtype=qtype))


def answer(name, addr, ident=1):
    return DNS(id=ident, qr=1, aa=1, rd=1, ra=1, qd=DNSQR(qname=name),
               an=DNSRR(rrname=name, type="A", ttl=60, rdata=addr))


def tcp_stream(src, dst, sport, dport, chunks_out, chunks_back):
    """A handshake, then chunks from the client, then chunks back, then FIN/ACKs."""
    cs, ss = 1000, 5000
    ps = [eth(IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags="S", seq=cs)),
          eth(IP(src=dst, dst=src) / TCP(sport=dport, dport=sport, flags="SA", seq=ss,
                                         ack=cs + 1))]
    cs, ss = cs + 1, ss + 1
    for c in chunks_out:
        ps.append(eth(IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags="PA", seq=cs,
                                                 ack=ss) / Raw(c)))
        cs += len(c)
    for c in chunks_back:
        ps.append(eth(IP(src=dst, dst=src) / TCP(sport=dport, dport=sport, flags="PA", seq=ss,
                                                 ack=cs) / Raw(c)))
        ss += len(c)
    ps.append(eth(IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags="FA", seq=cs,
                                             ack=ss)))
    ps.append(eth(IP(src=dst, dst=src) / TCP(sport=dport, dport=sport, flags="FA", seq=ss,
                                             ack=cs + 1)))
    return ps


def prefixed(msg):
    b = bytes(msg)
    return len(b).to_bytes(2, "big") + b


# DNS over UDP 53: a query and its answer.
write("dns-udp.pcap", [
    eth(IP(src=C, dst=R) / UDP(sport=40000, dport=53) / query("udp.c2.example")),
    eth(IP(src=R, dst=C) / UDP(sport=53, dport=40000) / answer("udp.c2.example", "203.0.113.80")),
])

# DNS over TCP 53: two queries in one stream, the first split in two segments, the second in
# the same segment as the end of the first; two answers in one segment.
q1, q2 = prefixed(query("first.tcp.example", 2)), prefixed(query("second.tcp.example", 3, "TXT"))
a = prefixed(answer("first.tcp.example", "203.0.113.81", 2)) + \
    prefixed(answer("second.tcp.example", "203.0.113.82", 3))
write("dns-tcp.pcap", tcp_stream(C, R, 40001, 53, [q1[:9], q1[9:] + q2], [a]))

# DNS on other ports (UDP 8053, TCP 5300) and random payloads there that are not DNS.
noise = bytes((i * 37 + 11) & 0xff for i in range(64))
write("dns-other-ports.pcap",
      [eth(IP(src=C, dst=EXT) / UDP(sport=40002, dport=8053) / query("tunnel.c2.example")),
       eth(IP(src=EXT, dst=C) / UDP(sport=8053, dport=40002) /
           answer("tunnel.c2.example", "203.0.113.83")),
       eth(IP(src=C, dst=EXT) / UDP(sport=40003, dport=9999) / Raw(noise)),
       eth(IP(src=C, dst=EXT) / UDP(sport=40004, dport=9999) / Raw(b"\x00\x01" * 40))] +
      tcp_stream(C, EXT, 40005, 5300, [prefixed(query("tcp.c2.example", 4))], []) +
      tcp_stream(C, EXT, 40006, 5301, [noise], [noise]))

# Malformed DNS on UDP 53: a pointer forward, a pointer loop, a name over 255 octets.
hdr = bytes.fromhex("abcd01000001000000000000")
write("dns-malformed.pcap", [
    eth(IP(src=C, dst=R) / UDP(sport=40010, dport=53) / Raw(hdr + b"\x02c2\xc0\x20\x00\x01\x00\x01")),
    eth(IP(src=C, dst=R) / UDP(sport=40011, dport=53) / Raw(hdr + b"\xc0\x0c\x00\x01\x00\x01")),
    eth(IP(src=C, dst=R) / UDP(sport=40012, dport=53) /
        Raw(hdr + (b"\x3c" + b"a" * 60) * 5 + b"\x00\x00\x01\x00\x01")),
])

# Bytes: IPv4 BIG TCP (total length 0; 150000 bytes on the wire, 300 captured), TSO as seen on
# the capturing host (a 60000-byte segment), an IPv6 jumbogram (hop-by-hop jumbo option), IPv6
# BIG TCP (payload length 0, no option).
big = eth(IP(src=C, dst=EXT, len=0) / TCP(sport=40020, dport=443, flags="A") / Raw(b"x" * 246))
big.wirelen = 14 + 150000
tso = eth(IP(src=C, dst=EXT) / TCP(sport=40021, dport=443, flags="A") / Raw(b"y" * 59960))
jumbo = eth(IPv6(src=C6, dst=EXT6, plen=0) / IPv6ExtHdrHopByHop(options=[Jumbo(jumboplen=100008)]) /
            TCP(sport=40022, dport=443, flags="A") / Raw(b"z" * 200))
jumbo.wirelen = 14 + 40 + 100008
big6 = eth(IPv6(src=C6, dst=EXT6, plen=0) / TCP(sport=40023, dport=443, flags="A") / Raw(b"w" * 200))
big6.wirelen = 14 + 40 + 80000
write("bytes.pcap", [big, tso, jumbo, big6])

# Malformed IP: an IPv6 routing header longer than the packet, an extension chain cut short,
# an IPv4 header length beyond the captured bytes.
bad_rh = eth(IPv6(src=C6, dst="2001:db8::71") / IPv6ExtHdrRouting(len=200, addresses=[]) /
             TCP(sport=1, dport=2))
cut = eth(IPv6(src=C6, dst="2001:db8::72", nh=60, plen=0))
bad_ihl = bytearray(bytes(eth(IP(src=C, dst="203.0.113.73") / TCP(sport=3, dport=4))))
bad_ihl[14] = 0x4f  # 60-byte header in a 40-byte packet
write("malformed-ip.pcap", [bad_rh, cut, Ether(bytes(bad_ihl))])

# Fragments: an IPv4 datagram in three fragments sent last-first, an IPv6 one in order, and
# an IPv4 fragment whose first fragment never came.
v4 = fragment(IP(src=C, dst=EXT, id=77) / UDP(sport=40030, dport=9000) / Raw(b"f" * 2500),
              fragsize=1000)
v6 = fragment6(IPv6(src=C6, dst=EXT6) / IPv6ExtHdrFragment(id=99) / UDP(sport=40031, dport=9000) /
               Raw(b"g" * 2500), 1280)
orphan = IP(src=C, dst=EXT, id=78, frag=125, flags=0, proto=17) / Raw(b"h" * 300)
write("fragments.pcap", [eth(p) for p in reversed(v4)] + [eth(p) for p in v6] + [eth(orphan)])

# A DNS answer too large for one packet (60 TXT records), in IPv4 fragments sent out of order.
records = DNSRR(rrname="big.txt.example", type="TXT", ttl=60, rdata="x" * 100)
for _ in range(59):
    records = records / DNSRR(rrname="big.txt.example", type="TXT", ttl=60, rdata="x" * 100)
big_answer = DNS(id=6, qr=1, rd=1, ra=1, qd=DNSQR(qname="big.txt.example", qtype="TXT"),
                 an=records)
dns_frags = fragment(IP(src=R, dst=C, id=79) / UDP(sport=53, dport=40032) / big_answer,
                     fragsize=1400)
write("dns-fragmented.pcap",
      [eth(IP(src=C, dst=R) / UDP(sport=40032, dport=53) /
           query("big.txt.example", 6, "TXT"))] +
      [eth(p) for p in [dns_frags[1], dns_frags[0]] + dns_frags[2:]])

# VXLAN and Geneve between two hosts, carrying containers' DNS and TCP.
inner = [Ether(**ETH) / IP(src="10.0.9.2", dst="10.0.9.3") / UDP(sport=40040, dport=53) /
         query("overlay.example", 5),
         Ether(**ETH) / IP(src="10.0.9.3", dst="10.0.9.2") / UDP(sport=53, dport=40040) /
         answer("overlay.example", "10.0.9.53", 5),
         Ether(**ETH) / IP(src="10.0.9.2", dst="10.0.9.3") / TCP(sport=40041, dport=80, flags="S")]
write("vxlan.pcap", [eth(IP(src="192.168.50.10", dst="192.168.50.11") /
                         UDP(sport=50000 + i, dport=4789) / VXLAN(vni=4096) / p)
                     for i, p in enumerate(inner)])
write("geneve.pcap", [eth(IP(src="192.168.50.10", dst="192.168.50.12") /
                          UDP(sport=50100 + i, dport=6081) / GENEVE(vni=7, proto=0x6558) / p)
                      for i, p in enumerate(inner)])

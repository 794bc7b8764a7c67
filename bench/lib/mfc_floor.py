# The kernel floor in Python, for comparison with bench/lib/mfc-floor.ts: MRT_INIT, two VIFs, then a
# bare loop of N MRT_ADD_MFC calls through the socket module. Prints one JSON line.
# Usage: python3 mfc_floor.py N IIF OIF   (inside the router namespace)
import ipaddress
import json
import socket
import struct
import sys
import time

MRT_INIT, MRT_ADD_VIF, MRT_ADD_MFC = 200, 202, 204
VIFF_USE_IFINDEX = 8


def main():
    n = int(sys.argv[1])
    iif, oif = sys.argv[2], sys.argv[3]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IGMP)
    s.setsockopt(socket.IPPROTO_IP, MRT_INIT, struct.pack('=i', 1))
    for vif, name in enumerate((iif, oif)):
        # struct vifctl: vifi, flags, threshold, rate_limit, ifindex (union), remote address
        vifctl = struct.pack('=HBBIiI', vif, VIFF_USE_IFINDEX, 1, 0, socket.if_nametoindex(name), 0)
        s.setsockopt(socket.IPPROTO_IP, MRT_ADD_VIF, vifctl)
    ttls = bytes([0, 1] + [0] * 30)
    src0 = int(ipaddress.IPv4Address('10.100.0.1'))
    grp0 = int(ipaddress.IPv4Address('225.32.0.1'))
    # struct mfcctl: origin, group, parent vif, ttls[32], 2 bytes padding, pkt/byte/wrong_if counters, expire
    reqs = [struct.pack('!II', src0 + i, grp0 + i) + struct.pack('=H', 0) + ttls + b'\0\0' + bytes(16) for i in range(n)]
    setsockopt = s.setsockopt
    t0 = time.perf_counter()
    for r in reqs:
        setsockopt(socket.IPPROTO_IP, MRT_ADD_MFC, r)
    ms = (time.perf_counter() - t0) * 1000
    with open('/proc/self/net/ip_mr_cache') as f:
        entries = len(f.read().rstrip('\n').split('\n')) - 1
    s.close()
    print(json.dumps({'ms': ms, 'entries': entries}))


main()

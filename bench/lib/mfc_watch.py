# Watches a few MFC entries through rtnetlink lookups (RTM_GETROUTE, RTNL_FAMILY_IPMR), one (S,G) at a
# time, until every "present" entry is in the kernel from IIF to exactly OIF and every "absent" one is
# gone. A lookup costs the kernel one hash probe, where reading /proc/net/ip_mr_cache walks the whole
# table (about 130 ms at 50,000 entries): this is how a reload's end is timed without loading the host.
# Usage (inside the router namespace): python3 mfc_watch.py SPEC.json
#   SPEC: {"iif": "r0", "oif": "r1", "present": [[S, G], ...], "absent": [[S, G], ...],
#          "intervalMs": 2, "capMs": 120000}
# Prints "ready" once it can look entries up, then one JSON line: {"ok", "doneEpochMs", "polls", "lookups"}.
# Entries are settled in order and, once settled, not looked at again: a reload only ever moves them
# toward the wanted state, and the caller checks the whole table once afterwards.
import json
import socket
import struct
import sys
import time

RTM_GETROUTE, RTM_NEWROUTE, NLMSG_ERROR = 26, 24, 2
NLM_F_REQUEST = 1
RTNL_FAMILY_IPMR = 128
RTA_DST, RTA_SRC, RTA_IIF, RTA_MULTIPATH = 1, 2, 3, 9


def attrs(buf):
    """rtattrs of one message body, as {type: payload} (the last of a type wins)."""
    out, pos = {}, 0
    while pos + 4 <= len(buf):
        length, kind = struct.unpack_from('=HH', buf, pos)
        if length < 4:
            break
        out[kind & 0x3FFF] = buf[pos + 4:pos + length]
        pos += (length + 3) & ~3
    return out


class Mfc:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        self.sock.bind((0, 0))
        self.seq = 0
        self.lookups = 0

    def lookup(self, source, group):
        """(iif ifindex, [oif ifindexes]) of a resolved entry, or None."""
        self.seq += 1
        self.lookups += 1
        rtm = struct.pack('=BBBBBBBBI', RTNL_FAMILY_IPMR, 32, 32, 0, 0, 0, 0, 0, 0)
        body = rtm + struct.pack('=HH4s', 8, RTA_SRC, socket.inet_aton(source)) + struct.pack('=HH4s', 8, RTA_DST, socket.inet_aton(group))
        self.sock.send(struct.pack('=IHHII', 16 + len(body), RTM_GETROUTE, NLM_F_REQUEST, self.seq, 0) + body)
        while True:
            msg = self.sock.recv(65536)
            length, kind, _flags, seq, _pid = struct.unpack_from('=IHHII', msg, 0)
            if seq != self.seq:
                continue
            if kind == NLMSG_ERROR:
                return None
            if kind != RTM_NEWROUTE:
                raise RuntimeError(f'unexpected netlink message type {kind}')
            a = attrs(msg[16 + 12:length])
            iif = struct.unpack('=I', a[RTA_IIF])[0] if RTA_IIF in a else None
            oifs, mp, pos = [], a.get(RTA_MULTIPATH, b''), 0
            while pos + 8 <= len(mp):
                nh_len, _nh_flags, _hops, ifindex = struct.unpack_from('=HBBi', mp, pos)
                oifs.append(ifindex)
                pos += max(8, (nh_len + 3) & ~3)
            return iif, oifs


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    iif, oif = socket.if_nametoindex(spec['iif']), socket.if_nametoindex(spec['oif'])
    todo = [(s, g, True) for s, g in spec['present']] + [(s, g, False) for s, g in spec['absent']]
    interval = spec.get('intervalMs', 2) / 1000
    deadline = time.monotonic() + spec.get('capMs', 120000) / 1000
    mfc = Mfc()
    print('ready', flush=True)
    polls, i = 0, 0
    while True:
        polls += 1
        while i < len(todo):
            s, g, want = todo[i]
            e = mfc.lookup(s, g)
            settled = (e is not None and e[0] == iif and e[1] == [oif]) if want else e is None
            if not settled:
                break
            i += 1
        if i == len(todo):
            print(json.dumps({'ok': True, 'doneEpochMs': time.time() * 1000, 'polls': polls, 'lookups': mfc.lookups}), flush=True)
            return
        if time.monotonic() > deadline:
            print(json.dumps({'ok': False, 'settled': i, 'of': len(todo), 'polls': polls, 'lookups': mfc.lookups}), flush=True)
            return
        time.sleep(interval)


main()

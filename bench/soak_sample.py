#!/usr/bin/env python3
"""One sample of a soak run (bench/soak.sh), as a JSON line on stdout: Redis's memory, key count and keys by prefix
(im:chat:closed, im:chat:profile, ...: the first three ':' parts, so a per-user or per-connection key family shows as
one count) and how many of them have no expiry (a family that grows without one grows for good), and each process's
RSS and CPU seconds; with --gc, each JVM's heap after a full collection (jcmd GC.run,
then the actuator's jvm.memory.used). Loopback only; every call has a timeout; SCAN may count a key twice if the keyspace
is rehashed meanwhile (a slight overcount), and stops after 5,000,000 keys (the sample says so)."""
import argparse
import json
import os
import socket
import subprocess
import time
import urllib.request


def encode(*args):
    return b''.join([b'*%d\r\n' % len(args)] + [b'$%d\r\n%s\r\n' % (len(a), a) for a in (x.encode() for x in args)])


def redis_call(sock_file, sock, *args):
    sock.sendall(encode(*args))
    return read_reply(sock_file)


def pttls(sock_file, sock, keys):
    """PTTL of each key, pipelined (one write, then the replies in order)."""
    sock.sendall(b''.join(encode('PTTL', key) for key in keys))
    return [read_reply(sock_file) for _ in keys]


def read_reply(f):
    line = f.readline().rstrip(b'\r\n')
    kind, rest = line[:1], line[1:]
    if kind == b'+':
        return rest.decode()
    if kind == b'-':
        raise RuntimeError('Redis answered: %s' % rest.decode())
    if kind == b':':
        return int(rest)
    if kind == b'$':
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode(errors='replace')
    if kind == b'*':
        return [read_reply(f) for _ in range(int(rest))]
    raise ValueError('unexpected reply: %r' % line)


def redis_sample(port):
    with socket.create_connection(('127.0.0.1', port), timeout=10) as sock:
        f = sock.makefile('rb')
        info = redis_call(f, sock, 'INFO', 'memory')
        used = int(next(l.split(':')[1] for l in info.splitlines() if l.startswith('used_memory:')))
        prefixes, persistent, cursor, scanned = {}, {}, '0', 0
        while True:
            cursor, keys = redis_call(f, sock, 'SCAN', cursor, 'COUNT', '1000')
            for key, ttl in zip(keys, pttls(f, sock, keys)):
                prefix = ':'.join(key.split(':')[:3])
                prefixes[prefix] = prefixes.get(prefix, 0) + 1
                if ttl == -1:
                    persistent[prefix] = persistent.get(prefix, 0) + 1
            scanned += len(keys)
            if cursor == '0' or scanned > 5_000_000:
                break
        return {'truncated': cursor != '0','used_memory': used, 'dbsize': redis_call(f, sock, 'DBSIZE'), 'keys': dict(sorted(prefixes.items())),
                'no_expiry': dict(sorted(persistent.items()))}


def proc_sample(pid):
    with open('/proc/%s/status' % pid) as f:
        rss_kb = next(int(l.split()[1]) for l in f if l.startswith('VmRSS:'))
    with open('/proc/%s/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return {'rss_kb': rss_kb, 'cpu_s': ticks / os.sysconf('SC_CLK_TCK')}


def heap_after_gc(pid, port):
    subprocess.run(['jcmd', str(pid), 'GC.run'], check=True, capture_output=True, timeout=60)
    time.sleep(1)
    url = 'http://127.0.0.1:%s/actuator/metrics/jvm.memory.used?tag=area:heap' % port
    with urllib.request.urlopen(url, timeout=10) as r:
        return int(json.load(r)['measurements'][0]['value'])


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--label', required=True)
    p.add_argument('--redis-port', type=int, required=True)
    p.add_argument('--pids', required=True, help='name=pid,...')
    p.add_argument('--heap', default='', help='name=management port,... (JVMs of --pids)')
    p.add_argument('--gc', action='store_true')
    a = p.parse_args()
    pids = dict(kv.split('=') for kv in a.pids.split(','))
    sample = {'label': a.label, 'time': time.strftime('%H:%M:%S', time.gmtime()), 'redis': redis_sample(a.redis_port),
              'procs': {name: proc_sample(pid) for name, pid in pids.items()}}
    if a.gc and a.heap:
        sample['heap_after_gc'] = {name: heap_after_gc(pids[name], port)
                                   for name, port in (kv.split('=') for kv in a.heap.split(','))}
    print(json.dumps(sample), flush=True)


if __name__ == '__main__':
    main()

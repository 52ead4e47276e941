#!/usr/bin/env python3
"""The tables of a soak run (bench/soak.sh) from its samples.jsonl, as Markdown on stdout: Redis keys by prefix (with
how many have no expiry) and memory, each process's RSS and CPU, and each JVM's heap after a full collection, at every sample taken with --gc (and
the first and last)."""
import json
import sys


def count(redis, prefix):
    """The keys of a prefix, and how many of them have no expiry when some have none."""
    n, forever = redis['keys'].get(prefix, 0), redis.get('no_expiry', {}).get(prefix, 0)
    return '%d (%d no expiry)' % (n, forever) if forever else str(n)


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    picked = [r for i, r in enumerate(rows) if 'heap_after_gc' in r or i in (0, len(rows) - 1)]
    labels = [r['label'] for r in picked]
    print('| Redis | ' + ' | '.join(labels) + ' |')
    print('|---|' + '---:|' * len(picked))
    prefixes = sorted({k for r in rows for k in r['redis']['keys']})
    for prefix in prefixes:
        print('| `%s` | ' % prefix + ' | '.join(count(r['redis'], prefix) for r in picked) + ' |')
    print('| keys | ' + ' | '.join(str(r['redis']['dbsize']) for r in picked) + ' |')
    print('| used_memory (MB) | ' + ' | '.join('%.1f' % (r['redis']['used_memory'] / 1e6) for r in picked) + ' |')
    print()
    print('| process | ' + ' | '.join(labels) + ' |')
    print('|---|' + '---:|' * len(picked))
    for name in picked[0]['procs']:
        print('| %s RSS (MB) | ' % name + ' | '.join('%.0f' % (r['procs'][name]['rss_kb'] / 1024) for r in picked) + ' |')
        print('| %s CPU (s) | ' % name + ' | '.join('%.0f' % r['procs'][name]['cpu_s'] for r in picked) + ' |')
    for name in picked[0].get('heap_after_gc', {}):
        print('| %s heap after GC (MB) | ' % name
              + ' | '.join('%.1f' % (r['heap_after_gc'][name] / 1e6) if 'heap_after_gc' in r else '-' for r in picked) + ' |')


if __name__ == '__main__':
    main(sys.argv[1])

#!/usr/bin/env python3
"""Write a large nginx combined log for throughput measurements.

Usage: scripts/make-nginx-bench.py OUT SIZE_MB

Lines are drawn at random from the real 10,000-line Apache/nginx combined sample
(tests/fixtures/nginx/apache_logs.gz) with fresh, increasing timestamps, one line every
~20 ms, so the file looks like a busy gateway's log in time order. A fraction of the
requests carry an `access_token` query parameter, as API gateways log them.
"""
import gzip
import random
import re
import sys
from datetime import datetime, timedelta, timezone

out, size_mb = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
src = gzip.open("tests/fixtures/nginx/apache_logs.gz", "rt", encoding="latin-1").read().splitlines()
time_re = re.compile(r"\[[^\]]+\]")
tokens = ["tt_live_%024x" % rng.getrandbits(96) for _ in range(200)]
t = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=1)))
target = size_mb * 1_000_000
written = 0
with open(out, "w", encoding="latin-1", newline="\n") as f:
    buf = []
    while written < target:
        line = rng.choice(src)
        t += timedelta(milliseconds=rng.randint(0, 40))
        line = time_re.sub(t.strftime("[%d/%b/%Y:%H:%M:%S %z]"), line, count=1)
        if rng.random() < 0.3:
            line = line.replace(" HTTP/1.1\"", "?access_token=%s HTTP/1.1\"" % rng.choice(tokens), 1)
        buf.append(line)
        written += len(line) + 1
        if len(buf) >= 10000:
            f.write("\n".join(buf) + "\n")
            buf = []
    if buf:
        f.write("\n".join(buf) + "\n")
print(f"{out}: {written} bytes")

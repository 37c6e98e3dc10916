#!/usr/bin/env python3
"""Write a large Auth0 log-stream file (one `{"log_id":…,"data":{…}}` per line) for
throughput measurements.

Usage: scripts/make-auth0-bench.py OUT EVENTS

Events are the real Panther rule-test records of tests/fixtures/auth0 used as templates,
with fresh log ids, increasing dates, and clients, users and addresses drawn from pools.
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone

out, total = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
templates = []
for line in open("tests/fixtures/auth0/panther-rule-tests.ndjson"):
    r = json.loads(line)
    data = r.get("data", r)
    if isinstance(data, dict) and isinstance(data.get("date"), str) and "type" in data:
        templates.append(data)
clients = [f"cl{i:030d}" for i in range(500)]
users = [f"auth0|{i:024x}" for i in range(5000)]
ips = ["%d.%d.%d.%d" % (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)) for _ in range(20000)]
t = datetime(2026, 3, 1, tzinfo=timezone.utc)
with open(out, "w") as f:
    buf = []
    for i in range(total):
        d = json.loads(json.dumps(rng.choice(templates)))
        t += timedelta(milliseconds=rng.randint(1, 40))
        d["date"] = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
        d["log_id"] = f"9002{i:052d}"
        d["client_id"] = rng.choice(clients)
        d["user_id"] = rng.choice(users)
        d["ip"] = rng.choice(ips)
        buf.append(json.dumps({"log_id": d["log_id"], "data": d}, separators=(",", ":")))
        if len(buf) >= 10000:
            f.write("\n".join(buf) + "\n")
            buf.clear()
    if buf:
        f.write("\n".join(buf) + "\n")

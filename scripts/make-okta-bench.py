#!/usr/bin/env python3
"""Write a large Okta System Log NDJSON file for throughput measurements.

Usage: scripts/make-okta-bench.py OUT EVENTS

Events are the real Panther rule-test LogEvents of tests/fixtures/okta (those with a time)
used as templates, with fresh uuids, increasing `published` times and actors, addresses
and session ids drawn from pools.
"""
import json
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone

out, total = sys.argv[1], int(sys.argv[2])
rng = random.Random(5)
templates = []
for line in open("tests/fixtures/okta/panther-rule-tests.ndjson"):
    r = json.loads(line)
    if isinstance(r.get("published"), str) and r["published"][:1] == "2" and "eventType" in r:
        templates.append(r)
actors = [f"user{i}@acme.io" for i in range(5000)]
ips = ["%d.%d.%d.%d" % (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)) for _ in range(20000)]
t = datetime(2026, 3, 1, tzinfo=timezone.utc)
written = 0
with open(out, "w") as f:
    buf = []
    for i in range(total):
        r = json.loads(json.dumps(rng.choice(templates)))
        t += timedelta(milliseconds=rng.randint(0, 40))
        r["published"] = t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)
        r["uuid"] = str(uuid.UUID(int=rng.getrandbits(128)))
        r.setdefault("actor", {})["alternateId"] = rng.choice(actors)
        r.setdefault("client", {})["ipAddress"] = rng.choice(ips)
        r.setdefault("authenticationContext", {})["externalSessionId"] = "idx%016x" % rng.getrandbits(64)
        buf.append(json.dumps(r, separators=(",", ":")))
        if len(buf) == 10000:
            f.write("\n".join(buf) + "\n")
            buf = []
    if buf:
        f.write("\n".join(buf) + "\n")
print(out)

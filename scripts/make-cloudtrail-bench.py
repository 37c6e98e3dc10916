#!/usr/bin/env python3
"""Write a CloudTrail S3 delivery tree for throughput measurements.

Usage: scripts/make-cloudtrail-bench.py OUT_DIR RECORDS FILES

Records are the real ones of tests/fixtures/cloudtrail (Stratus Red Team and OTRF
detonations) used as templates, with fresh event ids, increasing times and keys and
addresses drawn from pools, written as gzip `{"Records":[...]}` files, one line each, under
AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/ as CloudTrail delivers them.
"""
import gzip
import json
import os
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone

out, total, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(11)
templates = json.load(open("tests/fixtures/cloudtrail/stratus-ec2-steal-instance-credentials.json"))
templates += json.load(open("tests/fixtures/cloudtrail/stratus-iam-backdoor-user.json"))
templates += [json.loads(l) for l in open("tests/fixtures/cloudtrail/otrf-ec2-proxy-s3-exfiltration.jsonl")]
for t in templates:
    t.pop("@timestamp", None)
    t.pop("@version", None)
keys = ["AKIA%016X" % rng.getrandbits(64) for _ in range(300)] + ["ASIA%016X" % rng.getrandbits(64) for _ in range(700)]
ips = ["%d.%d.%d.%d" % (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)) for _ in range(2000)]
account = "111122223333"
t = datetime(2026, 3, 1, tzinfo=timezone.utc)
per_file = total // files
written = 0
for i in range(files):
    day = t.strftime("%Y/%m/%d")
    region = rng.choice(["us-east-1", "eu-west-1"])
    recs = []
    for _ in range(per_file):
        r = json.loads(json.dumps(rng.choice(templates)))
        t += timedelta(milliseconds=rng.randint(0, 200))
        r["eventTime"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        r["eventID"] = str(uuid.UUID(int=rng.getrandbits(128)))
        r["recipientAccountId"] = account
        ui = r.setdefault("userIdentity", {})
        if ui.get("type") != "AWSService":
            ui["accessKeyId"] = rng.choice(keys)
            ui["accountId"] = account
        if r.get("sourceIPAddress", "").replace(".", "").isdigit():
            r["sourceIPAddress"] = rng.choice(ips)
        recs.append(r)
    stamp = t.strftime("%Y%m%dT%H%MZ")
    path = f"{out}/AWSLogs/{account}/CloudTrail/{region}/{day}/{account}_CloudTrail_{region}_{stamp}_{i:05d}.json.gz"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(gzip.compress(json.dumps({"Records": recs}, separators=(",", ":")).encode(), 6, mtime=0))
    written += len(recs)
print(f"{out}: {written} records in {files} files")

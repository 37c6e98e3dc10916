#!/usr/bin/env python3
"""Generate samples/logs: one week of an API gateway's nginx logs and of the company's AWS
CloudTrail, with one known incident across both.

Deterministic (fixed seed): run `python3 scripts/generate-samples.py` from the repository root and
the files come out byte-identical. The story and the expected answer are in
samples/README.md. Addresses are inside the networks of the MaxMind test databases
(tests/fixtures/geoip), so enrichment resolves them; tokens are fake.
"""
import gzip
import random
from datetime import datetime, timedelta, timezone

rng = random.Random(20260302)
TZ = timezone(timedelta(hours=1))  # the gateway logs in Europe/Stockholm winter time

ALICE = "tt_live_4f9KQ2mXb7Lr0pZs8VwE1nYc"    # leaked on 2026-03-04
BOB = "tt_live_9aHc3TqW5eRt7YuI2oPl6KjM"
CI = "tt_live_ci0Xr4Fw8Gy2Hv6Jb1Nk5Lm3"
ATTACKER_NEW = "tt_live_Zq8Wn3Ex5Rc7Tv1Yb9Um2Io4"  # minted by the attacker with ALICE
OFFICE = ["89.160.20.130", "89.160.20.131", "89.160.20.135", "89.160.20.140"]
CI_IP = "216.160.83.58"
PROBE_IP = "81.2.69.166"     # hosting / proxy network, London
BURST_IP = "175.16.199.44"   # second attacker host, Changchun
CHROME = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"
DASH = "acme-dashboard/3.4.1"
GO = "Go-http-client/1.1"
PYREQ = "python-requests/2.31.0"
VISITOR_IPS = ["1.128.%d.%d" % (rng.randint(0, 255), rng.randint(1, 254)) for _ in range(60)]
VISITOR_IPS += ["2a02:cf40:%x::%x" % (rng.randint(0, 0xffff), rng.randint(1, 0xffff)) for _ in range(10)]
SCANNERS = ["38.%d.%d.%d" % (rng.randint(0, 63), rng.randint(0, 255), rng.randint(1, 254)) for _ in range(5)]

lines = []  # (datetime, line)


def log(ts, ip, method, uri, status, size, ua, referer="-", user="-"):
    t = ts.astimezone(TZ).strftime("%d/%b/%Y:%H:%M:%S %z")
    req = f"{method} {uri} HTTP/1.1" if method else uri
    lines.append((ts, f'{ip} - {user} [{t}] "{req}" {status} {size} "{referer}" "{ua}"'))


def at(day, hour, minute=0, second=0):
    return datetime(2026, 3, day, hour, minute, second, tzinfo=TZ)


def api(ts, ip, token, method, path, status, size, ua, query=""):
    q = f"?{query}&access_token={token}" if query else f"?access_token={token}"
    log(ts, ip, method, path + q, status, size, ua)


# Public web traffic, every day, more by day than by night.
for day in range(2, 9):
    for _ in range(160):
        h = rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 1, 3])
        ts = at(day, h, rng.randint(0, 59), rng.randint(0, 59))
        ip = rng.choice(VISITOR_IPS)
        page = rng.choice(["/", "/pricing", "/docs/api", "/docs/tokens", "/blog/launch", "/status"])
        log(ts, ip, "GET", page, 200, rng.randint(4000, 30000), rng.choice([CHROME, FIREFOX]),
            referer=rng.choice(["-", "https://www.google.com/", "https://news.ycombinator.com/"]))
        log(ts + timedelta(seconds=1), ip, "GET", "/static/app.js", 200, 81234, CHROME,
            referer="https://api.example.com" + page)

# Internet background noise: scanners that know nothing.
for day in range(2, 9):
    for _ in range(12):
        ts = at(day, rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
        ip = rng.choice(SCANNERS)
        path = rng.choice(["/.env", "/wp-login.php", "/.git/config", "/admin", "/phpmyadmin/"])
        log(ts, ip, "GET", path, 404, 153, rng.choice(["Mozilla/5.0 zgrab/0.x", "curl/8.4.0"]))
    ts = at(day, rng.randint(0, 23), rng.randint(0, 59))
    log(ts, rng.choice(SCANNERS), None, r"\x16\x03\x01\x00\xA5\x01\x00\x00\xA1\x03\x03", 400, 157, "-")
    ts = at(day, rng.randint(0, 23), rng.randint(0, 59))
    log(ts, rng.choice(SCANNERS), "GET", "/api/v1/me?access_token=tt_live_guess" + str(day), 401, 52, "curl/8.4.0")

# Alice: weekdays 08-18 from the office, dashboard in Chrome plus the dashboard client.
for day in [2, 3, 4, 5, 6]:
    for _ in range(70):
        ts = at(day, rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59))
        ip = rng.choice(OFFICE)
        path, status, size = rng.choice([
            ("/api/v1/me", 200, 412), ("/api/v1/projects", 200, 5120),
            ("/api/v1/projects/17/builds", 200, 9012), ("/api/v1/projects/17", 200, 1800),
            ("/api/v1/projects/23/builds", 200, 7311), ("/api/v1/notifications", 200, 640),
        ])
        api(ts, ip, ALICE, "GET", path, status, size, rng.choice([CHROME, DASH]))

# Bob: weekdays 09-19 from the office, Firefox.
for day in [2, 3, 4, 5, 6]:
    for _ in range(45):
        ts = at(day, rng.randint(9, 18), rng.randint(0, 59), rng.randint(0, 59))
        path = rng.choice(["/api/v1/me", "/api/v1/projects/23", "/api/v1/projects/23/builds"])
        api(ts, rng.choice(OFFICE), BOB, "GET", path, 200, rng.randint(400, 9000), FIREFOX)

# CI: every 20 minutes, all week, from the CI runner.
start = at(2, 0, 5)
for i in range(7 * 24 * 3):
    ts = start + timedelta(minutes=20 * i, seconds=rng.randint(0, 9))
    api(ts, CI_IP, CI, "GET", "/api/v1/projects/17/builds", 200, rng.randint(2000, 4000), GO,
        query="status=queued")
    if i % 9 == 0:
        api(ts + timedelta(seconds=40), CI_IP, CI, "POST", "/api/v1/deploys", 201, 230, GO)

# The incident. Alice's token was pushed to a public repository on 2026-03-03.
# 1. The slow probe: one identity check at night from a hosting network, two days early.
api(at(4, 1, 7, 12), PROBE_IP, ALICE, "GET", "/api/v1/me", 200, 412, PYREQ)
# 2. A second, quiet look the next night.
api(at(5, 23, 40, 3), PROBE_IP, ALICE, "GET", "/api/v1/me", 200, 412, PYREQ)
api(at(5, 23, 41, 19), PROBE_IP, ALICE, "GET", "/api/v1/projects", 200, 5120, PYREQ)
# 3. The burst: user enumeration, secrets, a bulk export, a new token for persistence.
t = at(6, 2, 13, 0)
for page in range(1, 41):
    api(t, PROBE_IP, ALICE, "GET", "/api/v1/users", 200, 24000, PYREQ, query=f"page={page}")
    t += timedelta(seconds=rng.randint(2, 6))
for project in range(1, 31):
    status = 200 if project in (17, 23, 4, 9) else 403
    api(t, BURST_IP, ALICE, "GET", f"/api/v1/projects/{project}/secrets", status,
        2900 if status == 200 else 61, PYREQ)
    t += timedelta(seconds=rng.randint(1, 4))
api(t, BURST_IP, ALICE, "GET", "/api/v1/export", 200, 48_213_004, PYREQ, query="format=csv&all=true")
t += timedelta(minutes=4)
api(t, BURST_IP, ALICE, "POST", "/api/v1/tokens", 201, 188, PYREQ)
# 4. The attacker moves to the token they minted.
t += timedelta(minutes=2)
for path in ["/api/v1/me", "/api/v1/users", "/api/v1/projects/17/secrets", "/api/v1/projects/23/secrets"]:
    api(t, BURST_IP, ATTACKER_NEW, "GET", path, 200, 2048, PYREQ)
    t += timedelta(seconds=rng.randint(5, 20))
api(at(7, 3, 2, 44), BURST_IP, ATTACKER_NEW, "GET", "/api/v1/export", 200, 47_998_120, PYREQ,
    query="format=csv&all=true")

# Rotation as Debian's logrotate leaves it: access.log, access.log.1, access.log.2.gz.
lines.sort(key=lambda x: x[0])
parts = {
    "access.log.2.gz": [l for ts, l in lines if ts < at(5, 0)],
    "access.log.1": [l for ts, l in lines if at(5, 0) <= ts < at(7, 0)],
    "access.log": [l for ts, l in lines if ts >= at(7, 0)],
}
for name, rows in parts.items():
    data = ("\n".join(rows) + "\n").encode()
    path = f"samples/logs/nginx/{name}"
    if name.endswith(".gz"):
        with open(path, "wb") as f:
            # mtime=0 keeps the gzip bytes reproducible.
            f.write(gzip.compress(data, compresslevel=6, mtime=0))
    else:
        with open(path, "wb") as f:
            f.write(data)
    print(f"{path}: {len(rows)} lines")


# ---------------------------------------------------------------------------------------
# CloudTrail of the same company's AWS account: the leaked repository also held Alice's
# long-term access key. The attacker checks it from the same host, two minutes after the
# API probe, and comes back with the burst.
import json
import os
import uuid
import zlib

ACCOUNT = "111122223333"
REGION = "eu-north-1"
ALICE_KEY = "AKIAQ3EGALICE0000001"
CI_KEY = "AKIAQ3EGCIDEPLOY0001"
NEW_KEY = "AKIAQ3EGSVCBACKUP001"  # minted by the attacker for svc-backup
CLI = "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#s3.ls"
BOTO = "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69"
GO_SDK = "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/ecs#1.41.5"
ct_rng = random.Random(20260304)
records = []


def user_identity(user, key):
    return {"type": "IAMUser", "principalId": "AIDAQ3EG" + user.upper().replace("-", "")[:12],
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}", "accountId": ACCOUNT,
            "accessKeyId": key, "userName": user}


def role_identity(role, session, key, issued):
    return {"type": "AssumedRole", "principalId": f"AROAQ3EGDEPLOYROLE01:{session}",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}", "accountId": ACCOUNT,
            "accessKeyId": key,
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAQ3EGDEPLOYROLE01",
                                                 "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                                                 "accountId": ACCOUNT, "userName": role},
                               "attributes": {"creationDate": issued, "mfaAuthenticated": "false"}}}


def call(ts, identity, source, name, ip, ua, params=None, response=None, error=None,
         read_only=True, resources=None, extra=None, event_type="AwsApiCall"):
    r = {"eventVersion": "1.09", "userIdentity": identity,
         "eventTime": ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
         "eventSource": f"{source}.amazonaws.com", "eventName": name, "awsRegion": REGION,
         "sourceIPAddress": ip, "userAgent": ua, "requestParameters": params,
         "responseElements": response, "requestID": str(uuid.UUID(int=ct_rng.getrandbits(128))),
         "eventID": str(uuid.UUID(int=ct_rng.getrandbits(128))), "readOnly": read_only,
         "eventType": event_type, "managementEvent": source != "s3" or name == "ListBuckets",
         "recipientAccountId": ACCOUNT, "eventCategory": "Management"}
    if error:
        r["errorCode"] = error
        r["errorMessage"] = f"User: {identity['arn']} is not authorized to perform: {source}:{name}"
    if resources:
        r["resources"] = resources
    if extra:
        r["additionalEventData"] = extra
    records.append(r)


# Alice works from the office on weekdays with the CLI.
for day in [2, 3, 4, 5, 6]:
    for _ in range(14):
        ts = at(day, ct_rng.randint(9, 17), ct_rng.randint(0, 59), ct_rng.randint(0, 59))
        name, source, params = ct_rng.choice([
            ("ListBuckets", "s3", None),
            ("DescribeInstances", "ec2", {"instancesSet": {}, "filterSet": {}}),
            ("GetObject", "s3", {"bucketName": "acme-builds", "key": "releases/app-3.4.1.tar.gz"}),
            ("DescribeServices", "ecs", {"cluster": "prod", "services": ["api"]}),
            ("GetMetricData", "monitoring", None),
        ])
        call(ts, user_identity("alice", ALICE_KEY), source, name, ct_rng.choice(OFFICE), CLI, params)

# The CI runner assumes the deploy role every hour and updates the service.
session_no = 0
for day in range(2, 9):
    for hour in range(0, 24, 1):
        ts = at(day, hour, 7, ct_rng.randint(0, 50))
        session_no += 1
        child = "ASIAQ3EGDEPLOY%06d" % session_no
        issued = ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        call(ts, user_identity("ci-deployer", CI_KEY), "sts", "AssumeRole", CI_IP, GO_SDK,
             {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/deploy", "roleSessionName": f"ci-{session_no}"},
             {"credentials": {"accessKeyId": child, "sessionToken": "IQoJb3JpZ2luX2VjE" + "x" * 40,
                              "expiration": "Mar 9, 2026, 1:00:00 AM"},
              "assumedRoleUser": {"assumedRoleId": f"AROAQ3EGDEPLOYROLE01:ci-{session_no}",
                                  "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/ci-{session_no}"}},
             read_only=False)
        if hour % 6 == 0:
            call(ts + timedelta(seconds=20), role_identity("deploy", f"ci-{session_no}", child, issued),
                 "ecs", "UpdateService", CI_IP, GO_SDK, {"cluster": "prod", "service": "api"}, read_only=False)
        # AWS services acting on the account's behalf: never an attacker.
        call(ts + timedelta(minutes=3), {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}, "sts",
             "AssumeRole", "ec2.amazonaws.com", "ec2.amazonaws.com",
             {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/api-instance", "roleSessionName": "i-0a1b2c3d4e5f60718"},
             {"credentials": {"accessKeyId": "ASIAQ3EGINSTANCE%04d" % (session_no % 10000),
                              "sessionToken": "IQoJb3JpZ2luX2VjE" + "y" * 40, "expiration": "Mar 9, 2026, 1:00:00 AM"}},
             read_only=False)

# The incident. 1: the key is checked from the probing host, two minutes after the API probe.
call(at(4, 1, 9, 31), user_identity("alice", ALICE_KEY), "sts", "GetCallerIdentity", PROBE_IP, BOTO)
# 2: reconnaissance during the burst, from the second host.
t = at(6, 2, 20, 5)
for source, name, params, error in [
    ("sts", "GetCallerIdentity", None, None),
    ("iam", "ListUsers", None, None),
    ("iam", "ListAttachedUserPolicies", {"userName": "alice"}, None),
    ("iam", "ListAccessKeys", {"userName": "svc-backup"}, None),
    ("s3", "ListBuckets", None, None),
    ("ec2", "DescribeInstances", {"instancesSet": {}, "filterSet": {}}, "Client.UnauthorizedOperation"),
    ("secretsmanager", "ListSecrets", None, "AccessDenied"),
    ("rds", "DescribeDBInstances", None, "AccessDenied"),
]:
    call(t, user_identity("alice", ALICE_KEY), source, name, BURST_IP, BOTO, params, error=error)
    t += timedelta(seconds=ct_rng.randint(3, 9))
# 3: data access: the customer export bucket.
for i in range(25):
    call(t, user_identity("alice", ALICE_KEY), "s3", "GetObject", BURST_IP, BOTO,
         {"bucketName": "acme-customer-exports", "key": f"2026/02/customers-{i:03d}.csv.gz"},
         resources=[{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::acme-customer-exports/2026/02/customers-{i:03d}.csv.gz"}],
         extra={"bytesTransferredOut": 1_900_000 + i * 1013}, event_type="AwsApiCall")
    t += timedelta(seconds=ct_rng.randint(1, 3))
# 4: persistence: a key for another user, then evasion that fails.
t += timedelta(minutes=2)
call(t, user_identity("alice", ALICE_KEY), "iam", "CreateAccessKey", BURST_IP, BOTO,
     {"userName": "svc-backup"},
     {"accessKey": {"accessKeyId": NEW_KEY, "status": "Active", "userName": "svc-backup",
                    "createDate": "Mar 6, 2026, 1:24:11 AM"}}, read_only=False)
t += timedelta(seconds=40)
call(t, user_identity("alice", ALICE_KEY), "iam", "AttachUserPolicy", BURST_IP, BOTO,
     {"userName": "svc-backup", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
     error="AccessDenied", read_only=False)
t += timedelta(seconds=30)
call(t, user_identity("alice", ALICE_KEY), "cloudtrail", "StopLogging", BURST_IP, BOTO,
     {"name": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/org-trail"}, error="AccessDenied", read_only=False)
# 5: the attacker moves to the new key.
t += timedelta(minutes=3)
for i in range(6):
    call(t, user_identity("svc-backup", NEW_KEY), "s3", "GetObject", BURST_IP, BOTO,
         {"bucketName": "acme-customer-exports", "key": f"2026/01/customers-{i:03d}.csv.gz"},
         extra={"bytesTransferredOut": 2_100_000 + i})
    t += timedelta(seconds=ct_rng.randint(2, 5))
call(at(7, 3, 5, 12), user_identity("svc-backup", NEW_KEY), "sts", "GetCallerIdentity", BURST_IP, BOTO)

# Deliver as CloudTrail does, only coarser: one gzip Records file per day (CloudTrail writes
# one every few minutes) in per-day folders, plus one digest file.
records.sort(key=lambda r: r["eventTime"])
by_hour = {}
for r in records:
    by_hour.setdefault(r["eventTime"][:10], []).append(r)
base = f"samples/logs/cloudtrail/AWSLogs/{ACCOUNT}/CloudTrail/{REGION}"
for hour, recs in by_hour.items():
    day = hour[:10].replace("-", "/")
    stamp = hour.replace("-", "") + "T2355Z"
    path = f"{base}/{day}/{ACCOUNT}_CloudTrail_{REGION}_{stamp}_{zlib.crc32(hour.encode()) % 10**6:06d}.json.gz"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    body = json.dumps({"Records": recs}, separators=(",", ":")).encode()
    with open(path, "wb") as f:
        f.write(gzip.compress(body, compresslevel=6, mtime=0))
digest_dir = f"samples/logs/cloudtrail/AWSLogs/{ACCOUNT}/CloudTrail-Digest/{REGION}/2026/03/06"
os.makedirs(digest_dir, exist_ok=True)
digest = {"awsAccountId": ACCOUNT, "digestStartTime": "2026-03-06T01:00:00Z",
          "digestEndTime": "2026-03-06T02:00:00Z", "digestS3Bucket": "acme-cloudtrail",
          "digestS3Object": f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/{REGION}/2026/03/06/digest.json.gz",
          "digestPublicKeyFingerprint": "4ee3b7d2e8e7b6d0c0c2f8f8e5a0c9b1", "digestSignatureAlgorithm": "SHA256withRSA",
          "newestEventTime": "2026-03-06T01:59:58Z", "oldestEventTime": "2026-03-06T01:00:03Z",
          "previousDigestS3Bucket": "acme-cloudtrail", "previousDigestSignature": "00", "logFiles": []}
with open(f"{digest_dir}/{ACCOUNT}_CloudTrail-Digest_{REGION}_org-trail_{REGION}_20260306T020000Z.json.gz", "wb") as f:
    f.write(gzip.compress(json.dumps(digest).encode(), mtime=0))
print(f"{base}: {len(records)} records in {len(by_hour)} files, and one digest")

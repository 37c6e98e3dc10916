#!/usr/bin/env python3
"""Write a CloudTrail S3 delivery tree of one AWS account with one leaked access key, and
its answer, for measuring `hunt` on data shaped like a real account.

Usage: scripts/make-cloudtrail-incident-bench.py OUT_DIR RECORDS [--instance-theft]

Three weeks (2026-02-02 to 2026-02-23) of about RECORDS management events, written as gzip
`{"Records":[...]}` files per five minutes and region under
AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/, as CloudTrail delivers them:

- 120 people's IAM users, each with its access key, from their office (20 offices in
  31.224.0.0/11, AS3320 in the MaxMind test databases) and a quarter also from home
  (12.82.0.0/15, AS7018) on three days in ten, in working hours, with their own CLI or SDK and five to twelve
  of the account's usual calls;
- 15 deployment roles (fewer below 90,000 records: one per 6,000, at least two) assumed
  every hour around the clock by CI runners in 35.0.0.0/9 (AS237), each run a new session
  key that checks who it is, pushes and deploys;
- AWS services acting for the account (`AWSService` identities).

The leak: one person's key is tried on day 5 at 02:17 UTC from a network no one uses
(`sts:GetCallerIdentity` and two listings with Boto3), then used on day 12 from 01:40 for
twenty minutes from another network: enumeration across services and regions, a new IAM
user with an access key and the administrator policy, reads of S3 objects, CloudTrail
logging stopped; the new key is then used from there. OUT_DIR.truth.json: the leaked
key, the event id of its first suspicious call, the attacker's networks, the new key, the
number of attacker calls. Deterministic (seed 13). Run `hunt --geoip samples/geoip` on it.

--instance-theft: the leak is instead the role credentials of one of two EC2 instances
of a web application (its calls every few minutes from the instances' addresses, new
credentials every six hours), taken through a server-side request forgery and used on
day 11 at 03:12 UTC from outside AWS while the instance goes on using them: who am I,
the buckets, the roles (refused), a bucket listed and 40 objects read. Nothing minted.
"""
import gzip
import json
import os
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone

from estate import works_from_home

out, total = sys.argv[1], int(sys.argv[2])
rng = random.Random(13)
UTC = timezone.utc
START = datetime(2026, 2, 2, tzinfo=UTC)  # a Monday
SPAN = 21 * 86400.0
ACCOUNT = "111122223333"
REGIONS = ["eu-north-1", "us-east-1"]


def uid():
    return str(uuid.UUID(int=rng.getrandbits(128)))


def key(prefix):
    return prefix + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


NORMAL = ["ec2:DescribeInstances", "ec2:DescribeSecurityGroups", "s3:ListObjectsV2", "s3:GetObject",
          "s3:PutObject", "lambda:ListFunctions", "lambda:GetFunction", "logs:FilterLogEvents",
          "logs:DescribeLogGroups", "cloudwatch:GetMetricData", "ecs:DescribeServices", "ecs:ListTasks",
          "ssm:GetParameter", "dynamodb:Query", "dynamodb:GetItem", "sqs:SendMessage",
          "sqs:ReceiveMessage", "rds:DescribeDBInstances", "cloudformation:DescribeStacks",
          "ecr:DescribeRepositories", "kms:Decrypt", "sns:Publish", "athena:StartQueryExecution",
          "glue:GetTable", "elasticloadbalancing:DescribeLoadBalancers"]
CLIENTS = ["aws-cli/2.15.17 Python/3.11.6 Darwin/23.3.0 exe/x86_64 prompt/off command/{op}",
           "aws-cli/2.15.17 Python/3.11.6 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/{op}",
           "Boto3/1.34.34 md/Botocore#1.34.34 ua/2.0 os/macos#23.3.0 md/arch#arm64 lang/python#3.11.7",
           "aws-sdk-go-v2/1.24.1 os/linux lang/go#1.21.6 md/GOOS#linux md/GOARCH#amd64",
           "aws-sdk-java/2.23.9 Mac_OS_X/14.3 OpenJDK_64-Bit_Server_VM/21.0.2+13-LTS Java/21.0.2",
           "[aws-cli/2.15.17 Python/3.11.6 Windows/10 exe/AMD64 prompt/off command/{op}]"]
CI_UA = "aws-sdk-go-v2/1.24.1 os/linux lang/go#1.21.6 exec-env/GitHub_Actions"

offices = ["31.%d.%d" % (rng.randint(224, 255), rng.randint(0, 255)) for _ in range(20)]
people = []
for i in range(120):
    nets = [offices[i % 20]]
    if rng.random() < 0.25:
        nets.append("12.%d.%d" % (rng.randint(82, 83), rng.randint(0, 255)))
    name = "user%03d" % i
    people.append({"user": name, "key": key("AKIA"), "nets": nets, "ua": rng.choice(CLIENTS),
                   "calls": rng.sample(NORMAL, rng.randint(5, 12)), "weight": rng.uniform(0.3, 1.7)})
busy = []
for p in people:
    busy.append((busy[-1] if busy else 0) + p["weight"])
roles = [{"role": "deploy-%02d" % k, "net": "35.%d.%d" % (rng.randint(0, 127), rng.randint(0, 255))}
         for k in range(min(15, max(2, total // 6000)))]


def user_identity(p, access_key):
    return {"type": "IAMUser", "principalId": "AIDA" + p["user"].upper().ljust(17, "X"),
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{p['user']}", "accountId": ACCOUNT,
            "accessKeyId": access_key, "userName": p["user"]}


def role_identity(r, run, access_key):
    return {"type": "AssumedRole", "principalId": "AROA" + r["role"].upper().ljust(17, "X") + ":run-%d" % run,
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{r['role']}/run-{run}", "accountId": ACCOUNT,
            "accessKeyId": access_key,
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::{ACCOUNT}:role/{r['role']}",
                                                 "userName": r["role"]},
                               "attributes": {"creationDate": "2026-02-02T00:00:00Z", "mfaAuthenticated": "false"}}}


def record(ts, identity, name, ip, ua, region=REGIONS[0], params=None, response=None, error=None):
    service, op = name.split(":")
    r = {"eventVersion": "1.09", "userIdentity": identity,
         "eventTime": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "eventSource": f"{service}.amazonaws.com",
         "eventName": op, "awsRegion": region, "sourceIPAddress": ip,
         "userAgent": ua.replace("{op}", op.lower()), "requestParameters": params,
         "responseElements": response, "requestID": uid(), "eventID": uid(),
         "readOnly": op.startswith(("List", "Get", "Describe", "Filter")), "eventType": "AwsApiCall",
         "managementEvent": True, "recipientAccountId": ACCOUNT, "eventCategory": "Management"}
    if error:
        r["errorCode"] = error
        r["errorMessage"] = f"User: {identity['arn']} is not authorized to perform: {name}"
    return r


# The attack, in time order: (time, record) pairs made now, so their ids are fixed.
victim = people[40]
probe_net, burst_net = "185.220.101", "45.155.205"
ATTACK_UA = "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.15.0 md/arch#x86_64 lang/python#3.10.12"
vid = user_identity(victim, victim["key"])
attack = []
t0 = START + timedelta(days=5, hours=2, minutes=17)
for k, name in enumerate(["sts:GetCallerIdentity", "s3:ListBuckets", "iam:ListAttachedUserPolicies"]):
    region = "us-east-1" if name.startswith(("iam", "sts")) else REGIONS[0]
    attack.append((t0 + timedelta(seconds=30 * k), record(t0 + timedelta(seconds=30 * k), vid, name,
                                                          probe_net + ".47", ATTACK_UA, region)))
t1 = START + timedelta(days=12, hours=1, minutes=40)
child = key("AKIA")
enum = ["iam:ListUsers", "iam:ListRoles", "s3:ListBuckets", "ec2:DescribeInstances", "rds:DescribeDBInstances",
        "lambda:ListFunctions", "secretsmanager:ListSecrets", "iam:ListAccessKeys"]
steps = [(name, region) for name in enum for region in REGIONS]
steps += [("iam:CreateUser", "us-east-1"), ("iam:CreateAccessKey", "us-east-1"),
          ("iam:AttachUserPolicy", "us-east-1")]
steps += [("s3:GetObject", REGIONS[0])] * 60 + [("cloudtrail:StopLogging", REGIONS[0])]
for k, (name, region) in enumerate(steps):
    at = t1 + timedelta(seconds=10 * k)
    params = response = error = None
    if name == "iam:CreateUser":
        params = {"userName": "svc-backup"}
    if name == "iam:CreateAccessKey":
        params = {"userName": "svc-backup"}
        response = {"accessKey": {"userName": "svc-backup", "accessKeyId": child, "status": "Active"}}
    if name == "iam:AttachUserPolicy":
        params = {"userName": "svc-backup", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    if name == "s3:GetObject":
        params = {"bucketName": "acme-finance", "key": "exports/%04d.csv" % k}
    if name in ("rds:DescribeDBInstances", "secretsmanager:ListSecrets") and region == "us-east-1":
        error = "AccessDenied"
    attack.append((at, record(at, vid, name, burst_net + ".%d" % (20 + k % 3), ATTACK_UA, region, params,
                              response, error)))
backup = {"user": "svc-backup"}
for k in range(20):
    at = t1 + timedelta(minutes=30, seconds=20 * k)
    name = "sts:GetCallerIdentity" if k == 0 else "s3:GetObject"
    attack.append((at, record(at, user_identity(backup, child), name, burst_net + ".21", ATTACK_UA,
                              "us-east-1" if k == 0 else REGIONS[0])))
attack.sort(key=lambda a: a[0])

# --instance-theft: the leak is instead an EC2 instance's role credentials, taken through
# the web application's server-side request forgery and used from outside AWS.
INSTANCE = "--instance-theft" in sys.argv
instances = []
if INSTANCE:
    instances = [{"id": "i-0%016x" % rng.getrandbits(64), "ip": "3.120.45.%d" % (10 + k)} for k in range(2)]
    instance_keys = {}

    def instance_key(inst, at):
        """The instance's credentials at `at`: IMDS hands out new ones every six hours."""
        window = int((at - START).total_seconds() // (6 * 3600))
        return instance_keys.setdefault((inst["id"], window), key("ASIA"))

    def instance_identity(inst, at):
        return {"type": "AssumedRole", "principalId": "AROAWEBAPPXXXXXXXXXXX:" + inst["id"],
                "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/web-app/{inst['id']}", "accountId": ACCOUNT,
                "accessKeyId": instance_key(inst, at),
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::{ACCOUNT}:role/web-app",
                                                     "userName": "web-app"},
                                   "attributes": {"creationDate": "2026-02-02T00:00:00Z",
                                                  "mfaAuthenticated": "false"},
                                   "ec2RoleDelivery": "2.0"}}

    APP_UA = "aws-sdk-java/2.23.9 Linux/6.1.66-91.160.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/17.0.9+8-LTS Java/17.0.9"
    t0 = START + timedelta(days=11, hours=3, minutes=12)
    stolen = instances[0]
    ident = instance_identity(stolen, t0)
    victim = {"key": ident["accessKeyId"]}
    child = None
    steps = ["sts:GetCallerIdentity", "s3:ListBuckets", "iam:ListRoles"] + ["s3:ListObjectsV2"] * 5 + \
        ["s3:GetObject"] * 40
    attack = []
    for k, name in enumerate(steps):
        at = t0 + timedelta(seconds=15 * k)
        error = "AccessDenied" if name == "iam:ListRoles" else None
        params = {"bucketName": "acme-uploads", "key": "users/%05d.json" % k} if name == "s3:GetObject" else None
        region = "us-east-1" if name.startswith(("iam", "sts")) else REGIONS[0]
        attack.append((at, record(at, ident, name, burst_net + ".%d" % (20 + k % 3), ATTACK_UA, region,
                                  params, None, error)))
    probe_net = None


def at_home(user, nets, t):
    """Where a person works on t's day: the office, or on three days in ten their home
    network if they have one (one place a day, not both by turns)."""
    day = int((t - START).total_seconds() // 86400)
    if len(nets) > 1 and works_from_home(user, day):
        return nets[1]
    return nets[0]


def work(t):
    """How much people work at t (UTC; offices at +01:00)."""
    local = t + timedelta(hours=1)
    if local.weekday() >= 5:
        return 0.02 if 9 <= local.hour < 17 else 0.0
    if 8 <= local.hour < 18:
        return 1.0
    return 0.04 if 18 <= local.hour < 22 else 0.0


files = {}  # (region, five-minute slot) -> records
written = [0, 0]


def flush(before):
    for (region, slot) in sorted(k for k in files if k[1] < before):
        recs = files.pop((region, slot))
        day = slot.strftime("%Y/%m/%d")
        stamp = (slot + timedelta(minutes=5)).strftime("%Y%m%dT%H%MZ")
        path = (f"{out}/AWSLogs/{ACCOUNT}/CloudTrail/{region}/{day}/"
                f"{ACCOUNT}_CloudTrail_{region}_{stamp}_{uid()[:16]}.json.gz")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(gzip.compress(json.dumps({"Records": recs}, separators=(",", ":")).encode(), 6, mtime=0))
        written[0] += len(recs)
        written[1] += 1


def put(r):
    ts = datetime.strptime(r["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    slot = ts.replace(minute=ts.minute - ts.minute % 5, second=0)
    files.setdefault((r["awsRegion"], slot), []).append(r)


# The roles' runs (five records an hour each) are part of the total: people and services
# make the rest, spread over the whole three weeks whatever the size.
gap = SPAN / max(total - len(roles) * 5 * 24 * 21, total // 4)
t = START
a = 0
runs = 0
next_run = {r["role"]: START + timedelta(minutes=rng.randint(0, 59)) for r in roles}
next_app = {inst["id"]: START + timedelta(minutes=k) for k, inst in enumerate(instances)}
while t < START + timedelta(seconds=SPAN):
    t += timedelta(seconds=rng.expovariate(1.0 / gap))
    while a < len(attack) and attack[a][0] <= t:
        put(attack[a][1])
        a += 1
    for r in roles:
        if next_run[r["role"]] <= t:
            runs += 1
            session = key("ASIA")
            ident = role_identity(r, runs, session)
            for k, name in enumerate(["sts:GetCallerIdentity", "ecr:GetAuthorizationToken", "s3:PutObject",
                                      "ecs:UpdateService", "ecs:DescribeServices"]):
                put(record(next_run[r["role"]] + timedelta(seconds=5 * k), ident, name, r["net"] + ".10", CI_UA,
                           "us-east-1" if name.startswith("sts") else REGIONS[0]))
            next_run[r["role"]] += timedelta(minutes=rng.randint(50, 70))
    for inst in instances:
        if next_app[inst["id"]] <= t:
            at = next_app[inst["id"]]
            put(record(at, instance_identity(inst, at), rng.choice(["s3:GetObject", "dynamodb:GetItem",
                                                                      "sqs:ReceiveMessage", "s3:PutObject"]),
                       inst["ip"], APP_UA, REGIONS[0]))
            next_app[inst["id"]] += timedelta(minutes=rng.randint(3, 7))
    w = work(t)
    if rng.random() < 0.9 * w:
        p = rng.choices(people, cum_weights=busy)[0]
        name = rng.choice(p["calls"])
        ip = at_home(p["user"], p["nets"], t) + ".%d" % rng.randint(2, 250)
        put(record(t, user_identity(p, p["key"]), name, ip, p["ua"], rng.choice(REGIONS)))
    else:
        svc = rng.choice(["lambda", "ecs-tasks", "events", "autoscaling"])
        put(record(t, {"type": "AWSService", "invokedBy": f"{svc}.amazonaws.com"}, "kms:Decrypt",
                   f"{svc}.amazonaws.com", f"{svc}.amazonaws.com", REGIONS[0]))
    flush(t - timedelta(minutes=10))
flush(t + timedelta(days=1))
first = attack[0][1]
truth = {"leaked_token_prefix": victim["key"], "first_suspicious_event_id": first["eventID"],
         "attacker_networks": [n + ".0/24" for n in (probe_net, burst_net) if n],
         "attacker_calls": len(attack), "lines": written[0], "files": written[1],
         "bytes": sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)}
if child:
    truth["minted_token_prefix"] = child
json.dump(truth, open(out.rstrip("/") + ".truth.json", "w"), indent=1)
print(f"{out}: {written[0]} records in {written[1]} files; truth in {out.rstrip('/')}.truth.json")

#!/usr/bin/env python3
"""Generate a multi-source incident with a known answer, for the scoring and timeline tests.

    python3 scripts/generate-incident.py --seed 7 --shape api-first --out tests/fixtures/incidents/api-first

Writes three weeks of one company's logs (nginx access log of its API, CloudTrail in S3
layout, Okta System Log NDJSON, Auth0 log stream) into OUT/logs (replaced), and
OUT/truth.json: which events the
attacker made, the first suspicious call of each leaked credential, the credentials the
attacker created, and the benign oddities that must not be flagged (a user travelling, a CI
runner moving inside its AS, a nightly job from a hosting network, an admin rotating keys
every week, public scanners). Deterministic for a seed. Addresses lie inside the networks
of the MaxMind test databases (tests/fixtures/geoip).

Shapes:
  api-first  Alice's API token and AWS key leak; a night probe of both from a Tor exit, a
             burst days later from another host, a new API token and a child AWS key.
  aws-first  The deploy user's AWS key leaks; one GetCallerIdentity from a hosting network,
             then days later recon, a new IAM user with a key and admin policy, data
             access, logging stopped; the same host sprays passwords at Okta.
  okta-session
             An infostealer takes Alice's Okta session (she stays signed in all week).
             One SSO at night from a residential address with her exact browser, then,
             while she works, the session is replayed to create an Okta API token, which
             deactivates MFA, grants privileges and reads app passwords.
"""
import argparse
import gzip
import json
import os
import random
import shutil
import uuid
from datetime import datetime, timedelta, timezone

ap = argparse.ArgumentParser()
ap.add_argument("--seed", type=int, required=True)
ap.add_argument("--shape", choices=["api-first", "aws-first", "okta-session"], required=True)
ap.add_argument("--probe-day", type=int, help="day of the first quiet probe (default per shape)")
ap.add_argument("--burst-day", type=int, help="day of the noisy attack (default per shape)")
ap.add_argument("--out", required=True)
ap.add_argument("--days", type=int, default=21)
args = ap.parse_args()
rng = random.Random(args.seed)
UTC = timezone.utc
TZ = timezone(timedelta(hours=1))
START = datetime(2026, 2, 2, tzinfo=UTC)  # a Monday
DAYS = args.days
ACCOUNT = "111122223333"
REGION = "eu-north-1"

# Networks (all inside the MaxMind test databases).
OFFICE = ["89.160.20.%d" % n for n in range(130, 140)]    # SE, AS29518
HOME_BOB = "89.160.20.115"                                # SE, AS29518, another /28
CI_OLD = "216.160.83.58"                                   # US Milton, AS209
CI_NEW = "65.116.3.%d"                                     # AS209, another prefix
NIGHTLY = "71.160.223.%d"                                  # hosting network
TRAVEL = "214.78.%d.%d"                                    # US San Diego, AS721
if args.shape == "api-first":
    PROBE = "81.2.69.%d" % rng.randint(160, 190)          # London, Tor/hosting
    BURST = "175.16.199.%d" % rng.randint(2, 250)         # Changchun CN
else:
    PROBE = "1.124.213.1"                                  # Tor exit
    BURST = "175.16.199.%d" % rng.randint(2, 250)

CHROME = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"
DASH = "acme-dashboard/3.4.1"
GO = "Go-http-client/1.1"
PYREQ = "python-requests/2.31.0"
BACKUP_UA = "acme-backup/1.8 (+ops)"
CLI = "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8"
BOTO = "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.2"
GO_SDK = "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.1 api/ecs#1.41.5"
TF = "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.40.0"


def tok(prefix="tt_live_"):
    return prefix + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789") for _ in range(24))


TOKENS = {"alice": tok(), "bob": tok(), "carol": tok(), "ci": tok(), "backup": tok()}
ATTACKER_TOKEN = tok()
# Access key ids are 20 characters: AKIA and 16 more.
KEYS = {"alice": "AKIAQ3EGALICE%07d" % (args.seed % 10**7), "deployer": "AKIAQ3EGDEPLOY%06d" % (args.seed % 10**6),
        "admin": "AKIAQ3EGADMIN%07d" % (args.seed % 10**7)}
CHILD_KEY = "AKIAQ3EGCHILD%07d" % (args.seed % 10**7)


def day(d, h=0, m=0, s=0):
    return START + timedelta(days=d, hours=h, minutes=m, seconds=s)


def weekday(d):
    return day(d).weekday() < 5


# Every generated event: (ts, source, payload, label). label is None for normal traffic,
# "attack" for the attacker, or the name of a benign oddity.
events = []


def nginx(ts, ip, method, path, status, size, ua, token=None, query="", label=None):
    q = query
    if token:
        q = (q + "&" if q else "") + "access_token=" + token
    uri = path + ("?" + q if q else "")
    t = ts.astimezone(TZ).strftime("%d/%b/%Y:%H:%M:%S %z")
    line = f'{ip} - - [{t}] "{method} {uri} HTTP/1.1" {status} {size} "-" "{ua}"'
    events.append((ts, "nginx", line, label))


def uid():
    return str(uuid.UUID(int=rng.getrandbits(128)))


def user_identity(user, key):
    return {"type": "IAMUser", "principalId": "AIDAQ3EG" + user.upper().replace("-", "")[:12],
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}", "accountId": ACCOUNT,
            "accessKeyId": key, "userName": user}


def ct(ts, identity, name, ip, ua, params=None, response=None, error=None, read_only=None,
       extra=None, label=None):
    source, op = name.split(":")
    r = {"eventVersion": "1.09", "userIdentity": identity,
         "eventTime": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "eventSource": f"{source}.amazonaws.com",
         "eventName": op, "awsRegion": REGION, "sourceIPAddress": ip, "userAgent": ua,
         "requestParameters": params, "responseElements": response, "requestID": uid(),
         "eventID": uid(), "readOnly": read_only if read_only is not None else op.startswith(("List", "Get", "Describe")),
         "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCOUNT,
         "eventCategory": "Management"}
    if error:
        r["errorCode"] = error
        r["errorMessage"] = f"User: {identity.get('arn')} is not authorized to perform: {name}"
    if extra:
        r["additionalEventData"] = extra
    events.append((ts, "cloudtrail", r, label))


def okta(ts, user, event_type, ip, ua, session, result="SUCCESS", reason=None, label=None,
         city=None, country=None, targets=None, api_token=None):
    r = {"uuid": uid(), "published": ts.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % rng.randint(0, 999),
         "eventType": event_type, "version": "0", "severity": "INFO",
         "displayMessage": event_type,
         "actor": {"id": "00u" + user[:8].ljust(8, "x"), "type": "User", "alternateId": user,
                   "displayName": user.split("@")[0].title()},
         "client": {"ipAddress": ip, "userAgent": {"rawUserAgent": ua},
                    "geographicalContext": {"city": city, "country": country}},
         "authenticationContext": {"externalSessionId": session} if session else {},
         "outcome": {"result": result, "reason": reason},
         "target": targets or [{"id": "0oa1dashboard", "type": "AppInstance", "alternateId": "ACME Dashboard",
                                "displayName": "ACME Dashboard"}],
         "transaction": {"type": "WEB", "id": uid()[:20]}}
    if api_token:
        r["transaction"]["detail"] = {"requestApiTokenId": api_token}
    events.append((ts, "okta", r, label))


AUTH0_DASHBOARD = ("dAsHbOaRdQ3EGcl1entId0000000001", "ACME Dashboard")
AUTH0_BACKEND = ("bAcKeNdQ3EGcl1entId000000000002", "acme-backend")


def auth0(ts, code, ip, ua, user=None, client=AUTH0_DASHBOARD, label=None, description=None):
    r = {"log_id": "900" + "".join(rng.choice("0123456789") for _ in range(53)),
         "date": ts.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % rng.randint(0, 999),
         "type": code, "client_id": client[0], "client_name": client[1], "ip": ip,
         "user_agent": ua, "hostname": "acme.eu.auth0.com"}
    if user:
        r.update({"user_id": "auth0|" + user.split("@")[0], "user_name": user,
                  "connection": "Username-Password-Authentication", "strategy": "auth0"})
    else:
        r.update({"audience": "https://api.acme.example/", "scope": "read:builds write:deploys"})
    if description:
        r["description"] = description
    events.append((ts, "auth0", r, label))


ALICE_WEEK_SESSION = "102AliceWeekSess" + "%09d" % args.seed


def session_id():
    return "102" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789") for _ in range(22))


# --- normal life -------------------------------------------------------------------------
ALICE_PATHS = [("/api/v1/me", 412), ("/api/v1/projects", 5120), ("/api/v1/projects/17/builds", 9012),
               ("/api/v1/projects/17", 1800), ("/api/v1/projects/23/builds", 7311), ("/api/v1/notifications", 640)]
carol_trip = range(9, 12)   # Carol works from San Diego on days 9-11 (Wed-Fri of week 2)
for d in range(DAYS):
    # Public web and scanners, every day.
    for _ in range(60):
        ts = day(d, rng.choice([6, 8, 9, 10, 12, 14, 16, 19, 21, 23]), rng.randint(0, 59), rng.randint(0, 59))
        ip = "1.128.%d.%d" % (rng.randint(0, 255), rng.randint(1, 254))
        nginx(ts, ip, "GET", rng.choice(["/", "/pricing", "/docs/api", "/status"]), 200, rng.randint(4000, 30000), CHROME)
    for _ in range(4):
        ts = day(d, rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
        nginx(ts, "38.%d.%d.%d" % (rng.randint(0, 63), rng.randint(0, 255), rng.randint(1, 254)), "GET",
              rng.choice(["/.env", "/wp-login.php", "/.git/config"]), 404, 153, "Mozilla/5.0 zgrab/0.x")
    nginx(day(d, rng.randint(0, 23), rng.randint(0, 59)), "38.%d.%d.%d" % (rng.randint(0, 63), rng.randint(0, 255), rng.randint(1, 254)),
          "GET", "/api/v1/me", 401, 52, "curl/8.4.0", token="tt_live_guess%d" % rng.randint(0, 99999))
    # CI: every 20 minutes; the runner moves to a new prefix of the same AS in week 3.
    for k in range(72):
        ts = day(d, 0, 5 + 20 * k, rng.randint(0, 9))
        moved = d >= 14
        ip = (CI_NEW % rng.randint(130, 140)) if moved else CI_OLD
        nginx(ts, ip, "GET", "/api/v1/projects/17/builds", 200, rng.randint(2000, 4000), GO, TOKENS["ci"],
              "status=queued", label="ci_moved" if moved else None)
    # The deploy user assumes a role from CI every 2 hours.
    for h in range(0, 24, 2):
        ts = day(d, h, 7, rng.randint(0, 50))
        moved = d >= 14
        ip = (CI_NEW % rng.randint(130, 140)) if moved else CI_OLD
        n = d * 12 + h // 2
        ct(ts, user_identity("ci-deployer", KEYS["deployer"]), "sts:AssumeRole", ip, GO_SDK,
           {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/deploy", "roleSessionName": f"ci-{n}"},
           {"credentials": {"accessKeyId": "ASIAQ3EGDEP%09d" % n, "sessionToken": "IQoJ" + "x" * 40,
                            "expiration": "Mar 9, 2026, 1:00:00 AM"}}, read_only=False,
           label="ci_moved" if moved else None)
        ct(ts + timedelta(minutes=3), {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}, "sts:AssumeRole",
           "ec2.amazonaws.com", "ec2.amazonaws.com",
           {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/api-instance", "roleSessionName": "i-0a1b2c3d4e5f60718"},
           None, read_only=False)
    # The backend asks Auth0 for a machine-to-machine token every two hours, from CI.
    for h in range(1, 24, 2):
        moved = d >= 14
        auth0(day(d, h, 30, rng.randint(0, 59)), "seccft", (CI_NEW % 133) if moved else CI_OLD, "node-auth0/4.2.0",
              client=AUTH0_BACKEND, label="ci_moved" if moved else None)
    # The nightly backup job: 02:00-02:20 UTC from a hosting network, every night.
    for k in range(8):
        ts = day(d, 2, 2 * k, rng.randint(0, 59))
        nginx(ts, NIGHTLY % 17, "GET", "/api/v1/export", 200, rng.randint(800_000, 1_200_000), BACKUP_UA,
              TOKENS["backup"], "format=json&since=24h", label="nightly")
    if not weekday(d):
        continue
    # Alice: office hours, dashboard in Chrome, AWS CLI.
    week_session = args.shape == "okta-session" and 14 <= d <= 18
    sess = ALICE_WEEK_SESSION if week_session else session_id()
    if not week_session or d == 14:
        okta(day(d, 7, rng.randint(30, 59)), "alice@acme.example", "user.session.start", OFFICE[0], CHROME, sess,
             city="Linköping", country="Sweden")
    if args.shape == "okta-session":
        # Single sign-on into the apps through the day, in the same session.
        for _ in range(6):
            app = rng.choice(["ACME Dashboard", "AWS Console", "Slack", "GitHub"])
            okta(day(d, rng.randint(8, 15), rng.randint(0, 59), rng.randint(0, 59)), "alice@acme.example",
                 "user.authentication.sso", rng.choice(OFFICE), CHROME, sess,
                 targets=[{"id": "0oa" + app.replace(" ", "").lower()[:12], "type": "AppInstance",
                           "alternateId": app, "displayName": app}], city="Linköping", country="Sweden")
    auth0(day(d, 7, rng.randint(30, 59)), "s", OFFICE[0], CHROME, "alice@acme.example")
    for _ in range(40):
        ts = day(d, rng.randint(7, 15), rng.randint(0, 59), rng.randint(0, 59))
        path, size = rng.choice(ALICE_PATHS)
        nginx(ts, rng.choice(OFFICE), "GET", path, 200, size, rng.choice([CHROME, DASH]), TOKENS["alice"])
    for _ in range(8):
        ts = day(d, rng.randint(8, 15), rng.randint(0, 59), rng.randint(0, 59))
        name, params = rng.choice([("s3:ListBuckets", None),
                                   ("ec2:DescribeInstances", {"instancesSet": {}}),
                                   ("s3:GetObject", {"bucketName": "acme-builds", "key": "releases/app.tar.gz"}),
                                   ("ecs:DescribeServices", {"cluster": "prod"})])
        ct(ts, user_identity("alice", KEYS["alice"]), name, rng.choice(OFFICE), CLI, params)
    # Bob: office, some evenings from home.
    sess = session_id()
    okta(day(d, 8, rng.randint(0, 30)), "bob@acme.example", "user.session.start", OFFICE[1], FIREFOX, sess,
         city="Linköping", country="Sweden")
    if day(d).weekday() == 2:
        # Bob mistypes his password on Wednesdays, then gets in: not an attack.
        auth0(day(d, 8, 40, 2), "fp", OFFICE[1], FIREFOX, "bob@acme.example", description="Wrong email or password.")
    auth0(day(d, 8, 41, rng.randint(0, 59)), "s", OFFICE[1], FIREFOX, "bob@acme.example")
    for _ in range(25):
        ts = day(d, rng.randint(8, 16), rng.randint(0, 59), rng.randint(0, 59))
        nginx(ts, rng.choice(OFFICE), "GET", rng.choice(["/api/v1/me", "/api/v1/projects/23", "/api/v1/projects/23/builds"]),
              200, rng.randint(400, 9000), FIREFOX, TOKENS["bob"])
    if d % 3 == 0:
        for _ in range(5):
            ts = day(d, 19, rng.randint(0, 59), rng.randint(0, 59))
            nginx(ts, HOME_BOB, "GET", "/api/v1/projects/23/builds", 200, 7000, FIREFOX, TOKENS["bob"])
    # Carol: office; on a trip to San Diego she works from the hotel, in her own daytime.
    away = d in carol_trip
    ip = TRAVEL % (rng.randint(0, 31), rng.randint(1, 254)) if away else OFFICE[2]
    base_h = 16 if away else 8  # 08:00 in San Diego is 16:00 UTC
    label = "travel" if away else None
    sess = session_id()
    okta(day(d, base_h, rng.randint(0, 20)), "carol@acme.example", "user.session.start", ip, CHROME, sess,
         label=label, city="San Diego" if away else "Linköping", country="United States" if away else "Sweden")
    auth0(day(d, base_h, rng.randint(21, 40)), "s", ip, CHROME, "carol@acme.example", label=label)
    for _ in range(20):
        ts = day(d, base_h + rng.randint(0, 7), rng.randint(0, 59), rng.randint(0, 59))
        nginx(ts, ip if away else rng.choice(OFFICE), "GET", rng.choice(["/api/v1/me", "/api/v1/projects", "/api/v1/projects/31/builds"]),
              200, rng.randint(400, 9000), CHROME, TOKENS["carol"], label=label)
    # The admin rotates the backup user's key every Monday, with Terraform, from the office.
    if day(d).weekday() == 0:
        t = day(d, 10, 15, rng.randint(0, 59))
        new_key = "AKIAQ3EGROT%09d" % d
        ct(t, user_identity("admin", KEYS["admin"]), "iam:CreateAccessKey", OFFICE[3], TF, {"userName": "svc-backup"},
           {"accessKey": {"accessKeyId": new_key, "status": "Active", "userName": "svc-backup"}}, read_only=False,
           label="rotation")
        ct(t + timedelta(seconds=20), user_identity("admin", KEYS["admin"]), "iam:UpdateAccessKey", OFFICE[3], TF,
           {"userName": "svc-backup", "accessKeyId": "AKIAQ3EGROT%09d" % (d - 7), "status": "Inactive"}, None,
           read_only=False, label="rotation")
    for _ in range(6):
        ts = day(d, rng.randint(9, 15), rng.randint(0, 59), rng.randint(0, 59))
        ct(ts, user_identity("admin", KEYS["admin"]), rng.choice(["iam:ListUsers", "iam:ListAccessKeys", "iam:GetUser"]),
           OFFICE[3], TF, {"userName": "svc-backup"})


# --- the incident -------------------------------------------------------------------------
truth = {"shape": args.shape, "seed": args.seed, "leaked": [], "first_suspicious": [], "children": [],
         "attacker_ips": sorted({PROBE, BURST})}
A = "attack"
FIRSTS = []  # the first suspicious call of each leaked credential
if args.shape == "api-first":
    probe_day, burst_day = args.probe_day or 15, args.burst_day or 17  # Tue of week 3, then Thu
    t = day(probe_day, 0, rng.randint(5, 50), rng.randint(0, 59))
    nginx(t, PROBE, "GET", "/api/v1/me", 200, 412, PYREQ, TOKENS["alice"], label=A)
    FIRSTS.append(events[-1])
    t2 = t + timedelta(minutes=2, seconds=rng.randint(0, 50))
    ct(t2, user_identity("alice", KEYS["alice"]), "sts:GetCallerIdentity", PROBE, BOTO, label=A)
    FIRSTS.append(events[-1])
    t = day(burst_day - 1, 23, rng.randint(10, 40))
    nginx(t, PROBE, "GET", "/api/v1/projects", 200, 5120, PYREQ, TOKENS["alice"], label=A)
    t = day(burst_day, 1, rng.randint(0, 30))
    for page in range(1, 31):
        nginx(t, PROBE, "GET", "/api/v1/users", 200, 24000, PYREQ, TOKENS["alice"], f"page={page}", label=A)
        t += timedelta(seconds=rng.randint(2, 6))
    for project in range(1, 26):
        status = 200 if project in (17, 23, 4) else 403
        nginx(t, BURST, "GET", f"/api/v1/projects/{project}/secrets", status, 2900 if status == 200 else 61, PYREQ,
              TOKENS["alice"], label=A)
        t += timedelta(seconds=rng.randint(1, 4))
    nginx(t, BURST, "GET", "/api/v1/export", 200, 48_213_004, PYREQ, TOKENS["alice"], "format=csv&all=true", label=A)
    t += timedelta(minutes=3)
    nginx(t, BURST, "POST", "/api/v1/tokens", 201, 188, PYREQ, TOKENS["alice"], label=A)
    t += timedelta(minutes=1)
    for path in ["/api/v1/me", "/api/v1/users", "/api/v1/projects/17/secrets"]:
        nginx(t, BURST, "GET", path, 200, 2048, PYREQ, ATTACKER_TOKEN, label=A)
        t += timedelta(seconds=rng.randint(5, 20))
    t = day(burst_day, 1, 41)
    for k in range(4):
        auth0(t, "fp", BURST, PYREQ, "alice@acme.example", label=A, description="Wrong email or password.")
        t += timedelta(seconds=rng.randint(4, 12))
    auth0(t, "limit_wc", BURST, PYREQ, "alice@acme.example", label=A,
          description="An IP address is blocked because it reached the maximum failed login attempts.")
    t = day(burst_day, 1, 45)
    alice = user_identity("alice", KEYS["alice"])
    for name, err in [("sts:GetCallerIdentity", None), ("iam:ListUsers", None), ("iam:ListAttachedUserPolicies", None),
                      ("s3:ListBuckets", None), ("ec2:DescribeInstances", "Client.UnauthorizedOperation"),
                      ("secretsmanager:ListSecrets", "AccessDenied"), ("rds:DescribeDBInstances", "AccessDenied"),
                      ("lambda:ListFunctions", "AccessDenied")]:
        ct(t, alice, name, BURST, BOTO, error=err, label=A)
        t += timedelta(seconds=rng.randint(3, 9))
    for i in range(15):
        ct(t, alice, "s3:GetObject", BURST, BOTO, {"bucketName": "acme-customer-exports", "key": f"customers-{i:03d}.csv.gz"},
           extra={"bytesTransferredOut": 1_900_000 + i}, label=A)
        t += timedelta(seconds=rng.randint(1, 3))
    ct(t, alice, "iam:CreateAccessKey", BURST, BOTO, {"userName": "svc-reports"},
       {"accessKey": {"accessKeyId": CHILD_KEY, "status": "Active", "userName": "svc-reports"}}, read_only=False, label=A)
    t += timedelta(minutes=2)
    for i in range(4):
        ct(t, user_identity("svc-reports", CHILD_KEY), "s3:GetObject", BURST, BOTO,
           {"bucketName": "acme-customer-exports", "key": f"old/customers-{i:03d}.csv.gz"},
           extra={"bytesTransferredOut": 2_000_000}, label=A)
        t += timedelta(seconds=rng.randint(2, 5))
    truth["leaked"] = ["alice api token", KEYS["alice"]]
    truth["children"] = [CHILD_KEY, "attacker api token"]
elif args.shape == "aws-first":
    probe_day, burst_day = args.probe_day or 13, args.burst_day or 16  # Sun of week 2, then Wed of week 3
    deployer = user_identity("ci-deployer", KEYS["deployer"])
    t = day(probe_day, 3, rng.randint(0, 50), rng.randint(0, 59))
    ct(t, deployer, "sts:GetCallerIdentity", PROBE, BOTO, label=A)
    FIRSTS.append(events[-1])
    # Password spray at Okta from the burst host, the evening before.
    t = day(burst_day - 1, 22, rng.randint(0, 30))
    for user in ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]:
        okta(t, f"{user}@acme.example", "user.session.start", BURST, PYREQ, None, "FAILURE", "INVALID_CREDENTIALS",
             label=A)
        t += timedelta(seconds=rng.randint(20, 90))
    t = day(burst_day, 2, rng.randint(0, 40))
    for name, err in [("sts:GetCallerIdentity", None), ("iam:ListUsers", None), ("iam:ListRoles", None),
                      ("iam:ListAttachedUserPolicies", None), ("s3:ListBuckets", None),
                      ("ec2:DescribeInstances", None), ("secretsmanager:ListSecrets", "AccessDenied"),
                      ("rds:DescribeDBInstances", "AccessDenied"), ("kms:ListKeys", "AccessDenied"),
                      ("organizations:DescribeOrganization", "AccessDenied")]:
        ct(t, deployer, name, BURST, BOTO, error=err, label=A)
        t += timedelta(seconds=rng.randint(3, 9))
    ct(t, deployer, "iam:CreateUser", BURST, BOTO, {"userName": "support-ops"},
       {"user": {"userName": "support-ops", "arn": f"arn:aws:iam::{ACCOUNT}:user/support-ops"}}, read_only=False, label=A)
    t += timedelta(seconds=30)
    ct(t, deployer, "iam:AttachUserPolicy", BURST, BOTO,
       {"userName": "support-ops", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, read_only=False, label=A)
    t += timedelta(seconds=30)
    ct(t, deployer, "iam:CreateAccessKey", BURST, BOTO, {"userName": "support-ops"},
       {"accessKey": {"accessKeyId": CHILD_KEY, "status": "Active", "userName": "support-ops"}}, read_only=False, label=A)
    t += timedelta(minutes=3)
    child = user_identity("support-ops", CHILD_KEY)
    ct(t, child, "cloudtrail:StopLogging", BURST, BOTO, {"name": "org-trail"}, read_only=False, label=A)
    t += timedelta(seconds=40)
    for i in range(10):
        ct(t, child, "secretsmanager:GetSecretValue", BURST, BOTO, {"secretId": f"prod/db-{i}"}, label=A)
        t += timedelta(seconds=rng.randint(2, 5))
    truth["leaked"] = [KEYS["deployer"]]
    truth["children"] = [CHILD_KEY]
else:
    probe_day, burst_day = args.probe_day or 14, args.burst_day or 16  # Mon night of week 3, then Wed
    ATT = "2.125.160.218"  # GB, a residential address: no anonymizer flag
    truth["attacker_ips"] = [ATT]
    sess = ALICE_WEEK_SESSION
    alice = "alice@acme.example"
    t = day(probe_day, 21, rng.randint(10, 50), rng.randint(0, 59))
    okta(t, alice, "user.authentication.sso", ATT, CHROME, sess, label=A,
         targets=[{"id": "0oaawsconsole", "type": "AppInstance", "alternateId": "AWS Console", "displayName": "AWS Console"}])
    FIRSTS.append(events[-1])
    t = day(burst_day, 9, rng.randint(30, 50), rng.randint(0, 59))
    # Alice is at work in the same session minutes before the replay.
    okta(t - timedelta(minutes=4), alice, "user.authentication.sso", OFFICE[4], CHROME, sess,
         targets=[{"id": "0oaslack", "type": "AppInstance", "alternateId": "Slack", "displayName": "Slack"}],
         city="Linköping", country="Sweden")
    okta(t, alice, "user.session.access_admin_app", ATT, CHROME, sess, label=A,
         targets=[{"id": "0oaadminconsole", "type": "AppInstance", "alternateId": "Okta Admin Console",
                   "displayName": "Okta Admin Console"}])
    t += timedelta(minutes=2)
    token = "00Tq3eGaTTacker%05d" % (args.seed % 10**5)
    okta(t, alice, "system.api_token.create", ATT, CHROME, sess, label=A,
         targets=[{"id": token, "type": "Token", "alternateId": "sync-automation", "displayName": "sync-automation"}])
    t += timedelta(minutes=3)
    for ev_type, target in [("user.mfa.factor.deactivate", "bob@acme.example"),
                            ("user.mfa.factor.deactivate", "carol@acme.example"),
                            ("group.user_membership.add", "Okta Administrators"),
                            ("user.account.privilege.grant", "erin@acme.example"),
                            ("application.user_membership.show_password", "AWS Console"),
                            ("application.user_membership.show_password", "GitHub"),
                            ("application.user_membership.show_password", "Slack")]:
        okta(t, alice, ev_type, ATT, PYREQ, None, label=A, api_token=token,
             targets=[{"id": "00u" + target[:8], "type": "User", "alternateId": target, "displayName": target}])
        t += timedelta(seconds=rng.randint(20, 70))
    truth["leaked"] = [sess]
    truth["children"] = [token]

# --- write ---------------------------------------------------------------------------------
events.sort(key=lambda e: e[0])
out = args.out
logs = os.path.join(out, "logs")
shutil.rmtree(logs, ignore_errors=True)
labels = {"attack": [], "travel": [], "ci_moved": [], "nightly": [], "rotation": []}
# nginx: rotated weekly, older weeks gzipped.
weeks = {}
for ev in events:
    if ev[1] == "nginx":
        weeks.setdefault((ev[0] - START).days // 7, []).append(ev)
os.makedirs(os.path.join(logs, "nginx"), exist_ok=True)
last_week = max(weeks)
locators = {}
for w, evs in sorted(weeks.items()):
    age = last_week - w
    name = "access.log" if age == 0 else f"access.log.{age}" + (".gz" if age >= 2 else "")
    body = "".join(e[2] + "\n" for e in evs).encode()
    path = os.path.join(logs, "nginx", name)
    with open(path, "wb") as f:
        f.write(gzip.compress(body, compresslevel=6, mtime=0) if name.endswith(".gz") else body)
    for n, e in enumerate(evs, 1):
        locators[id(e)] = {"file": f"nginx/{name}", "line": n}
# CloudTrail: one gzip file per day in S3 layout.
by_day = {}
for ev in events:
    if ev[1] == "cloudtrail":
        by_day.setdefault(ev[0].strftime("%Y/%m/%d"), []).append(ev)
for d, evs in by_day.items():
    folder = os.path.join(logs, "cloudtrail", "AWSLogs", ACCOUNT, "CloudTrail", REGION, d)
    os.makedirs(folder, exist_ok=True)
    name = f"{ACCOUNT}_CloudTrail_{REGION}_{d.replace('/', '')}T2355Z_{args.seed:06d}.json.gz"
    body = json.dumps({"Records": [e[2] for e in evs]}, separators=(",", ":")).encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(gzip.compress(body, compresslevel=6, mtime=0))
    for e in evs:
        locators[id(e)] = {"event_id": e[2]["eventID"]}
# One digest file, as CloudTrail writes them beside the logs: not events, skipped.
digest_dir = os.path.join(logs, "cloudtrail", "AWSLogs", ACCOUNT, "CloudTrail-Digest", REGION, "2026", "02", "16")
os.makedirs(digest_dir, exist_ok=True)
digest = {"awsAccountId": ACCOUNT, "digestStartTime": "2026-02-16T00:00:00Z", "digestEndTime": "2026-02-16T01:00:00Z",
          "digestS3Bucket": "acme-cloudtrail", "digestPublicKeyFingerprint": "4ee3b7d2e8e7b6d0c0c2f8f8e5a0c9b1",
          "digestSignatureAlgorithm": "SHA256withRSA", "newestEventTime": "2026-02-16T00:59:58Z",
          "oldestEventTime": "2026-02-16T00:00:03Z", "previousDigestS3Bucket": "acme-cloudtrail",
          "previousDigestSignature": "00", "logFiles": []}
with open(os.path.join(digest_dir, f"{ACCOUNT}_CloudTrail-Digest_{REGION}_org-trail_{REGION}_20260216T010000Z.json.gz"), "wb") as f:
    f.write(gzip.compress(json.dumps(digest).encode(), mtime=0))
# Okta: NDJSON, one file.
os.makedirs(os.path.join(logs, "okta"), exist_ok=True)
okta_lines = []
for e in (e for e in events if e[1] == "okta"):
    okta_lines.append(json.dumps(e[2], separators=(",", ":")) + "\n")
    locators[id(e)] = {"event_id": e[2]["uuid"]}
with open(os.path.join(logs, "okta", "system-log.ndjson.gz"), "wb") as f:
    f.write(gzip.compress("".join(okta_lines).encode(), compresslevel=6, mtime=0))
# Auth0: a log stream, one JSON object per line.
os.makedirs(os.path.join(logs, "auth0"), exist_ok=True)
with open(os.path.join(logs, "auth0", "tenant-logs.jsonl"), "w") as f:
    for e in (e for e in events if e[1] == "auth0"):
        f.write(json.dumps(e[2], separators=(",", ":")) + "\n")
        locators[id(e)] = {"event_id": e[2]["log_id"]}

for ev in events:
    if ev[3]:
        labels[ev[3]].append(locators[id(ev)])
for first in FIRSTS:
    loc = dict(locators[id(first)])
    loc["source"] = first[1]
    loc["ts"] = first[0].strftime("%Y-%m-%dT%H:%M:%SZ")
    truth["first_suspicious"].append(loc)
truth["events"] = labels
truth["counts"] = {k: len(v) for k, v in labels.items()}
truth["sources"] = {src: sum(1 for e in events if e[1] == src) for src in ("nginx", "cloudtrail", "okta", "auth0")}
truth["nginx_files"] = {name: n for name, n in ((f"nginx/{k}", len(v)) for k, v in
                        ((("access.log" if last_week - w == 0 else f"access.log.{last_week - w}" + (".gz" if last_week - w >= 2 else "")), evs)
                         for w, evs in weeks.items()))}
with open(os.path.join(out, "truth.json"), "w") as f:
    json.dump(truth, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"{out}: {len(events)} events; " + ", ".join(f"{k} {len(v)}" for k, v in labels.items()))

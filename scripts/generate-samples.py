#!/usr/bin/env python3
"""Generate samples/logs/nginx: one week of an API gateway's access logs with a known incident.

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

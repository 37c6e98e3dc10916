#!/usr/bin/env python3
"""Write a large nginx combined log of an API gateway with one planted token leak, and
its answer, for measuring `hunt` on data shaped like a real estate (not only its speed:
whether it finds the one leak among hundreds of tokens used normally, and nothing else).

Usage: scripts/make-nginx-incident-bench.py OUT SIZE_MB [--oddities] [--stealthy]

Three weeks of traffic (2026-02-02 to 2026-02-23, times logged at +01:00), SIZE_MB of it:
anonymous requests drawn from the real 10,000-line combined sample
(tests/fixtures/nginx/apache_logs.gz), and three requests in ten made with one of 200 API
tokens passed as `access_token`, each token used as its owner uses it:

- 180 people's tokens: from their office's network (30 offices, six people each, so
  offices are shared), a quarter also from a home network of their own on three days in
  ten (the whole day); on weekdays
  between 08:00 and 18:00, a few calls in the evening, few at weekends; one client (a
  browser or an SDK) and six to twelve of the API's forty routes, ids varying.
- 20 automation tokens: around the clock from a hosting network of their own, one HTTP
  library, three to five routes.

The leak: one person's token is tried on day 5 at 02:17 from a network no token uses (three
calls with curl: who am I, list tokens, list projects), and used again on day 12 from
01:40 for a quarter of an hour from another new network (a Python client listing users,
projects' secrets and exports, refused now and then, minting a new token at 01:48); the
minted token is then used from there for the rest of the burst. Everything else is normal.

--oddities: people and machines also do what is new without being an attack, as in any
estate: ten people travel for two to four weekdays (a hotel's network, their own client,
working six hours later), three work nights, five tokens are rotated on day 9 (the old one
stops, the new one starts from the same places), two people join on day 8, and three
automation tokens move to another network of their cloud provider's AS on day 10 (AS237 in
the MaxMind test databases: run `hunt --geoip samples/geoip` for tokentrail to know it).
None of them is a leak.

--stealthy: the attacker copies the owner's client (an infostealer's take), probes on day 3
at 10:17 and works on day 10 from 14:00 for 100 minutes, one call every 20 seconds, while
the owner works too.

OUT.truth.json: the leaked token, the line of its first suspicious call, the attacker's
networks, the minted token, the number of attacker calls. Deterministic (seed 11); a
smaller SIZE_MB gives fewer requests over the same three weeks, the same leak.
"""
import gzip
import json
import random
import sys
from datetime import datetime, timedelta, timezone

from estate import HOME_FIRST, HOTEL_FIRST, OFFICE_FIRST, net, works_from_home

out, size_mb = sys.argv[1], int(sys.argv[2])
oddities = "--oddities" in sys.argv[3:]
stealthy = "--stealthy" in sys.argv[3:]
rng = random.Random(11)
TZ = timezone(timedelta(hours=1))
START = datetime(2026, 2, 2, tzinfo=TZ)  # a Monday
DAYS = 21
SPAN = DAYS * 86400.0
anonymous = gzip.open("tests/fixtures/nginx/apache_logs.gz", "rt", encoding="latin-1").read().splitlines()
# Lines average about 220 bytes (the real sample's and an API call with a token alike).
LINES = size_mb * 1_000_000 // 220


def token():
    return "tt_live_%024x" % rng.getrandbits(96)


ROUTES = (["GET /api/v1/projects", "GET /api/v1/projects/{id}", "GET /api/v1/projects/{id}/issues",
           "POST /api/v1/projects/{id}/issues", "GET /api/v1/issues/{id}", "PATCH /api/v1/issues/{id}",
           "GET /api/v1/issues/{id}/comments", "POST /api/v1/issues/{id}/comments",
           "GET /api/v1/users/me", "GET /api/v1/users/{id}", "GET /api/v1/teams", "GET /api/v1/teams/{id}",
           "GET /api/v1/teams/{id}/members", "GET /api/v1/search?q=bug", "GET /api/v1/search?q=release",
           "GET /api/v1/builds", "GET /api/v1/builds/{id}", "POST /api/v1/builds", "GET /api/v1/builds/{id}/log",
           "GET /api/v1/releases", "GET /api/v1/releases/{id}", "POST /api/v1/releases",
           "GET /api/v1/notifications", "PUT /api/v1/notifications/{id}", "GET /api/v1/dashboards",
           "GET /api/v1/dashboards/{id}", "GET /api/v1/metrics?range=1d", "GET /api/v1/metrics?range=7d",
           "GET /api/v1/webhooks", "GET /api/v1/labels", "GET /api/v1/milestones",
           "GET /api/v1/milestones/{id}", "GET /api/v1/files/{id}", "POST /api/v1/files",
           "GET /api/v1/wiki/{id}", "PUT /api/v1/wiki/{id}", "GET /api/v1/calendar",
           "GET /api/v1/status", "GET /api/v1/activity?page={id}", "DELETE /api/v1/issues/{id}/labels/{id}"])
BROWSERS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
            "Mozilla/5.0 (X11; Linux x86_64; rv:122.0) Gecko/20100101 Firefox/122.0",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
            "acme-sdk-js/3.4.1 node/20.11.0", "acme-cli/2.8.0 (darwin; arm64)"]
LIBRARIES = ["python-requests/2.31.0", "Go-http-client/1.1", "okhttp/4.12.0", "Terraform/1.7.2", "curl/7.88.1"]

offices = [net(rng, OFFICE_FIRST) for _ in range(30)]
people, bots = [], []
for i in range(180):
    nets = [offices[i // 6]]
    if rng.random() < 0.25:
        nets.append(net(rng, HOME_FIRST))
    people.append({"token": token(), "nets": nets, "ua": rng.choice(BROWSERS),
                   "routes": rng.sample(ROUTES, rng.randint(6, 12)), "weight": rng.uniform(0.3, 1.7)})
for i in range(20):
    bots.append({"token": token(), "nets": [net(rng, [34, 35, 52, 104, 138, 159, 167])],
                 "ua": rng.choice(LIBRARIES), "routes": rng.sample(ROUTES, rng.randint(3, 5)),
                 "weight": rng.uniform(0.5, 1.5)})


def hour_weight(t):
    """How much people work at local time t (bots are constant)."""
    weekend = t.weekday() >= 5
    if 8 <= t.hour < 18:
        w = 1.0
    elif 18 <= t.hour < 22:
        w = 0.05
    else:
        return 0.0
    return w * (0.03 if weekend else 1.0)


def request(route):
    path = route.replace("{id}", str(rng.randint(1, 5000)), 1).replace("{id}", str(rng.randint(1, 50)))
    return path


def line(ip, t, req, tok, status, size, ua):
    method, path = req.split(" ", 1)
    sep = "&" if "?" in path else "?"
    return '%s - - [%s] "%s %s%saccess_token=%s HTTP/1.1" %d %d "-" "%s"' % (
        ip, t.strftime("%d/%b/%Y:%H:%M:%S %z"), method, path, sep, tok, status, size, ua)


victim = people[40]
DAY = 86400.0
benign = {}  # token prefix -> what it does
travellers, night_workers = [], []
if oddities:
    others = [p for p in people if p is not victim]
    picked = rng.sample(others, 20)
    for p in picked[:10]:
        d0 = rng.choice([1, 2, 7, 8, 9, 14, 15, 16])
        p["trip"] = (d0, d0 + rng.randint(2, 4), net(rng, HOTEL_FIRST))
        travellers.append(p)
        benign[p["token"][:12]] = "travels days %d-%d" % (p["trip"][0], p["trip"][1] - 1)
    for p in picked[10:13]:
        night_workers.append(p)
        benign[p["token"][:12]] = "works nights"
    for p in picked[13:18]:
        p["rotated"] = token()
        benign[p["token"][:12]] = "rotated on day 9 to " + p["rotated"][:12]
    for p in picked[18:20]:
        p["joins"] = 8
        benign[p["token"][:12]] = "joins on day 8"
    # Inside one provider's AS (35.0.0.0/9 is AS237 in the MaxMind test databases, so a
    # run with `--geoip samples/geoip` knows the move stays inside it).
    for b in rng.sample(bots, 3):
        b["nets"] = ["35.%d.%d" % (rng.randint(0, 127), rng.randint(0, 255))]
        b["moves"] = "35.%d.%d" % (rng.randint(0, 127), rng.randint(0, 255))
        benign[b["token"][:12]] = "automation moves to %s.0/24 on day 10" % b["moves"]
for p in night_workers:
    people.remove(p)


def at_home(p, d):
    """Where person p works on day d: the office, or on three days in ten their home
    network if they have one (a person is in one place a day, not both by turns)."""
    if len(p["nets"]) > 1 and works_from_home(p["token"], int(d)):
        return p["nets"][1]
    return p["nets"][0]


def day_of(t):
    return (t - START).total_seconds() / DAY


def call_of(p, t):
    """The token, address and client of person or bot p calling at t (None: not now)."""
    d = day_of(t)
    if d < p.get("joins", 0):
        return None
    tok = p["rotated"] if "rotated" in p and d >= 9 else p["token"]
    home = at_home(p, d) + ".%d" % rng.randint(2, 250)
    if p in bots:
        moved = "moves" in p and d >= 10
        return tok, (p["moves"] if moved else p["nets"][0]) + ".10", p["ua"]
    trip = p.get("trip")
    if trip and trip[0] <= d < trip[1]:
        return tok, trip[2] + ".%d" % rng.randint(2, 250), p["ua"]
    return tok, home, p["ua"]


def shifted(t):
    """Travellers on a trip at t working six hours later than at home."""
    d, late = day_of(t), t - timedelta(hours=6)
    if late.weekday() >= 5 or not 8 <= late.hour < 18:
        return []
    return [p for p in travellers if p["trip"][0] <= d < p["trip"][1]]
probe_net, burst_net = "185.220.101", "45.155.205"
minted = token()
attack = []  # (time, ip, request, token, status, ua)
if stealthy:
    # In working hours, with the owner's own client, the burst spread over 100 minutes.
    t0 = START + timedelta(days=3, hours=10, minutes=17)
    t1 = START + timedelta(days=10, hours=14)
    probe_ua = burst_ua = victim["ua"]
    step, mint_after = 20, timedelta(minutes=53)
else:
    t0 = START + timedelta(days=5, hours=2, minutes=17)
    t1 = START + timedelta(days=12, hours=1, minutes=40)
    probe_ua, burst_ua = "curl/8.4.0", "python-requests/2.31.0"
    step, mint_after = 3, timedelta(minutes=8)
for k, req in enumerate(["GET /api/v1/users/me", "GET /api/v1/tokens", "GET /api/v1/projects"]):
    attack.append((t0 + timedelta(seconds=40 * k), probe_net + ".47", req, victim["token"], 200, probe_ua))
recon = ["GET /api/v1/admin/users?page={id}", "GET /api/v1/projects/{id}/secrets", "GET /api/v1/export?all=true",
         "GET /api/v1/admin/audit", "GET /api/v1/tokens", "GET /api/v1/projects/{id}/members"]
for k in range(300):
    t = t1 + timedelta(seconds=step * k)
    minting = t >= t1 + mint_after
    tok = minted if minting and k % 2 else victim["token"]
    status = 403 if rng.random() < 0.1 else 200
    attack.append((t, burst_net + ".%d" % (20 + k % 3), request(rng.choice(recon)), tok, status, burst_ua))
attack.append((t1 + mint_after - timedelta(seconds=1), burst_net + ".20", "POST /api/v1/tokens",
               victim["token"], 201, burst_ua))
attack.sort(key=lambda a: a[0])

busy = []
for p in people:
    busy.append((busy[-1] if busy else 0) + p["weight"])
gap = SPAN / LINES
t = START
written = 0
first_line = None
attacker_calls = 0
n = 0
a = 0
with open(out, "w", encoding="latin-1", newline="\n") as f:
    buf = []
    while n < LINES:
        t += timedelta(seconds=rng.expovariate(1.0 / gap))
        while a < len(attack) and attack[a][0] <= t:
            at, ip, req, tok, status, ua = attack[a]
            buf.append(line(ip, at, req, tok, status, rng.randint(200, 40000), ua))
            n += 1
            attacker_calls += 1
            if first_line is None:
                first_line = n
            a += 1
        call = None
        if rng.random() < 0.3:
            w = hour_weight(t)
            p_bot = 0.15 / (0.15 + 0.85 * w)  # bots are a steady 15% of daytime token calls
            away = shifted(t) if oddities else []
            if away and rng.random() < 0.02 * len(away):
                who = rng.choice(away)
            elif night_workers and (t.hour >= 22 or t.hour < 6) and rng.random() < 0.2:
                who = rng.choice(night_workers)
            else:
                who = rng.choice(bots) if rng.random() < p_bot else rng.choices(people, cum_weights=busy)[0]
            call = call_of(who, t)
        if call:
            tok, ip, ua = call
            status = 200 if rng.random() > 0.01 else rng.choice([401, 404, 409])
            buf.append(line(ip, t, request(rng.choice(who["routes"])), tok, status,
                            rng.randint(200, 40000), ua))
        else:
            raw = rng.choice(anonymous)
            s, e = raw.index("["), raw.index("]")
            buf.append(raw[:s + 1] + t.strftime("%d/%b/%Y:%H:%M:%S %z") + raw[e:])
        n += 1
        if len(buf) >= 10000:
            chunk = "\n".join(buf) + "\n"
            written += len(chunk.encode("latin-1"))
            f.write(chunk)
            buf = []
    if buf:
        chunk = "\n".join(buf) + "\n"
        written += len(chunk.encode("latin-1"))
        f.write(chunk)

truth = {"leaked_token_prefix": victim["token"][:12], "first_suspicious_line": first_line,
         "attacker_networks": [probe_net + ".0/24", burst_net + ".0/24"],
         "minted_token_prefix": minted[:12], "attacker_calls": attacker_calls, "lines": n,
         "bytes": written, "benign": benign}
json.dump(truth, open(out + ".truth.json", "w"), indent=1)
print(f"{out}: {written} bytes, {n} lines; truth in {out}.truth.json")

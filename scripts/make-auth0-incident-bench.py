#!/usr/bin/env python3
"""Write an Auth0 tenant's log stream (one `{"log_id":…,"data":{…}}` per line) with one
leaked machine-to-machine client secret, and its answer, for measuring `hunt` on Auth0 logs
shaped like a real tenant.

Usage: scripts/make-auth0-incident-bench.py OUT EVENTS [--attacker-probe IP] [--attacker IP]
                                            [--refresh-theft [--thief IP]]

Three weeks (2026-02-02 to 2026-02-23) of about EVENTS events:

- the product's users, a person every 90 events, sign in to its web app (`s`, now and
  then a mistyped password first, `fp`) on most weekdays from their office (eight to an
  office) or, on three days in ten, from home, with their own browser, and the app
  exchanges their refresh token (`sertft`) every hour or so until evening;
- four administrators use the dashboard: Management API calls (`sapi`) with the day's
  dashboard token, from the office;
- twelve backend services, each from its own network of a cloud provider (35.0.0.0/9,
  AS237 in the MaxMind test databases), get a token by client credentials (`seccft`)
  every 50 to 70 minutes around the clock; the reporting exporter, whose token is for
  the Management API, then reads users with it (`sapi GET /api/v2/users`).

The leak: the reporting exporter's client secret. On day 5 at 02:17 UTC it is tried from a
network no one uses, with curl: a token, then the list of applications and one user (the
probe). On day 12 from 01:40, from another network with a Python client: a token, forty
pages of users, the applications, connections and rules, a backdoor user, an
administrator's email changed and MFA enrolment deleted, a new machine-to-machine
application created, and that application's own tokens from there. OUT.truth.json: the
client, the log id of its first suspicious event, the attacker's networks, the new
client, the attacker's events. Deterministic (seed 23). --attacker-probe and --attacker
put the probe and the burst on other addresses (their /24 is the network).

--refresh-theft: the leak is one person's refresh token instead (an infostealer's take):
replayed with a script from --thief (default 91.132.147.38) every hour from 21:10 UTC on
day 9 until 03:00; the next morning the owner's app finds it reused (`ferrt`). Nothing is
minted; the truth is the refresh-token family (`client_id:user_id`), its first replay and
the replays.
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone

from estate import HOME_FIRST, OFFICE_FIRST, net, works_from_home

out, total = sys.argv[1], int(sys.argv[2])


def option(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


PROBE = option("--attacker-probe", "185.220.101.47")
BURST = option("--attacker", "45.155.205.21")
REFRESH = "--refresh-theft" in sys.argv
THIEF = option("--thief", "91.132.147.38")
HTTPX = "python-httpx/0.27.0"
rng = random.Random(23)
UTC = timezone.utc
START = datetime(2026, 2, 2, tzinfo=UTC)  # a Monday
DAYS = 21
TENANT = "https://acme.eu.auth0.com"
MGMT = TENANT + "/api/v2/"
API = "https://api.acme.io/"
BROWSERS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
            "Mozilla/5.0 (X11; Linux x86_64; rv:122.0) Gecko/20100101 Firefox/122.0",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36"]
NODE = "node-auth0/4.2.0 (node.js/v20.11.0)"
CURL = "curl/8.4.0"
PYREQ = "python-requests/2.31.0"
SERVICES = ["billing-worker", "reporting-exporter", "search-indexer", "email-sender", "invoice-renderer",
            "webhook-relay", "audit-shipper", "sync-crm", "thumbnailer", "fraud-scorer", "ledger", "notifier"]


def rid(n=32):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(n))


seq = [0]


def log_id(ts):
    seq[0] += 1
    return "900%s%06d%036d" % (ts.strftime("%Y%m%d%H%M%S"), seq[0] % 1000000, seq[0])


def date(ts):
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ts.microsecond // 1000)


WEB = {"id": rid(), "name": "Acme Web"}
services = [{"name": s, "id": rid(), "net": "35.%d.%d" % (rng.randint(0, 127), rng.randint(0, 255)),
             "audience": MGMT if s == "reporting-exporter" else API} for s in SERVICES]
exporter = services[1]


def record(ts, code, ip, ua, client=None, user=None, audience=None, request=None, status=None, description=None):
    d = {"date": date(ts), "type": code, "ip": ip, "user_agent": ua, "log_id": log_id(ts),
         "description": description or "", "hostname": "acme.eu.auth0.com"}
    if client:
        d["client_id"], d["client_name"] = client["id"], client["name"]
    if user:
        d["user_id"], d["user_name"] = user["id"], user["email"]
        d["connection"] = "Username-Password-Authentication"
    if audience:
        d["audience"] = audience
    if request:
        d["details"] = {"request": request, "response": {"statusCode": status or 200, "body": {}}}
    return {"log_id": d["log_id"], "data": d}


def mgmt(ts, ip, ua, client, jti, method, path, user=None, status=200):
    auth = {"credentials": {"jti": jti, "scopes": ["read:users", "read:clients"]}, "strategy": "jwt"}
    if user:
        auth["user"] = {"user_id": user["id"], "email": user["email"], "name": user["email"].split("@")[0]}
    req = {"method": method, "path": path, "query": {}, "userAgent": ua, "ip": ip, "channel": "https://manage.auth0.com/"
           if user else "api", "auth": auth}
    r = record(ts, "sapi", ip, ua, client=client, request=req, status=status, description="%s %s" % (method, path))
    if user:  # the dashboard's calls name the person, as real logs do
        r["data"]["user_id"], r["data"]["user_name"] = user["id"], user["email"]
    return r


n_people = max(40, total // 90)
offices = [net(rng, OFFICE_FIRST) for _ in range((n_people + 7) // 8)]
people = [{"id": "auth0|%024x" % rng.getrandbits(96), "email": "user%04d@example.org" % i,
           "office": offices[i // 8], "home": net(rng, HOME_FIRST) if rng.random() < 0.4 else None,
           "ua": rng.choice(BROWSERS), "keen": rng.uniform(0.5, 0.95)} for i in range(n_people)]
admins = people[:4]
DASHBOARD = {"id": rid(), "name": "Auth0 Management Dashboard"}

events = []  # (time, record)
for day in range(DAYS):
    weekday = (START + timedelta(days=day)).weekday() < 5
    for p in people:
        if not weekday or rng.random() > p["keen"]:
            continue
        home = p["home"] and works_from_home(p["email"], day)
        ip = (p["home"] if home else p["office"]) + ".%d" % rng.randint(2, 250)
        t = START + timedelta(days=day, hours=7, minutes=rng.randint(0, 100), seconds=rng.random() * 60)
        if rng.random() < 0.04:
            events.append((t, record(t, "fp", ip, p["ua"], client=WEB, user=p, description="Wrong email or password.")))
            t += timedelta(seconds=rng.randint(8, 40))
        events.append((t, record(t, "s", ip, p["ua"], client=WEB, user=p, audience=API)))
        end = START + timedelta(days=day, hours=rng.randint(15, 17))
        while True:
            t += timedelta(minutes=rng.randint(45, 75), seconds=rng.random() * 60)
            if t > end:
                break
            events.append((t, record(t, "sertft", ip, p["ua"], client=WEB, user=p, audience=API)))
        if p in admins and rng.random() < 0.6:
            jti = rid()
            t = START + timedelta(days=day, hours=rng.randint(9, 15), minutes=rng.randint(0, 59))
            for path in rng.sample(["/api/v2/users", "/api/v2/clients", "/api/v2/logs", "/api/v2/connections",
                                    "/api/v2/rules", "/api/v2/stats/daily"], 3):
                t += timedelta(seconds=rng.randint(5, 90))
                events.append((t, mgmt(t, ip, p["ua"], DASHBOARD, jti, "GET", path, user=p)))
for s in services:
    t = START + timedelta(minutes=rng.randint(0, 59))
    while t < START + timedelta(days=DAYS):
        ip = s["net"] + ".%d" % rng.randint(10, 13)
        events.append((t, record(t, "seccft", ip, NODE, client=s, audience=s["audience"])))
        if s is exporter and 6 <= t.hour < 7:
            jti = rid()
            for page in range(3):
                u = t + timedelta(seconds=2 + page)
                events.append((u, mgmt(u, ip, NODE, s, jti, "GET", "/api/v2/users?page=%d" % page)))
        t += timedelta(minutes=rng.randint(50, 70), seconds=rng.random() * 60)

# The leak.
attack = []
if REFRESH:
    # An infostealer's operator replays one person's refresh token from the evening of day
    # 9, with a script, every hour until 03:00; the next morning the owner's app finds its
    # token reused (`ferrt`) and the owner signs in again.
    victim = people[17]
    net24 = THIEF.rsplit(".", 1)[0]
    t = START + timedelta(days=9, hours=21, minutes=10)
    while t < START + timedelta(days=10, hours=3):
        attack.append(record(t, "sertft", THIEF, HTTPX, client=WEB, user=victim, audience=API))
        t += timedelta(minutes=rng.randint(50, 70), seconds=rng.random() * 60)
    morning = START + timedelta(days=10, hours=6, minutes=58)
    own_ip = victim["office"] + ".%d" % rng.randint(2, 250)
    events.append((morning, record(morning, "ferrt", own_ip, victim["ua"], client=WEB, user=victim,
                                   description="Unsuccessful Refresh Token exchange, reused refresh token detected")))
    truth = {"leaked_token_prefix": "%s:%s" % (WEB["id"], victim["id"]), "attacker_networks": [net24 + ".0/24"]}
else:
    t = START + timedelta(days=5, hours=2, minutes=17)
    attack.append(record(t, "seccft", PROBE, CURL, client=exporter, audience=MGMT))
    jti = rid()
    attack.append(mgmt(t + timedelta(seconds=20), PROBE, CURL, exporter, jti, "GET", "/api/v2/clients"))
    attack.append(mgmt(t + timedelta(seconds=41), PROBE, CURL, exporter, jti, "GET", "/api/v2/users?per_page=1"))
    t = START + timedelta(days=12, hours=1, minutes=40)
    burst = BURST.rsplit(".", 1)[0]
    ip = lambda: burst + ".%d" % rng.randint(20, 22)
    attack.append(record(t, "seccft", ip(), PYREQ, client=exporter, audience=MGMT))
    jti = rid()
    admin = admins[0]
    steps = [("GET", "/api/v2/users?page=%d&per_page=100" % k) for k in range(40)] + [
        ("GET", "/api/v2/clients"), ("GET", "/api/v2/connections"), ("GET", "/api/v2/rules"),
        ("POST", "/api/v2/users"), ("PATCH", "/api/v2/users/" + admin["id"]),
        ("DELETE", "/api/v2/users/%s/authentication-methods" % admin["id"]), ("POST", "/api/v2/clients"),
        ("POST", "/api/v2/client-grants")]
    for method, path in steps:
        t += timedelta(seconds=rng.randint(2, 9))
        attack.append(mgmt(t, ip(), PYREQ, exporter, jti, method, path, status=201 if method == "POST" else 200))
    backdoor = {"id": rid(), "name": "backup-sync"}
    for k in range(3):
        t += timedelta(minutes=rng.randint(3, 9))
        attack.append(record(t, "seccft", ip(), PYREQ, client=backdoor, audience=MGMT))
    truth = {"leaked_token_prefix": exporter["id"],
             "attacker_networks": [PROBE.rsplit(".", 1)[0] + ".0/24", burst + ".0/24"],
             "minted_token_prefix": backdoor["id"]}
events += [(datetime.strptime(r["data"]["date"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC), r) for r in attack]
events.sort(key=lambda e: e[0])
with open(out, "w") as f:
    for _, r in events:
        f.write(json.dumps(r, separators=(",", ":")) + "\n")
truth.update({"first_suspicious_event_id": attack[0]["log_id"], "attacker_calls": len(attack),
              "lines": len(events), "bytes": sum(len(json.dumps(r, separators=(",", ":"))) + 1 for _, r in events)})
json.dump(truth, open(out + ".truth.json", "w"), indent=1)
print(f"{out}: {len(events)} events of {n_people} people and {len(services)} services; truth in {out}.truth.json")

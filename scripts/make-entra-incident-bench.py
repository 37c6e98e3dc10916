#!/usr/bin/env python3
"""Write a Microsoft Entra ID sign-in log (Graph `{"value": [...]}`) of a company with one
session stolen by an adversary-in-the-middle proxy, and its answer, for measuring `hunt`
on sign-ins shaped like a real tenant.

Usage: scripts/make-entra-incident-bench.py OUT SIGNINS [--stealthy]

Three weeks (2026-02-02 to 2026-02-23) of about SIGNINS sign-ins, a person every 200:
every weekday each person signs in interactively once in the morning from their office
(eight to an office) or, on three days in ten, from home, with their own browser, and the
session then signs in to Outlook, Teams and SharePoint without interaction through the
day; now and then a password is mistyped first (error 50126).

The theft: on the second Wednesday the proxy that phished one person replays their
session from a hosting network with another browser, four minutes after the owner's own
sign-in, and signs in to Exchange, Graph and SharePoint for an hour (20 sign-ins).
OUT.truth.json: the session, the id of its first stolen sign-in, the thief's network, the
number of the thief's sign-ins. Deterministic (seed 19). --stealthy: the session is
replayed with the owner's own browser from a residential address instead.
"""
import json
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone

from estate import HOME_FIRST, OFFICE_FIRST, net, works_from_home

out, total = sys.argv[1], int(sys.argv[2])
rng = random.Random(19)
UTC = timezone.utc
START = datetime(2026, 2, 2, tzinfo=UTC)  # a Monday
BROWSERS = [("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36 Edg/121.0.0.0", "Windows 10", "Edge 121.0.0"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15", "MacOs", "Safari 17.2"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36", "Windows 10", "Chrome 121.0.0")]
THIEF_BROWSER = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36", "Linux", "Chrome 119.0.0")
APPS = [("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online", "Office 365 Exchange Online"),
        ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams", "Microsoft Teams Services"),
        ("00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online", "Office 365 SharePoint Online"),
        ("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome", "Microsoft Graph")]


def uid():
    return str(uuid.UUID(int=rng.getrandbits(128)))


n_people = max(40, total // 200)
offices = [net(rng, OFFICE_FIRST)
           for _ in range((n_people + 7) // 8)]
people = [{"upn": "user%04d@acme.example" % i, "id": str(uuid.UUID(int=i + 1)), "office": offices[i // 8],
           "home": net(rng, HOME_FIRST) if rng.random() < 0.4 else None,
           "browser": rng.choice(BROWSERS), "weight": rng.uniform(0.5, 1.5)} for i in range(n_people)]
victim = people[23]


def place(p, day):
    if p["home"] and works_from_home(p["upn"], day):
        return p["home"]
    return p["office"]


def signin(ts, p, ip, browser, session, app, interactive, error=0):
    ua, os_, name = browser
    return {"id": uid(), "createdDateTime": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "userDisplayName": p["upn"].split("@")[0], "userPrincipalName": p["upn"], "userId": p["id"],
            "appId": app[0], "appDisplayName": app[1], "ipAddress": ip,
            "clientAppUsed": "Browser" if interactive else "Mobile Apps and Desktop clients",
            "userAgent": ua, "correlationId": uid(), "conditionalAccessStatus": "notApplied",
            "isInteractive": interactive, "tokenIssuerType": "AzureAD", "riskLevelDuringSignIn": "none",
            "riskState": "none", "resourceDisplayName": app[2], "sessionId": session,
            "uniqueTokenIdentifier": uid().replace("-", "")[:32],
            "status": {"errorCode": error, "failureReason": "Other." if error == 0 else
                       "Error validating credentials due to invalid username or password."},
            "deviceDetail": {"operatingSystem": os_, "browser": name},
            "location": {"city": None, "state": None, "countryOrRegion": None}}


signins = []
sessions = {}
for p in people:
    for day in range(21):
        if START.weekday() + day % 7 >= 5 and rng.random() > 0.03:
            continue
        ip = place(p, day) + ".%d" % rng.randint(2, 250)
        session = uid()
        sessions[(p["upn"], day)] = session
        t = START + timedelta(days=day, hours=7, minutes=rng.randint(0, 90))
        if rng.random() < 0.04:
            signins.append(signin(t, p, ip, p["browser"], None, APPS[3], True, 50126))
            t += timedelta(seconds=25)
        signins.append(signin(t, p, ip, p["browser"], session, APPS[3], True))
        for _ in range(max(1, int(rng.gauss(9, 3) * p["weight"]))):
            t += timedelta(minutes=rng.randint(10, 70))
            if t.hour >= 17:
                break
            signins.append(signin(t, p, ip, p["browser"], session, rng.choice(APPS[:3]), False))

THIEF = "45.155.205.97"
if "--stealthy" in sys.argv:
    # An infostealer's operator instead: the owner's own browser, from a residential proxy.
    THIEF, THIEF_BROWSER = "86.147.62.33", victim["browser"]
day = 9  # the second Wednesday
session = sessions[(victim["upn"], day)]
own = [s for s in signins if s["sessionId"] == session]
start = datetime.strptime(own[0]["createdDateTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
attack = []
t = start + timedelta(minutes=4)
for k in range(20):
    attack.append(signin(t, victim, THIEF, THIEF_BROWSER, session, APPS[[0, 3, 2, 0][k % 4]], k == 0))
    t += timedelta(minutes=rng.randint(1, 5))
signins += attack
signins.sort(key=lambda s: s["createdDateTime"])
with open(out, "w") as f:
    json.dump({"value": signins}, f, separators=(",", ":"))
truth = {"leaked_token_prefix": session, "first_suspicious_event_id": attack[0]["id"],
         "attacker_networks": [THIEF.rsplit(".", 1)[0] + ".0/24"], "attacker_calls": len(attack),
         "lines": len(signins), "bytes": sum(len(json.dumps(s, separators=(",", ":"))) + 1 for s in signins)}
json.dump(truth, open(out + ".truth.json", "w"), indent=1)
print(f"{out}: {len(signins)} sign-ins of {n_people} people; truth in {out}.truth.json")

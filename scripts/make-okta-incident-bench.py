#!/usr/bin/env python3
"""Write an Okta System Log (NDJSON) of a company with one stolen session, and its answer,
for measuring `hunt` on identity-provider data shaped like a real tenant.

Usage: scripts/make-okta-incident-bench.py OUT EVENTS [--attacker IP] [--spray | --api-token-theft]

Three weeks (2026-02-02 to 2026-02-23) of about EVENTS events of one person in 250 events
each: every person signs in on Monday from their office (shared by eight people) or, on
three days in ten, from home, stays signed in all week (one session, as Okta keeps it) and
signs in to their apps through it on weekdays, with their own browser; now and then a
password is mistyped first. Eight people in a hundred travel for two to four days (a
hotel's network, their own browser), and a few join in week two.

The theft (an infostealer's): one person's session is replayed on the Tuesday night of
week two from a residential address with their own browser (one app sign-in), then on the
Thursday morning, four minutes after the owner used it at the office, the thief opens the
admin console, creates an API token and uses it with a script to deactivate two people's
MFA, grant privileges and reveal three apps' passwords. OUT.truth.json: the session, the
uuid of its first suspicious event, the thief's network, the API token, the number of the
thief's events (10). Deterministic (seed 17). --attacker: the thief's address (default
91.132.147.38); scripts/bench-hunt.py --multi gives the gateway and CloudTrail attacker's.
--spray: the theft is a password spray instead: on day 9 at 01:05 UTC one wrong password
each for 200 accounts from one host, and one account's guessed among them; the session
that sign-in opens visits three apps and the admin console, makes an API token that
removes MFA and reveals a password. The truth is then that session, its sign-in, and the
208 events (the spray's failures are the attacker's too). --api-token-theft: the leak is
an HR integration's API token instead (used by its server on weekdays to update profiles),
used on day 12 at 02:30 UTC from the thief's address with a script: a backdoor user made
an administrator, two people's MFA removed, a password revealed; nothing minted.
"""
import json
import random
import sys
import uuid
import zlib
from datetime import datetime, timedelta, timezone

from estate import HOME_FIRST, HOTEL_FIRST, OFFICE_FIRST, net, works_from_home

out, total = sys.argv[1], int(sys.argv[2])
ATT = sys.argv[sys.argv.index("--attacker") + 1] if "--attacker" in sys.argv else "91.132.147.38"
rng = random.Random(17)
UTC = timezone.utc
START = datetime(2026, 2, 2, tzinfo=UTC)  # a Monday
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36"
BROWSERS = [CHROME,
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
            "Mozilla/5.0 (X11; Linux x86_64; rv:122.0) Gecko/20100101 Firefox/122.0",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36"]
PYREQ = "python-requests/2.31.0"
APPS = ["Slack", "GitHub", "AWS Console", "Jira", "Google Workspace", "Salesforce", "Zoom", "Confluence",
        "Figma", "Datadog"]


def uid():
    return str(uuid.UUID(int=rng.getrandbits(128)))


n_people = max(40, total // 250)
offices = [net(rng, OFFICE_FIRST)
           for _ in range((n_people + 7) // 8)]
people = []
for i in range(n_people):
    p = {"user": "user%04d@acme.example" % i, "id": "00u%017d" % i, "office": offices[i // 8],
         "home": net(rng, HOME_FIRST) if rng.random() < 0.4 else None,
         "ua": rng.choice(BROWSERS), "apps": rng.sample(APPS, rng.randint(3, 7)),
         "weight": rng.uniform(0.5, 1.5), "joins": 7 if rng.random() < 0.03 else 0}
    if rng.random() < 0.08:
        d0 = rng.choice([1, 2, 8, 9, 15, 16])
        p["trip"] = (d0, d0 + rng.randint(2, 4), net(rng, HOTEL_FIRST))
    people.append(p)
victim = people[17]
victim["trip"], victim["joins"] = None, 0


def place(p, day):
    trip = p.get("trip")
    if trip and trip[0] <= day < trip[1]:
        return trip[2]
    if p["home"] and works_from_home(p["user"], day):
        return p["home"]
    return p["office"]


def event(ts, p, event_type, ip, ua, session, result="SUCCESS", reason=None, target=None, api_token=None):
    r = {"uuid": uid(), "published": ts.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % rng.randint(0, 999),
         "eventType": event_type, "version": "0", "severity": "INFO", "displayMessage": event_type,
         "actor": {"id": p["id"], "type": "User", "alternateId": p["user"], "displayName": p["user"].split("@")[0]},
         "client": {"ipAddress": ip, "userAgent": {"rawUserAgent": ua}},
         "authenticationContext": {"externalSessionId": session} if session else {},
         "outcome": {"result": result, "reason": reason},
         "target": [target or {"id": "0oa" + str(zlib.crc32(b"app")), "type": "AppInstance",
                               "alternateId": "Okta Dashboard", "displayName": "Okta Dashboard"}],
         "transaction": {"type": "WEB", "id": uid()[:20]}}
    if api_token:
        r["transaction"] = {"type": "WEB", "id": uid()[:20], "detail": {"requestApiTokenId": api_token}}
    return r


def app(name):
    return {"id": "0oa" + "%08x" % zlib.crc32(name.encode()), "type": "AppInstance", "alternateId": name,
            "displayName": name}


events = []  # (time, record)
week_session = {}
for p in people:
    for week in range(3):
        if week * 7 + 6 < p["joins"]:
            continue
        session = "102" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789") for _ in range(22))
        week_session[(p["user"], week)] = session
        first = True
        for d in range(7):
            day = 7 * week + d
            if day < p["joins"] or (d >= 5 and rng.random() > 0.05):
                continue
            ip = place(p, day) + ".%d" % rng.randint(2, 250)
            t = START + timedelta(days=day, hours=7, minutes=rng.randint(0, 90))  # 08:00-09:30 at +01:00
            if first or place(p, day) != place(p, day - 1):
                if rng.random() < 0.05:
                    events.append((t, event(t, p, "user.session.start", ip, p["ua"], None, "FAILURE",
                                            "INVALID_CREDENTIALS")))
                    t += timedelta(seconds=20)
                events.append((t, event(t, p, "user.session.start", ip, p["ua"], session)))
                first = False
            for _ in range(max(1, int(rng.gauss(14, 4) * p["weight"]))):
                t += timedelta(minutes=rng.randint(5, 50))
                if t.hour >= 18:
                    break
                events.append((t, event(t, p, "user.authentication.sso", ip, p["ua"], session,
                                        target=app(rng.choice(p["apps"])))))

# The theft.
attack = []
first = 0
token = "00Tq3eGaTTacker0017"
if "--api-token-theft" in sys.argv:
    # An HR integration's API token, used by its server on weekdays to update profiles,
    # leaks and is used at night from elsewhere with a script: a backdoor user, made an
    # administrator, two people's MFA removed, a password revealed.
    svc = {"user": "svc-hrsync@acme.example", "id": "00usvchrsync000001"}
    hr_token = "00T9hRsYnC0000000001"
    server = "52.28.10.15"
    SDK = "okta-sdk-java/8.2.0 java/17.0.9 Linux/6.1.66"
    for day in range(21):
        if (START + timedelta(days=day)).weekday() >= 5:
            continue
        for hour in range(7, 18):
            for _ in range(rng.randint(0, 3)):
                t = START + timedelta(days=day, hours=hour, minutes=rng.randint(0, 59))
                who = rng.choice(people)["user"]
                events.append((t, event(t, svc, "user.account.update_profile", server, SDK, None, api_token=hr_token,
                                        target={"id": "00u" + who[:8], "type": "User", "alternateId": who,
                                                "displayName": who})))
    t = START + timedelta(days=12, hours=2, minutes=30)
    admin_group = {"id": "00gadmins", "type": "UserGroup", "alternateId": "Okta Administrators",
                   "displayName": "Okta Administrators"}
    for ev_type, target in [("user.lifecycle.create", {"id": "00ubackdoor", "type": "User",
                                                        "alternateId": "it-support@acme.example",
                                                        "displayName": "IT Support"}),
                            ("group.user_membership.add", admin_group),
                            ("user.mfa.factor.deactivate", {"id": "00u" + people[3]["user"][:8], "type": "User",
                                                            "alternateId": people[3]["user"]}),
                            ("user.mfa.factor.deactivate", {"id": "00u" + people[4]["user"][:8], "type": "User",
                                                            "alternateId": people[4]["user"]}),
                            ("application.user_membership.show_password", app("AWS Console"))]:
        t += timedelta(seconds=rng.randint(20, 70))
        attack.append(event(t, svc, ev_type, ATT, PYREQ, None, api_token=hr_token, target=target))
    session, token = hr_token, None
elif "--spray" in sys.argv:
    # A password spray instead: at night from one host, one wrong password each for 200
    # accounts in turn, a few seconds apart; one account's password is guessed (its
    # owner's weak one), and the session that sign-in opens is used at once for three
    # apps, the admin console and an API token that removes MFA and reveals a password.
    t = START + timedelta(days=9, hours=1, minutes=5)
    sprayed = [p for p in people if p is not victim][:200]
    hit = len(sprayed) * 2 // 3
    session = "102" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789") for _ in range(22))
    for p in sprayed[:hit] + [victim] + sprayed[hit:]:
        t += timedelta(seconds=rng.randint(4, 12))
        if p is victim:
            first = len(attack)
            attack.append(event(t, p, "user.session.start", ATT, PYREQ, session))
        else:
            attack.append(event(t, p, "user.session.start", ATT, PYREQ, None, "FAILURE", "INVALID_CREDENTIALS"))
    t += timedelta(minutes=3)
    for name in ["AWS Console", "GitHub", "Salesforce"]:
        t += timedelta(seconds=rng.randint(30, 90))
        attack.append(event(t, victim, "user.authentication.sso", ATT, PYREQ, session, target=app(name)))
    t += timedelta(minutes=2)
    attack.append(event(t, victim, "user.session.access_admin_app", ATT, PYREQ, session,
                        target=app("Okta Admin Console")))
    t += timedelta(minutes=1)
    attack.append(event(t, victim, "system.api_token.create", ATT, PYREQ, session,
                        target={"id": token, "type": "Token", "alternateId": "sync-automation",
                                "displayName": "sync-automation"}))
    for ev_type, who in [("user.mfa.factor.deactivate", people[3]["user"]),
                         ("application.user_membership.show_password", "AWS Console")]:
        t += timedelta(seconds=rng.randint(20, 70))
        attack.append(event(t, victim, ev_type, ATT, PYREQ, None, api_token=token,
                            target={"id": "00u" + who[:8], "type": "User", "alternateId": who, "displayName": who}))
else:
    session = week_session[(victim["user"], 1)]
    t = START + timedelta(days=8, hours=20, minutes=31)  # Tuesday of week two, 21:31 at +01:00
    attack.append(event(t, victim, "user.authentication.sso", ATT, victim["ua"], session, target=app("AWS Console")))
    t = START + timedelta(days=10, hours=8, minutes=44)  # Thursday, 09:44 at +01:00
    own = victim["office"] + ".77"
    events.append((t - timedelta(minutes=4), event(t - timedelta(minutes=4), victim, "user.authentication.sso", own,
                                                   victim["ua"], session, target=app("Slack"))))
    attack.append(event(t, victim, "user.session.access_admin_app", ATT, victim["ua"], session,
                        target=app("Okta Admin Console")))
    t += timedelta(minutes=2)
    attack.append(event(t, victim, "system.api_token.create", ATT, victim["ua"], session,
                        target={"id": token, "type": "Token", "alternateId": "sync-automation",
                                "displayName": "sync-automation"}))
    for ev_type, who in [("user.mfa.factor.deactivate", people[3]["user"]),
                         ("user.mfa.factor.deactivate", people[4]["user"]),
                         ("group.user_membership.add", "Okta Administrators"),
                         ("user.account.privilege.grant", people[5]["user"]),
                         ("application.user_membership.show_password", "AWS Console"),
                         ("application.user_membership.show_password", "GitHub"),
                         ("application.user_membership.show_password", "Slack")]:
        t += timedelta(seconds=rng.randint(20, 70))
        attack.append(event(t, victim, ev_type, ATT, PYREQ, None, api_token=token,
                            target={"id": "00u" + who[:8], "type": "User", "alternateId": who, "displayName": who}))
events += [(datetime.strptime(r["published"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC), r) for r in attack]
events.sort(key=lambda e: e[0])
with open(out, "w") as f:
    for _, r in events:
        f.write(json.dumps(r, separators=(",", ":")) + "\n")
truth = {"leaked_token_prefix": session, "first_suspicious_event_id": attack[first]["uuid"],
         "attacker_networks": [ATT.rsplit(".", 1)[0] + ".0/24"], "minted_token_prefix": token,
         "attacker_calls": len(attack), "lines": len(events),
         "bytes": sum(len(json.dumps(r, separators=(",", ":"))) + 1 for _, r in events),
         "benign": {p["user"]: "travels days %d-%d" % (p["trip"][0], p["trip"][1] - 1)
                    for p in people if p.get("trip")}}
if token is None:
    del truth["minted_token_prefix"]
json.dump(truth, open(out + ".truth.json", "w"), indent=1)
print(f"{out}: {len(events)} events of {n_people} people; truth in {out}.truth.json")

#!/usr/bin/env python3
"""Write a large Okta System Log NDJSON file for throughput measurements.

Usage: scripts/make-okta-bench.py OUT EVENTS [--api-export]

Events are the real Panther rule-test LogEvents of tests/fixtures/okta (those with a time)
used as templates, with fresh uuids, increasing `published` times and actors, addresses
and session ids drawn from pools (1,236 bytes an event on average).

--api-export: each event also gets the context an event of Okta's /api/v1/logs carries
where its template has none or leaves it empty (the rule tests keep only what their rule
reads): the client's user agent and geographical context, the security context (AS number
and organisation, ISP, domain, proxy), the authentication context, the request's ipChain
with its geography, the debug data's request id, URI, URL, hash, device fingerprint, risk
and behaviours, and each target's alternate id and display name (docs/formats.md, Okta):
2,165 bytes an event on average, the size of the export issue 4 was measured on (1.09 GB
for 500,000 events, 2,180 bytes an event).
"""
import json
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone

out, total = sys.argv[1], int(sys.argv[2])
api_export = "--api-export" in sys.argv[3:]
rng = random.Random(5)
templates = []
for line in open("tests/fixtures/okta/panther-rule-tests.ndjson"):
    r = json.loads(line)
    if isinstance(r.get("published"), str) and r["published"][:1] == "2" and "eventType" in r:
        templates.append(r)
actors = [f"user{i}@acme.io" for i in range(5000)]
ips = ["%d.%d.%d.%d" % (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)) for _ in range(20000)]
places = [
    ("San Francisco", "California", "United States", "94107", 37.7697, -122.3933),
    ("New York", "New York", "United States", "10001", 40.7484, -73.9967),
    ("London", "England", "United Kingdom", "EC2A", 51.5237, -0.0786),
    ("Frankfurt am Main", "Hesse", "Germany", "60313", 50.1155, 8.6842),
    ("Singapore", None, "Singapore", "018989", 1.2929, 103.8547),
    ("Sao Paulo", "Sao Paulo", "Brazil", "01310", -23.5613, -46.6565),
]
networks = [
    (7922, "comcast cable communications llc", "comcast", "comcast.net"),
    (16509, "amazon.com inc.", "amazon.com", "amazonaws.com"),
    (3320, "deutsche telekom ag", "deutsche telekom ag", "t-online.de"),
    (2856, "british telecommunications plc", "bt public internet service", "bt.net"),
    (9009, "m247 europe srl", "m247 ltd", "m247.com"),
]
agents = [
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", "Mac OS X", "SAFARI"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Windows 10", "CHROME"),
    ("okta-sdk-java/8.2.2 java/17.0.9 Linux/5.15.0-1051-aws", "Linux", "UNKNOWN"),
]


def geo(place):
    city, state, country, postal, lat, lon = place
    return {"city": city, "state": state, "country": country, "postalCode": postal,
            "geolocation": {"lat": lat, "lon": lon}}


def fill_api_context(r):
    """The context an /api/v1/logs event carries, where the template has none."""
    client = r["client"]
    place, net, agent = rng.choice(places), rng.choice(networks), rng.choice(agents)
    if not isinstance(client.get("userAgent"), dict) or not client["userAgent"]:
        client["userAgent"] = {"rawUserAgent": agent[0], "os": agent[1], "browser": agent[2]}
    if not client.get("geographicalContext"):
        client["geographicalContext"] = geo(place)
    client.setdefault("zone", "null")
    client.setdefault("device", "Computer")
    if not r.get("securityContext"):
        r["securityContext"] = {"asNumber": net[0], "asOrg": net[1], "isp": net[2],
                                "domain": net[3], "isProxy": False}
    auth = r["authenticationContext"]
    for k, v in (("authenticationProvider", None), ("credentialProvider", None),
                 ("credentialType", None), ("issuer", None), ("interface", None),
                 ("authenticationStep", 0), ("rootSessionId", "102" + "%016x" % rng.getrandbits(64))):
        auth.setdefault(k, v)
    if not (r.get("request") or {}).get("ipChain"):
        r["request"] = {"ipChain": [{"ip": client["ipAddress"], "geographicalContext": geo(place),
                                     "version": "V4", "source": None}]}
    debug = r.setdefault("debugContext", {})
    if not isinstance(debug, dict):
        return
    data = debug.get("debugData")
    if not isinstance(data, dict):
        data = debug["debugData"] = {}
    data.setdefault("requestId", "%032x" % rng.getrandbits(128))
    data.setdefault("dtHash", "%064x" % rng.getrandbits(256))
    data.setdefault("requestUri", "/idp/idx/identify")
    data.setdefault("url", "/idp/idx/identify?")
    data.setdefault("threatSuspected", "false")
    data.setdefault("deviceFingerprint", "%032x" % rng.getrandbits(128))
    data.setdefault("risk", "{level=LOW}")
    data.setdefault("behaviors", "{New Geo-Location=NEGATIVE, New Device=NEGATIVE, New IP=NEGATIVE, "
                    "New State=NEGATIVE, New Country=NEGATIVE, Velocity=NEGATIVE, New City=NEGATIVE}")
    targets = r.get("target")
    if isinstance(targets, list):
        for target in targets:
            if isinstance(target, dict):
                target.setdefault("alternateId", "unknown")
                target.setdefault("displayName", target.get("id", "unknown"))
                target.setdefault("detailEntry", None)
    r.setdefault("transaction", {"type": "WEB", "id": "%032x" % rng.getrandbits(128), "detail": {}})
    r.setdefault("version", "0")
    r.setdefault("severity", "INFO")


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
        if api_export:
            fill_api_context(r)
        buf.append(json.dumps(r, separators=(",", ":")))
        if len(buf) == 10000:
            f.write("\n".join(buf) + "\n")
            buf = []
    if buf:
        f.write("\n".join(buf) + "\n")
print(out)

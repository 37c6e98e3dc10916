#!/usr/bin/env python3
"""Write the CSV-download fixtures of tests/fixtures/ from the real JSON records beside
them, so that a test can read one event in both forms and compare what tokentrail makes
of each (tests/identity.rs `csv_downloads_read_like_their_json`).

- entra/admin-center-signins.csv: the Entra admin center's sign-in download, with the
  header published by incident-response scripts for the late-2024 portal (55 labels,
  "Incoming token type" twice, "Autonomous system  number" with two spaces), one row per
  sign-in of panther-rule-tests.ndjson and the Graph documentation example.
- entra/log-analytics-signinlogs.csv: Log Analytics query results of the same sign-ins:
  PascalCase columns, `TimeGenerated [UTC]` in the portal's display format, dynamic
  columns (LocationDetails, Status) as JSON text.
- cloudtrail/event-history.csv: event history rows with console labels, the record JSON
  (pretty-printed, so rows span lines) in a "CloudTrail event" column, from the
  `lookup-events` objects of plaso-lookup-events.jsonl.
- cloudtrail/lake-results.csv: CloudTrail Lake query results (record field names,
  `eventTime` as `YYYY-MM-DD HH:MM:SS.fff`), from stratus-ec2-steal-instance-credentials.json.
- okta/dotted-columns.csv: System Log events flattened to dotted field columns, from
  panther-rule-tests.ndjson (records with a time).

Usage: scripts/make-csv-fixtures.py   (from the repository root)
"""
import csv
import datetime
import json
import pathlib

F = pathlib.Path("tests/fixtures")

ADMIN_HEADER = [
    "Date (UTC)", "Request ID", "User agent", "Correlation ID", "User ID", "User", "Username",
    "User type", "Cross tenant access type", "Incoming token type", "Authentication Protocol",
    "Unique token identifier", "Original transfer method", "Client credential type",
    "Token Protection - Sign In Session", "Token Protection - Sign In Session StatusCode",
    "Application", "Application ID ", "Resource", "Resource ID ", "Resource tenant ID",
    "Home tenant ID", "Home tenant name", "IP address", "Location", "Status",
    "Sign-in error code", "Failure reason", "Client app", "Device ID", "Browser",
    "Operating System", "Compliant", "Managed", "Join Type",
    "Multifactor authentication result", "Multifactor authentication auth method",
    "Multifactor authentication auth detail", "Authentication requirement",
    "Sign-in identifier", "Session ID", "IP address (seen by resource)",
    "Through Global Secure Access", "Global Secure Access IP address",
    "Autonomous system  number", "Flagged for review", "Token issuer type",
    "Incoming token type", "Token issuer name", "Latency", "Conditional Access",
    "Managed Identity type", "Associated Resource Id", "Federated Token Id",
    "Federated Token Issuer",
]


def signins(users_only):
    """Sign-in properties with a time and an id, as Graph would return them. The admin
    center's user sign-ins tab has no service principal columns: `users_only` keeps the
    user sign-ins for it."""
    out = []
    for line in open(F / "entra/panther-rule-tests.ndjson"):
        r = json.loads(line)
        p = r.get("properties") or {}
        cat = r.get("category") or ""
        if users_only and cat not in ("SignInLogs", "NonInteractiveUserSignInLogs"):
            continue
        if "SignInLogs" in cat and p.get("createdDateTime") and p.get("id"):
            out.append(p)
    out.append(json.load(open(F / "entra/msgraph-signin-get-beta.json")))
    return out


def status_text(code):
    return "Success" if code == 0 else "Failure"


def admin_row(s):
    loc = s.get("location") or {}
    place = ", ".join(x for x in (loc.get("city"), loc.get("state"), loc.get("countryOrRegion")) if x)
    dev = s.get("deviceDetail") or {}
    st = s.get("status") or {}
    code = st.get("errorCode", 0)
    v = {
        "Date (UTC)": s.get("createdDateTime"), "Request ID": s.get("id"),
        "User agent": s.get("userAgent"), "Correlation ID": s.get("correlationId"),
        "User ID": s.get("userId"), "User": s.get("userDisplayName"),
        "Username": s.get("userPrincipalName"), "User type": s.get("userType"),
        "Incoming token type": s.get("incomingTokenType"),
        "Authentication Protocol": s.get("authenticationProtocol"),
        "Unique token identifier": s.get("uniqueTokenIdentifier"),
        "Client credential type": s.get("clientCredentialType"),
        "Application": s.get("appDisplayName"), "Application ID ": s.get("appId"),
        "Resource": s.get("resourceDisplayName"), "Resource ID ": s.get("resourceId"),
        "Home tenant ID": s.get("homeTenantId"), "IP address": s.get("ipAddress"),
        "Location": place, "Status": status_text(code), "Sign-in error code": code,
        "Failure reason": st.get("failureReason") if code else "",
        "Client app": s.get("clientAppUsed"), "Device ID": dev.get("deviceId"),
        "Browser": dev.get("browser"), "Operating System": dev.get("operatingSystem"),
        "Authentication requirement": s.get("authenticationRequirement"),
        "Session ID": s.get("sessionId"),
        "Autonomous system  number": s.get("autonomousSystemNumber"),
        "Token issuer type": s.get("tokenIssuerType"), "Token issuer name": s.get("tokenIssuerName"),
        "Conditional Access": s.get("conditionalAccessStatus"),
    }
    row = []
    seen = set()
    for label in ADMIN_HEADER:
        # The second "Incoming token type" column is empty in the downloads seen.
        val = v.get(label) if label not in seen else ""
        seen.add(label)
        row.append("" if val is None else str(val))
    return row


def display_time(iso):
    t = datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")[:26] + "+00:00"
                                        if "." in iso else iso.replace("Z", "+00:00"))
    ms = f".{t.microsecond // 1000:03d}"
    hour = t.hour % 12 or 12
    return f"{t.month}/{t.day}/{t.year}, {hour}:{t.minute:02d}:{t.second:02d}{ms} {'AM' if t.hour < 12 else 'PM'}"


def analytics_row(s):
    st = s.get("status") or {}
    return {
        "TimeGenerated [UTC]": display_time(s["createdDateTime"]),
        "Id": s.get("id"), "UserPrincipalName": s.get("userPrincipalName"),
        "UserId": s.get("userId"), "AppDisplayName": s.get("appDisplayName"),
        "AppId": s.get("appId"), "IPAddress": s.get("ipAddress"),
        "ResultType": str(st.get("errorCode", 0)), "SessionId": s.get("sessionId"),
        "UniqueTokenIdentifier": s.get("uniqueTokenIdentifier"),
        "CorrelationId": s.get("correlationId"),
        "LocationDetails": json.dumps(s.get("location") or {}),
        "Status": json.dumps(st), "IsInteractive": str(bool(s.get("isInteractive"))),
        "ClientAppUsed": s.get("clientAppUsed"), "UserAgent": s.get("userAgent"),
        "ServicePrincipalName": s.get("servicePrincipalName"),
        "Category": "SignInLogs",
    }


def write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        w.writerow(header)
        for r in rows:
            w.writerow(["" if x is None else x for x in r])
    print(f"{path}: {len(rows)} rows")


def flatten(obj, prefix=""):
    out = {}
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif isinstance(v, list):
            out[key] = json.dumps(v)
        else:
            out[key] = "" if v is None else str(v)
    return out


def main():
    write(F / "entra/admin-center-signins.csv", ADMIN_HEADER,
          [admin_row(x) for x in signins(users_only=True)])
    rows = [analytics_row(x) for x in signins(users_only=False)]
    write(F / "entra/log-analytics-signinlogs.csv", list(rows[0]), [list(r.values()) for r in rows])

    # `aws cloudtrail lookup-events` output is what the event history page shows.
    recs = [json.loads(l) for l in open(F / "cloudtrail/plaso-lookup-events.jsonl")]
    header = ["Event name", "Event time", "User name", "Event source", "Resource type",
              "Resource name", "AWS access key", "AWS region", "Error code",
              "Source IP address", "Event ID", "Read-only", "CloudTrail event"]
    rows = []
    for e in recs:
        r = json.loads(e["CloudTrailEvent"])
        res = e.get("Resources") or [{}]
        rows.append([e.get("EventName"), e.get("EventTime"), e.get("Username"),
                     e.get("EventSource"), res[0].get("ResourceType"), res[0].get("ResourceName"),
                     e.get("AccessKeyId"), r.get("awsRegion"), r.get("errorCode"),
                     r.get("sourceIPAddress"), e.get("EventId"), e.get("ReadOnly"),
                     json.dumps(r, indent=2)])
    write(F / "cloudtrail/event-history.csv", header, rows)

    recs = json.load(open(F / "cloudtrail/stratus-ec2-steal-instance-credentials.json"))
    cols = ["eventTime", "eventID", "eventName", "eventSource", "awsRegion", "sourceIPAddress",
            "userAgent", "errorCode", "readOnly", "recipientAccountId", "userIdentity.type",
            "userIdentity.arn", "userIdentity.accessKeyId", "userIdentity.principalId",
            "requestParameters", "responseElements"]
    rows = []
    for r in recs:
        flat = flatten({k: v for k, v in r.items() if k not in ("requestParameters", "responseElements")})
        t = r["eventTime"].replace("T", " ").replace("Z", "")
        flat["eventTime"] = t + ".000" if "." not in t else t
        for k in ("requestParameters", "responseElements"):
            flat[k] = json.dumps(r[k]) if r.get(k) is not None else ""
        rows.append([flat.get(c, "") for c in cols])
    write(F / "cloudtrail/lake-results.csv", cols, rows)

    recs = [json.loads(l) for l in open(F / "okta/panther-rule-tests.ndjson")]
    recs = [r for r in recs if str(r.get("published", "")).startswith("2")]
    flats = [flatten(r) for r in recs]
    cols = sorted({k for f in flats for k in f})
    write(F / "okta/dotted-columns.csv", cols, [[f.get(c, "") for c in cols] for f in flats])


if __name__ == "__main__":
    main()

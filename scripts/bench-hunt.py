#!/usr/bin/env python3
"""Time `tokentrail hunt` on gateway logs with one planted leak, and check its answer.

Usage: scripts/bench-hunt.py [--data DIR] [--sizes 10,125,500,2000] [--repeat N] [--tokentrail BIN]
                             [--memory-budget MIB] [--dataset] [--oddities] [--stealthy] [--geoip DIR] [--cloudtrail [--instance-theft] | --okta [--spray | --api-token-theft] | --auth0 [--refresh-theft] | --entra | --multi]

For each size (MB) the log is made by scripts/make-nginx-incident-bench.py (once, kept in
DIR, default /tmp/tokentrail-bench), `hunt --format json` is run on it --repeat times, and
the best run is reported: wall time, MB/s, lines/s, peak RSS. The report is then checked
against the generator's truth file: one finding, the leaked token, the line of the first
suspicious call (the quiet probe days before the burst), the two attacker networks, the
minted token, and every attacker call and nothing else attributed. Exit 1 if a check
fails. --oddities: the log also holds people and machines doing new things that are not a
leak (travel, night work, rotated tokens, new joiners, automation moving inside its cloud
provider; see the generator); a finding for one of them is named. --stealthy: the attacker
copies the owner's client and works in office hours. --geoip: passed to `hunt`, and so is
--memory-budget (`hunt` by parts: the same checks must hold). --dataset: each input is first
written by `tokentrail ingest -o INPUT.dataset/` (once, kept) and `hunt` reads that dataset
instead (the same checks must hold; with --memory-budget, by parts over tables).
--cloudtrail: an AWS account's CloudTrail tree instead (scripts/make-cloudtrail-incident-bench.py),
each size a thousand records; the first suspicious call is checked by its event id; with
--instance-theft, an EC2 instance's role credentials taken through the web application and
used from outside AWS instead (nothing minted).
--okta: an Okta tenant's System Log with one stolen session
(scripts/make-okta-incident-bench.py), each size a thousand events; with --spray, a
password spray of 200 accounts at night guesses one, and its new session is the leak; with
--api-token-theft, an integration's API token used at night from elsewhere (nothing minted). --entra: an Entra ID
sign-in log with one session replayed by a phishing proxy (scripts/make-entra-incident-bench.py),
each size a thousand sign-ins; nothing is minted there (with --stealthy, replayed with the
owner's browser from a residential address). --auth0: an Auth0 tenant's log stream
with one machine-to-machine application's secret leaked (scripts/make-auth0-incident-bench.py),
each size a thousand events; the application the attacker made is the minted credential;
with --refresh-theft, one person's refresh token replayed by a script for a night instead
(nothing minted). --multi: one attacker in three
sources, in one folder: the gateway log (SIZE MB), the CloudTrail tree (SIZE thousand
records; its attacker is the gateway's, same networks, same nights) and the Okta tenant
(SIZE thousand events, the session replayed from the gateway's burst network); each leaked
credential must be a finding with its own first suspicious call and minted credential, and
every finding must name the union of the attacker networks and all the attacker's events
(one attacker, one timeline). Results go into docs/performance.md ("hunt on a gateway log with one leak").
"""
import argparse
import json
import pathlib
import subprocess
import sys


def measure(cmd):
    out = subprocess.run(["/usr/bin/time", "-f", "%e %M"] + cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {out.stderr}")
    wall, kb = out.stderr.strip().splitlines()[-1].split()
    return float(wall), int(kb) // 1024


def check(report, truth):
    """What the report says against the truth: a list of (what, ok, shown)."""
    findings = report["findings"]
    if not findings:
        return [("findings", False, "0")]
    f = findings[0]
    benign = truth.get("benign", {})
    others = [g["credential"]["id"] for g in findings[1:]]
    flagged = ", ".join(f"{o} ({benign.get(o[:12], 'not benign')})" for o in others)
    first = f.get("first_suspicious") or {}
    children = [c["id"] for c in f["child_credentials"]]
    return [
        ("findings", len(findings) == 1, f"{len(findings)}: also {flagged}"),
        ("leaked token", f["credential"]["id"].startswith(truth["leaked_token_prefix"]), f["credential"]["id"]),
        ("first suspicious line", first.get("line") == truth["first_suspicious_line"], str(first.get("line")))
        if "first_suspicious_line" in truth else
        ("first suspicious event", first.get("event_id") == truth["first_suspicious_event_id"],
         str(first.get("event_id"))),
        ("attacker networks", sorted(f["attacker"]["networks"]) == sorted(truth["attacker_networks"]),
         ", ".join(f["attacker"]["networks"])),
        ("minted token", any(c.startswith(truth["minted_token_prefix"]) for c in children), ", ".join(children))
        if "minted_token_prefix" in truth else ("nothing minted", not children, ", ".join(children)),
        ("attacker events", len(f["events"]) == truth["attacker_calls"],
         f"{len(f['events'])} of {truth['attacker_calls']}"),
    ]


def check_multi(report, truths):
    """One finding per leaked credential, each with its own first call and child, all
    tied into one attacker: the union of the networks, every attacker event."""
    findings = report["findings"]
    checks = [("findings", len(findings) == len(truths),
               f"{len(findings)}: " + ", ".join(f["credential"]["id"] for f in findings))]
    networks = sorted({n for t in truths.values() for n in t["attacker_networks"]})
    calls = sum(t["attacker_calls"] for t in truths.values())
    for source, truth in truths.items():
        f = next((f for f in findings if f["credential"]["id"].startswith(truth["leaked_token_prefix"])), None)
        if f is None:
            checks.append((f"{source} leaked credential", False, "no finding"))
            continue
        first = f.get("first_suspicious") or {}
        ok = (first.get("line") == truth["first_suspicious_line"] if "first_suspicious_line" in truth
              else first.get("event_id") == truth["first_suspicious_event_id"])
        checks.append((f"{source} first suspicious", ok, str(first.get("line") or first.get("event_id"))))
        children = [c["id"] for c in f["child_credentials"]]
        checks.append((f"{source} minted", any(c.startswith(truth["minted_token_prefix"]) for c in children),
                       ", ".join(children)))
        checks.append((f"{source} networks", sorted(f["attacker"]["networks"]) == networks,
                       ", ".join(f["attacker"]["networks"])))
        checks.append((f"{source} events", len(f["events"]) == calls, f"{len(f['events'])} of {calls}"))
    return checks


def make_multi(data, size):
    """The three sources of one incident in data/multi-SIZE, their truths beside it."""
    folder, truths = data / f"multi-{size}", data / f"multi-{size}.truth"
    if folder.exists() and truths.exists():
        return folder, {p.stem: json.loads(p.read_text()) for p in sorted(truths.glob("*.json"))}
    folder.mkdir()
    truths.mkdir(exist_ok=True)
    py = sys.executable
    subprocess.run([py, "scripts/make-nginx-incident-bench.py", str(folder / "gateway.log"), str(size)], check=True)
    subprocess.run([py, "scripts/make-cloudtrail-incident-bench.py", str(folder / "cloudtrail"), str(size * 1000)],
                   check=True)
    subprocess.run([py, "scripts/make-okta-incident-bench.py", str(folder / "okta.ndjson"), str(size * 1000),
                    "--attacker", "45.155.205.23"], check=True)
    for name, made in (("gateway", "gateway.log.truth.json"), ("cloudtrail", "cloudtrail.truth.json"),
                       ("okta", "okta.ndjson.truth.json")):
        (folder / made).rename(truths / f"{name}.json")
    return make_multi(data, size)


def dataset_of(tokentrail, log):
    """The dataset `ingest` writes of log (a file or folder), made once beside it."""
    ds = log.parent / f"{log.name}.dataset"
    if not ds.exists():
        subprocess.run([tokentrail, "ingest", "-q", str(log), "-o", f"{ds}/"], check=True)
    return ds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/tmp/tokentrail-bench")
    ap.add_argument("--sizes", default="10,125,500,2000")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--tokentrail", default="target/release/tokentrail")
    ap.add_argument("--oddities", action="store_true")
    ap.add_argument("--stealthy", action="store_true")
    ap.add_argument("--geoip")
    ap.add_argument("--memory-budget")
    ap.add_argument("--dataset", action="store_true")
    ap.add_argument("--cloudtrail", action="store_true")
    ap.add_argument("--okta", action="store_true")
    ap.add_argument("--entra", action="store_true")
    ap.add_argument("--auth0", action="store_true")
    ap.add_argument("--spray", action="store_true")
    ap.add_argument("--refresh-theft", action="store_true")
    ap.add_argument("--instance-theft", action="store_true")
    ap.add_argument("--api-token-theft", action="store_true")
    ap.add_argument("--multi", action="store_true")
    args = ap.parse_args()
    flags = [f for f, on in (("--oddities", args.oddities), ("--stealthy", args.stealthy)) if on]
    kind = "-".join(["incident"] + [f[2:] for f in flags])
    geoip = ["--geoip", args.geoip] if args.geoip else []
    if args.memory_budget:
        geoip += ["--memory-budget", args.memory_budget]
    data = pathlib.Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    rows, failed = [], False
    for size in (int(s) for s in args.sizes.split(",")):
        if args.multi:
            log, truths = make_multi(data, size)
            if args.dataset:
                log = dataset_of(args.tokentrail, log)
            out = data / f"multi-{size}.report.json"
            runs = [measure([args.tokentrail, "hunt", "-q", "--format", "json", "-o", str(out), str(log)] + geoip)
                    for _ in range(args.repeat)]
            checks = check_multi(json.loads(out.read_text()), truths)
            failed |= not all(ok for _, ok, _ in checks)
            truth = {k: sum(t[k] for t in truths.values()) for k in ("bytes", "lines")}
            rows.append((size, truth, *min(runs), checks))
            continue
        if args.auth0:
            log = data / f"auth0-{'refresh' if args.refresh_theft else 'incident'}-{size}k.ndjson"
            truth_file = pathlib.Path(f"{log}.truth.json")
            make = ["scripts/make-auth0-incident-bench.py", str(log), str(size * 1000)] + \
                (["--refresh-theft"] if args.refresh_theft else [])
        elif args.entra:
            log = data / f"entra-{'stealthy' if args.stealthy else 'incident'}-{size}k.json"
            truth_file = pathlib.Path(f"{log}.truth.json")
            make = ["scripts/make-entra-incident-bench.py", str(log), str(size * 1000)] + \
                (["--stealthy"] if args.stealthy else [])
        elif args.okta:
            kind = "spray" if args.spray else "api-token" if args.api_token_theft else "incident"
            log = data / f"okta-{kind}-{size}k.ndjson"
            truth_file = pathlib.Path(f"{log}.truth.json")
            make = ["scripts/make-okta-incident-bench.py", str(log), str(size * 1000)] + \
                (["--spray"] if args.spray else []) + (["--api-token-theft"] if args.api_token_theft else [])
        elif args.cloudtrail:
            log = data / f"cloudtrail-{'instance' if args.instance_theft else 'incident'}-{size}k"
            truth_file = pathlib.Path(f"{log}.truth.json")
            make = ["scripts/make-cloudtrail-incident-bench.py", str(log), str(size * 1000)] + \
                (["--instance-theft"] if args.instance_theft else [])
        else:
            log = data / f"{kind}-{size}m.log"
            truth_file = pathlib.Path(f"{log}.truth.json")
            make = ["scripts/make-nginx-incident-bench.py", str(log), str(size)] + flags
        if not log.exists() or not truth_file.exists():
            subprocess.run([sys.executable] + make, check=True)
        truth = json.loads(truth_file.read_text())
        out = pathlib.Path(f"{log}.report.json")
        if args.dataset:
            log = dataset_of(args.tokentrail, log)
        runs = [measure([args.tokentrail, "hunt", "-q", "--format", "json", "-o", str(out), str(log)] + geoip)
                for _ in range(args.repeat)]
        wall, mb = min(runs)
        checks = check(json.loads(out.read_text()), truth)
        failed |= not all(ok for _, ok, _ in checks)
        rows.append((size, truth, wall, mb, checks))
    unit = "events" if args.multi else "records" if args.cloudtrail else "events" if args.okta or args.auth0 else "sign-ins" if args.entra else "lines"
    print(f"| log | {unit} | wall s | MB/s | {unit}/s | peak RSS MB | answer |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for size, truth, wall, mb, checks in rows:
        answer = "; ".join(f"{what} {'✓' if ok else '✗ ' + shown}" for what, ok, shown in checks)
        print(f"| {truth['bytes'] / 1e6:,.0f} MB | {truth['lines']:,} | {wall:.2f} | "
              f"{truth['bytes'] / 1e6 / wall:,.0f} | {truth['lines'] / wall:,.0f} | {mb:,} | {answer} |")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

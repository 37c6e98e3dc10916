#!/usr/bin/env python3
"""tokentrail against the tools a responder would otherwise reach for, on the same data,
in one run: wall time, MB/s, events/s and peak memory of each, and the ratio to
tokentrail. The tables go into docs/performance.md.

Usage:
  scripts/bench-peers.py [--data DIR] [--nginx-mb N] [--cloudtrail N] [--okta N]
                         [--okta-api-export] [--auth0 N]
                         [--only nginx,cloudtrail,okta,auth0] [--repeat N]
                         [--tokentrail PATH] [--as-cached | --cold]

Defaults are the issue's sizes (nginx 2,000 MB, CloudTrail 2,000,000 records in 2,000
S3 files, Okta and Auth0 1,000,000 events each). Data are generated once into --data
(default /tmp/tokentrail-bench) by scripts/make-*-bench.py and reused. Needs a release
build (cargo build --release; --tokentrail times another binary, such as
scripts/build-pgo.sh's target/pgo/tokentrail); peers are run when installed: GoAccess and lnav (apt),
DuckDB's CLI (pip install duckdb-cli, or a `duckdb` binary on PATH)
and its Python module, Polars (pip), jq, zcat/cat as the floor. Peak memory is GNU time's
maximum resident set size. Each command runs --repeat times (default 1), the rounds interleaved
across a table's commands; the fastest run counts.

Before each table its data set is put out of the page cache and read back once, so that every
tool reads it as it reads a log just read from disk (`posix_fadvise(DONTNEED)` on each file,
no root needed). How a file came into the cache changes what mapping it costs: a file the
generator wrote a few KB at a time is cached in 4 KB pages, which the kernel maps one by
one, where one read from disk is cached in large folios (docs/performance.md, "As read from
disk"). --as-cached leaves the cache as it is. --cold puts the data set out of the page
cache before every run of every command, so that each reads it from disk, as the first
run over logs just copied off a disk or out of an evidence image does; the floor is then
the disk's.
"""
import argparse
import json
import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
TT = ROOT / "target" / "release" / "tokentrail"


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True, cwd=ROOT)


class Measured:
    """A shell command to time `repeat` times; `table` runs the rounds of all its commands
    interleaved (one run of each, then again), so that a machine whose speed drifts over
    minutes slows every command alike. `best`: the fastest run's wall time (s) and peak
    RSS (MB); `failed`: it exited with an error."""

    def __init__(self, cmd, repeat):
        self.cmd, self.repeat = cmd, repeat
        self.best, self.failed = None, False

    def run(self, before=None):
        if before:
            before()
        with tempfile.NamedTemporaryFile("r") as t:
            full = f"/usr/bin/time -f '%e %M' -o {t.name} sh -c {shlex.quote(self.cmd)}"
            done = subprocess.run(full, shell=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
            if done.returncode not in (0, 1):
                print(f"  failed ({done.returncode}): {self.cmd}\n  {done.stderr.strip()[-400:]}",
                      file=sys.stderr)
                self.failed = True
                return
            wall, rss_kb = t.read().split()[-2:]
            # GNU time has a resolution of 10 ms.
            run = (max(float(wall), 0.01), int(rss_kb) / 1024)
            if self.best is None or run[0] < self.best[0]:
                self.best = run


def measure(cmd, repeat):
    """`cmd` to be timed by `table`, `repeat` times."""
    return Measured(cmd, repeat)


def have(tool):
    return shutil.which(tool) is not None


def duckdb_cli():
    """The DuckDB command-line binary: `duckdb` on PATH when it is one (not a script), else
    the one the `duckdb-cli` pip package bundles; None when neither is installed."""
    found = shutil.which("duckdb")
    if found:
        with open(found, "rb") as f:
            if f.read(4) == b"\x7fELF":
                return found
    probe = subprocess.run([sys.executable, "-c", "import duckdb_cli, os; "
                            "print(os.path.join(os.path.dirname(duckdb_cli.__file__), 'duckdb'))"],
                           capture_output=True, text=True)
    path = probe.stdout.strip()
    return path if probe.returncode == 0 and os.path.isfile(path) else None


def cli_version(cli):
    out = subprocess.run([cli, "--version"], capture_output=True, text=True).stdout.split()
    return out[0] if out else "?"


def duckdb_sql(job, path):
    """The query of scripts/duckdb-summary.py for `job`, as the DuckDB CLI runs it (2 threads)."""
    return subprocess.run([sys.executable, "scripts/duckdb-summary.py", job, str(path), "2", "--sql"],
                          capture_output=True, text=True, check=True, cwd=ROOT).stdout


def have_py(module):
    return subprocess.run([sys.executable, "-c", f"import {module}"],
                          capture_output=True).returncode == 0


def generate(args, data):
    data.mkdir(parents=True, exist_ok=True)
    nginx = data / f"access-{args.nginx_mb}m.log"
    if "nginx" in args.only and not nginx.exists():
        sh(f"python3 scripts/make-nginx-bench.py {nginx} {args.nginx_mb}")
    if "nginx" in args.only and not pathlib.Path(f"{nginx}.gz").exists():
        sh(f"gzip -6 -c {nginx} > {nginx}.gz")
    ct = data / f"cloudtrail-{args.cloudtrail}"
    if "cloudtrail" in args.only and not ct.exists():
        sh(f"python3 scripts/make-cloudtrail-bench.py {ct} {args.cloudtrail} {max(1, args.cloudtrail // 1000)}")
    shape = "api-" if args.okta_api_export else ""
    okta = data / f"okta-{shape}{args.okta}.ndjson"
    if "okta" in args.only and not okta.exists():
        flag = " --api-export" if args.okta_api_export else ""
        sh(f"python3 scripts/make-okta-bench.py {okta} {args.okta}{flag}")
    auth0 = data / f"auth0-{args.auth0}.ndjson"
    if "auth0" in args.only and not auth0.exists():
        sh(f"python3 scripts/make-auth0-bench.py {auth0} {args.auth0}")
    return nginx, ct, okta, auth0


def files_of(path):
    p = pathlib.Path(path)
    return sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]


def out_of_cache(paths):
    """Each file of `paths` out of the page cache (written out first: the dirty pages of a
    data set just generated stay cached); nothing where the system has no `posix_fadvise`
    (macOS)."""
    if not hasattr(os, "posix_fadvise"):
        return
    for path in paths:
        for f in files_of(path):
            fd = os.open(f, os.O_RDONLY)
            try:
                os.fdatasync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def from_disk(paths):
    """Each file of `paths` out of the page cache, then read once: cached as a file read
    from disk is (large folios by readahead), whatever wrote it. Where the system has no
    `posix_fadvise` (macOS), the files are only read."""
    out_of_cache(paths)
    for path in paths:
        for f in files_of(path):
            with open(f, "rb") as fh:
                while fh.read(1 << 20):
                    pass


def size_of(path):
    return sum(f.stat().st_size for f in files_of(path))


def count_events(tt, path):
    """Events as tokentrail (binary `tt`) counts them (every record read, none malformed),
    for events/s."""
    done = subprocess.run([tt, "stats", "-q", "--format", "json", str(path)],
                          capture_output=True, text=True, check=True)
    doc = json.loads(done.stdout)
    return doc["totals"]["events"], doc["totals"]["bytes"]


def table(title, rows, data_bytes, uncompressed, events, data, args):
    if not args.as_cached and not args.cold:
        from_disk(data)
    print(f"\n### {title}\n")
    print(f"{data_bytes / 1e6:,.0f} MB on disk, {uncompressed / 1e6:,.0f} MB of text, "
          f"{events:,} events.\n")
    print("| job | tool | wall s | MB/s (text) | events/s | peak RSS MB | tokentrail is |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    for done in range(max((m.repeat for _, _, m in rows), default=0)):
        for _, _, m in rows:
            if done < m.repeat and not m.failed:
                m.run(before=(lambda: out_of_cache(data)) if args.cold else None)
    rows = [(job, tool, None if m.failed else m.best) for job, tool, m in rows]
    reference = {}
    for job, tool, result in rows:
        if tool.startswith("tokentrail") and "-j 1" not in tool and job not in reference and result:
            reference[job] = result[0]
    for job, tool, result in rows:
        if result is None:
            print(f"| {job} | {tool} | failed | | | | |")
            continue
        wall, rss = result
        ref = reference.get(job)
        if tool.startswith("tokentrail") or ref is None:
            ratio = ""
        else:
            ratio = f"{wall / ref:.1f}x faster" if wall >= ref else f"{ref / wall:.1f}x slower"
        print(f"| {job} | {tool} | {wall:.2f} | {uncompressed / 1e6 / wall:,.0f} | "
              f"{events / wall:,.0f} | {rss:,.0f} | {ratio} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/tmp/tokentrail-bench")
    ap.add_argument("--nginx-mb", type=int, default=2000)
    ap.add_argument("--cloudtrail", type=int, default=2_000_000)
    ap.add_argument("--okta", type=int, default=1_000_000)
    ap.add_argument("--okta-api-export", action="store_true",
                    help="Okta events with the context an /api/v1/logs export carries "
                         "(scripts/make-okta-bench.py --api-export)")
    ap.add_argument("--auth0", type=int, default=1_000_000)
    ap.add_argument("--only", default="nginx,cloudtrail,okta,auth0")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--tokentrail", type=pathlib.Path, default=TT,
                    help="the binary to time (default target/release/tokentrail)")
    cache = ap.add_mutually_exclusive_group()
    cache.add_argument("--as-cached", action="store_true",
                       help="leave the page cache as it is (by default each data set is put out "
                            "of it and read back once before its table, as a file read from disk)")
    cache.add_argument("--cold", action="store_true",
                       help="put the data set out of the page cache before every run, so that "
                            "every tool reads it from disk")
    args = ap.parse_args()
    if args.cold and not hasattr(os, "posix_fadvise"):
        sys.exit("--cold needs posix_fadvise, which this system does not have")
    args.only = args.only.split(",")
    if not args.tokentrail.exists():
        sys.exit(f"build first: cargo build --release (no {args.tokentrail})")
    data = pathlib.Path(args.data)
    nginx, ct, okta, auth0 = generate(args, data)
    out = data / "out"
    out.mkdir(exist_ok=True)
    r = args.repeat
    tt = str(args.tokentrail.resolve())
    print(f"machine: {os.cpu_count()} cores; {subprocess.run('uname -srm', shell=True, capture_output=True, text=True).stdout.strip()}")
    print("page cache: " + ("as it was" if args.as_cached else
                            "each data set put out of it before every run (read from disk)"
                            if args.cold else
                            "each data set put out of it and read back once before its table"
                            if hasattr(os, "posix_fadvise") else
                            "each data set read once before its table (no posix_fadvise here)"))

    def tokentrail_rows(path, summary_job):
        return [
            (summary_job, "tokentrail credentials", measure(f"{tt} credentials -q --format csv {path} > /dev/null", r)),
            (summary_job, "tokentrail credentials -j 1", measure(f"{tt} credentials -q -j 1 --format csv {path} > /dev/null", r)),
            ("normalise to Parquet", "tokentrail ingest", measure(f"{tt} ingest -q {path} -o {out}/events.parquet", r)),
            ("investigate", "tokentrail hunt", measure(f"{tt} hunt -q --format json {path} -o {out}/report.json", r)),
        ]

    if "nginx" in args.only:
        events, text = count_events(tt, nginx)
        rows = [("read the bytes (floor)", "cat", measure(f"cat {nginx} > /dev/null", r))]
        rows += tokentrail_rows(nginx, "summarise the log")
        if have("goaccess"):
            rows.append(("summarise the log", "GoAccess (JSON report)",
                         measure(f"goaccess {nginx} --log-format=COMBINED -o {out}/goaccess.json", r)))
        if have("lnav"):
            rows.append(("summarise the log", "lnav (SQL count by host)",
                         measure(f"lnav -n -c ';SELECT c_ip, count(*), min(log_time), max(log_time) FROM access_log GROUP BY c_ip' {nginx}", r)))
        table(f"nginx, plain ({nginx.name})", rows, size_of(nginx), text, events, [nginx], args)
        gz = f"{nginx}.gz"
        rows = [("read the bytes (floor)", "zcat", measure(f"zcat {gz} > /dev/null", r)),
                ("summarise the log", "tokentrail credentials", measure(f"{tt} credentials -q --format csv {gz} > /dev/null", r)),
                ("summarise the log", "tokentrail credentials -j 1", measure(f"{tt} credentials -q -j 1 --format csv {gz} > /dev/null", r))]
        if have("goaccess"):
            rows.append(("summarise the log", "GoAccess (zcat |)",
                         measure(f"zcat {gz} | goaccess - --log-format=COMBINED -o {out}/goaccess.json", r)))
        table(f"nginx, gzip ({pathlib.Path(gz).name})", rows, size_of(gz), text, events, [gz], args)

    def json_peers(kind, path, rows):
        # Okta: tokentrail's job is per credential (API token, else session); the per-actor
        # summary (issue 4's job: a few thousand groups) is a job of its own, which
        # tokentrail runs as `credentials --by principal`.
        jobs = [(kind, "summarise the log", "")]
        if kind == "okta":
            jobs = [("okta-credential", "summarise the log", ""),
                    ("okta", "summarise by actor", ", by actor")]
            rows.append(("summarise by actor", "tokentrail credentials --by principal",
                         measure(f"{tt} credentials -q --by principal --format csv {path} > /dev/null", r)))
        cli = duckdb_cli()
        cli_name = f"DuckDB CLI {cli_version(cli)}" if cli else None
        for job, label, note in jobs:
            if cli:
                # The CLI as a responder runs it, on the queries of duckdb-summary.py.
                queries = [(job, f"declared columns{note}")]
                if job == "okta":
                    queries.append(("okta-actor-same", "by actor, tokentrail's columns, one row per uuid"))
                for query, what in queries:
                    sql = shlex.quote(duckdb_sql(query, path))
                    rows.append((label, f"{cli_name} (2 threads, {what})",
                                 measure(f"{cli} -csv -c {sql} > /dev/null", r)))
            if have_py("duckdb"):
                rows.append((label, f"DuckDB (2 threads, declared columns{note})",
                             measure(f"{sys.executable} scripts/duckdb-summary.py {job} {path} 2", r)))
                if job == "okta":
                    # The same summary as tokentrail's (its columns, times as times, one
                    # count per uuid): the query above computes less.
                    rows.append((label, "DuckDB (2 threads, by actor, tokentrail's columns, one row per uuid)",
                                 measure(f"{sys.executable} scripts/duckdb-summary.py okta-actor-same {path} 2", r)))
            if have_py("polars"):
                rows.append((label, f"Python Polars (declared schema{note})",
                             measure(f"{sys.executable} scripts/polars-summary.py {job} {path}", r)))

    if "cloudtrail" in args.only:
        events, text = count_events(tt, ct)
        files = f"find {ct} -name '*.json.gz' -not -path '*Digest*' -print0 | xargs -0"
        rows = [("read the bytes (floor)", "zcat", measure(f"{files} zcat > /dev/null", r))]
        rows += tokentrail_rows(ct, "summarise the log")
        json_peers("cloudtrail", ct, rows)
        if have("jq"):
            jq = ("reduce (inputs | .Records[]) as $r ({}; .[$r.userIdentity.accessKeyId // \"-\"] |= "
                  "{first: ([(.first // $r.eventTime), $r.eventTime] | min), "
                  "last: ([(.last // $r.eventTime), $r.eventTime] | max), n: ((.n // 0) + 1)})")
            rows.append(("summarise the log", "jq (zcat |)",
                         measure(f"{files} zcat | jq -n '{jq}' > /dev/null", r)))
        table(f"CloudTrail S3 tree ({ct.name})", rows, size_of(ct), text, events, [ct], args)

    for kind, path in (("okta", okta), ("auth0", auth0)):
        if kind not in args.only:
            continue
        events, text = count_events(tt, path)
        rows = [("read the bytes (floor)", "cat", measure(f"cat {path} > /dev/null", r))]
        rows += tokentrail_rows(path, "summarise the log")
        json_peers(kind, path, rows)
        table(f"{kind} NDJSON ({path.name})", rows, size_of(path), text, events, [path], args)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Seed corpora for the fuzz targets from the repository's real fixtures.

Usage: scripts/fuzz-seeds.py [OUT_DIR]   (default fuzz/corpus)

Each fuzz target but csv_download (which offers the document to every parser) reads its first byte as a parser choice (index into the registry, in
parsers/src/registry.rs order), so every record is seeded once per parser that could
claim it. Nothing here is committed: the corpora grow while fuzzing.
"""
import gzip
import hashlib
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "fuzz" / "corpus"
FIX = ROOT / "tests" / "fixtures"

# Registry order: cloudtrail, okta, auth0, entra, nginx_json, nginx_error, nginx.
LINE_SOURCES = {
    0: ["cloudtrail/panther-rule-tests.ndjson", "cloudtrail/otrf-ec2-proxy-s3-exfiltration.jsonl",
        "cloudtrail/plaso-lookup-events.jsonl"],
    1: ["okta/" + p.name for p in sorted((FIX / "okta").glob("*.ndjson"))],
    2: ["auth0/panther-rule-tests.ndjson"],
    3: ["entra/panther-rule-tests.ndjson"],
    5: ["nginx-error/error.log"],
    6: ["nginx/access.log", "nginx/access-test.log", "nginx/access-test-with-host.log"],
}
DOCUMENTS = {
    0: ["cloudtrail/stratus-ec2-steal-instance-credentials.json", "cloudtrail/stratus-iam-backdoor-user.json"],
    3: ["entra/msgraph-signin-get-beta.json"],
}
FORMATS = [
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"',
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time tid=$http_x_token_id rid=$request_id',
    '{"time":"$time_iso8601","ip":"$remote_addr","request":"$request","status":$status,"ua":"$http_user_agent"}',
]
CONF = b"""http {
    include conf.d/*.conf;
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" "$http_user_agent"';
    log_format api escape=json '{"time":"$time_iso8601","request":"$request","status":$status}';
}
"""


def put(target: str, data: bytes) -> None:
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def lines(rel: str, n: int = 40):
    path = FIX / rel
    if not path.exists():
        return []
    return [l for l in path.read_bytes().splitlines() if l.strip()][:n]


def main() -> None:
    for index, files in LINE_SOURCES.items():
        for rel in files:
            for line in lines(rel):
                put("parse_record", bytes([index]) + line)
    for index, files in DOCUMENTS.items():
        for rel in files:
            put("json_document", bytes([index]) + (FIX / rel).read_bytes()[:200_000])
    nginx = gzip.decompress((FIX / "nginx/apache_logs.gz").read_bytes()).splitlines()[:20]
    for fmt in FORMATS:
        put("log_format", fmt.encode() + b"\n" + b"\n".join(nginx))
    put("nginx_conf", CONF)
    for path in sorted(FIX.glob("*/*.csv")):
        put("csv_download", path.read_bytes()[:200_000])
    print(f"seeded {OUT}")


if __name__ == "__main__":
    main()

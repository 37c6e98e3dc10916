#!/usr/bin/env python3
"""The Python Polars peer of docs/performance.md: a per-credential (per-actor) first-seen /
last-seen / count summary, with declared schemas, as a user would write it.

Usage: scripts/polars-summary.py cloudtrail|okta|okta-credential|auth0 PATH   (pip install polars)
"""
import gzip
import io
import pathlib
import sys
import time

import polars as pl

kind, path = sys.argv[1], sys.argv[2]
started = time.time()
if kind == "cloudtrail":
    schema = {
        "Records": pl.List(
            pl.Struct(
                {
                    "eventTime": pl.Utf8,
                    "eventName": pl.Utf8,
                    "sourceIPAddress": pl.Utf8,
                    "userIdentity": pl.Struct({"accessKeyId": pl.Utf8, "arn": pl.Utf8}),
                }
            )
        )
    }
    frames = []
    for f in sorted(pathlib.Path(path).rglob("*.json.gz")):
        if "CloudTrail-Digest" in str(f):
            continue
        doc = pl.read_json(io.BytesIO(gzip.decompress(f.read_bytes())), schema=schema)
        frames.append(doc.explode("Records").unnest("Records"))
    df = pl.concat(frames)
    key, ts = pl.col("userIdentity").struct.field("accessKeyId"), pl.col("eventTime")
elif kind == "okta-credential":
    # tokentrail's own job: one row per credential (API token, else session).
    schema = {
        "published": pl.Utf8,
        "client": pl.Struct({"ipAddress": pl.Utf8}),
        "authenticationContext": pl.Struct({"externalSessionId": pl.Utf8}),
        "transaction": pl.Struct({"detail": pl.Struct({"requestApiTokenId": pl.Utf8})}),
    }
    df = pl.scan_ndjson(path, schema=schema).collect()
    key = pl.coalesce(
        pl.col("transaction").struct.field("detail").struct.field("requestApiTokenId"),
        pl.col("authenticationContext").struct.field("externalSessionId"),
    )
    ts = pl.col("published")
elif kind == "okta":
    schema = {
        "published": pl.Utf8,
        "eventType": pl.Utf8,
        "actor": pl.Struct({"alternateId": pl.Utf8}),
        "client": pl.Struct({"ipAddress": pl.Utf8}),
    }
    df = pl.scan_ndjson(path, schema=schema).collect()
    key, ts = pl.col("actor").struct.field("alternateId"), pl.col("published")
else:
    schema = {
        "data": pl.Struct(
            {"date": pl.Utf8, "type": pl.Utf8, "client_id": pl.Utf8, "ip": pl.Utf8}
        )
    }
    df = pl.scan_ndjson(path, schema=schema).collect()
    key, ts = pl.col("data").struct.field("client_id"), pl.col("data").struct.field("date")
summary = (
    df.group_by(key.alias("key"))
    .agg(ts.min().alias("first"), ts.max().alias("last"), pl.len().alias("n"))
)
print(
    f"polars {pl.__version__} {kind}: {time.time() - started:.2f} s, "
    f"{summary.height} keys, {summary['n'].sum()} records"
)

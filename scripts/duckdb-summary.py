#!/usr/bin/env python3
"""The peer measurement of docs/performance.md: DuckDB computing a per-credential (or
per-actor) first/last-seen summary over the benchmark data, with declared columns.

Usage: scripts/duckdb-summary.py cloudtrail|okta|okta-actor-same|okta-credential|auth0 PATH THREADS [--sql]
(pip install duckdb). With --sql, print the query as the DuckDB CLI runs it (threads set
first) instead of running it: scripts/bench-peers.py times the CLI on it, a process with no
Python interpreter to start (0.3 s of the module's process, import included).
"""
import sys
import time

kind, path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
queries = {
    "cloudtrail": f"""
        SELECT r.userIdentity.accessKeyId AS key, min(r.eventTime), max(r.eventTime), count(*) AS n
        FROM (SELECT unnest(Records) AS r FROM read_json('{path}/AWSLogs/**/*.json.gz',
              columns={{Records: 'STRUCT(eventTime VARCHAR, eventName VARCHAR, sourceIPAddress VARCHAR,
                        userIdentity STRUCT(accessKeyId VARCHAR, arn VARCHAR))[]'}},
              format='auto', maximum_object_size=268435456))
        GROUP BY 1""",
    "okta": f"""
        SELECT actor.alternateId AS key, min(published), max(published), count(*) AS n,
               count(DISTINCT client.ipAddress)
        FROM read_json('{path}', format='newline_delimited',
             columns={{published: 'VARCHAR', eventType: 'VARCHAR',
                       actor: 'STRUCT(alternateId VARCHAR)', client: 'STRUCT(ipAddress VARCHAR)'}})
        GROUP BY 1""",
    # tokentrail's own job on Okta: one row per credential (the API token behind a request,
    # else the session), not per actor: 812,835 groups instead of a few thousand.
    "okta-credential": f"""
        SELECT coalesce(transaction.detail.requestApiTokenId,
                        authenticationContext.externalSessionId) AS key,
               min(published), max(published), count(*) AS n, count(DISTINCT client.ipAddress)
        FROM read_json('{path}', format='newline_delimited',
             columns={{published: 'VARCHAR', eventType: 'VARCHAR',
                       actor: 'STRUCT(alternateId VARCHAR)', client: 'STRUCT(ipAddress VARCHAR)',
                       authenticationContext: 'STRUCT(externalSessionId VARCHAR)',
                       transaction: 'STRUCT(detail STRUCT(requestApiTokenId VARCHAR))'}})
        GROUP BY 1""",
    # The per-actor summary with the columns tokentrail's `credentials --by principal`
    # has (but its line numbers and first-seen lists, which DuckDB cannot give): distinct
    # credentials (API token, else session), events, refused, distinct addresses, first
    # and last time with their address; times read as times, not compared as text; a
    # record delivered twice (same uuid) counted once, as tokentrail counts it.
    "okta-actor-same": f"""
        WITH e AS (
            SELECT published::TIMESTAMPTZ AS ts, actor.alternateId AS who,
                   client.ipAddress AS ip, outcome.result AS result,
                   coalesce(transaction.detail.requestApiTokenId,
                            authenticationContext.externalSessionId) AS cred
            FROM (SELECT DISTINCT ON (uuid) * FROM read_json('{path}', format='newline_delimited',
                 columns={{uuid: 'VARCHAR', published: 'VARCHAR', eventType: 'VARCHAR',
                           actor: 'STRUCT(alternateId VARCHAR)', client: 'STRUCT(ipAddress VARCHAR)',
                           authenticationContext: 'STRUCT(externalSessionId VARCHAR)',
                           outcome: 'STRUCT(result VARCHAR)',
                           transaction: 'STRUCT(detail STRUCT(requestApiTokenId VARCHAR))'}})))
        SELECT who AS key, count(DISTINCT cred), count(*) AS n,
               count(*) FILTER (WHERE result IN ('FAILURE', 'DENY')), count(DISTINCT ip),
               min(ts), arg_min(ip, ts), max(ts), arg_max(ip, ts)
        FROM e GROUP BY who""",
    "auth0": f"""
        SELECT data.client_id AS key, min(data.date), max(data.date), count(*) AS n,
               count(DISTINCT data.ip)
        FROM read_json('{path}', format='newline_delimited',
             columns={{data: 'STRUCT(date VARCHAR, type VARCHAR, client_id VARCHAR, ip VARCHAR)'}})
        GROUP BY 1""",
}
if "--sql" in sys.argv[4:]:
    print(f"SET threads={threads}; {queries[kind].strip()};")
    sys.exit(0)

import duckdb  # noqa: E402 (not needed to print the query)

con = duckdb.connect()
con.execute(f"SET threads={threads}")
started = time.time()
rows = con.execute(queries[kind]).fetchall()
print(f"duckdb {duckdb.__version__} {kind} threads={threads}: {time.time() - started:.2f} s, "
      f"{len(rows)} keys, {sum(r[3] if kind != 'okta-actor-same' else r[2] for r in rows)} records")

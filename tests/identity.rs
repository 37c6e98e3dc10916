use polars::prelude::*;
use tokentrail::enrich::enriched;
use tokentrail::frame::col;

use crate::util::*;

fn ndjson(rel: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(fixture(rel))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// One folder with every identity-provider form: each file's source is detected, every
/// event counted, and one frame holds them with the same columns as nginx and CloudTrail.
#[test]
fn all_three_providers_in_one_folder() {
    let dir = TestDir::new();
    // Okta: an /api/v1/logs page (JSON array) of the records that have a time, and NDJSON.
    let okta: Vec<_> = ndjson("okta/panther-rule-tests.ndjson")
        .into_iter()
        .filter(|r| r["published"].as_str().is_some_and(|p| p.starts_with('2')))
        .collect();
    assert_eq!(okta.len(), 48);
    dir.write(
        "okta/page-1.json",
        serde_json::to_string_pretty(&okta[..20])
            .unwrap()
            .as_bytes(),
    );
    let lines: Vec<String> = okta[20..].iter().map(|r| r.to_string()).collect();
    dir.write("okta/stream.ndjson", (lines.join("\n") + "\n").as_bytes());
    // Auth0: a Management API page (bare events) and the log stream (wrapped).
    let auth0 = ndjson("auth0/panther-rule-tests.ndjson");
    let bare: Vec<_> = auth0[..25]
        .iter()
        .map(|r| r.get("data").cloned().unwrap_or(r.clone()))
        .collect();
    dir.write(
        "auth0/logs-page.json",
        serde_json::to_string(&bare).unwrap().as_bytes(),
    );
    let stream: Vec<String> = auth0[25..].iter().map(|r| r.to_string()).collect();
    dir.write("auth0/stream.jsonl", (stream.join("\n") + "\n").as_bytes());
    // Entra: a Graph page around the documentation example, and the diagnostic stream.
    let graph: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("entra/msgraph-signin-get-beta.json")).unwrap(),
    )
    .unwrap();
    let page = serde_json::json!({
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
        "value": [graph.clone(), graph],
        "@odata.nextLink": "https://graph.microsoft.com/beta/auditLogs/signIns?$skiptoken=x"
    });
    dir.write("entra/signins-page-1.json", page.to_string().as_bytes());
    dir.write(
        "entra/PT1H.json",
        &std::fs::read(fixture("entra/panther-rule-tests.ndjson")).unwrap(),
    );

    let (run, json) = stats_json(&[dir.path()], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (file, source, events) in [
        ("okta/page-1.json", "okta_system_log", 20),
        ("okta/stream.ndjson", "okta_system_log", 28),
        ("auth0/logs-page.json", "auth0", 25),
        ("auth0/stream.jsonl", "auth0", 25),
        ("entra/signins-page-1.json", "entra_signin", 2),
        ("entra/PT1H.json", "entra_signin", 46),
    ] {
        let f = file_report(&json, file);
        assert_eq!(f["source"], source, "{file}");
        assert_eq!(f["events"], events, "{file}");
        assert_eq!(f["malformed"], 0, "{file}");
    }
    // The Graph page repeats one sign-in: the copy is removed and counted.
    assert_eq!(
        file_report(&json, "entra/signins-page-1.json")["duplicates_removed"],
        1
    );

    let out = dir.path().join("all.parquet");
    let run = tokentrail(&[
        "ingest",
        dir.path().to_str().unwrap(),
        "tests/fixtures/nginx/access.log",
        "tests/fixtures/cloudtrail/stratus-iam-backdoor-user.json",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let df = ParquetReader::new(std::fs::File::open(&out).unwrap())
        .finish()
        .unwrap();
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    // Entra's sign-in fields without a column of their own sit between the schema and
    // the enrichment, as every source's extras do.
    let extras = [
        "x_client_app_used",
        "x_incoming_token_type",
        "x_token_issuer_type",
    ];
    let expected: Vec<&str> = col::ALL
        .iter()
        .chain(&extras)
        .chain(enriched::ALL)
        .copied()
        .collect();
    assert_eq!(names, expected);
    let client_apps: Vec<Option<&str>> = df
        .column("x_client_app_used")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .collect();
    let count = |v: &str| client_apps.iter().filter(|c| **c == Some(v)).count();
    // The Panther samples' sign-ins by client, counted in the fixture (distinct ids: the
    // SMTP sign-in is there twice and kept once).
    assert_eq!(count("Authenticated SMTP"), 1);
    assert_eq!(count("Other clients"), 2);
    assert_eq!(count("Mobile Apps and Desktop clients"), 2);
    let sources: std::collections::BTreeSet<String> = df
        .column(col::SOURCE)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap().to_string())
        .collect();
    assert_eq!(
        sources.into_iter().collect::<Vec<_>>(),
        [
            "auth0",
            "cloudtrail",
            "entra_signin",
            "nginx",
            "okta_system_log"
        ]
    );
}

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

/// The real Okta records that have a time (48).
fn okta_with_time() -> Vec<serde_json::Value> {
    ndjson("okta/panther-rule-tests.ndjson")
        .into_iter()
        .filter(|r| r["published"].as_str().is_some_and(|p| p.starts_with('2')))
        .collect()
}

/// One folder with every identity-provider form: each file's source is detected, every
/// event counted, and one frame holds them with the same columns as nginx and CloudTrail.
#[test]
fn all_three_providers_in_one_folder() {
    let dir = TestDir::new();
    // Okta: an /api/v1/logs page (JSON array) of the records that have a time, and NDJSON.
    let okta = okta_with_time();
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
    // The Panther samples' sign-ins by client, counted in the fixture. The SMTP sign-in
    // is there twice with one id but two users (a rule test edited it): not a repeated
    // delivery, two events.
    assert_eq!(count("Authenticated SMTP"), 2);
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

/// The fields a CSV download must give exactly as the JSON of the same events does.
const SAME_IN_CSV: &[&str] = &[
    col::TS,
    col::EVENT_ID,
    col::ACTION,
    col::PRINCIPAL,
    col::CREDENTIAL_ID,
    col::CREDENTIAL_KIND,
    col::SRC_IP,
    col::USER_AGENT,
    col::OUTCOME,
    col::ERROR_CODE,
    col::REGION,
    col::APP,
    col::CHILD_CREDENTIAL_ID,
    col::PROVIDER_COUNTRY,
    col::PROVIDER_CITY,
];

/// Ingest one input and keep the compared fields, `ts` cut to `ts_chars` characters, in
/// a stable order.
fn compared_rows(dir: &TestDir, input: &std::path::Path, ts_chars: usize) -> Vec<String> {
    let name = input.file_name().unwrap().to_str().unwrap().to_string();
    let rows = ingest_rows(
        &dir.path().join(format!("{name}.ndjson")),
        &[input.to_str().unwrap()],
    );
    let mut out: Vec<String> = rows
        .iter()
        .map(|r| {
            let mut kept = serde_json::Map::new();
            for f in SAME_IN_CSV {
                let mut v = r[*f].clone();
                if *f == col::TS {
                    let ts: String = v.as_str().unwrap().chars().take(ts_chars).collect();
                    v = ts.into();
                }
                // A record without an id of its own is named by its file and line, which
                // differ between the two files by design.
                let locator = r[col::FILE].as_str().map(|_| format!(":{}", r[col::LINE]));
                if *f == col::EVENT_ID
                    && v.as_str()
                        .zip(locator)
                        .is_some_and(|(id, l)| id.ends_with(&l))
                {
                    v = "<file:line>".into();
                }
                kept.insert(f.to_string(), v);
            }
            serde_json::Value::Object(kept).to_string()
        })
        .collect();
    out.sort();
    out
}

/// Spreadsheet downloads (the Entra admin center's sign-in CSV, Log Analytics results,
/// CloudTrail event history and Lake results, Okta with dotted columns) give the same
/// events and fields as the JSON they were made from (scripts/make-csv-fixtures.py).
#[test]
fn csv_downloads_read_like_their_json() {
    let dir = TestDir::new();
    // The Graph form of the sign-ins the Entra CSVs hold: the admin center's user
    // sign-ins tab, and Log Analytics results of every sign-in table.
    let graph_page = |name: &str, users_only: bool| {
        let mut signins: Vec<serde_json::Value> = ndjson("entra/panther-rule-tests.ndjson")
            .into_iter()
            .filter(|r| {
                let category = r["category"].as_str().unwrap_or("");
                category.contains("SignInLogs")
                    && (!users_only
                        || ["SignInLogs", "NonInteractiveUserSignInLogs"].contains(&category))
            })
            .map(|r| r["properties"].clone())
            .filter(|p| p["createdDateTime"].is_string() && p["id"].is_string())
            .collect();
        signins.push(
            serde_json::from_str(
                &std::fs::read_to_string(fixture("entra/msgraph-signin-get-beta.json")).unwrap(),
            )
            .unwrap(),
        );
        let page = serde_json::json!({ "value": signins });
        dir.write(name, page.to_string().as_bytes())
    };
    let users = graph_page("graph-users.json", true);
    let all_signins = graph_page("graph-all.json", false);
    // Okta's JSON twin: the records that have a time, as the CSV was made of.
    let okta: Vec<String> = ndjson("okta/panther-rule-tests.ndjson")
        .into_iter()
        .filter(|r| r["published"].as_str().is_some_and(|p| p.starts_with('2')))
        .map(|r| r.to_string())
        .collect();
    let okta = dir.write("okta.ndjson", (okta.join("\n") + "\n").as_bytes());

    // Log Analytics shows times to the millisecond: compared to that precision. Rule
    // tests reuse ids for edited records (another user, address or outcome): those are
    // events of their own, not repeated deliveries.
    for (csv, json, ts_chars, events) in [
        ("entra/admin-center-signins.csv", users, 99, 3),
        ("entra/log-analytics-signinlogs.csv", all_signins, 23, 5),
        (
            "cloudtrail/event-history.csv",
            fixture("cloudtrail/plaso-lookup-events.jsonl"),
            99,
            6,
        ),
        (
            "cloudtrail/lake-results.csv",
            fixture("cloudtrail/stratus-ec2-steal-instance-credentials.json"),
            99,
            45,
        ),
        ("okta/dotted-columns.csv", okta, 99, 37),
    ] {
        let from_csv = compared_rows(&dir, &fixture(csv), ts_chars);
        let from_json = compared_rows(&dir, &json, ts_chars);
        assert_eq!(from_csv.len(), events, "{csv}");
        for (c, j) in from_csv.iter().zip(&from_json) {
            assert_eq!(c, j, "{csv}");
        }
        assert_eq!(from_csv.len(), from_json.len(), "{csv}");
    }

    // Each file's form is named, every row is counted, and a row that lost a field is
    // a malformed row cited by the line it starts on.
    let mut broken = std::fs::read_to_string(fixture("cloudtrail/event-history.csv")).unwrap();
    broken.push_str("\"GetCallerIdentity\",\"2022-02-08 09:30:00+11:00\"\r\n");
    let lines = broken.lines().count();
    dir.write("cut/event-history.csv", broken.as_bytes());
    let (run, json) = stats_json(&[&dir.path().join("cut")], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let f = file_report(&json, "event-history.csv");
    assert_eq!(f["form"], "CloudTrail event history download (CSV)");
    assert_eq!(f["events"], 6);
    assert_eq!(f["malformed"], 1);
    assert_eq!(f["malformed_examples"][0]["line"], lines);
    assert_eq!(
        f["malformed_examples"][0]["reason"],
        "csv field count differs from header"
    );
}

/// A gzip document is read into a buffer sized by its trailer; a file of two members
/// (`cat a.gz b.gz`, the array cut between them) says less than it holds, and the buffer
/// then grows: all three forms give the same credentials as the plain page.
#[test]
fn a_gzip_page_reads_whole_whatever_its_trailer_says() {
    let dir = TestDir::new();
    let okta = okta_with_time();
    let page = serde_json::to_string_pretty(&okta).unwrap();
    let plain = dir.write("plain/page.json", page.as_bytes());
    let one = dir.write("one/page.json.gz", &gzip(page.as_bytes()));
    let cut = page.len() / 3;
    let mut members = gzip(&page.as_bytes()[..cut]);
    members.extend(gzip(&page.as_bytes()[cut..]));
    let two = dir.write("two/page.json.gz", &members);
    let listed = |path: &std::path::Path| {
        let run = tokentrail(&[
            "credentials",
            "-q",
            "--format",
            "csv",
            path.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout.replace(path.to_str().unwrap(), "FILE")
    };
    let want = listed(&plain);
    assert!(want.lines().count() > 10, "{want}");
    assert_eq!(listed(&one), want);
    assert_eq!(listed(&two), want);
    let (_, json) = stats_json(&[&two], &[]);
    let report = file_report(&json, "page.json.gz");
    assert_eq!(events_and_malformed(report), (Some(48), Some(0)));
}

//! `tokentrail hunt` and `timeline` on the generated incidents and the samples: the leaked
//! credential ranked first, its first suspicious call named exactly, the attacker's
//! children and addresses found, at least 90% of the attacker's events recalled with at
//! least 90% precision, no benign oddity attributed.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

use crate::scoring::{Key, incident_dir, report_key, truth, truth_key};
use crate::util::*;

fn hunt_json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--format", "json", "-q"]);
    let run = tokentrail(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()
}

fn attributed(report: &Value) -> HashSet<Key> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["events"].as_array().unwrap().iter().map(report_key))
        .collect()
}

fn check(name: &str) {
    let truth = truth(name);
    let logs = format!("{}/logs", incident_dir(name));
    let report = hunt_json(&["hunt", &logs, "--geoip", "tests/fixtures/geoip"]);
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "{name}: no finding");
    // Every leaked credential is a finding, and the first one is leaked; each names its
    // first suspicious call exactly.
    let firsts: Vec<Key> = truth["first_suspicious"]
        .as_array()
        .unwrap()
        .iter()
        .map(truth_key)
        .collect();
    let found_firsts: Vec<Key> = findings
        .iter()
        .map(|f| report_key(&f["first_suspicious"]))
        .collect();
    assert!(
        firsts.contains(&found_firsts[0]),
        "{name}: first finding {found_firsts:?}"
    );
    for k in &firsts {
        assert!(
            found_firsts.contains(k),
            "{name}: {k:?} not a first suspicious call in {found_firsts:?}"
        );
    }
    // The attacker's addresses, and the children they created.
    let ips: BTreeSet<&str> = findings
        .iter()
        .flat_map(|f| {
            f["attacker"]["ips"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
        })
        .collect();
    let want: BTreeSet<&str> = truth["attacker_ips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(ips, want, "{name}");
    let children: Vec<&Value> = findings
        .iter()
        .flat_map(|f| f["child_credentials"].as_array().unwrap().iter())
        .collect();
    for child in truth["children"].as_array().unwrap() {
        let child = child.as_str().unwrap();
        if child != "attacker api token" {
            assert!(
                children
                    .iter()
                    .any(|c| c["id"] == child && c["inferred"] == false),
                "{name}: {child} not a child in {children:?}"
            );
        } else {
            // An API token the attacker minted: its id is never logged, it is inferred
            // from the minting call and its first use from the attacker's network.
            assert!(
                children
                    .iter()
                    .any(|c| c["inferred"] == true
                        && c["created_by_action"] == "POST /api/v1/tokens"),
                "{name}: no inferred child token in {children:?}"
            );
        }
    }
    // Recall and precision of the attacker's events; no benign oddity attributed.
    let got = attributed(&report);
    let attack: HashSet<Key> = truth["events"]["attack"]
        .as_array()
        .unwrap()
        .iter()
        .map(truth_key)
        .collect();
    let hits = got.intersection(&attack).count();
    let precision = hits as f64 / got.len() as f64;
    let recall = hits as f64 / attack.len() as f64;
    assert!(
        precision >= 0.9 && recall >= 0.9,
        "{name}: precision {precision:.3} recall {recall:.3}"
    );
    for oddity in ["travel", "ci_moved", "nightly", "rotation"] {
        for l in truth["events"][oddity].as_array().unwrap() {
            assert!(
                !got.contains(&truth_key(l)),
                "{name}: benign {oddity} {l} attributed"
            );
        }
    }
    // timeline on the leaked credential names the same first suspicious call.
    let leaked = findings[0]["credential"]["id"].as_str().unwrap();
    let timeline = hunt_json(&[
        "timeline",
        &logs,
        "--geoip",
        "tests/fixtures/geoip",
        "--credential",
        leaked,
    ]);
    let f = &timeline["findings"][0];
    assert_eq!(f["credential"]["id"], leaked);
    assert_eq!(
        report_key(&f["first_suspicious"]),
        found_firsts[0],
        "{name}: timeline"
    );
}

#[test]
fn hunt_api_token_and_aws_key_leak() {
    check("api-first");
}

#[test]
fn hunt_okta_session_hijack() {
    check("okta-session");
}

#[test]
fn hunt_deploy_key_leak() {
    check("aws-first");
    // The password spray from the attacker's host is part of the finding, through its
    // network; the sprayed accounts are related, not findings of their own.
    let logs = "tests/fixtures/incidents/aws-first/logs";
    let report = hunt_json(&["hunt", logs]);
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        1,
        "{report:#}"
    );
    let related = report["findings"][0]["related_credentials"]
        .as_array()
        .unwrap();
    assert!(
        related
            .iter()
            .filter(|r| r["id"].as_str().unwrap().ends_with("@acme.example"))
            .count()
            >= 7
    );
}

/// The samples: the answer samples/README.md states, with the databases shipped beside
/// them.
#[test]
fn hunt_samples() {
    check("samples");
    let report = hunt_json(&["hunt", "samples/logs", "--geoip", "samples/geoip"]);
    assert_eq!(report["report_version"], "1.0");
    let f = &report["findings"][0];
    assert!(
        f["credential"]["id"]
            .as_str()
            .unwrap()
            .starts_with("tt_live_")
    );
    assert_eq!(f["credential"]["kind"], "url_token");
    let first = &f["first_suspicious"];
    assert_eq!(first["ts"], "2026-02-17T00:30:59Z");
    assert_eq!(first["file"], "samples/logs/nginx/access.log");
    assert_eq!(first["line"], 234);
    assert_eq!(first["action"], "GET /api/v1/me");
    assert_eq!(first["src_ip"], "81.2.69.160");
    let good = &f["compromise_window"]["last_known_good"];
    assert_eq!(good["ts"], "2026-02-16T15:37:31Z");
    assert_eq!(good["line"], 177);
    let aws = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["credential"]["id"] == "AKIAQ3EGALICE0260302")
        .expect("the AWS key is a finding");
    assert_eq!(aws["first_suspicious"]["ts"], "2026-02-17T00:33:11Z");
    assert_eq!(aws["child_credentials"][0]["id"], "AKIAQ3EGCHILD0260302");
    assert_eq!(
        aws["child_credentials"][0]["created_by_action"],
        "iam:CreateAccessKey"
    );
    assert!(
        aws["blast_radius"]["actions"]["credential_minting"]
            .as_u64()
            .unwrap()
            >= 1
    );
    // Each input's checksum is of its bytes (hashed beside the analysis, not after it).
    for input in report["inputs"].as_array().unwrap() {
        use sha2::Digest;
        let bytes = std::fs::read(root().join(input["file"].as_str().unwrap())).unwrap();
        let digest: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(input["sha256"].as_str().unwrap(), digest, "{input}");
    }
    // No secret in clear anywhere in the report: the samples' tokens start tt_live_.
    let text = report.to_string();
    assert_no_clear_token(&text);
    // Read in chunks of 4 KiB on two threads (hundreds of chunks, each repacked as it is
    // parsed, and documents read in windows of 8 KiB): the same findings, each event
    // cited by its own file and line.
    let chunked = hunt_json(&[
        "hunt",
        "samples/logs",
        "--geoip",
        "samples/geoip",
        "-j",
        "2",
        "--chunk-bytes",
        "4096",
    ]);
    assert_eq!(chunked["findings"], report["findings"]);
    assert_eq!(chunked["findings"][0]["first_suspicious"]["line"], 234);
    // The same answer from the Parquet table `ingest` wrote.
    let dir = TestDir::new();
    let parquet = dir.path().join("events.parquet");
    let run = tokentrail(&[
        "ingest",
        "samples/logs",
        "-q",
        "-o",
        parquet.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let again = hunt_json(&[
        "hunt",
        parquet.to_str().unwrap(),
        "--geoip",
        "samples/geoip",
    ]);
    assert_eq!(
        again["findings"][0]["first_suspicious"],
        report["findings"][0]["first_suspicious"]
    );
    assert_eq!(
        again["findings"].as_array().unwrap().len(),
        report["findings"].as_array().unwrap().len()
    );
}

#[test]
fn fail_on_and_output_file() {
    let dir = TestDir::new();
    let out = dir.path().join("report.json");
    let run = tokentrail(&[
        "hunt",
        "samples/logs",
        "-q",
        "--fail-on",
        "high",
        "--format",
        "json",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(!report["findings"].as_array().unwrap().is_empty());
    // Nothing suspicious in the CI deploy key of the samples: a timeline without findings
    // of that severity exits 0.
    let run = tokentrail(&[
        "timeline",
        "samples/logs",
        "-q",
        "--credential",
        "AKIAQ3EGDEPLOY260302",
        "--fail-on",
        "medium",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let run = tokentrail(&["hunt", "samples/logs", "-q"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .contains("first suspicious: 2026-02-17 00:30:59 UTC GET /api/v1/me from 81.2.69.160"),
        "{}",
        run.stdout
    );
    let mixed = tokentrail(&["hunt", "samples/logs", out.to_str().unwrap()]);
    assert_eq!(
        mixed.code, 0,
        "a JSON report is not Parquet: read as a log and reported"
    );
}

/// A run with `--timings` that held its events in memory (the phases it names), not in
/// parts.
fn assert_read_in_memory(run: &Run, what: &str) {
    assert_eq!(run.code, 0, "{what}: {}", run.stderr);
    assert!(
        run.stderr.contains("timing: scoring table") && !run.stderr.contains("into parts"),
        "{what}: not in memory\n{}",
        run.stderr
    );
}

/// A part a budget cannot bound (a principal's events, or a credential's without one, are
/// scored together) is said once, with whose events fill it: here the samples' busiest
/// token, as many events as `credentials` counts for it. A budget its parts fit in says
/// nothing. So are the events the investigation reaches, read whole.
#[test]
fn a_part_larger_than_the_budget_names_whose_events_fill_it() {
    let tmp = TestDir::new();
    let args = [
        "hunt",
        "--format",
        "json",
        "samples/logs",
        "--memory-budget",
    ];
    let tight = tokentrail_env(&[&args[..], &["1"]].concat(), &[("TMPDIR", tmp.path())]);
    assert_eq!(tight.code, 0, "{}", tight.stderr);
    let said = tight.said_once("is more than --memory-budget 1 MiB allows");
    // "... N of them KEY's; ..."
    let (n, key) = said
        .split_once(" of them ")
        .and_then(|(head, tail)| {
            let n: u64 = head.rsplit(' ').next()?.parse().ok()?;
            Some((n, tail.split_once("'s; ")?.0))
        })
        .unwrap_or_else(|| panic!("{said}"));
    let summary = tokentrail(&["credentials", "--format", "json", "samples/logs"]).json();
    let counts: Vec<(String, u64)> = summary["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let id = c["credential_id"].as_str().unwrap().to_string();
            (id, c["events"].as_u64().unwrap())
        })
        .collect();
    let busiest = counts.iter().map(|c| c.1).max().unwrap();
    assert!(
        counts.contains(&(key.to_string(), n)),
        "{key} {n}: {counts:?}"
    );
    assert_eq!(n, busiest, "{said}");
    // By parts still (forced), with room for every part: nothing to say.
    let roomy = tokentrail_env(
        &[&args[..], &["4096", "--parts", "16", "--timings"]].concat(),
        &[("TMPDIR", tmp.path())],
    );
    assert_eq!(roomy.code, 0, "{}", roomy.stderr);
    assert!(
        roomy.stderr.contains("timing: read into parts"),
        "{}",
        roomy.stderr
    );
    assert!(!roomy.stderr.contains("MiB allows"), "{}", roomy.stderr);
    assert!(roomy.stdout == tight.stdout, "the reports differ");
    // The events the investigation reaches are read whole too: said when beyond the
    // budget (none at all here).
    let none = tokentrail_env(&[&args[..], &["0"]].concat(), &[("TMPDIR", tmp.path())]);
    assert_eq!(none.code, 0, "{}", none.stderr);
    none.said_once("the investigation reached more events than --memory-budget 0 MiB allows");
    assert!(
        !tight.stderr.contains("investigation reached"),
        "{}",
        tight.stderr
    );
    assert!(none.stdout == tight.stdout, "the reports differ");
}

/// `hunt --memory-budget` scores the events in parts (at least 16) kept on disk, and
/// investigates only the events it can reach: the report is the in-memory one, byte for
/// byte, on the samples and on each incident, and so is `timeline`'s on the samples; the
/// parts' folder is gone after the run. A budget the events fit in keeps them in memory.
#[test]
fn a_hunt_by_parts_gives_the_same_report() {
    let tmp = TestDir::new();
    // The samples hold the four sources; aws-first holds events no signal gives a reason
    // that one looking across reads (`Signal::reads_across`); okta-session a stolen
    // identity-provider session. (api-first is left out: two seconds in release, 13 in a
    // debug build, and the samples' nginx covers it.)
    for name in ["samples", "aws-first", "okta-session"] {
        let logs = format!("{}/logs", incident_dir(name));
        let geoip = match name {
            "samples" => "samples/geoip",
            _ => "tests/fixtures/geoip",
        };
        let args = ["hunt", "-q", "--format", "json", "--geoip", geoip, &logs];
        let whole = tokentrail(&args);
        assert_eq!(whole.code, 0, "{}", whole.stderr);
        let mut by_parts = args.to_vec();
        by_parts.extend(["--memory-budget", "1", "--timings"]);
        let parts = tokentrail_env(&by_parts, &[("TMPDIR", tmp.path())]);
        assert_eq!(parts.code, 0, "{}", parts.stderr);
        assert!(
            parts.stderr.contains("timing: read into parts"),
            "{name}: not by parts\n{}",
            parts.stderr
        );
        assert!(
            !whole.json()["findings"].as_array().unwrap().is_empty(),
            "{name}"
        );
        assert!(whole.stdout == parts.stdout, "{name}: the reports differ");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(left.is_empty(), "{name}: left {left:?}");
        // A budget the events fit in keeps them in memory.
        let mut roomy = args.to_vec();
        roomy.extend(["--memory-budget", "4096", "--timings"]);
        let in_memory = tokentrail_env(&roomy, &[("TMPDIR", tmp.path())]);
        assert_read_in_memory(&in_memory, name);
        assert!(
            whole.stdout == in_memory.stdout,
            "{name}: the reports differ"
        );
        // Logs larger than the memory available go by parts on their own, and say so.
        if name == "samples" {
            let small = std::path::Path::new("1");
            let env = [
                ("TMPDIR", tmp.path()),
                ("TOKENTRAIL_MEMORY_AVAILABLE", small),
            ];
            let on_its_own = tokentrail_env(
                &args[..1]
                    .iter()
                    .chain(&args[2..])
                    .copied()
                    .collect::<Vec<_>>(),
                &env,
            );
            assert_eq!(on_its_own.code, 0, "{}", on_its_own.stderr);
            assert!(
                on_its_own.stderr.contains("they are scored by parts"),
                "{}",
                on_its_own.stderr
            );
            assert!(
                whole.stdout == on_its_own.stdout,
                "on its own: the reports differ"
            );
        }
        // `timeline` by parts too, on the first finding's credential.
        if name == "samples" {
            let json = whole.json();
            let leaked = json["findings"][0]["credential"]["id"].as_str().unwrap();
            let mut timeline = vec!["timeline", "--credential", leaked];
            timeline.extend_from_slice(&args[1..]);
            let whole = tokentrail(&timeline);
            assert_eq!(whole.code, 0, "{}", whole.stderr);
            timeline.extend(["--memory-budget", "1"]);
            let parts = tokentrail_env(&timeline, &[("TMPDIR", tmp.path())]);
            assert_eq!(parts.code, 0, "{}", parts.stderr);
            assert!(
                whole.stdout == parts.stdout,
                "timeline {leaked}: the reports differ"
            );
        }
    }
}

/// Ingest as independent jobs over slices of the archive into one partitioned dataset,
/// then hunt on the dataset: the same answer as on the raw logs, and by parts (or with a
/// budget the tables fit in, in memory) the same report as in memory. A job run again
/// replaces its own parts; the partition column lives in the folder names only.
#[test]
fn a_dataset_written_by_several_jobs_gives_the_same_hunt() {
    let dir = TestDir::new();
    let ds = format!("{}/dataset/", dir.path().display());
    let jobs: [&[&str]; 2] = [
        &["samples/logs/nginx"],
        &[
            "samples/logs/cloudtrail",
            "samples/logs/okta",
            "samples/logs/auth0",
        ],
    ];
    for slice in jobs {
        let mut args = vec!["ingest", "-q", "--geoip", "samples/geoip", "-o", &ds];
        args.extend_from_slice(slice);
        let run = tokentrail(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let parts = |dir: &str| -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p);
                }
            }
        }
        out.sort();
        out
    };
    let files = parts(&ds);
    let rel: Vec<String> = files
        .iter()
        .map(|p| p.strip_prefix(&ds).unwrap().display().to_string())
        .collect();
    assert!(
        rel.iter()
            .any(|p| p.starts_with("source=nginx/date=2026-02-17/part-")),
        "{rel:?}"
    );
    assert!(
        rel.iter()
            .all(|p| p.starts_with("source=") && p.contains("/date=") && p.ends_with(".parquet"))
    );
    let sources: std::collections::BTreeSet<&str> =
        rel.iter().filter_map(|p| p.split('/').next()).collect();
    assert_eq!(sources.len(), 4, "{sources:?}");
    let one = std::fs::File::open(&files[0]).unwrap();
    use polars::prelude::SerReader;
    let df = polars::prelude::ParquetReader::new(one).finish().unwrap();
    assert!(
        df.column("source").is_err(),
        "the partition column is in the path only"
    );

    // The same job again replaces its parts instead of adding copies.
    let run = tokentrail(&[
        "ingest",
        "-q",
        "--geoip",
        "samples/geoip",
        "-o",
        &ds,
        "samples/logs/nginx",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(parts(&ds), files);

    let raw = tokentrail(&[
        "hunt",
        "samples/logs",
        "-q",
        "--geoip",
        "samples/geoip",
        "--format",
        "json",
    ]);
    let from_ds = tokentrail(&["hunt", &ds, "-q", "--format", "json"]);
    assert_eq!(from_ds.code, 0, "{}", from_ds.stderr);
    let (raw, from_ds) = (raw.json(), from_ds.json());
    let answer = |r: &serde_json::Value| -> Vec<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} {}",
                    f["credential"]["id"].as_str().unwrap(),
                    f["first_suspicious"]["ts"].as_str().unwrap(),
                    f["attacker"]["ips"],
                    f["events"].as_array().unwrap().len()
                )
            })
            .collect()
    };
    let first = answer(&raw)[0].clone();
    assert!(
        first.starts_with("tt_live_oSw7Ae…6f442599a534 2026-02-17T00:30:59Z"),
        "{first}"
    );
    assert_eq!(answer(&from_ds), answer(&raw));
    // Every finding and every field of its evidence: `hunt` on raw logs keeps only the
    // columns it reads, a dataset has them all.
    assert_eq!(from_ds["findings"], raw["findings"]);
    // Tables are read an hour (row group) at a time and only their attributable events
    // kept; the inputs still count every event they hold, as raw logs do.
    let events = |r: &serde_json::Value| -> u64 {
        r["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["events"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(events(&from_ds), 5_506);
    assert_eq!(events(&from_ds), events(&raw));

    // By parts, the tables read one after the other (not in time order): the same report,
    // byte for byte, with a window and the tables enriched again too; and on its own when
    // the tables' events would not fit in memory.
    let tmp = TestDir::new();
    let in_tmp = [("TMPDIR", tmp.path())];
    let window = [
        "--since",
        "2026-02-16T12:00:00Z",
        "--until",
        "2026-02-18",
        "--geoip",
        "samples/geoip",
    ];
    for window in [&[][..], &window] {
        let mut args = vec!["hunt", &ds, "-q", "--format", "json"];
        args.extend_from_slice(window);
        let whole = tokentrail(&args);
        assert_eq!(whole.code, 0, "{}", whole.stderr);
        assert!(!whole.json()["findings"].as_array().unwrap().is_empty());
        let mut roomy = args.clone();
        args.extend(["--memory-budget", "1", "--timings"]);
        let parts = tokentrail_env(&args, &in_tmp);
        assert_eq!(parts.code, 0, "{}", parts.stderr);
        assert!(
            parts.stderr.contains("timing: read into parts"),
            "{}",
            parts.stderr
        );
        assert!(
            whole.stdout == parts.stdout,
            "{window:?}: the reports differ"
        );
        // The tables' events fit in a budget of 4 GiB: read in memory.
        roomy.extend(["--memory-budget", "4096", "--timings"]);
        let in_memory = tokentrail_env(&roomy, &in_tmp);
        assert_read_in_memory(&in_memory, "dataset");
        assert!(
            whole.stdout == in_memory.stdout,
            "{window:?}: the reports differ"
        );
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(left.is_empty(), "left {left:?}");
    }
    let small = [
        ("TMPDIR", tmp.path()),
        ("TOKENTRAIL_MEMORY_AVAILABLE", std::path::Path::new("1")),
    ];
    let on_its_own = tokentrail_env(&["hunt", &ds, "--format", "json"], &small);
    assert_eq!(on_its_own.code, 0, "{}", on_its_own.stderr);
    assert!(
        on_its_own
            .stderr
            .contains("the events these tables hold to be scored")
            && on_its_own.stderr.contains("they are scored by parts"),
        "{}",
        on_its_own.stderr
    );
    assert_eq!(on_its_own.json()["findings"], from_ds["findings"]);
    // `timeline` by parts on the dataset, on the first finding's credential.
    let leaked = from_ds["findings"][0]["credential"]["id"].as_str().unwrap();
    let timeline = [
        "timeline",
        "--credential",
        leaked,
        &ds,
        "-q",
        "--format",
        "json",
    ];
    let whole = tokentrail(&timeline);
    assert_eq!(whole.code, 0, "{}", whole.stderr);
    let mut by_parts = timeline.to_vec();
    by_parts.extend(["--memory-budget", "1"]);
    let parts = tokentrail_env(&by_parts, &in_tmp);
    assert_eq!(parts.code, 0, "{}", parts.stderr);
    assert!(whole.stdout == parts.stdout, "timeline: the reports differ");

    // Partitions and a plain table read together: the source restored at its place in the
    // schema, so that both kinds stack.
    let okta = dir.path().join("okta.parquet");
    let run = tokentrail(&[
        "ingest",
        "-q",
        "samples/logs/okta",
        "-o",
        okta.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let nginx_part = format!("{ds}source=nginx");
    let run = tokentrail(&[
        "credentials",
        "-q",
        "--format",
        "json",
        &nginx_part,
        okta.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let kinds: std::collections::BTreeSet<String> = run.json()["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(
        kinds.contains("url_token") && kinds.contains("okta_session"),
        "{kinds:?}"
    );

    // `stats` reads raw logs: a dataset given to it is one usage error, not a message per
    // part.
    let run = tokentrail(&["stats", &ds, "-q"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("`stats` reads raw logs"),
        "{}",
        run.stderr
    );

    // A folder of tables and logs together is refused, not half read.
    std::fs::write(format!("{ds}notes.txt"), "case notes").unwrap();
    let run = tokentrail(&["hunt", &ds, "-q"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("holds both Parquet tables and other files"),
        "{}",
        run.stderr
    );
}

/// An Auth0 tenant where one machine-to-machine application's secret leaks: two weeks of
/// it and a second application getting a token every hour from their cloud network, the
/// exporter reading users each morning with its Management API token; then a probe at
/// night from another network with curl, and days later a burst from a third network
/// with a Python client: users listed, a user created, a new application made and its
/// own tokens got from there. The application is the finding (not the short-lived
/// tokens its secret buys), from the probe, with both networks and the new application
/// as its child.
#[test]
fn hunt_auth0_application_secret_leak() {
    const DAY: i64 = 86_400;
    let start = 1_770_000_000 - 1_770_000_000 % DAY; // a midnight, UTC
    let time = |s: i64| {
        chrono::DateTime::from_timestamp(s, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%S.000Z")
            .to_string()
    };
    let mut lines: Vec<(i64, String)> = Vec::new();
    let mut n = 0;
    let mut event = |lines: &mut Vec<(i64, String)>,
                     at: i64,
                     code: &str,
                     ip: &str,
                     ua: &str,
                     client: (&str, &str),
                     call: Option<(&str, &str, &str)>| {
        n += 1;
        let details = match call {
            Some((jti, method, path)) => format!(
                r#","details":{{"request":{{"method":"{method}","path":"{path}","auth":{{"credentials":{{"jti":"{jti}"}},"strategy":"jwt"}}}},"response":{{"statusCode":200}}}}"#
            ),
            None => String::new(),
        };
        let line = format!(
            r#"{{"log_id":"9002026{n:08}","data":{{"date":"{}","type":"{code}","ip":"{ip}","user_agent":"{ua}","client_id":"{}","client_name":"{}","log_id":"9002026{n:08}"{details}}}}}"#,
            time(at),
            client.0,
            client.1,
        );
        lines.push((at, line));
        format!("9002026{n:08}")
    };
    let exporter = ("Xp0rT3rCl1entId00000000000000001", "reporting-exporter");
    let billing = ("B1ll1ngCl1entId000000000000000002", "billing-worker");
    let node = "node-auth0/4.2.0";
    for hour in 0..14 * 24 {
        let at = start + hour * 3600 + 600;
        event(
            &mut lines,
            at,
            "seccft",
            "35.12.34.10",
            node,
            exporter,
            None,
        );
        event(
            &mut lines,
            at + 900,
            "seccft",
            "35.99.1.11",
            node,
            billing,
            None,
        );
        if hour % 24 == 6 {
            let jti = format!("jti{hour}");
            for page in 0..2 {
                let path = format!("/api/v2/users?page={page}");
                event(
                    &mut lines,
                    at + 5 + page,
                    "sapi",
                    "35.12.34.10",
                    node,
                    exporter,
                    Some((&jti, "GET", &path)),
                );
            }
        }
    }
    let probe_at = start + 9 * DAY + 2 * 3600 + 17 * 60;
    let probe = event(
        &mut lines,
        probe_at,
        "seccft",
        "185.220.101.47",
        "curl/8.4.0",
        exporter,
        None,
    );
    event(
        &mut lines,
        probe_at + 20,
        "sapi",
        "185.220.101.47",
        "curl/8.4.0",
        exporter,
        Some(("jtiP", "GET", "/api/v2/clients")),
    );
    let burst = start + 12 * DAY + 3600 + 40 * 60;
    let py = "python-requests/2.31.0";
    event(
        &mut lines,
        burst,
        "seccft",
        "45.155.205.21",
        py,
        exporter,
        None,
    );
    let mut at = burst + 10;
    for path in [
        "/api/v2/users?page=0",
        "/api/v2/users?page=1",
        "/api/v2/users?page=2",
        "/api/v2/clients",
        "/api/v2/connections",
    ] {
        event(
            &mut lines,
            at,
            "sapi",
            "45.155.205.21",
            py,
            exporter,
            Some(("jtiB", "GET", path)),
        );
        at += 7;
    }
    event(
        &mut lines,
        at,
        "sapi",
        "45.155.205.22",
        py,
        exporter,
        Some(("jtiB", "POST", "/api/v2/users")),
    );
    event(
        &mut lines,
        at + 9,
        "sapi",
        "45.155.205.22",
        py,
        exporter,
        Some(("jtiB", "POST", "/api/v2/clients")),
    );
    let backdoor = ("N3wB4ckd00rCl1ent000000000000003", "backup-sync");
    for k in 0..3 {
        event(
            &mut lines,
            at + 300 + 200 * k,
            "seccft",
            "45.155.205.20",
            py,
            backdoor,
            None,
        );
    }
    lines.sort_by_key(|(at, _)| *at);
    let text: String = lines.iter().map(|(_, l)| format!("{l}\n")).collect();
    let dir = TestDir::new();
    let log = dir.write("auth0-stream.ndjson", text.as_bytes());
    let report = hunt_json(&["hunt", log.to_str().unwrap()]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    let f = &findings[0];
    assert_eq!(f["credential"]["id"], exporter.0);
    assert_eq!(f["credential"]["kind"], "auth0_client");
    assert_eq!(f["credential"]["principal"], "reporting-exporter");
    assert_eq!(f["first_suspicious"]["event_id"], probe.as_str());
    assert_eq!(
        f["attacker"]["networks"],
        serde_json::json!(["185.220.101.0/24", "45.155.205.0/24"])
    );
    let children = f["child_credentials"].as_array().unwrap();
    assert_eq!(children.len(), 1, "{children:?}");
    assert_eq!(children[0]["id"], backdoor.0);
    assert_eq!(children[0]["inferred"], true);
    assert_eq!(
        children[0]["created_by_action"],
        "management_api POST /api/v2/clients"
    );
    // The probe's two calls, the burst's nine and the new application's three.
    assert_eq!(f["events"].as_array().unwrap().len(), 2 + 8 + 3);
}

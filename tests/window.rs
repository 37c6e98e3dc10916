//! `--since` / `--until`: what a run keeps of the samples, what it counts, and what it
//! never opens.

use crate::util::*;

fn ns(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_nanos_opt()
        .unwrap()
}

/// The times of the events of `file` (a path ending with theirs) among ingested rows.
fn all_rows_of(rows: &[serde_json::Value], file: &str) -> Vec<i64> {
    rows.iter()
        .filter(|r| file.ends_with(r["file"].as_str().unwrap()))
        .map(|r| ns(r["ts"].as_str().unwrap()))
        .collect()
}

/// `credentials --format csv` with `extra` arguments.
fn credentials(extra: &[&str]) -> Run {
    let mut args = vec!["credentials", "--format", "csv"];
    args.extend_from_slice(extra);
    tokentrail(&args)
}

const SINCE: &str = "2026-02-17T00:30:00Z";
const UNTIL: &str = "2026-02-19";

/// The events a window keeps are exactly those of the whole ingest whose time is in it,
/// from every source; the rest are counted per input, and the counts add up.
#[test]
fn a_window_keeps_exactly_the_events_in_it_and_counts_the_rest() {
    let dir = TestDir::new();
    let all = ingest_rows(&dir.path().join("all.ndjson"), &["-q", "samples/logs"]);
    let (since, until) = (ns(SINCE), ns("2026-02-19T00:00:00Z"));
    let id = |r: &serde_json::Value| {
        let at = |k: &str| r[k].as_str().map(str::to_string).unwrap_or_default();
        (at("ts"), at("event_id"), at("file"), r["line"].as_u64())
    };
    let all_rows = all.clone();
    let mut expected: Vec<_> = all
        .iter()
        .filter(|r| (since..until).contains(&ns(r["ts"].as_str().unwrap())))
        .map(id)
        .collect();
    let windowed = ingest_rows(
        &dir.path().join("window.ndjson"),
        &["-q", "--since", SINCE, "--until", UNTIL, "samples/logs"],
    );
    let mut kept: Vec<_> = windowed.iter().map(id).collect();
    expected.sort();
    kept.sort();
    assert!(
        kept.len() > 100 && kept.len() < all.len() / 4,
        "{}",
        kept.len()
    );
    assert_eq!(kept, expected);
    let sources: std::collections::BTreeSet<&str> = windowed
        .iter()
        .filter_map(|r| r["source"].as_str())
        .collect();
    assert_eq!(sources.len(), 4, "{sources:?}");

    let (_, whole) = stats_json(&[&root().join("samples/logs")], &[]);
    let (run, part) = stats_json(
        &[&root().join("samples/logs")],
        &["--since", SINCE, "--until", UNTIL],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let total = |j: &serde_json::Value, k: &str| j["totals"][k].as_u64().unwrap();
    assert_eq!(total(&part, "events"), kept.len() as u64);
    assert_eq!(total(&whole, "outside_window"), 0);
    // Each input read counts all its events, kept or outside; a CloudTrail file delivered
    // before --since is not read, and every event it holds is before --since.
    let mut not_read = 0;
    for (read, all) in part["files"]
        .as_array()
        .unwrap()
        .iter()
        .zip(whole["files"].as_array().unwrap())
    {
        assert_eq!(read["file"], all["file"]);
        let n = |f: &serde_json::Value, k: &str| f[k].as_u64().unwrap();
        if read["detection"] == "before_window" {
            not_read += 1;
            assert_eq!(n(read, "events") + n(read, "outside_window"), 0);
            let file = read["file"].as_str().unwrap();
            let held: Vec<_> = all_rows_of(&all_rows, file);
            assert_eq!(held.len() as u64, n(all, "events"), "{file}");
            assert!(held.iter().all(|&t| t < since), "{file}");
        } else {
            assert_eq!(
                n(read, "events") + n(read, "outside_window"),
                n(all, "events")
            );
        }
    }
    assert!(not_read >= 10, "{not_read}");
    let outside = total(&part, "outside_window");
    assert!(
        run.stderr.contains(&format!(
            "{outside} events outside --since/--until were not kept"
        )),
        "{}",
        run.stderr
    );
    // Each input's first and last times are those of what it kept.
    let access = file_report(&part, "nginx/access.log");
    let first = ns(access["first"].as_str().unwrap());
    assert!(first >= since, "{access:#}");
}

/// The samples' nginx log ingested as a dataset in `dir`: its folder.
fn nginx_dataset(dir: &TestDir) -> String {
    nginx_dataset_with(dir, &[])
}

/// [`nginx_dataset`] with more arguments to `ingest`.
fn nginx_dataset_with(dir: &TestDir, args: &[&str]) -> String {
    let ds = format!("{}/dataset-{}/", dir.path().display(), args.join("-"));
    let mut all = vec!["ingest", "-q", "-o", &ds];
    all.extend(args);
    all.push("samples/logs/nginx");
    let run = tokentrail(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    ds
}

/// A dataset's tables of days outside the window are not opened: a damaged table of
/// such a day stops the run without a window and goes unread with one, and the window
/// over the dataset says what it says over the raw logs.
#[test]
fn a_dataset_day_outside_the_window_is_never_opened() {
    let dir = TestDir::new();
    let ds = nginx_dataset(&dir);
    let day = std::path::Path::new(&ds).join("source=nginx/date=2026-02-12");
    let table = std::fs::read_dir(&day)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    // Still a table by its first bytes, damaged after them.
    std::fs::write(&table, b"PAR1 not a footer, not a row group").unwrap();

    let broken = credentials(&[&ds]);
    assert_ne!(broken.code, 0, "the damaged table is read without a window");
    let window = ["--since", "2026-02-13T12:00:00Z", "--until", UNTIL];
    let mut args = window.to_vec();
    args.push(&ds);
    let over_dataset = credentials(&args);
    assert_eq!(over_dataset.code, 0, "{}", over_dataset.stderr);
    assert!(
        over_dataset
            .stderr
            .contains("tables of days outside --since/--until were not read"),
        "{}",
        over_dataset.stderr
    );
    let mut args = window.to_vec();
    args.push("samples/logs/nginx");
    let over_logs = credentials(&args);
    assert_eq!(over_logs.code, 0, "{}", over_logs.stderr);
    assert!(over_logs.stdout.lines().count() > 1, "{}", over_logs.stdout);
    assert_eq!(over_dataset.stdout, over_logs.stdout);

    // A window that holds none of the dataset's days: nothing is opened, nothing found.
    let later = tokentrail(&["hunt", "--since", "2030-01-01", &ds]);
    assert_eq!(later.code, 0, "{}", later.stderr);
    assert!(
        later
            .stdout
            .starts_with("Only events read from 2030-01-01T00:00:00Z on (--since).\n")
            && later.stdout.contains("No compromised credential found"),
        "{}",
        later.stdout
    );
    let days = std::fs::read_dir(std::path::Path::new(&ds).join("source=nginx"))
        .unwrap()
        .count();
    let said = format!("{days} tables of days outside --since/--until were not read");
    assert!(
        days > 10 && later.stderr.contains(&said),
        "{}",
        later.stderr
    );
}

/// A hunt says in its report what span it read, and finds nothing it did not read.
#[test]
fn a_hunt_reports_its_window_and_stays_in_it() {
    let run = tokentrail(&[
        "hunt",
        "-q",
        "--format",
        "json",
        "--geoip",
        "samples/geoip",
        "--until",
        "2026-02-17T00:31:00Z",
        "samples/logs",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["method"]["until"], "2026-02-17T00:31:00Z");
    assert!(report["method"]["since"].is_null());
    let until = ns("2026-02-17T00:31:00Z");
    for f in report["findings"].as_array().unwrap() {
        let first = f["compromise_window"]["first_suspicious"].as_str().unwrap();
        assert!(ns(first) < until, "{first}");
    }
    // The quiet probe at 00:30:59 is the last event read, and alone enough to find the
    // token (a Tor address new to it, at night).
    let token = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["credential"]["id"]
                .as_str()
                .unwrap()
                .starts_with("tt_live_oSw7Ae")
        })
        .expect("the leaked token's finding");
    assert_eq!(
        token["compromise_window"]["first_suspicious"],
        "2026-02-17T00:30:59Z"
    );

    // A learning span outside what is read is said.
    let learn = |extra: &[&str]| {
        let mut args = vec!["score", "--baseline-until", "2026-02-10"];
        args.extend_from_slice(extra);
        args.push("samples/logs");
        let run = tokentrail(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stderr
    };
    assert!(learn(&["--since", "2026-02-10"]).contains("no event read teaches the baselines"));
    assert!(learn(&["--until", "2026-02-10"]).contains("none is judged"));
    assert!(
        !learn(&["--since", "2026-02-09", "--until", "2026-02-11"]).contains("--baseline-until")
    );

    let empty = tokentrail(&["stats", "--since", UNTIL, "--until", SINCE, "samples/logs"]);
    assert_eq!(empty.code, 2, "{}", empty.stderr);
    assert!(
        empty.stderr.contains("is not before --until"),
        "{}",
        empty.stderr
    );
}

/// A CloudTrail file whose S3 name says it was delivered before `--since` (an hour's
/// margin for clocks) is never opened: its events happened before it was delivered. A
/// damaged file so named is then no problem, and is one again a minute later.
#[test]
fn cloudtrail_files_delivered_before_the_window_are_not_opened() {
    let dir = TestDir::new();
    let folder = "AWSLogs/111122223333/CloudTrail/eu-north-1/2026/02";
    let real = "111122223333_CloudTrail_eu-north-1_20260217T2355Z_20260302.json.gz";
    let bytes = std::fs::read(
        root()
            .join("samples/logs/cloudtrail")
            .join(folder)
            .join("17")
            .join(real),
    );
    dir.write(&format!("{folder}/17/{real}"), &bytes.unwrap());
    let damaged = "111122223333_CloudTrail_eu-north-1_20260210T2355Z_damaged0001.json.gz";
    dir.write(&format!("{folder}/10/{damaged}"), b"neither gzip nor JSON");

    let stats = |since: &str| {
        let (run, json) = stats_json(&[dir.path()], &["--since", since]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let old = file_report(&json, damaged).clone();
        (run, json, old)
    };
    // Delivered 23:55 on the 10th: events before 23:56, and an hour for clocks.
    let (run, json, old) = stats("2026-02-11T00:56:00Z");
    assert_eq!(old["detection"], "before_window", "{old:#}");
    assert_eq!(old["problems"].as_array().unwrap().len(), 0, "{old:#}");
    assert!(
        run.stderr
            .contains("1 CloudTrail files delivered before --since were not read"),
        "{}",
        run.stderr
    );
    assert!(file_report(&json, real)["events"].as_u64().unwrap() > 0);
    // The report lists what was read, and hashes nothing else.
    let dir_arg = dir.path().display().to_string();
    let hunt = tokentrail(&[
        "hunt",
        "-q",
        "--format",
        "json",
        "--since",
        "2026-02-11T00:56:00Z",
        &dir_arg,
    ]);
    assert_eq!(hunt.code, 0, "{}", hunt.stderr);
    let inputs = hunt.json()["inputs"].clone();
    let inputs = inputs.as_array().unwrap();
    assert_eq!(inputs.len(), 1, "{inputs:?}");
    assert!(inputs[0]["file"].as_str().unwrap().ends_with(real));
    let (_, _, old) = stats("2026-02-11T00:55:59Z");
    assert_eq!(old["detection"], "none", "{old:#}");
    assert_eq!(old["problems"].as_array().unwrap().len(), 1, "{old:#}");
}

/// A row group of a dataset's table whose times are all outside the window is skipped by
/// the bounds its file's footer keeps, unread: with every byte of its columns overwritten,
/// a window that leaves it out reads the table as the raw logs read, and one that takes it
/// in stops on the damage. (Row groups of an hour each here: by default a group holds
/// whole hours until they make 65,536 rows, and a day of the samples is one group.)
#[test]
fn a_row_group_outside_the_window_is_skipped_unread() {
    use polars::prelude::*;
    let dir = TestDir::new();
    let ds = nginx_dataset_with(&dir, &["--row-group-rows", "1"]);
    // The day with the most row groups (an hour each).
    let mut best: Option<(usize, std::path::PathBuf, String)> = None;
    for day in std::fs::read_dir(std::path::Path::new(&ds).join("source=nginx")).unwrap() {
        let day = day.unwrap().path();
        for table in std::fs::read_dir(&day).unwrap() {
            let table = table.unwrap().path();
            let mut reader = ParquetReader::new(std::fs::File::open(&table).unwrap());
            let groups = reader.get_metadata().unwrap().row_groups.len();
            let name = day
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .replace("date=", "");
            if best.as_ref().is_none_or(|b| groups > b.0) {
                best = Some((groups, table, name));
            }
        }
    }
    let (groups, table, day) = best.unwrap();
    assert!(groups >= 3, "{groups} row groups");
    // By default the same day's hours are one row group, of the same rows.
    let by_default = std::path::Path::new(&nginx_dataset(&dir))
        .join("source=nginx")
        .join(format!("date={day}"));
    let by_default = std::fs::read_dir(by_default)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut reader = ParquetReader::new(std::fs::File::open(&by_default).unwrap());
    assert_eq!(reader.get_metadata().unwrap().row_groups.len(), 1);
    let hour_a_group = ParquetReader::new(std::fs::File::open(&table).unwrap());
    assert!(
        reader
            .finish()
            .unwrap()
            .equals_missing(&hour_a_group.finish().unwrap())
    );
    let mut reader = ParquetReader::new(std::fs::File::open(&table).unwrap());
    let metadata = reader.get_metadata().unwrap().clone();
    let first_group = metadata.row_groups[0].num_rows();
    let df = reader.finish().unwrap();
    // From the second group's first event to the end of the day.
    let since = chrono::DateTime::from_timestamp_nanos(times_of(&df)[first_group])
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let until = (chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d").unwrap()
        + chrono::Days::new(1))
    .to_string();
    let mut bytes = std::fs::read(&table).unwrap();
    for range in metadata.row_groups[0].byte_ranges_iter() {
        for b in &mut bytes[range.start as usize..range.end as usize] {
            *b = 0xee;
        }
    }
    std::fs::write(&table, bytes).unwrap();
    let day_dir = table.parent().unwrap().to_str().unwrap().to_string();
    let over_table = credentials(&["--since", &since, "--until", &until, &day_dir]);
    assert_eq!(over_table.code, 0, "{}", over_table.stderr);
    let over_logs = credentials(&["--since", &since, "--until", &until, "samples/logs/nginx"]);
    assert_eq!(over_logs.code, 0, "{}", over_logs.stderr);
    assert!(over_logs.stdout.lines().count() > 1, "{}", over_logs.stdout);
    assert_eq!(over_table.stdout, over_logs.stdout);
    let taking_it_in = credentials(&["--until", &until, &day_dir]);
    assert_ne!(taking_it_in.code, 0, "the damaged group is read");
}

//! The report renderers on the samples: golden Markdown and JSON (stable bytes: no time of
//! the run inside), the HTML in a real headless browser, the CSV and JSON Lines timelines,
//! and the terminal view (no colour when not a terminal, tables within 100 columns).
//!
//! `UPDATE_GOLDEN=1 cargo test --test integration report` rewrites tests/golden/ after a
//! deliberate change; review the diff like code.

use std::path::PathBuf;
use std::process::Command;

use crate::util::*;

fn hunt(format: &str) -> Run {
    let run = tokentrail(&[
        "hunt",
        "samples/logs",
        "--geoip",
        "samples/geoip",
        "-q",
        "--format",
        format,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run
}

fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from the golden file at line {}:\n  golden: {:?}\n  actual: {:?}\n(UPDATE_GOLDEN=1 to accept)",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

#[test]
fn golden_markdown_and_json() {
    let md = hunt("md").stdout;
    golden("samples-report.md", &md);
    let json = hunt("json").stdout;
    golden("samples-report.json", &json);
    // Two runs give the same bytes.
    assert_eq!(hunt("md").stdout, md);
    for text in [&md, &json] {
        assert_no_clear_token(text);
    }
    for section in [
        "## Summary",
        "### Compromise window",
        "### Timeline by phase",
        "#### probe",
        "### Indicators",
        "### Blast radius",
        "## Inputs",
        "## Method",
    ] {
        assert!(md.contains(section), "no {section}");
    }
}

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TOKENTRAIL_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH")?
                .to_str()?
                .split(':')
                .map(|d| PathBuf::from(d).join(name))
                .find(|p| p.is_file())
        })
}

#[test]
fn html_is_self_contained_and_renders_in_a_browser() {
    let dir = TestDir::new();
    let html_path = dir.path().join("report.html");
    let run = tokentrail(&[
        "hunt",
        "samples/logs",
        "--geoip",
        "samples/geoip",
        "-q",
        "--format",
        "html",
        "-o",
        html_path.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(&html_path).unwrap();
    // Self-contained: nothing to fetch.
    for bad in ["src=", "href=", "url(", "@import", "http://", "https://"] {
        assert!(
            !html.contains(bad),
            "the report refers to something outside it: {bad}"
        );
    }
    assert_no_clear_token(&html);
    let report = hunt("json").json();
    let attacker_events: usize = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["events"].as_array().unwrap().len())
        .sum();
    assert_eq!(html.matches("class=\"attacker\"").count(), attacker_events);
    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED browser check: no chromium found (apt-get install chromium, or set TOKENTRAIL_CHROMIUM)"
        );
        return;
    };
    let url = format!("file://{}", html_path.display());
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
    ];
    let out = Command::new(&browser)
        .args(common)
        .args(["--enable-logging=stderr", "--v=0", "--dump-dom", &url])
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        dom.contains("data-ready=\"1\""),
        "the inline script did not finish:\n{log}"
    );
    assert!(
        dom.contains("data-resources=\"0\""),
        "the page fetched something"
    );
    for line in log.lines() {
        assert!(
            !(line.contains("CONSOLE") && (line.contains("Error") || line.contains("Uncaught"))),
            "{line}"
        );
    }
    assert_eq!(
        dom.matches("class=\"attacker\"").count(),
        attacker_events,
        "attacker marks in the chart"
    );
    // The table's script: sorting by score and filtering by an address, in the browser.
    let ip = report["findings"][0]["attacker"]["ips"][0]
        .as_str()
        .unwrap();
    let want = report["findings"][0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["src_ip"] == ip)
        .count();
    let out = Command::new(&browser)
        .args(common)
        .args(["--dump-dom", &format!("{url}?filter={ip}#selftest")])
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let expected = format!("data-selftest=\"sorted=true visible={want}\"");
    assert!(
        dom.contains(&expected),
        "sort and filter in the browser, want {expected}: {:?}",
        dom.split("data-selftest=")
            .nth(1)
            .map(|s| s.get(..40).unwrap_or(s))
    );
    // A screenshot for the humans, kept as a test artifact.
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("samples-report.png");
    let out = Command::new(&browser)
        .args(common)
        .args([
            "--window-size=1280,2400",
            &format!("--screenshot={}", shot.display()),
            &url,
        ])
        .output()
        .expect("run chromium");
    assert!(
        shot.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("screenshot: {}", shot.display());
}

#[test]
fn csv_and_jsonl_timelines() {
    let report = hunt("json").json();
    let findings = report["findings"].as_array().unwrap();
    let total: usize = findings
        .iter()
        .map(|f| f["events"].as_array().unwrap().len())
        .sum();
    let jsonl = hunt("jsonl").stdout;
    let rows = json_lines(&jsonl);
    assert_eq!(rows.len(), total);
    assert_eq!(rows[0]["finding"], 1);
    assert_eq!(rows[0]["phase"], "probe");
    assert_eq!(rows[0]["ts"], findings[0]["first_suspicious"]["ts"]);
    let csv = hunt("csv").stdout;
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("finding,finding_credential,severity,ts,phase")
    );
    assert_eq!(lines.count(), total);
    assert_no_clear_token(&csv);
    assert_no_clear_token(&jsonl);
}

#[test]
fn terminal_view_fits_100_columns_without_colour_when_piped() {
    let out = hunt("table").stdout;
    assert!(!out.contains('\u{1b}'), "colour on a pipe");
    // The timeline tables: every line from a header to the blank line after it.
    let mut in_table = false;
    let mut rows = 0;
    for line in out.lines() {
        if line.starts_with("time (UTC)") {
            in_table = true;
        } else if line.trim().is_empty() {
            in_table = false;
        }
        if in_table {
            rows += 1;
            assert!(
                line.chars().count() <= 100,
                "{} columns: {line}",
                line.chars().count()
            );
        }
    }
    assert!(rows > 40, "{out}");
    assert!(out.contains("phases: probe 3"), "{out}");
    assert!(
        out.contains("timeline: the same 96 events as finding 1"),
        "{out}"
    );
}

/// A finding of one call from an address that is no network to pivot on (Stratus's
/// anonymised `211.9.016.253`): the summary counts in the singular and still says where
/// the call came from, in Markdown and on the terminal.
#[test]
fn a_one_call_finding_reads_in_the_singular_and_names_its_address() {
    let input = "tests/fixtures/cloudtrail/stratus-iam-backdoor-user.json";
    let md = tokentrail(&["hunt", input, "-q", "--format", "md"]);
    assert_eq!(md.code, 0, "{}", md.stderr);
    assert!(
        md.stdout
            .contains("In all 1 event is attributed to the attacker, from 211.9.016.253."),
        "{}",
        md.stdout
    );
    for plural in ["1 events", "1 times", "1 calls", "from ."] {
        assert!(!md.stdout.contains(plural), "{plural}: {}", md.stdout);
    }
    let terminal = tokentrail(&["hunt", input, "-q"]);
    assert!(
        terminal.stdout.contains("   attacker: 211.9.016.253\n"),
        "{}",
        terminal.stdout
    );
}

/// A first suspicious call attributed for its network alone (an Okta session of the
/// Panther samples) says so, in Markdown and on the terminal, rather than `()`.
#[test]
fn a_first_call_without_a_reason_of_its_own_says_why_it_is_the_attackers() {
    let input = "tests/fixtures/okta";
    let md = tokentrail(&["hunt", input, "-q", "--format", "md"]);
    assert_eq!(md.code, 0, "{}", md.stderr);
    assert!(
        md.stdout.contains("(from an attacker network)."),
        "{}",
        md.stdout
    );
    let terminal = tokentrail(&["hunt", input, "-q"]);
    for out in [&md.stdout, &terminal.stdout] {
        assert!(!out.contains(" ()"), "{out}");
    }
    assert!(
        terminal.stdout.contains("(from an attacker network) at "),
        "{}",
        terminal.stdout
    );
}

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root (fixtures and samples are read from there).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// A temporary folder that files are written into.
pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    pub fn new() -> TestDir {
        TestDir {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(bytes), &mut out).unwrap();
    out
}

/// The result of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The one line of stderr that holds `text` (a warning said once).
    pub fn said_once(&self, text: &str) -> &str {
        let said: Vec<&str> = self.stderr.lines().filter(|l| l.contains(text)).collect();
        match said[..] {
            [line] => line,
            _ => panic!("{} lines say {text:?}:\n{}", said.len(), self.stderr),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

pub fn tokentrail(args: &[&str]) -> Run {
    tokentrail_stdin(args, None)
}

pub fn tokentrail_stdin(args: &[&str], stdin: Option<&[u8]>) -> Run {
    tokentrail_with(args, stdin, &[])
}

/// `tokentrail` with these environment variables set.
pub fn tokentrail_env(args: &[&str], env: &[(&str, &Path)]) -> Run {
    tokentrail_with(args, None, env)
}

fn tokentrail_with(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &Path)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tokentrail"));
    cmd.args(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .env_remove("TOKENTRAIL_FINGERPRINT_KEY")
        .env_remove("TOKENTRAIL_THREADS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = cmd.spawn().expect("run tokentrail");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    Run::from(child.wait_with_output().unwrap())
}

/// `stats --format json` over the given paths.
pub fn stats_json(paths: &[&Path], extra: &[&str]) -> (Run, serde_json::Value) {
    let mut args = vec!["stats", "--format", "json"];
    let owned: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    args.extend(owned.iter().map(String::as_str));
    args.extend_from_slice(extra);
    let run = tokentrail(&args);
    let json = run.json();
    (run, json)
}

/// A file's report from `stats --format json`, by file name suffix.
pub fn file_report<'a>(json: &'a serde_json::Value, suffix: &str) -> &'a serde_json::Value {
    json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no report for {suffix} in {json:#}"))
}

/// A file report's events and malformed records, to compare with one tuple.
pub fn events_and_malformed(file: &serde_json::Value) -> (Option<u64>, Option<u64>) {
    (file["events"].as_u64(), file["malformed"].as_u64())
}

/// The samples' tokens start `tt_live_`; a fingerprint shows at most 14 characters of a
/// long token (`tt_live_4f9KQ2…<hash>`), so more than 6 token characters after the prefix
/// would be a token in clear.
/// The event times of a frame (`ts`, nanoseconds since the epoch), in its order.
pub fn times_of(df: &polars::prelude::DataFrame) -> Vec<i64> {
    let ts = df.column("ts").unwrap().datetime().unwrap().physical();
    ts.into_no_null_iter().collect()
}

pub fn assert_no_clear_token(text: &str) {
    for (at, _) in text.match_indices("tt_live_") {
        let after = &text.as_bytes()[at + 8..];
        let run = after
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        assert!(
            run <= 6,
            "a token in clear: {}",
            String::from_utf8_lossy(&text.as_bytes()[at..(at + 8 + run).min(text.len())])
        );
    }
}

/// The rows of JSON Lines text (an NDJSON output or `--format jsonl`).
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `tokentrail ingest ARGS -o OUT` (OUT an `.ndjson` path), asserted to succeed, and the
/// rows it wrote.
pub fn ingest_rows(out: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["ingest", "-o", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let run = tokentrail(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    json_lines(&std::fs::read_to_string(out).unwrap())
}

/// A gateway behind proxies: combined without the referer, plus the forwarded chain (the
/// `--real-ip-from` tests).
pub const PROXIED_FORMAT: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_user_agent" "$http_x_forwarded_for""#;

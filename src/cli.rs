//! The command line (clap derive). Exit codes are in `exit.rs` and docs/exit-codes.md.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tokentrail_parsers::SourceId;

const AFTER_HELP: &str = "\
Exit codes: 0 success; 1 findings at or above --fail-on; 2 usage or fatal error;
3 some input unreadable (or, with --strict, malformed or of unknown format).
Secrets found in logs are never printed: they appear as keyed fingerprints
(set TOKENTRAIL_FINGERPRINT_KEY to use your own key).";

/// Trace a leaked credential through nginx, CloudTrail and identity-provider logs.
#[derive(Debug, Parser)]
#[command(name = "tokentrail", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse logs into one normalized event table (Parquet, CSV or NDJSON by extension).
    Ingest {
        #[command(flatten)]
        input: InputArgs,
        /// Output file: .parquet, .csv, .ndjson or .jsonl; or a folder (ending in `/`, or
        /// existing) for a Parquet dataset partitioned by source and day, which several
        /// jobs can fill and `hunt` reads (docs/scale.md).
        #[arg(short, long, value_name = "FILE|DIR/")]
        output: PathBuf,
        /// Events held in memory before the rest wait on disk, in a hidden folder beside
        /// the output, until their hour is written: memory follows this and the busiest
        /// hour of the logs, not their size.
        #[arg(long, value_name = "MIB", default_value_t = 1024)]
        memory_budget: usize,
        /// The least rows of a Parquet row group: whole hours until they make this many
        /// (tests write an hour a group).
        #[arg(long, value_name = "ROWS", default_value_t = crate::output::ROW_GROUP_ROWS, hide = true)]
        row_group_rows: usize,
    },
    /// Show what each input holds: detected source, records, events, malformed lines by
    /// reason, time range; per source the distinct credentials and IPs.
    Stats {
        #[command(flatten)]
        input: InputArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
        format: StatsFormat,
    },
    /// Score every event against its credential's own baseline and list the most
    /// suspicious, with their reasons, and a summary per credential.
    Score {
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        analysis: AnalysisArgs,
        /// Show only this credential: an access key id, a token fingerprint or its
        /// prefix, a session id or a principal. Repeatable.
        #[arg(long, value_name = "ID")]
        credential: Vec<String>,
        /// Show events and credentials scoring at least this.
        #[arg(long, value_name = "N", default_value_t = 20)]
        min_score: u32,
        /// Show at most this many events.
        #[arg(long, value_name = "N", default_value_t = 30)]
        top: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
        format: StatsFormat,
        #[command(flatten)]
        scale: PartsArgs,
    },
    /// Find compromised credentials without being told which: each one's first
    /// suspicious call, compromise window, attacker networks, the credentials the attacker
    /// created or also used, and everything attributed to the attacker.
    Hunt {
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        analysis: AnalysisArgs,
        #[command(flatten)]
        report: ReportArgs,
        #[command(flatten)]
        scale: PartsArgs,
    },
    /// The same investigation for credentials the responder already suspects.
    Timeline {
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        analysis: AnalysisArgs,
        #[command(flatten)]
        report: ReportArgs,
        /// The suspect: an access key id, a token fingerprint or its prefix, a session id
        /// or a principal. Repeatable.
        #[arg(long, value_name = "ID", required = true)]
        credential: Vec<String>,
        #[command(flatten)]
        scale: PartsArgs,
    },
    /// List every credential in the logs in the order first seen: kind, sources,
    /// principals, first and last sighting with file and line, uses, refusals, addresses.
    /// With `--by principal`, every principal (user, role) and the credentials it used.
    Credentials {
        #[command(flatten)]
        input: InputArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// One row per credential, or per principal (user, role, service account) with the
        /// credentials it used and its events without one.
        #[arg(long, value_enum, default_value_t = crate::credentials::By::Credential)]
        by: crate::credentials::By,
        /// Rows shown in the table; 0 shows every one. CSV and JSON always list all: an
        /// identity provider's log holds a session per sign-in, and a table of a million
        /// rows is read by no one and takes gigabytes to lay out.
        #[arg(long, value_name = "N", default_value_t = crate::credentials::TABLE_ROWS)]
        limit: usize,
    },
    /// List every secret found in the logs (tokens in URLs, bearer tokens, cookies): kind,
    /// fingerprint, first and last sighting with file and line, uses, addresses.
    Secrets {
        #[command(flatten)]
        input: InputArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
        format: StatsFormat,
        /// Rows shown in the table; 0 shows every one. JSON always lists all.
        #[arg(long, value_name = "N", default_value_t = crate::credentials::TABLE_ROWS)]
        limit: usize,
    },
    /// List the log sources tokentrail can read, with their ids for --source.
    Sources,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Headlines and the attacker's timeline, for a terminal.
    Table,
    /// The versioned report (docs/report-contract.md).
    Json,
    /// A post-mortem draft in Markdown.
    Md,
    /// One self-contained HTML file with a timeline chart.
    Html,
    /// The attacker timeline, one row per event, for spreadsheets.
    Csv,
    /// The attacker timeline, one JSON object per line, for SIEMs.
    Jsonl,
}

/// Options of the commands that write an investigation report.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output format (JSON: docs/report-contract.md).
    #[arg(long, value_enum, default_value_t = ReportFormat::Table, help_heading = "Output")]
    pub format: ReportFormat,
    /// Write the report to this file instead of standard output.
    #[arg(short, long, value_name = "FILE", help_heading = "Output")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding is at least this severe (for batch jobs).
    #[arg(long, value_enum, value_name = "SEVERITY", help_heading = "Output")]
    pub fail_on: Option<crate::score::Severity>,
    /// Timeline rows shown per finding in the table (JSON always has all).
    #[arg(long, value_name = "N", default_value_t = 40, help_heading = "Output")]
    pub limit: usize,
}

/// Options of the commands that judge events.
#[derive(Debug, Args)]
pub struct AnalysisArgs {
    /// Learn baselines from events before this time only, and judge the rest
    /// (RFC 3339 or YYYY-MM-DD, UTC). Default: each event is judged against the history
    /// before it.
    #[arg(long, value_name = "TIME", value_parser = parse_time, help_heading = "Analysis")]
    pub baseline_until: Option<i64>,
}

/// `score`, `hunt` and `timeline` over more than memory.
#[derive(Debug, Args)]
pub struct PartsArgs {
    /// Hold about this much memory (MiB) for the events: those that would need more are
    /// scored in parts, one in memory at a time, the others waiting in a folder of the
    /// system's temporary folder (`TMPDIR`) for the run; those that fit stay in memory.
    /// The same report either way; by parts takes 1.4-2 times as long (docs/scale.md).
    /// Raw logs or `ingest`'s tables. Without it, events that would need more than three
    /// quarters of the memory available go by parts on their own.
    #[arg(long, value_name = "MIB", help_heading = "Scale")]
    pub memory_budget: Option<usize>,
    /// With --memory-budget: this many parts instead of as many as the events' size needs.
    #[arg(long, value_name = "N", hide = true)]
    pub parts: Option<usize>,
}

/// RFC 3339, or a date meaning its midnight UTC; as ns since the epoch.
pub fn parse_time(text: &str) -> Result<i64, String> {
    // Times are nanoseconds since 1970 in 64 bits, as in the event table.
    let out_of_range =
        || format!("`{text}` is out of range (times run from 1677-09-22 to 2262-04-11)");
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return t.timestamp_nanos_opt().ok_or_else(out_of_range);
    }
    let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") else {
        return Err(format!(
            "`{text}` is not a time (use 2026-03-04 or 2026-03-04T01:00:00Z)"
        ));
    };
    date.and_hms_opt(0, 0, 0)
        .and_then(|d| d.and_utc().timestamp_nanos_opt())
        .ok_or_else(out_of_range)
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatsFormat {
    Table,
    Json,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    Csv,
}

/// Options shared by every command that reads logs.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Log files, folders (read recursively) or - for standard input; gzip is detected
    /// from content. Parquet files written by `ingest` are read as they are.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Read every input as this source instead of detecting it.
    #[arg(long, value_name = "ID", value_parser = parse_source, help_heading = "Input")]
    pub source: Option<SourceId>,
    /// Your nginx `log_format` string (as in nginx.conf, quotes removed): files it parses
    /// are read with it; others are detected as usual.
    #[arg(long, value_name = "FORMAT", help_heading = "Input")]
    pub nginx_log_format: Option<String>,
    /// Read the `log_format`s of an nginx configuration (includes followed) and try each.
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub nginx_conf: Option<PathBuf>,
    /// A variable of your log_format that logs only a token's first characters (no `$`,
    /// e.g. http_x_token_id): such calls are linked to the full token that starts with
    /// them, wherever it was seen. Repeatable.
    #[arg(long, value_name = "VARIABLE", help_heading = "Input")]
    pub token_prefix_field: Vec<String>,
    /// A query parameter whose value is a credential, beyond the built-in list
    /// (access_token, token, api_key, key, …); repeatable.
    #[arg(long, value_name = "NAME", help_heading = "Input")]
    pub secret_param: Vec<String>,
    /// A trusted proxy (address or CIDR; repeatable): for its requests the client is the
    /// rightmost untrusted address of X-Forwarded-For, as nginx's real_ip module decides;
    /// the proxy is kept in `peer_ip`.
    #[arg(long, value_name = "CIDR", help_heading = "Input")]
    pub real_ip_from: Vec<String>,
    /// The time zone of times logged without one (nginx error.log): an offset (+01:00)
    /// or a zone name (Europe/Berlin). Default: read as UTC and noted `assumed_utc`.
    #[arg(
        long,
        value_name = "ZONE",
        allow_hyphen_values = true,
        help_heading = "Input"
    )]
    pub tz: Option<String>,
    /// The case's settings: trusted networks and ASNs, automation user agents,
    /// credentials to ignore, and `[input]` options (default: ./tokentrail.toml when
    /// present). See docs/detections.md.
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub config: Option<PathBuf>,
    /// With --nginx-conf: only this `log_format`.
    #[arg(long, value_name = "NAME", help_heading = "Input")]
    pub log_format_name: Option<String>,
    /// Keep only events at or after this time (RFC 3339 or YYYY-MM-DD, UTC); the others
    /// are counted per input. A dataset's days before it are not read.
    #[arg(long, value_name = "TIME", value_parser = parse_time, help_heading = "Input")]
    pub since: Option<i64>,
    /// Keep only events before this time (RFC 3339 or YYYY-MM-DD, UTC; a date means its
    /// midnight, so `--until 2026-03-01` ends with February). A dataset's days after it
    /// are not read.
    #[arg(long, value_name = "TIME", value_parser = parse_time, help_heading = "Input")]
    pub until: Option<i64>,
    /// Fail (exit 3) if any record is malformed or any input is of unknown format.
    #[arg(long, help_heading = "Input")]
    pub strict: bool,
    /// Stop a gzip input that inflates more than this to one after 256 MiB (a gzip bomb);
    /// logs compress about 10:1. 0 never stops.
    #[arg(long, value_name = "N", default_value_t = crate::ingest::DEFAULT_MAX_GZIP_RATIO, help_heading = "Input")]
    pub max_gzip_ratio: u64,
    /// Records longer than this are counted as malformed and skipped.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20, help_heading = "Input")]
    pub max_line_bytes: usize,
    /// The longest record of a JSON document or CSV download, which is held in memory
    /// whole: a document that is one record, a record of an array, a row of a download (the
    /// rest is read a window at a time). Past it the rest of the file is not read, and the
    /// file's report says so (input lost: exit code 3).
    #[arg(long, value_name = "BYTES", default_value_t = 4 << 30, help_heading = "Input")]
    pub max_document_bytes: usize,
    /// Folder of MaxMind databases (GeoLite2/GeoIP2 City or Country, ASN, Anonymous-IP) for
    /// the geo_* and asn columns. Without it, address classes and prefixes still work.
    #[arg(
        long,
        value_name = "DIR",
        env = "TOKENTRAIL_GEOIP",
        help_heading = "Enrichment"
    )]
    pub geoip: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(
        long,
        short = 'j',
        value_name = "N",
        env = "TOKENTRAIL_THREADS",
        help_heading = "Input"
    )]
    pub threads: Option<usize>,
    /// Read plain files rather than mapping them in memory. A map is faster on large
    /// files, but a file truncated while it is read (logrotate's `copytruncate` on a live
    /// log) or a failing disk then ends the run with SIGBUS instead of an error. Files
    /// written in the last minute are read anyway.
    #[arg(long, help_heading = "Input")]
    pub no_mmap: bool,
    /// Plain files from this size are mapped (tests map small ones).
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20, hide = true)]
    pub mmap_from: u64,
    /// Files written in the last SECS seconds are read, not mapped: a live log may be cut
    /// while it is read (tests map files they have just written).
    #[arg(long, value_name = "SECS", default_value_t = 60, hide = true)]
    pub mmap_quiet_for: u64,
    /// Size of the line-aligned chunks parsed in parallel, and twice the least piece of a
    /// JSON array read in pieces (tests use tiny ones).
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20, hide = true)]
    pub chunk_bytes: usize,
    /// Bytes of delivery keys (one per event of a source with event ids, to tell repeated
    /// deliveries apart) that `credentials`, `secrets` and `stats` hold in memory; the rest
    /// wait in the system's temporary folder (tests use tiny amounts).
    #[arg(long, value_name = "BYTES", default_value_t = crate::credentials::tally::KEY_MEMORY, hide = true)]
    pub key_memory: usize,
    /// Print how long each phase took on stderr (for performance work).
    #[arg(long, hide = true)]
    pub timings: bool,
    /// No progress bar and no warnings on stderr; errors are still printed.
    #[arg(long, short, help_heading = "Output")]
    pub quiet: bool,
}

fn parse_source(id: &str) -> Result<SourceId, String> {
    SourceId::from_id(id).ok_or_else(|| {
        let ids: Vec<&str> = SourceId::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown source `{id}` (known: {})", ids.join(", "))
    })
}

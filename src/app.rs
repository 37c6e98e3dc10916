//! Wires input → ingest → output for each command.

use std::io::Write;
use std::time::Instant;

use comfy_table::{Table, presets};
use tokentrail_parsers::PARSERS;

use crate::cli::{
    AnalysisArgs, Cli, Command, InputArgs, ListFormat, ReportArgs, ReportFormat, StatsFormat,
};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::hunt::{Investigator, Seeds};
use crate::ingest::{FileReport, IngestOptions, Ingested, Keep, MapRule, ingest};
use crate::input::{Input, discover};
use crate::report;
use crate::score::{ScoreOptions, score_table, table::EventTable};
use crate::score_report;
use crate::tables::{TableLayout, TableReader, parquet_files};
use crate::window::TimeWindow;
use crate::{enrich, messages, output, progress, secrets, stats};
use polars::prelude::DataFrame;
use tokentrail_parsers::nginx_format::{Escape, LogFormat, formats_from_conf};

pub fn run(cli: Cli, stdout: &mut dyn Write) -> Result<ExitStatus> {
    match cli.command {
        Command::Sources => {
            let mut t = Table::new();
            t.load_style(presets::UTF8_FULL_CONDENSED);
            t.set_header(["id", "event ids", "examples", "CSV downloads read"]);
            for p in PARSERS {
                let ids = if p.id().has_event_ids() {
                    "own"
                } else {
                    "file:line"
                };
                let forms: Vec<&str> = p.csv_forms().iter().map(|f| f.name).collect();
                t.add_row([
                    p.id().as_str().to_string(),
                    ids.to_string(),
                    p.examples().len().to_string(),
                    forms.join("\n"),
                ]);
            }
            writeln!(stdout, "{t}").map_err(stdout_error)?;
            Ok(ExitStatus::Success)
        }
        Command::Ingest {
            input,
            output,
            memory_budget,
            row_group_rows,
        } => {
            refuse_tables("ingest", &input)?;
            let mut out: Option<output::IngestOutput> = None;
            let mut job = String::new();
            let by_hour = read_raw(
                &input,
                Keep::default(),
                "ingest and write",
                |inputs, opts, bar, geo| {
                    let phase = phase_timer(&input);
                    let names: Vec<String> = inputs.iter().map(Input::display_name).collect();
                    job = job_id(&names);
                    let sink = out.insert(output::IngestOutput::new(
                        &output,
                        &job,
                        row_group_rows.max(1),
                    )?);
                    crate::ingest::ingest_by_hour(
                        inputs,
                        opts,
                        bar,
                        geo,
                        memory_budget.saturating_mul(1 << 20),
                        spill_dir(&output),
                        sink,
                        &|| phase("read (then written hour by hour)"),
                    )
                },
                |done| &done.files,
            )?;
            let files = match out {
                Some(out) => out.finish()?,
                None => 0,
            };
            let written = format!(
                "wrote {} events from {} to",
                by_hour.events,
                crate::report::count_of(by_hour.files.len(), "input")
            );
            let said = match output::is_dataset(&output) {
                true => format!(
                    "{written} {files} Parquet files (part-{job}.parquet) under {}",
                    output.display()
                ),
                false => format!("{written} {}", output.display()),
            };
            if by_hour.spilled {
                messages::warn(format!(
                    "more than --memory-budget {memory_budget} MiB of events: the rest waited on disk until written"
                ));
            }
            by_hour.busiest.warn_if_beyond(mib(memory_budget));
            messages::warn(said);
            Ok(exit_status(&by_hour.files, input.strict))
        }
        Command::Score {
            input,
            analysis,
            credential,
            min_score,
            top,
            format,
            scale,
        } => {
            let selection = score_report::Selection {
                credentials: &credential,
                min_score,
                top,
            };
            score_within(&input, &analysis, &selection, format, &scale, stdout)
        }
        Command::Hunt {
            input,
            analysis,
            report,
            scale,
        } => investigate_within(&input, &analysis, &report, Seeds::Hunt, &scale, stdout),
        Command::Timeline {
            input,
            analysis,
            report,
            credential,
            scale,
        } => {
            let seeds = Seeds::Named(&credential);
            investigate_within(&input, &analysis, &report, seeds, &scale, stdout)
        }
        Command::Credentials {
            input,
            format,
            by,
            limit,
        } => {
            let (tally, files) = read_tally(&input, by)?;
            let phase = phase_timer(&input);
            let list = crate::credentials::all(&tally);
            phase("summarize");
            match format {
                ListFormat::Table => crate::credentials::write_table(stdout, &list, limit),
                ListFormat::Json => crate::credentials::write_json(stdout, &list),
                ListFormat::Csv => crate::credentials::write_csv(stdout, &list),
            }
            .map_err(stdout_error)?;
            phase("write");
            // The run ends here: the summaries of a million sessions take a tenth of a
            // second to free one by one, and the system takes their memory back at exit.
            std::mem::forget(list);
            std::mem::forget(tally);
            Ok(exit_status(&files, input.strict))
        }
        Command::Secrets {
            input,
            format,
            limit,
        } => {
            let (tally, files) = read_tally(&input, crate::credentials::By::Credential)?;
            let report = secrets::scan(&tally);
            match format {
                StatsFormat::Table => secrets::write_table(stdout, &report, limit),
                StatsFormat::Json => secrets::write_json(stdout, &report),
            }
            .map_err(stdout_error)?;
            Ok(exit_status(&files, input.strict))
        }
        Command::Stats { input, format } => {
            refuse_tables("stats", &input)?;
            let (tally, files) = read_raw(
                &input,
                Keep::columns(stats::COLUMNS),
                "read and tally",
                |inputs, opts, bar, _| {
                    remove_stale_key_spills();
                    let run = crate::credentials::tally::Accumulator::counting();
                    crate::ingest::tally(inputs, opts, bar, run)
                },
                |(_, files): &(_, Vec<FileReport>)| files.as_slice(),
            )?;
            let sources = stats::summarize(&files, &tally);
            match format {
                StatsFormat::Table => stats::write_table(stdout, &files, &sources),
                StatsFormat::Json => stats::write_json(stdout, &files, &sources),
            }
            .map_err(stdout_error)?;
            Ok(exit_status(&files, input.strict))
        }
    }
}

/// The name of one `ingest` job's parts in a dataset: a hash of its inputs, so that a job
/// run again replaces its own parts and jobs over other slices never collide.
/// Where `ingest` keeps the events it holds out of memory: a hidden folder beside the
/// output (the same disk, and a place the run can write), or the temporary folder when the
/// output is not a file (`/dev/stdout`). A folder a stopped run left there (its process
/// is gone) is removed first.
fn spill_dir(output: &std::path::Path) -> std::path::PathBuf {
    let special = std::fs::metadata(output).is_ok_and(|m| !m.is_file() && !m.is_dir());
    let name = output.file_name().map(|n| n.to_string_lossy().into_owned());
    let (parent, prefix) = match (special, name) {
        (false, Some(name)) => (
            output
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."))
                .to_path_buf(),
            format!(".{name}.spill-"),
        ),
        _ => (std::env::temp_dir(), "tokentrail-spill-".to_string()),
    };
    remove_stale_spills(&parent, &prefix);
    parent.join(format!("{prefix}{}", std::process::id()))
}

/// The folders of delivery keys a stopped `credentials`, `secrets` or `stats` left in the
/// system's temporary folder (`credentials::tally::keys`).
fn remove_stale_key_spills() {
    let prefix = crate::credentials::tally::KEY_SPILL_PREFIX;
    remove_stale_spills(&std::env::temp_dir(), prefix);
}

/// Remove the spill folders `PREFIX<pid>` in `parent` whose process no longer runs (a run
/// that was killed cannot remove its own). Only where running processes can be told
/// (`/proc`); a reused process id keeps its folder, which is the safe side.
fn remove_stale_spills(parent: &std::path::Path, prefix: &str) {
    let proc = std::path::Path::new("/proc/self");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    if !proc.exists() {
        return;
    }
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(prefix)
            .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let running = std::path::Path::new("/proc").join(pid).exists();
        if !running && entry.path().is_dir() && std::fs::remove_dir_all(entry.path()).is_ok() {
            messages::warn(format!(
                "removed {}, left by a run that was stopped",
                entry.path().display()
            ));
        }
    }
}

fn job_id(names: &[String]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for name in names {
        h.update(name.as_bytes());
        h.update(b"\n");
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `--timings`: a phase's line, timed from now.
fn phase_timer(input: &InputArgs) -> impl Fn(&str) + '_ {
    let started = Instant::now();
    move |name: &str| {
        if input.timings {
            messages::timing(name, started);
        }
    }
}

/// `score`: in memory, or by parts when `--memory-budget` says so or when the events
/// would not fit in the memory available (as `hunt`).
fn score_within(
    input: &InputArgs,
    analysis: &AnalysisArgs,
    selection: &score_report::Selection,
    format: StatsFormat,
    scale: &crate::cli::PartsArgs,
    stdout: &mut dyn Write,
) -> Result<ExitStatus> {
    let opts = score_options(input, analysis)?;
    let tables = tables_of(input)?;
    let budget = parts_budget(input, scale, &tables)?;
    let write = |report: &score_report::ScoreReport, stdout: &mut dyn Write| {
        match format {
            StatsFormat::Table => score_report::write_table(stdout, report),
            StatsFormat::Json => score_report::write_json(stdout, report),
        }
        .map_err(stdout_error)
    };
    let Some(budget) = budget else {
        let mut ingested = read_events_of(input, Keep::scored(), tables)?;
        let phase = phase_timer(input);
        let frame = crate::frame::into_attributable(std::mem::take(&mut ingested.frame))?;
        let table = EventTable::new(&frame)?;
        let scored = score_table(&table, &opts);
        let report = score_report::build(&frame, &table, &scored, selection)?;
        phase("score");
        write(&report, stdout)?;
        return Ok(exit_status(&ingested.files, input.strict));
    };
    let (_dir, (source, mut files, _)) = into_parts(input, tables, (budget, scale.parts))?;
    let phase = phase_timer(input);
    let budget = mib(budget);
    crate::parts::score(
        source,
        &mut files,
        (&opts, budget),
        selection,
        &phase,
        |report, _| write(report, stdout),
    )?;
    Ok(exit_status(&files, input.strict))
}

/// The events of the inputs into parts (`scale`: the budget in MiB, and the parts if
/// forced), in a temporary folder removed when the returned one is dropped.
fn into_parts(
    input: &InputArgs,
    tables: Vec<Tables>,
    scale: (usize, Option<usize>),
) -> Result<(crate::parts::TempDir, IntoParts)> {
    let (memory_budget, parts) = scale;
    let budget = mib(memory_budget);
    // A folder a killed run left is removed first (as `ingest`'s spill folders).
    remove_stale_spills(&std::env::temp_dir(), crate::parts::TempDir::PREFIX);
    let dir = crate::parts::TempDir::new(&std::env::temp_dir())?;
    let phase = phase_timer(input);
    let written = match tables.iter().any(Option::is_some) {
        true => tables_into_parts(input, tables, (budget, parts), dir.path())?,
        false => logs_into_parts(input, (budget, parts), dir.path())?,
    };
    phase("read into parts");
    Ok((dir, written))
}

/// `hunt` and `timeline`: read, score, investigate, report.
fn investigate(
    input: &InputArgs,
    analysis: &AnalysisArgs,
    args: &ReportArgs,
    seeds: Seeds,
    tables: Vec<Tables>,
    stdout: &mut dyn Write,
) -> Result<ExitStatus> {
    let opts = score_options(input, analysis)?;
    let mut ingested = read_events_of(input, Keep::scored(), tables)?;
    let checksums = report::Checksums::start(&ingested.files);
    let phase = phase_timer(input);
    // Only the attributable events are read from here on (a fifth of an nginx log): the
    // whole frame goes before the scoring needs its memory.
    let frame = crate::frame::into_attributable(std::mem::take(&mut ingested.frame))?;
    let table = EventTable::new(&frame)?;
    phase("scoring table");
    let scored = score_table(&table, &opts);
    phase("score");
    let investigator = Investigator::new(&table, &scored, &opts.config);
    let findings = investigator.run(seeds);
    phase("investigate");
    let report = report::build(
        &frame,
        &investigator,
        &findings,
        report::MethodInput {
            geoip: &ingested.geoip,
            config: opts.config.path.as_ref().map(|p| p.display().to_string()),
            baseline_until: opts.baseline_until,
            window: window(input)?,
            checksums,
        },
    )?;
    phase("report");
    deliver(&report, args, &ingested.files, input.strict, stdout)
}

/// `hunt` and `timeline`: in memory, or by parts when `--memory-budget` says so or when
/// the logs' events would not fit in the memory available.
fn investigate_within(
    input: &InputArgs,
    analysis: &AnalysisArgs,
    report: &ReportArgs,
    seeds: Seeds,
    scale: &crate::cli::PartsArgs,
    stdout: &mut dyn Write,
) -> Result<ExitStatus> {
    // The inputs are looked at once: a dataset's folder is walked and its tables opened.
    let tables = tables_of(input)?;
    match parts_budget(input, scale, &tables)? {
        None => investigate(input, analysis, report, seeds, tables, stdout),
        Some(budget) => investigate_by_parts(
            input,
            analysis,
            report,
            seeds,
            tables,
            (budget, scale.parts),
            stdout,
        ),
    }
}

/// The budget (MiB) to work by parts with: `--memory-budget` when the events would not
/// fit in it (always when `--parts` forces parts), else one of its own when they would not
/// fit in the memory available ([`too_large_for_memory`]); `None`: in memory.
fn parts_budget(
    input: &InputArgs,
    scale: &crate::cli::PartsArgs,
    tables: &[Tables],
) -> Result<Option<usize>> {
    match (scale.memory_budget, scale.parts) {
        (Some(budget), Some(_)) => Ok(Some(budget)),
        // A budget the events fit in is kept in memory: by parts takes 1.4-2 times as
        // long, and an adversarial CloudTrail tree's by parts held more than in memory
        // (docs/scale.md).
        (Some(budget), None) => match memory_need(input, tables)? {
            Some((need, _)) if need <= mib(budget) => Ok(None),
            _ => Ok(Some(budget)),
        },
        (None, _) => too_large_for_memory(input, tables),
    }
}

/// What any run holds beside its events (the program, the chunks being parsed): a
/// `hunt` of the samples peaks at 67 MB.
const BESIDE_EVENTS: u64 = 128 << 20;

/// The memory an investigation of the inputs in memory would need, in bytes, with what
/// it is reckoned from; `None` for tables and logs mixed (the reading says so). It needs
/// about 0.8-1.2 times raw logs' size as read (docs/scale.md), and about
/// `tables::EVENT_BYTES` per event it keeps from tables (`TableReader::columns`): 1.25
/// times that is reckoned, and [`BESIDE_EVENTS`].
fn memory_need(input: &InputArgs, tables: &[Tables]) -> Result<Option<(u64, String)>> {
    let (bytes, what) = match tables.iter().any(Option::is_some) {
        false => {
            let inputs = discover(&input.paths)?;
            let bytes = inputs.iter().map(Input::size_as_read).sum();
            (
                bytes,
                format!("the events of these logs ({} as read)", gb(bytes)),
            )
        }
        true if tables.iter().any(Option::is_none) => return Ok(None),
        true => {
            let unread = unread(Keep::scored());
            let reader = scored_tables(input, &unread)?;
            let (tables, _) = reader.to_open(tables.iter().flatten().flatten().cloned());
            let mut bytes = 0;
            for path in &tables {
                bytes += reader.columns(path)?.1;
            }
            let events = bytes / crate::tables::EVENT_BYTES;
            (
                bytes,
                format!("the events these tables hold to be scored (up to {events})"),
            )
        }
    };
    let need = bytes
        .saturating_add(bytes / 4)
        .saturating_add(BESIDE_EVENTS);
    Ok(Some((need, what)))
}

/// `n` MiB in bytes.
fn mib(n: usize) -> u64 {
    (n as u64).saturating_mul(1 << 20)
}

/// Bytes as a responder reads them: MB below a gigabyte, GB with a decimal above.
pub(crate) fn gb(b: u64) -> String {
    match b {
        0..1_000_000_000 => format!("{} MB", b.div_ceil(1_000_000)),
        _ => format!("{:.1} GB", b as f64 / 1e9),
    }
}

/// Events that would need more than three quarters of the memory available
/// ([`memory_need`]): the budget to score them by parts with (a quarter of what is
/// available, at least 64 MiB), said on stderr.
fn too_large_for_memory(input: &InputArgs, tables: &[Tables]) -> Result<Option<usize>> {
    let Some(available) = available_memory() else {
        return Ok(None);
    };
    let Some((need, what)) = memory_need(input, tables)? else {
        return Ok(None);
    };
    if need <= available / 4 * 3 {
        return Ok(None);
    }
    let budget = ((available / 4) >> 20).max(64) as usize;
    messages::set_quiet(input.quiet);
    messages::warn(format!(
        "{what} would need about {} of the {} of memory available: they are scored by \
         parts, as with --memory-budget {budget} (docs/scale.md)",
        gb(need),
        gb(available)
    ));
    Ok(Some(budget))
}

/// The memory available to the run in bytes (Linux: `MemAvailable`), or
/// `TOKENTRAIL_MEMORY_AVAILABLE` MiB (tests); elsewhere unknown.
fn available_memory() -> Option<u64> {
    if let Some(mib) = std::env::var("TOKENTRAIL_MEMORY_AVAILABLE")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        return Some(mib << 20);
    }
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib << 10)
}

/// `hunt` and `timeline` with `--memory-budget`: the events scored a part at a time
/// (`crate::parts`). `scale`: the budget in MiB, and the parts if forced.
fn investigate_by_parts(
    input: &InputArgs,
    analysis: &AnalysisArgs,
    args: &ReportArgs,
    seeds: Seeds,
    tables: Vec<Tables>,
    scale: (usize, Option<usize>),
    stdout: &mut dyn Write,
) -> Result<ExitStatus> {
    let opts = score_options(input, analysis)?;
    let (_dir, (source, mut files, geoip)) = into_parts(input, tables, scale)?;
    let checksums = report::Checksums::start(&files);
    let phase = phase_timer(input);
    crate::parts::hunt(
        source,
        &mut files,
        (&opts, mib(scale.0)),
        seeds,
        &phase,
        |frame, investigator, findings, files| {
            let report = report::build(
                frame,
                investigator,
                findings,
                report::MethodInput {
                    geoip: &geoip,
                    config: opts.config.path.as_ref().map(|p| p.display().to_string()),
                    baseline_until: opts.baseline_until,
                    window: window(input)?,
                    checksums,
                },
            )?;
            deliver(&report, args, files, input.strict, stdout)
        },
    )
}

/// What is read into parts: the parts, what was read of each input, the GeoIP databases
/// used.
type IntoParts = (crate::parts::PartSource, Vec<FileReport>, Vec<String>);

/// Raw logs into parts in `dir`, read as `ingest` reads them (`scale`: the budget in
/// bytes, and the parts if forced): each part made whole when the first pass comes to it.
fn logs_into_parts(
    input: &InputArgs,
    scale: (u64, Option<usize>),
    dir: &std::path::Path,
) -> Result<IntoParts> {
    let (budget, parts) = scale;
    let mut geoip = Vec::new();
    let (files, drain) = read_raw(
        input,
        Keep::scored(),
        "read",
        |inputs, opts, bar, geo| {
            geoip = geo.map(|g| g.loaded.clone()).unwrap_or_default();
            let bytes: u64 = inputs.iter().map(Input::size_as_read).sum();
            let parts = parts.unwrap_or_else(|| crate::parts::parts_for(bytes, budget));
            // The pieces of parts held up to a quarter of the budget (the other three
            // quarters are the part being scored's), the others waiting on disk.
            let held = crate::parts::run_bytes(budget as usize);
            let spill = dir.join("spill");
            crate::ingest::ingest_into_parts(inputs, opts, bar, geo, (held, parts), spill)
        },
        |(files, _)| files,
    )?;
    let source = crate::parts::PartSource::Drained {
        drain,
        dir: dir.join("parts"),
    };
    Ok((source, files, geoip))
}

/// The Parquet tables `ingest` wrote into parts in `dir`: each table a row group at a
/// time, as `hunt` reads them in memory (`read_events_keeping`), one after the other.
fn tables_into_parts(
    input: &InputArgs,
    tables: Vec<Tables>,
    scale: (u64, Option<usize>),
    dir: &std::path::Path,
) -> Result<IntoParts> {
    use crate::parts::{PartWriter, parts_for, run_bytes};
    let (budget, parts) = scale;
    let tables = only_tables(tables)?;
    messages::set_quiet(input.quiet);
    let unread = unread(Keep::scored());
    let reader = scored_tables(input, &unread)?;
    let (tables, not_read) = reader.to_open(tables);
    // Every table's columns first (footers only): every piece gets the layout of all.
    let mut columns = Vec::new();
    let mut bytes = 0;
    for path in &tables {
        let (empty, size) = reader.columns(path)?;
        columns.push(empty);
        bytes += size;
    }
    if columns.is_empty() {
        columns.push(reader.nothing()?);
    }
    let layout = table_layout(input, true, columns.iter().map(|c| c.schema().as_ref()))?;
    let parts = parts.unwrap_or_else(|| parts_for(bytes, budget));
    let mut writer =
        PartWriter::new(dir.join("parts"), parts, run_bytes(budget as usize)).without_repacking();
    let first = layout.apply(columns.swap_remove(0))?;
    drop(columns);
    crate::ingest::HourWriter::start(&mut writer, first.schema())?;
    let mut files = Vec::new();
    for path in &tables {
        files.push(reader.read(path, &mut |df| writer.push(layout.apply(df)?))?);
    }
    report_window(&files, not_read);
    let parts = crate::parts::PartSource::Written(writer.finish()?);
    Ok((parts, files, layout.geoip()))
}

/// A hunt's report to its output, and the exit status it makes.
fn deliver(
    report: &report::Report,
    args: &ReportArgs,
    files: &[FileReport],
    strict: bool,
    stdout: &mut dyn Write,
) -> Result<ExitStatus> {
    let color = args.output.is_none() && report::terminal::use_color();
    let write = |out: &mut dyn Write| match args.format {
        ReportFormat::Table => report::terminal::write(out, report, args.limit, color),
        ReportFormat::Json => report::write_json(out, report),
        ReportFormat::Md => report::markdown::write(out, report),
        ReportFormat::Html => report::html::write(out, report),
        ReportFormat::Csv => report::timeline::write_csv(out, report),
        ReportFormat::Jsonl => report::timeline::write_jsonl(out, report),
    };
    match &args.output {
        Some(path) => {
            crate::output::write_atomically(path, |f| Ok(write(f)?))?;
            messages::warn(format!(
                "wrote {} findings to {}",
                report.findings.len(),
                path.display()
            ));
        }
        None => write(stdout).map_err(stdout_error)?,
    }
    if let Some(level) = args.fail_on
        && report.findings.iter().any(|f| f.severity >= level)
    {
        return Ok(ExitStatus::Findings);
    }
    Ok(exit_status(files, strict))
}

/// Raw logs, or the Parquet event tables `ingest` wrote (every input must then be one).
pub fn read_events(args: &InputArgs) -> Result<Ingested> {
    read_events_keeping(args, Keep::default())
}

/// [`read_events`] for a command that reads only some text columns of raw logs (the
/// others are all null; see `FrameBuilder::keeping`). Parquet tables are read whole.
pub fn read_events_keeping(args: &InputArgs, keep: Keep) -> Result<Ingested> {
    read_events_of(args, keep, tables_of(args)?)
}

/// The Parquet tables each input path names (`None`: raw logs).
type Tables = Option<Vec<std::path::PathBuf>>;

/// [`Tables`] of every input path.
fn tables_of(args: &InputArgs) -> Result<Vec<Tables>> {
    args.paths.iter().map(|p| parquet_files(p)).collect()
}

/// Every path's tables, when every path names tables (raw logs and tables are not read
/// together).
fn only_tables(tables: Vec<Tables>) -> Result<Vec<std::path::PathBuf>> {
    if tables.iter().any(Option::is_none) {
        return Err(Error::Usage(
            "give either raw logs or Parquet files written by `tokentrail ingest`, not both".into(),
        ));
    }
    Ok(tables.into_iter().flatten().flatten().collect())
}

/// [`read_events_keeping`] of inputs whose tables are known.
fn read_events_of(args: &InputArgs, keep: Keep, tables: Vec<Tables>) -> Result<Ingested> {
    if tables.iter().all(Option::is_none) {
        return read_inputs_keeping(args, keep);
    }
    read_tables_without(args, tables, None, &unread(keep), keep.attributable_only)
}

/// How `hunt` and `timeline` read tables by parts: what they keep of raw logs
/// (`Keep::scored`; `unread`: its [`unread`] columns), as `read_events_keeping` reads them.
fn scored_tables<'a>(input: &InputArgs, unread: &'a [&'a str]) -> Result<TableReader<'a>> {
    Ok(TableReader {
        window: window(input)?,
        only: None,
        unread,
        attributable_only: Keep::scored().attributable_only,
    })
}

/// Text columns a command would not keep from raw logs: not read from tables either,
/// they are null, as in its raw-log frame.
fn unread(keep: Keep) -> Vec<&'static str> {
    match keep.columns {
        None => Vec::new(),
        Some(kept) => crate::frame::FrameBuilder::CHOSEN
            .iter()
            .chain([&crate::enrich::enriched::ROUTE])
            .copied()
            .filter(|c| !kept.contains(c) && !crate::ingest::READ_BY_INGEST.contains(c))
            .collect(),
    }
}

/// The Parquet tables `ingest` wrote, whole, or only the columns `only` names (no
/// enrichment then: a command that names its columns reads none of it).
fn read_tables(args: &InputArgs, tables: Vec<Tables>, only: Option<&[&str]>) -> Result<Ingested> {
    read_tables_without(args, tables, only, &[], false)
}

/// [`read_tables`], with the text columns `unread` null instead of read, and only the
/// events with a credential or a principal when `attributable_only` (what `hunt` reads).
fn read_tables_without(
    args: &InputArgs,
    tables: Vec<Tables>,
    only: Option<&[&str]>,
    unread: &[&str],
    attributable_only: bool,
) -> Result<Ingested> {
    let tables = only_tables(tables)?;
    messages::set_quiet(args.quiet);
    let reader = TableReader {
        window: window(args)?,
        only,
        unread,
        attributable_only,
    };
    let (tables, not_read) = reader.to_open(tables);
    let mut pieces = Vec::new();
    let mut files = Vec::new();
    for path in &tables {
        files.push(reader.read(path, &mut |df| {
            pieces.push(df);
            Ok(())
        })?);
    }
    report_window(&files, not_read);
    if pieces.is_empty() {
        // Every table was outside the window: no event, in the frame every command reads.
        pieces.push(reader.nothing()?);
    }
    let layout = table_layout(
        args,
        only.is_none(),
        pieces.iter().map(|p| p.schema().as_ref()),
    )?;
    let mut frame: Option<DataFrame> = None;
    for piece in pieces {
        let piece = layout.apply(piece)?;
        match frame.as_mut() {
            None => frame = Some(piece),
            Some(all) => {
                all.vstack_mut_owned(piece)?;
            }
        }
    }
    let frame = crate::tables::in_time_order(frame.unwrap_or_default())?;
    Ok(Ingested {
        frame,
        files,
        geoip: layout.geoip(),
    })
}

/// The layout every piece read of tables gets (`tables::TableLayout`), from the pieces'
/// columns.
fn table_layout<'a>(
    args: &InputArgs,
    all_columns: bool,
    schemas: impl Iterator<Item = &'a polars::prelude::Schema> + Clone,
) -> Result<TableLayout> {
    let config = Config::load(args.config.as_deref())?;
    TableLayout::of(
        schemas,
        all_columns,
        args.geoip.as_deref(),
        real_ip_from(args, &config)?,
    )
}

/// `stats` and `ingest` read raw logs: a Parquet table or dataset given to them is one
/// clear usage error, not a message per file.
fn refuse_tables(command: &str, args: &InputArgs) -> Result<()> {
    for path in &args.paths {
        // A folder holding tables among logs is read as logs: each table is then one
        // message, and the logs are read.
        if matches!(parquet_files(path), Ok(Some(_))) {
            return Err(Error::Usage(format!(
                "{}: Parquet tables written by `ingest`; `{command}` reads raw logs (hunt, timeline, credentials and secrets read tables)",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Score the events of an ingested frame.
pub fn score_options(input: &InputArgs, args: &AnalysisArgs) -> Result<ScoreOptions> {
    let read = window(input)?;
    // A learning span outside what is read teaches nothing, or judges nothing: said, not
    // refused (the run still scores each event against the history before it).
    if let Some(until) = args.baseline_until {
        messages::set_quiet(input.quiet);
        if read.since.is_some_and(|s| until <= s) {
            messages::warn(
                "--baseline-until is not after --since: no event read teaches the baselines",
            );
        } else if read.until.is_some_and(|u| until >= u) {
            messages::warn(
                "--baseline-until is not before --until: every event read only teaches, none is judged",
            );
        }
    }
    Ok(ScoreOptions {
        baseline_until: args.baseline_until,
        config: Config::load(input.config.as_deref())?,
    })
}

/// A failed write of results, named `<stdout>` in the message.
pub fn stdout_error(source: std::io::Error) -> Error {
    Error::Io {
        path: "<stdout>".into(),
        source,
    }
}

/// Discover, open and parse every input, and tell the user on stderr what went wrong
/// with which file and line.
pub fn read_inputs(args: &InputArgs) -> Result<Ingested> {
    read_inputs_keeping(args, Keep::default())
}

fn read_inputs_keeping(args: &InputArgs, keep: Keep) -> Result<Ingested> {
    read_raw(args, keep, "ingest and enrich", ingest, |i| &i.files)
}

/// `credentials` and `secrets`: every credential of the inputs, tallied as raw logs are
/// read (no frame is built), or from the Parquet tables `ingest` wrote.
fn read_tally(
    args: &InputArgs,
    by: crate::credentials::By,
) -> Result<(crate::credentials::Tally, Vec<FileReport>)> {
    let tables = tables_of(args)?;
    if tables.iter().any(Option::is_some) {
        let columns = crate::credentials::Tally::frame_columns();
        let ingested = read_tables(args, tables, Some(&columns))?;
        let phase = phase_timer(args);
        let tally = crate::credentials::Tally::from_frame(&ingested.frame, by)?;
        phase("tally");
        return Ok((tally, ingested.files));
    }
    let keep = Keep::columns(crate::credentials::COLUMNS);
    read_raw(
        args,
        keep,
        "read and tally",
        |inputs, opts, bar, _| {
            remove_stale_key_spills();
            let run = crate::credentials::tally::Accumulator::summarising(by);
            crate::ingest::tally(inputs, opts, bar, run)
        },
        |(_, files): &(_, Vec<FileReport>)| files.as_slice(),
    )
}

/// Discover and open the inputs, read them with `read`, and tell the user on stderr what
/// went wrong with which file and line.
fn read_raw<T, E: Into<Error>>(
    args: &InputArgs,
    keep: Keep,
    phase: &str,
    read: impl FnOnce(
        &[Input],
        &IngestOptions,
        &indicatif::ProgressBar,
        Option<&enrich::GeoDatabases>,
    ) -> std::result::Result<T, E>,
    files_of: impl Fn(&T) -> &[FileReport],
) -> Result<T> {
    messages::set_quiet(args.quiet);
    let config = Config::load(args.config.as_deref())?;
    let mut secret_params = args.secret_param.clone();
    secret_params.extend(config.input.secret_params.iter().cloned());
    tokentrail_parsers::secret::add_secret_params(&secret_params);
    if let Some(n) = args.threads {
        // Fails only if the pool was built already (tests calling in twice): keep that one.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let inputs = discover(&args.paths)?;
    let total: u64 = inputs
        .iter()
        .filter_map(|i| match i {
            Input::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            Input::Stdin | Input::Unreadable(..) | Input::Duplicate(..) => None,
        })
        .sum();
    let bar = progress::bytes_bar(total, args.quiet);
    let opts = IngestOptions {
        source: args.source,
        chunk_bytes: args.chunk_bytes,
        key_memory: args.key_memory,
        max_line_bytes: args.max_line_bytes,
        max_document_bytes: args.max_document_bytes,
        max_gzip_ratio: args.max_gzip_ratio,
        map: (!args.no_mmap).then_some(MapRule {
            from_bytes: args.mmap_from,
            quiet_for: std::time::Duration::from_secs(args.mmap_quiet_for),
        }),
        nginx_formats: nginx_formats(args, &config)?,
        real_ip_from: real_ip_from(args, &config)?,
        local_zone: local_zone(args, &config)?,
        columns: keep.columns,
        attributable_only: keep.attributable_only,
        window: window(args)?,
    };
    // Open the databases first: a wrong --geoip should fail before minutes of parsing.
    let geo = match &args.geoip {
        Some(dir) => Some(enrich::GeoDatabases::open_dir(dir).map_err(Error::GeoIp)?),
        None => None,
    };
    let timed = phase_timer(args);
    let read = read(&inputs, &opts, &bar, geo.as_ref()).map_err(Into::into)?;
    timed(phase);
    bar.finish_and_clear();
    for f in files_of(&read) {
        report_problems(f, args.strict);
    }
    report_window(files_of(&read), 0);
    Ok(read)
}

/// `--since` and `--until`, checked.
fn window(args: &InputArgs) -> Result<TimeWindow> {
    TimeWindow::new(args.since, args.until).map_err(Error::Usage)
}

/// What `--since`/`--until` left out, on stderr: the events of the inputs outside the
/// window, and the dataset tables whose day is outside it (not opened).
fn report_window(files: &[FileReport], tables_not_read: usize) {
    let outside: u64 = files.iter().map(|f| f.outside_window).sum();
    if outside > 0 {
        messages::warn(format!(
            "{outside} events outside --since/--until were not kept"
        ));
    }
    let before = files
        .iter()
        .filter(|f| f.detection == crate::ingest::BEFORE_WINDOW)
        .count();
    if before > 0 {
        messages::warn(format!(
            "{before} CloudTrail files delivered before --since were not read (their events happened before it)"
        ));
    }
    if tables_not_read > 0 {
        messages::warn(format!(
            "{tables_not_read} tables of days outside --since/--until were not read"
        ));
    }
}

/// Where a setting came from, for its error message: the option, or the config file.
fn setting_origin(option: &str, config: &Config, from_config: bool) -> String {
    match (&config.path, from_config) {
        (Some(path), true) => format!("{}: [input] {}", path.display(), option.replace('-', "_")),
        _ => format!("--{option}"),
    }
}

/// `--real-ip-from` and `[input] real_ip_from`: the trusted proxies, parsed.
fn real_ip_from(args: &InputArgs, config: &Config) -> Result<Vec<crate::config::Cidr>> {
    let given = args.real_ip_from.iter().map(|c| (c, false));
    let kept = config.input.real_ip_from.iter().map(|c| (c, true));
    given
        .chain(kept)
        .map(|(c, from_config)| {
            crate::config::Cidr::parse(c).ok_or_else(|| {
                let origin = setting_origin("real-ip-from", config, from_config);
                Error::Usage(format!("{origin}: `{c}` is not an address or CIDR"))
            })
        })
        .collect()
}

/// `--tz` (else `[input] tz`): the zone of times logged without one.
fn local_zone(args: &InputArgs, config: &Config) -> Result<Option<crate::timezone::LocalZone>> {
    let (text, from_config) = match (&args.tz, &config.input.tz) {
        (Some(t), _) => (t, false),
        (None, Some(t)) => (t, true),
        (None, None) => return Ok(None),
    };
    crate::timezone::LocalZone::parse(text)
        .map(Some)
        .map_err(|e| {
            Error::Usage(format!(
                "{}: {e}",
                setting_origin("tz", config, from_config)
            ))
        })
}

/// The user's nginx `log_format`s, compiled. They live for the whole run (the parsers
/// of the registry are statics too), so they are leaked once.
fn nginx_formats(args: &InputArgs, config: &Config) -> Result<Vec<&'static LogFormat>> {
    let mut formats = Vec::new();
    let kept = &config.input;
    let log_format = args
        .nginx_log_format
        .as_ref()
        .or(kept.nginx_log_format.as_ref());
    let nginx_conf = args.nginx_conf.as_ref().or(kept.nginx_conf.as_ref());
    let log_format_name = args
        .log_format_name
        .as_ref()
        .or(kept.log_format_name.as_ref());
    if log_format_name.is_some() && nginx_conf.is_none() {
        return Err(Error::Usage(
            "--log-format-name picks a log_format of --nginx-conf: give --nginx-conf too".into(),
        ));
    }
    if let Some(text) = log_format {
        let (escape, format) = match text.strip_prefix("escape=json ") {
            Some(rest) => (Escape::Json, rest),
            None => (Escape::Default, text.as_str()),
        };
        formats
            .push(LogFormat::compile("--nginx-log-format", format, escape).map_err(Error::Usage)?);
    }
    if let Some(conf) = nginx_conf {
        let read = |p: &std::path::Path| {
            std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
        };
        let mut found = formats_from_conf(conf, &read).map_err(Error::Usage)?;
        if let Some(name) = log_format_name {
            found.retain(|f| &f.name == name);
            if found.is_empty() {
                return Err(Error::Usage(format!(
                    "{}: no log_format named {name}",
                    conf.display()
                )));
            }
        }
        if found.is_empty() {
            messages::warn(format!("{}: no log_format directive", conf.display()));
        }
        formats.extend(found);
    }
    let mut prefixes: Vec<String> = args
        .token_prefix_field
        .iter()
        .chain(&kept.token_prefix_fields)
        .map(|v| v.trim_start_matches('$').to_ascii_lowercase())
        .collect();
    prefixes.dedup();
    if !prefixes.is_empty() && formats.is_empty() {
        return Err(Error::Usage(
            "--token-prefix-field names a variable of your log_format: give --nginx-log-format or --nginx-conf".into(),
        ));
    }
    for f in &mut formats {
        f.set_prefix_fields(prefixes.clone());
    }
    Ok(formats
        .into_iter()
        .map(|f| &*Box::leak(Box::new(f)))
        .collect())
}

fn report_problems(f: &FileReport, strict: bool) {
    for p in &f.problems {
        let msg = format!("{}: {}", f.file, p.message);
        if p.kind.loses_data() || (strict && p.kind.fails_strict()) {
            messages::error(msg);
        } else {
            messages::warn(msg);
        }
    }
    let say = |m: String| {
        if strict {
            messages::error(m)
        } else {
            messages::warn(m)
        }
    };
    for ex in &f.malformed_examples {
        // Line 0: a fault of the document as a whole (a cut or broken JSON structure).
        let mut at = match ex.line {
            0 => f.file.clone(),
            line => format!("{}:{line}", f.file),
        };
        if let Some(i) = ex.record_index {
            at.push_str(&format!(" (record {i})"));
        }
        let mut msg = format!("{at}: {}", ex.reason);
        if ex.line > 0 {
            msg.push_str(&format!(" at byte {}", ex.byte));
        }
        if !ex.excerpt.is_empty() {
            msg.push_str(&format!(": {}", ex.excerpt));
        }
        say(msg);
    }
    if f.malformed > 0 {
        let reasons: Vec<String> = f
            .malformed_by_reason
            .iter()
            .map(|(r, n)| format!("{r}: {n}"))
            .collect();
        say(format!(
            "{}: {} of {} records malformed ({})",
            f.file,
            f.malformed,
            f.records,
            reasons.join(", ")
        ));
    }
}

/// The exit status a completed run earns from its inputs.
pub fn exit_status(files: &[FileReport], strict: bool) -> ExitStatus {
    let lost = files
        .iter()
        .any(|f| f.problems.iter().any(|p| p.kind.loses_data()));
    let strict_fail = strict
        && files
            .iter()
            .any(|f| f.malformed > 0 || f.problems.iter().any(|p| p.kind.fails_strict()));
    if lost || strict_fail {
        ExitStatus::InputProblems
    } else {
        ExitStatus::Success
    }
}

//! The Markdown report: a post-mortem draft that reads well rendered on a code host.
//! Sentences are generated from the findings; every claim links to its evidence (file and
//! line or record). No time of the run appears, so the same input gives the same bytes.

use std::fmt::Write as _;
use std::io::Write;

use super::{FindingJson, NO_REASON, Phase, Report, count_of};
use crate::score::signals::human_bytes;
use crate::score_report::{ScoredEvent, short_time};

/// Rows shown per phase; the JSON has all of them.
const ROWS_PER_PHASE: usize = 25;

/// `|` and newlines would break a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn code(text: &str) -> String {
    format!("`{}`", text.replace('`', "'"))
}

/// `file:line` or `file record N`, as inline code.
fn evidence(e: &ScoredEvent) -> String {
    code(&e.locator_text())
}

fn list(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// `one` for a count of 1, else `many` with the count in place of `{}`.
fn counted(n: impl Into<u64>, one: &str, many: &str) -> String {
    match n.into() {
        1 => one.to_string(),
        n => many.replacen("{}", &n.to_string(), 1),
    }
}

/// What happened, in sentences generated from the finding.
pub fn summary(f: &FindingJson) -> String {
    let c = &f.credential;
    let mut s = String::new();
    let who = match &c.principal {
        Some(p) => format!(
            "{} ({}, of {})",
            code(&c.id),
            c.kind.as_deref().unwrap_or("credential"),
            code(p)
        ),
        None => format!(
            "{} ({})",
            code(&c.id),
            c.kind.as_deref().unwrap_or("credential")
        ),
    };
    let Some(first) = &f.first_suspicious else {
        let _ = write!(s, "{who} has no suspicious call.");
        return s;
    };
    let _ = write!(
        s,
        "{who} was used by someone other than its owner from {} UTC to {} UTC. ",
        short_time(&first.ts),
        f.compromise_window
            .last_seen
            .as_deref()
            .map(short_time)
            .unwrap_or_default()
    );
    let _ = write!(
        s,
        "The first suspicious call was {} from {} ({}).",
        code(first.action.unwrap_or("?")),
        first.src_ip.unwrap_or("?"),
        match first.reasons.is_empty() {
            true => f.unscored_reason(first).to_string(),
            false => first
                .reasons
                .iter()
                .map(|r| r.value.clone())
                .collect::<Vec<_>>()
                .join("; "),
        }
    );
    if let Some((_, probe)) = f.phases.iter().find(|(p, _)| *p == Phase::Probe)
        && let Some((_, next)) = f.phases.iter().find(|(p, _)| *p != Phase::Probe)
    {
        let burst = &f.events[next[0]];
        let days = (burst.ts_ns - first.ts_ns) as f64 / 86_400e9;
        let _ = write!(
            s,
            " It was a quiet probe ({} call{}) {:.1} days before the attack proper began at {} UTC.",
            probe.len(),
            if probe.len() == 1 { "" } else { "s" },
            days,
            short_time(&burst.ts)
        );
    }
    let _ = match f.events.len() {
        1 => write!(s, " In all 1 event is attributed to the attacker"),
        n => write!(s, " In all {n} events are attributed to the attacker"),
    };
    if !f.attacker.ips.is_empty() {
        let _ = write!(s, ", from {}", list(&f.attacker.ips));
    }
    if !f.attacker.countries.is_empty() {
        let _ = write!(s, " ({})", f.attacker.countries.join(", "));
    }
    s.push('.');
    let b = &f.blast_radius;
    let mut did = Vec::new();
    let count = |k: &str| b.actions.get(k).copied().unwrap_or(0);
    if count("enumeration") + count("identity_check") > 0 {
        did.push(counted(
            count("enumeration") + count("identity_check"),
            "made one reconnaissance call",
            "made {} reconnaissance calls",
        ));
    }
    if count("data_access") > 0 {
        did.push(format!(
            "{} ({} out)",
            counted(count("data_access"), "read data once", "read data {} times"),
            human_bytes(b.bytes_out)
        ));
    }
    if !f.child_credentials.is_empty() {
        let ids: Vec<String> = f.child_credentials.iter().map(|c| code(&c.id)).collect();
        did.push(format!("created {}", list(&ids)));
    }
    if count("privilege_change") > 0 {
        did.push(counted(
            count("privilege_change"),
            "changed privileges once",
            "changed privileges {} times",
        ));
    }
    if count("evasion") > 0 {
        did.push(counted(
            count("evasion"),
            "tried once to blind the defenders",
            "tried to blind the defenders {} times",
        ));
    }
    if b.failed > 0 {
        did.push(counted(
            b.failed,
            "were refused once",
            "were refused {} times",
        ));
    }
    if !did.is_empty() {
        let _ = write!(s, " They {}.", list(&did));
    }
    if let Some(good) = &f.compromise_window.last_known_good {
        let _ = write!(
            s,
            " The last normal use was at {} UTC from {} ({}).",
            short_time(&good.ts),
            good.src_ip.unwrap_or("?"),
            evidence(good)
        );
    }
    s
}

fn event_row(out: &mut String, e: &ScoredEvent) {
    let why = e
        .top_reason()
        .map(|r| format!("{}: {}", r.signal, r.value))
        .unwrap_or_else(|| NO_REASON.into());
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        short_time(&e.ts),
        e.source.unwrap_or(""),
        cell(e.credential_id.or(e.principal).unwrap_or("")),
        cell(e.action.unwrap_or("")),
        cell(e.target.unwrap_or("")),
        e.src_ip.unwrap_or(""),
        e.outcome.unwrap_or(""),
        cell(&why),
        evidence(e),
    );
}

fn finding(out: &mut String, n: usize, f: &FindingJson, same_as: Option<usize>) {
    let c = &f.credential;
    let _ = writeln!(
        out,
        "## {n}. {} — {} (score {})\n",
        code(&c.id),
        f.severity.as_str(),
        f.score
    );
    let _ = writeln!(out, "{}\n", summary(f));
    let _ = writeln!(out, "### Compromise window\n");
    let _ = writeln!(out, "| | time (UTC) | call | from | evidence |");
    let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
    let row = |out: &mut String, label: &str, e: &ScoredEvent| {
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} | {} |",
            short_time(&e.ts),
            cell(e.action.unwrap_or("")),
            e.src_ip.unwrap_or(""),
            evidence(e)
        );
    };
    if let Some(g) = &f.compromise_window.last_known_good {
        row(out, "last known good", g);
    }
    if let Some(first) = &f.first_suspicious {
        row(out, "**first suspicious**", first);
    }
    if let Some(last) = f.events.last() {
        row(out, "last seen", last);
    }
    if let Some(first) = &f.first_suspicious {
        let _ = writeln!(out, "\n### Why the first suspicious call is suspicious\n");
        for r in first.reasons {
            let _ = writeln!(
                out,
                "- **{}** (+{}): {} — baseline: {}",
                r.signal, r.weight, r.value, r.baseline
            );
        }
        if first.reasons.is_empty() {
            let _ = writeln!(
                out,
                "- {} (no signal of its own)",
                match f.unscored_reason(first) {
                    NO_REASON => "from a network the attacker used",
                    why => why,
                }
            );
        }
    }
    let _ = writeln!(out, "\n### Timeline by phase\n");
    let _ = writeln!(out, "| phase | events | from (UTC) | to (UTC) |");
    let _ = writeln!(out, "| --- | --- | --- | --- |");
    for (p, evs) in &f.phases {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            p.as_str(),
            evs.len(),
            short_time(&f.events[evs[0]].ts),
            short_time(&f.events[*evs.last().unwrap_or(&evs[0])].ts)
        );
    }
    if let Some(same) = same_as {
        let _ = writeln!(
            out,
            "\nThe attacker's events are the same as in finding {same}: see its timeline."
        );
    }
    for (p, evs) in f.phases.iter().filter(|_| same_as.is_none()) {
        let _ = writeln!(
            out,
            "\n#### {} ({})\n",
            p.as_str(),
            count_of(evs.len(), "event")
        );
        let _ = writeln!(
            out,
            "| time (UTC) | source | credential | action | target | src_ip | outcome | why | evidence |"
        );
        let _ = writeln!(
            out,
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
        );
        for &k in evs.iter().take(ROWS_PER_PHASE) {
            event_row(out, &f.events[k]);
        }
        if evs.len() > ROWS_PER_PHASE {
            let _ = writeln!(
                out,
                "\n*… and {} more in this phase (all of them are in the JSON report).*",
                evs.len() - ROWS_PER_PHASE
            );
        }
    }
    let a = &f.attacker;
    let _ = writeln!(out, "\n### Indicators\n");
    let line = |out: &mut String, label: &str, items: Vec<String>| {
        if !items.is_empty() {
            let _ = writeln!(out, "- {label}: {}", items.join(", "));
        }
    };
    line(out, "IP addresses", a.ips.iter().map(|x| code(x)).collect());
    line(
        out,
        "networks",
        a.networks.iter().map(|x| code(x)).collect(),
    );
    line(
        out,
        "ASNs",
        a.asns.iter().map(|x| format!("AS{x}")).collect(),
    );
    line(out, "countries", a.countries.clone());
    line(
        out,
        "user agents",
        a.user_agents.iter().map(|x| code(x)).collect(),
    );
    let mut creds = vec![code(&c.id)];
    creds.extend(f.child_credentials.iter().map(|x| code(&x.id)));
    line(out, "credentials", creds);
    if !f.child_credentials.is_empty() || !f.related_credentials.is_empty() {
        let _ = writeln!(out, "\n### Child and related credentials\n");
        for ch in &f.child_credentials {
            let _ = writeln!(
                out,
                "- {} ({}) created at {} UTC by {}{}",
                code(&ch.id),
                ch.kind.as_deref().unwrap_or("?"),
                short_time(&ch.created_at),
                code(ch.created_by_action.as_deref().unwrap_or("?")),
                if ch.inferred {
                    " — inferred: the log does not name the new token; it was first used from the attacker's network within the hour"
                } else {
                    ""
                }
            );
        }
        for r in &f.related_credentials {
            let _ = writeln!(out, "- {}: {}", code(&r.id), r.why);
        }
    }
    let b = &f.blast_radius;
    let _ = writeln!(out, "\n### Blast radius\n");
    let classes: Vec<String> = b
        .actions
        .iter()
        .map(|(k, v)| format!("{} {v}", k.replace('_', " ")))
        .collect();
    let _ = writeln!(out, "- calls by kind: {}", classes.join(", "));
    let _ = writeln!(out, "- refused or failed: {}", b.failed);
    let _ = writeln!(out, "- bytes out: {}", human_bytes(b.bytes_out));
    if !b.new_targets.is_empty() {
        let shown: Vec<String> = b.new_targets.iter().take(20).map(|x| code(x)).collect();
        let more = b.new_targets.len().saturating_sub(shown.len());
        let _ = writeln!(
            out,
            "- never touched before by this credential: {}{}",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    out.push('\n');
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# tokentrail investigation report\n");
    let _ = writeln!(
        out,
        "tokentrail {} · report format {} · {} · {}\n",
        report.tokentrail_version,
        report.report_version,
        count_of(report.inputs.len(), "input"),
        count_of(report.findings.len(), "finding"),
    );
    let _ = writeln!(out, "## Summary\n");
    if report.findings.is_empty() {
        let _ = writeln!(
            out,
            "No compromised credential was found: no event scored {} or more.\n",
            report.method.suspicious_threshold
        );
    }
    for (n, f) in report.findings.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. **{}** — {}",
            n + 1,
            f.severity.as_str(),
            summary(f)
        );
    }
    out.push('\n');
    for (n, f) in report.findings.iter().enumerate() {
        finding(&mut out, n + 1, f, f.same_events_as);
    }
    let _ = writeln!(out, "## Inputs\n");
    let _ = writeln!(out, "| file | source | events | malformed | sha256 |");
    let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
    for i in &report.inputs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            code(&i.file),
            i.source.unwrap_or("-"),
            i.events,
            i.malformed,
            i.sha256.as_deref().map(code).unwrap_or_else(|| "-".into())
        );
    }
    let m = &report.method;
    let _ = writeln!(out, "\n## Method\n");
    let _ = writeln!(
        out,
        "Each event was scored against its own credential's history (docs/detections.md); \
         events scoring {} or more are suspicious and seed the investigation \
         (docs/investigation.md).\n",
        m.suspicious_threshold
    );
    let _ = writeln!(out, "- signals: {}", m.signals.join(", "));
    let geo = if m.geoip.is_empty() {
        "none (address classes and prefixes only)".to_string()
    } else {
        m.geoip.join("; ")
    };
    let _ = writeln!(out, "- GeoIP databases: {geo}");
    let _ = writeln!(
        out,
        "- allowlists: {}",
        m.config.as_deref().unwrap_or("none")
    );
    if let Some(b) = &m.baseline_until {
        let _ = writeln!(out, "- baselines learned until {b}");
    }
    if let Some(window) = window_text(m) {
        let _ = writeln!(out, "- {window}");
    }
    let _ = writeln!(
        out,
        "- secrets are shown as keyed fingerprints (a long token's first 14 characters, `…` and 12 hex digits of a keyed hash), never in clear"
    );
    out
}

/// What `--since`/`--until` kept, in words; `None` when every event was read.
pub(crate) fn window_text(m: &super::Method) -> Option<String> {
    match (&m.since, &m.until) {
        (None, None) => None,
        (Some(s), None) => Some(format!("events read from {s} on (--since)")),
        (None, Some(u)) => Some(format!("events read before {u} only (--until)")),
        (Some(s), Some(u)) => Some(format!("events read from {s} until {u} (--since, --until)")),
    }
}

pub fn write(out: &mut dyn Write, report: &Report) -> std::io::Result<()> {
    out.write_all(render(report).as_bytes())
}

//! The terminal view of an investigation: a headline per finding, then the attacker's
//! timeline. Colour only on a terminal, never with `NO_COLOR`; the table fits 100 columns
//! by shortening long values with `…` (the JSON and Markdown keep them whole; `✗` marks a
//! failed or denied call).

use std::io::Write;

use super::Report;
use crate::score::{SUSPICIOUS, Severity};
use comfy_table::{ContentArrangement, Table, presets};

use crate::score_report::short_time;

/// Whether to colour: standard output is a terminal and `NO_COLOR` is not set.
pub fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::IsTerminal::is_terminal(&std::io::stdout())
}

fn paint(text: &str, severity: Severity, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    let code = match severity {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// What the target adds to the action: an HTTP target repeats the path, so only its
/// query is shown.
fn target_beyond_action<'e>(e: &'e crate::score_report::ScoredEvent<'e>) -> &'e str {
    let target = e.target.unwrap_or("");
    let path = e.action.and_then(|a| a.split_once(' ')).map(|(_, p)| p);
    match path.and_then(|p| target.strip_prefix(p)) {
        Some(rest) => rest,
        None => target,
    }
}

/// A credential in `width` columns (17 at least): a fingerprint keeps 4 leading
/// characters and its whole hash (`tt_l…6f442599a534`), anything else is shortened.
pub fn compact_credential(id: &str, width: usize) -> String {
    match id.split_once('…') {
        Some((shown, hash)) => format!("{}…{hash}", shown.chars().take(4).collect::<String>()),
        None => shorten(id, width),
    }
}

/// Short source names for the terminal table.
fn source_abbrev(source: &str) -> &str {
    match source {
        "cloudtrail" => "aws",
        "okta_system_log" => "okta",
        "entra_signin" => "entra",
        "nginx_json" => "nginx",
        other => other,
    }
}

/// At most `n` characters, with an ellipsis when cut.
pub fn shorten(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        return text.to_string();
    }
    let mut s: String = text.chars().take(n.saturating_sub(1)).collect();
    s.push('…');
    s
}

pub fn write(
    out: &mut dyn Write,
    report: &Report,
    limit: usize,
    color: bool,
) -> std::io::Result<()> {
    // A finding, or the lack of one, holds for the span read only.
    if let Some(window) = super::markdown::window_text(&report.method) {
        writeln!(out, "Only {window}.")?;
    }
    if report.findings.is_empty() {
        writeln!(
            out,
            "No compromised credential found: no event scored {SUSPICIOUS}+ (see `tokentrail score`)."
        )?;
        return Ok(());
    }
    for (n, f) in report.findings.iter().enumerate() {
        let c = &f.credential;
        writeln!(
            out,
            "{}. {} {} ({}){} score {}",
            n + 1,
            paint(&f.severity.as_str().to_uppercase(), f.severity, color),
            c.id,
            c.kind.as_deref().unwrap_or("?"),
            c.principal
                .as_deref()
                .map(|p| format!(" of {p}"))
                .unwrap_or_default(),
            f.score
        )?;
        if let Some(first) = &f.first_suspicious {
            let mut reasons: Vec<&str> = first.reasons.iter().map(|r| r.signal).collect();
            if reasons.is_empty() {
                // Attributed for its network alone, as the event tables say.
                reasons.push(f.unscored_reason(first));
            }
            writeln!(
                out,
                "   first suspicious: {} UTC {} from {} ({}) at {}",
                short_time(&first.ts),
                first.action.unwrap_or("?"),
                first.src_ip.unwrap_or("?"),
                reasons.join(", "),
                first.locator_text()
            )?;
        }
        if let Some(good) = &f.compromise_window.last_known_good {
            writeln!(
                out,
                "   last known good:  {} UTC {} from {} at {}",
                short_time(&good.ts),
                good.action.unwrap_or("?"),
                good.src_ip.unwrap_or("?"),
                good.locator_text()
            )?;
        }
        if let Some(last) = &f.compromise_window.last_seen {
            writeln!(out, "   last seen:        {} UTC", short_time(last))?;
        }
        let a = &f.attacker;
        let mut attacker = a.ips.join(", ");
        if !a.countries.is_empty() {
            attacker.push_str(&format!(" [{}]", a.countries.join(", ")));
        }
        if !a.asns.is_empty() {
            let asns: Vec<String> = a.asns.iter().map(|n| format!("AS{n}")).collect();
            attacker.push_str(&format!(" {}", asns.join(", ")));
        }
        if !a.networks.is_empty() {
            attacker.push_str(&format!(" · networks {}", a.networks.join(", ")));
        }
        writeln!(out, "   attacker: {attacker}")?;
        for ua in &a.user_agents {
            writeln!(out, "   attacker client: {}", shorten(ua, 90))?;
        }
        for child in &f.child_credentials {
            writeln!(
                out,
                "   child credential: {} created {} UTC by {}{}",
                child.id,
                short_time(&child.created_at),
                child.created_by_action.as_deref().unwrap_or("?"),
                if child.inferred { " (inferred)" } else { "" }
            )?;
        }
        for r in &f.related_credentials {
            writeln!(out, "   related: {} ({})", r.id, r.why)?;
        }
        let phases: Vec<String> = f
            .phases
            .iter()
            .map(|(p, evs)| format!("{} {}", p.as_str(), evs.len()))
            .collect();
        writeln!(out, "   phases: {}", phases.join(" · "))?;
        if let Some(same) = f.same_events_as {
            writeln!(
                out,
                "   timeline: the same {} events as finding {same}\n",
                f.events.len()
            )?;
            continue;
        }
        // A borderless table of fixed widths: 99 columns with its separators, so
        // a row never wraps in a 100-column terminal. The JSON and Markdown keep whole
        // values.
        let mut t = Table::new();
        t.load_style(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled);
        t.set_header([
            "time (UTC)",
            "src",
            "credential",
            "action",
            "target",
            "src_ip",
            "why",
        ]);
        for e in f.events.iter().take(limit) {
            let mut why = e
                .top_reason()
                .map(|r| format!("{} {}", r.signal, e.score))
                .unwrap_or_else(|| "network".to_string());
            if crate::frame::is_refused(e.outcome) {
                why = format!("✗ {why}");
            }
            t.add_row([
                short_time(&e.ts).chars().skip(5).take(14).collect(),
                source_abbrev(e.source.unwrap_or("")).to_string(),
                compact_credential(e.credential_id.or(e.principal).unwrap_or(""), 17),
                shorten(e.action.unwrap_or(""), 20),
                shorten(target_beyond_action(e), 10),
                e.src_ip.unwrap_or_default().to_string(),
                shorten(&why, 14),
            ]);
        }
        for column in t.column_iter_mut() {
            column.set_padding((0, 1));
        }
        writeln!(out, "{t}")?;
        if f.events.len() > limit {
            writeln!(
                out,
                "   … {} more events (--limit, or --format json for all)",
                f.events.len() - limit
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn shorten_counts_characters() {
        assert_eq!(super::shorten("GET /api/v1/projects", 8), "GET /ap…");
        assert_eq!(super::shorten("tt_l…abc", 8), "tt_l…abc");
    }
}

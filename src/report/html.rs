//! The HTML report: one self-contained file (no network request, no external script, font
//! or image) with the Markdown report's content, an SVG timeline of every credential of a
//! finding (the attacker's calls marked against the credential's normal activity, the
//! first suspicious call and the compromise window shown), an hour-of-day chart of the
//! compromised credential, and an event table that sorts and filters with a small inline
//! script.

use std::fmt::Write as _;
use std::io::Write;

use super::markdown::summary;
use super::{FindingJson, Report};
use crate::score::signals::human_bytes;
use crate::score_report::{ScoredEvent, short_time};

pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            c => s.push(c),
        }
    }
    s
}

/// Escape, then turn the Markdown summary's `code` spans into `<code>`.
fn inline(text: &str) -> String {
    let escaped = escape(text);
    let mut out = String::with_capacity(escaped.len());
    for (k, part) in escaped.split('`').enumerate() {
        if k % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #dde;padding-bottom:4px}h3{font-size:15px;margin-top:20px}
code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#f3f4f7;padding:1px 3px;border-radius:3px;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:12.5px}th,td{border:1px solid #e1e3ea;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f6f7fa;cursor:pointer;user-select:none;white-space:nowrap}tr.hidden{display:none}
.sev{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-weight:600;font-size:12px}
.sev-critical{background:#b3261e}.sev-high{background:#d9480f}.sev-medium{background:#c08a00}.sev-low{background:#3b7ea1}.sev-info{background:#777}
.muted{color:#667}.chart{width:100%;height:auto;border:1px solid #e1e3ea;border-radius:4px;background:#fcfcfd}
.scroll{overflow-x:auto}td:last-child code{white-space:nowrap}input.filter{width:320px;padding:4px 6px;margin:6px 0;border:1px solid #ccd;border-radius:4px}
";

/// Sort on header click (numbers as numbers, times as text), filter by any text.
const SCRIPT: &str = "
(function(){
  document.querySelectorAll('table.events').forEach(function(table){
    var body=table.tBodies[0];
    table.querySelectorAll('th').forEach(function(th,col){
      th.addEventListener('click',function(){
        var asc=th.getAttribute('data-dir')!=='asc';
        th.setAttribute('data-dir',asc?'asc':'desc');
        var rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(a,b){
          var x=a.cells[col].textContent,y=b.cells[col].textContent;
          var nx=parseFloat(x),ny=parseFloat(y);
          var c=(!isNaN(nx)&&!isNaN(ny)&&String(nx)===x.trim()&&String(ny)===y.trim())?nx-ny:x.localeCompare(y);
          return asc?c:-c;
        });
        rows.forEach(function(r){body.appendChild(r);});
      });
    });
    var input=document.getElementById(table.getAttribute('data-filter'));
    if(input){input.addEventListener('input',function(){
      var q=input.value.toLowerCase();
      Array.prototype.forEach.call(body.rows,function(r){
        r.classList.toggle('hidden',q!==''&&r.textContent.toLowerCase().indexOf(q)<0);
      });
    });}
  });
  if(location.hash==='#selftest'){
    // Exercised by tests/report.rs in a headless browser: sort the first table by score,
    // descending, then filter it by the text after `selftest=` in the query.
    var table=document.querySelector('table.events');
    if(table){
      var th=table.querySelectorAll('th')[8];
      th.click();th.click();
      var scores=Array.prototype.map.call(table.tBodies[0].rows,function(r){return parseFloat(r.cells[8].textContent);});
      var sorted=scores.every(function(v,k){return k===0||scores[k-1]>=v;});
      var input=document.getElementById(table.getAttribute('data-filter'));
      input.value=decodeURIComponent(location.search.replace('?filter=',''));
      input.dispatchEvent(new Event('input'));
      var visible=table.querySelectorAll('tbody tr:not(.hidden)').length;
      document.body.setAttribute('data-selftest','sorted='+sorted+' visible='+visible);
    }
  }
  var resources=(window.performance&&performance.getEntriesByType)?performance.getEntriesByType('resource').length:0;
  document.body.setAttribute('data-resources',String(resources));
  document.body.setAttribute('data-ready','1');
})();
";

fn event_cells(out: &mut String, e: &ScoredEvent) {
    let why = e
        .reasons
        .iter()
        .map(|r| format!("{} +{}: {}", r.signal, r.weight, r.value))
        .collect::<Vec<_>>()
        .join("\n");
    let _ = write!(
        out,
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td title=\"{}\">{}</td><td title=\"{}\"><code>{}</code></td>",
        escape(&short_time(&e.ts)),
        escape(e.phase.unwrap_or("")),
        escape(e.source.unwrap_or("")),
        escape(e.credential_id.or(e.principal).unwrap_or("")),
        escape(e.action.unwrap_or("")),
        escape(e.target.unwrap_or("")),
        escape(e.src_ip.unwrap_or("")),
        escape(e.outcome.unwrap_or("")),
        e.score,
        escape(&why),
        escape(e.top_reason().map_or("attacker network", |r| r.signal)),
        escape(&e.locator_text()),
        escape(&short_locator(e)),
    );
}

/// The file name and line (or record) only; the full path is in the cell's tooltip.
fn short_locator(e: &ScoredEvent) -> String {
    let name = e.file.rsplit('/').next().unwrap_or(e.file);
    match (e.line, e.record_index) {
        (_, Some(r)) => format!("{name} #{r}"),
        (0, None) => name.to_string(),
        (l, None) => format!("{name}:{l}"),
    }
}

const W: f64 = 1100.0;
const LEFT: f64 = 250.0;
const LANE: f64 = 30.0;

/// The timeline: one lane per credential and source, time left to right.
fn timeline_svg(out: &mut String, n: usize, f: &FindingJson) {
    let mut lo = i64::MAX;
    let mut hi = i64::MIN;
    for lane in &f.lanes {
        for &(h, _) in &lane.normal {
            lo = lo.min(h);
            hi = hi.max(h + 3_600_000_000_000);
        }
    }
    for e in &f.events {
        lo = lo.min(e.ts_ns);
        hi = hi.max(e.ts_ns);
    }
    if lo >= hi {
        return;
    }
    let span = (hi - lo) as f64;
    let x = |ts: i64| LEFT + (ts - lo) as f64 / span * (W - LEFT - 20.0);
    let height = 40.0 + LANE * f.lanes.len() as f64 + 30.0;
    let _ = write!(
        out,
        "<svg class=\"chart timeline\" id=\"timeline-{n}\" viewBox=\"0 0 {W} {height}\" role=\"img\" aria-label=\"timeline of finding {n}\">"
    );
    // The compromise window, shaded, and the first suspicious call, marked.
    let start = f
        .compromise_window
        .last_known_good
        .as_ref()
        .map(|e| e.ts_ns)
        .or(f.first_suspicious.as_ref().map(|e| e.ts_ns));
    if let (Some(s), Some(last)) = (start, f.events.last()) {
        let _ = write!(
            out,
            "<rect class=\"window\" x=\"{:.1}\" y=\"24\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#b3261e\" fill-opacity=\"0.07\"><title>compromise window: last known good to last seen</title></rect>",
            x(s),
            (x(last.ts_ns) - x(s)).max(2.0),
            LANE * f.lanes.len() as f64 + 8.0
        );
    }
    if let Some(first) = &f.first_suspicious {
        let fx = x(first.ts_ns);
        let _ = write!(
            out,
            "<line class=\"first\" x1=\"{fx:.1}\" x2=\"{fx:.1}\" y1=\"18\" y2=\"{:.1}\" stroke=\"#b3261e\" stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"14\" font-size=\"11\" fill=\"#b3261e\" text-anchor=\"middle\">first suspicious {}</text>",
            32.0 + LANE * f.lanes.len() as f64,
            fx.clamp(LEFT + 60.0, W - 80.0),
            escape(&short_time(&first.ts))
        );
    }
    for (k, lane) in f.lanes.iter().enumerate() {
        let y = 28.0 + LANE * k as f64;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#333\">{} · {}</text><line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#e3e5ec\"/>",
            LEFT - 8.0,
            y + LANE / 2.0 + 4.0,
            escape(&lane.credential),
            escape(&lane.source),
            W - 20.0,
            y + LANE / 2.0,
            y + LANE / 2.0
        );
        let peak = lane
            .normal
            .iter()
            .map(|&(_, c)| c)
            .max()
            .unwrap_or(1)
            .max(1);
        for &(h, c) in &lane.normal {
            let _ = write!(
                out,
                "<rect class=\"normal\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#8a94a6\" fill-opacity=\"{:.2}\"/>",
                x(h),
                y + 6.0,
                (x(h + 3_600_000_000_000) - x(h)).max(1.0),
                LANE - 12.0,
                0.25 + 0.6 * f64::from(c) / f64::from(peak)
            );
        }
        for &a in &lane.attacker {
            let e = &f.events[a];
            let _ = write!(
                out,
                "<circle class=\"attacker\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#d62828\" stroke=\"#fff\" stroke-width=\"0.8\"><title>{} {} from {}</title></circle>",
                x(e.ts_ns),
                y + LANE / 2.0,
                escape(&short_time(&e.ts)),
                escape(e.action.unwrap_or("")),
                escape(e.src_ip.unwrap_or(""))
            );
        }
    }
    let axis_y = 36.0 + LANE * f.lanes.len() as f64;
    let days = span / 86_400e9;
    let step = if days > 14.0 {
        7
    } else if days > 3.0 {
        1
    } else {
        0
    };
    if step > 0 {
        let day_ns = 86_400_000_000_000i64;
        let mut d = lo.div_euclid(day_ns) * day_ns + day_ns;
        let mut k = 0;
        while d < hi {
            if k % step == 0 {
                let label = chrono::DateTime::from_timestamp_nanos(d)
                    .format("%m-%d")
                    .to_string();
                let _ = write!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#667\" text-anchor=\"middle\">{label}</text>",
                    x(d),
                    axis_y + 12.0
                );
            }
            d += day_ns;
            k += 1;
        }
    }
    out.push_str("</svg>");
}

/// Events of the compromised credential by hour of day: normal (grey) and attacker (red).
fn hours_svg(out: &mut String, n: usize, f: &FindingJson) {
    let peak = f
        .hours
        .iter()
        .map(|&(a, b)| a + b)
        .max()
        .unwrap_or(0)
        .max(1);
    let (w, h, left) = (720.0, 150.0, 30.0);
    let bar = (w - left - 10.0) / 24.0;
    let _ = write!(
        out,
        "<svg class=\"chart hours\" id=\"hours-{n}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"events per hour of day\" style=\"max-width:720px\">"
    );
    for (k, &(normal, attack)) in f.hours.iter().enumerate() {
        let scale = (h - 40.0) / f64::from(peak);
        let hn = f64::from(normal) * scale;
        let ha = f64::from(attack) * scale;
        let x = left + bar * k as f64;
        let base = h - 20.0;
        let _ = write!(
            out,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{hn:.1}\" fill=\"#8a94a6\"><title>{k:02}:00 UTC: {normal} normal</title></rect><rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{ha:.1}\" fill=\"#d62828\"><title>{k:02}:00 UTC: {attack} attacker</title></rect><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" fill=\"#667\" text-anchor=\"middle\">{k:02}</text>",
            base - hn,
            bar - 2.0,
            base - hn - ha,
            bar - 2.0,
            x + bar / 2.0,
            h - 6.0
        );
    }
    out.push_str("</svg>");
}

fn finding(out: &mut String, n: usize, f: &FindingJson) {
    let c = &f.credential;
    let _ = write!(
        out,
        "<section class=\"finding\" id=\"finding-{n}\"><h2>{n}. <code>{}</code> <span class=\"sev sev-{}\">{}</span> <span class=\"muted\">score {}</span></h2>",
        escape(&c.id),
        f.severity.as_str(),
        f.severity.as_str(),
        f.score
    );
    let _ = write!(out, "<p>{}</p>", inline(&summary(f)));
    out.push_str("<h3>Compromise window</h3><table><tr><th></th><th>time (UTC)</th><th>call</th><th>from</th><th>evidence</th></tr>");
    let mut row = |label: &str, e: &ScoredEvent| {
        let _ = write!(
            out,
            "<tr><td>{label}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            escape(&short_time(&e.ts)),
            escape(e.action.unwrap_or("")),
            escape(e.src_ip.unwrap_or("")),
            escape(&e.locator_text())
        );
    };
    if let Some(g) = &f.compromise_window.last_known_good {
        row("last known good", g);
    }
    if let Some(first) = &f.first_suspicious {
        row("<b>first suspicious</b>", first);
    }
    if let Some(last) = f.events.last() {
        row("last seen", last);
    }
    out.push_str("</table>");
    if let Some(first) = &f.first_suspicious {
        out.push_str("<h3>Why the first suspicious call is suspicious</h3><ul>");
        for r in first.reasons {
            let _ = write!(
                out,
                "<li><b>{}</b> (+{}): {} <span class=\"muted\">— baseline: {}</span></li>",
                escape(r.signal),
                r.weight,
                escape(&r.value),
                escape(&r.baseline)
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("<h3>Timeline</h3><p class=\"muted\">Each lane is a credential in one source: grey, its normal activity per hour; red, the calls attributed to the attacker; shaded, the compromise window.</p>");
    timeline_svg(out, n, f);
    let _ = write!(
        out,
        "<h3>Activity of <code>{}</code> by hour of day (UTC)</h3>",
        escape(&c.id)
    );
    hours_svg(out, n, f);
    out.push_str("<h3>Phases</h3><table><tr><th>phase</th><th>events</th><th>from (UTC)</th><th>to (UTC)</th></tr>");
    for (p, evs) in &f.phases {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            p.as_str(),
            evs.len(),
            escape(&short_time(&f.events[evs[0]].ts)),
            escape(&short_time(&f.events[*evs.last().unwrap_or(&evs[0])].ts))
        );
    }
    out.push_str("</table>");
    let _ = write!(
        out,
        "<h3>Attacker events ({})</h3><input class=\"filter\" id=\"filter-{n}\" placeholder=\"filter: an address, an action, a phase…\"><div class=\"scroll\"><table class=\"events\" data-filter=\"filter-{n}\"><thead><tr><th>time (UTC)</th><th>phase</th><th>source</th><th>credential</th><th>action</th><th>target</th><th>src_ip</th><th>outcome</th><th>score</th><th>why</th><th>evidence</th></tr></thead><tbody>",
        f.events.len()
    );
    for e in &f.events {
        out.push_str("<tr>");
        event_cells(out, e);
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    let a = &f.attacker;
    out.push_str("<h3>Indicators</h3><ul>");
    let mut item = |label: &str, values: Vec<String>| {
        if !values.is_empty() {
            let _ = write!(out, "<li>{label}: {}</li>", values.join(", "));
        }
    };
    let codes = |v: &[String]| {
        v.iter()
            .map(|x| format!("<code>{}</code>", escape(x)))
            .collect::<Vec<_>>()
    };
    item("IP addresses", codes(&a.ips));
    item("networks", codes(&a.networks));
    item("ASNs", a.asns.iter().map(|x| format!("AS{x}")).collect());
    item("countries", a.countries.iter().map(|x| escape(x)).collect());
    item("user agents", codes(&a.user_agents));
    out.push_str("</ul>");
    if !f.child_credentials.is_empty() || !f.related_credentials.is_empty() {
        out.push_str("<h3>Child and related credentials</h3><ul>");
        for ch in &f.child_credentials {
            let _ = write!(
                out,
                "<li><code>{}</code> ({}) created {} UTC by <code>{}</code>{}</li>",
                escape(&ch.id),
                escape(ch.kind.as_deref().unwrap_or("?")),
                escape(&short_time(&ch.created_at)),
                escape(ch.created_by_action.as_deref().unwrap_or("?")),
                if ch.inferred { " (inferred)" } else { "" }
            );
        }
        for r in &f.related_credentials {
            let _ = write!(
                out,
                "<li><code>{}</code>: {}</li>",
                escape(&r.id),
                escape(&r.why)
            );
        }
        out.push_str("</ul>");
    }
    let b = &f.blast_radius;
    let classes: Vec<String> = b
        .actions
        .iter()
        .map(|(k, v)| format!("{} {v}", k.replace('_', " ")))
        .collect();
    let _ = write!(
        out,
        "<h3>Blast radius</h3><ul><li>calls by kind: {}</li><li>refused or failed: {}</li><li>bytes out: {}</li>",
        escape(&classes.join(", ")),
        b.failed,
        human_bytes(b.bytes_out)
    );
    if !b.new_targets.is_empty() {
        let shown: Vec<String> = b
            .new_targets
            .iter()
            .take(30)
            .map(|x| format!("<code>{}</code>", escape(x)))
            .collect();
        let _ = write!(out, "<li>never touched before: {}</li>", shown.join(", "));
    }
    out.push_str("</ul></section>");
}

pub fn render(report: &Report) -> String {
    let mut out = String::with_capacity(1 << 16);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>tokentrail report</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        out,
        "<h1>tokentrail investigation report</h1><p class=\"muted\">tokentrail {} · report format {} · {} · {}</p><h2>Summary</h2><ol>",
        escape(report.tokentrail_version),
        escape(report.report_version),
        super::count_of(report.inputs.len(), "input"),
        super::count_of(report.findings.len(), "finding"),
    );
    for f in &report.findings {
        let _ = write!(
            out,
            "<li><span class=\"sev sev-{}\">{}</span> {}</li>",
            f.severity.as_str(),
            f.severity.as_str(),
            inline(&summary(f))
        );
    }
    out.push_str("</ol>");
    if report.findings.is_empty() {
        out.push_str("<p>No compromised credential was found.</p>");
    }
    for (n, f) in report.findings.iter().enumerate() {
        finding(&mut out, n + 1, f);
    }
    out.push_str("<h2>Inputs</h2><table><tr><th>file</th><th>source</th><th>events</th><th>malformed</th><th>sha256</th></tr>");
    for i in &report.inputs {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            escape(&i.file),
            i.source.unwrap_or("-"),
            i.events,
            i.malformed,
            escape(i.sha256.as_deref().unwrap_or("-"))
        );
    }
    let m = &report.method;
    let _ = write!(
        out,
        "</table><h2>Method</h2><ul><li>events scoring {}+ are suspicious and seed the investigation</li><li>signals: {}</li><li>GeoIP databases: {}</li><li>allowlists: {}</li>{}<li>secrets are shown as keyed fingerprints, never in clear</li></ul>",
        m.suspicious_threshold,
        escape(&m.signals.join(", ")),
        escape(&if m.geoip.is_empty() {
            "none".to_string()
        } else {
            m.geoip.join("; ")
        }),
        escape(m.config.as_deref().unwrap_or("none")),
        m.baseline_until
            .iter()
            .map(|b| format!("<li>baselines learned until {}</li>", escape(b)))
            .chain(super::markdown::window_text(m).map(|w| format!("<li>{}</li>", escape(&w))))
            .collect::<String>()
    );
    let _ = writeln!(out, "<script>{SCRIPT}</script></body></html>");
    out
}

pub fn write(out: &mut dyn Write, report: &Report) -> std::io::Result<()> {
    out.write_all(render(report).as_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_and_code_spans() {
        assert_eq!(
            super::escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(
            super::inline("key `AKIA<1>` used"),
            "key <code>AKIA&lt;1&gt;</code> used"
        );
    }
}

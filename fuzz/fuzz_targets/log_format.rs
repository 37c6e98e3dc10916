//! The log_format compiler: the first line is a format (any text), the rest are lines
//! read with it. Properties: compiling never panics (a bad format is an error message),
//! and parsing never panics, with every error's offset inside its line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentrail_parsers::LogParser;
use tokentrail_parsers::framing::lines;
use tokentrail_parsers::nginx_format::{Escape, LogFormat};

fuzz_target!(|data: &[u8]| {
    let Some(newline) = data.iter().position(|&b| b == b'\n') else {
        return;
    };
    let (format, rest) = (&data[..newline], &data[newline + 1..]);
    let Ok(format) = std::str::from_utf8(format) else {
        return;
    };
    let escape = match format.len() % 3 {
        0 => Escape::Default,
        1 => Escape::Json,
        _ => Escape::None,
    };
    let Ok(mut compiled) = LogFormat::compile("fuzz", format, escape) else {
        return;
    };
    // Declare the first unknown variable a token-prefix field, as a user might.
    let prefix: Vec<String> = compiled
        .variables()
        .filter(|v| v.starts_with("http_x"))
        .take(1)
        .map(str::to_string)
        .collect();
    compiled.set_prefix_fields(prefix);
    let _ = compiled.sniff(rest);
    let mut out = Vec::new();
    for line in lines(rest) {
        out.clear();
        if let Err(e) = compiled.parse(line.bytes, &mut out) {
            assert!(e.offset <= line.bytes.len(), "error offset past the line");
        }
    }
});

//! The log_format compiler: the first line is a format (any text), the rest are lines
//! read with it. Properties: compiling never panics (a bad format is an error message),
//! and parsing never panics, with every error's offset inside its line. The same lines
//! are also read with formats that begin with `combined`: the head built for those reads
//! each line as the general cut does (the same events, or the same error).
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tokentrail_parsers::LogParser;
use tokentrail_parsers::framing::lines;
use tokentrail_parsers::nginx_format::{Escape, LogFormat};

/// `combined`, alone and with what gateways append after it.
const HEADED: [&str; 4] = [
    "",
    " rt=$request_time tid=$http_x_token_id rid=$request_id",
    r#" "$http_x_forwarded_for""#,
    r#" "$http_authorization" $host $http_x_api_key $cookie_session"#,
];
const COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;

/// Compiled once: compiling per input would be most of the fuzzer's time.
static HEADED_FORMATS: LazyLock<Vec<LogFormat>> = LazyLock::new(|| {
    HEADED
        .iter()
        .map(|tail| {
            let mut headed =
                LogFormat::compile(tail, &format!("{COMBINED}{tail}"), Escape::Default)
                    .expect("combined compiles");
            headed.set_prefix_fields(vec!["http_x_token_id".to_string()]);
            assert!(headed.has_combined_head());
            headed
        })
        .collect()
});

fuzz_target!(|data: &[u8]| {
    let Some(newline) = data.iter().position(|&b| b == b'\n') else {
        return;
    };
    let (format, rest) = (&data[..newline], &data[newline + 1..]);
    for headed in HEADED_FORMATS.iter() {
        for line in lines(rest) {
            assert!(headed.combined_head_agrees(line.bytes), "{:?}", headed.name);
        }
    }
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

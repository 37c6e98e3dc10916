//! An nginx configuration read for its `log_format`s, where every `include` reads the same
//! fuzzed text again: quotes, comments, blocks, escapes and include loops must end in
//! formats or an error message, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentrail_parsers::nginx_format::formats_from_conf;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let read = |_: &std::path::Path| Ok(text.clone());
    let _ = formats_from_conf(std::path::Path::new("/fuzz/nginx.conf"), &read);
});

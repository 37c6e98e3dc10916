use super::*;

fn one(record: &str) -> Event<'_> {
    crate::parser::parse_one(&CloudTrailParser, record)
}

fn fixture(rel: &str) -> String {
    let path = format!(
        "{}/../tests/fixtures/cloudtrail/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn lookup_events_wrapper_is_unwrapped() {
    // plaso test data (Apache-2.0): `aws cloudtrail lookup-events` shape, one per line.
    let text = fixture("plaso-lookup-events.jsonl");
    let line = text.lines().next().unwrap();
    let ev = one(line);
    assert_eq!(ev.action.as_deref(), Some("ec2:DescribeInstances"));
    assert_eq!(
        ev.event_id.as_deref(),
        Some("0828c0d2-3589-4390-b954-c78b4a7df44b")
    );
    assert_eq!(ev.target.as_deref(), Some("i-01234567890123456"));
    assert_eq!(ev.field("read_only").as_deref(), Some("true"));
}

#[test]
fn every_real_record_parses() {
    for (file, framing) in [
        ("stratus-iam-backdoor-user.json", Framing::JsonArray),
        (
            "stratus-ec2-steal-instance-credentials.json",
            Framing::JsonArray,
        ),
    ] {
        let doc = fixture(file);
        let head = crate::registry::trim_head(doc.as_bytes());
        assert_eq!(CloudTrailParser.framing(head), framing, "{file}");
        let recs = crate::framing::json_records(doc.as_bytes(), framing).records;
        assert!(!recs.is_empty());
        for r in recs {
            let mut out = Vec::new();
            CloudTrailParser
                .parse(r.bytes, &mut out)
                .unwrap_or_else(|e| panic!("{file} record {}: {e}", r.index));
        }
    }
    for line in fixture("otrf-ec2-proxy-s3-exfiltration.jsonl").lines() {
        one(line);
    }
}

#[test]
fn request_and_response_of_any_shape_never_break_the_parse() {
    let base = |req: &str, resp: &str| {
        format!(
            r#"{{"eventTime":"2024-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","requestParameters":{req},"responseElements":{resp}}}"#
        )
    };
    for (req, resp) in [
        ("null", "null"),
        (r#""a string""#, r#""another""#),
        ("[1,2,3]", "42"),
        (
            r#"{"userName":{"nested":[{"deep":{"deeper":true}}]}}"#,
            r#"{"accessKey":"not an object"}"#,
        ),
        (
            r#"{"userName":"bob","name":7}"#,
            r#"{"accessKey":{"accessKeyId":"AKIAEXAMPLEKEY000001"}}"#,
        ),
    ] {
        let rec = base(req, resp);
        let ev = one(&rec);
        assert_eq!(
            ev.field("lineage").as_deref(),
            Some("create_access_key"),
            "{rec}"
        );
    }
    let rec = base(
        r#"{"userName":"bob","name":7}"#,
        r#"{"accessKey":{"accessKeyId":"AKIAEXAMPLEKEY000001"}}"#,
    );
    let ev = one(&rec);
    assert_eq!(
        ev.field("child_credential").as_deref(),
        Some("aws_long_term_key:AKIAEXAMPLEKEY000001")
    );
    assert_eq!(ev.field("child_principal").as_deref(), Some("bob"));
    assert_eq!(ev.target.as_deref(), Some("user/bob"));
    // A megabyte of response is scanned, not built.
    let big = format!(
        r#"{{"items":[{}]}}"#,
        vec![r#"{"a":"b","c":[1,2,{"d":null}]}"#; 40_000].join(",")
    );
    assert!(big.len() > 1_000_000);
    one(&base("{}", &big));
}

#[test]
fn bad_records_say_why() {
    let err = |r: &str| {
        let mut out = Vec::new();
        CloudTrailParser.parse(r.as_bytes(), &mut out).unwrap_err()
    };
    assert_eq!(err("42").kind, ParseErrorKind::NotAnObject);
    let e = err(r#"{"eventTime":"2024-01-01T00:00:00Z","eventName":}"#);
    assert_eq!(e.kind, ParseErrorKind::BadJson);
    assert_eq!(e.offset, 48, "the closing brace where a value should be");
    assert_eq!(
        err(r#"{"eventName":"GetObject"}"#).kind,
        ParseErrorKind::MissingField("eventTime")
    );
    assert_eq!(
        err(r#"{"eventTime":"redacted","eventName":"GetObject"}"#).kind,
        ParseErrorKind::BadTimestamp
    );
    assert_eq!(
        err(r#"{"eventTime":"2024-01-01T00:00:00Z"}"#).kind,
        ParseErrorKind::MissingField("eventName")
    );
}

#[test]
fn sts_session_token_lineage_and_secret_never_kept() {
    let rec = r#"{"eventTime":"2024-01-01T00:00:00Z","eventSource":"sts.amazonaws.com","eventName":"GetSessionToken","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/alice","accessKeyId":"AKIAALICE00000000001"},"responseElements":{"credentials":{"accessKeyId":"ASIAALICESESSION0001","sessionToken":"SESSIONTOKENSECRET"}}}"#;
    let ev = one(rec);
    assert_eq!(
        ev.field("child_credential").as_deref(),
        Some("aws_temporary_key:ASIAALICESESSION0001")
    );
    assert_eq!(
        ev.field("child_principal").as_deref(),
        Some("arn:aws:iam::1:user/alice")
    );
    assert!(!format!("{ev:?}").contains("SESSIONTOKENSECRET"));
}

#[test]
fn framing_follows_the_container() {
    let f = |s: &str| CloudTrailParser.framing(s.as_bytes());
    assert_eq!(f(r#"{"Records":[]}"#), Framing::JsonRecordsField("Records"));
    assert_eq!(
        f(r#"{ "Events": [], "NextToken": "x" }"#),
        Framing::JsonRecordsField("Events")
    );
    assert_eq!(f("[\n  {"), Framing::JsonArray);
    assert_eq!(f(r#"{"eventVersion":"1.08"}"#), Framing::Lines);
}

#[test]
fn resources_that_are_not_objects_are_skipped_not_fatal() {
    // Panther's rule tests write `resources` as strings of Python reprs.
    let text = fixture("panther-rule-tests.ndjson");
    let line = text
        .lines()
        .find(|l| l.contains("044e210e-6c5e-3f3e-8f04-2311a826f287"))
        .unwrap();
    let ev = one(line);
    assert_eq!(ev.action.as_deref(), Some("sts:AssumeRole"));
    assert_eq!(
        ev.target.as_deref(),
        Some("arn:aws:iam::111122223333:role/SampleRole")
    );
    assert!(ev.field("child_credential").is_some());
}

/// Records read from the front of the rest of their document (one scan each) are the
/// records the structural scan frames, with the events a parse of their bytes gives: on
/// real arrays, a `Records` file built of real records (some malformed, some pretty-printed
/// over lines), a lookup-events page, a document cut short and one with a bad separator.
#[test]
fn records_read_from_the_front_are_the_framed_records() {
    let real: Vec<String> = fixture("otrf-ec2-proxy-s3-exfiltration.jsonl")
        .lines()
        .chain(fixture("panther-rule-tests.ndjson").lines())
        .map(str::to_string)
        .collect();
    let pretty: Vec<String> = real
        .iter()
        .take(20)
        .map(|r| {
            let v: serde_json::Value = serde_json::from_str(r).unwrap();
            serde_json::to_string_pretty(&v).unwrap()
        })
        .collect();
    let records = format!(
        "{{\"Records\":[{},\n  {}\n]}}",
        real.join(","),
        pretty.join(" ,\n")
    );
    let lookup = format!(
        "{{\"Events\": [{}]}}",
        fixture("plaso-lookup-events.jsonl")
            .lines()
            .collect::<Vec<_>>()
            .join(",")
    );
    let cut = records.get(..records.len() / 2).unwrap().to_string();
    let bad_separator = format!("{{\"Records\":[{} {}]}}", real[0], real[1]);
    let docs = [
        fixture("stratus-iam-backdoor-user.json"),
        fixture("stratus-ec2-steal-instance-credentials.json"),
        records,
        lookup,
        cut,
        bad_separator,
    ];
    let mut read_from_front = 0;
    for doc in &docs {
        let framing = CloudTrailParser.framing(crate::registry::trim_head(doc.as_bytes()));
        read_from_front +=
            crate::framing::assert_front_reads_as_framed(&CloudTrailParser, doc, framing);
    }
    assert!(read_from_front > 800, "{read_from_front}");
}

/// The delivery minute of AWS's object names, and nothing for other names.
#[test]
fn delivery_time_of_s3_object_names() {
    let at = |name: &str| delivered_at(name);
    let minute = |d: u32, h: u32, m: u32| crate::time::civil_to_utc_nanos(2026, 2, d, h, m, 0, 0);
    assert_eq!(
        at("111122223333_CloudTrail_eu-north-1_20260217T2355Z_20260302.json.gz"),
        minute(17, 23, 55)
    );
    assert_eq!(
        at("123456789012_CloudTrail_us-east-1_20260201T0005Z_aUniqueString123.json"),
        minute(1, 0, 5)
    );
    for other in [
        // digests, other accounts' shapes, other stamps, other files
        "111122223333_CloudTrail-Digest_eu-north-1_org-trail_eu-north-1_20260216T010000Z.json.gz",
        "11112222333_CloudTrail_eu-north-1_20260217T2355Z_x.json.gz",
        "111122223333_CloudTrail_eu-north-1_20260217T2355_x.json.gz",
        "111122223333_CloudTrail_eu-north-1_20260230T2355Z_x.json.gz",
        "111122223333_CloudTrail_eu-north-1_20260217T2460Z_x.json.gz",
        "111122223333_CloudTrail_eu-north-1_2026021XT2355Z_x.json.gz",
        "111122223333_CloudTrail_eu-north-1_20260217T2355Z_x.txt",
        "111122223333_CloudTrail_eu-north-1_20260217T2355Z_x_y.json.gz",
        "access.log",
        "",
    ] {
        assert_eq!(at(other), None, "{other}");
    }
}

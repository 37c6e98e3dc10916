//! AWS CloudTrail, in every container a responder is handed: S3 delivery files
//! (`{"Records":[…]}`, often one line of megabytes), bare JSON arrays (console downloads,
//! Stratus Red Team), JSON Lines of records (CloudTrail Lake, SIEM exports),
//! `aws cloudtrail lookup-events` output (`{"Events":[{"CloudTrailEvent":"<json>"}]}`, or
//! one such object per line). Digest files are recognised and skipped.
//!
//! JSON is read with serde into borrowed structs that name only the fields used; unknown
//! fields are skipped without being built, and `requestParameters`/`responseElements` stay
//! raw until the few keys that matter are looked up, so a megabyte `Describe*` response
//! costs a scan, not a tree.

use std::borrow::Cow;
use std::net::IpAddr;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::csv_export::{CsvForm, Target};
use crate::error::{ParseError, ParseErrorKind};
use crate::event::{CallerKind, Credential, CredentialKind, Event, Outcome, ServiceFields, notes};
use crate::framing::Framing;
use crate::json::{
    Flag, Str, contains, detail, detail_seq, first_key, front_object, identity_only, lenient,
    lenient_obj, parse_object, sniff_json_lines,
};
use crate::parser::{Confidence, Example, LogParser};
use crate::source::SourceId;
use crate::text::Text;
use crate::time::{Zone, digits, rfc3339};

#[cfg(test)]
mod tests;

/// When CloudTrail delivered a log file, from its S3 object name
/// (`<account>_CloudTrail_<region>_<YYYYMMDD>T<HHmm>Z_<unique>.json.gz`, AWS's documented
/// form): UTC nanoseconds of the minute. Every event of the file happened before that
/// minute ended, since CloudTrail delivers an event after it happens: a file delivered
/// before a window opens holds none of it. `None` for any other name (digest files too:
/// `_CloudTrail-Digest_`).
pub fn delivered_at(file_name: &str) -> Option<i64> {
    let mut parts = file_name.split('_');
    let account = parts.next()?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if parts.next()? != "CloudTrail" {
        return None;
    }
    let _region = parts.next()?;
    let stamp = parts.next()?.as_bytes();
    let unique = parts.next()?;
    if stamp.len() != 14 || stamp.get(8) != Some(&b'T') || stamp.get(13) != Some(&b'Z') {
        return None;
    }
    if !(unique.ends_with(".json.gz") || unique.ends_with(".json")) || parts.next().is_some() {
        return None;
    }
    let two = |at: usize| digits::<2>(stamp.get(at..)?);
    crate::time::civil_to_utc_nanos(
        i64::from(digits::<4>(stamp)?),
        two(4)?,
        two(6)?,
        two(9)?,
        two(11)?,
        0,
        0,
    )
}

/// Parser for AWS CloudTrail records.
pub struct CloudTrailParser;

// Aliases: case-insensitive warehouses (Panther, Snowflake) export lower-cased keys.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Record<'a> {
    #[serde(
        rename = "eventTime",
        alias = "eventtime",
        borrow,
        deserialize_with = "lenient"
    )]
    event_time: Str<'a>,
    /// Logstash pipelines move the time here and drop `eventTime`.
    #[serde(rename = "@timestamp", borrow, deserialize_with = "lenient")]
    at_timestamp: Str<'a>,
    /// Panther's normalised copy of the event time.
    #[serde(rename = "p_event_time", borrow, deserialize_with = "lenient")]
    p_event_time: Str<'a>,
    #[serde(
        rename = "eventSource",
        alias = "eventsource",
        borrow,
        deserialize_with = "lenient"
    )]
    event_source: Str<'a>,
    #[serde(
        rename = "eventName",
        alias = "eventname",
        borrow,
        deserialize_with = "lenient"
    )]
    event_name: Str<'a>,
    #[serde(
        rename = "awsRegion",
        alias = "awsregion",
        borrow,
        deserialize_with = "lenient"
    )]
    aws_region: Str<'a>,
    #[serde(
        rename = "sourceIPAddress",
        alias = "sourceipaddress",
        borrow,
        deserialize_with = "lenient"
    )]
    source_ip: Str<'a>,
    #[serde(
        rename = "userAgent",
        alias = "useragent",
        borrow,
        deserialize_with = "detail"
    )]
    user_agent: Str<'a>,
    #[serde(
        rename = "errorCode",
        alias = "errorcode",
        borrow,
        deserialize_with = "lenient"
    )]
    error_code: Str<'a>,
    #[serde(
        rename = "eventID",
        alias = "eventid",
        borrow,
        deserialize_with = "lenient"
    )]
    event_id: Str<'a>,
    #[serde(
        rename = "eventType",
        alias = "eventtype",
        borrow,
        deserialize_with = "lenient"
    )]
    event_type: Str<'a>,
    #[serde(rename = "readOnly", alias = "readonly")]
    read_only: Flag,
    #[serde(
        rename = "recipientAccountId",
        alias = "recipientaccountid",
        borrow,
        deserialize_with = "lenient"
    )]
    recipient_account_id: Str<'a>,
    #[serde(
        rename = "userIdentity",
        alias = "useridentity",
        borrow,
        deserialize_with = "lenient_obj"
    )]
    user_identity: Option<UserIdentity<'a>>,
    #[serde(rename = "requestParameters", alias = "requestparameters", borrow)]
    request_parameters: Option<&'a RawValue>,
    #[serde(rename = "responseElements", alias = "responseelements", borrow)]
    response_elements: Option<&'a RawValue>,
    #[serde(rename = "additionalEventData", alias = "additionaleventdata", borrow)]
    additional_event_data: Option<&'a RawValue>,
    #[serde(borrow, deserialize_with = "detail_seq")]
    resources: Option<Vec<Resource<'a>>>,
    /// lookup-events and the console's event history wrap the record in a JSON string.
    #[serde(rename = "CloudTrailEvent", borrow, deserialize_with = "lenient")]
    cloudtrail_event: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UserIdentity<'a> {
    #[serde(rename = "type", borrow, deserialize_with = "lenient")]
    kind: Str<'a>,
    #[serde(rename = "principalId", borrow, deserialize_with = "lenient")]
    principal_id: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    arn: Str<'a>,
    #[serde(rename = "accountId", borrow, deserialize_with = "lenient")]
    account_id: Str<'a>,
    #[serde(rename = "accessKeyId", borrow, deserialize_with = "lenient")]
    access_key_id: Str<'a>,
    #[serde(rename = "userName", borrow, deserialize_with = "lenient")]
    user_name: Str<'a>,
    #[serde(rename = "invokedBy", borrow, deserialize_with = "lenient")]
    invoked_by: Str<'a>,
    #[serde(rename = "sessionContext", borrow, deserialize_with = "lenient_obj")]
    session_context: Option<SessionContext<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SessionContext<'a> {
    #[serde(rename = "sessionIssuer", borrow, deserialize_with = "lenient_obj")]
    session_issuer: Option<SessionIssuer<'a>>,
    #[serde(borrow, deserialize_with = "lenient_obj")]
    attributes: Option<SessionAttributes<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SessionIssuer<'a> {
    #[serde(borrow, deserialize_with = "lenient")]
    arn: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SessionAttributes<'a> {
    #[serde(rename = "creationDate", borrow, deserialize_with = "lenient")]
    creation_date: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Resource<'a> {
    #[serde(rename = "ARN", alias = "arn", borrow, deserialize_with = "lenient")]
    arn: Str<'a>,
}

/// The parts of `responseElements` that carry new credentials and identities.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Response<'a> {
    #[serde(borrow, deserialize_with = "lenient_obj")]
    credentials: Option<KeyRef<'a>>,
    #[serde(rename = "accessKey", borrow, deserialize_with = "lenient_obj")]
    access_key: Option<KeyRef<'a>>,
    #[serde(rename = "assumedRoleUser", borrow, deserialize_with = "lenient_obj")]
    assumed_role_user: Option<ArnRef<'a>>,
    #[serde(rename = "federatedUser", borrow, deserialize_with = "lenient_obj")]
    federated_user: Option<ArnRef<'a>>,
    #[serde(borrow, deserialize_with = "lenient_obj")]
    user: Option<ArnRef<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct KeyRef<'a> {
    #[serde(rename = "accessKeyId", borrow, deserialize_with = "lenient")]
    access_key_id: Str<'a>,
    #[serde(rename = "userName", borrow, deserialize_with = "lenient")]
    user_name: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ArnRef<'a> {
    #[serde(borrow, deserialize_with = "lenient")]
    arn: Str<'a>,
    #[serde(rename = "userName", borrow, deserialize_with = "lenient")]
    user_name: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AdditionalData {
    #[serde(rename = "bytesTransferredOut")]
    bytes_transferred_out: Option<f64>,
}

/// The keys of `requestParameters` that name what an API call acted on. Every other key is
/// skipped unbuilt; a key of an unexpected type is `None` (see [`Lenient`]).
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Params<'a> {
    #[serde(borrow, deserialize_with = "lenient")]
    bucket_name: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    key: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    user_name: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    role_arn: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    role_name: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    group_name: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    policy_arn: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    policy_name: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    access_key_id: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    instance_id: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    secret_id: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    function_name: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    trail_name: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    key_id: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    snapshot_id: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    image_id: Str<'a>,
    #[serde(rename = "dBInstanceIdentifier", borrow, deserialize_with = "lenient")]
    db_instance_identifier: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    name: Str<'a>,
    /// EC2's `instancesSet.items[].instanceId`, read only when present.
    #[serde(borrow)]
    instances_set: Option<&'a RawValue>,
}

impl<'a> Params<'a> {
    fn parse(raw: Option<&'a RawValue>) -> Params<'a> {
        raw.and_then(|r| serde_json::from_str(r.get()).ok())
            .unwrap_or_default()
    }

    fn instance_ids(&self) -> Vec<String> {
        #[derive(Deserialize)]
        struct Set {
            #[serde(default)]
            items: Vec<Item>,
        }
        #[derive(Deserialize)]
        struct Item {
            #[serde(rename = "instanceId")]
            instance_id: Option<String>,
        }
        let Some(raw) = self.instances_set else {
            return Vec::new();
        };
        serde_json::from_str::<Set>(raw.get())
            .map(|s| s.items.into_iter().filter_map(|i| i.instance_id).collect())
            .unwrap_or_default()
    }
}

fn non_empty<'a>(v: &Str<'a>) -> Str<'a> {
    v.clone().filter(|s| !s.is_empty())
}

/// Why an event matters for the lineage of credentials, by event name.
fn lineage_of(event_name: &str) -> Option<&'static str> {
    Some(match event_name {
        "AssumeRole" => "assume_role",
        "AssumeRoleWithSAML" => "assume_role_with_saml",
        "AssumeRoleWithWebIdentity" => "assume_role_with_web_identity",
        "GetSessionToken" => "get_session_token",
        "GetFederationToken" => "get_federation_token",
        "CreateAccessKey" => "create_access_key",
        "UpdateAccessKey" => "update_access_key",
        "DeleteAccessKey" => "delete_access_key",
        "CreateUser" => "create_user",
        "CreateLoginProfile" => "create_login_profile",
        "UpdateLoginProfile" => "update_login_profile",
        "AttachUserPolicy" => "attach_user_policy",
        "PutUserPolicy" => "put_user_policy",
        _ => return None,
    })
}

/// Error codes that mean "not allowed" rather than "went wrong".
fn is_denied(code: &str) -> bool {
    let c = code.to_ascii_lowercase();
    c.contains("accessdenied")
        || c.contains("unauthorized")
        || c.contains("authfailure")
        || c.contains("forbidden")
        || c.contains("notauthorized")
        || c == "invalidclienttokenid"
        || c == "signaturedoesnotmatch"
        || c == "expiredtoken"
}

fn caller_kind(source_ip: &str) -> (CallerKind, bool) {
    if source_ip.parse::<IpAddr>().is_ok() {
        return (CallerKind::Ip, true);
    }
    if source_ip.eq_ignore_ascii_case("AWS Internal") {
        return (CallerKind::AwsInternal, true);
    }
    let has_letters = source_ip.bytes().any(|b| b.is_ascii_alphabetic());
    if has_letters
        && (source_ip.ends_with(".amazonaws.com") || source_ip.ends_with(".aws.internal"))
    {
        return (CallerKind::AwsService, true);
    }
    // Anonymised or malformed addresses (`035.249.253.232`) are kept as logged, flagged.
    (CallerKind::Ip, false)
}

fn public_key(id: Cow<'_, str>) -> Credential<'_> {
    Credential::Public {
        kind: CredentialKind::of_aws_key(&id),
        id,
    }
}

/// What the event was done to, in the words a responder searches for.
fn target_of<'a>(params: &Params<'a>, resources: Option<&[Resource<'a>]>) -> Option<Text<'a>> {
    if let Some(bucket) = non_empty(&params.bucket_name) {
        return Some(Cow::Owned(match non_empty(&params.key) {
            Some(key) => format!("s3://{bucket}/{key}"),
            None => format!("s3://{bucket}"),
        }));
    }
    let named: [(&str, &Str<'a>); 16] = [
        ("user/", &params.user_name),
        ("", &params.role_arn),
        ("role/", &params.role_name),
        ("group/", &params.group_name),
        ("", &params.policy_arn),
        ("policy ", &params.policy_name),
        ("key ", &params.access_key_id),
        ("", &params.instance_id),
        ("", &params.secret_id),
        ("", &params.function_name),
        ("trail ", &params.trail_name),
        ("kms ", &params.key_id),
        ("", &params.snapshot_id),
        ("", &params.image_id),
        ("", &params.db_instance_identifier),
        ("", &params.name),
    ];
    let mut parts: Vec<String> = named
        .iter()
        .filter_map(|(prefix, v)| non_empty(v).map(|v| format!("{prefix}{v}")))
        .collect();
    let ids = params.instance_ids();
    if !ids.is_empty() {
        parts.push(ids.join(","));
    }
    if !parts.is_empty() {
        return Some(Cow::Owned(parts.join(" ")));
    }
    resources?.iter().find_map(|r| r.arn.clone())
}

fn parse_record<'a>(record: &'a [u8]) -> Result<Event<'a>, ParseError> {
    event_of(parse_object(record)?)
}

fn event_of(rec: Record<'_>) -> Result<Event<'_>, ParseError> {
    if let Some(inner) = &rec.cloudtrail_event {
        // lookup-events: the record is a JSON string inside the wrapper.
        let inner = inner.as_bytes();
        return match parse_record(inner) {
            Ok(ev) => Ok(ev.into_owned()),
            Err(e) => Err(ParseError::new(e.kind, 0)),
        };
    }
    build_event(rec)
}

fn build_event(rec: Record<'_>) -> Result<Event<'_>, ParseError> {
    let missing = |f| ParseError::new(ParseErrorKind::MissingField(f), 0);
    let ts_raw = rec
        .event_time
        .or(rec.at_timestamp)
        .or(rec.p_event_time)
        .ok_or(missing("eventTime"))?;
    let (ts, zone) = rfc3339(ts_raw.as_bytes())
        .map(|(_, v)| v)
        .map_err(|_| ParseError::new(ParseErrorKind::BadTimestamp, 0))?;
    let event_name = rec.event_name.ok_or(missing("eventName"))?;
    let mut ev = Event {
        ts,
        ts_raw,
        ..Event::default()
    };
    if zone == Zone::AssumedUtc {
        ev.notes |= notes::ASSUMED_UTC;
    }
    let service = rec
        .event_source
        .as_deref()
        .map(|s| s.split('.').next().unwrap_or(s));
    ev.action = Some(match service {
        Some(svc) if !svc.is_empty() => Cow::Owned(format!("{svc}:{event_name}")),
        _ => event_name.clone(),
    });
    ev.event_id = rec.event_id;
    ev.user_agent = rec.user_agent;

    let mut cloud = ServiceFields {
        region: rec.aws_region,
        recipient_account_id: rec.recipient_account_id,
        read_only: rec.read_only.0,
        event_type: rec.event_type,
        ..ServiceFields::default()
    };
    if let Some(ip) = rec.source_ip {
        let (kind, valid) = caller_kind(&ip);
        if !valid {
            ev.notes |= notes::INVALID_IP;
        }
        cloud.caller_kind = Some(kind);
        ev.src_ip = Some(ip);
    }
    ev.outcome = match rec.error_code.as_deref() {
        None | Some("") => Outcome::Success,
        Some(code) if is_denied(code) => Outcome::Denied,
        Some(_) => Outcome::Failure,
    };
    cloud.error_code = rec.error_code.filter(|c| !c.is_empty());

    let mut caller_user: Option<Cow<'_, str>> = None;
    if let Some(ui) = rec.user_identity {
        let is_service = ui.kind.as_deref() == Some("AWSService");
        ev.principal = if is_service {
            ui.invoked_by.or(ui.principal_id)
        } else {
            ui.arn.clone().or(ui.user_name.clone()).or(ui.principal_id)
        };
        if let Some(key) = ui.access_key_id.filter(|k| !k.is_empty()) {
            ev.credential = Some(public_key(key));
        }
        cloud.account_id = ui.account_id;
        if let Some(ctx) = ui.session_context {
            let created = ctx.attributes.and_then(|a| a.creation_date);
            let issuer = ctx.session_issuer.and_then(|i| i.arn);
            if let Some(created) = created {
                let who = issuer.or(ui.arn).or_else(|| ev.principal.clone());
                ev.session_id = who.map(|w| Cow::Owned(format!("{w}@{created}")));
            }
        }
        caller_user = ui.user_name;
    }

    if identity_only() {
        // Targets, bytes and lineage come from the request and response, read only here.
        ev.service = Some(Box::new(cloud));
        return Ok(ev);
    }
    let params = Params::parse(rec.request_parameters);
    ev.target = target_of(&params, rec.resources.as_deref());
    if let Some(extra) = rec.additional_event_data
        && let Ok(data) = serde_json::from_str::<AdditionalData>(extra.get())
    {
        ev.bytes = data.bytes_transferred_out.map(|b| b.max(0.0) as u64);
    }

    if let Some(lineage) = lineage_of(&event_name) {
        cloud.lineage = Some(lineage);
        let resp: Response<'_> = rec
            .response_elements
            .and_then(|r| serde_json::from_str(r.get()).ok())
            .unwrap_or_default();
        let (child_key, child_principal) = match lineage {
            "create_access_key" => {
                let key = resp.access_key.unwrap_or_default();
                let user = key
                    .user_name
                    .or_else(|| non_empty(&params.user_name))
                    .or(caller_user);
                (key.access_key_id, user)
            }
            "update_access_key" | "delete_access_key" => (
                non_empty(&params.access_key_id),
                non_empty(&params.user_name).or(caller_user),
            ),
            "create_user" => (
                None,
                resp.user
                    .and_then(|u| u.arn.or(u.user_name))
                    .or_else(|| non_empty(&params.user_name)),
            ),
            "create_login_profile"
            | "update_login_profile"
            | "attach_user_policy"
            | "put_user_policy" => (None, non_empty(&params.user_name).or(caller_user)),
            _ => {
                // STS: the temporary key and the identity it stands for.
                let key = resp.credentials.and_then(|c| c.access_key_id);
                let who = resp
                    .assumed_role_user
                    .and_then(|u| u.arn)
                    .or_else(|| resp.federated_user.and_then(|u| u.arn))
                    .or_else(|| {
                        (lineage == "get_session_token")
                            .then(|| ev.principal.clone())
                            .flatten()
                    });
                (key, who)
            }
        };
        cloud.child_credential = child_key.filter(|k| !k.is_empty()).map(public_key);
        cloud.child_principal = child_principal;
    }
    ev.service = Some(Box::new(cloud));
    Ok(ev)
}

/// Event history downloads from the console (its column labels; the record JSON, where a
/// column holds it, is read whole), and CloudTrail Lake or warehouse query results whose
/// columns are record fields (`eventTime`, `userIdentity.arn`).
static CSV_FORMS: &[CsvForm] = &[
    CsvForm {
        name: "CloudTrail event history download (CSV)",
        signature: &[
            "event name",
            "event time",
            "event source",
            "user name",
            "aws access key",
            "source ip address",
            "event id",
            "aws region",
            "error code",
            "resource type",
            "read-only",
        ],
        min_signature: 4,
        labels: &[
            ("event id", Target::Path("eventID")),
            ("event time", Target::Path("eventTime")),
            ("event name", Target::Path("eventName")),
            ("event source", Target::Path("eventSource")),
            ("user name", Target::Path("userIdentity.userName")),
            ("aws access key", Target::Path("userIdentity.accessKeyId")),
            ("aws region", Target::Path("awsRegion")),
            ("error code", Target::Path("errorCode")),
            ("source ip address", Target::Path("sourceIPAddress")),
            ("read-only", Target::Path("readOnly")),
            ("event type", Target::Path("eventType")),
        ],
        embedded_record: Some("eventVersion"),
    },
    CsvForm {
        name: "CloudTrail Lake or warehouse query results (CSV)",
        signature: &[
            "eventtime",
            "eventname",
            "eventsource",
            "eventid",
            "awsregion",
            "sourceipaddress",
            "useridentity.arn",
            "useridentity.accesskeyid",
            "recipientaccountid",
        ],
        min_signature: 3,
        labels: &[],
        embedded_record: Some("eventVersion"),
    },
];

impl LogParser for CloudTrailParser {
    fn csv_forms(&self) -> &'static [CsvForm] {
        CSV_FORMS
    }

    fn id(&self) -> SourceId {
        SourceId::CloudTrail
    }

    fn framing(&self, head: &[u8]) -> Framing {
        match head.first() {
            Some(b'[') => Framing::JsonArray,
            _ => match first_key(head) {
                Some(b"Records") => Framing::JsonRecordsField("Records"),
                Some(b"Events") => Framing::JsonRecordsField("Events"),
                _ => Framing::Lines,
            },
        }
    }

    fn skip_reason(&self, head: &[u8]) -> Option<&'static str> {
        let digest = contains(head, b"\"digestPublicKeyFingerprint\"")
            || (contains(head, b"\"digestStartTime\"") && contains(head, b"\"awsAccountId\""));
        digest.then_some("CloudTrail digest file (hashes of log files, no events)")
    }

    fn sniff(&self, head: &[u8]) -> Confidence {
        let looks_like_records = contains(head, b"\"eventName\"")
            && (contains(head, b"\"eventSource\"") || contains(head, b"\"eventVersion\""));
        match (head.first(), self.framing(head)) {
            (Some(b'{'), Framing::JsonRecordsField("Records")) => {
                let empty = head
                    .iter()
                    .filter(|b| !b.is_ascii_whitespace())
                    .eq(b"{\"Records\":[]}".iter());
                if looks_like_records {
                    Confidence(98)
                } else if empty {
                    Confidence(90)
                } else {
                    Confidence(40)
                }
            }
            (Some(b'{'), Framing::JsonRecordsField(_))
                if contains(head, b"\"CloudTrailEvent\"") =>
            {
                Confidence(95)
            }
            (Some(b'['), _) if looks_like_records => Confidence(90),
            (Some(b'{'), Framing::Lines) => sniff_json_lines(self, head),
            _ => Confidence::NONE,
        }
    }

    fn parse<'a>(&self, record: &'a [u8], out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        out.push(parse_record(record)?);
        Ok(())
    }

    fn parse_front<'a>(&self, rest: &'a str, out: &mut Vec<Event<'a>>) -> Option<usize> {
        let (record, end) = front_object::<Record<'a>>(rest)?;
        out.push(event_of(record).ok()?);
        Some(end)
    }

    fn examples(&self) -> &'static [Example] {
        EXAMPLES
    }
}

static EXAMPLES: &[Example] = &[
    Example {
        title: "CreateAccessKey: a new long-term key for another user (Stratus Red Team detonation log, Apache-2.0)",
        record: r#"{"awsRegion":"ap-central-2r","eventCategory":"Management","eventID":"c64c4ded-ef03-4e5c-81eb-153b118d72f2","eventName":"CreateAccessKey","eventSource":"iam.amazonaws.com","eventTime":"2024-07-30T21:53:13Z","eventType":"AwsApiCall","eventVersion":"1.09","managementEvent":true,"readOnly":false,"recipientAccountId":"946986569305","requestID":"1af58177-d743-4c94-ac1d-014721ed9b94","requestParameters":{"userName":"stratus-red-team-backdoor-u-user"},"responseElements":{"accessKey":{"accessKeyId":"AKIAL80DWDVKKM0UXEER","createDate":"Jul 30, 2024 9:53:13 PM","status":"Active","userName":"stratus-red-team-backdoor-u-user"}},"sourceIPAddress":"211.9.016.253","userAgent":"stratus-red-team_f3f19dcd-8552-47ca-a01e-0e1f5578d15e","userIdentity":{"accessKeyId":"AKIA30BEZSJBVKOFKZW0","accountId":"946986569305","arn":"arn:aws:iam::946986569305:user/christophe","principalId":"AIDAKYRO1QIPZ5M62HCS","type":"IAMUser","userName":"christophe"}}"#,
        expect: &[
            ("ts", Some("1722376393000000000")),
            ("event_id", Some("c64c4ded-ef03-4e5c-81eb-153b118d72f2")),
            ("action", Some("iam:CreateAccessKey")),
            ("credential", Some("aws_long_term_key:AKIA30BEZSJBVKOFKZW0")),
            (
                "principal",
                Some("arn:aws:iam::946986569305:user/christophe"),
            ),
            ("target", Some("user/stratus-red-team-backdoor-u-user")),
            ("outcome", Some("success")),
            ("read_only", Some("false")),
            ("region", Some("ap-central-2r")),
            ("lineage", Some("create_access_key")),
            (
                "child_credential",
                Some("aws_long_term_key:AKIAL80DWDVKKM0UXEER"),
            ),
            ("child_principal", Some("stratus-red-team-backdoor-u-user")),
            ("src_ip", Some("211.9.016.253")),
            ("parse_notes", Some("invalid_ip")),
        ],
    },
    Example {
        title: "AssumeRole called by an AWS service, @timestamp instead of eventTime (OTRF Security-Datasets ec2_proxy_s3_exfiltration, MIT)",
        record: r#"{"requestParameters":{"roleSessionName":"i-044b1baf4c96e1b62","roleArn":"arn:aws:iam::123456789123:role/MordorLogCollectorStack-LogCollectorRole-1JJTG88NNY4KN"},"userAgent":"ec2.amazonaws.com","awsRegion":"us-east-1","eventType":"AwsApiCall","@version":"1","userIdentity":{"invokedBy":"ec2.amazonaws.com","type":"AWSService"},"recipientAccountId":"123456789123","responseElements":{"credentials":{"sessionToken":"IQoJb3JpZ2luX2VjEKn//////////wEaCXVzLWVhc3QtMSJHMEUCIG/0fxJQUax3iemNToILPqQdcTDPzbAnUPGvrNUH/7b+AiEArHcl73fu6ppcd3v1rVO7fd5lVxHmonudJ0qnVDjEvF4qvQMIsv//////////ARABGgw5MDQ4ODI2NjcyOTIiDE6iGMQ5dbh4byldAyqRA5iyxvuO+0RlISoaR7p24RK2HlkFkSIa+kXMVpt/Jf+x1WFn3vYiXTR6YImU07qivSvjnnYzXkcPxuxE9Mu9sweHGFq8DMqXz2BktuljR2KPCNo8l4WTc5SdJ3ObvBAbWfuUKvM3IO1rEHwj0pgi3MNNYpV8vznNVKL/BGbhl0ybuXcpxCCBmUTgLBRho5WANax9DT2JHYI3v1vPdzU3634/GzBjpn/WvEP8np2fg7KoKXS01kqAbRNw44ROpaJ4Leu8ZnbK5VF8ZE6w8ezfe6l2NsFxstSoD1sLfQZmZUZL5n7+ivMbAMSoJfbfJgVTyLOpz+LK2rZnmSYH4OKQi8B9VvJJbmPDboOdgnfOtp/XSwvWYogTU4XjKOvXbI6yiFIK+ym6CXoZFLzlflngpdU2hXbiQnepmhxtjUMUpsSgv0hGTzrShrBGPkScA9r+19SCZjPwypO7huk4VpYrEVl591aUf7wCqaPE2ilF/upPRhnk4tmcVJqvt8jo4VA3gok61m/OSkegXNCcRVC2i/UvMMn8+voFOusB2HuKnFixv4QrVSemvRLq2KpmZBQgm5d68pSRhBnSMsNvWNyMZTYjer2l0GVbT9WmDBo8R01LWUVuA0fRi/gZ1/gffHdW5rvVL+vzZB27YBTXcZhtbaLc4SeHyQ0iJXpTUOqkqbe/SuO7L4QyubqOL9dVZqL9R6W88vEv7tNGL2YZRIOzDsqd/qrPU81E19mCMpMGBWWmGWuLKpf4TbvJwdQxfdT4C8inw9LVFPJTe6KUu1OhlNDYoaWKqYS++v9hBxlBLyt6CA7wWOclqBo4nEd/QLD4U4p3RwvfZgBDrqdjXsGP6sE2UaTFlA==","expiration":"Sep 14, 2020, 7:01:26 AM","accessKeyId":"ASIA5FLZVX4OLY6BJN4L"}},"sharedEventID":"f47b2d52-f5ef-4a87-87ed-8d0456842506","eventName":"AssumeRole","sourceIPAddress":"ec2.amazonaws.com","resources":[{"ARN":"arn:aws:iam::123456789123:role/MordorLogCollectorStack-LogCollectorRole-1JJTG88NNY4KN","accountId":"123456789123","type":"AWS::IAM::Role"}],"eventSource":"sts.amazonaws.com","requestID":"b3949fc5-636b-46f0-a546-32b0aaf0eeb2","@timestamp":"2020-09-14T00:50:17.000Z","eventID":"0f902c35-794c-4864-b2e0-3c4564b857b0","eventVersion":"1.05"}"#,
        expect: &[
            ("ts", Some("1600044617000000000")),
            ("event_id", Some("0f902c35-794c-4864-b2e0-3c4564b857b0")),
            ("action", Some("sts:AssumeRole")),
            ("principal", Some("ec2.amazonaws.com")),
            ("caller_kind", Some("aws_service")),
            ("credential", None),
            ("lineage", Some("assume_role")),
            (
                "child_credential",
                Some("aws_temporary_key:ASIA5FLZVX4OLY6BJN4L"),
            ),
            (
                "target",
                Some(
                    "arn:aws:iam::123456789123:role/MordorLogCollectorStack-LogCollectorRole-1JJTG88NNY4KN",
                ),
            ),
        ],
    },
    Example {
        title: "AccessDenied for an assumed-role session, zone-less eventTime (panther-analysis rule test, Apache-2.0)",
        record: r#"{"p_event_time":"2025-01-20 15:59:33.000000000","p_log_type":"AWS.CloudTrail","p_parse_time":"2025-01-20 16:05:54.322564138","awsRegion":"us-east-1","errorCode":"AccessDenied","errorMessage":"User: arn:aws:sts::111122223333:assumed-role/SampleRole/SampleSession is not authorized to perform: organizations:LeaveOrganization on resource: * because no identity-based policy allows the organizations:LeaveOrganization action","eventCategory":"Management","eventID":"f52c1358-4ddb-4453-a676-3f4dbc64d713","eventName":"LeaveOrganization","eventSource":"organizations.amazonaws.com","eventTime":"2025-01-20 15:59:33.000000000","eventType":"AwsApiCall","eventVersion":"1.09","managementEvent":true,"readOnly":false,"recipientAccountId":"111122223333","requestID":"67dce4b9-c7d1-4c91-a686-d34bbd5365eb","sourceIPAddress":"1.2.3.4","tlsDetails":{"cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"organizations.us-east-1.amazonaws.com","tlsVersion":"TLSv1.3"},"userAgent":"example-user-agent","userIdentity":{"accessKeyId":"SAMPLE_ACCESS_KEY","accountId":"111122223333","arn":"arn:aws:sts::111122223333:assumed-role/SampleRole/SampleSession","principalId":"SAMPLE_PRINCIPAL_ID:SampleSession","sessionContext":{"attributes":{"creationDate":"2025-01-20T15:59:30Z","mfaAuthenticated":"false"},"sessionIssuer":{"accountId":"111122223333","arn":"arn:aws:iam::111122223333:role/SampleRole","principalId":"SAMPLE_PRINCIPAL_ID","type":"Role","userName":"SampleRole"}},"type":"AssumedRole"}}"#,
        expect: &[
            ("ts", Some("1737388773000000000")),
            ("parse_notes", Some("assumed_utc")),
            ("outcome", Some("denied")),
            ("error_code", Some("AccessDenied")),
            ("action", Some("organizations:LeaveOrganization")),
            (
                "session_id",
                Some("arn:aws:iam::111122223333:role/SampleRole@2025-01-20T15:59:30Z"),
            ),
            ("credential", Some("aws_access_key:SAMPLE_ACCESS_KEY")),
            ("lineage", None),
        ],
    },
    Example {
        title: "lower-cased keys from a case-insensitive warehouse (panther-analysis rule test, Apache-2.0)",
        record: r#"{"apiversion":"2012-08-10","awsregion":"eu-west-1","eventcategory":"Data","eventid":"5d4b45ed-a15c-41b6-80e9-031729fa060d","eventname":"GetRecords","eventsource":"dynamodb.amazonaws.com","eventtime":"2023-01-10 21:04:02","eventtype":"AwsApiCall","eventversion":"1.08","managementevent":false,"useridentity":{"arn":"arn:aws:test_arn"}}"#,
        expect: &[
            ("action", Some("dynamodb:GetRecords")),
            ("region", Some("eu-west-1")),
            ("principal", Some("arn:aws:test_arn")),
            ("event_id", Some("5d4b45ed-a15c-41b6-80e9-031729fa060d")),
        ],
    },
];

//! What an action means for an investigation: route templates for HTTP paths, and the
//! class of each action (identity check, enumeration, credential minting, privilege change,
//! data access, evasion). One table per source family; signals weigh first-seen actions by
//! their class and reports group an attacker's timeline into phases by it.

use super::table::{EventTable, is_http_source};
use crate::score::FastMap;

/// The class of an action, in the order an intrusion usually goes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionClass {
    /// Who am I: `sts:GetCallerIdentity`, `GET /api/v1/me`.
    IdentityCheck,
    /// Listing what exists: users, buckets, policies, secrets.
    Enumeration,
    /// A sign-in or token exchange.
    SignIn,
    /// A new credential: access keys, login profiles, API tokens, federation tokens.
    CredentialMinting,
    /// Privilege changes: policies attached, roles granted, admin groups joined.
    PrivilegeChange,
    /// Reading data or secrets: objects, exports, secret values.
    DataAccess,
    /// Blinding the defenders: logging stopped, detectors or MFA policies removed.
    Evasion,
    Other,
}

impl ActionClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionClass::IdentityCheck => "identity_check",
            ActionClass::Enumeration => "enumeration",
            ActionClass::SignIn => "sign_in",
            ActionClass::CredentialMinting => "credential_minting",
            ActionClass::PrivilegeChange => "privilege_change",
            ActionClass::DataAccess => "data_access",
            ActionClass::Evasion => "evasion",
            ActionClass::Other => "other",
        }
    }

    /// Weight of the first time a credential does an action of this class.
    pub fn first_seen_weight(self) -> u32 {
        match self {
            ActionClass::Evasion => 35,
            ActionClass::CredentialMinting | ActionClass::PrivilegeChange => 30,
            ActionClass::DataAccess => 12,
            _ => 0,
        }
    }
}

/// AWS `service:EventName` → class. Exact names first, then prefixes.
const AWS_EXACT: &[(&str, ActionClass)] = &[
    ("sts:GetCallerIdentity", ActionClass::IdentityCheck),
    ("iam:GetUser", ActionClass::IdentityCheck),
    (
        "iam:GetAccountAuthorizationDetails",
        ActionClass::Enumeration,
    ),
    ("s3:ListBuckets", ActionClass::Enumeration),
    ("iam:CreateAccessKey", ActionClass::CredentialMinting),
    ("iam:CreateLoginProfile", ActionClass::CredentialMinting),
    ("iam:UpdateLoginProfile", ActionClass::CredentialMinting),
    ("iam:CreateUser", ActionClass::CredentialMinting),
    (
        "iam:CreateServiceSpecificCredential",
        ActionClass::CredentialMinting,
    ),
    ("iam:UploadSSHPublicKey", ActionClass::CredentialMinting),
    ("sts:GetFederationToken", ActionClass::CredentialMinting),
    ("iam:UpdateAccessKey", ActionClass::CredentialMinting),
    ("iam:AddUserToGroup", ActionClass::PrivilegeChange),
    ("iam:UpdateAssumeRolePolicy", ActionClass::PrivilegeChange),
    ("iam:CreatePolicyVersion", ActionClass::PrivilegeChange),
    ("iam:SetDefaultPolicyVersion", ActionClass::PrivilegeChange),
    ("s3:GetObject", ActionClass::DataAccess),
    ("secretsmanager:GetSecretValue", ActionClass::DataAccess),
    ("ssm:GetParameter", ActionClass::DataAccess),
    ("ssm:GetParameters", ActionClass::DataAccess),
    ("ssm:GetParametersByPath", ActionClass::DataAccess),
    ("kms:Decrypt", ActionClass::DataAccess),
    ("rds:CreateDBSnapshot", ActionClass::DataAccess),
    ("ec2:CreateSnapshot", ActionClass::DataAccess),
    ("ec2:ModifySnapshotAttribute", ActionClass::DataAccess),
    ("cloudtrail:StopLogging", ActionClass::Evasion),
    ("cloudtrail:DeleteTrail", ActionClass::Evasion),
    ("cloudtrail:UpdateTrail", ActionClass::Evasion),
    ("cloudtrail:PutEventSelectors", ActionClass::Evasion),
    ("guardduty:DeleteDetector", ActionClass::Evasion),
    ("guardduty:UpdateDetector", ActionClass::Evasion),
    ("config:StopConfigurationRecorder", ActionClass::Evasion),
    ("config:DeleteConfigurationRecorder", ActionClass::Evasion),
    ("ec2:DeleteFlowLogs", ActionClass::Evasion),
    ("logs:DeleteLogGroup", ActionClass::Evasion),
];

const AWS_PREFIX: &[(&str, ActionClass)] = &[
    ("iam:Attach", ActionClass::PrivilegeChange),
    ("iam:Put", ActionClass::PrivilegeChange),
    ("sts:AssumeRole", ActionClass::SignIn),
    ("signin:", ActionClass::SignIn),
    ("iam:List", ActionClass::Enumeration),
    ("iam:Get", ActionClass::Enumeration),
    ("organizations:List", ActionClass::Enumeration),
    ("organizations:Describe", ActionClass::Enumeration),
    ("secretsmanager:List", ActionClass::Enumeration),
    ("ec2:Describe", ActionClass::Enumeration),
    ("rds:Describe", ActionClass::Enumeration),
    ("lambda:List", ActionClass::Enumeration),
];

/// Identity providers' event types (Okta `eventType`, Auth0 and Entra actions as the
/// parsers normalize them), lower-cased substrings → class.
const IDP_CONTAINS: &[(&str, ActionClass)] = &[
    ("api_token.create", ActionClass::CredentialMinting),
    (
        "service principal credentials",
        ActionClass::CredentialMinting,
    ),
    ("mfa.factor.activate", ActionClass::CredentialMinting),
    (
        "user.account.reset_password",
        ActionClass::CredentialMinting,
    ),
    ("privilege.grant", ActionClass::PrivilegeChange),
    ("add member to role", ActionClass::PrivilegeChange),
    ("elevated their access", ActionClass::PrivilegeChange),
    ("impersonation.grant", ActionClass::PrivilegeChange),
    ("group.user_membership.add", ActionClass::PrivilegeChange),
    ("access_admin_app", ActionClass::PrivilegeChange),
    ("show_password", ActionClass::DataAccess),
    ("read_secrets", ActionClass::DataAccess),
    ("mfa.factor.deactivate", ActionClass::Evasion),
    ("mfa.factor.reset_all", ActionClass::Evasion),
    ("policy.lifecycle.delete", ActionClass::Evasion),
    ("policy.lifecycle.deactivate", ActionClass::Evasion),
    ("delete conditional access policy", ActionClass::Evasion),
    ("update conditional access policy", ActionClass::Evasion),
    ("user.session.start", ActionClass::SignIn),
    ("sign_in", ActionClass::SignIn),
    ("login", ActionClass::SignIn),
    ("token_exchange", ActionClass::SignIn),
    ("authentication", ActionClass::SignIn),
];

/// The template of an Auth0 Management API call: `management_api POST /api/v2/clients`
/// from the call's target (`POST /api/v2/clients?fields=…`), its ids as `{id}` and its
/// query left out. The API's one action name says nothing of what a call did; its route
/// does, as an HTTP API's does.
const MANAGEMENT_API: &str = "management_api";

fn management_template(action: &str, target: Option<&str>) -> Option<String> {
    if !action.starts_with(MANAGEMENT_API) {
        return None;
    }
    let target = target?;
    let route = target.split_once('?').map_or(target, |(r, _)| r);
    // User ids are `connection|id`, often percent-encoded, or e-mail addresses.
    let route = templated(route, |seg| {
        is_identifier(seg) || seg.contains(['|', '%', '@'])
    });
    Some(format!("{MANAGEMENT_ROUTE}{route}"))
}

/// How a Management API call's template begins (`management_api POST /api/v2/clients`).
pub const MANAGEMENT_ROUTE: &str = "management_api ";

/// Auth0 Management API routes (method and template, after `/api/v2`) → class: what an
/// intruder holding a management token does (docs/detections.md).
fn classify_management(route: &str) -> ActionClass {
    let (method, path) = route.split_once(' ').unwrap_or(("GET", route));
    let path = path.strip_prefix("/api/v2").unwrap_or(path);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let writes = matches!(method, "POST" | "PUT" | "PATCH");
    match (method, segments.as_slice()) {
        // MFA removed, attack protection or log streams changed.
        ("DELETE", ["users", _, "authentication-methods", ..])
        | ("DELETE", ["users", _, "multifactor", ..])
        | ("DELETE", ["guardian", ..])
        | ("DELETE" | "PATCH" | "PUT", ["log-streams", ..])
        | ("PATCH" | "PUT", ["attack-protection", ..])
        | ("PUT" | "PATCH", ["guardian", "factors", ..]) => ActionClass::Evasion,
        // New applications or secrets, new users, a user's password or email changed, a
        // factor enrolled for someone, a password-change link.
        ("POST", ["clients"])
        | ("POST", ["clients", _, "rotate-secret"])
        | ("POST", ["clients", _, "credentials"])
        | ("POST", ["users"])
        | ("PATCH", ["users", _])
        | ("POST", ["users", _, "authentication-methods"])
        | ("POST", ["tickets", "password-change"])
        | ("POST", ["device-credentials"]) => ActionClass::CredentialMinting,
        // Scopes granted to an application, roles and permissions given.
        (_, ["client-grants", ..]) if writes => ActionClass::PrivilegeChange,
        (_, [_, _, "roles" | "permissions" | "members", ..]) if writes => {
            ActionClass::PrivilegeChange
        }
        (_, ["roles", ..]) if writes => ActionClass::PrivilegeChange,
        // Every user, exported.
        ("POST", ["jobs", "users-exports"]) => ActionClass::DataAccess,
        ("GET", [_, ..]) => ActionClass::Enumeration,
        _ => ActionClass::Other,
    }
}

/// Whether an Auth0 Management API call (its template) makes an application or a new
/// secret for one: the credential it makes is then an application (`auth0_client`),
/// which Auth0's log of the call does not name.
fn makes_auth0_application(template: &str) -> bool {
    matches!(
        template.strip_prefix(MANAGEMENT_ROUTE),
        Some(
            "POST /api/v2/clients"
                | "POST /api/v2/clients/{id}/rotate-secret"
                | "POST /api/v2/clients/{id}/credentials"
        )
    )
}

/// The class of an action as the frame spells it, given its route template for HTTP.
pub fn classify(source: Option<&str>, action: &str) -> ActionClass {
    if let Some(route) = action.strip_prefix(MANAGEMENT_ROUTE) {
        return classify_management(route);
    }
    match source {
        Some("cloudtrail") => {
            if let Some((_, c)) = AWS_EXACT.iter().find(|(a, _)| *a == action) {
                return *c;
            }
            AWS_PREFIX
                .iter()
                .find(|(p, _)| action.starts_with(p))
                .map_or(ActionClass::Other, |(_, c)| *c)
        }
        s if is_http_source(s) => classify_http(action),
        _ => {
            let lower = action.to_ascii_lowercase();
            IDP_CONTAINS
                .iter()
                .find(|(n, _)| lower.contains(n))
                .map_or(ActionClass::Other, |(_, c)| *c)
        }
    }
}

/// HTTP routes by their words: APIs name these things alike.
fn classify_http(template: &str) -> ActionClass {
    let (method, path) = template.split_once(' ').unwrap_or(("GET", template));
    let lower = path.to_ascii_lowercase();
    let segments: Vec<&str> = lower.split('/').filter(|s| !s.is_empty()).collect();
    let last = segments.last().copied().unwrap_or("");
    let any = |words: &[&str]| segments.iter().any(|s| words.contains(s));
    let writes = matches!(method, "POST" | "PUT" | "PATCH");
    if writes
        && any(&[
            "tokens",
            "token",
            "api_keys",
            "apikeys",
            "keys",
            "credentials",
        ])
    {
        return ActionClass::CredentialMinting;
    }
    if writes && any(&["roles", "permissions", "admins", "grants"]) {
        return ActionClass::PrivilegeChange;
    }
    if any(&[
        "export", "exports", "download", "dump", "backup", "secrets", "secret",
    ]) {
        return ActionClass::DataAccess;
    }
    if matches!(last, "me" | "whoami" | "userinfo" | "self") {
        return ActionClass::IdentityCheck;
    }
    if any(&[
        "login",
        "signin",
        "oauth",
        "authorize",
        "session",
        "sessions",
    ]) {
        return ActionClass::SignIn;
    }
    if method == "GET" && matches!(last, "users" | "accounts" | "members" | "keys" | "tokens") {
        return ActionClass::Enumeration;
    }
    ActionClass::Other
}

/// The route template of an HTTP action: `GET /api/v1/projects/17/builds` →
/// `GET /api/v1/projects/{id}/builds`. Numbers, UUIDs, long hex and token-like segments
/// become `{id}`, so a baseline of routes does not call every new project id a new action.
pub fn route_template(action: &str) -> String {
    templated(action, is_identifier)
}

/// `action` (`METHOD path`, or a path) with the path segments `is_id` accepts as `{id}`.
fn templated(action: &str, is_id: impl Fn(&str) -> bool) -> String {
    let (method, path) = match action.split_once(' ') {
        Some((m, p)) => (Some(m), p),
        None => (None, action),
    };
    let mut out = String::with_capacity(action.len());
    if let Some(m) = method {
        out.push_str(m);
        out.push(' ');
    }
    for (n, seg) in path.split('/').enumerate() {
        if n > 0 {
            out.push('/');
        }
        match is_id(seg) {
            true => out.push_str("{id}"),
            false => out.push_str(seg),
        }
    }
    out
}

fn is_identifier(seg: &str) -> bool {
    if seg.is_empty() {
        return false;
    }
    let b = seg.as_bytes();
    if b.iter().all(u8::is_ascii_digit) {
        return true;
    }
    let hexish = b.iter().all(|c| c.is_ascii_hexdigit() || *c == b'-');
    if hexish && b.len() >= 8 && b.iter().any(u8::is_ascii_digit) {
        return true;
    }
    // Token-like: long, mixed letters and digits (ids such as `usr_8Fq2…`).
    b.len() >= 16
        && b.iter().any(u8::is_ascii_digit)
        && b.iter().any(u8::is_ascii_alphabetic)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-'))
}

/// The service of an action: `iam` of `iam:ListUsers`, the first path word of HTTP, the
/// resource of an Auth0 Management API call (`users`, `clients`).
pub fn service(action: &str) -> &str {
    if let Some(route) = action.strip_prefix(MANAGEMENT_ROUTE) {
        let path = route.split_once(' ').map_or(route, |(_, p)| p);
        let path = path.strip_prefix("/api/v2/").unwrap_or(path);
        return path.split('/').next().unwrap_or(path);
    }
    if let Some((svc, _)) = action.split_once(':') {
        return svc;
    }
    let path = action.split_once(' ').map_or(action, |(_, p)| p);
    path.split('/')
        .filter(|s| !s.is_empty() && !s.starts_with('v') && *s != "api")
        .find(|s| !is_identifier(s))
        .unwrap_or(path)
}

/// Every event's action as an interned template id with its class: signals compare ids,
/// and templates are computed once per distinct action, not per event.
pub struct ActionIndex {
    pub templates: Vec<String>,
    pub classes: Vec<ActionClass>,
    /// Service id of each template, into `services`.
    pub service_of: Vec<u32>,
    pub services: Vec<String>,
    /// Template id of each event; `u32::MAX` when the event has no action.
    pub of_event: Vec<u32>,
}

pub const NO_ACTION: u32 = u32::MAX;

impl ActionIndex {
    pub fn new(t: &EventTable) -> ActionIndex {
        let mut by_raw: FastMap<(Option<&str>, &str, Option<&str>), u32> = FastMap::default();
        let mut by_template: FastMap<String, u32> = FastMap::default();
        let mut templates = Vec::new();
        let mut classes = Vec::new();
        let mut service_of = Vec::new();
        let mut services: Vec<String> = Vec::new();
        let mut service_ids: FastMap<String, u32> = FastMap::default();
        let of_event = (0..t.len())
            .map(|i| {
                let Some(action) = t.action[i] else {
                    return NO_ACTION;
                };
                let source = t.source[i];
                // A Management API call is told by its target.
                let target = (source == Some("auth0") && action.starts_with(MANAGEMENT_API))
                    .then_some(t.target[i])
                    .flatten();
                *by_raw.entry((source, action, target)).or_insert_with(|| {
                    let template = match source {
                        s if is_http_source(s) => route_template(action),
                        Some("auth0") => management_template(action, target)
                            .unwrap_or_else(|| action.to_string()),
                        _ => action.to_string(),
                    };
                    *by_template.entry(template.clone()).or_insert_with(|| {
                        classes.push(classify(source, &template));
                        let svc = service(&template).to_string();
                        let id = *service_ids.entry(svc.clone()).or_insert_with(|| {
                            services.push(svc);
                            (services.len() - 1) as u32
                        });
                        service_of.push(id);
                        templates.push(template);
                        (templates.len() - 1) as u32
                    })
                })
            })
            .collect();
        ActionIndex {
            templates,
            classes,
            service_of,
            services,
            of_event,
        }
    }

    pub fn class(&self, i: usize) -> ActionClass {
        match self.of_event[i] {
            NO_ACTION => ActionClass::Other,
            id => self.classes[id as usize],
        }
    }

    /// Service id of an event's action (`NO_ACTION` when it has none).
    pub fn service(&self, i: usize) -> u32 {
        match self.of_event[i] {
            NO_ACTION => NO_ACTION,
            id => self.service_of[id as usize],
        }
    }

    /// Whether event `i` mints a credential its log does not name, so the investigation
    /// may infer which one (docs/investigation.md): an HTTP API's minting call, an Auth0
    /// Management API call that makes an application. Sources that log what they mint
    /// (CloudTrail) are never guessed at.
    pub fn mints_unnamed(&self, t: &EventTable, i: usize) -> bool {
        match t.source[i] {
            s if is_http_source(s) => self.class(i) == ActionClass::CredentialMinting,
            Some("auth0") => self.template(i).is_some_and(makes_auth0_application),
            _ => false,
        }
    }

    pub fn template(&self, i: usize) -> Option<&str> {
        match self.of_event[i] {
            NO_ACTION => None,
            id => Some(&self.templates[id as usize]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_templates_hide_ids_not_words() {
        assert_eq!(
            route_template("GET /api/v1/projects/17/builds"),
            "GET /api/v1/projects/{id}/builds"
        );
        assert_eq!(
            route_template("GET /users/3f2a9c1e-7b4d-4e8a-9f00-1a2b3c4d5e6f"),
            "GET /users/{id}"
        );
        assert_eq!(
            route_template("DELETE /keys/usr_8Fq2mXb7Lr0pZs8Vw"),
            "DELETE /keys/{id}"
        );
        assert_eq!(route_template("GET /api/v1/export"), "GET /api/v1/export");
        assert_eq!(route_template("GET /static/app.js"), "GET /static/app.js");
    }

    /// An Auth0 Management API call is told by its route: user ids (`auth0|…`, encoded
    /// or not) and queries left out, each route its class and its resource its service.
    #[test]
    fn auth0_management_calls_by_route() {
        let template = |target: &str| management_template("management_api", Some(target)).unwrap();
        assert_eq!(
            template("GET /api/v2/users?page=3&per_page=100"),
            "management_api GET /api/v2/users"
        );
        assert_eq!(
            template("PATCH /api/v2/users/auth0%7C65f0a1b2c3d4e5f6a7b8c9d0"),
            "management_api PATCH /api/v2/users/{id}"
        );
        assert_eq!(
            template("DELETE /api/v2/users/google-oauth2|1052614/authentication-methods"),
            "management_api DELETE /api/v2/users/{id}/authentication-methods"
        );
        assert_eq!(management_template("login", Some("GET /x")), None);
        let class = |target: &str| classify(Some("auth0"), &template(target));
        use ActionClass::*;
        for (target, want) in [
            ("GET /api/v2/users?page=0", Enumeration),
            ("GET /api/v2/clients", Enumeration),
            ("POST /api/v2/clients", CredentialMinting),
            (
                "POST /api/v2/clients/Xp0rT3rCl1entId00000000000000001/rotate-secret",
                CredentialMinting,
            ),
            ("POST /api/v2/users", CredentialMinting),
            ("PATCH /api/v2/users/auth0|abc", CredentialMinting),
            ("POST /api/v2/client-grants", PrivilegeChange),
            ("POST /api/v2/users/auth0|abc/roles", PrivilegeChange),
            (
                "DELETE /api/v2/users/auth0|abc/authentication-methods",
                Evasion,
            ),
            (
                "PATCH /api/v2/attack-protection/brute-force-protection",
                Evasion,
            ),
            ("DELETE /api/v2/log-streams/lst_0000000000012345", Evasion),
            ("POST /api/v2/jobs/users-exports", DataAccess),
            ("DELETE /api/v2/rules/rul_1234567890abcdef", Other),
        ] {
            assert_eq!(class(target), want, "{target}");
        }
        assert!(makes_auth0_application(&template("POST /api/v2/clients")));
        assert!(!makes_auth0_application(&template("POST /api/v2/users")));
        assert_eq!(service(&template("GET /api/v2/users?page=1")), "users");
        assert_eq!(service(&template("GET /api/v2/connections")), "connections");
    }

    #[test]
    fn classes_per_source() {
        let ct = Some("cloudtrail");
        assert_eq!(
            classify(ct, "sts:GetCallerIdentity"),
            ActionClass::IdentityCheck
        );
        assert_eq!(
            classify(ct, "iam:CreateAccessKey"),
            ActionClass::CredentialMinting
        );
        assert_eq!(
            classify(ct, "iam:AttachUserPolicy"),
            ActionClass::PrivilegeChange
        );
        assert_eq!(classify(ct, "iam:ListUsers"), ActionClass::Enumeration);
        assert_eq!(classify(ct, "cloudtrail:StopLogging"), ActionClass::Evasion);
        assert_eq!(classify(ct, "s3:GetObject"), ActionClass::DataAccess);
        assert_eq!(classify(ct, "ecs:UpdateService"), ActionClass::Other);
        let web = Some("nginx");
        assert_eq!(classify(web, "GET /api/v1/me"), ActionClass::IdentityCheck);
        assert_eq!(
            classify(web, "POST /api/v1/tokens"),
            ActionClass::CredentialMinting
        );
        assert_eq!(
            classify(web, "GET /api/v1/projects/{id}/secrets"),
            ActionClass::DataAccess
        );
        assert_eq!(classify(web, "GET /api/v1/users"), ActionClass::Enumeration);
        assert_eq!(
            classify(web, "GET /api/v1/projects/{id}/builds"),
            ActionClass::Other
        );
        let okta = Some("okta_system_log");
        assert_eq!(
            classify(okta, "system.api_token.create"),
            ActionClass::CredentialMinting
        );
        assert_eq!(
            classify(okta, "system.mfa.factor.deactivate"),
            ActionClass::Evasion
        );
        assert_eq!(classify(okta, "user.session.start"), ActionClass::SignIn);
        assert_eq!(
            classify(Some("entra_signin"), "Add member to role"),
            ActionClass::PrivilegeChange
        );
    }

    #[test]
    fn services() {
        assert_eq!(service("iam:ListUsers"), "iam");
        assert_eq!(service("GET /api/v1/projects/{id}/secrets"), "projects");
        assert_eq!(service("GET /api/v1/users"), "users");
    }
}

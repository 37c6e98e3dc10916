//! Client fingerprints from user agents: the family (tool, SDK, browser) and what kind of
//! client it is. One table, in order, first match wins: add a line to recognise a new one.

/// What kind of client sent a request.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ClientKind {
    /// Offensive or secret-scanning tooling: a strong signal on any credential.
    AttackTool,
    /// Generic HTTP libraries and command-line tools (curl, python-requests, Go).
    Library,
    /// Official SDKs and CLIs (aws-cli, boto3, Terraform, okta-sdk).
    Sdk,
    /// Web browsers.
    Browser,
    /// Cloud services calling on the principal's behalf (console, service principals).
    Service,
    /// Crawlers and uptime monitors.
    Bot,
    Other,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::AttackTool => "attack_tool",
            ClientKind::Library => "library",
            ClientKind::Sdk => "sdk",
            ClientKind::Browser => "browser",
            ClientKind::Service => "service",
            ClientKind::Bot => "bot",
            ClientKind::Other => "other",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// Family and major version when known: `python-requests/2`, `aws-cli/2`, `chrome/122`.
    pub family: String,
    pub kind: ClientKind,
}

/// `(needle in the lower-cased user agent, family, kind)`, first match wins, so specific
/// tools come before the libraries they are built on.
const TABLE: &[(&str, &str, ClientKind)] = &[
    ("trufflehog", "trufflehog", ClientKind::AttackTool),
    ("pacu", "pacu", ClientKind::AttackTool),
    ("scoutsuite", "scoutsuite", ClientKind::AttackTool),
    ("prowler", "prowler", ClientKind::AttackTool),
    ("cloudsploit", "cloudsploit", ClientKind::AttackTool),
    (
        "stratus-red-team",
        "stratus-red-team",
        ClientKind::AttackTool,
    ),
    ("gitleaks", "gitleaks", ClientKind::AttackTool),
    ("nuclei", "nuclei", ClientKind::AttackTool),
    ("sqlmap", "sqlmap", ClientKind::AttackTool),
    ("nikto", "nikto", ClientKind::AttackTool),
    ("zgrab", "zgrab", ClientKind::AttackTool),
    ("masscan", "masscan", ClientKind::AttackTool),
    ("nmap", "nmap", ClientKind::AttackTool),
    ("kali", "kali", ClientKind::AttackTool),
    ("aws-cli/", "aws-cli", ClientKind::Sdk),
    ("boto3/", "boto3", ClientKind::Sdk),
    ("botocore/", "botocore", ClientKind::Sdk),
    ("aws-sdk-", "aws-sdk", ClientKind::Sdk),
    ("terraform", "terraform", ClientKind::Sdk),
    ("okta-sdk", "okta-sdk", ClientKind::Sdk),
    ("auth0-", "auth0-sdk", ClientKind::Sdk),
    ("azure-sdk", "azure-sdk", ClientKind::Sdk),
    ("msal", "msal", ClientKind::Sdk),
    ("console.amazonaws.com", "aws-console", ClientKind::Service),
    (
        "console.ec2.amazonaws.com",
        "aws-console",
        ClientKind::Service,
    ),
    (".amazonaws.com", "aws-service", ClientKind::Service),
    ("aws internal", "aws-service", ClientKind::Service),
    ("python-requests/", "python-requests", ClientKind::Library),
    ("python-urllib", "python-urllib", ClientKind::Library),
    ("aiohttp/", "aiohttp", ClientKind::Library),
    ("httpx", "httpx", ClientKind::Library),
    ("go-http-client/", "go-http-client", ClientKind::Library),
    ("curl/", "curl", ClientKind::Library),
    ("wget/", "wget", ClientKind::Library),
    ("okhttp/", "okhttp", ClientKind::Library),
    ("java/", "java", ClientKind::Library),
    ("node-fetch", "node-fetch", ClientKind::Library),
    ("axios/", "axios", ClientKind::Library),
    ("postmanruntime/", "postman", ClientKind::Library),
    ("powershell", "powershell", ClientKind::Library),
    ("googlebot", "googlebot", ClientKind::Bot),
    ("bingbot", "bingbot", ClientKind::Bot),
    ("facebot", "facebot", ClientKind::Bot),
    ("bot", "bot", ClientKind::Bot),
    ("spider", "spider", ClientKind::Bot),
    ("edg/", "edge", ClientKind::Browser),
    ("firefox/", "firefox", ClientKind::Browser),
    ("chrome/", "chrome", ClientKind::Browser),
    ("safari/", "safari", ClientKind::Browser),
    ("mozilla/", "mozilla", ClientKind::Browser),
];

/// The fingerprint of a user agent.
pub fn fingerprint(user_agent: &str) -> Client {
    let lower = user_agent.to_ascii_lowercase();
    for (needle, family, kind) in TABLE {
        if let Some(at) = lower.find(needle) {
            let version = major_version(lower.get(at + needle.len()..).unwrap_or(""));
            return Client {
                family: match version {
                    Some(v) if needle.ends_with('/') => format!("{family}/{v}"),
                    _ => (*family).to_string(),
                },
                kind: *kind,
            };
        }
    }
    let first = lower.split(['/', ' ']).next().unwrap_or("").to_string();
    Client {
        family: if first.is_empty() {
            "unknown".into()
        } else {
            first
        },
        kind: ClientKind::Other,
    }
}

fn major_version(after: &str) -> Option<&str> {
    let end = after
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(after.len());
    after.get(..end).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_sdks_libraries_and_browsers() {
        let f = |ua: &str| {
            let c = fingerprint(ua);
            (c.family, c.kind)
        };
        assert_eq!(
            f("python-requests/2.31.0"),
            ("python-requests/2".into(), ClientKind::Library)
        );
        assert_eq!(
            f("TruffleHog/3.63 python-requests/2.31"),
            ("trufflehog".into(), ClientKind::AttackTool)
        );
        assert_eq!(
            f("aws-cli/2.13.5 Python/3.11.4 Linux/6.1 exe/x86_64"),
            ("aws-cli/2".into(), ClientKind::Sdk)
        );
        assert_eq!(
            f("Boto3/1.28.0 md/Botocore#1.31.0 ua/2.0 os/linux Pacu"),
            ("pacu".into(), ClientKind::AttackTool)
        );
        assert_eq!(
            f("Go-http-client/1.1"),
            ("go-http-client/1".into(), ClientKind::Library)
        );
        assert_eq!(
            f(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"
            ),
            ("chrome/122".into(), ClientKind::Browser)
        );
        assert_eq!(
            f("console.ec2.amazonaws.com"),
            ("aws-console".into(), ClientKind::Service)
        );
        assert_eq!(
            f("Mozilla/5.0 zgrab/0.x"),
            ("zgrab".into(), ClientKind::AttackTool)
        );
        assert_eq!(
            f("acme-dashboard/3.4.1"),
            ("acme-dashboard".into(), ClientKind::Other)
        );
    }
}

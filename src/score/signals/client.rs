//! Known attack and secret-scanning tools on any credential; a client family this
//! credential has never used.

use super::{Ctx, Reason, Signal};
use crate::score::baseline::{Familiarity, client_base};

pub struct AttackToolOrNewClient;

pub const ATTACK_TOOL: u32 = 40;
pub const NEW_CLIENT: u32 = 12;

impl Signal for AttackToolOrNewClient {
    fn id(&self) -> &'static str {
        "client"
    }

    fn event(&self, c: &Ctx, out: &mut Vec<Reason>) {
        let Some(family) = c.t.client_family[c.i] else {
            return;
        };
        if c.trusted_client {
            return;
        }
        if c.t.client_kind[c.i] == Some("attack_tool") {
            out.push(Reason::new(
                self.id(),
                ATTACK_TOOL,
                format!("attack tool {family}"),
                "attack tools are never normal".into(),
            ));
            return;
        }
        if !c.mature() || c.t.client_kind[c.i] == Some("service") {
            return;
        }
        let weight = match c.baseline.client(family) {
            Familiarity::New => NEW_CLIENT,
            Familiarity::Recent => NEW_CLIENT / 2,
            Familiarity::Established => return,
        };
        out.push(Reason::new(
            self.id(),
            weight,
            format!("new client {}", client_base(family)),
            format!(
                "clients of {}: {}",
                c.scope_text(),
                c.baseline.clients.known()
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::score::testkit::*;

    #[test]
    fn attack_tools_always_new_clients_once_mature() {
        let mut rows = office_days(3, 10);
        let n = rows.len();
        rows.push(Row {
            client_family: "python-requests/2",
            client_kind: "library",
            ..office(rows[n - 1].ts + 60_000_000_000)
        });
        rows.push(Row {
            client_family: "trufflehog",
            client_kind: "attack_tool",
            ..office(rows[n - 1].ts + 120_000_000_000)
        });
        // A browser update is the same client.
        rows.push(Row {
            client_family: "chrome/123",
            ..office(rows[n - 1].ts + 180_000_000_000)
        });
        let s = run(&rows);
        assert_eq!(signals_of(&s, n), vec!["client"]);
        assert_eq!(&*s.reasons_of(n)[0].value, "new client python-requests");
        assert_eq!(
            &*s.reasons_of(n)[0].baseline,
            "clients of this credential: chrome"
        );
        assert_eq!(s.reasons_of(n + 1)[0].weight, super::ATTACK_TOOL);
        assert!(
            signals_of(&s, n + 2).is_empty(),
            "{:?}",
            s.reasons_of(n + 2)
        );
        assert!((0..n).all(|i| s.scores[i] == 0), "history scores nothing");
    }
}

use std::fmt;

/// Stable identity of a log source: the `--source` value, the `source` column, the docs
/// anchor. Never rename a released id.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceId {
    /// nginx access log in a text format (`combined`, `common`, `main`).
    Nginx,
}

impl SourceId {
    pub const ALL: &'static [SourceId] = &[SourceId::Nginx];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceId::Nginx => "nginx",
        }
    }

    pub fn from_id(id: &str) -> Option<SourceId> {
        SourceId::ALL.iter().copied().find(|s| s.as_str() == id)
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

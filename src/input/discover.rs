use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One input to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    Stdin,
    /// Found while walking a folder but not readable (a folder that cannot be listed, a
    /// link to nothing): reported as input lost, never silently dropped.
    Unreadable(PathBuf, String),
    /// Found twice (a link to a file or folder already read, a link loop): reported as
    /// skipped, so that no event is counted twice.
    Duplicate(PathBuf, String),
}

impl Input {
    /// How the input is named in reports and messages.
    pub fn display_name(&self) -> String {
        match self {
            Input::File(p) | Input::Unreadable(p, _) | Input::Duplicate(p, _) => {
                p.display().to_string()
            }
            Input::Stdin => "<stdin>".to_string(),
        }
    }

    /// About how many bytes reading the input gives: a gzip file's size ten times over
    /// (logs compress about 10:1), another's size; standard input, unknown, counts as a
    /// gigabyte.
    pub fn size_as_read(&self) -> u64 {
        match self {
            Input::File(p) => {
                let size = std::fs::metadata(p).map_or(0, |m| m.len());
                let gzip = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
                if gzip { size.saturating_mul(10) } else { size }
            }
            Input::Stdin => 1 << 30,
            Input::Unreadable(..) | Input::Duplicate(..) => 0,
        }
    }
}

/// Expand paths into inputs: files as given, folders walked recursively in a stable order
/// (natural order of names, so `access.log.2` comes before `access.log.10`), `-` for stdin.
/// Hidden files and folders (`.name`) inside a walked folder are skipped. Links are
/// followed; a file or folder reached a second time (a link loop, two links to one log)
/// is reported once as a duplicate instead of read twice.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Input>> {
    let mut out = Vec::new();
    let mut seen = Seen::default();
    for path in paths {
        if path.as_os_str() == "-" {
            out.push(Input::Stdin);
            continue;
        }
        let meta = std::fs::metadata(path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            let before = out.len();
            walk(path, &mut out, &mut seen);
            if out.len() == before {
                return Err(Error::NoInputs(path.display().to_string()));
            }
        } else {
            out.push(seen.file(path));
        }
    }
    Ok(out)
}

/// What was read already, by real path.
#[derive(Default)]
struct Seen {
    paths: std::collections::HashMap<PathBuf, PathBuf>,
}

impl Seen {
    /// The first time `path`'s real path is met: `None`; after that, the path that met it.
    fn first(&mut self, path: &Path) -> Option<PathBuf> {
        let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        match self.paths.get(&real) {
            Some(earlier) => Some(earlier.clone()),
            None => {
                self.paths.insert(real, path.to_path_buf());
                None
            }
        }
    }

    fn file(&mut self, path: &Path) -> Input {
        match self.first(path) {
            None => Input::File(path.to_path_buf()),
            Some(earlier) => Input::Duplicate(
                path.to_path_buf(),
                format!("the same file as {}: read once", earlier.display()),
            ),
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<Input>, seen: &mut Seen) {
    if let Some(earlier) = seen.first(dir) {
        out.push(Input::Duplicate(
            dir.to_path_buf(),
            format!(
                "the same folder as {} (a link loop or a second link): read once",
                earlier.display()
            ),
        ));
        return;
    }
    let listed = std::fs::read_dir(dir).and_then(|entries| {
        entries
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<Vec<PathBuf>>>()
    });
    let mut entries = match listed {
        Ok(entries) => entries,
        Err(e) => {
            out.push(Input::Unreadable(
                dir.to_path_buf(),
                format!("cannot list folder: {e}"),
            ));
            return;
        }
    };
    entries.retain(|p| {
        !p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
    });
    entries.sort_by(|a, b| natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
    for path in entries {
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => walk(&path, out, seen),
            Ok(meta) if meta.is_file() => out.push(seen.file(&path)),
            // Sockets, fifos, devices: not logs, and a fifo would block the run.
            Ok(_) => {}
            Err(e) => out.push(Input::Unreadable(
                path.clone(),
                match std::fs::symlink_metadata(&path) {
                    Ok(m) if m.file_type().is_symlink() => format!("a link to nothing: {e}"),
                    _ => format!("cannot read: {e}"),
                },
            )),
        }
    }
}

/// Compare names with digit runs compared as numbers.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let na = trim_zeros(&a[..da]);
                let nb = trim_zeros(&b[..db]);
                let ord = na.len().cmp(&nb.len()).then(na.cmp(nb));
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let z = d.iter().take_while(|c| **c == b'0').count();
    &d[z..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_names_sort_naturally() {
        let mut names = vec![
            "access.log.10.gz",
            "access.log.2.gz",
            "access.log",
            "access.log.1",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "access.log",
                "access.log.1",
                "access.log.2.gz",
                "access.log.10.gz"
            ]
        );
    }
}

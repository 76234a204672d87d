//! For a model without tools: the workspace files a reply mentions that the request did not
//! carry, to offer adding them (aider's way). A word matches a file by its path (with a folder
//! in it), or by its name when that name has an extension and no other file shares it. Hidden
//! files are never offered.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The most files one reply offers.
pub const MAX_OFFERED: usize = 8;

/// The files of `files` that `reply` mentions and `carried` does not hold, in the order they
/// are first mentioned, at most [`MAX_OFFERED`].
pub fn mentioned(reply: &str, files: &[PathBuf], carried: &HashSet<PathBuf>) -> Vec<PathBuf> {
    let hidden = |f: &Path| {
        f.components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
    };
    let visible = files.iter().filter(|f| !hidden(f));
    let by_path: HashMap<String, &PathBuf> = visible
        .clone()
        .filter(|f| f.components().count() > 1)
        .map(|f| (f.to_string_lossy().replace('\\', "/"), f))
        .collect();
    let mut by_name: HashMap<&str, Vec<&PathBuf>> = HashMap::new();
    for f in visible {
        if let Some(name) = f.file_name().and_then(|n| n.to_str())
            && name.contains('.')
        {
            by_name.entry(name).or_default().push(f);
        }
    }
    let mut out: Vec<PathBuf> = Vec::new();
    for word in words(reply) {
        let word = word.trim_start_matches("./");
        let found = by_path.get(word).copied().or_else(|| {
            let names = by_name.get(word)?;
            (names.len() == 1).then(|| names[0])
        });
        let Some(file) = found else { continue };
        if carried.contains(file.as_path()) || out.iter().any(|f| f == file) {
            continue;
        }
        out.push(file.clone());
        if out.len() == MAX_OFFERED {
            break;
        }
    }
    out
}

/// The words of `text` that could be paths: split at whitespace and the quotes, brackets and
/// commas around them, with trailing sentence punctuation dropped.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '`' | '"' | '\'' | '(' | ')' | '[' | ']' | ',' | '<' | '>'
            )
    })
    .map(|w| w.trim_end_matches(['.', ':', ';', '!', '?']))
    .filter(|w| !w.is_empty() && !Path::new(w).is_absolute())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(names: &[&str]) -> Vec<PathBuf> {
        names.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn paths_and_unique_names_are_found_in_order_once() {
        let all = files(&[
            "rate_limiter.py",
            "pkg/util.py",
            "tests/test_rate.py",
            "a/config.py",
            "b/config.py",
            "Makefile",
            ".env",
        ]);
        let carried: HashSet<PathBuf> = [PathBuf::from("rate_limiter.py")].into();
        let reply = "Look at `pkg/util.py` and test_rate.py. The bug is in util.py: \
                     config.py, Makefile and .env are fine; rate_limiter.py is in context; \
                     see (./pkg/util.py) again, /etc/passwd and b/config.py.";
        assert_eq!(
            mentioned(reply, &all, &carried),
            files(&["pkg/util.py", "tests/test_rate.py", "b/config.py"])
        );
        assert!(mentioned("nothing here", &all, &carried).is_empty());
    }

    #[test]
    fn at_most_a_handful_are_offered() {
        let all: Vec<PathBuf> = (0..20).map(|i| PathBuf::from(format!("m{i}.py"))).collect();
        let reply: String = (0..20).map(|i| format!("m{i}.py ")).collect();
        assert_eq!(mentioned(&reply, &all, &HashSet::new()).len(), MAX_OFFERED);
    }
}

//! `list_files`: the workspace's files, sorted, narrowed by a glob, capped.

use std::path::Path;

use super::files::{self, PathFilter};
use super::limits::{MAX_LISTED, MAX_RESULT_BYTES, MAX_WALKED};

/// The files `glob` keeps, one per line under a count, with a note when cut.
pub fn list(root: &Path, glob: Option<&str>) -> Result<String, String> {
    let filter = PathFilter::new(glob)?;
    let (all, stopped) = files::walk(root);
    let kept: Vec<_> = all.iter().filter(|rel| filter.keeps(rel)).collect();
    let what = match glob {
        Some(g) => format!(" matching `{}`", super::limits::one_line(g, 60)),
        None => String::new(),
    };
    if kept.is_empty() {
        return Ok(format!(
            "no files{what} (gitignored and hidden files are left out)"
        ));
    }
    let mut body = String::new();
    let mut shown = 0;
    for rel in &kept {
        let line = format!("{}\n", rel.display());
        if shown == MAX_LISTED || body.len() + line.len() > MAX_RESULT_BYTES {
            break;
        }
        body.push_str(&line);
        shown += 1;
    }
    let n = kept.len();
    let mut out = format!("{n} file{}{what}\n{body}", if n == 1 { "" } else { "s" });
    if shown < n {
        out.push_str(&format!(
            "[cut: {} more not shown; narrow the list with a glob]\n",
            n - shown
        ));
    }
    if stopped {
        out.push_str(&format!(
            "[the walk stopped at {MAX_WALKED} files; there are more]\n"
        ));
    }
    Ok(out)
}

//! `search`: a regex over the workspace's text files, `path:line: text` hits, capped.

use std::path::Path;

use super::files::{self, PathFilter, Unread};
use super::limits::{MAX_HITS, MAX_RESULT_BYTES, MAX_WALKED};
use super::read::clip;

/// The most memory one compiled pattern may take.
const MAX_PATTERN_BYTES: usize = 1 << 20;

/// The lines matching `pattern` in the files `glob` keeps, under a count, with notes on what
/// was cut or skipped.
pub fn search(root: &Path, pattern: &str, glob: Option<&str>) -> Result<String, String> {
    let regex = regex::RegexBuilder::new(pattern)
        .size_limit(MAX_PATTERN_BYTES)
        .build()
        .map_err(|e| {
            let words = e.to_string();
            let first = words.lines().last().unwrap_or("").trim().to_string();
            format!(
                "`{}` is not a pattern the search takes: {first}",
                super::limits::one_line(pattern, 60)
            )
        })?;
    let filter = PathFilter::new(glob)?;
    let (all, stopped) = files::walk(root);
    let mut body = String::new();
    let mut hits = 0;
    let mut files_hit = 0;
    let mut skipped = 0;
    let mut cut = false;
    'files: for rel in all.iter().filter(|rel| filter.keeps(rel)) {
        let text = match files::open_text(&root.join(rel)) {
            Ok(text) => text,
            Err(Unread::Missing) => continue,
            Err(_) => {
                skipped += 1;
                continue;
            }
        };
        let mut hit_here = false;
        for (i, line) in text.lines().enumerate() {
            if !regex.is_match(line) {
                continue;
            }
            let row = format!("{}:{}: {}\n", rel.display(), i + 1, clip(line).trim());
            if hits == MAX_HITS || body.len() + row.len() > MAX_RESULT_BYTES {
                cut = true;
                break 'files;
            }
            body.push_str(&row);
            hits += 1;
            if !std::mem::replace(&mut hit_here, true) {
                files_hit += 1;
            }
        }
    }
    let what = format!("`{}`", super::limits::one_line(pattern, 60));
    let within = match glob {
        Some(g) => format!(" in files matching `{}`", super::limits::one_line(g, 60)),
        None => String::new(),
    };
    let mut out = if hits == 0 {
        format!("no lines match {what}{within}\n")
    } else {
        format!(
            "{hits} hit{} for {what} in {files_hit} file{}{within}\n{body}",
            plural(hits),
            plural(files_hit)
        )
    };
    if cut {
        out.push_str(&format!(
            "[cut at {hits} hits: the search stopped there; narrow the pattern or add a glob]\n"
        ));
    }
    if skipped > 0 {
        out.push_str(&format!(
            "[{skipped} binary, oversized or unreadable file{} not searched]\n",
            plural(skipped)
        ));
    }
    if stopped {
        out.push_str(&format!(
            "[only the first {MAX_WALKED} files of the workspace were searched]\n"
        ));
    }
    Ok(out)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

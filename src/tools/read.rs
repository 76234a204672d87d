//! `read_file`: a file's lines with their numbers, a range of them, capped in lines and bytes.

use std::path::{Path, PathBuf};

use super::files;
use super::limits::{MAX_LINE_CHARS, MAX_READ_LINES, MAX_RESULT_BYTES};

/// The lines `start..=end` of the file `path` names (1-based; by default as many as fit),
/// under a heading naming the file and the range, with a note when the result was cut.
pub fn read(
    root: &Path,
    path: &str,
    start: Option<usize>,
    end: Option<usize>,
) -> Result<(String, Option<PathBuf>), String> {
    let (rel, text) = files::read_text(root, path)
        .map_err(|skip| format!("{}: {}", super::limits::one_line(path, 120), skip.words()))?;
    let name = rel.display().to_string();
    let lines: Vec<&str> = text.lines().collect();
    let total = lines.len();
    if total == 0 {
        return Ok((format!("{name}: an empty file"), Some(rel)));
    }
    let first = start.unwrap_or(1);
    if first > total {
        return Err(format!(
            "{name} has {total} line{}; start_line {first} is past its end",
            plural(total)
        ));
    }
    if let Some(end) = end
        && end < first
    {
        return Err(format!(
            "end_line {end} is before start_line {first} in {name}"
        ));
    }
    let last = end.unwrap_or(total).min(total);
    let width = last.to_string().len();
    let mut body = String::new();
    let mut shown = first - 1;
    let mut cut = None;
    for (i, line) in lines[first - 1..last].iter().enumerate() {
        let n = first + i;
        if n - first == MAX_READ_LINES {
            cut = Some(format!("at {MAX_READ_LINES} lines"));
            break;
        }
        let row = format!("{n:>width$}  {}\n", clip(line));
        if body.len() + row.len() > MAX_RESULT_BYTES {
            cut = Some(format!("at {} KiB", MAX_RESULT_BYTES / 1024));
            break;
        }
        body.push_str(&row);
        shown = n;
    }
    let mut out = format!("{name}: lines {first}-{shown} of {total}\n{body}");
    if let Some(at) = cut {
        out.push_str(&format!(
            "[cut {at}: lines {}-{last} not shown; read on with start_line={}]\n",
            shown + 1,
            shown + 1
        ));
    }
    Ok((out, Some(rel)))
}

/// A line of at most [`MAX_LINE_CHARS`] characters, `…` and the count cut when longer.
pub fn clip(line: &str) -> String {
    let line = line.trim_end_matches('\r');
    match line.char_indices().nth(MAX_LINE_CHARS) {
        None => line.to_string(),
        Some((at, _)) => format!(
            "{}… [{} more characters]",
            &line[..at],
            line[at..].chars().count()
        ),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

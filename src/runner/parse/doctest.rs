//! Python doctest failure reports, as pytest (`--doctest-modules`) and unittest
//! (`doctest.DocTestSuite`) print them: the failing example, its line, and what was expected
//! against what came out.
//!
//! pytest prints the docstring's numbered lines up to the failing example (`013     >>>
//! square(3)`), then `Expected:`/`Got:` or `UNEXPECTED EXCEPTION: ...` and a traceback, and
//! ends with `/p/calc.py:13: DocTestFailure`. unittest prints `File "/p/calc.py", line 13, in
//! calc.square`, `Failed example:`, then `Expected:`/`Got:` or `Exception raised:`. Only the
//! first failing example of a report is kept.

use super::common::{bounded_message, prefix_at_most};

/// The most bytes kept of an example, an expected or a got value.
const PART_CAP: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    None,
    Example,
    Expected,
    Got,
    /// unittest's indented `Exception raised:` traceback.
    Raised,
    /// pytest's traceback after `UNEXPECTED EXCEPTION:`.
    Traceback,
}

/// What one doctest failure report says, read line by line.
#[derive(Debug)]
pub struct DoctestDetails {
    part: Part,
    example: Option<String>,
    expected: Option<String>,
    got: Option<String>,
    exception: Option<String>,
    /// `UNEXPECTED EXCEPTION: ValueError('x')`: the repr, used when no traceback line follows.
    unexpected: Option<String>,
    location: Option<(String, u32)>,
    /// A second failing example began: the rest is not read.
    done: bool,
}

impl Default for DoctestDetails {
    fn default() -> Self {
        Self {
            part: Part::None,
            example: None,
            expected: None,
            got: None,
            exception: None,
            unexpected: None,
            location: None,
            done: false,
        }
    }
}

/// Appends `text` to a part, lines joined by one space, within [`PART_CAP`].
fn append(part: &mut Option<String>, text: &str) {
    let text = text.trim();
    let s = part.get_or_insert_with(String::new);
    if s.len() >= PART_CAP || text.is_empty() {
        return;
    }
    if !s.is_empty() && !s.ends_with(['[', '(', '{']) {
        s.push(' ');
    }
    s.push_str(prefix_at_most(text, PART_CAP - s.len()));
}

/// `File "/p/calc.py", line 13, in calc.square` (unindented, as doctest prints it).
fn file_line(line: &str) -> Option<(&str, u32)> {
    let rest = line.strip_prefix("File \"")?;
    let (path, after) = rest.rsplit_once("\", line ")?;
    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
    Some((path, after.get(..digits)?.parse().ok()?))
}

/// `/p/calc.py:13: DocTestFailure` (pytest's last line of the report).
fn pytest_location(line: &str) -> Option<(&str, u32)> {
    let (head, kind) = line.rsplit_once(": ")?;
    if !matches!(kind, "DocTestFailure" | "UnexpectedException") {
        return None;
    }
    let (path, n) = head.rsplit_once(':')?;
    Some((path, n.parse().ok()?))
}

impl DoctestDetails {
    /// Reads one line of the report.
    pub fn line(&mut self, line: &str) {
        if self.done {
            return;
        }
        if let Some((path, n)) = pytest_location(line) {
            self.location = Some((path.to_string(), n));
            self.part = Part::None;
            return;
        }
        if let Some((path, n)) = file_line(line) {
            if self.location.is_some() {
                self.done = true; // The next failing example of the same docstring.
                return;
            }
            self.location = Some((path.to_string(), n));
            self.part = Part::None;
            return;
        }
        // pytest's numbered source lines: `013     >>> square(3)`, `014     ... more`.
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        if digits >= 3 && line[digits..].starts_with(' ') {
            let code = line[digits + 1..].trim_start();
            if let Some(example) = code.strip_prefix(">>>") {
                self.example = None;
                append(&mut self.example, example);
            } else if let Some(more) = code.strip_prefix("...")
                && self.example.is_some()
            {
                append(&mut self.example, more);
            }
            return;
        }
        let part = match line.trim_end() {
            "Failed example:" => Some(Part::Example),
            "Expected:" => Some(Part::Expected),
            "Got:" => Some(Part::Got),
            "Exception raised:" => Some(Part::Raised),
            "Expected nothing" => {
                self.expected = Some("nothing".into());
                Some(Part::None)
            }
            "Got nothing" => {
                self.got = Some("nothing".into());
                Some(Part::None)
            }
            _ => None,
        };
        if let Some(part) = part {
            if part == Part::Example {
                self.example = None;
            }
            self.part = part;
            return;
        }
        if let Some(repr) = line.strip_prefix("UNEXPECTED EXCEPTION: ") {
            self.unexpected = Some(bounded_message(repr));
            self.part = Part::Traceback;
            return;
        }
        match self.part {
            Part::None => {}
            Part::Example | Part::Expected | Part::Got => {
                if !line.starts_with(' ') {
                    self.part = Part::None;
                    return;
                }
                let text = line.get(4..).unwrap_or(line.trim_start());
                let text = match self.part {
                    Part::Example => text
                        .strip_prefix("... ")
                        .or_else(|| text.strip_prefix("..."))
                        .unwrap_or(text),
                    _ => text,
                };
                let slot = match self.part {
                    Part::Example => &mut self.example,
                    Part::Expected => &mut self.expected,
                    _ => &mut self.got,
                };
                append(slot, text);
            }
            Part::Raised => {
                // `    ValueError: kaboom` (the traceback is indented by four).
                let Some(text) = line.strip_prefix("    ") else {
                    if !line.trim().is_empty() {
                        self.part = Part::None;
                    }
                    return;
                };
                if !text.starts_with(' ') && !text.starts_with("Traceback (") && !text.is_empty() {
                    self.exception = Some(bounded_message(text));
                }
            }
            Part::Traceback => {
                if !line.starts_with(' ') && !line.starts_with("Traceback (") && !line.is_empty() {
                    self.exception = Some(bounded_message(line));
                }
            }
        }
    }

    /// The one-line message: `square(3) · Expected: 10 · Got: 9`, or the example and the
    /// exception it raised.
    pub fn message(&self) -> Option<String> {
        let what = match (&self.expected, &self.got, &self.exception, &self.unexpected) {
            (_, _, Some(e), _) | (_, _, None, Some(e)) => e.clone(),
            (Some(expected), Some(got), ..) => format!("Expected: {expected} · Got: {got}"),
            _ => return None,
        };
        Some(bounded_message(&match &self.example {
            Some(example) => format!("{example} · {what}"),
            None => what,
        }))
    }

    /// Where the failing example is: (file, line).
    pub fn location(&self) -> Option<(&str, u32)> {
        self.location.as_ref().map(|(f, l)| (f.as_str(), *l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(text: &str) -> DoctestDetails {
        let mut d = DoctestDetails::default();
        for line in text.lines() {
            d.line(line);
        }
        d
    }

    #[test]
    fn pytest_expected_and_got() {
        let d = details(
            "009 Squares a number.\n010 \n011     >>> square(2)\n012     4\n013     >>> square(3)\n\
             Expected:\n    10\nGot:\n    9\n\n/p/calc.py:13: DocTestFailure",
        );
        assert_eq!(
            d.message().as_deref(),
            Some("square(3) · Expected: 10 · Got: 9")
        );
        assert_eq!(d.location(), Some(("/p/calc.py", 13)));
    }

    #[test]
    fn pytest_unexpected_exception_takes_the_traceback_line() {
        let d = details(
            "024     >>> parse(\"x\")\nUNEXPECTED EXCEPTION: ValueError(\"bad 'x'\")\n\
             Traceback (most recent call last):\n  File \"/usr/lib/python3.11/doctest.py\", line 1353, in __run\n\
             \x20   exec(compile(example.source, filename, \"single\",\n\
             ValueError: invalid literal for int() with base 10: 'x'\n/p/calc.py:24: UnexpectedException",
        );
        assert_eq!(
            d.message().as_deref(),
            Some("parse(\"x\") · ValueError: invalid literal for int() with base 10: 'x'")
        );
        assert_eq!(d.location(), Some(("/p/calc.py", 24)));
    }

    #[test]
    fn unittest_reports_keep_the_first_failing_example() {
        let d = details(
            "File \"/p/mymod.py\", line 34, in mymod.Box.get\nFailed example:\n    Box().get()\n\
             Expected:\n    [1, 2,\n     3]\nGot:\n    [1, 2, 4]\n\
             File \"/p/mymod.py\", line 36, in mymod.Box.get\nFailed example:\n    other()\n",
        );
        assert_eq!(
            d.message().as_deref(),
            Some("Box().get() · Expected: [1, 2, 3] · Got: [1, 2, 4]")
        );
        assert_eq!(d.location(), Some(("/p/mymod.py", 34)));
        let d = details(
            "File \"/p/m.py\", line 24, in m.boom\nFailed example:\n    boom()\nException raised:\n\
             \x20   Traceback (most recent call last):\n      File \"/p/m.py\", line 27, in boom\n\
             \x20       raise ValueError(\"kaboom\")\n    ValueError: kaboom\n",
        );
        assert_eq!(d.message().as_deref(), Some("boom() · ValueError: kaboom"));
        let d = details("Failed example:\n    f()\nExpected nothing\nGot:\n    1\n");
        assert_eq!(
            d.message().as_deref(),
            Some("f() · Expected: nothing · Got: 1")
        );
        assert_eq!(details("nothing here").message(), None);
    }
}

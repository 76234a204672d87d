//! A click inside a pane: a file name in the Code pane's header opens that file, a clause in
//! the Spec pane selects it, a test in the Results list selects it. The geometry is the one the
//! views draw with (the stored layout, the Spec pane's wrapped rows, the file list's start).

use unicode_width::UnicodeWidthStr;

use super::results::HEADER_LINES;
use super::{Cmd, Loaded, Model, Pane};

/// The first file name the Code pane's header shows: early enough that the selected name
/// fits in `width` columns (each name takes its width and two spaces).
pub fn file_list_start(widths: &[usize], selected: usize, width: usize) -> usize {
    let Some(&own) = widths.get(selected) else {
        return 0;
    };
    let mut start = selected;
    let mut used = own + 2;
    while start > 0 && used + widths[start - 1] + 2 <= width {
        start -= 1;
        used += widths[start] + 2;
    }
    start
}

impl Model {
    /// A left click at (`x`, `y`) in `pane`.
    pub(crate) fn click_in_pane(&mut self, pane: Pane, x: u16, y: u16) -> Vec<Cmd> {
        match pane {
            Pane::Spec => {
                self.click_clause(y);
                Vec::new()
            }
            Pane::Results => {
                self.click_test(y);
                Vec::new()
            }
            Pane::Code => self.click_file(x, y),
            Pane::Conversation => Vec::new(),
        }
    }

    fn click_clause(&mut self, y: u16) {
        let Some(body) = self.body_area(Pane::Spec) else {
            return;
        };
        if y < body.y || y >= body.bottom() {
            return;
        }
        self.spec.wrapped.ensure(&self.spec.lines, body.width);
        let row = self.spec.scroll + usize::from(y - body.y);
        let clause = self
            .spec
            .wrapped
            .origin(row)
            .and_then(|line| self.spec.line_clause.get(line).copied().flatten());
        if let Some(i) = clause {
            self.spec.selected = i;
        }
    }

    fn click_test(&mut self, y: u16) {
        let Some(body) = self.body_area(Pane::Results) else {
            return;
        };
        let top = body.y + HEADER_LINES;
        if self.results.detail || y < top || y >= body.bottom() {
            return;
        }
        let row = self.results.scroll + usize::from(y - top);
        if row < self.results.rows() {
            self.results.selected = row;
        }
    }

    fn click_file(&mut self, x: u16, y: u16) -> Vec<Cmd> {
        let Some(header) = self.layout.areas(Pane::Code).map(|a| a.header) else {
            return Vec::new();
        };
        let Loaded::Ready(files) = &self.code.files else {
            return Vec::new();
        };
        if y != header.y || x < header.x || files.is_empty() || self.code.changes.is_some() {
            return Vec::new();
        }
        let widths: Vec<usize> = files.iter().map(|f| self.file_label(f).width()).collect();
        let start = file_list_start(&widths, self.code.selected, usize::from(header.width));
        let mut at = usize::from(header.x) + if start > 0 { 2 } else { 0 };
        let x = usize::from(x);
        for (i, w) in widths.iter().enumerate().skip(start) {
            if x >= at && x < at + w + 2 {
                let delta = i as isize - self.code.selected as isize;
                return if delta == 0 {
                    Vec::new()
                } else {
                    self.select_file(delta)
                };
            }
            at += w + 2;
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_list_starts_early_enough_for_the_selected_name() {
        assert_eq!(file_list_start(&[10, 10, 10], 2, 100), 0);
        assert_eq!(file_list_start(&[10, 10, 10], 2, 24), 1);
        assert_eq!(file_list_start(&[10, 10, 10], 0, 5), 0);
    }
}

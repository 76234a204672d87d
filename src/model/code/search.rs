//! `/` search in the Code pane: a query typed in the status bar, the first match from the top
//! of the view marked and revealed, `n` / `N` for the next and previous ones.

use crate::model::{Cmd, Loaded, Model, NoticeKind};

impl Model {
    /// `/`: opens the prompt.
    pub fn start_search(&mut self) {
        self.search.editing = Some(String::new());
    }

    /// A key while the prompt is open. Returns the commands (a notice).
    pub fn search_key(&mut self, key: crossterm::event::KeyEvent) -> Vec<Cmd> {
        use crossterm::event::KeyCode as K;
        let Some(query) = self.search.editing.as_mut() else {
            return Vec::new();
        };
        match key.code {
            K::Char(c) => query.push(c),
            K::Backspace => {
                query.pop();
            }
            K::Esc => self.search.editing = None,
            K::Enter => {
                let query = self.search.editing.take().unwrap_or_default();
                if query.is_empty() {
                    return Vec::new();
                }
                self.search.query = Some(query);
                let from = self.code.scroll;
                return self.find(from, true);
            }
            _ => {}
        }
        Vec::new()
    }

    /// `n` / `N`: the next or previous match after the marked line.
    pub fn search_again(&mut self, forward: bool) -> Vec<Cmd> {
        if self.search.query.is_none() {
            return vec![self.notify(NoticeKind::Info, "No search yet: / searches the file")];
        }
        // `mark` is 1-based: searching forward from it starts on the line after.
        let from = match (self.code.mark, forward) {
            (Some(line), true) => line,
            (Some(line), false) => line.saturating_sub(1),
            (None, _) => self.code.scroll,
        };
        self.find(from, forward)
    }

    /// Marks and reveals the first match at or after (before) 0-based line `from`, wrapping.
    fn find(&mut self, from: usize, forward: bool) -> Vec<Cmd> {
        let (Some(query), Loaded::Ready(file)) = (self.search.query.clone(), &self.code.content)
        else {
            return Vec::new();
        };
        let needle = query.to_lowercase();
        let hits: Vec<usize> = file
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.to_lowercase().contains(&needle))
            .map(|(i, _)| i)
            .collect();
        let Some(&first) = hits.first() else {
            let text = format!("Not found: {query}");
            return vec![self.notify(NoticeKind::Info, text)];
        };
        let index = if forward {
            hits.iter().position(|&h| h >= from).unwrap_or(0)
        } else {
            hits.iter()
                .rposition(|&h| h + 1 < from.max(1))
                .unwrap_or(hits.len() - 1)
        };
        let line = hits.get(index).copied().unwrap_or(first);
        self.code.mark = Some(line + 1);
        self.reveal_code_mark();
        let text = format!(
            "{query}: match {} of {} · n next · N previous",
            index + 1,
            hits.len()
        );
        vec![self.notify(NoticeKind::Info, text)]
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::model::{AppEvent, Cmd, Model, Msg, update};
    use crate::workspace::FileText;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use std::path::PathBuf;

    fn key(m: &mut Model, code: KeyCode) {
        update(m, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    fn model_with_file(text: &str) -> Model {
        let theme = crate::theme::ThemeSource::default()
            .load("default")
            .unwrap();
        let mut m = Model::new(PathBuf::from("/w"), "w".into(), Config::default(), theme);
        update(&mut m, Msg::Resize(120, 40));
        let cmds = update(
            &mut m,
            Msg::Event(AppEvent::CodeFilesFound(Ok(vec![PathBuf::from("a.py")]))),
        );
        let Some(Cmd::LoadFile { id, path, .. }) = cmds.into_iter().next() else {
            panic!("a load");
        };
        let content = Ok(FileText::from_text(text));
        update(
            &mut m,
            Msg::Event(AppEvent::FileLoaded { id, path, content }),
        );
        key(&mut m, KeyCode::Char('3'));
        m
    }

    #[test]
    fn slash_finds_marks_and_n_cycles_through_matches() {
        let text: String = (1..=100)
            .map(|i| {
                if i % 30 == 0 {
                    format!("Deque {i}\n")
                } else {
                    format!("x {i}\n")
                }
            })
            .collect();
        let mut m = model_with_file(&text);
        key(&mut m, KeyCode::Char('/'));
        for c in "deque".chars() {
            key(&mut m, KeyCode::Char(c));
        }
        assert_eq!(m.search.editing.as_deref(), Some("deque"));
        key(&mut m, KeyCode::Enter);
        assert_eq!(
            m.code.mark,
            Some(30),
            "case-insensitive, first from the top"
        );
        assert!(m.notice.as_ref().unwrap().text.contains("match 1 of 3"));
        key(&mut m, KeyCode::Char('n'));
        assert_eq!(m.code.mark, Some(60));
        key(&mut m, KeyCode::Char('n'));
        key(&mut m, KeyCode::Char('n'));
        assert_eq!(m.code.mark, Some(30), "wraps around");
        key(&mut m, KeyCode::Char('N'));
        assert_eq!(m.code.mark, Some(90), "and back");
        assert!(m.code.scroll > 0, "the match is revealed");
    }

    #[test]
    fn esc_cancels_and_a_miss_says_so() {
        let mut m = model_with_file("a\nb\n");
        key(&mut m, KeyCode::Char('/'));
        key(&mut m, KeyCode::Char('q'));
        key(&mut m, KeyCode::Esc);
        assert_eq!(m.search.editing, None);
        assert!(!m.should_quit, "q went to the prompt");
        key(&mut m, KeyCode::Char('/'));
        key(&mut m, KeyCode::Char('z'));
        key(&mut m, KeyCode::Enter);
        assert!(m.notice.as_ref().unwrap().text.contains("Not found: z"));
    }
}

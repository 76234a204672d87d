//! Streaming commit: a reply's Markdown rendered while it streams in. Blocks that are finished
//! (a blank line, then a new top-level block, outside any code fence) are rendered once and kept;
//! only the block still growing is rendered again with each chunk. The lines are always those
//! of rendering the whole text so far.

use ratatui::text::Line;

use super::markdown::render;
use crate::code::highlight::Highlighter;
use crate::theme::Theme;

/// A reply's rendering while it streams: the finished blocks, kept.
#[derive(Debug, Clone, Default)]
pub struct MarkdownStream {
    settled: Option<Settled>,
}

/// The finished blocks of a streaming reply, rendered.
#[derive(Debug, Clone)]
struct Settled {
    /// The bytes of text they cover (the start of a top-level block follows).
    len: usize,
    width: u16,
    lines: Vec<Line<'static>>,
}

impl MarkdownStream {
    /// `text` as lines at `width`: while it `streaming`, the finished blocks are rendered once
    /// (extended as more finish) and only the growing block is rendered again.
    pub fn render(
        &mut self,
        text: &str,
        streaming: bool,
        width: u16,
        theme: &Theme,
        hl: &Highlighter,
    ) -> Vec<Line<'static>> {
        // Sizing off screen: plain, and the finished blocks (highlighted) stay as they are.
        if hl.is_plain() {
            return render(text, width, theme, hl);
        }
        if !streaming {
            self.settled = None;
            return render(text, width, theme, hl);
        }
        let mut settled = match self.settled.take() {
            Some(s) if s.width == width && s.len <= text.len() => s,
            _ => Settled {
                len: 0,
                width,
                lines: Vec::new(),
            },
        };
        let end = settled_end(text, settled.len);
        if end > settled.len {
            let more = render(&text[settled.len..end], width, theme, hl);
            if !settled.lines.is_empty() && !more.is_empty() {
                settled.lines.push(Line::default());
            }
            settled.lines.extend(more);
            settled.len = end;
        }
        let mut lines = settled.lines.clone();
        let tail = render(&text[settled.len..], width, theme, hl);
        if !lines.is_empty() && !tail.is_empty() {
            lines.push(Line::default());
        }
        lines.extend(tail);
        self.settled = Some(settled);
        lines
    }
}

/// Where the finished blocks of `text` end: the start of the last line that opens a top-level
/// block (no indent) after a blank line, outside any code fence, searching from `from`. The
/// text before it renders the same on its own; what follows is the block still growing.
pub fn settled_end(text: &str, from: usize) -> usize {
    let mut end = from;
    let mut fence: Option<&str> = None;
    let mut blank_before = false;
    let mut at = from;
    for line in text[from..].split_inclusive('\n') {
        let start = at;
        at += line.len();
        if !line.ends_with('\n') {
            break; // the unfinished last line
        }
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (None, Some(m)) => {
                if blank_before && !line.starts_with([' ', '\t']) {
                    end = start;
                }
                fence = Some(m);
            }
            (Some(open), Some(m)) if open == m && trimmed.trim_end() == m => fence = None,
            (None, None)
                if blank_before && !line.trim().is_empty() && !line.starts_with([' ', '\t']) =>
            {
                end = start;
            }
            _ => {}
        }
        blank_before = fence.is_none() && line.trim().is_empty();
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::client::ReplyEvent;

    #[test]
    fn settled_blocks_end_before_a_top_level_block_outside_fences() {
        let text = "Intro.\n\n- a\n\n  more of a\n\n```py\nx\n\ny\n```\n\nNext par";
        let end = settled_end(text, 0);
        assert_eq!(&text[end..], "```py\nx\n\ny\n```\n\nNext par");
        let done = "Intro.\n\n```py\nx\n```\n\nNext\n";
        assert_eq!(&done[settled_end(done, 0)..], "Next\n");
        assert_eq!(settled_end("no blank line yet", 0), 0);
    }

    /// Streams each demo reply chunk by chunk: at every chunk the pane shows exactly what
    /// rendering the whole text so far would show.
    #[test]
    fn streaming_renders_the_same_as_rendering_it_all() {
        let cassette = crate::llm::cassette::Cassette::parse(
            std::path::Path::new("demo.cassette.jsonl"),
            include_str!("../../assets/demo/demo.cassette.jsonl"),
        )
        .unwrap();
        let theme = crate::theme::ThemeSource::default()
            .load("default")
            .unwrap();
        let hl = Highlighter::new(theme.syntax());
        for entry in &cassette.entries {
            for width in [60, 97] {
                let mut m = MarkdownStream::default();
                let mut text = String::new();
                for timed in &entry.events {
                    let ReplyEvent::Delta(piece) = &timed.event else {
                        continue;
                    };
                    text.push_str(piece);
                    let streamed = m.render(&text, true, width, &theme, &hl);
                    let whole = render(&text, width, &theme, &hl);
                    assert_eq!(streamed, whole, "width {width} after {:?}", text);
                }
                assert!(
                    m.settled.as_ref().is_some_and(|s| s.len > 0),
                    "blocks settled"
                );
            }
        }
    }
}

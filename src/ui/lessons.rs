//! The lessons review before a fresh session (`model::lessons` has its keys).

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::widgets::centered;
use crate::llm::context::fmt_tokens;
use crate::model::Model;
use crate::theme::scope;

/// The lessons review: what the fresh session will hold, the lessons to edit, the seed's size.
pub fn draw(frame: &mut Frame, model: &Model) {
    let theme = &model.theme;
    let Some(editor) = &model.session.lessons_editor else {
        return;
    };
    let area = frame.area();
    let width = area.width.saturating_sub(4).clamp(30, 96);
    let inner_width = width.saturating_sub(4);
    let editor_rows = editor
        .lines()
        .iter()
        .map(|l| {
            (unicode_width::UnicodeWidthStr::width(l.as_str()) as u16)
                .div_ceil(inner_width.max(1))
                .max(1)
        })
        .sum::<u16>()
        .clamp(3, 10);
    let pin = model
        .spec
        .pinned
        .as_ref()
        .map_or("the pinned spec".to_string(), |p| {
            format!("the pinned spec v{}", p.pin.version)
        });
    let intro = vec![
        Line::styled(
            "Archive this session and start a fresh one?",
            theme.style(scope::TEXT_ACCENT),
        ),
        Line::styled(
            format!(
                "The new conversation starts empty. Its requests open with {}, \
                 the latest test results, these lessons, and {pin} last. Nothing the model \
                 wrote is carried over.",
                model.seed_code_words()
            ),
            theme.style(scope::DIALOG),
        ),
        Line::raw(""),
        Line::styled(
            "Lessons (edit them; one per line):",
            theme.style(scope::HELP_SECTION),
        ),
    ];
    let intro_rows: u16 =
        1 + {
            let text = intro[1].to_string();
            (unicode_width::UnicodeWidthStr::width(text.as_str()) as u16)
                .div_ceil(inner_width.max(1))
        } + 2;
    let usable = model
        .conversation
        .context_use(model.config.model.max_output_tokens)
        .usable()
        .max(1);
    let seed = model.session.seed_tokens;
    let footer = vec![
        Line::styled(
            format!(
                "Seed: ~{} tokens, {:.1}% of the usable window",
                fmt_tokens(seed),
                f64::from(seed) * 100.0 / f64::from(usable)
            ),
            theme.style(scope::GAUGE_LABEL),
        ),
        Line::from(vec![
            Span::styled("Enter", theme.style(scope::HELP_KEY)),
            Span::styled(" start fresh   ", theme.style(scope::DIALOG)),
            Span::styled("Alt-Enter", theme.style(scope::HELP_KEY)),
            Span::styled(" new line   ", theme.style(scope::DIALOG)),
            Span::styled("Esc", theme.style(scope::HELP_KEY)),
            Span::styled(" keep this session", theme.style(scope::DIALOG)),
        ]),
    ];
    let height = intro_rows + editor_rows + 2 + 1 + footer.len() as u16 + 2;
    let rect = centered(area, width, height);
    let inner = super::widgets::dialog_frame(frame, rect, "Fresh session", theme)
        .inner(ratatui::layout::Margin::new(1, 0));
    let [intro_area, editor_area, _, footer_area] =
        inner.layout(&ratatui::layout::Layout::vertical([
            ratatui::layout::Constraint::Length(intro_rows),
            ratatui::layout::Constraint::Length(editor_rows + 2),
            ratatui::layout::Constraint::Length(1),
            ratatui::layout::Constraint::Fill(1),
        ]));
    frame.render_widget(Paragraph::new(intro).wrap(Wrap { trim: false }), intro_area);
    let frame_block = Block::bordered().border_style(theme.style(scope::BORDER_FOCUSED));
    let editor_inner = frame_block.inner(editor_area);
    frame.render_widget(frame_block, editor_area);
    frame.render_widget(editor, editor_inner);
    frame.render_widget(Paragraph::new(footer), footer_area);
}

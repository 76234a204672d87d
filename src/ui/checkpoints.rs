//! The checkpoint list (`model::checkpoints` has its keys).

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::widgets::{centered, dialog_frame};
use crate::model::CheckpointItem;
use crate::theme::{Theme, scope};

/// The checkpoint list: newest last, the applied ones marked, the selection highlighted.
pub fn draw(
    frame: &mut Frame,
    items: &[CheckpointItem],
    applied: usize,
    selected: usize,
    theme: &Theme,
) {
    let mut lines = vec![
        Line::styled(
            "Applies, oldest first: ✓ in force, · undone",
            theme.style(scope::TEXT_DIM),
        ),
        Line::raw(""),
    ];
    for (i, item) in items.iter().enumerate() {
        let mark = if i < applied { "✓" } else { "·" };
        let files = if item.files == 1 { "file" } else { "files" };
        let line = Line::raw(format!(
            "{mark} #{:<3} {} ({} {files})",
            item.id, item.label, item.files
        ));
        lines.push(if i == selected {
            line.style(theme.style(scope::SELECTION))
        } else {
            line
        });
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("Enter", theme.style(scope::HELP_KEY)),
        Span::raw(" go back (or forward) to it   "),
        Span::styled("Esc", theme.style(scope::HELP_KEY)),
        Span::raw(" close"),
    ]));
    let width = lines.iter().map(Line::width).max().unwrap_or(20) as u16 + 4;
    let rect = centered(frame.area(), width.max(30), lines.len() as u16 + 2);
    let inner = dialog_frame(frame, rect, "Checkpoints", theme);
    frame.render_widget(Paragraph::new(lines), inner);
}

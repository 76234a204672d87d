//! The yes/no dialogs: quit, and undo over hand edits (`model::confirm` has their keys).

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::widgets::{centered, dialog_frame};
use crate::theme::{Theme, scope};

/// "Undo over hand edits?" with the files changed since specbench wrote them.
pub fn draw_undo(
    frame: &mut Frame,
    redo: bool,
    paths: &[std::path::PathBuf],
    steps: usize,
    theme: &Theme,
) {
    let verb = if redo { "Redo" } else { "Undo" };
    let heading = format!("{verb} over edits made by hand since specbench wrote them?");
    let items: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    // A restore from the checkpoint list goes on after this one.
    let yes = match steps {
        0 | 1 => verb.to_lowercase(),
        n => format!("{} and go on ({} more)", verb.to_lowercase(), n - 1),
    };
    draw_dialog(frame, verb, &heading, &items, &yes, "keep them", theme);
}

/// "Really quit?" with what would be lost.
pub fn draw_quit(frame: &mut Frame, reasons: &[String], theme: &Theme) {
    draw_dialog(
        frame,
        "Quit",
        "Quit specbench?",
        reasons,
        "quit",
        "stay",
        theme,
    );
}

/// A yes/no dialog: a heading, a bulleted list, and what `y` and `n`/`Esc` do.
fn draw_dialog(
    frame: &mut Frame,
    title: &str,
    heading: &str,
    items: &[String],
    yes: &str,
    no: &str,
    theme: &Theme,
) {
    let mut lines = vec![
        Line::styled(heading.to_string(), theme.style(scope::TEXT_ACCENT)),
        Line::raw(""),
    ];
    lines.extend(items.iter().map(|r| Line::raw(format!("• {r}"))));
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("y", theme.style(scope::HELP_KEY)),
        Span::raw(format!(" {yes}   ")),
        Span::styled("n", theme.style(scope::HELP_KEY)),
        Span::raw("/"),
        Span::styled("Esc", theme.style(scope::HELP_KEY)),
        Span::raw(format!(" {no}")),
    ]));
    let width = lines.iter().map(Line::width).max().unwrap_or(20) as u16 + 4;
    let rect = centered(frame.area(), width.max(30), lines.len() as u16 + 2);
    let inner = dialog_frame(frame, rect, title, theme);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

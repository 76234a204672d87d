//! Pure views: `draw` reads the model and paints a frame; it never changes state.

pub mod code;
pub mod conversation;
pub mod help;
pub mod inspector;
pub mod results;
pub mod session;
pub mod spec;
pub mod status;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{
    Block, BorderType, Borders, Clear, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState,
    Wrap,
};

use crate::model::layout::{Arrangement, MIN_COLS, MIN_ROWS, tab_label};
use crate::model::{Model, Overlay, Pane};
use crate::theme::{Theme, scope};

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, model: &Model) {
    let theme = &model.theme;
    let area = frame.area();
    frame.render_widget(Block::new().style(theme.style(scope::UI)), area);
    let screen = &model.layout.screen;
    if screen.arrangement == Arrangement::TooSmall {
        draw_too_small(frame, area, theme);
        return;
    }
    if !screen.tabs.is_empty() {
        draw_tabs(frame, &screen.tabs, model.focus, theme);
    }
    for &(pane, rect) in &screen.panes {
        let focused = pane == model.focus;
        match pane {
            Pane::Spec => spec::draw(frame, model, rect, focused),
            Pane::Conversation => conversation::draw(frame, model, rect, focused),
            Pane::Code => code::draw(frame, model, rect, focused),
            Pane::Results => results::draw(frame, model, rect, focused),
        }
    }
    status::draw(frame, model, screen.status);
    match &model.overlay {
        Some(Overlay::Help { scroll }) => help::draw(frame, model, *scroll),
        Some(Overlay::ConfirmQuit { reasons }) => draw_confirm_quit(frame, reasons, theme),
        Some(Overlay::Inspector { scroll }) => inspector::draw(frame, model, *scroll),
        Some(Overlay::Checkpoints {
            items,
            applied,
            selected,
        }) => draw_checkpoints(frame, items, *applied, *selected, theme),
        Some(Overlay::ConfirmUndo { redo, paths, steps }) => {
            draw_confirm_undo(frame, *redo, paths, *steps, theme);
        }
        Some(Overlay::Fresh) => session::draw_fresh(frame, model),
        None => {}
    }
}

/// The bordered frame of a pane, with its number and title, and an optional note on the right.
pub fn pane_block<'a>(
    pane: Pane,
    focused: bool,
    note: Option<Line<'a>>,
    theme: &Theme,
) -> Block<'a> {
    let (border, title, border_type) = if focused {
        (
            scope::BORDER_FOCUSED,
            scope::TITLE_FOCUSED,
            BorderType::Thick,
        )
    } else {
        (scope::BORDER, scope::TITLE, BorderType::Plain)
    };
    let mut block = Block::new()
        .borders(Borders::ALL)
        .border_type(border_type)
        .border_style(theme.style(border))
        .title(Line::styled(
            format!(" {} {} ", pane.index() + 1, pane.title()),
            theme.style(title),
        ));
    if let Some(note) = note {
        block = block.title(note.alignment(Alignment::Right));
    }
    block
}

/// A scrollbar on the right border when `len` lines do not fit in `body`.
pub fn draw_scrollbar(
    frame: &mut Frame,
    pane_rect: Rect,
    body: Rect,
    len: usize,
    scroll: usize,
    theme: &Theme,
) {
    if len <= body.height as usize {
        return;
    }
    let track = Rect::new(pane_rect.right().saturating_sub(1), body.y, 1, body.height);
    let mut state = ScrollbarState::new(len.saturating_sub(body.height as usize)).position(scroll);
    let bar = Scrollbar::new(ScrollbarOrientation::VerticalRight)
        .begin_symbol(None)
        .end_symbol(None)
        .track_symbol(None)
        .thumb_symbol("█")
        .thumb_style(theme.style(scope::TEXT_DIM));
    frame.render_stateful_widget(bar, track, &mut state);
}

/// Lines of dim text for empty states, wrapped to the area.
pub fn placeholder<'a>(lines: Vec<Line<'a>>, theme: &Theme) -> Paragraph<'a> {
    Paragraph::new(Text::from(lines))
        .style(theme.style(scope::TEXT_DIM))
        .wrap(Wrap { trim: false })
}

fn draw_tabs(frame: &mut Frame, tabs: &[(Pane, Rect)], focus: Pane, theme: &Theme) {
    for &(pane, rect) in tabs {
        let style = if pane == focus {
            theme.style(scope::TABS_ACTIVE)
        } else {
            theme.style(scope::TABS)
        };
        frame.render_widget(Span::styled(tab_label(pane), style), rect);
    }
}

fn draw_too_small(frame: &mut Frame, area: Rect, theme: &Theme) {
    let text = Text::from(vec![
        Line::styled("Terminal too small", theme.style(scope::TEXT_ACCENT)),
        Line::styled(
            format!(
                "{}x{}; specbench needs at least {MIN_COLS}x{MIN_ROWS}",
                area.width, area.height
            ),
            theme.style(scope::TEXT),
        ),
    ]);
    let [row] = Layout::vertical([Constraint::Length(2)])
        .flex(Flex::Center)
        .areas(area);
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        row,
    );
}

/// A centered rectangle of at most `width` x `height` inside `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    rect
}

/// The checkpoint list: newest last, the applied ones marked, the selection highlighted.
fn draw_checkpoints(
    frame: &mut Frame,
    items: &[crate::model::CheckpointItem],
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

/// Clears `rect` and draws a dialog's rounded frame titled `title`; returns the inside.
pub fn dialog_frame(frame: &mut Frame, rect: Rect, title: &str, theme: &Theme) -> Rect {
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.style(scope::DIALOG_BORDER))
        .style(theme.style(scope::DIALOG))
        .title(format!(" {title} "));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

fn draw_confirm_undo(
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

fn draw_confirm_quit(frame: &mut Frame, reasons: &[String], theme: &Theme) {
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

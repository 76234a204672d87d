//! Pure views: `draw` reads the model and paints a frame; it never changes state.

pub mod caption;
pub mod checkpoints;
pub mod code;
pub mod confirm;
pub mod conversation;
pub mod help;
pub mod inspector;
pub mod lessons;
pub mod notices;
pub mod picker;
pub mod results;
pub mod spec;
pub mod status;
pub mod stepper;
pub mod widgets;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::model::layout::{Arrangement, MIN_COLS, MIN_ROWS};
use crate::model::tabs::TabPart;
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
        draw_tabs(frame, model, &screen.tabs);
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
    caption::draw(frame, model, screen.caption);
    status::draw(frame, model, screen.status);
    match &model.overlay {
        Some(Overlay::Help { scroll }) => help::draw(frame, model, *scroll),
        Some(Overlay::Notices { scroll }) => notices::draw(frame, model, *scroll),
        Some(Overlay::ConfirmQuit { reasons }) => confirm::draw_quit(frame, reasons, theme),
        Some(Overlay::Inspector { scroll }) => inspector::draw(frame, model, *scroll),
        Some(Overlay::Checkpoints {
            items,
            applied,
            selected,
        }) => checkpoints::draw(frame, items, *applied, *selected, theme),
        Some(Overlay::ConfirmUndo { redo, paths, steps }) => {
            confirm::draw_undo(frame, *redo, paths, *steps, theme);
        }
        Some(Overlay::Fresh) => lessons::draw(frame, model),
        Some(Overlay::Picker { query, selected }) => picker::draw(frame, model, query, *selected),
        None => {}
    }
}

/// The tab bar: each pane's name and the badge of its state.
fn draw_tabs(frame: &mut Frame, model: &Model, tabs: &[(Pane, Rect)]) {
    let theme = &model.theme;
    for &(pane, rect) in tabs {
        let base = if pane == model.focus {
            theme.style(scope::TABS_ACTIVE)
        } else {
            theme.style(scope::TABS)
        };
        // On the other tabs a badge takes its state's colour on the tab's background, or its
        // block where the state has one (high contrast: black on yellow); the focused tab's
        // own colours stay legible whatever the theme.
        let plain = theme.style(scope::UI).bg;
        let badge = |name: &str| {
            let state = theme.style(name);
            match (state.fg, state.bg) {
                _ if pane == model.focus => base,
                (_, Some(bg)) if Some(bg) != plain => state,
                (Some(fg), _) => base.fg(fg),
                (None, _) => base,
            }
        };
        let (good, bad) = match pane {
            Pane::Spec => (scope::SPEC_HOLDS, scope::SPEC_VIOLATED),
            _ => (scope::RESULTS_PASS, scope::RESULTS_FAIL),
        };
        let spans: Vec<Span> = model
            .tab_parts(pane)
            .into_iter()
            .map(|(text, part)| {
                let style = match part {
                    TabPart::Name => base,
                    TabPart::Good => badge(good),
                    TabPart::Bad => badge(bad),
                    TabPart::Busy => badge(scope::RESULTS_RUNNING),
                };
                Span::styled(text, style)
            })
            .collect();
        frame.render_widget(Line::from(spans), rect);
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

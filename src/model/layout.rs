//! Screen geometry, owned by the model: the layout is stored when the terminal size, the focus,
//! the zoom, the split or the composer's rows change (as helix-view's tree keeps its views'
//! areas), and `update` (scroll pages, mouse hits) and the views read the same one, so both
//! always agree on where everything is.

use ratatui::layout::{Constraint, Layout as Split, Rect};

use super::Pane;

/// Below this size the app shows a "terminal too small" message.
pub const MIN_COLS: u16 = 60;
/// Below this size the app shows a "terminal too small" message.
pub const MIN_ROWS: u16 = 16;
/// From this width on the panes sit in a 2x2 grid; below it, one pane with a tab bar.
pub const GRID_MIN_COLS: u16 = 100;
/// The most lines the composer grows to.
pub const COMPOSER_MAX_LINES: u16 = 6;

/// How the panes are arranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Arrangement {
    #[default]
    TooSmall,
    /// One pane at a time under a tab bar.
    Tabs,
    /// Two columns of two panes.
    Grid,
}

/// Where everything goes on the screen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScreenLayout {
    pub arrangement: Arrangement,
    /// The tab bar's labels, one rectangle per pane (Tabs arrangement only).
    pub tabs: Vec<(Pane, Rect)>,
    /// The visible panes.
    pub panes: Vec<(Pane, Rect)>,
    /// The presenter's caption, above the status bar (no rows outside presenter mode).
    pub caption: Rect,
    /// The status bar: one row, more while a notice needs them.
    pub status: Rect,
}

/// What is laid out around the panes: the tab bar's label widths (narrow layout), the
/// presenter's caption rows and the status bar's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chrome {
    pub tabs: [u16; 4],
    pub caption: u16,
    pub status: u16,
}

impl Default for Chrome {
    fn default() -> Self {
        Self {
            tabs: Pane::ALL.map(|p| tab_label(p).chars().count() as u16),
            caption: 0,
            status: 1,
        }
    }
}

impl ScreenLayout {
    /// Where `pane` is drawn, if visible.
    pub fn pane(&self, pane: Pane) -> Option<Rect> {
        self.panes.iter().find(|(p, _)| *p == pane).map(|(_, r)| *r)
    }
}

/// The label of a pane in the tab bar, without its badge.
pub fn tab_label(pane: Pane) -> String {
    format!(" {} {} ", pane.index() + 1, pane.title())
}

/// Lays out the screen for a terminal `area`, with `chrome` around the panes.
pub fn screen(area: Rect, focus: Pane, zoomed: bool, split: u16, chrome: Chrome) -> ScreenLayout {
    if area.width < MIN_COLS || area.height < MIN_ROWS {
        return ScreenLayout {
            arrangement: Arrangement::TooSmall,
            tabs: Vec::new(),
            panes: Vec::new(),
            caption: Rect::default(),
            status: Rect::default(),
        };
    }
    let [body, caption, status] = area.layout(&Split::vertical([
        Constraint::Fill(1),
        Constraint::Length(chrome.caption),
        Constraint::Length(chrome.status),
    ]));
    if area.width < GRID_MIN_COLS {
        let [tab_bar, pane] = body.layout(&Split::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
        ]));
        let mut x = tab_bar.x;
        let tabs = Pane::ALL
            .iter()
            .zip(chrome.tabs)
            .map(|(&p, width)| {
                let rect = Rect::new(x, tab_bar.y, width, 1).intersection(tab_bar);
                x = x.saturating_add(width + 1);
                (p, rect)
            })
            .collect();
        return ScreenLayout {
            arrangement: Arrangement::Tabs,
            tabs,
            panes: vec![(focus, pane)],
            caption,
            status,
        };
    }
    let panes = if zoomed {
        vec![(focus, body)]
    } else {
        let [left, right] = body.layout(&Split::horizontal([
            Constraint::Percentage(split),
            Constraint::Fill(1),
        ]));
        let rows = Split::vertical([Constraint::Percentage(55), Constraint::Fill(1)]);
        let [spec, code] = left.layout(&rows);
        let [conversation, results] = right.layout(&rows);
        vec![
            (Pane::Spec, spec),
            (Pane::Conversation, conversation),
            (Pane::Code, code),
            (Pane::Results, results),
        ]
    };
    ScreenLayout {
        arrangement: Arrangement::Grid,
        tabs: Vec::new(),
        panes,
        caption,
        status,
    }
}

/// The screen as the model last laid it out, with each visible pane's parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// What it was laid out for: the area, the focus, the zoom, the split, the rows under the
    /// panes, the composer's rows.
    key: Option<(Rect, Pane, bool, u16, Chrome, usize)>,
    pub screen: ScreenLayout,
    areas: Vec<(Pane, PaneAreas)>,
}

impl Layout {
    /// Lays the screen out again if anything it depends on changed; `composer_rows` gives the
    /// draft's rows at a width.
    pub fn arrange(
        &mut self,
        area: Rect,
        (focus, zoomed, split): (Pane, bool, u16),
        chrome: Chrome,
        composer_rows: impl Fn(u16) -> usize,
    ) {
        let same_screen = self.key.is_some_and(|(a, f, z, s, b, _)| {
            (a, f, z, s, b) == (area, focus, zoomed, split, chrome)
        });
        if !same_screen {
            self.screen = screen(area, focus, zoomed, split, chrome);
        }
        let rows = self
            .screen
            .pane(Pane::Conversation)
            .map_or(0, |r| composer_rows(r.width.saturating_sub(2)));
        let key = Some((area, focus, zoomed, split, chrome, rows));
        if key == self.key {
            return;
        }
        self.key = key;
        self.areas = self
            .screen
            .panes
            .iter()
            .map(|&(pane, rect)| (pane, pane_areas(pane, rect, rows)))
            .collect();
    }

    /// Where `pane` is drawn, if visible.
    pub fn pane(&self, pane: Pane) -> Option<Rect> {
        self.screen.pane(pane)
    }

    /// The parts of `pane`, if visible.
    pub fn areas(&self, pane: Pane) -> Option<PaneAreas> {
        self.areas.iter().find(|(p, _)| *p == pane).map(|(_, a)| *a)
    }

    /// Where `pane`'s scrollable body is, if the pane is visible.
    pub fn body(&self, pane: Pane) -> Option<Rect> {
        self.areas(pane).map(|a| a.body)
    }
}

/// The parts inside a pane's border.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PaneAreas {
    /// Inside the border.
    pub inner: Rect,
    /// A one-line header: the context gauge (Conversation) or the file list (Code).
    pub header: Rect,
    /// The scrollable content.
    pub body: Rect,
    /// The composer (Conversation only).
    pub footer: Rect,
}

/// Splits a pane's rectangle; `composer_lines` sizes the Conversation's composer.
pub fn pane_areas(pane: Pane, rect: Rect, composer_lines: usize) -> PaneAreas {
    let inner = rect.inner(ratatui::layout::Margin::new(1, 1));
    match pane {
        Pane::Conversation => {
            let composer = (composer_lines as u16).clamp(1, COMPOSER_MAX_LINES) + 1;
            // The gauge, then the loop's line (verdict, fix round, corrections, banner).
            let [header, body, footer] = inner.layout(&Split::vertical([
                Constraint::Length(2),
                Constraint::Fill(1),
                Constraint::Length(composer),
            ]));
            PaneAreas {
                inner,
                header,
                body,
                footer,
            }
        }
        Pane::Code => {
            let [header, body] = inner.layout(&Split::vertical([
                Constraint::Length(1),
                Constraint::Fill(1),
            ]));
            PaneAreas {
                inner,
                header,
                body,
                footer: Rect::default(),
            }
        }
        Pane::Spec | Pane::Results => PaneAreas {
            inner,
            header: Rect::default(),
            body: inner,
            footer: Rect::default(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_covers_the_body_without_overlap() {
        let s = screen(
            Rect::new(0, 0, 120, 40),
            Pane::Spec,
            false,
            50,
            Chrome::default(),
        );
        assert_eq!(s.arrangement, Arrangement::Grid);
        let total: u32 = s.panes.iter().map(|(_, r)| r.area()).sum();
        assert_eq!(total, 120 * 39);
        assert_eq!(s.status, Rect::new(0, 39, 120, 1));
        assert_eq!(s.pane(Pane::Spec).unwrap().width, 60);
    }

    #[test]
    fn split_sets_the_left_column_width() {
        let s = screen(
            Rect::new(0, 0, 200, 60),
            Pane::Spec,
            false,
            30,
            Chrome::default(),
        );
        assert_eq!(s.pane(Pane::Spec).unwrap().width, 60);
        assert_eq!(s.pane(Pane::Conversation).unwrap().x, 60);
    }

    #[test]
    fn tabs_show_only_the_focused_pane() {
        let s = screen(
            Rect::new(0, 0, 80, 24),
            Pane::Code,
            false,
            50,
            Chrome::default(),
        );
        assert_eq!(s.arrangement, Arrangement::Tabs);
        assert_eq!(s.panes.len(), 1);
        assert_eq!(s.panes[0], (Pane::Code, Rect::new(0, 1, 80, 22)));
        assert_eq!(s.tabs.len(), 4);
        assert!(s.tabs.windows(2).all(|w| w[0].1.right() < w[1].1.x));
    }

    #[test]
    fn composer_grows_up_to_a_limit() {
        let rect = Rect::new(0, 0, 60, 30);
        let one = pane_areas(Pane::Conversation, rect, 1);
        let many = pane_areas(Pane::Conversation, rect, 40);
        assert_eq!(one.footer.height, 2);
        assert_eq!(many.footer.height, COMPOSER_MAX_LINES + 1);
        assert_eq!(one.body.height + one.header.height + one.footer.height, 28);
    }
}

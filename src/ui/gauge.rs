//! The context gauge: one line showing how full the usable context window is.

use ratatui::text::{Line, Span};

use crate::theme::{Theme, scope};

/// What the gauge shows: a small `Copy` props struct in, a line out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GaugeProps {
    /// The model's context window.
    pub window: u32,
    /// Tokens kept free for the reply.
    pub reserve: u32,
}

impl GaugeProps {
    /// The window less the output reserve: what a request may fill.
    pub fn usable(&self) -> u32 {
        self.window.saturating_sub(self.reserve)
    }
}

/// Formats a token count compactly: `950`, `1.2k`, `119.8k`, `128k`, `1.5M`.
pub fn fmt_tokens(n: u32) -> String {
    let scaled = |v: f64, unit: &str| {
        let s = format!("{v:.1}");
        format!("{}{unit}", s.strip_suffix(".0").unwrap_or(&s))
    };
    match n {
        0..1000 => n.to_string(),
        1000..1_000_000 => scaled(f64::from(n) / 1000.0, "k"),
        _ => scaled(f64::from(n) / 1_000_000.0, "M"),
    }
}

/// The smallest bar worth drawing.
const MIN_BAR: usize = 6;
/// The widest bar.
const MAX_BAR: usize = 24;

/// The gauge as one line for `width` columns: the longest description that fits beside a bar.
pub fn line(props: GaugeProps, width: u16, theme: &Theme) -> Line<'static> {
    let width = width as usize;
    let usable = fmt_tokens(props.usable());
    let texts = [
        format!(
            " empty · {usable} usable ({} window − {} reply reserve)",
            fmt_tokens(props.window),
            fmt_tokens(props.reserve)
        ),
        format!(" empty · {usable} usable of {}", fmt_tokens(props.window)),
        format!(" {usable} usable"),
    ];
    let fits = |label: &str, text: &str| label.len() + text.chars().count() + MIN_BAR <= width;
    let (label, text) = texts
        .iter()
        .find(|t| fits("context ", t))
        .map(|t| ("context ", t))
        .unwrap_or(("", &texts[2]));
    let bar = width
        .saturating_sub(label.len() + text.chars().count())
        .min(MAX_BAR);
    Line::from(vec![
        Span::styled(label, theme.style(scope::GAUGE_LABEL)),
        Span::styled("░".repeat(bar), theme.style(scope::GAUGE_FREE)),
        Span::styled(text.clone(), theme.style(scope::GAUGE_LABEL)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usable_is_window_less_reserve() {
        let p = GaugeProps {
            window: 128_000,
            reserve: 8192,
        };
        assert_eq!(p.usable(), 119_808);
        let tiny = GaugeProps {
            window: 100,
            reserve: 8192,
        };
        assert_eq!(tiny.usable(), 0);
    }

    #[test]
    fn description_shrinks_to_fit_beside_the_bar() {
        let theme = crate::theme::ThemeSource::default()
            .load("default")
            .unwrap();
        let p = GaugeProps {
            window: 128_000,
            reserve: 8192,
        };
        for width in [20u16, 40, 58, 80, 120] {
            let l = line(p, width, &theme);
            assert!(l.width() <= width as usize, "{width}: {l}");
            assert!(l.to_string().contains("119.8k usable"), "{width}: {l}");
        }
        assert!(line(p, 120, &theme).to_string().contains("reply reserve"));
    }

    #[test]
    fn token_counts_read_compactly() {
        assert_eq!(fmt_tokens(950), "950");
        assert_eq!(fmt_tokens(1234), "1.2k");
        assert_eq!(fmt_tokens(119_808), "119.8k");
        assert_eq!(fmt_tokens(128_000), "128k");
        assert_eq!(fmt_tokens(1_500_000), "1.5M");
    }
}

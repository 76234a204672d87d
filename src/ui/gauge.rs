//! The context gauge: one line showing how full the usable context window is.

use ratatui::text::{Line, Span};

use crate::theme::{Theme, scope};

/// What the gauge shows: a small `Copy` props struct in, a line out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GaugeProps {
    /// Tokens of the request to be sent, once there is one.
    pub used: Option<u32>,
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

/// The gauge as one line for `width` columns.
pub fn line(props: GaugeProps, width: u16, theme: &Theme) -> Line<'static> {
    let bar_width = (width / 4).clamp(6, 24) as usize;
    let label = Span::styled("context ", theme.style(scope::GAUGE_LABEL));
    let bar = Span::styled("░".repeat(bar_width), theme.style(scope::GAUGE_FREE));
    let text = match props.used {
        None => format!(
            " no request yet · {} usable of {}",
            fmt_tokens(props.usable()),
            fmt_tokens(props.window)
        ),
        Some(used) => format!(" {} / {}", fmt_tokens(used), fmt_tokens(props.usable())),
    };
    Line::from(vec![
        label,
        bar,
        Span::styled(text, theme.style(scope::GAUGE_LABEL)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usable_is_window_less_reserve() {
        let p = GaugeProps {
            used: None,
            window: 128_000,
            reserve: 8192,
        };
        assert_eq!(p.usable(), 119_808);
        let tiny = GaugeProps {
            used: None,
            window: 100,
            reserve: 8192,
        };
        assert_eq!(tiny.usable(), 0);
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

//! Themes: TOML files with a `[palette]`, `[styles]` keyed by dotted scope, `inherits`, and a
//! `syntax` key naming a syntect theme. Lookup falls back from `a.b.c` to `a.b` to `a`.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::assets;
use crate::config::{DEFAULT_THEME, user_config_dir};
use crate::text_pos::line_col;

/// The scope names the UI draws with. Every shipped theme defines each of them (tested).
pub mod scope {
    pub const UI: &str = "ui";
    pub const TEXT: &str = "ui.text";
    pub const TEXT_DIM: &str = "ui.text.dim";
    pub const TEXT_ACCENT: &str = "ui.text.accent";
    pub const BORDER: &str = "ui.border";
    pub const BORDER_FOCUSED: &str = "ui.border.focused";
    pub const TITLE: &str = "ui.title";
    pub const TITLE_FOCUSED: &str = "ui.title.focused";
    pub const TABS: &str = "ui.tabs";
    pub const TABS_ACTIVE: &str = "ui.tabs.active";
    pub const SELECTION: &str = "ui.selection";
    pub const LINENR: &str = "ui.linenr";
    pub const STATUSBAR: &str = "ui.statusbar";
    pub const MODE_NORMAL: &str = "ui.statusbar.mode.normal";
    pub const MODE_COMPOSE: &str = "ui.statusbar.mode.compose";
    pub const STATUS_KEY: &str = "ui.statusbar.key";
    pub const STATUS_INFO: &str = "ui.statusbar.info";
    pub const STATUS_ERROR: &str = "ui.statusbar.error";
    pub const HELP: &str = "ui.help";
    pub const HELP_BORDER: &str = "ui.help.border";
    pub const HELP_KEY: &str = "ui.help.key";
    pub const HELP_SECTION: &str = "ui.help.section";
    pub const DIALOG: &str = "ui.dialog";
    pub const DIALOG_BORDER: &str = "ui.dialog.border";
    pub const SPEC_HEADING: &str = "spec.heading";
    pub const SPEC_TEXT: &str = "spec.text";
    pub const SPEC_CHECK: &str = "spec.check";
    pub const SPEC_CLAUSE_ID: &str = "spec.clause.id";
    pub const SPEC_HOLDS: &str = "spec.holds";
    pub const SPEC_VIOLATED: &str = "spec.violated";
    pub const SPEC_UNTESTED: &str = "spec.untested";
    pub const SPEC_PENDING: &str = "spec.pending";
    pub const SPEC_INVALID: &str = "spec.invalid";
    pub const SPEC_CHANGED: &str = "spec.changed";
    pub const CONVERSATION_USER: &str = "conversation.user";
    pub const CONVERSATION_ASSISTANT: &str = "conversation.assistant";
    pub const CONVERSATION_SYSTEM: &str = "conversation.system";
    pub const CONVERSATION_INTERRUPTED: &str = "conversation.interrupted";
    pub const CONVERSATION_ERROR: &str = "conversation.error";
    pub const CONVERSATION_PLACEHOLDER: &str = "conversation.placeholder";
    pub const MD_HEADING: &str = "markdown.heading";
    pub const MD_EMPHASIS: &str = "markdown.emphasis";
    pub const MD_STRONG: &str = "markdown.strong";
    pub const MD_CODE: &str = "markdown.code";
    pub const MD_CODE_BLOCK: &str = "markdown.code.block";
    pub const MD_CODE_FENCE: &str = "markdown.code.fence";
    pub const MD_LINK: &str = "markdown.link";
    pub const MD_QUOTE: &str = "markdown.quote";
    pub const MD_LIST: &str = "markdown.list";
    pub const MD_RULE: &str = "markdown.rule";
    pub const COMPOSER: &str = "composer";
    pub const COMPOSER_CURSOR: &str = "composer.cursor";
    pub const COMPOSER_PLACEHOLDER: &str = "composer.placeholder";
    pub const GAUGE_FREE: &str = "gauge.free";
    pub const GAUGE_LABEL: &str = "gauge.label";
    pub const GAUGE_OK: &str = "gauge.ok";
    pub const GAUGE_WARN: &str = "gauge.warn";
    pub const GAUGE_CRITICAL: &str = "gauge.critical";
    pub const GAUGE_SYSTEM: &str = "gauge.segment.system";
    pub const GAUGE_SPEC: &str = "gauge.segment.spec";
    pub const GAUGE_CODE: &str = "gauge.segment.code";
    pub const GAUGE_TESTS: &str = "gauge.segment.tests";
    pub const GAUGE_HISTORY: &str = "gauge.segment.history";
    pub const GAUGE_MESSAGE: &str = "gauge.segment.message";
    pub const GAUGE_REANCHOR: &str = "gauge.segment.reanchor";
    pub const GAUGE_LESSONS: &str = "gauge.segment.lessons";
    pub const CONVERSATION_FIX: &str = "conversation.fix";
    pub const LOOP_STEP: &str = "loop.step";
    pub const LOOP_STEP_CURRENT: &str = "loop.step.current";
    pub const LOOP_STEP_DONE: &str = "loop.step.done";
    pub const LOOP_CORRECTION: &str = "loop.correction";
    pub const LOOP_BANNER: &str = "loop.banner";
    pub const CODE_TEXT: &str = "code.text";
    pub const CODE_FILE: &str = "code.file";
    pub const CODE_FILE_SELECTED: &str = "code.file.selected";
    pub const CODE_MARKER: &str = "code.marker";
    pub const DIFF_PLUS: &str = "diff.plus";
    pub const DIFF_MINUS: &str = "diff.minus";
    pub const RESULTS_SUMMARY: &str = "results.summary";
    pub const RESULTS_PASS: &str = "results.pass";
    pub const RESULTS_FAIL: &str = "results.fail";
    pub const RESULTS_SKIP: &str = "results.skip";
    pub const RESULTS_RUNNING: &str = "results.running";

    /// Every scope above: the contract each theme must fill.
    pub const ALL: &[&str] = &[
        UI,
        TEXT,
        TEXT_DIM,
        TEXT_ACCENT,
        BORDER,
        BORDER_FOCUSED,
        TITLE,
        TITLE_FOCUSED,
        TABS,
        TABS_ACTIVE,
        SELECTION,
        LINENR,
        STATUSBAR,
        MODE_NORMAL,
        MODE_COMPOSE,
        STATUS_KEY,
        STATUS_INFO,
        STATUS_ERROR,
        HELP,
        HELP_BORDER,
        HELP_KEY,
        HELP_SECTION,
        DIALOG,
        DIALOG_BORDER,
        SPEC_HEADING,
        SPEC_TEXT,
        SPEC_CHECK,
        SPEC_CLAUSE_ID,
        SPEC_HOLDS,
        SPEC_VIOLATED,
        SPEC_UNTESTED,
        SPEC_PENDING,
        SPEC_INVALID,
        SPEC_CHANGED,
        CONVERSATION_USER,
        CONVERSATION_ASSISTANT,
        CONVERSATION_SYSTEM,
        CONVERSATION_INTERRUPTED,
        CONVERSATION_ERROR,
        CONVERSATION_PLACEHOLDER,
        MD_HEADING,
        MD_EMPHASIS,
        MD_STRONG,
        MD_CODE,
        MD_CODE_BLOCK,
        MD_CODE_FENCE,
        MD_LINK,
        MD_QUOTE,
        MD_LIST,
        MD_RULE,
        COMPOSER,
        COMPOSER_CURSOR,
        COMPOSER_PLACEHOLDER,
        GAUGE_FREE,
        GAUGE_LABEL,
        GAUGE_OK,
        GAUGE_WARN,
        GAUGE_CRITICAL,
        GAUGE_SYSTEM,
        GAUGE_SPEC,
        GAUGE_CODE,
        GAUGE_TESTS,
        GAUGE_HISTORY,
        GAUGE_MESSAGE,
        GAUGE_REANCHOR,
        GAUGE_LESSONS,
        CONVERSATION_FIX,
        LOOP_STEP,
        LOOP_STEP_CURRENT,
        LOOP_STEP_DONE,
        LOOP_CORRECTION,
        LOOP_BANNER,
        CODE_TEXT,
        CODE_FILE,
        CODE_FILE_SELECTED,
        CODE_MARKER,
        DIFF_PLUS,
        DIFF_MINUS,
        RESULTS_SUMMARY,
        RESULTS_PASS,
        RESULTS_FAIL,
        RESULTS_SKIP,
        RESULTS_RUNNING,
    ];
}

/// A resolved theme: styles by scope plus the syntect theme for code.
#[derive(Debug, Clone)]
pub struct Theme {
    name: String,
    syntax: String,
    styles: HashMap<String, Style>,
    no_color: bool,
}

/// A theme file that could not be used. The message names the file, line and key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    #[error("theme `{0}` not found (shipped: {1})")]
    NotFound(String, String),
    #[error("{file}:{line}: {key}: {message}")]
    Invalid {
        file: String,
        line: usize,
        key: String,
        message: String,
    },
    #[error("{file}: cannot read: {message}")]
    Io { file: String, message: String },
    #[error("theme `{0}` inherits from itself (cycle: {1})")]
    Cycle(String, String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    inherits: Option<String>,
    syntax: Option<toml::Spanned<String>>,
    #[serde(default)]
    palette: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    styles: BTreeMap<String, toml::Spanned<StyleSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StyleSpec {
    Fg(String),
    Full(StyleTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleTable {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    modifiers: Vec<String>,
}

/// Where theme files come from: the embedded ones, overridden or extended by a user directory.
#[derive(Debug, Clone, Default)]
pub struct ThemeSource {
    /// The user's theme directory (`<config dir>/specbench/themes`), if any.
    pub user_dir: Option<PathBuf>,
    /// `NO_COLOR` is set: keep modifiers, drop colours.
    pub no_color: bool,
}

impl ThemeSource {
    /// The user theme directory from the platform config dir, and `NO_COLOR` from the environment.
    pub fn from_env() -> Self {
        Self {
            user_dir: user_config_dir().map(|d| d.join("themes")),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }

    /// Loads `name`; on any problem returns the default theme together with the error.
    pub fn load_or_default(&self, name: &str) -> (Theme, Option<ThemeError>) {
        match self.load(name) {
            Ok(theme) => (theme, None),
            Err(err) => {
                let fallback = self
                    .load_embedded_only(DEFAULT_THEME)
                    .unwrap_or_else(|_| Theme::plain(self.no_color));
                (fallback, Some(err))
            }
        }
    }

    /// Loads `name`, following `inherits`.
    pub fn load(&self, name: &str) -> Result<Theme, ThemeError> {
        self.load_with(name, true)
    }

    fn load_embedded_only(&self, name: &str) -> Result<Theme, ThemeError> {
        self.load_with(name, false)
    }

    fn load_with(&self, name: &str, use_user_dir: bool) -> Result<Theme, ThemeError> {
        // (name, label for messages, text, parsed), from the named theme up to its root.
        let mut chain: Vec<(String, String, String, ThemeFile)> = Vec::new();
        let mut next = Some(name.to_string());
        while let Some(current) = next.take() {
            if chain.iter().any(|(n, ..)| *n == current) {
                let names: Vec<&str> = chain.iter().map(|(n, ..)| n.as_str()).collect();
                return Err(ThemeError::Cycle(current, names.join(" -> ")));
            }
            let (file_label, text) = self.read(&current, use_user_dir)?;
            let parsed: ThemeFile = toml::from_str(&text).map_err(|e| {
                let line = e.span().map_or(1, |s| line_col(&text, s.start).0);
                ThemeError::Invalid {
                    file: file_label.clone(),
                    line,
                    key: key_at_line(&text, line),
                    message: e.message().to_string(),
                }
            })?;
            next = parsed.inherits.clone();
            chain.push((current, file_label, text, parsed));
            if let Some(parent) = &next
                && chain.len() > 16
            {
                return Err(ThemeError::Cycle(parent.clone(), "too deep".into()));
            }
        }
        // Apply from the root ancestor down to the named theme.
        let mut palette: HashMap<String, Color> = HashMap::new();
        let mut styles: HashMap<String, Style> = HashMap::new();
        let mut syntax = String::from("base16-ocean.dark");
        for (_, file_label, text, file) in chain.into_iter().rev() {
            for (key, value) in &file.palette {
                let color = parse_hex(value.get_ref()).ok_or_else(|| ThemeError::Invalid {
                    file: file_label.clone(),
                    line: line_col(&text, value.span().start).0,
                    key: format!("palette.{key}"),
                    message: format!("`{}` is not a #rrggbb colour", value.get_ref()),
                })?;
                palette.insert(key.clone(), color);
            }
            for (key, spec) in &file.styles {
                let line = line_col(&text, spec.span().start).0;
                let style = resolve_style(spec.get_ref(), &palette).map_err(|message| {
                    ThemeError::Invalid {
                        file: file_label.clone(),
                        line,
                        key: format!("styles.\"{key}\""),
                        message,
                    }
                })?;
                styles.insert(key.clone(), style);
            }
            if let Some(s) = file.syntax {
                if !crate::code::highlight::has_theme(s.get_ref()) {
                    return Err(ThemeError::Invalid {
                        file: file_label.clone(),
                        line: line_col(&text, s.span().start).0,
                        key: "syntax".into(),
                        message: format!(
                            "unknown syntax theme `{}` (known: {})",
                            s.get_ref(),
                            crate::code::highlight::theme_names().join(", ")
                        ),
                    });
                }
                syntax = s.into_inner();
            }
        }
        Ok(Theme {
            name: name.to_string(),
            syntax,
            styles,
            no_color: self.no_color,
        })
    }

    /// Returns (label for messages, text) for a theme name.
    fn read(&self, name: &str, use_user_dir: bool) -> Result<(String, String), ThemeError> {
        if use_user_dir && let Some(dir) = &self.user_dir {
            let path = dir.join(format!("{name}.toml"));
            match std::fs::read(&path) {
                Ok(bytes) => {
                    let file = path.display().to_string();
                    let lossy = String::from_utf8_lossy(&bytes).into_owned();
                    return match crate::text_pos::utf8(bytes) {
                        Ok(text) => Ok((file, text)),
                        Err(e) => Err(ThemeError::Invalid {
                            file,
                            line: e.line,
                            key: key_at_line(&lossy, e.line),
                            message: format!(
                                "not UTF-8 (byte {:#04x}); save the file as UTF-8",
                                e.byte
                            ),
                        }),
                    };
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(ThemeError::Io {
                        file: path.display().to_string(),
                        message: e.to_string(),
                    });
                }
            }
        }
        match assets::theme(name) {
            Some(text) => Ok((format!("themes/{name}.toml"), text.to_string())),
            None => Err(ThemeError::NotFound(
                name.to_string(),
                assets::THEMES
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
        }
    }
}

/// The key on a given 1-based line of a TOML text (`key = ...`), or the line itself.
fn key_at_line(text: &str, line: usize) -> String {
    let raw = text
        .lines()
        .nth(line.saturating_sub(1))
        .unwrap_or("")
        .trim();
    match raw.split_once('=') {
        Some((key, _)) => key.trim().trim_matches('"').to_string(),
        None => raw.to_string(),
    }
}

fn resolve_style(spec: &StyleSpec, palette: &HashMap<String, Color>) -> Result<Style, String> {
    match spec {
        StyleSpec::Fg(fg) => Ok(Style::new().fg(resolve_color(fg, palette)?)),
        StyleSpec::Full(table) => {
            let mut style = Style::new();
            if let Some(fg) = &table.fg {
                style = style.fg(resolve_color(fg, palette)?);
            }
            if let Some(bg) = &table.bg {
                style = style.bg(resolve_color(bg, palette)?);
            }
            for m in &table.modifiers {
                style = style.add_modifier(parse_modifier(m)?);
            }
            Ok(style)
        }
    }
}

fn resolve_color(value: &str, palette: &HashMap<String, Color>) -> Result<Color, String> {
    if let Some(c) = palette.get(value) {
        return Ok(*c);
    }
    if let Some(c) = parse_hex(value) {
        return Ok(c);
    }
    let named = match value {
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "dark-gray" | "dark-grey" => Color::DarkGray,
        "light-red" => Color::LightRed,
        "light-green" => Color::LightGreen,
        "light-yellow" => Color::LightYellow,
        "light-blue" => Color::LightBlue,
        "light-magenta" => Color::LightMagenta,
        "light-cyan" => Color::LightCyan,
        "white" => Color::White,
        "reset" | "default" => Color::Reset,
        _ => {
            return Err(format!(
                "unknown colour `{value}` (a palette name, #rrggbb, or an ANSI colour name)"
            ));
        }
    };
    Ok(named)
}

fn parse_hex(value: &str) -> Option<Color> {
    let hex = value.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let n = u32::from_str_radix(hex, 16).ok()?;
    Some(Color::Rgb((n >> 16) as u8, (n >> 8) as u8, n as u8))
}

fn parse_modifier(name: &str) -> Result<Modifier, String> {
    Ok(match name {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" => Modifier::UNDERLINED,
        "reversed" => Modifier::REVERSED,
        "crossed-out" => Modifier::CROSSED_OUT,
        "slow-blink" => Modifier::SLOW_BLINK,
        _ => {
            return Err(format!(
                "unknown modifier `{name}` (bold, dim, italic, underlined, reversed, crossed-out)"
            ));
        }
    })
}

impl Theme {
    /// A theme with no styles at all: the last resort when even the embedded default fails.
    pub fn plain(no_color: bool) -> Self {
        Self {
            name: "plain".into(),
            syntax: "base16-ocean.dark".into(),
            styles: HashMap::new(),
            no_color,
        }
    }

    /// The theme's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The syntect theme named by the `syntax` key.
    pub fn syntax(&self) -> &str {
        &self.syntax
    }

    /// The style for `scope`, falling back from `a.b.c` to `a.b` to `a`, then to no style.
    pub fn style(&self, scope: &str) -> Style {
        let style = self.lookup(scope).unwrap_or_default();
        if self.no_color {
            Style {
                fg: None,
                bg: None,
                underline_color: None,
                ..style
            }
        } else {
            style
        }
    }

    /// The style defined for `scope` or its nearest parent, if any.
    pub fn lookup(&self, scope: &str) -> Option<Style> {
        let mut key = scope;
        loop {
            if let Some(s) = self.styles.get(key) {
                return Some(*s);
            }
            key = &key[..key.rfind('.')?];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn source_with(dir: &Path) -> ThemeSource {
        ThemeSource {
            user_dir: Some(dir.to_path_buf()),
            no_color: false,
        }
    }

    #[test]
    fn every_shipped_theme_defines_every_scope() {
        let source = ThemeSource::default();
        for (name, _) in assets::THEMES {
            let theme = source.load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            for scope in scope::ALL {
                assert!(
                    theme.styles.contains_key(*scope),
                    "theme {name} does not define {scope}"
                );
            }
        }
    }

    #[test]
    fn lookup_falls_back_to_parent_scopes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("t.toml"),
            "[styles]\n\"ui\" = \"red\"\n\"ui.border\" = { fg = \"blue\", modifiers = [\"bold\"] }\n",
        )
        .unwrap();
        let theme = source_with(dir.path()).load("t").unwrap();
        assert_eq!(
            theme.style("ui.border.focused"),
            Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD)
        );
        assert_eq!(theme.style("ui.text.dim"), Style::new().fg(Color::Red));
        assert_eq!(theme.style("spec.holds"), Style::default());
    }

    #[test]
    fn inherits_overlays_palette_and_styles() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "inherits = \"default\"\n[palette]\nmy = \"#102030\"\n[styles]\n\"ui.border\" = \"my\"\n",
        )
        .unwrap();
        let theme = source_with(dir.path()).load("mine").unwrap();
        assert_eq!(
            theme.style("ui.border"),
            Style::new().fg(Color::Rgb(0x10, 0x20, 0x30))
        );
        let default = ThemeSource::default().load("default").unwrap();
        assert_eq!(
            theme.style("ui.border.focused"),
            default.style("ui.border.focused")
        );
        assert_eq!(theme.syntax(), default.syntax());
    }

    #[test]
    fn broken_theme_names_file_line_and_key_and_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bad.toml"),
            "[palette]\nfg = \"#ffffff\"\n\n[styles]\n\"ui.text\" = \"fg\"\n\"ui.border\" = { fg = \"bleu\" }\n",
        )
        .unwrap();
        let (theme, err) = source_with(dir.path()).load_or_default("bad");
        let err = err.expect("error reported");
        let msg = err.to_string();
        assert!(msg.contains("bad.toml:6:"), "{msg}");
        assert!(msg.contains("styles.\"ui.border\""), "{msg}");
        assert!(msg.contains("unknown colour `bleu`"), "{msg}");
        assert_eq!(theme.name(), "default");
    }

    #[test]
    fn toml_syntax_error_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bad.toml"),
            "[styles]\n\"ui\" = \"red\"\n\"ui.text\" = { fg = \n",
        )
        .unwrap();
        let err = source_with(dir.path()).load("bad").unwrap_err().to_string();
        assert!(err.contains("bad.toml:3:"), "{err}");
        assert!(err.contains("ui.text"), "{err}");
    }

    #[test]
    fn an_unknown_syntax_theme_is_an_error_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("typo.toml"),
            "inherits = \"default\"\nsyntax = \"base16-ocean.drak\"\n",
        )
        .unwrap();
        let (theme, err) = source_with(dir.path()).load_or_default("typo");
        let msg = err.expect("error reported").to_string();
        assert!(msg.contains("typo.toml:2: syntax: unknown syntax theme `base16-ocean.drak`"));
        assert!(
            msg.contains("base16-ocean.dark"),
            "the known ones are listed: {msg}"
        );
        assert_eq!(theme.name(), "default");
        std::fs::write(
            dir.path().join("fine.toml"),
            "inherits = \"default\"\nsyntax = \"InspiredGitHub\"\n",
        )
        .unwrap();
        let theme = source_with(dir.path()).load("fine").unwrap();
        assert_eq!(theme.syntax(), "InspiredGitHub");
    }

    #[test]
    fn a_theme_that_is_not_utf8_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("latin1.toml"),
            b"inherits = \"default\"\n[palette]\nfg = \"#ffffff\" # caf\xe9\n",
        )
        .unwrap();
        let msg = source_with(dir.path())
            .load("latin1")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("latin1.toml:3: fg: not UTF-8 (byte 0xe9)"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_theme_lists_the_shipped_ones() {
        let err = ThemeSource::default().load("nope").unwrap_err().to_string();
        assert!(err.contains("default, light, high-contrast"), "{err}");
    }

    #[test]
    fn inherit_cycle_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.toml"), "inherits = \"b\"\n").unwrap();
        std::fs::write(dir.path().join("b.toml"), "inherits = \"a\"\n").unwrap();
        let err = source_with(dir.path()).load("a").unwrap_err();
        assert!(matches!(err, ThemeError::Cycle(..)), "{err}");
    }

    #[test]
    fn no_color_drops_colours_keeps_modifiers() {
        let source = ThemeSource {
            user_dir: None,
            no_color: true,
        };
        let theme = source.load("high-contrast").unwrap();
        let style = theme.style(scope::BORDER_FOCUSED);
        assert_eq!(style.fg, None);
        assert_eq!(style.bg, None);
        assert!(style.add_modifier.contains(Modifier::BOLD));
    }
}

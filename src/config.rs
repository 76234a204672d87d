//! Configuration: `specbench.toml` in the workspace over a user file over the defaults of
//! `assets/default-config.toml`, then CLI overrides. Unknown keys and bad values are errors
//! that name the file, the line and the key.
//!
//! Long file: every section's keys, their defaults and their checks are one contract (the
//! README's config block and `assets/default-config.toml`); split, a key's check would drift
//! from its default.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::text_pos::line_col;

/// The name of the workspace config file.
pub const WORKSPACE_FILE: &str = "specbench.toml";
/// Overrides the user config directory (used by tests and portable setups).
pub const CONFIG_DIR_ENV: &str = "SPECBENCH_CONFIG_DIR";

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The spec file, relative to the workspace.
    pub spec: PathBuf,
    pub tests: TestsConfig,
    pub code: CodeConfig,
    pub model: ModelConfig,
    #[serde(rename = "loop")]
    pub loop_: LoopConfig,
    pub ui: UiConfig,
    pub context: ContextConfig,
    pub check: CheckConfig,
}

/// `[tests]`: how the workspace's tests run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TestsConfig {
    pub command: String,
    pub format: TestFormat,
    pub junit_path: Option<PathBuf>,
    pub timeout_secs: u64,
    pub on_change: OnChange,
    pub ignore: Vec<String>,
    /// API key variables passed to the test command on purpose (all are withheld otherwise).
    pub pass_env: Vec<String>,
}

/// The output format of the test command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestFormat {
    Auto,
    Libtest,
    Pytest,
    Unittest,
    GoJson,
    Tap,
    Junit,
}

/// What a file change does to a run in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnChange {
    Restart,
    Queue,
}

/// `[code]`: the files shown in the code pane and scanned by forbid/require checks.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CodeConfig {
    pub include: Vec<String>,
    /// Test files: shown in the code pane, left out of the default forbid/require scope.
    pub tests: Vec<String>,
}

/// `[model]`: the provider and its limits.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    pub provider: ProviderKind,
    pub model: String,
    pub base_url: String,
    /// The name of the environment variable holding the key; never the key itself.
    pub api_key_env: String,
    /// The window when the server cannot tell; unset: a table of well-known models.
    pub context_window: Option<u32>,
    /// Tokens kept free for the reply (the output reserve).
    pub max_output_tokens: u32,
    /// The cassette the `replay` provider plays, relative to the workspace.
    pub cassette: Option<PathBuf>,
    /// Replay pacing: 1 plays as recorded, 2 twice as fast, 0 without pauses.
    pub replay_speed: f64,
    pub connect_timeout_secs: u64,
    /// The longest silence between two reads of a streaming reply.
    pub idle_timeout_secs: u64,
    /// Retries of a failed request before any content arrived.
    pub max_retries: u32,
    /// The read-only tools offered to the model.
    pub tools: Tools,
    /// Requests with tool results the model may make in one user turn before the turn stops.
    pub max_tool_rounds: u32,
    /// `--record FILE`: write every streamed reply into this cassette.
    #[serde(skip)]
    pub record: Option<PathBuf>,
    /// `demo --step`: a replayed reply waits for `Ctrl-N` before each line.
    #[serde(skip)]
    pub replay_step: bool,
}

/// `[model].tools`: which tools the model may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tools {
    /// `read_file`, `list_files` and `search`.
    #[default]
    Read,
    /// None: the request carries no tools.
    Off,
}

/// Which model API to talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    Openai,
    Anthropic,
    Replay,
}

/// `[loop]`: the test-and-fix loop.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoopConfig {
    pub auto_test: bool,
    pub fix_rounds: u32,
    pub auto_apply: bool,
    pub fresh_after: u32,
}

/// `[ui]`: presentation.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    pub theme: String,
    /// The gauge turns to `warn` at this percentage of the usable window.
    pub gauge_warn: u8,
    /// The gauge turns to `critical` at this percentage.
    pub gauge_critical: u8,
}

/// `[context]`: how much of the code goes into a request (DESIGN.md section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContextConfig {
    /// A workspace whose code in scope fits this many tokens sends all of it.
    pub all_below_tokens: u32,
    /// The context set's budget; in force: the smaller of this and a quarter of the usable
    /// window.
    pub code_tokens: u32,
    /// The repository map's budget; in force: the smaller of this and an eighth of the usable
    /// window.
    pub map_tokens: u32,
}

impl Default for ContextConfig {
    fn default() -> Self {
        Self {
            all_below_tokens: 8000,
            code_tokens: 16_000,
            map_tokens: 1500,
        }
    }
}

/// `[check]`: what makes `specbench check` (and `run`) fail.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckConfig {
    /// Orphan tests and untested clauses fail `check` too (by default they are warnings).
    pub strict: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            spec: PathBuf::from("SPEC.md"),
            tests: TestsConfig::default(),
            code: CodeConfig::default(),
            model: ModelConfig::default(),
            loop_: LoopConfig::default(),
            ui: UiConfig::default(),
            context: ContextConfig::default(),
            check: CheckConfig::default(),
        }
    }
}

impl Default for TestsConfig {
    fn default() -> Self {
        Self {
            command: "python3 -m unittest -v".into(),
            format: TestFormat::Auto,
            junit_path: None,
            timeout_secs: 300,
            on_change: OnChange::Restart,
            ignore: Vec::new(),
            pass_env: Vec::new(),
        }
    }
}

/// The variables that hold the providers' API keys, whatever `api_key_env` says.
pub const KEY_VARIABLES: [&str; 2] = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"];

impl Config {
    /// The variables withheld from the test command (model-written code runs there): the
    /// providers' key variables and `[model].api_key_env`, less those `[tests].pass_env` names.
    pub fn withheld_env(&self) -> Vec<String> {
        self.withheld_env_with(&self.tests)
    }

    /// [`Config::withheld_env`] with `tests` in force (a config reloaded while open).
    pub fn withheld_env_with(&self, tests: &TestsConfig) -> Vec<String> {
        let mut vars: Vec<String> = KEY_VARIABLES.iter().map(|v| v.to_string()).collect();
        let configured = self.model.api_key_env.trim();
        if !configured.is_empty() && !vars.iter().any(|v| v == configured) {
            vars.push(configured.to_string());
        }
        vars.retain(|v| !tests.pass_env.contains(v));
        vars
    }
}

/// The test files of the usual layouts (pytest, unittest, Go, Rust, JS).
const DEFAULT_TEST_FILES: [&str; 8] = [
    "**/test_*",
    "**/*_test.*",
    "**/tests/**",
    "**/test/**",
    "**/*.test.*",
    "**/*.spec.*",
    "**/__tests__/**",
    "**/conftest.py",
];

impl Default for CodeConfig {
    fn default() -> Self {
        let exts = ["py", "rs", "go", "js", "ts", "java", "c", "h", "cpp", "rb"];
        Self {
            include: exts.iter().map(|e| format!("**/*.{e}")).collect(),
            tests: DEFAULT_TEST_FILES.iter().map(|g| g.to_string()).collect(),
        }
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            provider: ProviderKind::Openai,
            model: "gpt-4.1-mini".into(),
            base_url: "https://api.openai.com/v1".into(),
            api_key_env: "OPENAI_API_KEY".into(),
            context_window: None,
            max_output_tokens: 8192,
            cassette: None,
            replay_speed: 1.0,
            connect_timeout_secs: 10,
            idle_timeout_secs: 60,
            max_retries: 4,
            tools: Tools::Read,
            max_tool_rounds: 8,
            record: None,
            replay_step: false,
        }
    }
}

impl Default for LoopConfig {
    fn default() -> Self {
        Self {
            auto_test: true,
            fix_rounds: 3,
            auto_apply: false,
            fresh_after: 2,
        }
    }
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            theme: DEFAULT_THEME.into(),
            gauge_warn: 60,
            gauge_critical: 85,
        }
    }
}

/// A config file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}:{line}:{column}: `{key}`: {message}")]
    Invalid {
        file: PathBuf,
        line: usize,
        column: usize,
        key: String,
        message: String,
    },
    #[error("{file}: cannot read: {message}")]
    Io { file: PathBuf, message: String },
    #[error("{file}:{at}")]
    Encoding {
        file: PathBuf,
        at: crate::text_pos::NotUtf8,
    },
}

/// Settings given on the command line; they win over every file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--config FILE`: used instead of the workspace's `specbench.toml`.
    pub config_file: Option<PathBuf>,
    /// `--theme NAME`.
    pub theme: Option<String>,
    /// `--provider NAME`.
    pub provider: Option<ProviderKind>,
    /// `--model NAME`.
    pub model: Option<String>,
    /// `--replay CASSETTE`: the replay provider on this cassette.
    pub replay: Option<PathBuf>,
    /// `--record CASSETTE`.
    pub record: Option<PathBuf>,
    /// `--speed X`: replay pacing.
    pub speed: Option<f64>,
    /// `--step`: replay one line per `Ctrl-N` (each line at once, unless `--speed` paces it).
    pub step: bool,
}

impl Overrides {
    /// Puts the command line's settings over `config`.
    pub fn apply(&self, config: &mut Config) {
        if let Some(theme) = &self.theme {
            config.ui.theme = theme.clone();
        }
        if let Some(provider) = self.provider {
            config.model.provider = provider;
        }
        if let Some(model) = &self.model {
            config.model.model = model.clone();
        }
        if let Some(cassette) = &self.replay {
            config.model.provider = ProviderKind::Replay;
            config.model.cassette = Some(cassette.clone());
        }
        if let Some(record) = &self.record {
            config.model.record = Some(record.clone());
        }
        if let Some(speed) = self.speed {
            config.model.replay_speed = speed;
        }
        if self.step {
            config.model.replay_step = true;
            if self.speed.is_none() {
                config.model.replay_speed = 0.0;
            }
        }
    }
}

/// The theme used when none is named, and the fallback when a named one is broken.
pub const DEFAULT_THEME: &str = "default";

/// The user config directory: `$SPECBENCH_CONFIG_DIR`, else `<platform config dir>/specbench`.
pub fn user_config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV) {
        return Some(PathBuf::from(dir));
    }
    use etcetera::BaseStrategy;
    etcetera::choose_base_strategy()
        .ok()
        .map(|s| s.config_dir().join("specbench"))
}

/// The config files `load` reads, whether they exist or not: the user file, then the
/// workspace file (or `--config`), made absolute (through their directory's real path when it
/// exists, as the file watcher names them).
pub fn files(workspace: &Path, overrides: &Overrides) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(dir) = user_config_dir() {
        files.push(dir.join("config.toml"));
    }
    files.push(match &overrides.config_file {
        Some(path) => path.clone(),
        None => workspace.join(WORKSPACE_FILE),
    });
    files
        .into_iter()
        .map(|f| {
            let f = std::path::absolute(&f).unwrap_or(f);
            let real = f
                .parent()
                .and_then(|dir| dir.canonicalize().ok())
                .zip(f.file_name())
                .map(|(dir, name)| dir.join(name));
            real.unwrap_or(f)
        })
        .collect()
}

/// Loads the configuration for `workspace`: defaults, the user file, the workspace file (or
/// `--config`), then the CLI overrides.
pub fn load(workspace: &Path, overrides: &Overrides) -> Result<Config, ConfigError> {
    let files = files(workspace, overrides);
    let last = files.len() - 1;
    // Missing files are skipped, but `--config FILE` must exist.
    let layers: Vec<PathBuf> = files
        .into_iter()
        .enumerate()
        .filter(|(i, path)| path.is_file() || (*i == last && overrides.config_file.is_some()))
        .map(|(_, path)| path)
        .collect();
    let mut merged = toml::Table::new();
    for path in &layers {
        let bytes = std::fs::read(path).map_err(|e| ConfigError::Io {
            file: path.clone(),
            message: e.to_string(),
        })?;
        let text = crate::text_pos::utf8(bytes).map_err(|e| ConfigError::Encoding {
            file: path.clone(),
            at: e,
        })?;
        let table = parse_layer(path, &text)?;
        merge(&mut merged, table);
    }
    let mut config: Config =
        Config::deserialize(toml::Value::Table(merged)).map_err(|e| ConfigError::Invalid {
            file: layers.last().cloned().unwrap_or_default(),
            line: 1,
            column: 1,
            key: String::new(),
            message: e.to_string(),
        })?;
    overrides.apply(&mut config);
    Ok(config)
}

/// Parses and fully validates one file on its own, so errors point into that file.
pub fn parse_layer(path: &Path, text: &str) -> Result<toml::Table, ConfigError> {
    let invalid = |span: Option<std::ops::Range<usize>>, message: String| {
        let (line, column) = span.map_or((1, 1), |s| line_col(text, s.start));
        ConfigError::Invalid {
            file: path.to_path_buf(),
            line,
            column,
            key: key_path_at_line(text, line),
            message,
        }
    };
    let table: toml::Table =
        toml::from_str(text).map_err(|e| invalid(e.span(), e.message().to_string()))?;
    let config: Config =
        toml::from_str(text).map_err(|e| invalid(e.span(), e.message().to_string()))?;
    let window = config.model.context_window;
    let checks: [(&str, &str, bool, &str); 9] = [
        (
            "tests",
            "timeout_secs",
            config.tests.timeout_secs == 0,
            "must be at least 1",
        ),
        (
            "loop",
            "fresh_after",
            config.loop_.fresh_after == 0,
            "must be at least 1",
        ),
        (
            "model",
            "context_window",
            window.is_some_and(|w| w < 1024),
            "must be at least 1024 tokens",
        ),
        (
            "model",
            "max_output_tokens",
            window.is_some_and(|w| config.model.max_output_tokens >= w),
            "must be smaller than context_window",
        ),
        (
            "model",
            "replay_speed",
            !(config.model.replay_speed >= 0.0 && config.model.replay_speed.is_finite()),
            "must be 0 (no pauses) or more",
        ),
        (
            "model",
            "idle_timeout_secs",
            config.model.idle_timeout_secs == 0,
            "must be at least 1",
        ),
        (
            "ui",
            "gauge_critical",
            config.ui.gauge_critical > 100 || config.ui.gauge_critical < config.ui.gauge_warn,
            "must be between gauge_warn and 100",
        ),
        (
            "model",
            "connect_timeout_secs",
            config.model.connect_timeout_secs == 0,
            "must be at least 1",
        ),
        (
            "model",
            "max_tool_rounds",
            config.model.max_tool_rounds == 0,
            "must be at least 1 (tools = \"off\" turns the tools off)",
        ),
    ];
    let globs = [
        ("tests", "ignore", &config.tests.ignore),
        ("code", "include", &config.code.include),
        ("code", "tests", &config.code.tests),
    ];
    for (section, key, patterns) in globs {
        for pattern in patterns {
            if let Err(e) = globset::Glob::new(pattern) {
                return Err(ConfigError::Invalid {
                    file: path.to_path_buf(),
                    line: line_of_key(text, section, key),
                    column: 1,
                    key: format!("{section}.{key}"),
                    message: format!("bad glob `{pattern}`: {}", e.kind()),
                });
            }
        }
    }
    for (section, key, bad, why) in checks {
        let set_here = table
            .get(section)
            .and_then(|s| s.as_table())
            .is_some_and(|s| s.contains_key(key));
        if bad && set_here {
            let line = line_of_key(text, section, key);
            return Err(ConfigError::Invalid {
                file: path.to_path_buf(),
                line,
                column: 1,
                key: format!("{section}.{key}"),
                message: why.to_string(),
            });
        }
    }
    Ok(table)
}

/// Deep-merges `over` into `base`: tables merge key by key, everything else is replaced.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// `section.key` for the key assigned on a 1-based line, from the nearest `[section]` above.
fn key_path_at_line(text: &str, line: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let idx = line.saturating_sub(1).min(lines.len().saturating_sub(1));
    let Some(current) = lines.get(idx) else {
        return String::new();
    };
    let current = current.trim();
    if let Some(header) = section_header(current) {
        return header.to_string();
    }
    let key = current
        .split_once('=')
        .map_or(current, |(k, _)| k)
        .trim()
        .trim_matches('"');
    let section = lines[..idx]
        .iter()
        .rev()
        .find_map(|l| section_header(l.trim()));
    match section {
        Some(s) => format!("{s}.{key}"),
        None => key.to_string(),
    }
}

fn section_header(line: &str) -> Option<&str> {
    line.strip_prefix('[')?
        .split(']')
        .next()
        .map(|s| s.trim_matches(['[', ' ']))
}

/// The 1-based line where `key` is assigned inside `[section]`.
fn line_of_key(text: &str, section: &str, key: &str) -> usize {
    let mut in_section = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(header) = section_header(line) {
            in_section = header == section;
        } else if in_section
            && line
                .split_once('=')
                .is_some_and(|(k, _)| k.trim().trim_matches('"') == key)
        {
            return i + 1;
        }
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse_layer(Path::new("ws/specbench.toml"), text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_config_that_is_not_utf8_names_its_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(WORKSPACE_FILE),
            b"[tests]\ncommand = \"echo caf\xe9\"\n",
        )
        .unwrap();
        let err = load(dir.path(), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("specbench.toml:2:20: not UTF-8 (byte 0xe9); save the file as UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn context_keys_parse_and_unknown_ones_are_named() {
        let parsed = parse_layer(
            Path::new("specbench.toml"),
            "[context]\nall_below_tokens = 0\ncode_tokens = 4000\nmap_tokens = 0\n",
        )
        .unwrap();
        let config = Config::deserialize(toml::Value::Table(parsed))
            .unwrap()
            .context;
        assert_eq!(
            (
                config.all_below_tokens,
                config.code_tokens,
                config.map_tokens
            ),
            (0, 4000, 0)
        );
        let err = parse_layer(Path::new("specbench.toml"), "[context]\nmap = 3\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("specbench.toml:2:1: `context.map`"),
            "{err}"
        );
    }

    #[test]
    fn embedded_defaults_match_the_code() {
        let parsed: Config = toml::from_str(crate::assets::DEFAULT_CONFIG).unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn design_example_parses() {
        let text = r#"
spec = "SPEC.md"
[tests]
command = "python3 -m unittest -v"
format = "go-json"
junit_path = "target/junit.xml"
timeout_secs = 300
on_change = "queue"
ignore = ["*.log"]
[code]
include = ["**/*.py"]
[model]
provider = "anthropic"
model = "claude"
base_url = "https://example.invalid/v1"
api_key_env = "ANTHROPIC_API_KEY"
context_window = 200000
max_output_tokens = 8192
[loop]
auto_test = false
fix_rounds = 1
auto_apply = true
fresh_after = 3
[ui]
theme = "light"
[check]
strict = true
"#;
        let table = parse_layer(Path::new("x.toml"), text).unwrap();
        let config = Config::deserialize(toml::Value::Table(table)).unwrap();
        assert!(config.check.strict);
        assert!(!Config::default().check.strict);
        assert_eq!(config.tests.format, TestFormat::GoJson);
        assert_eq!(config.tests.on_change, OnChange::Queue);
        assert_eq!(config.model.provider, ProviderKind::Anthropic);
        assert_eq!(config.loop_.fresh_after, 3);
    }

    #[test]
    fn the_key_variables_are_withheld_from_the_tests_unless_passed() {
        let text =
            "[tests]\npass_env = [\"ANTHROPIC_API_KEY\"]\n[model]\napi_key_env = \"MY_KEY\"\n";
        let table = parse_layer(Path::new("x.toml"), text).unwrap();
        let config = Config::deserialize(toml::Value::Table(table)).unwrap();
        assert_eq!(config.withheld_env(), ["OPENAI_API_KEY", "MY_KEY"]);
        assert_eq!(
            Config::default().withheld_env(),
            ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]
        );
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let msg = err("spec = \"SPEC.md\"\n\n[tests]\ncommand = \"make\"\ntimeuot = 3\n");
        assert!(msg.starts_with("ws/specbench.toml:5:"), "{msg}");
        assert!(msg.contains("`tests.timeuot`"), "{msg}");
        assert!(msg.contains("unknown field `timeuot`"), "{msg}");
    }

    #[test]
    fn bad_value_names_the_key() {
        let msg = err("[tests]\nformat = \"nose\"\n");
        assert!(msg.starts_with("ws/specbench.toml:2:"), "{msg}");
        assert!(msg.contains("`tests.format`"), "{msg}");
        assert!(msg.contains("nose"), "{msg}");
        let msg = err("[tests]\ntimeout_secs = \"soon\"\n");
        assert!(msg.contains("`tests.timeout_secs`"), "{msg}");
    }

    #[test]
    fn range_checks_name_the_line() {
        let msg = err("[ui]\ntheme = \"light\"\n[tests]\n\ntimeout_secs = 0\n");
        assert_eq!(
            msg,
            "ws/specbench.toml:5:1: `tests.timeout_secs`: must be at least 1"
        );
        let msg = err("[model]\ncontext_window = 4096\nmax_output_tokens = 8192\n");
        assert!(msg.contains(":3:1: `model.max_output_tokens`"), "{msg}");
        let msg = err("[model]\nreplay_speed = -2.0\n");
        assert_eq!(
            msg,
            "ws/specbench.toml:2:1: `model.replay_speed`: must be 0 (no pauses) or more"
        );
        let msg = err("[ui]\ngauge_warn = 90\ngauge_critical = 80\n");
        assert!(
            msg.contains(":3:1: `ui.gauge_critical`: must be between"),
            "{msg}"
        );
        let msg = err("[model]\nmax_tool_rounds = 0\n");
        assert_eq!(
            msg,
            "ws/specbench.toml:2:1: `model.max_tool_rounds`: must be at least 1 (tools = \"off\" turns the tools off)"
        );
        let msg = err("[model]\n\ntools = \"write\"\n");
        assert!(msg.starts_with("ws/specbench.toml:3:"), "{msg}");
        assert!(msg.contains("`model.tools`"), "{msg}");
        assert!(msg.contains("expected `read` or `off`"), "{msg}");
        let msg = err("[model]\nidle_timeout_secs = 0\n");
        assert!(
            msg.contains("`model.idle_timeout_secs`: must be at least 1"),
            "{msg}"
        );
    }

    #[test]
    fn the_command_line_picks_the_provider_and_replay() {
        let mut config = Config::default();
        let overrides = Overrides {
            replay: Some(PathBuf::from("/ws/c.jsonl")),
            speed: Some(0.0),
            model: Some("qwen2.5-coder".into()),
            ..Overrides::default()
        };
        overrides.apply(&mut config);
        assert_eq!(config.model.provider, ProviderKind::Replay);
        assert_eq!(config.model.cassette, Some(PathBuf::from("/ws/c.jsonl")));
        assert_eq!(config.model.replay_speed, 0.0);
        assert_eq!(config.model.model, "qwen2.5-coder");
        assert_eq!(
            config.model.context_window, None,
            "the window is asked or looked up"
        );
    }

    #[test]
    fn bad_globs_name_the_line() {
        let msg = err("[code]\ninclude = [\"**/*.py\"]\ntests = [\"test_[\"]\n");
        assert!(
            msg.starts_with("ws/specbench.toml:3:1: `code.tests`: bad glob `test_[`"),
            "{msg}"
        );
    }

    #[test]
    fn syntax_error_names_the_line() {
        let msg = err("[tests]\ncommand = \"unterminated\n");
        assert!(msg.starts_with("ws/specbench.toml:2:"), "{msg}");
    }

    #[test]
    fn layers_merge_key_by_key_and_overrides_win() {
        let user = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        std::fs::write(
            user.path().join("config.toml"),
            "[ui]\ntheme = \"light\"\n[model]\nmodel = \"mine\"\ncontext_window = 32000\n",
        )
        .unwrap();
        std::fs::write(
            ws.path().join(WORKSPACE_FILE),
            "[model]\nmodel = \"theirs\"\n",
        )
        .unwrap();
        // The env var is process-wide: this is the only test that sets it.
        // SAFETY: no other test in this binary reads or writes this variable.
        unsafe { std::env::set_var(CONFIG_DIR_ENV, user.path()) };
        let config = load(ws.path(), &Overrides::default()).unwrap();
        assert_eq!(config.ui.theme, "light");
        assert_eq!(config.model.model, "theirs");
        assert_eq!(config.model.context_window, Some(32000));
        let over = Overrides {
            theme: Some("high-contrast".into()),
            ..Overrides::default()
        };
        assert_eq!(load(ws.path(), &over).unwrap().ui.theme, "high-contrast");
        // The files a reload watches: the user's, then the workspace's or `--config`.
        let real = |p: &Path| p.canonicalize().unwrap();
        assert_eq!(
            files(ws.path(), &Overrides::default()),
            [
                real(user.path()).join("config.toml"),
                real(ws.path()).join(WORKSPACE_FILE)
            ]
        );
        let over = Overrides {
            config_file: Some(ws.path().join("other.toml")),
            ..Overrides::default()
        };
        assert_eq!(
            files(ws.path(), &over)[1],
            real(ws.path()).join("other.toml")
        );
        unsafe { std::env::remove_var(CONFIG_DIR_ENV) };
    }
}

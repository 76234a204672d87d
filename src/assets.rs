//! The one place that embeds files from `assets/` and `themes/` into the binary.

/// The shipped themes, by name.
pub const THEMES: &[(&str, &str)] = &[
    ("default", include_str!("../themes/default.toml")),
    ("light", include_str!("../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../themes/high-contrast.toml"),
    ),
];

/// The documented defaults of `specbench.toml`.
pub const DEFAULT_CONFIG: &str = include_str!("../assets/default-config.toml");

/// The `SPEC.md` that `init` writes: the essay's checklist with example clauses and checks.
pub const SPEC_TEMPLATE: &str = include_str!("../assets/spec-template.md");

/// The system prompt: role, edit formats, rules.
pub const PROMPT_SYSTEM: &str = include_str!("../assets/prompts/system.md");

/// The prompt of the Tests step: tests of the pinned clauses, failing for the right reason.
pub const PROMPT_TESTS: &str = include_str!("../assets/prompts/step-tests.md");
/// The prompt of the Implement step: the code that makes the tests pass.
pub const PROMPT_IMPLEMENT: &str = include_str!("../assets/prompts/step-implement.md");
/// The prompt of the Verify step: the clauses reviewed one by one.
pub const PROMPT_VERIFY: &str = include_str!("../assets/prompts/step-verify.md");
/// The closing instruction of a fix round's failure summary.
pub const PROMPT_FIX: &str = include_str!("../assets/prompts/fix.md");
/// The opening of a fresh session's seed.
pub const PROMPT_FRESH: &str = include_str!("../assets/prompts/fresh.md");

/// The demo workspace as it starts: the spec, a stub with the spec's signature, the config
/// and the cassette that plays the story (relative path, contents).
pub const DEMO_FILES: &[(&str, &str)] = &[
    ("SPEC.md", include_str!("../assets/demo/SPEC.md")),
    (
        "specbench.toml",
        include_str!("../assets/demo/specbench.toml"),
    ),
    (
        "demo.cassette.jsonl",
        include_str!("../assets/demo/demo.cassette.jsonl"),
    ),
    (
        "rate_limiter.py",
        include_str!("../assets/demo/rate_limiter.py"),
    ),
    (".gitignore", include_str!("../assets/demo/.gitignore")),
];

/// The text of a shipped theme.
pub fn theme(name: &str) -> Option<&'static str> {
    THEMES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The files the demo's story ends with (the tests and the implementation the cassette
/// writes), for tests that need the finished workspace.
pub const DEMO_STORY_FILES: &[(&str, &str)] = &[
    (
        "rate_limiter.py",
        include_str!("../assets/demo/story/rate_limiter.py"),
    ),
    (
        "test_rate_limiter.py",
        include_str!("../assets/demo/story/test_rate_limiter.py"),
    ),
];

//! `specbench init`: write `specbench.toml` with the test command detected from the workspace.
//! An existing file is never overwritten.

use std::path::Path;
use std::process::ExitCode;

use crate::assets::DEFAULT_CONFIG;
use crate::cli::{StartError, workspace_root};
use crate::config::WORKSPACE_FILE;

/// What `init` found out about a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// What gave it away (`Cargo.toml`).
    pub evidence: &'static str,
    pub command: String,
    pub format: &'static str,
    pub include: Vec<&'static str>,
}

/// Detects the test command from the files in `root`.
pub fn detect(root: &Path) -> Option<Detected> {
    let has = |name: &str| root.join(name).exists();
    let read = |name: &str| std::fs::read_to_string(root.join(name)).unwrap_or_default();
    let found = |evidence, command: &str, format, include: &[&'static str]| Detected {
        evidence,
        command: command.to_string(),
        format,
        include: include.to_vec(),
    };
    if has("Cargo.toml") {
        return Some(found("Cargo.toml", "cargo test", "libtest", &["**/*.rs"]));
    }
    if has("go.mod") {
        return Some(found(
            "go.mod",
            "go test -json ./...",
            "go-json",
            &["**/*.go"],
        ));
    }
    let pytest = has("pytest.ini")
        || has("conftest.py")
        || read("pyproject.toml").contains("[tool.pytest")
        || read("setup.cfg").contains("[tool:pytest]")
        || read("tox.ini").contains("[pytest]");
    if pytest {
        return Some(found(
            "pytest configuration",
            "python3 -m pytest -rA",
            "pytest",
            &["**/*.py"],
        ));
    }
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(&read("package.json"))
        && json["scripts"]["test"].is_string()
    {
        return Some(found(
            "package.json's test script",
            "npm test --silent",
            "auto",
            &[
                "**/*.js", "**/*.ts", "**/*.mjs", "**/*.cjs", "**/*.jsx", "**/*.tsx",
            ],
        ));
    }
    if has_python_tests(root) {
        return Some(found(
            "test_*.py files",
            "python3 -m unittest -v",
            "unittest",
            &["**/*.py"],
        ));
    }
    None
}

fn has_python_tests(root: &Path) -> bool {
    let is_test = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("test") && n.ends_with(".py"))
    };
    [root.to_path_buf(), root.join("tests")].iter().any(|dir| {
        std::fs::read_dir(dir)
            .map(|entries| entries.flatten().any(|e| is_test(&e.path())))
            .unwrap_or(false)
    })
}

/// The config text for what was detected: the documented defaults with the test settings set.
pub fn config_text(detected: Option<&Detected>) -> String {
    let Some(d) = detected else {
        return DEFAULT_CONFIG.to_string();
    };
    let include = d
        .include
        .iter()
        .map(|g| format!("\"{g}\""))
        .collect::<Vec<_>>()
        .join(", ");
    DEFAULT_CONFIG
        .lines()
        .map(|line| {
            if line.starts_with("command = ") {
                format!(
                    "command = \"{}\"   # detected from {}",
                    d.command, d.evidence
                )
            } else if line.starts_with("format = ") {
                format!("format = \"{}\"", d.format)
            } else if line.starts_with("include = ") {
                format!("include = [{include}]")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Runs `init` on a directory.
pub fn run(dir: &Path) -> Result<ExitCode, StartError> {
    let root = workspace_root(dir)?;
    let path = root.join(WORKSPACE_FILE);
    crate::logging::ensure_state_dir(&root)?;
    if path.exists() {
        println!("{} already exists; left as it is.", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let detected = detect(&root);
    let text = config_text(detected.as_ref());
    // Create, never truncate: a file that appeared meanwhile is not overwritten.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    match detected {
        Some(d) => println!(
            "Wrote {}: tests run with `{}` (from {}).",
            path.display(),
            d.command,
            d.evidence
        ),
        None => println!(
            "Wrote {}: no test setup recognised; set [tests].command in it.",
            path.display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn command(files: &[(&str, &str)]) -> Option<String> {
        detect(dir_with(files).path()).map(|d| d.command)
    }

    #[test]
    fn detects_each_ecosystem() {
        assert_eq!(
            command(&[("Cargo.toml", "")]).as_deref(),
            Some("cargo test")
        );
        assert_eq!(
            command(&[("go.mod", "")]).as_deref(),
            Some("go test -json ./...")
        );
        assert_eq!(
            command(&[("pyproject.toml", "[tool.pytest.ini_options]\n")]).as_deref(),
            Some("python3 -m pytest -rA")
        );
        assert_eq!(
            command(&[("package.json", r#"{"scripts":{"test":"node --test"}}"#)]).as_deref(),
            Some("npm test --silent")
        );
        assert_eq!(
            command(&[("tests/test_x.py", "")]).as_deref(),
            Some("python3 -m unittest -v")
        );
        assert_eq!(command(&[("README", "")]), None);
        assert_eq!(command(&[("package.json", "{}")]), None);
    }

    #[test]
    fn written_config_is_valid_and_carries_the_command() {
        let dir = dir_with(&[("Cargo.toml", "")]);
        let text = config_text(detect(dir.path()).as_ref());
        let table = crate::config::parse_layer(Path::new("specbench.toml"), &text).unwrap();
        assert_eq!(table["tests"]["command"].as_str(), Some("cargo test"));
        assert_eq!(table["tests"]["format"].as_str(), Some("libtest"));
        assert_eq!(table["code"]["include"][0].as_str(), Some("**/*.rs"));
        let plain = config_text(None);
        crate::config::parse_layer(Path::new("specbench.toml"), &plain).unwrap();
    }

    #[test]
    fn never_overwrites() {
        let dir = dir_with(&[("specbench.toml", "# mine\n"), ("Cargo.toml", "")]);
        run(dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("specbench.toml")).unwrap(),
            "# mine\n"
        );
    }
}

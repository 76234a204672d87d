//! `specbench init`: write `specbench.toml` with the test command detected from the workspace
//! and a `SPEC.md` template, and pin the spec. An existing file is never overwritten.

use std::path::Path;
use std::process::ExitCode;

use crate::assets::{DEFAULT_CONFIG, SPEC_TEMPLATE};
use crate::config::WORKSPACE_FILE;
use crate::spec::pin::{PinError, PinStore};
use crate::startup::{StartError, workspace_root};
use crate::stdio::outln;

mod detect;

pub use detect::{Detected, detect};

/// The test command written when nothing is recognised: it fails, loudly, until it is set
/// (a command that runs zero tests would look green).
pub const UNSET_COMMAND: &str =
    "echo 'specbench: no test command yet: set [tests].command in specbench.toml' >&2; exit 2";

/// The config text for what was detected: the documented defaults with the test settings set
/// (nothing detected: a command that fails until it is set).
pub fn config_text(detected: Option<&Detected>) -> String {
    // A JSON string is a TOML basic string (`\"`, `\\`, `\uXXXX` escapes).
    let toml_string = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    DEFAULT_CONFIG
        .lines()
        .map(|line| match detected {
            None if line.starts_with("command = ") => format!(
                "command = {}   # nothing recognised: set the command that runs the tests",
                toml_string(UNSET_COMMAND)
            ),
            None => line.to_string(),
            Some(d) => {
                if line.starts_with("command = ") {
                    format!(
                        "command = {}   # detected: {}",
                        toml_string(&d.command),
                        d.why
                    )
                } else if line.starts_with("format = ") {
                    format!("format = \"{}\"", d.format)
                } else if line.starts_with("# junit_path = ")
                    && let Some(path) = d.junit_path
                {
                    format!("junit_path = {}", toml_string(path))
                } else if line.starts_with("include = ") {
                    let include: Vec<String> =
                        d.include.iter().map(|g| format!("\"{g}\"")).collect();
                    format!("include = [{}]", include.join(", "))
                } else {
                    line.to_string()
                }
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Runs `init` on a directory: writes `specbench.toml` and `SPEC.md` where they are missing
/// (never overwriting either, nor writing through a symbolic link) and pins the spec when
/// nothing is pinned yet. What it says goes to stdout; a closed stdout stops none of it.
pub fn run(dir: &Path) -> Result<ExitCode, StartError> {
    let root = workspace_root(dir)?;
    crate::state::StateDir::create(&root, &[]).map_err(std::io::Error::from)?;
    let config_path = root.join(WORKSPACE_FILE);
    if exists(&config_path)? {
        outln!("{} already exists; left as it is.", config_path.display());
    } else {
        let detected = detect(&root);
        create_new(&config_path, &config_text(detected.as_ref()))?;
        match detected {
            Some(d) => {
                outln!(
                    "Wrote {}: tests run with `{}` (format {}).",
                    config_path.display(),
                    d.command,
                    d.format
                );
                outln!("  Detected: {}.", d.why);
                if let Some(note) = d.note {
                    outln!("  Note: {note}.");
                }
            }
            None => outln!(
                "Wrote {}: no test setup recognised (no Cargo.toml, go.mod, pytest configuration, \
                 npm test script or test files), so its test command fails until you set \
                 [tests].command.",
                config_path.display()
            ),
        }
    }
    let config = crate::config::load(&root, &crate::config::Overrides::default())?;
    let spec_path = root.join(&config.spec);
    if exists(&spec_path)? {
        outln!("{} already exists; left as it is.", spec_path.display());
    } else {
        create_new(&spec_path, SPEC_TEMPLATE)?;
        outln!(
            "Wrote {}: a template with the checklist; fill it in before the first prompt.",
            spec_path.display()
        );
    }
    let store = PinStore::new(&root);
    let pin_error = |e: PinError| StartError::Workspace {
        path: store.dir().to_path_buf(),
        message: e.to_string(),
    };
    if store.load().map_err(pin_error)?.latest.is_none() {
        let text = std::fs::read_to_string(&spec_path).map_err(|e| StartError::Workspace {
            path: spec_path.clone(),
            message: format!("cannot read the spec to pin it: {e}"),
        })?;
        let pinned = store.pin(&text, &config.spec).map_err(pin_error)?;
        outln!(
            "Pinned {} as v{} ({}); press p in specbench to pin each version you keep.",
            config.spec.display(),
            pinned.pin.version,
            pinned.pin.short_hash()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether something is at `path`: a file, or a symbolic link, which `init` never writes
/// through (one that leads nowhere is an error naming it and where it leads).
fn exists(path: &Path) -> Result<bool, StartError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() && !path.exists() => {
            let target = std::fs::read_link(path).unwrap_or_default();
            Err(StartError::Workspace {
                path: path.to_path_buf(),
                message: format!(
                    "a symbolic link to {}, which does not exist; init never writes through a \
                     link: remove it or make it point to a file",
                    target.display()
                ),
            })
        }
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StartError::Workspace {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
    }
}

/// Creates `path` with `text`; a file that appeared meanwhile is never truncated.
fn create_new(path: &Path, text: &str) -> Result<(), StartError> {
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?;
        std::io::Write::write_all(&mut file, text.as_bytes())
    };
    write().map_err(|e| StartError::Workspace {
        path: path.to_path_buf(),
        message: format!("cannot write: {e}"),
    })
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
            Some("node --test-reporter=tap --test")
        );
        assert_eq!(
            command(&[("tests/test_x.py", "import unittest\n")]).as_deref(),
            Some("python3 -m unittest discover -s tests -v")
        );
        assert_eq!(command(&[("README", "")]), None);
        assert_eq!(command(&[("package.json", "{}")]), None);
    }

    #[test]
    fn nothing_recognised_writes_a_command_that_fails_loudly() {
        let text = config_text(None);
        let table = crate::config::parse_layer(Path::new("specbench.toml"), &text).unwrap();
        let command = table["tests"]["command"].as_str().unwrap();
        assert_eq!(command, UNSET_COMMAND);
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("sh")
            .args(["-c", command])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("set [tests].command"));
    }

    #[test]
    fn written_config_is_valid_and_carries_the_command() {
        let dir = dir_with(&[("Cargo.toml", "")]);
        let text = config_text(detect(dir.path()).as_ref());
        let table = crate::config::parse_layer(Path::new("specbench.toml"), &text).unwrap();
        assert_eq!(table["tests"]["command"].as_str(), Some("cargo test"));
        assert_eq!(table["tests"]["format"].as_str(), Some("libtest"));
        assert_eq!(table["code"]["include"][0].as_str(), Some("**/*.rs"));
        assert!(text.contains("# detected: Cargo.toml"), "{text}");
        // Quotes in a command and a JUnit path survive the TOML.
        let dir = dir_with(&[
            ("package.json", r#"{"scripts":{"test":"vitest"}}"#),
            ("b c/test_x.py", "import unittest\n"),
        ]);
        let text = config_text(detect(dir.path()).as_ref());
        let table = crate::config::parse_layer(Path::new("specbench.toml"), &text).unwrap();
        assert_eq!(table["tests"]["format"].as_str(), Some("junit"));
        assert_eq!(
            table["tests"]["junit_path"].as_str(),
            Some(".specbench/vitest-junit.xml")
        );
        let dir = dir_with(&[("b c/test_x.py", "import unittest\n")]);
        let text = config_text(detect(dir.path()).as_ref());
        let table = crate::config::parse_layer(Path::new("specbench.toml"), &text).unwrap();
        assert_eq!(
            table["tests"]["command"].as_str(),
            Some("python3 -m unittest discover -s 'b c' -v")
        );
    }

    #[test]
    fn never_overwrites() {
        let dir = dir_with(&[
            ("specbench.toml", "# mine\n"),
            ("SPEC.md", "# Mine\n"),
            ("Cargo.toml", ""),
        ]);
        run(dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("specbench.toml")).unwrap(),
            "# mine\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("SPEC.md")).unwrap(),
            "# Mine\n"
        );
        // The spec that was there is pinned as it is.
        let pin = PinStore::new(dir.path()).load().unwrap().latest.unwrap();
        assert_eq!((pin.version, pin.text.as_str()), (1, "# Mine\n"));
    }

    #[test]
    fn writes_the_template_and_pins_it_once() {
        let dir = dir_with(&[("go.mod", "")]);
        run(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join("SPEC.md")).unwrap();
        assert_eq!(text, SPEC_TEMPLATE);
        let store = PinStore::new(dir.path());
        assert_eq!(store.load().unwrap().latest.unwrap().version, 1);
        run(dir.path()).unwrap();
        assert_eq!(store.load().unwrap().latest.unwrap().version, 1);
    }

    #[test]
    fn the_template_teaches_the_checklist_with_valid_checks() {
        let spec = crate::spec::parse(SPEC_TEMPLATE);
        for heading in [
            "Inputs and outputs",
            "Error cases",
            "Constraints",
            "Must NOT",
            "Assumptions",
        ] {
            assert!(SPEC_TEMPLATE.contains(heading), "{heading}");
        }
        let ids: Vec<&str> = spec.clauses.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["R1", "R2", "R3", "R4"]);
        assert!(
            spec.clauses
                .iter()
                .all(|c| !c.is_invalid() && !c.checks.is_empty())
        );
        let kinds: Vec<&str> = spec
            .clauses
            .iter()
            .flat_map(|c| c.checks.iter().map(|k| k.kind.as_str()))
            .collect();
        assert_eq!(kinds, ["test", "test", "forbid", "require"]);
    }
}

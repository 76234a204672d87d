//! Pins: frozen versions of the spec under `.specbench/pins/`, one JSON file per version,
//! written atomically and checked against their content hash when read.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::error::Category;
use sha2::{Digest, Sha256};

use crate::state::{STATE_DIR, StateDir, StateError};

/// The pins' directory inside the state directory.
const PINS_DIR: &str = "pins";
/// How many versions `pin` tries when other processes keep taking the next one.
const PIN_ATTEMPTS: u32 = 5;

/// A pinned version of the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// 1, 2, 3, ...
    pub version: u32,
    /// SHA-256 of `text`, lowercase hex.
    pub hash: String,
    /// The spec's exact text when it was pinned.
    pub text: String,
    /// The spec file, relative to the workspace, as it was pinned.
    pub spec_path: String,
    /// Seconds since the Unix epoch.
    pub pinned_at: u64,
}

impl Pin {
    /// The first 8 hex digits of the hash, for display.
    pub fn short_hash(&self) -> &str {
        self.hash.get(..8).unwrap_or(&self.hash)
    }
}

/// What a read of the pin store found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PinsFound {
    /// The highest version whose file is valid.
    pub latest: Option<Pin>,
    /// Pin files that cannot be trusted, each as one sentence naming the file and the problem.
    pub corrupted: Vec<String>,
}

/// The result of pinning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    pub pin: Pin,
    /// False when the text equals the latest pin, which is returned unchanged.
    pub created: bool,
}

/// Why the pin store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error("cannot write a pin in {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The pins folder is not one specbench may use (a symlink, say).
    #[error(transparent)]
    State(#[from] StateError),
}

/// The pin store of one workspace.
#[derive(Debug, Clone)]
pub struct PinStore {
    dir: PathBuf,
    root: PathBuf,
}

/// SHA-256 of a text, lowercase hex.
pub fn content_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A pin file on disk, `v{version}.json`.
#[derive(Debug, Serialize, Deserialize)]
struct PinFile {
    version: u32,
    hash: String,
    spec_path: String,
    pinned_at: u64,
    text: String,
}

impl From<PinFile> for Pin {
    fn from(f: PinFile) -> Self {
        Pin {
            version: f.version,
            hash: f.hash,
            text: f.text,
            spec_path: f.spec_path,
            pinned_at: f.pinned_at,
        }
    }
}

/// Everything a read of the store saw.
struct Survey {
    found: PinsFound,
    /// The highest version over all `v<N>.json` files, corrupted ones included.
    highest: u32,
}

impl PinStore {
    /// The store of the workspace at `root`: `root/.specbench/pins`.
    pub fn new(root: &Path) -> Self {
        Self {
            dir: root.join(STATE_DIR).join(PINS_DIR),
            root: root.to_path_buf(),
        }
    }

    /// The directory holding the pin files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads the store: the latest valid pin and the files that cannot be trusted. A missing
    /// directory is an empty store.
    pub fn load(&self) -> Result<PinsFound, PinError> {
        Ok(self.survey()?.found)
    }

    /// Pin `version`, when its file exists and can be trusted.
    pub fn version(&self, version: u32) -> Option<Pin> {
        let dir = StateDir::existing(&self.root, &[PINS_DIR]).ok()??;
        let bytes = dir.read(&file_name(version)).ok()??;
        check(version, &bytes).ok()
    }

    /// Pins `text` as the next version, unless it equals the latest pin, which is returned
    /// with `created: false`. Never overwrites a pin file, corrupted ones included.
    pub fn pin(&self, text: &str, spec_path: &Path) -> Result<Pinned, PinError> {
        let dir = StateDir::create(&self.root, &[PINS_DIR])?;
        let survey = self.survey()?;
        let hash = content_hash(text);
        if let Some(latest) = survey.found.latest
            && latest.hash == hash
        {
            return Ok(Pinned {
                pin: latest,
                created: false,
            });
        }
        let mut record = PinFile {
            version: survey.highest.saturating_add(1),
            hash,
            spec_path: spec_path.to_string_lossy().into_owned(),
            pinned_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            text: text.to_owned(),
        };
        let mut attempt = 1;
        loop {
            match write_new(&dir, &record) {
                Ok(()) => {
                    tracing::info!(version = record.version, "spec pinned");
                    return Ok(Pinned {
                        pin: record.into(),
                        created: true,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < PIN_ATTEMPTS => {
                    tracing::debug!(
                        version = record.version,
                        "pin version taken, trying the next"
                    );
                    attempt += 1;
                    record.version = record.version.saturating_add(1);
                }
                Err(e) => return Err(self.write_error(e)),
            }
        }
    }

    /// Reads every `v<N>.json` file of the store.
    fn survey(&self) -> Result<Survey, PinError> {
        let mut survey = Survey {
            found: PinsFound::default(),
            highest: 0,
        };
        let Some(dir) = StateDir::existing(&self.root, &[PINS_DIR])? else {
            return Ok(survey);
        };
        let names = dir.names()?;
        let mut problems = Vec::new();
        for name in names {
            let Some(version) = parse_file_name(&name) else {
                continue;
            };
            survey.highest = survey.highest.max(version);
            let bytes = match dir.read(&name) {
                Ok(Some(bytes)) => bytes,
                // Removed since the directory was listed.
                Ok(None) => continue,
                Err(e) => {
                    problems.push((version, format!("cannot be read ({e})")));
                    continue;
                }
            };
            match check(version, &bytes) {
                Ok(pin) => {
                    if survey
                        .found
                        .latest
                        .as_ref()
                        .is_none_or(|l| l.version < pin.version)
                    {
                        survey.found.latest = Some(pin);
                    }
                }
                Err(problem) => problems.push((version, problem)),
            }
        }
        problems.sort();
        survey.found.corrupted = problems
            .into_iter()
            .map(|(version, problem)| {
                let shown = Path::new(STATE_DIR).join(PINS_DIR).join(file_name(version));
                format!("{} {problem}; not trusted", shown.display())
            })
            .collect();
        Ok(survey)
    }

    fn write_error(&self, source: io::Error) -> PinError {
        PinError::Write {
            path: self.dir.clone(),
            source,
        }
    }
}

/// `v{version}.json`.
fn file_name(version: u32) -> String {
    format!("v{version}.json")
}

/// The version of a pin file's name: `v<digits>.json` in canonical form (`v01.json` is not one).
fn parse_file_name(name: &str) -> Option<u32> {
    let digits = name.strip_prefix('v')?.strip_suffix(".json")?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let version = digits.parse().ok()?;
    (file_name(version) == name).then_some(version)
}

/// Parses and verifies the content of `v{version}.json`; the problem, as the end of a sentence
/// starting with the file's path, when it cannot be trusted.
fn check(version: u32, bytes: &[u8]) -> Result<Pin, String> {
    let record: PinFile = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        Category::Data => format!("is corrupted ({e})"),
        Category::Io | Category::Syntax | Category::Eof => format!(
            "is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ),
    })?;
    if record.version != version {
        return Err(format!(
            "is corrupted (its version field says {})",
            record.version
        ));
    }
    if content_hash(&record.text) != record.hash {
        return Err("is corrupted (hash mismatch: its text changed after pinning)".into());
    }
    Ok(record.into())
}

/// Writes `record` to a new `v{version}.json` in `dir`: a synced temporary file linked into
/// place without replacing an existing file (`AlreadyExists` then), the directory synced.
fn write_new(dir: &StateDir, record: &PinFile) -> io::Result<()> {
    let mut json = serde_json::to_vec_pretty(record).map_err(io::Error::other)?;
    json.push(b'\n');
    if dir.write_new(&file_name(record.version), &json)? {
        Ok(())
    } else {
        Err(io::ErrorKind::AlreadyExists.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const SPEC: &str = "# Spec\n\n- [R1] Do the thing.\n";
    const SPEC2: &str = "# Spec\n\n- [R1] Do the thing.\n- [R2] And another.\n";

    fn pin(store: &PinStore, text: &str) -> Pinned {
        store.pin(text, Path::new("SPEC.md")).unwrap()
    }

    /// Every file under `root`, relative, sorted.
    fn tree(root: &Path) -> Vec<String> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            for entry in fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else {
                    let rel = path.strip_prefix(root).unwrap();
                    out.push(rel.to_string_lossy().into_owned());
                }
            }
        }
        let mut out = Vec::new();
        walk(root, root, &mut out);
        out.sort();
        out
    }

    #[test]
    fn content_hash_is_lowercase_sha256_hex() {
        assert_eq!(
            content_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn empty_or_missing_store_has_no_pin() {
        let dir = tempfile::tempdir().unwrap();
        let store = PinStore::new(dir.path());
        assert_eq!(store.dir(), dir.path().join(".specbench/pins"));
        assert_eq!(store.load().unwrap(), PinsFound::default());
        assert!(
            !dir.path().join(".specbench").exists(),
            "new and load do no writes"
        );
    }

    #[test]
    fn first_pin_is_v1_and_same_text_is_not_pinned_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = PinStore::new(dir.path());
        let first = pin(&store, SPEC);
        assert!(first.created);
        assert_eq!(first.pin.version, 1);
        assert_eq!(first.pin.hash, content_hash(SPEC));
        assert_eq!(first.pin.short_hash(), &content_hash(SPEC)[..8]);
        assert_eq!(first.pin.text, SPEC);
        assert_eq!(first.pin.spec_path, "SPEC.md");
        assert!(first.pin.pinned_at > 0);

        let again = pin(&store, SPEC);
        assert!(!again.created);
        assert_eq!(again.pin, first.pin);
        assert_eq!(store.load().unwrap().latest, Some(first.pin));
    }

    #[test]
    fn changed_text_is_the_next_version() {
        let dir = tempfile::tempdir().unwrap();
        let store = PinStore::new(dir.path());
        pin(&store, SPEC);
        let second = pin(&store, SPEC2);
        assert!(second.created);
        assert_eq!(second.pin.version, 2);
        let found = store.load().unwrap();
        assert_eq!(found.latest, Some(second.pin));
        assert!(found.corrupted.is_empty());
        // Going back to the first text is a new version too.
        assert_eq!(pin(&store, SPEC).pin.version, 3);
    }

    #[test]
    fn pin_files_are_json_and_no_temporary_files_remain() {
        let dir = tempfile::tempdir().unwrap();
        let store = PinStore::new(dir.path());
        pin(&store, SPEC);
        pin(&store, SPEC2);
        let mut names: Vec<_> = fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["v1.json", "v2.json"]);
        let json: serde_json::Value =
            serde_json::from_slice(&fs::read(store.dir().join("v2.json")).unwrap()).unwrap();
        assert_eq!(json["version"], 2);
        assert_eq!(json["hash"], content_hash(SPEC2));
        assert_eq!(json["spec_path"], "SPEC.md");
        assert_eq!(json["text"], SPEC2);
        assert!(json["pinned_at"].as_u64().unwrap() > 0);
    }

    #[test]
    fn store_writes_only_inside_the_state_dir() {
        let dir = tempfile::tempdir().unwrap();
        let store = PinStore::new(dir.path());
        pin(&store, SPEC);
        pin(&store, SPEC2);
        assert_eq!(
            tree(dir.path()),
            [
                ".specbench/.gitignore",
                ".specbench/pins/v1.json",
                ".specbench/pins/v2.json"
            ]
        );
    }

    #[test]
    fn edited_latest_is_corrupted_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let store = PinStore::new(dir.path());
        let first = pin(&store, SPEC);
        pin(&store, SPEC2);
        let v2 = store.dir().join("v2.json");
        let edited = fs::read_to_string(&v2)
            .unwrap()
            .replace("And another.", "And something else.");
        fs::write(&v2, &edited).unwrap();

        let found = store.load().unwrap();
        assert_eq!(found.latest, Some(first.pin.clone()));
        assert_eq!(
            found.corrupted,
            [
                ".specbench/pins/v2.json is corrupted (hash mismatch: its text changed after \
              pinning); not trusted"
            ]
        );
        // The latest valid pin is v1: pinning its text again creates nothing.
        assert!(!pin(&store, SPEC).created);
        // A new text goes past the corrupted v2, which stays as it was.
        let third = pin(&store, "# Spec\n\n- [R3] New.\n");
        assert_eq!(third.pin.version, 3);
        assert_eq!(fs::read_to_string(&v2).unwrap(), edited);
        assert_eq!(store.load().unwrap().latest, Some(third.pin));
    }

    #[test]
    fn garbage_latest_is_not_valid_json() {
        let dir = tempfile::tempdir().unwrap();
        let store = PinStore::new(dir.path());
        let first = pin(&store, SPEC);
        fs::write(store.dir().join("v2.json"), "{\"version\" 2}").unwrap();
        let found = store.load().unwrap();
        assert_eq!(found.latest, Some(first.pin));
        assert_eq!(
            found.corrupted,
            [".specbench/pins/v2.json is not valid JSON (line 1, column 12); not trusted"]
        );
        assert_eq!(pin(&store, SPEC2).pin.version, 3);
    }

    #[test]
    fn json_that_is_not_a_pin_is_corrupted() {
        let dir = tempfile::tempdir().unwrap();
        let store = PinStore::new(dir.path());
        fs::create_dir_all(store.dir()).unwrap();
        fs::write(store.dir().join("v1.json"), "{\"version\": 1}").unwrap();
        let found = store.load().unwrap();
        assert_eq!(found.latest, None);
        assert_eq!(found.corrupted.len(), 1);
        assert!(
            found.corrupted[0].starts_with(".specbench/pins/v1.json is corrupted (missing field"),
            "{:?}",
            found.corrupted
        );
    }

    #[test]
    fn version_field_must_match_the_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let store = PinStore::new(dir.path());
        let first = pin(&store, SPEC);
        pin(&store, SPEC2);
        let v2 = store.dir().join("v2.json");
        let moved = fs::read_to_string(&v2)
            .unwrap()
            .replace("\"version\": 2", "\"version\": 7");
        fs::write(&v2, moved).unwrap();
        let found = store.load().unwrap();
        assert_eq!(found.latest, Some(first.pin));
        assert_eq!(
            found.corrupted,
            [".specbench/pins/v2.json is corrupted (its version field says 7); not trusted"]
        );
    }

    #[test]
    fn unrelated_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let store = PinStore::new(dir.path());
        fs::create_dir_all(store.dir()).unwrap();
        for name in [
            "notes.txt",
            "v.json",
            "vx.json",
            "v01.json",
            "v2.json.bak",
            "w3.json",
        ] {
            fs::write(store.dir().join(name), "garbage").unwrap();
        }
        assert_eq!(store.load().unwrap(), PinsFound::default());
        assert_eq!(pin(&store, SPEC).pin.version, 1);
    }

    #[test]
    fn file_names_are_canonical() {
        assert_eq!(parse_file_name("v1.json"), Some(1));
        assert_eq!(parse_file_name("v42.json"), Some(42));
        assert_eq!(parse_file_name("v01.json"), None);
        assert_eq!(parse_file_name("v+1.json"), None);
        assert_eq!(parse_file_name("v99999999999.json"), None);
        assert_eq!(parse_file_name("v1.JSON"), None);
    }
}

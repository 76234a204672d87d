//! The bundled demo workspace: copied out of the binary into a fresh directory.

use std::io;
use std::path::Path;

use crate::assets::DEMO_FILES;

/// Writes the demo workspace into `dir`, which must not exist or be empty: an existing
/// workspace is never overwritten.
pub fn write_into(dir: &Path) -> io::Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} is not empty; the demo goes into a new or empty directory",
                dir.display()
            ),
        ));
    }
    std::fs::create_dir_all(dir)?;
    for (rel, text) in DEMO_FILES {
        std::fs::write(dir.join(rel), text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_file_and_refuses_a_non_empty_dir() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("demo");
        write_into(&target).unwrap();
        for (rel, text) in DEMO_FILES {
            assert_eq!(std::fs::read_to_string(target.join(rel)).unwrap(), *text);
        }
        let err = write_into(&target).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    }

    #[test]
    fn demo_config_is_valid() {
        let (_, text) = DEMO_FILES
            .iter()
            .find(|(p, _)| *p == "specbench.toml")
            .unwrap();
        crate::config::parse_layer(Path::new("specbench.toml"), text).unwrap();
    }
}

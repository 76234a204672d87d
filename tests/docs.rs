//! The README documents every key binding in force.

use specbench::model::Keymap;
use specbench::model::keymap::KeyCombo;

#[test]
fn readme_lists_every_key() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let keymap = Keymap::default();
    for binding in keymap.bindings() {
        for key in &binding.keys {
            let label = format!("`{}`", KeyCombo::label(key));
            assert!(
                readme.contains(&label),
                "README does not mention {label} ({:?})",
                binding.action
            );
        }
    }
}

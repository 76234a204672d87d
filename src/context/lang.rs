//! The languages whose definitions the repository map outlines.

use std::path::Path;

/// A language the outline scanner reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Python,
    Rust,
    Go,
    JavaScript,
    TypeScript,
}

impl Lang {
    /// The language of `path`, by its extension; `None` for a file the map shows by path only.
    pub fn of(path: &Path) -> Option<Lang> {
        let ext = path.extension()?.to_str()?;
        Some(match ext {
            "py" | "pyi" => Lang::Python,
            "rs" => Lang::Rust,
            "go" => Lang::Go,
            "js" | "mjs" | "cjs" | "jsx" => Lang::JavaScript,
            "ts" | "mts" | "cts" | "tsx" => Lang::TypeScript,
            _ => return None,
        })
    }

    /// JavaScript or TypeScript.
    pub fn is_js(self) -> bool {
        matches!(self, Lang::JavaScript | Lang::TypeScript)
    }

    /// Whether `word` is one of the language's keywords (never a reference to a definition).
    pub fn is_keyword(self, word: &str) -> bool {
        let list: &[&str] = match self {
            Lang::Python => &[
                "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
                "continue", "def", "del", "elif", "else", "except", "finally", "for", "from",
                "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass",
                "raise", "return", "self", "try", "while", "with", "yield",
            ],
            Lang::Rust => &[
                "Self", "as", "async", "await", "break", "const", "continue", "crate", "dyn",
                "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop",
                "match", "mod", "move", "mut", "pub", "ref", "return", "self", "static", "struct",
                "super", "trait", "true", "type", "unsafe", "use", "where", "while",
            ],
            Lang::Go => &[
                "break",
                "case",
                "chan",
                "const",
                "continue",
                "default",
                "defer",
                "else",
                "fallthrough",
                "for",
                "func",
                "go",
                "goto",
                "if",
                "import",
                "interface",
                "map",
                "package",
                "range",
                "return",
                "select",
                "struct",
                "switch",
                "type",
                "var",
            ],
            Lang::JavaScript | Lang::TypeScript => &[
                "async",
                "await",
                "break",
                "case",
                "catch",
                "class",
                "const",
                "continue",
                "default",
                "delete",
                "do",
                "else",
                "export",
                "extends",
                "false",
                "finally",
                "for",
                "function",
                "if",
                "import",
                "in",
                "instanceof",
                "let",
                "new",
                "null",
                "return",
                "static",
                "super",
                "switch",
                "this",
                "throw",
                "true",
                "try",
                "typeof",
                "var",
                "void",
                "while",
                "yield",
            ],
        };
        list.binary_search(&word).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_by_extension() {
        assert_eq!(Lang::of(Path::new("a/b.py")), Some(Lang::Python));
        assert_eq!(Lang::of(Path::new("x.tsx")), Some(Lang::TypeScript));
        assert_eq!(Lang::of(Path::new("x.mjs")), Some(Lang::JavaScript));
        assert_eq!(Lang::of(Path::new("main.go")), Some(Lang::Go));
        assert_eq!(Lang::of(Path::new("lib.rs")), Some(Lang::Rust));
        assert_eq!(Lang::of(Path::new("Main.java")), None);
        assert_eq!(Lang::of(Path::new("Makefile")), None);
    }

    #[test]
    fn keyword_lists_are_sorted() {
        for lang in [Lang::Python, Lang::Rust, Lang::Go, Lang::JavaScript] {
            assert!(lang.is_keyword("if"));
            assert!(!lang.is_keyword("limiter"));
        }
        assert!(Lang::Python.is_keyword("False") && Lang::Python.is_keyword("yield"));
        assert!(Lang::Rust.is_keyword("Self") && Lang::Rust.is_keyword("while"));
        assert!(Lang::JavaScript.is_keyword("async") && Lang::JavaScript.is_keyword("yield"));
        assert!(Lang::Go.is_keyword("break") && Lang::Go.is_keyword("var"));
    }
}

//! The index of the workspace's code: per file, its outline, the names it refers to, its size
//! and (once counted) its tokens. Built once off the UI task, then updated file by file as
//! files are saved, so the map and the set never rescan the whole tree.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::lang::Lang;
use super::outline::{Outline, scan};
use super::set::MAX_FILE_BYTES;
use super::set::{Size, Unavailable};

/// An interned identifier.
pub type Sym = u32;

/// What the index knows of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    /// Its definitions; empty for a file that cannot be read or whose language is not known.
    pub outline: Outline,
    /// The interned name of each definition, as `outline.defs`.
    pub def_syms: Vec<Sym>,
    /// The names it refers to and how often.
    pub refs: Vec<(Sym, u32)>,
    /// Its length in bytes, or why it cannot be read.
    pub status: Result<u64, Unavailable>,
    /// Its tokens, once counted.
    pub tokens: Option<u32>,
}

impl IndexEntry {
    /// Whether its language is one the outline knows.
    pub fn parsed(&self, path: &Path) -> bool {
        self.status.is_ok() && Lang::of(path).is_some()
    }
}

/// The index: every code file in scope, by path.
#[derive(Debug, Default)]
pub struct Index {
    files: BTreeMap<PathBuf, IndexEntry>,
    /// Grows whenever a file's definitions, names or status change, or a file goes.
    generation: u64,
    names: HashMap<Box<str>, Sym>,
    symbols: Vec<Box<str>>,
}

impl Index {
    /// The files, in path order.
    pub fn files(&self) -> impl ExactSizeIterator<Item = (&PathBuf, &IndexEntry)> {
        self.files.iter()
    }

    /// The entry of `path`.
    pub fn get(&self, path: &Path) -> Option<&IndexEntry> {
        self.files.get(path)
    }

    /// A number that grows whenever what the map is ranked from changes.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is indexed.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The text of a symbol.
    pub fn symbol(&self, sym: Sym) -> &str {
        self.symbols.get(sym as usize).map_or("", |s| s)
    }

    /// How many symbols there are (each below this number).
    pub fn symbols(&self) -> usize {
        self.symbols.len()
    }

    /// The symbol of `name`, if any file defines or names it.
    pub fn lookup(&self, name: &str) -> Option<Sym> {
        self.names.get(name).copied()
    }

    fn intern(&mut self, name: &str) -> Sym {
        if let Some(&sym) = self.names.get(name) {
            return sym;
        }
        let sym = Sym::try_from(self.symbols.len()).unwrap_or(Sym::MAX);
        self.symbols.push(name.into());
        self.names.insert(name.into(), sym);
        sym
    }

    /// Indexes `path` with this text (or why it has none). Pure: what [`Index::load`] does
    /// once the file is read.
    /// Returns whether the entry changed.
    pub fn set_text(&mut self, path: PathBuf, text: Result<&str, Unavailable>) -> bool {
        let entry = match (text, Lang::of(&path)) {
            (Ok(text), Some(lang)) => {
                let (outline, refs) = scan(lang, text);
                let def_syms = outline.defs.iter().map(|d| self.intern(&d.name)).collect();
                let mut refs: Vec<(Sym, u32)> =
                    refs.into_iter().map(|(n, c)| (self.intern(n), c)).collect();
                refs.sort_unstable();
                IndexEntry {
                    outline,
                    def_syms,
                    refs,
                    status: Ok(text.len() as u64),
                    tokens: None,
                }
            }
            (text, _) => IndexEntry {
                outline: Outline::default(),
                def_syms: Vec::new(),
                refs: Vec::new(),
                status: text.map(|t| t.len() as u64),
                tokens: None,
            },
        };
        let before = self.files.insert(path, entry.clone());
        // A new length alone changes nothing the map is ranked from.
        let changed = before.is_none_or(|b| {
            (b.outline, b.refs, b.status.err()) != (entry.outline, entry.refs, entry.status.err())
        });
        self.generation += u64::from(changed);
        changed
    }

    /// Forgets `path`.
    pub fn remove(&mut self, path: &Path) {
        if self.files.remove(path).is_some() {
            self.generation += 1;
        }
    }

    /// Keeps only the files of `scope` (a new list of the files in scope).
    pub fn retain(&mut self, scope: &[PathBuf]) {
        let keep: std::collections::HashSet<&Path> = scope.iter().map(PathBuf::as_path).collect();
        let before = self.files.len();
        self.files.retain(|p, _| keep.contains(p.as_path()));
        self.generation += u64::from(self.files.len() != before);
    }

    /// Indexes every file of `scope` under `root` (a cold build).
    pub fn build(root: &Path, scope: &[PathBuf]) -> Index {
        let mut index = Index::default();
        let real_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        for path in scope {
            index.load_from(&real_root, root, path);
        }
        index
    }

    /// Reads `path` again (a save; deleted, it stays with that reason). Returns whether its
    /// outline, names or status changed.
    pub fn load(&mut self, root: &Path, path: &Path) -> bool {
        let real_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        self.load_from(&real_root, root, path)
    }

    fn load_from(&mut self, real_root: &Path, root: &Path, path: &Path) -> bool {
        match read(real_root, &root.join(path)) {
            Ok(text) => self.set_text(path.to_path_buf(), Ok(&text)),
            Err(why) => self.set_text(path.to_path_buf(), Err(why)),
        }
    }

    /// What including `path` costs: its tokens (counted with `count` the first time, then
    /// remembered until the file changes), or why it cannot be included.
    pub fn size(&mut self, root: &Path, path: &Path, count: &dyn Fn(&str) -> u32) -> Size {
        if !self.files.contains_key(path) {
            self.load(root, path);
        }
        let entry = self.files.get_mut(path).ok_or(Unavailable::Deleted)?;
        entry.status.clone()?;
        if let Some(tokens) = entry.tokens {
            return Ok(tokens);
        }
        let real_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let text = read(&real_root, &root.join(path))?;
        let tokens = count(&text);
        entry.tokens = Some(tokens);
        Ok(tokens)
    }
}

/// Reads a code file for the context: inside the workspace (links included), at most
/// [`MAX_FILE_BYTES`], text (no NUL byte; invalid UTF-8 replaced).
pub fn read(real_root: &Path, full: &Path) -> Result<String, Unavailable> {
    let real = full.canonicalize().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Unavailable::Deleted,
        _ => Unavailable::Unreadable(e.to_string()),
    })?;
    if !real.starts_with(real_root) {
        return Err(Unavailable::OutsideWorkspace);
    }
    let file = std::fs::File::open(&real).map_err(|e| Unavailable::Unreadable(e.to_string()))?;
    let len = file
        .metadata()
        .map_err(|e| Unavailable::Unreadable(e.to_string()))?
        .len();
    if len > MAX_FILE_BYTES {
        return Err(Unavailable::TooLarge(len));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Unavailable::Unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Unavailable::TooLarge(bytes.len() as u64));
    }
    if memchr::memchr(0, &bytes).is_some() {
        return Err(Unavailable::Binary);
    }
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> u32 {
        text.split_whitespace().count() as u32
    }

    #[test]
    fn files_are_read_with_reasons_for_those_that_cannot_be() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.py"), "class A:\n    def f(self): pass\n").unwrap();
        std::fs::write(root.join("bin.py"), b"x = 1\0\n").unwrap();
        std::fs::write(root.join("big.py"), vec![b'#'; MAX_FILE_BYTES as usize + 1]).unwrap();
        std::fs::write(root.join("notes.txt"), "plain").unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.py"), "def s(): pass\n").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.py"), root.join("link.py")).unwrap();
        let scope: Vec<PathBuf> = [
            "a.py",
            "bin.py",
            "big.py",
            "notes.txt",
            "link.py",
            "gone.py",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let mut index = Index::build(root, &scope);
        assert_eq!(index.len(), 6);
        let a = index.get(Path::new("a.py")).unwrap();
        assert_eq!(a.outline.defs.len(), 2);
        assert_eq!(index.symbol(a.def_syms[1]), "f");
        let status = |index: &Index, p: &str| index.get(Path::new(p)).unwrap().status.clone();
        assert_eq!(status(&index, "bin.py"), Err(Unavailable::Binary));
        assert_eq!(
            status(&index, "big.py"),
            Err(Unavailable::TooLarge(MAX_FILE_BYTES + 1))
        );
        assert_eq!(
            status(&index, "link.py"),
            Err(Unavailable::OutsideWorkspace)
        );
        assert_eq!(status(&index, "gone.py"), Err(Unavailable::Deleted));
        assert_eq!(status(&index, "notes.txt"), Ok(5));
        assert!(
            !index
                .get(Path::new("notes.txt"))
                .unwrap()
                .parsed(Path::new("notes.txt"))
        );
        assert_eq!(index.size(root, Path::new("a.py"), &words), Ok(5));
        assert_eq!(
            index.size(root, Path::new("link.py"), &words),
            Err(Unavailable::OutsideWorkspace)
        );
    }

    #[test]
    fn a_save_updates_one_entry() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.py"), "def one(): pass\n").unwrap();
        let mut index = Index::build(root, &[PathBuf::from("a.py")]);
        assert_eq!(index.size(root, Path::new("a.py"), &words), Ok(3));
        assert!(!index.load(root, Path::new("a.py")), "unchanged");
        std::fs::write(root.join("a.py"), "def one(): return two()\n").unwrap();
        assert!(index.load(root, Path::new("a.py")), "the names changed");
        std::fs::write(root.join("a.py"), "def one(): pass\ndef two(x): pass\n").unwrap();
        assert!(index.load(root, Path::new("a.py")));
        let entry = index.get(Path::new("a.py")).unwrap();
        assert_eq!(entry.outline.defs.len(), 2);
        assert_eq!(entry.tokens, None, "counted again on demand");
        assert_eq!(index.size(root, Path::new("a.py"), &words), Ok(6));
        std::fs::remove_file(root.join("a.py")).unwrap();
        assert!(index.load(root, Path::new("a.py")));
        assert_eq!(
            index.size(root, Path::new("a.py"), &words),
            Err(Unavailable::Deleted)
        );
        index.retain(&[]);
        assert!(index.is_empty());
    }
}

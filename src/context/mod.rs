//! The context of a request: which files go in whole (the context set, and why each one), an
//! outline of the rest (the repository map, ranked and within a budget), and the index of the
//! workspace's definitions both are built from, kept up to date file by file as files change.

pub mod fuzzy;
pub mod index;
pub mod lang;
pub mod lex;
pub mod map;
pub mod outline;
pub mod set;
pub mod worker;

pub use set::MAX_FILE_BYTES;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use index::Index;
use map::RepoMap;
use set::{Budget, ContextSet, Sources, Unavailable};

/// The budgets in force for a usable window of `usable` tokens (window less the reply's
/// reserve): the set's at most a quarter of it, the map's at most an eighth, and "all the code"
/// never more than the set's budget.
pub fn budgets(config: &crate::config::ContextConfig, usable: u32) -> (Budget, u32) {
    let code = config.code_tokens.min(usable / 4);
    let budget = Budget {
        all_below: config.all_below_tokens.min(code),
        code,
    };
    (budget, config.map_tokens.min(usable / 8))
}

/// What a request carries of the code: the set in full and the map of the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenContext {
    pub set: ContextSet,
    pub map: RepoMap,
}

/// Chooses contexts, keeping the last ranking while the index's names, the set and the
/// mentioned identifiers stay the same: a save that changes only code inside functions costs
/// a render of the map, not a ranking.
#[derive(Debug, Default)]
pub struct Chooser {
    last: Option<(u64, Vec<PathBuf>, Vec<String>, map::Ranking)>,
}

impl Chooser {
    /// Chooses the set among `scope` from `sources` within `budget`, then maps the rest within
    /// `map_budget` tokens, ranked by relevance to the set and to the identifiers `mentioned`;
    /// `count` counts tokens. Reads only the files whose size it does not know yet.
    #[allow(clippy::too_many_arguments)]
    pub fn choose(
        &mut self,
        index: &mut Index,
        root: &Path,
        scope: &[PathBuf],
        sources: &Sources,
        (budget, map_budget): (Budget, u32),
        mentioned: &HashSet<String>,
        count: &dyn Fn(&str) -> u32,
    ) -> ChosenContext {
        let set = set::select(scope, sources, budget, |p| index.size(root, p, count));
        if set.all {
            return ChosenContext {
                set,
                map: RepoMap::default(),
            };
        }
        let members: Vec<PathBuf> = set.members.iter().map(|m| m.path.clone()).collect();
        let mut names: Vec<String> = mentioned.iter().cloned().collect();
        names.sort();
        let key = (index.generation(), members, names);
        let fresh = match &self.last {
            Some((g, m, n, _)) => (*g, m, n) != (key.0, &key.1, &key.2),
            None => true,
        };
        if fresh {
            let in_set: HashSet<&Path> = key.1.iter().map(PathBuf::as_path).collect();
            let ranking = map::rank(index, &in_set, mentioned);
            self.last = Some((key.0, key.1, key.2, ranking));
        }
        let map = match &self.last {
            Some((_, _, _, ranking)) => map::render(index, ranking, map_budget, count),
            None => RepoMap::default(),
        };
        ChosenContext { set, map }
    }
}

/// The text of each member of `set`, read now (a file deleted or changed into something that
/// cannot be sent since the set was chosen says why instead).
pub fn read_members(root: &Path, set: &ContextSet) -> Vec<(PathBuf, Result<String, Unavailable>)> {
    let real_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    set.members
        .iter()
        .map(|m| (m.path.clone(), index::read(&real_root, &root.join(&m.path))))
        .collect()
}

/// The request's code part for `context`: the set in full (all the code, for a small
/// workspace, exactly as before there was a set), the files it could not include and why,
/// then the map of the rest.
pub fn request_text(root: &Path, context: &ChosenContext) -> String {
    let mut files: Vec<(PathBuf, Result<String, String>)> = read_members(root, &context.set)
        .into_iter()
        .map(|(p, t)| (p, t.map_err(|e| e.to_string())))
        .collect();
    files.extend(
        context
            .set
            .unavailable
            .iter()
            .map(|(p, _, why)| (p.clone(), Err(why.to_string()))),
    );
    let mut text = crate::llm::request::set_part(&files, context.set.all);
    if !context.map.text.is_empty() {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&context.map.text);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> u32 {
        text.split_whitespace().count() as u32
    }

    #[test]
    fn budgets_follow_the_usable_window() {
        let config = crate::config::ContextConfig::default();
        let (set, map) = budgets(&config, 119_808);
        assert_eq!((set.all_below, set.code, map), (8000, 16_000, 1500));
        // An 8k window with a 1k reply reserve: a quarter and an eighth of 7168.
        let (set, map) = budgets(&config, 7168);
        assert_eq!((set.all_below, set.code, map), (1792, 1792, 896));
    }

    #[test]
    fn a_small_workspace_goes_whole_a_larger_one_as_set_and_map() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("limiter.py"),
            "class Limiter:\n    def allow(self): pass\n",
        )
        .unwrap();
        std::fs::write(
            root.join("app.py"),
            "from limiter import Limiter\nLimiter().allow()\n",
        )
        .unwrap();
        let scope = vec![PathBuf::from("app.py"), PathBuf::from("limiter.py")];
        let mut index = Index::build(root, &scope);
        let sources = Sources {
            spec: vec![PathBuf::from("app.py")],
            ..Sources::default()
        };
        let small = (
            Budget {
                all_below: 100,
                code: 100,
            },
            100,
        );
        let none = HashSet::new();
        let mut chooser = Chooser::default();
        let ctx = chooser.choose(&mut index, root, &scope, &sources, small, &none, &words);
        assert!(ctx.set.all);
        assert_eq!(ctx.set.members.len(), 2);
        assert_eq!(ctx.map, RepoMap::default());

        let tight = (
            Budget {
                all_below: 5,
                code: 100,
            },
            100,
        );
        let ctx = chooser.choose(&mut index, root, &scope, &sources, tight, &none, &words);
        assert!(!ctx.set.all);
        assert_eq!(ctx.set.members.len(), 1);
        assert_eq!(ctx.set.members[0].path, Path::new("app.py"));
        assert!(
            ctx.map
                .text
                .contains("limiter.py\n  class Limiter:\n    def allow(self):")
        );
        assert_eq!(ctx.map.files, [PathBuf::from("limiter.py")]);

        std::fs::remove_file(root.join("app.py")).unwrap();
        let read = read_members(root, &ctx.set);
        assert_eq!(read, [(PathBuf::from("app.py"), Err(Unavailable::Deleted))]);
    }
}

//! The repository map: for the files in scope that are not in the context set, their paths and
//! top-level definitions with signatures, ranked by relevance to the set and cut to a token
//! budget.
//!
//! Ranking follows aider's repository map: files are the nodes of a graph whose edges go from
//! a file that names an identifier to the files that define it, weighted up for names the spec
//! or the set use and for distinctive names, down for private and common ones; PageRank,
//! personalised to the set, ranks the files, and each file's rank flows along its edges to the
//! definitions it uses. The best definitions fill the budget; then the top-level definitions
//! nothing uses, the best ranked files first; files without any follow by path.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use super::index::{Index, Sym};

/// A name defined in more files than this says nothing about which one is meant.
const MAX_DEFINERS: usize = 20;
/// PageRank's damping factor.
const DAMPING: f64 = 0.85;
/// The share of the personalisation spread over every file.
const BASE: f64 = 0.01;
/// PageRank stops when the ranks (summing to 1) move less than this in a round...
const TOLERANCE: f64 = 1e-6;
/// ...or after this many rounds.
const MAX_ROUNDS: usize = 30;

/// The map as it goes into the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoMap {
    /// The text, empty when nothing fits or nothing is left out of the set.
    pub text: String,
    /// The files it shows, in the order shown.
    pub files: Vec<PathBuf>,
    /// The tokens of `text`.
    pub tokens: u32,
}

/// One thing the map may show, best first: a definition, or a file by its path alone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MapEntry {
    /// The `def`-th definition of the `file`-th file (in path order), with its score.
    Def { file: usize, def: usize, score: f64 },
    /// A file shown by path only.
    Path { file: usize },
}

/// The ranking of the files outside the set and their definitions.
#[derive(Debug, Clone, Default)]
pub struct Ranking {
    /// Every file of the index, in path order.
    pub paths: Vec<PathBuf>,
    /// Each file's PageRank.
    pub file_rank: Vec<f64>,
    /// What the map may show, best first.
    pub entries: Vec<MapEntry>,
}

/// Identifier-like words of `text` (three characters or more): the names a spec or a message
/// mentions.
pub fn identifiers(text: &str) -> HashSet<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| w.len() >= 3 && !w.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_string)
        .collect()
}

/// Ranks the files of `index` not in `set` (and their definitions) by relevance to `set` and
/// to the identifiers `mentioned`.
pub fn rank(index: &Index, set: &HashSet<&Path>, mentioned: &HashSet<String>) -> Ranking {
    let paths: Vec<PathBuf> = index.files().map(|(p, _)| p.clone()).collect();
    let n = paths.len();
    let in_set: Vec<bool> = paths.iter().map(|p| set.contains(p.as_path())).collect();
    // Who defines each name: the files of symbol `s` are `definers[starts[s]..starts[s + 1]]`.
    let symbols = index.symbols();
    let mut starts = vec![0u32; symbols + 1];
    let mut unique: Vec<Vec<Sym>> = Vec::with_capacity(n);
    for (_, entry) in index.files() {
        let mut syms = entry.def_syms.clone();
        syms.sort_unstable();
        syms.dedup();
        for &sym in &syms {
            starts[sym as usize + 1] += 1;
        }
        unique.push(syms);
    }
    for s in 0..symbols {
        starts[s + 1] += starts[s];
    }
    let mut fill = starts.clone();
    let mut definers = vec![0u32; starts[symbols] as usize];
    for (i, syms) in unique.iter().enumerate() {
        for &sym in syms {
            definers[fill[sym as usize] as usize] = i as u32;
            fill[sym as usize] += 1;
        }
    }
    let files_of =
        |sym: Sym| &definers[starts[sym as usize] as usize..starts[sym as usize + 1] as usize];
    let mut is_mentioned = vec![false; symbols];
    for sym in mentioned.iter().filter_map(|m| index.lookup(m)) {
        is_mentioned[sym as usize] = true;
    }
    let mut name_weights = vec![-1.0; symbols];
    // Edges: (from, to, name, weight), grouped by `from` (in file order).
    let mut edges: Vec<(u32, u32, Sym, f64)> = Vec::new();
    for (i, (_, entry)) in index.files().enumerate() {
        for &(sym, count) in &entry.refs {
            let files = files_of(sym);
            if files.is_empty()
                || files.len() > MAX_DEFINERS
                || (files.len() == 1 && files[0] == i as u32)
            {
                continue;
            }
            let cached = &mut name_weights[sym as usize];
            if *cached < 0.0 {
                *cached = name_weight(index.symbol(sym), files.len());
            }
            let mut weight = *cached;
            if is_mentioned[sym as usize] {
                weight *= 10.0;
            }
            if in_set[i] {
                weight *= 50.0;
            }
            weight *= f64::from(count).sqrt();
            for &to in files.iter().filter(|&&to| to != i as u32) {
                edges.push((i as u32, to, sym, weight));
            }
        }
    }
    // The personalisation: the set, and files whose name is mentioned.
    let mut personal = vec![0.0; n];
    for (i, path) in paths.iter().enumerate() {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if in_set[i] || mentioned.contains(stem) {
            personal[i] = 1.0;
        }
    }
    // A little of it everywhere, so that what the set cannot reach still ranks by how much
    // the rest of the workspace uses it.
    let chosen: f64 = personal.iter().sum();
    let base = if chosen == 0.0 {
        1.0
    } else {
        chosen * BASE / n as f64
    };
    personal.iter_mut().for_each(|p| *p += base);
    let total: f64 = personal.iter().sum();
    personal.iter_mut().for_each(|p| *p /= total);
    let file_rank = pagerank(n, &edges, &personal);
    // Each file's rank flows to the definitions it uses.
    let mut out_weight = vec![0.0; n];
    for &(from, _, _, w) in &edges {
        out_weight[from as usize] += w;
    }
    let mut def_score: Vec<Vec<(Sym, f64)>> = vec![Vec::new(); n];
    for &(from, to, sym, w) in &edges {
        let from = from as usize;
        def_score[to as usize].push((sym, file_rank[from] * w / out_weight[from]));
    }
    for scores in &mut def_score {
        scores.sort_unstable_by_key(|&(sym, _)| sym);
        scores.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 += later.1;
            }
            same
        });
    }
    let mut defs: Vec<MapEntry> = Vec::new();
    let mut scored = vec![false; n];
    for (i, (_, entry)) in index.files().enumerate() {
        if in_set[i] {
            continue;
        }
        for (d, &sym) in entry.def_syms.iter().enumerate() {
            let found = def_score[i].binary_search_by_key(&sym, |&(s, _)| s);
            if let Some(score) = found.ok().map(|at| def_score[i][at].1).filter(|&s| s > 0.0) {
                defs.push(MapEntry::Def {
                    file: i,
                    def: d,
                    score,
                });
                scored[i] = true;
            }
        }
    }
    defs.sort_by(|a, b| match (a, b) {
        (
            MapEntry::Def {
                file: fa,
                def: da,
                score: sa,
            },
            MapEntry::Def {
                file: fb,
                def: db,
                score: sb,
            },
        ) => sb.total_cmp(sa).then(fa.cmp(fb)).then(da.cmp(db)),
        _ => std::cmp::Ordering::Equal,
    });
    // Then the top-level definitions nothing uses yet, file by file, the best ranked file
    // first (an outline of the rest where the budget allows)...
    let mut unused: Vec<(usize, usize)> = Vec::new();
    for (i, (_, entry)) in index.files().enumerate() {
        if in_set[i] {
            continue;
        }
        for (d, &sym) in entry.def_syms.iter().enumerate() {
            let used = def_score[i]
                .binary_search_by_key(&sym, |&(s, _)| s)
                .is_ok_and(|at| def_score[i][at].1 > 0.0);
            if !used && entry.outline.defs[d].parent.is_none() {
                unused.push((i, d));
                scored[i] = true;
            }
        }
    }
    unused.sort_by(|&(fa, da), &(fb, db)| {
        file_rank[fb]
            .total_cmp(&file_rank[fa])
            .then(fa.cmp(&fb))
            .then(da.cmp(&db))
    });
    defs.extend(unused.into_iter().map(|(file, def)| MapEntry::Def {
        file,
        def,
        score: 0.0,
    }));
    // ...then every other file by path, the best ranked first.
    let mut rest: Vec<usize> = (0..n).filter(|&i| !in_set[i] && !scored[i]).collect();
    rest.sort_by(|&a, &b| file_rank[b].total_cmp(&file_rank[a]).then(a.cmp(&b)));
    defs.extend(rest.into_iter().map(|file| MapEntry::Path { file }));
    Ranking {
        paths,
        file_rank,
        entries: defs,
    }
}

/// How much a name says about which definition is meant (aider's weights): a long
/// snake_case or camelCase name much, a private one little, a name many files define little.
fn name_weight(name: &str, definers: usize) -> f64 {
    let mut weight = 1.0;
    let snake = name.contains('_') && name.chars().any(char::is_alphabetic);
    let camel = name.chars().any(char::is_uppercase) && name.chars().any(char::is_lowercase);
    if (snake || camel) && name.len() >= 8 {
        weight *= 10.0;
    }
    if name.starts_with('_') {
        weight *= 0.1;
    }
    if definers > 5 {
        weight *= 0.1;
    }
    weight
}

/// PageRank over weighted edges, personalised (teleports and dangling nodes go to
/// `personal`), to [`TOLERANCE`] or [`MAX_ROUNDS`].
fn pagerank(n: usize, edges: &[(u32, u32, Sym, f64)], personal: &[f64]) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    let mut out_weight = vec![0.0; n];
    for &(from, _, _, w) in edges {
        out_weight[from as usize] += w;
    }
    // Edges between the same two files summed, as (from, to, share of from's weight); the
    // edges come grouped by `from`, so each group is merged on its own.
    let mut links: Vec<(u32, u32, f64)> = Vec::with_capacity(edges.len());
    for group in edges.chunk_by(|a, b| a.0 == b.0) {
        let start = links.len();
        let from = group[0].0;
        let share = 1.0 / out_weight[from as usize];
        links.extend(group.iter().map(|&(_, to, _, w)| (from, to, w * share)));
        links[start..].sort_unstable_by_key(|&(_, t, _)| t);
        let mut merged: Vec<(u32, u32, f64)> = Vec::with_capacity(links.len() - start);
        for &link in &links[start..] {
            match merged.last_mut() {
                Some(last) if last.1 == link.1 => last.2 += link.2,
                _ => merged.push(link),
            }
        }
        links.truncate(start);
        links.extend(merged);
    }
    let mut rank = personal.to_vec();
    let mut next = vec![0.0; n];
    for _ in 0..MAX_ROUNDS {
        let dangling: f64 = (0..n)
            .filter(|&i| out_weight[i] == 0.0)
            .map(|i| rank[i])
            .sum();
        for (i, r) in next.iter_mut().enumerate() {
            *r = (1.0 - DAMPING + DAMPING * dangling) * personal[i];
        }
        for &(from, to, share) in &links {
            next[to as usize] += DAMPING * rank[from as usize] * share;
        }
        let change: f64 = rank.iter().zip(&next).map(|(a, b)| (a - b).abs()).sum();
        std::mem::swap(&mut rank, &mut next);
        if change < TOLERANCE {
            break;
        }
    }
    rank
}

/// The heading the map's text starts with.
pub const HEADING: &str = "# Repository map\n\nThe other files in scope, not shown in full: their top-level definitions, \
the most relevant to the files above chosen first.\n";

/// The map of `ranking` within `budget` tokens, as counted by `count`: the best entries that
/// fit, each definition under its file and its containers, files in path order.
pub fn render(
    index: &Index,
    ranking: &Ranking,
    budget: u32,
    count: &dyn Fn(&str) -> u32,
) -> RepoMap {
    if ranking.entries.is_empty() || budget == 0 {
        return RepoMap::default();
    }
    // Take entries in rank order while their lines fit, counting each new line once.
    let mut used = count(HEADING);
    let mut picked: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut chosen: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for entry in &ranking.entries {
        let (file, def) = match *entry {
            MapEntry::Def { file, def, .. } => (file, Some(def)),
            MapEntry::Path { file } => (file, None),
        };
        let shown = chosen.get(&file);
        let mut cost = 0;
        if shown.is_none() {
            cost += count(&format!("\n{}", ranking.paths[file].display()));
        }
        let mut lines = Vec::new();
        if let Some(def) = def
            && let Some(e) = index.get(&ranking.paths[file])
        {
            let mut at = Some(def);
            while let Some(d) = at {
                if shown.is_some_and(|s| s.contains(&d)) || lines.contains(&d) {
                    break;
                }
                let line = format!(
                    "\n{}{}",
                    "  ".repeat(depth(e, d) + 1),
                    e.outline.defs[d].signature
                );
                cost += count(&line);
                lines.push(d);
                at = e.outline.defs[d].parent;
            }
            if lines.is_empty() {
                continue;
            }
        }
        if used + cost > budget {
            break;
        }
        used += cost;
        chosen
            .entry(file)
            .or_default()
            .extend(lines.iter().copied());
        picked.push((file, lines));
    }
    loop {
        let map = text(index, ranking, &chosen);
        let tokens = count(&map.text);
        if tokens <= budget || picked.is_empty() {
            return RepoMap { tokens, ..map };
        }
        // Lines counted apart cost a little more together: give up the last entry taken.
        if let Some((file, lines)) = picked.pop() {
            let emptied = chosen.get_mut(&file).is_some_and(|defs| {
                lines.iter().for_each(|d| {
                    defs.remove(d);
                });
                defs.is_empty()
            });
            if emptied && !picked.iter().any(|(f, _)| *f == file) {
                chosen.remove(&file);
            }
        }
    }
}

/// How deep `def` sits among its containers.
fn depth(entry: &super::index::IndexEntry, def: usize) -> usize {
    let mut depth = 0;
    let mut at = entry.outline.defs[def].parent;
    while let Some(p) = at {
        depth += 1;
        at = entry.outline.defs[p].parent;
    }
    depth
}

/// The map's text for the chosen definitions, by file.
fn text(index: &Index, ranking: &Ranking, chosen: &BTreeMap<usize, BTreeSet<usize>>) -> RepoMap {
    if chosen.is_empty() {
        return RepoMap::default();
    }
    let mut out = String::from(HEADING);
    let mut files = Vec::new();
    for (&file, defs) in chosen {
        let path = &ranking.paths[file];
        out.push('\n');
        out.push_str(&path.display().to_string());
        files.push(path.clone());
        if let Some(entry) = index.get(path) {
            for &d in defs {
                out.push('\n');
                out.push_str(&"  ".repeat(depth(entry, d) + 1));
                out.push_str(&entry.outline.defs[d].signature);
            }
        }
    }
    out.push('\n');
    RepoMap {
        text: out,
        files,
        tokens: 0,
    }
}

#[cfg(test)]
mod tests;

//! Fuzzy filtering for the file picker: a query matches a path when its characters appear in
//! order (case-insensitively); matches at the start of a path segment or a word, and runs of
//! consecutive characters, score higher, and so does a shorter path.

/// A path that matches, with its score and the character positions that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Its index in the candidates.
    pub index: usize,
    pub score: i64,
    /// The matched characters' positions (in characters), for highlighting.
    pub positions: Vec<usize>,
}

/// How well `query` matches `candidate`, or `None` when it does not. An empty query matches
/// everything with score 0.
pub fn score(query: &str, candidate: &str) -> Option<(i64, Vec<usize>)> {
    let query: Vec<char> = query
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    if query.is_empty() {
        return Some((0, Vec::new()));
    }
    let chars: Vec<char> = candidate.chars().collect();
    let lower: Vec<char> = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let name_start = chars.iter().rposition(|&c| c == '/').map_or(0, |i| i + 1);
    let bonus = |p: usize| {
        let boundary = p == 0 || matches!(chars[p - 1], '/' | '_' | '-' | '.' | ' ');
        let camel = p > 0 && chars[p].is_uppercase() && chars[p - 1].is_lowercase();
        let mut b = 1;
        if boundary || camel {
            b += 8;
        }
        if p == name_start {
            b += 6;
        }
        if p >= name_start {
            b += 4;
        }
        b
    };
    // The best score of matching the query's first i + 1 characters with the last at j, and
    // where the one before sits.
    const NONE: i64 = i64::MIN / 2;
    const RUN: i64 = 6;
    let (m, n) = (query.len(), lower.len());
    let mut best = vec![NONE; m * n];
    let mut from = vec![usize::MAX; m * n];
    for j in 0..n {
        if lower[j] == query[0] {
            best[j] = bonus(j);
        }
    }
    for (i, &q) in query.iter().enumerate().skip(1) {
        let (prev, row) = ((i - 1) * n, i * n);
        // The best of the previous row strictly before j - 1.
        let (mut far, mut far_at) = (NONE, usize::MAX);
        for j in 1..n {
            if j >= 2 && best[prev + j - 2] > far {
                far = best[prev + j - 2];
                far_at = j - 2;
            }
            if lower[j] != q {
                continue;
            }
            let (mut score, mut at) = (far, far_at);
            if best[prev + j - 1] > NONE && best[prev + j - 1] + RUN > score {
                score = best[prev + j - 1] + RUN;
                at = j - 1;
            }
            if score > NONE {
                best[row + j] = score + bonus(j);
                from[row + j] = at;
            }
        }
    }
    let last = (m - 1) * n;
    let (mut j, score) = (0..n)
        .map(|j| (j, best[last + j]))
        .filter(|&(_, s)| s > NONE)
        .max_by_key(|&(j, s)| (s, std::cmp::Reverse(j)))?;
    let mut positions = vec![0; m];
    for i in (0..m).rev() {
        positions[i] = j;
        j = from[i * n + j];
    }
    let length = i64::try_from(chars.len()).unwrap_or(i64::MAX) / 4;
    Some((score - length, positions))
}

/// The candidates `query` matches, best first (ties in the candidates' order).
pub fn filter<S: AsRef<str>>(query: &str, candidates: &[S]) -> Vec<Match> {
    let mut out: Vec<Match> = candidates
        .iter()
        .enumerate()
        .filter_map(|(index, c)| {
            score(query, c.as_ref()).map(|(score, positions)| Match {
                index,
                score,
                positions,
            })
        })
        .collect();
    out.sort_by(|a, b| b.score.cmp(&a.score).then(a.index.cmp(&b.index)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_in_order_case_insensitive() {
        assert!(score("rl", "rate_limiter.py").is_some());
        assert!(score("RLpy", "rate_limiter.py").is_some());
        assert!(score("lr", "rate_limiter.py").is_some(), "l…r");
        assert_eq!(score("zz", "rate_limiter.py"), None);
        assert_eq!(score("", "a.py"), Some((0, vec![])));
        assert_eq!(score("a b", "ab.py").map(|s| s.1), Some(vec![0, 1]));
    }

    #[test]
    fn the_file_name_and_word_starts_win() {
        let paths = [
            "src/requests/sessions.py",
            "tests/test_sessions.py",
            "src/requests/structures.py",
            "docs/api/session_notes.md",
        ];
        let order: Vec<&str> = filter("sess", &paths)
            .iter()
            .map(|m| paths[m.index])
            .collect();
        assert_eq!(order[0], "src/requests/sessions.py");
        assert_eq!(order[3], "src/requests/structures.py", "scattered: last");
        let m = &filter("tsess", &paths)[0];
        assert_eq!(paths[m.index], "tests/test_sessions.py");
        assert_eq!(m.positions, vec![6, 11, 12, 13, 14]);
    }

    #[test]
    fn an_empty_query_keeps_the_order() {
        let paths = ["b.py", "a.py"];
        let all: Vec<usize> = filter("", &paths).iter().map(|m| m.index).collect();
        assert_eq!(all, [0, 1]);
    }
}

use super::*;
use crate::context::set::Unavailable;

fn words(text: &str) -> u32 {
    text.split_whitespace().count() as u32
}

/// A workspace: the service uses the limiter's class and the clock's `monotonic_now`; the
/// report and the util module are unrelated; a binary file and a text file have no outline.
fn index() -> Index {
    let mut index = Index::default();
    let files: [(&str, &str); 6] = [
        (
            "app/service.py",
            "from app.limiter import RateLimiter\nfrom app.clock import monotonic_now\n\n\
             def handle(user):\n    limiter = RateLimiter()\n    return limiter.allow(user, monotonic_now())\n",
        ),
        (
            "app/limiter.py",
            "class RateLimiter:\n    def allow(self, user, now):\n        return True\n\n    \
             def _evict(self):\n        pass\n\nclass Unused:\n    pass\n",
        ),
        (
            "app/clock.py",
            "def monotonic_now():\n    return 0\n\ndef wall_time():\n    return 0\n",
        ),
        (
            "app/report.py",
            "def render_report(rows):\n    return format_rows(rows)\n\ndef format_rows(rows):\n    return rows\n",
        ),
        ("app/util.py", "def slugify(text):\n    return text\n"),
        ("README.txt", "Uses RateLimiter."),
    ];
    for (path, text) in files {
        index.set_text(PathBuf::from(path), Ok(text));
    }
    index.set_text(PathBuf::from("app/logo.py"), Err(Unavailable::Binary));
    index
}

fn set(paths: &[&'static str]) -> HashSet<&'static Path> {
    paths.iter().map(|p| Path::new(*p)).collect()
}

fn map(index: &Index, in_set: &[&'static str], mentioned: &str, budget: u32) -> RepoMap {
    let ranking = rank(index, &set(in_set), &identifiers(mentioned));
    render(index, &ranking, budget, &words)
}

#[test]
fn definitions_the_set_uses_rank_first() {
    let index = index();
    let ranking = rank(&index, &set(&["app/service.py"]), &HashSet::new());
    let names: Vec<String> = ranking
        .entries
        .iter()
        .map(|e| match *e {
            MapEntry::Def { file, def, .. } => {
                let entry = index.get(&ranking.paths[file]).unwrap();
                format!(
                    "{}:{}",
                    ranking.paths[file].display(),
                    entry.outline.defs[def].name
                )
            }
            MapEntry::Path { file } => ranking.paths[file].display().to_string(),
        })
        .collect();
    // `RateLimiter` and `monotonic_now` are long, distinctive names the set uses: they come
    // first (equal, so by path), then `allow`, short and plain; then the top-level definitions
    // nothing uses; files without any come by path, last.
    assert_eq!(
        &names[..3],
        [
            "app/clock.py:monotonic_now",
            "app/limiter.py:RateLimiter",
            "app/limiter.py:allow"
        ]
    );
    assert!(
        !names.iter().any(|n| n.starts_with("app/service.py")),
        "the set's files are not in the map: {names:?}"
    );
    let last: Vec<&str> = names[3..].iter().map(String::as_str).collect();
    assert!(
        last.contains(&"app/report.py:render_report"),
        "used only by itself: outlined after what the set uses: {last:?}"
    );
    assert!(
        last.contains(&"app/util.py:slugify"),
        "a file nothing uses is outlined too: {last:?}"
    );
    assert_eq!(
        &last[last.len() - 2..],
        ["README.txt", "app/logo.py"],
        "files without definitions come by path, last"
    );
}

#[test]
fn the_map_fits_its_budget_with_members_under_their_class() {
    let index = index();
    let full = map(&index, &["app/service.py"], "", 10_000);
    assert_eq!(
        full.text,
        format!(
            "{HEADING}\nREADME.txt\napp/clock.py\n  def monotonic_now():\n  def wall_time():\n\
             app/limiter.py\n  class RateLimiter:\n    def allow(self, user, now):\n  \
             class Unused:\napp/logo.py\napp/report.py\n  def render_report(rows):\n  \
             def format_rows(rows):\napp/util.py\n  def slugify(text):\n"
        )
    );
    assert_eq!(full.tokens, words(&full.text));
    assert_eq!(full.files.len(), 6);
    for budget in [0, 5, words(HEADING), words(HEADING) + 3, 40, 45, 60] {
        let cut = map(&index, &["app/service.py"], "", budget);
        assert!(cut.tokens <= budget, "{budget}: {}", cut.tokens);
        assert_eq!(cut.tokens, words(&cut.text));
        if !cut.text.is_empty() {
            assert!(cut.text.starts_with(HEADING));
            assert!(
                cut.text.contains("def monotonic_now():"),
                "the best entry first: {budget}"
            );
        }
    }
    assert_eq!(map(&index, &["app/service.py"], "", 5), RepoMap::default());
}

#[test]
fn a_method_brings_its_class_and_mentioned_names_weigh_more() {
    let mut index = index();
    index.set_text(
        PathBuf::from("app/service.py"),
        Ok("def handle(limiter):\n    return limiter.allow(1, 2)\n"),
    );
    // `allow` is short and plain: without a mention it ranks with the rest; mentioned by the
    // spec it comes first, with its class above it.
    let m = map(
        &index,
        &["app/service.py"],
        "R1: allow() answers at once",
        36,
    );
    assert!(
        m.text
            .contains("app/limiter.py\n  class RateLimiter:\n    def allow(self, user, now):"),
        "{}",
        m.text
    );
}

#[test]
fn everything_in_the_set_leaves_an_empty_map() {
    let index = index();
    let all: Vec<&'static str> = vec![
        "app/service.py",
        "app/limiter.py",
        "app/clock.py",
        "app/report.py",
        "app/util.py",
        "README.txt",
        "app/logo.py",
    ];
    assert_eq!(map(&index, &all, "", 1000), RepoMap::default());
    assert_eq!(map(&Index::default(), &[], "", 1000), RepoMap::default());
}

#[test]
fn ranking_is_deterministic_and_a_mentioned_file_comes_first_among_the_rest() {
    let index = index();
    let a = map(&index, &["app/report.py"], "util", 45);
    for _ in 0..5 {
        assert_eq!(map(&index, &["app/report.py"], "util", 45), a);
    }
    let ranking = rank(&index, &set(&["app/report.py"]), &identifiers("see util"));
    // Among what the set does not use, the mentioned file is outlined first.
    let first = ranking
        .entries
        .iter()
        .find(|e| matches!(e, MapEntry::Path { .. } | MapEntry::Def { score: 0.0, .. }))
        .copied();
    assert!(
        matches!(first, Some(MapEntry::Def { file, .. }) if ranking.paths[file] == Path::new("app/util.py")),
        "{first:?}"
    );
}

#[test]
fn identifiers_of_a_text() {
    let ids = identifiers("Use `RateLimiter.allow(user_id)`; R4: deque, 60s, ok.");
    for id in ["RateLimiter", "allow", "user_id", "deque", "Use"] {
        assert!(ids.contains(id), "{id}");
    }
    assert!(!ids.contains("R4") && !ids.contains("60s") && !ids.contains("ok"));
}

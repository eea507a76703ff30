//! The shape of the workspace, checked on every test run, so that what ARCHITECTURE.md states
//! as absences stays true:
//! - no source file over 1,500 lines (a test module may reach 2,000);
//! - no import circle between the top-level modules of any crate (a folder and its files
//!   count as one module);
//! - in the web crate, the shared `http` folder imports no feature folder;
//! - the domain crate depends on no web, database or runtime crate;
//! - the binary takes from the web crate only what it needs to serve.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 1_500;
const MAX_TEST_LINES: usize = 2_000;

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crates/ holds this crate")
        .to_path_buf()
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != "target") {
                rust_files(&path, found);
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// Every crate folder under `crates/` (those with a Cargo.toml).
fn crate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(crates_dir())
        .expect("crates/ is readable")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn is_test_file(path: &Path) -> bool {
    path.components().any(|part| part.as_os_str() == "tests")
        || path.file_stem().is_some_and(|stem| stem == "tests")
}

#[test]
fn no_source_file_is_too_long() {
    let mut too_long = Vec::new();
    let mut files = Vec::new();
    for dir in crate_dirs() {
        rust_files(&dir, &mut files);
    }
    assert!(
        files.len() > 100,
        "the walk found only {} files",
        files.len()
    );
    for file in files {
        let lines = fs::read_to_string(&file).expect("readable").lines().count();
        let limit = if is_test_file(&file) {
            MAX_TEST_LINES
        } else {
            MAX_LINES
        };
        if lines > limit {
            too_long.push(format!(
                "{} has {lines} lines (limit {limit})",
                file.display()
            ));
        }
    }
    assert!(too_long.is_empty(), "{}", too_long.join("\n"));
}

/// The top-level module a source file belongs to (`None` for the crate root).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let mut parts = relative.components();
    let first = parts.next()?.as_os_str().to_string_lossy().into_owned();
    if parts.next().is_some() {
        return Some(first);
    }
    let stem = first.trim_end_matches(".rs");
    (stem != "lib" && stem != "main").then(|| stem.to_string())
}

/// The code of a file without its comments, so a doc comment that names a path is no import.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first path segments named after `crate::` in the code, grouped imports included.
fn crate_references(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut item = String::new();
            let mut items = Vec::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                    _ => item.push(c),
                }
            }
            items.push(item);
            for item in items {
                names.insert(first_segment(item.trim()));
            }
        } else {
            names.insert(first_segment(rest));
        }
    }
    names
}

fn first_segment(path: &str) -> String {
    path.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// For each top-level module of a crate, the other top-level modules it names.
fn module_graph(crate_dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let src = crate_dir.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| top_module(&src, f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(module) = top_module(&src, file) else {
            continue;
        };
        let code = code_of(&fs::read_to_string(file).expect("readable"));
        let mut named = crate_references(&code);
        // `super::x` in the file of a top-level module (`src/a.rs`, `src/a/mod.rs`) names a
        // sibling; deeper down it names a part of the same module.
        let parent = file.parent();
        let is_module_file = parent == Some(src.as_path())
            || file.file_name().is_some_and(|n| n == "mod.rs")
                && parent.and_then(Path::parent) == Some(src.as_path());
        if is_module_file {
            for (at, _) in code.match_indices("super::") {
                named.insert(first_segment(&code[at + "super::".len()..]));
            }
        }
        let edges = graph.entry(module.clone()).or_default();
        for name in named {
            if name != module && modules.contains(&name) {
                edges.insert(name);
            }
        }
    }
    graph
}

/// The modules that lie on a circle of imports, each circle as one sorted group.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reaches = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(node) = stack.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|node| (node, reaches(node))).collect();
    let mut groups: BTreeSet<Vec<String>> = BTreeSet::new();
    for (node, seen) in &reach {
        if !seen.contains(*node) {
            continue;
        }
        let group: Vec<String> = seen
            .iter()
            .filter(|other| reach.get(other).is_some_and(|back| back.contains(*node)))
            .cloned()
            .collect();
        groups.insert(group);
    }
    groups.into_iter().collect()
}

#[test]
fn no_crate_has_an_import_circle() {
    let mut found = Vec::new();
    let mut modules_seen = 0;
    for dir in crate_dirs() {
        let graph = module_graph(&dir);
        modules_seen += graph.len();
        for group in circles(&graph) {
            found.push(format!("{}: {}", dir.display(), group.join(" ↔ ")));
        }
    }
    assert!(modules_seen > 40, "only {modules_seen} modules were read");
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

#[test]
fn the_circle_finder_finds_a_circle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(from, to)| {
        (
            from.to_string(),
            to.into_iter().map(str::to_string).collect(),
        )
    })
    .collect();
    assert_eq!(circles(&graph), vec![vec!["a", "b", "c"]]);
    let names = crate_references("use crate::{a::X, b::{Y, Z}};\nlet v = crate::c::f();");
    assert_eq!(names, ["a", "b", "c"].map(String::from).into());
}

#[test]
fn the_shared_http_folder_imports_no_feature() {
    let graph = module_graph(&crates_dir().join("mamori-web"));
    assert!(graph.len() > 10, "the web crate has feature folders");
    let http = graph.get("http").expect("the web crate has an http folder");
    assert!(
        http.is_empty(),
        "src/http imports feature folders: {http:?}"
    );
}

/// The name a path ends in: `http::mail::Mailer::new` → `Mailer` (a lowercase call is skipped).
fn last_segment(path: &str) -> String {
    let path: String = path
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
        .collect();
    let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    while segments.len() > 1
        && segments
            .last()
            .is_some_and(|s| s.starts_with(|c: char| c.is_ascii_lowercase()))
        && segments[segments.len() - 2].starts_with(|c: char| c.is_ascii_uppercase())
    {
        segments.pop();
    }
    segments.last().map(|s| s.to_string()).unwrap_or_default()
}

fn dependencies(crate_dir: &Path) -> String {
    let manifest = fs::read_to_string(crate_dir.join("Cargo.toml")).expect("readable");
    let start = manifest.find("[dependencies]").expect("has dependencies");
    let rest = &manifest[start + "[dependencies]".len()..];
    let end = rest.find("\n[").unwrap_or(rest.len());
    rest[..end].to_string()
}

#[test]
fn the_domain_depends_on_no_web_database_or_runtime_crate() {
    let domain = dependencies(&crates_dir().join("mamori-domain"));
    for forbidden in [
        "axum",
        "sqlx",
        "tokio",
        "tower",
        "hyper",
        "mamori-store",
        "mamori-web",
    ] {
        assert!(
            !domain
                .lines()
                .any(|line| line.trim_start().starts_with(forbidden)),
            "mamori-domain depends on {forbidden}"
        );
    }
}

#[test]
fn the_binary_takes_from_the_web_crate_only_what_serves() {
    let mut files = Vec::new();
    rust_files(&crates_dir().join("mamori").join("src"), &mut files);
    let allowed = [
        "router",
        "AppState",
        "WebConfig",
        "parse_public_url",
        "Mailer",
        "spawn_counters",
    ];
    let mut taken = BTreeSet::new();
    for file in files {
        let code = code_of(&fs::read_to_string(&file).expect("readable"));
        for (at, _) in code.match_indices("mamori_web::") {
            let rest = &code[at + "mamori_web::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                taken.extend(
                    group[..end]
                        .split(',')
                        .map(|item| last_segment(item.trim())),
                );
            } else {
                taken.insert(last_segment(rest));
            }
        }
    }
    assert!(!taken.is_empty(), "the binary serves through mamori_web");
    let extra: Vec<&String> = taken
        .iter()
        .filter(|name| !name.is_empty() && !allowed.contains(&name.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "the binary takes {extra:?} from mamori_web"
    );
}

//! Every sentence a user reads lives in `locales/`: this test fails on a Japanese literal in
//! the Rust code or the templates of any crate, outside comments and test code, except in
//! the files listed in `KNOWN` — each with how many lines of Japanese it holds and which data
//! they are (what a parser matches, official names, demo records). The count must match
//! exactly, so a new sentence in any of them fails the test too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The files that hold Japanese in code, how many lines, and why.
const KNOWN: &[(&str, usize, &str)] = &[
    (
        "crates/mamori-app/src/demo.rs",
        116,
        "data: the demo records (names of fictional institutions and people)",
    ),
    (
        "crates/mamori-catalog/src/incident.rs",
        1,
        "data: the official Japanese term cited in an English error for the catalog's maintainer",
    ),
    (
        "crates/mamori-catalog/src/lib.rs",
        1,
        "data: the official Japanese term cited in an English error for the catalog's maintainer",
    ),
    (
        "crates/mamori-catalog/src/roles.rs",
        1,
        "data: the official Japanese term cited in an English error for the catalog's maintainer",
    ),
    (
        "crates/mamori-catalog/src/training.rs",
        1,
        "data: the official Japanese term cited in an English error for the catalog's maintainer",
    ),
    (
        "crates/mamori-domain/src/answer.rs",
        4,
        "data: はい / いいえ as typed in imports",
    ),
    (
        "crates/mamori-domain/src/assurance/program.rs",
        2,
        "data: the prefecture-name endings the prefecture parser strips",
    ),
    (
        "crates/mamori-domain/src/assurance/ranking.rs",
        8,
        "data: the short labels and 「その他（…）」 spellings the rank-reason parser reads",
    ),
    (
        "crates/mamori-domain/src/contact_chart/hours.rs",
        6,
        "data: the words and separators the hours parser reads",
    ),
    (
        "crates/mamori-domain/src/contact_chart/phone.rs",
        3,
        "data: number prefixes",
    ),
    (
        "crates/mamori-domain/src/continuity.rs",
        1,
        "data: the wording 策定予定 matched in a checklist item's text",
    ),
    (
        "crates/mamori-domain/src/device/choice.rs",
        40,
        "data: the spellings of choices read from uploaded ledgers",
    ),
    (
        "crates/mamori-domain/src/device/column.rs",
        107,
        "data: the column headings recognised in uploaded ledgers",
    ),
    (
        "crates/mamori-domain/src/device/key.rs",
        3,
        "data: words matched in device names",
    ),
    (
        "crates/mamori-domain/src/device/row.rs",
        3,
        "data: spellings read from uploaded ledgers",
    ),
    (
        "crates/mamori-domain/src/device_risk/upkeep.rs",
        1,
        "data: the title of the MHLW notice cited as a source",
    ),
    (
        "crates/mamori-domain/src/device_risk/words.rs",
        3,
        "data: words matched in device names",
    ),
    (
        "crates/mamori-domain/src/prefecture.rs",
        47,
        "data: the names of the 47 prefectures (JIS X 0401)",
    ),
    (
        "crates/mamori-domain/src/vendor/mod.rs",
        20,
        "data: the spellings of system kinds read from spreadsheets",
    ),
    (
        "crates/mamori-domain/src/wareki.rs",
        22,
        "data: era names and the date forms written and read",
    ),
    (
        "crates/mamori-reports/src/assurance_list/mod.rs",
        5,
        "data: the titles and sheet names of the official forms (別紙1, 別紙2)",
    ),
    (
        "crates/mamori-reports/src/assurance_list/quota.rs",
        12,
        "data: the words the quota import reads in band headers (以上, 未満 …), prefecture column headings and total rows",
    ),
    (
        "crates/mamori-reports/src/assurance_list/ranking.rs",
        6,
        "data: the column headings the ranking import matches",
    ),
    (
        "crates/mamori-reports/src/contact_chart_svg/text.rs",
        8,
        "data: the punctuation and company forms the line breaker matches",
    ),
    (
        "crates/mamori-reports/src/ledger/header.rs",
        1,
        "data: the headings of a row-number column the ledger import skips",
    ),
    (
        "crates/mamori-reports/src/ledger/mod.rs",
        1,
        "data: the sheet name of the exported ledger, the same in both languages so that exports compare",
    ),
    (
        "crates/mamori-web/src/checklist/api.rs",
        1,
        "data: an OpenAPI parameter's example",
    ),
    (
        "crates/mamori-web/src/contact_chart/editor.rs",
        1,
        "data: the list separators a user may type",
    ),
    (
        "crates/mamori-web/src/http/api.rs",
        1,
        "data: the OpenAPI document's title",
    ),
    (
        "crates/mamori-web/src/support/api.rs",
        1,
        "data: the units a user may type after a number (円, 床)",
    ),
    (
        "crates/mamori-web/src/vendors/api.rs",
        4,
        "data: the scope words the vendor API accepts",
    ),
    (
        "crates/mamori-web/src/vendors/pages.rs",
        1,
        "data: the list separators a user may type",
    ),
    (
        "crates/mamori-web/templates/base.html",
        1,
        "data: the logo mark 守 (hidden from screen readers)",
    ),
    (
        "crates/mamori/src/bench.rs",
        1,
        "data: the names of the benchmark's made-up institutions",
    ),
    (
        "crates/mamori/src/bench_ledger.rs",
        12,
        "data: the benchmark's made-up devices and hospitals",
    ),
    (
        "crates/mamori/src/bench_oversight.rs",
        2,
        "data: the names of the benchmark's made-up institutions and a search for them",
    ),
    (
        "crates/mamori/src/bench_memory.rs",
        1,
        "data: the name of the benchmark's made-up hospital",
    ),
    (
        "crates/mamori/src/bench_selection.rs",
        4,
        "data: the benchmark's made-up programme, hospitals and contact",
    ),
];

fn is_japanese(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}' | '\u{ff01}'..='\u{ff5e}')
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            // Test folders hold the expected text on purpose.
            if path.file_name().is_some_and(|n| n == "tests") {
                continue;
            }
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext)
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
}

/// The code of a Rust file a user's text could come from: before its test module, without
/// comments.
fn rust_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let end = (0..lines.len())
        .find(|&i| {
            lines[i].trim() == "#[cfg(test)]"
                && lines[i + 1..]
                    .iter()
                    .find(|l| !l.trim().is_empty())
                    .is_some_and(|l| {
                        // A test module written here, not `mod tests;` (its file is skipped).
                        let l = l.trim();
                        l.ends_with('{')
                            && ["mod ", "pub mod ", "pub(crate) mod "]
                                .iter()
                                .any(|m| l.starts_with(m))
                    })
        })
        .unwrap_or(lines.len());
    lines
        .into_iter()
        .take(end)
        .enumerate()
        .map(|(n, line)| (n + 1, line))
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .map(|(n, line)| (n, line.split_once(" // ").map_or(line, |(code, _)| code)))
}

/// The lines of a template outside `{# … #}` comments.
fn template_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_comment = false;
    for (n, line) in text.lines().enumerate() {
        let mut kept = String::new();
        let mut rest = line;
        loop {
            if in_comment {
                match rest.split_once("#}") {
                    Some((_, after)) => {
                        in_comment = false;
                        rest = after;
                    }
                    None => break,
                }
            } else {
                match rest.split_once("{#") {
                    Some((before, after)) => {
                        kept.push_str(before);
                        in_comment = true;
                        rest = after;
                    }
                    None => {
                        kept.push_str(rest);
                        break;
                    }
                }
            }
        }
        out.push((n + 1, kept));
    }
    out
}

#[test]
fn no_japanese_literal_outside_the_locale_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().expect("the workspace root");
    let mut rust = Vec::new();
    let mut templates = Vec::new();
    for entry in std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .flatten()
    {
        files(&entry.path().join("src"), "rs", &mut rust);
        files(&entry.path().join("templates"), "html", &mut templates);
    }
    assert!(
        rust.len() > 50 && !templates.is_empty(),
        "the scan found the code"
    );
    let relative = |path: &Path| {
        path.strip_prefix(&root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    };
    let mut counts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in &rust {
        let text = std::fs::read_to_string(path).expect("a source file");
        for (n, line) in rust_lines(&text) {
            if line.chars().any(is_japanese) {
                counts
                    .entry(relative(path))
                    .or_default()
                    .push(format!("{n}: {}", line.trim()));
            }
        }
    }
    for path in &templates {
        let text = std::fs::read_to_string(path).expect("a template");
        for (n, line) in template_lines(&text) {
            if line.chars().any(is_japanese) {
                counts
                    .entry(relative(path))
                    .or_default()
                    .push(format!("{n}: {}", line.trim()));
            }
        }
    }
    let mut wrong = Vec::new();
    for (file, lines) in &counts {
        let allowed = KNOWN
            .iter()
            .find(|(known, _, _)| known == file)
            .map_or(0, |(_, n, _)| *n);
        if lines.len() != allowed {
            wrong.push(format!(
                "{file}: {} line(s) of Japanese, {allowed} known\n  {}",
                lines.len(),
                lines.join("\n  ")
            ));
        }
    }
    for (file, allowed, _) in KNOWN {
        if !counts.contains_key(*file) {
            wrong.push(format!(
                "{file}: no Japanese left, {allowed} known: take it off KNOWN"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "a sentence belongs in a Fluent message in crates/mamori-locale/locales (if it is \
         data, or a sentence was moved out, correct KNOWN):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_known_file_exists_and_holds_only_data() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (file, _, why) in KNOWN {
        assert!(
            root.join(file).is_file(),
            "{file} is gone: take it off KNOWN"
        );
        // Only data may stay in code: a sentence or label a user reads is a Fluent message.
        assert!(
            why.starts_with("data: "),
            "{file}: only data (what a parser matches, official names, demo records) may stay in code"
        );
    }
}

/// Keys that code builds from a value (`format!("flag-{code}")`), so they never appear whole.
const BUILT_KEY_PREFIXES: &[&str] = &["flag-"];

#[test]
fn every_message_is_used() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut sources = Vec::new();
    for entry in std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .flatten()
    {
        files(&entry.path().join("src"), "rs", &mut sources);
        files(&entry.path().join("templates"), "html", &mut sources);
    }
    let code: String = sources
        .iter()
        .map(|path| std::fs::read_to_string(path).expect("a source file"))
        .collect();
    let locales = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales/ja");
    let mut unused = Vec::new();
    for entry in std::fs::read_dir(&locales).expect("locales/ja").flatten() {
        let text = std::fs::read_to_string(entry.path()).expect("a .ftl file");
        let resource = match fluent_syntax::parser::parse(text.as_str()) {
            Ok(resource) => resource,
            Err((resource, _)) => resource,
        };
        for item in resource.body {
            if let fluent_syntax::ast::Entry::Message(message) = item {
                let key = message.id.name;
                let built = BUILT_KEY_PREFIXES.iter().any(|p| key.starts_with(p));
                if !built && !code.contains(&format!("\"{key}\"")) {
                    unused.push(format!("{}: {key}", entry.file_name().to_string_lossy()));
                }
            }
        }
    }
    assert!(
        unused.is_empty(),
        "messages no code uses:\n{}",
        unused.join("\n")
    );
}

//! The OpenAPI document mamori serves is committed as `docs/openapi.json`, so that every
//! change of the API shows up in review as a change of that file. After an intended change,
//! `MAMORI_UPDATE_SNAPSHOT=1 cargo test -p mamori-web --test http openapi_snapshot` rewrites
//! it; commit the result with the change.

use super::*;

on_both_engines!(the_served_openapi_document_is_the_committed_one,);

/// The committed copy, as the repository names it.
const SNAPSHOT_NAME: &str = "docs/openapi.json";
const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
/// At most this many differences are listed.
const SHOWN: usize = 20;

fn update_requested() -> bool {
    std::env::var("MAMORI_UPDATE_SNAPSHOT").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The document as committed: pretty-printed, one trailing newline.
fn snapshot_text(spec: &Value) -> String {
    let mut text = serde_json::to_string_pretty(spec).expect("serialise");
    text.push('\n');
    text
}

/// Writes the copy through a file beside it, so that a reader never sees half of it.
fn write_snapshot(text: &str) {
    let scratch = format!("{SNAPSHOT}.{}.tmp", std::process::id());
    std::fs::write(&scratch, text).expect("write the copy");
    std::fs::rename(&scratch, SNAPSHOT).expect("replace the copy");
}

/// A JSON pointer segment (`~` and `/` escaped).
fn segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Where `committed` and `served` differ, as JSON pointers.
fn differences(at: &str, committed: &Value, served: &Value, out: &mut Vec<String>) {
    if out.len() > SHOWN {
        return;
    }
    match (committed, served) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let here = format!("{at}/{}", segment(key));
                match b.get(key) {
                    Some(other) => differences(&here, value, other, out),
                    None => out.push(format!("{here}: removed")),
                }
            }
            for key in b.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("{at}/{}: added", segment(key)));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(&format!("{at}/{i}"), x, y, out);
            }
        }
        (a, b) if a != b => out.push(format!(
            "{}: {} → {}",
            if at.is_empty() { "/" } else { at },
            short(a),
            short(b)
        )),
        _ => {}
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

async fn the_served_openapi_document_is_the_committed_one(app: &TestApp) {
    let r = app
        .get("/api/openapi.json")
        .await
        .assert_status(StatusCode::OK);
    let served = r.json();
    let committed = std::fs::read_to_string(SNAPSHOT).ok();
    let committed_spec = committed
        .as_deref()
        .and_then(|text| serde_json::from_str::<Value>(text).ok());
    let text = snapshot_text(&served);
    if update_requested() {
        if committed.as_deref() != Some(text.as_str()) {
            write_snapshot(&text);
        }
        return;
    }
    let how = format!(
        "If the change is intended, rewrite the copy with\n\n    \
         MAMORI_UPDATE_SNAPSHOT=1 cargo test -p mamori-web --test http openapi_snapshot\n\n\
         and commit {SNAPSHOT_NAME} with the change."
    );
    let Some(committed_spec) = committed_spec else {
        panic!("{SNAPSHOT_NAME} is missing or is not JSON. {how}");
    };
    let mut found = Vec::new();
    differences("", &committed_spec, &served, &mut found);
    if found.len() > SHOWN {
        found.truncate(SHOWN);
        found.push("…".into());
    }
    assert!(
        found.is_empty(),
        "The OpenAPI document mamori serves differs from {SNAPSHOT_NAME}:\n\n  {}\n\n{how}",
        found.join("\n  ")
    );
    assert_eq!(
        committed.as_deref(),
        Some(text.as_str()),
        "{SNAPSHOT_NAME} has the served content but not its layout (pretty-printed JSON, \
         one trailing newline). {how}"
    );
}

use super::*;
use std::collections::BTreeSet;

fn listed(lang: Lang) -> BTreeSet<&'static str> {
    keys(lang).into_iter().collect()
}

#[test]
fn japanese_and_english_have_the_same_messages() {
    let ja = listed(Lang::Ja);
    let en = listed(Lang::En);
    assert!(ja.len() > 50, "the Japanese files hold the sentences");
    let only_ja: Vec<_> = ja.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&ja).collect();
    assert!(
        only_ja.is_empty() && only_en.is_empty(),
        "only in ja: {only_ja:?}; only in en: {only_en:?}"
    );
}

#[test]
fn every_file_on_disk_is_listed_and_parses_in_both_languages() {
    for lang in Lang::ALL {
        let dir = format!("{}/locales/{}", env!("CARGO_MANIFEST_DIR"), lang.code());
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".ftl"))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = FILES
            .iter()
            .map(|(name, _, _)| format!("{name}.ftl"))
            .collect();
        listed.sort();
        assert_eq!(on_disk, listed, "{dir}");
        for (name, ja, en) in FILES {
            let source = if lang == Lang::Ja { ja } else { en };
            if let Err((_, errors)) = fluent_syntax::parser::parse(*source) {
                panic!("{dir}/{name}.ftl: {errors:?}");
            }
        }
    }
    // Building the bundles panics on a message defined twice across files.
    assert_eq!(text(Lang::Ja, "nav-logout"), "ログアウト");
}

#[test]
fn plain_messages_and_messages_with_arguments_resolve_in_the_reader_s_language() {
    assert_eq!(Lang::Ja.text("nav-logout"), "ログアウト");
    assert_eq!(Lang::En.text("nav-logout"), "Log out");
    assert_eq!(Lang::Ja.text("no-such-message"), "no-such-message");
    assert_eq!(Lang::parse("fr"), None);
    assert_eq!(Message::new("nav-logout").render(Lang::En), "Log out");
}

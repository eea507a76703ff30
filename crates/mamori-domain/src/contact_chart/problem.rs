//! A problem with one field of an input, named by its path, and the folding of what people
//! type before it is checked.

use std::fmt;

use serde::Serialize;

/// A problem with one field of an input, with its path (`internal[2].phones[0]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    pub path: String,
    pub code: &'static str,
    pub message_ja: String,
    pub message_en: String,
}

impl FieldProblem {
    pub fn new(
        path: impl Into<String>,
        code: &'static str,
        ja: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            code,
            message_ja: ja.into(),
            message_en: en.into(),
        }
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message_en)
    }
}

/// Folds full-width ASCII (ＡＢＣ０１２＠＋), the ideographic space and the dashes Japanese
/// input methods produce (－ ― ‐ − …) into plain ASCII. The long-vowel mark ー is left alone
/// here (it is part of words like オーダリング); phone numbers fold it themselves.
pub(crate) fn fold_full_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' => '-',
            _ => c,
        })
        .collect()
}

//! A problem with one field of an input, named by its path.

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

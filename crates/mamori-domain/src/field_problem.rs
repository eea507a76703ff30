//! A problem with one field of an input, named by its path.

use std::fmt;

use mamori_locale::{Lang, Message};
use serde::Serialize;
use serde::ser::SerializeStruct;

/// A problem with one field of an input, with its path (`internal[2].phones[0]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub path: String,
    pub code: &'static str,
    pub message: Message,
}

impl FieldProblem {
    pub fn new(path: impl Into<String>, code: &'static str, message: Message) -> Self {
        Self {
            path: path.into(),
            code,
            message,
        }
    }
}

/// Sent as JSON with the message in both languages, as the API has always sent it.
impl Serialize for FieldProblem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("FieldProblem", 4)?;
        s.serialize_field("path", &self.path)?;
        s.serialize_field("code", self.code)?;
        s.serialize_field("message_ja", &self.message.render(Lang::Ja))?;
        s.serialize_field("message_en", &self.message.render(Lang::En))?;
        s.end()
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message.render(Lang::En))
    }
}

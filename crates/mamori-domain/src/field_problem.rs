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

/// A day typed into `field` that must be given and not be after `today`: the problem says
/// which (`required_key`, `future_key`, or the date's own message).
pub fn required_past_date(
    field: &'static str,
    text: &str,
    today: chrono::NaiveDate,
    required_key: &'static str,
    future_key: &'static str,
) -> Result<chrono::NaiveDate, FieldProblem> {
    if text.trim().is_empty() {
        return Err(FieldProblem::new(
            field,
            "required",
            Message::new(required_key),
        ));
    }
    match crate::answer::parse_date(field, text) {
        Ok(d) if d > today => Err(FieldProblem::new(
            field,
            "in_future",
            Message::new(future_key).with("date", d.to_string()),
        )),
        Ok(d) => Ok(d),
        Err(e) => Err(FieldProblem::new(field, "invalid_date", e.message)),
    }
}

/// The last part of a path a browser may send as a file's name (`C:\fakepath\MDS.pdf`),
/// without control characters.
pub fn clean_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    last.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_owned()
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

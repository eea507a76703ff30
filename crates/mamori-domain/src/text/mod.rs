//! Text a user typed or a file carried. Control characters have no place in a name, a note
//! or a code: PostgreSQL refuses U+0000 in `text` outright, and the others (escape
//! sequences, C1 controls) only hide what a reader sees. Tab and line breaks are text.

use serde::{Deserialize, Deserializer, Serialize};

pub mod fold;

/// Where text first breaks the rule: the character's position (counted in characters, from
/// 0) and the character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForbiddenCharacter {
    pub position: usize,
    pub character: char,
}

impl ForbiddenCharacter {
    /// The character as people write it in a message: `U+0000`.
    pub fn code_point(&self) -> String {
        format!("U+{:04X}", u32::from(self.character))
    }
}

/// Whether `c` may stand in user-entered text: anything but a control character, except tab,
/// line feed and carriage return (browsers send a textarea's line breaks as CR LF).
pub fn is_allowed(c: char) -> bool {
    !c.is_control() || matches!(c, '\t' | '\n' | '\r')
}

/// The first character of `text` that may not stand in user-entered text, if any.
pub fn first_forbidden(text: &str) -> Option<ForbiddenCharacter> {
    // Most text is plain ASCII letters and Japanese: one pass over the bytes finds no
    // control byte (< 0x20, 0x7F, or the UTF-8 lead byte 0xC2 of the C1 controls).
    if !text.bytes().any(|b| b < 0x20 || b == 0x7F || b == 0xC2) {
        return None;
    }
    text.chars()
        .enumerate()
        .find(|(_, c)| !is_allowed(*c))
        .map(|(position, character)| ForbiddenCharacter {
            position,
            character,
        })
}

/// Text checked to hold no control character other than tab and line breaks. Rust strings
/// cannot hold a lone surrogate, and the JSON and form readers refuse or replace one before
/// text gets here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UserText(String);

impl UserText {
    pub fn new(text: impl Into<String>) -> Result<Self, ForbiddenCharacter> {
        let text = text.into();
        match first_forbidden(&text) {
            Some(bad) => Err(bad),
            None => Ok(Self(text)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::ops::Deref for UserText {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UserText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for UserText {
    type Error = ForbiddenCharacter;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::new(text)
    }
}

impl<'de> Deserialize<'de> for UserText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::new(text).map_err(|bad| {
            serde::de::Error::custom(format!(
                "control character {} at position {}",
                bad.code_point(),
                bad.position
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_tabs_and_line_breaks_are_text() {
        for ok in [
            "",
            "みなと中央病院",
            "line one\nline two",
            "a\tb",
            "windows\r\nline",
            "é ü ß ＡＢＣ 令和８年",
            "emoji 🏥",
        ] {
            assert_eq!(first_forbidden(ok), None, "{ok:?}");
            assert!(UserText::new(ok).is_ok());
        }
    }

    #[test]
    fn control_characters_are_found_where_they_are() {
        let cases = [
            ("demo\u{0}", 4, '\u{0}'),
            ("\u{1b}[31mred", 0, '\u{1b}'),
            ("病院\u{7f}", 2, '\u{7f}'),
            ("C1 \u{85} next line", 3, '\u{85}'),
            ("bell\u{7}", 4, '\u{7}'),
            ("\u{8}back", 0, '\u{8}'),
        ];
        for (text, position, character) in cases {
            assert_eq!(
                first_forbidden(text),
                Some(ForbiddenCharacter {
                    position,
                    character
                }),
                "{text:?}"
            );
        }
        assert_eq!(
            UserText::new("a\u{0}").expect_err("refused").code_point(),
            "U+0000"
        );
    }

    #[test]
    fn the_fast_path_does_not_miss_c1_controls() {
        // U+0080..U+009F are C2 80..C2 9F in UTF-8; U+00A0 and up (C2 A0..) are text.
        for c in '\u{80}'..='\u{9f}' {
            assert!(first_forbidden(&c.to_string()).is_some(), "{c:?}");
        }
        assert_eq!(first_forbidden("\u{a0}\u{a9}"), None);
    }

    #[test]
    fn deserializing_refuses_control_characters() {
        let ok: UserText = serde_json::from_str("\"病院\\n名\"").expect("text");
        assert_eq!(ok.as_str(), "病院\n名");
        assert!(serde_json::from_str::<UserText>("\"a\\u0000b\"").is_err());
        assert!(serde_json::from_str::<UserText>("\"\\ud800\"").is_err());
    }
}

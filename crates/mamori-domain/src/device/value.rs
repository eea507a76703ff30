//! The values a cell holds: 管理番号 ([`AssetNumber`]), versions as written, software.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::key::{is_blank, shown};
use crate::ParseError;
use crate::text::fold::fold_width;

/// 管理番号: the institution's own number for a device, unique within the institution.
/// Stored trimmed, with full-width letters and digits folded to half-width.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AssetNumber(pub(super) String);

impl AssetNumber {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let folded = fold_width(text.trim());
        let folded = folded.trim();
        if folded.is_empty() {
            return Err(ParseError::new(
                "asset_number",
                mamori_locale::Message::new("domain-device-parse-asset-number-empty-every"),
            ));
        }
        check_length_and_controls(
            "asset_number",
            folded,
            Self::MAX_CHARS,
            [
                "domain-device-parse-asset-number-too-long",
                "domain-device-parse-asset-number-contain-line",
            ],
        )?;
        Ok(Self(folded.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::text_conversions!(AssetNumber, |number| number.0);

impl std::fmt::Display for AssetNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Refuses a folded cell of more than `max` characters, or one holding a control character
/// such as a line break; `keys` are the messages of the two refusals, in that order.
fn check_length_and_controls(
    field: &'static str,
    folded: &str,
    max: usize,
    [too_long, control]: [&'static str; 2],
) -> Result<(), ParseError> {
    // A character takes at least one byte: short texts need no counting.
    if folded.len() > max && folded.chars().count() > max {
        return Err(ParseError::new(
            field,
            mamori_locale::Message::new(too_long)
                .with("folded", crate::arg(shown(folded)))
                .with("max", crate::arg(max)),
        ));
    }
    // Controls are single bytes below 0x20 or DEL, or U+0080..U+009F (0xC2 first).
    let suspicious = folded.bytes().any(|b| b < 0x20 || b == 0x7F || b == 0xC2);
    if suspicious && folded.chars().any(char::is_control) {
        return Err(ParseError::new(
            field,
            mamori_locale::Message::new(control).with("folded", crate::arg(shown(folded))),
        ));
    }
    Ok(())
}

/// A version as written: `2.0`, `Ver.3.1`, `10.0.19045`, `令和6年版`. Never refused; when it
/// is only numbers, [`Version::numeric_parts`] reads them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Version(pub(super) String);

impl Version {
    pub const MAX_CHARS: usize = 100;

    /// `None` for a blank text. Full-width letters and digits are folded to half-width.
    pub fn parse(field: &'static str, text: &str) -> Result<Option<Self>, ParseError> {
        if is_blank(text) {
            return Ok(None);
        }
        let folded = fold_width(text.trim());
        let folded = folded.trim();
        check_length_and_controls(
            field,
            folded,
            Self::MAX_CHARS,
            [
                "domain-device-parse-version-too-long-most",
                "domain-device-parse-version-contain-line-breaks",
            ],
        )?;
        Ok(Some(Self(folded.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The numbers of a version made only of numbers and dots, after an optional `v`,
    /// `ver`, `ver.` or `version`: `2.0` is `[2, 0]`, `Ver.10.0.19045` is `[10, 0, 19045]`;
    /// `2.0 SP1` and `令和6年版` are `None`.
    pub fn numeric_parts(&self) -> Option<Vec<u64>> {
        let lower = self.0.to_ascii_lowercase();
        let mut rest = lower.as_str();
        for prefix in ["version", "ver.", "ver", "v"] {
            if let Some(r) = rest.strip_prefix(prefix) {
                rest = r.trim_start();
                break;
            }
        }
        if rest.is_empty() {
            return None;
        }
        rest.split('.')
            .map(|part| {
                if part.is_empty() || part.len() > 18 || !part.bytes().all(|b| b.is_ascii_digit()) {
                    None
                } else {
                    part.parse().ok()
                }
            })
            .collect()
    }

    /// Compares two versions by their numbers (`2.10` is newer than `2.9`; missing parts
    /// count as 0); `None` when either is not only numbers.
    pub fn compare(&self, other: &Version) -> Option<Ordering> {
        let (a, b) = (self.numeric_parts()?, other.numeric_parts()?);
        let len = a.len().max(b.len());
        let part = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
        Some(
            (0..len)
                .map(|i| part(&a, i).cmp(&part(&b, i)))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal),
        )
    }
}

impl TryFrom<String> for Version {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("version", &value)?.ok_or_else(|| {
            ParseError::new(
                "version",
                mamori_locale::Message::new("domain-device-parse-version-empty"),
            )
        })
    }
}

impl From<Version> for String {
    fn from(value: Version) -> Self {
        value.0
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One software entry of a device: ソフトウェア and its ソフトウェアバージョン.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Software {
    /// Never empty, one line.
    pub name: String,
    pub version: Option<Version>,
}

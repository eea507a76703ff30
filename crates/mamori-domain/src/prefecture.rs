//! 都道府県, identified by their JIS X 0401 codes 01–47.

use serde::{Deserialize, Serialize};

use crate::ParseError;

/// (JIS X 0401 code order) Japanese name, English name.
const PREFECTURES: [(&str, &str); 47] = [
    ("北海道", "Hokkaido"),
    ("青森県", "Aomori"),
    ("岩手県", "Iwate"),
    ("宮城県", "Miyagi"),
    ("秋田県", "Akita"),
    ("山形県", "Yamagata"),
    ("福島県", "Fukushima"),
    ("茨城県", "Ibaraki"),
    ("栃木県", "Tochigi"),
    ("群馬県", "Gunma"),
    ("埼玉県", "Saitama"),
    ("千葉県", "Chiba"),
    ("東京都", "Tokyo"),
    ("神奈川県", "Kanagawa"),
    ("新潟県", "Niigata"),
    ("富山県", "Toyama"),
    ("石川県", "Ishikawa"),
    ("福井県", "Fukui"),
    ("山梨県", "Yamanashi"),
    ("長野県", "Nagano"),
    ("岐阜県", "Gifu"),
    ("静岡県", "Shizuoka"),
    ("愛知県", "Aichi"),
    ("三重県", "Mie"),
    ("滋賀県", "Shiga"),
    ("京都府", "Kyoto"),
    ("大阪府", "Osaka"),
    ("兵庫県", "Hyogo"),
    ("奈良県", "Nara"),
    ("和歌山県", "Wakayama"),
    ("鳥取県", "Tottori"),
    ("島根県", "Shimane"),
    ("岡山県", "Okayama"),
    ("広島県", "Hiroshima"),
    ("山口県", "Yamaguchi"),
    ("徳島県", "Tokushima"),
    ("香川県", "Kagawa"),
    ("愛媛県", "Ehime"),
    ("高知県", "Kochi"),
    ("福岡県", "Fukuoka"),
    ("佐賀県", "Saga"),
    ("長崎県", "Nagasaki"),
    ("熊本県", "Kumamoto"),
    ("大分県", "Oita"),
    ("宮崎県", "Miyazaki"),
    ("鹿児島県", "Kagoshima"),
    ("沖縄県", "Okinawa"),
];

/// A prefecture by its two-digit JIS X 0401 code ("13" is Tokyo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Prefecture(u8);

impl Prefecture {
    pub fn parse(code: &str) -> Result<Self, ParseError> {
        let trimmed = code.trim();
        match trimmed.parse::<u8>() {
            Ok(n) if (1..=47).contains(&n) && (trimmed.len() == 2 || trimmed.len() == 1) => {
                Ok(Self(n))
            }
            _ => Err(ParseError::new(
                "prefecture",
                mamori_locale::Message::new("domain-parse-prefecture-code-jis-x")
                    .with("code", crate::arg(code)),
            )),
        }
    }

    pub fn all() -> impl Iterator<Item = Prefecture> {
        (1..=47u8).map(Prefecture)
    }

    /// The two-digit code, "01"–"47".
    pub fn code(self) -> String {
        format!("{:02}", self.0)
    }

    pub fn name_ja(self) -> &'static str {
        PREFECTURES[usize::from(self.0 - 1)].0
    }

    pub fn name_en(self) -> &'static str {
        PREFECTURES[usize::from(self.0 - 1)].1
    }
}

crate::text_conversions!(Prefecture, |prefecture| prefecture.code());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jis_codes() {
        for (code, ja, en) in [
            ("13", "東京都", "Tokyo"),
            ("46", "鹿児島県", "Kagoshima"),
            ("01", "北海道", "Hokkaido"),
            ("47", "沖縄県", "Okinawa"),
        ] {
            let prefecture = Prefecture::parse(code).expect(code);
            assert_eq!(prefecture.code(), code);
            assert_eq!(
                (prefecture.name_ja(), prefecture.name_en()),
                (ja, en),
                "{code}"
            );
        }
        for bad in ["00", "48", "x", "", "130", "-1"] {
            assert!(Prefecture::parse(bad).is_err(), "{bad} must be rejected");
        }
        assert_eq!(Prefecture::all().count(), 47);
    }
}

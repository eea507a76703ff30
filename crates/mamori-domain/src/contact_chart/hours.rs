//! When a contact can be reached (対応時間): always, a time range, or as written.

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

use crate::text::fold::fold;
use crate::{Lang, Message};

/// When a contact can be reached (受付時間).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Hours {
    /// 24時間365日
    Always,
    /// 平日 9:00〜17:00
    Weekdays { from: NaiveTime, to: NaiveTime },
    /// 毎日 9:00〜21:00
    Daily { from: NaiveTime, to: NaiveTime },
    /// Anything else, as written (e.g. 「平日9時〜17時、夜間は当番携帯」).
    Text { text: String },
}

pub(super) const HOURS_TEXT_MAX: usize = 100;

impl Hours {
    /// Reads hours as written: `24時間`, `24時間365日`, `24h`, `平日 9:00-17:00`,
    /// `平日9時〜17時`, `毎日 9:00～21:00`; anything else is kept as text. `None` for an empty
    /// text.
    pub fn parse(text: &str) -> Option<Self> {
        let folded = fold(text);
        let t = folded.trim();
        if t.is_empty() {
            return None;
        }
        let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
        let lower = compact.to_lowercase();
        if matches!(
            lower.as_str(),
            "24時間" | "24時間365日" | "24時間対応" | "24h" | "24/7" | "24h365d" | "常時" | "終日"
        ) {
            return Some(Self::Always);
        }
        let range = |rest: &str| parse_time_range(rest);
        if let Some(rest) = compact.strip_prefix("平日")
            && let Some((from, to)) = range(rest)
        {
            return Some(Self::Weekdays { from, to });
        }
        for prefix in ["毎日", "年中無休", "365日"] {
            if let Some(rest) = compact.strip_prefix(prefix)
                && let Some((from, to)) = range(rest)
            {
                return Some(Self::Daily { from, to });
            }
        }
        Some(Self::Text { text: t.to_owned() })
    }

    /// The hours as users read them.
    pub fn label(&self) -> Message {
        let range = |key, from: &NaiveTime, to: &NaiveTime| {
            Message::new(key)
                .with("from", hm(*from))
                .with("to", hm(*to))
        };
        match self {
            Self::Always => Message::new("domain-labels-hours-always"),
            Self::Weekdays { from, to } => range("domain-labels-hours-weekdays", from, to),
            Self::Daily { from, to } => range("domain-labels-hours-daily", from, to),
            Self::Text { text } => crate::bilingual(text, text),
        }
    }

    pub fn label_ja(&self) -> String {
        self.label().render(Lang::Ja)
    }

    pub fn label_en(&self) -> String {
        self.label().render(Lang::En)
    }

    /// Whether the contact answers at night and on holidays.
    pub fn is_round_the_clock(&self) -> bool {
        matches!(self, Self::Always)
    }
}

fn hm(t: NaiveTime) -> String {
    t.format("%-H:%M").to_string()
}

/// `9:00-17:00`, `9時〜17時`, `9:30～18:15`, `9-17`.
fn parse_time_range(text: &str) -> Option<(NaiveTime, NaiveTime)> {
    let t = text.trim_start_matches([':', ' ']);
    let (a, b) = t.split_once(['-', '〜', '～', '~'])?;
    let from = parse_time(a)?;
    let to = parse_time(b)?;
    (from < to).then_some((from, to))
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    let t = text.trim().trim_end_matches('分');
    let (h, m) = match t.split_once([':', '時']) {
        Some((h, m)) => (h, if m.is_empty() { "0" } else { m }),
        None => (t, "0"),
    };
    let short = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !short(h) || !short(m) {
        return None;
    }
    let hour: u32 = h.parse().ok()?;
    let minute: u32 = m.parse().ok()?;
    // 24:00 as an end is written by people; read it as 23:59.
    if hour == 24 && minute == 0 {
        return NaiveTime::from_hms_opt(23, 59, 0);
    }
    NaiveTime::from_hms_opt(hour, minute, 0)
}

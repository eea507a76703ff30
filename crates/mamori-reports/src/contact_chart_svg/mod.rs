//! The contact chart (連絡体制図) drawn as one A4 portrait page of SVG, to print and post on
//! the wall: the title with the institution and the date, the order of calls as numbered
//! boxes with arrows, then every contact — inside the institution, the contracted vendors,
//! the outside bodies — as cards with the phone numbers large.
//!
//! The page is `viewBox="0 0 210 297"` in millimetres. Everything is laid out here, with
//! text widths estimated per character (CJK full width, Latin about half), so the drawing
//! needs no font metrics: long names are wrapped and, past their line budget, shortened
//! with 「…」. When the contacts do not fit in three columns the cards become compact, then
//! four or five columns, then smaller, until the page holds them all. All text is
//! XML-escaped, and characters XML forbids are dropped.

mod call_order;
mod card;
mod header;
mod layout;
mod render;
mod svg;
#[cfg(test)]
mod tests;
mod text;

use mamori_locale::Lang;

pub use render::render_contact_chart_svg;

/// The language of the drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChartLanguage {
    #[default]
    Ja,
    En,
}

impl ChartLanguage {
    /// The message `key` in the drawing's language.
    fn text(self, key: &'static str) -> &'static str {
        self.lang().text(key)
    }

    fn lang(self) -> Lang {
        match self {
            Self::Ja => Lang::Ja,
            Self::En => Lang::En,
        }
    }
}

const PAGE_W: f64 = 210.0;
const PAGE_H: f64 = 297.0;
const MARGIN: f64 = 10.0;
const CONTENT_W: f64 = PAGE_W - 2.0 * MARGIN;
/// The footer's top: contacts end above it.
const FOOTER_TOP: f64 = PAGE_H - 8.0;
const COLUMN_GAP: f64 = 4.0;

const FONT_FAMILY: &str = "'Noto Sans CJK JP', 'Noto Sans JP', 'IPAexGothic', sans-serif";
const INK: &str = "#1a1a1a";
const MUTED: &str = "#555555";
const ALERT: &str = "#c62828";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    Internal,
    Vendor,
    Outside,
}

impl Category {
    fn color(self) -> &'static str {
        match self {
            Self::Internal => "#1f5a9e",
            Self::Vendor => "#2e7038",
            Self::Outside => "#a04a10",
        }
    }

    fn tint(self) -> &'static str {
        match self {
            Self::Internal => "#eef4fb",
            Self::Vendor => "#eef7ef",
            Self::Outside => "#fcf2ea",
        }
    }

    fn title(self, lang: ChartLanguage) -> &'static str {
        lang.text(match self {
            Self::Internal => "reports-chart-internal",
            Self::Vendor => "reports-chart-vendors",
            Self::Outside => "reports-chart-outside",
        })
    }
}

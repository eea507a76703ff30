//! The contact cards (inside the institution, the vendors, the outside bodies) and their
//! lines and heights at a given size.

use mamori_domain::contact_chart::{
    ContactChart, ContactEntry, InternalContact, OutsideContact, VendorContact,
};
use mamori_domain::vendor::VendorContract;
use mamori_locale::Message;

use super::text::{fit_line, fit_name, phone_width, text_width};
use super::{COLUMN_GAP, CONTENT_W, Category, ChartLanguage};

/// One card's content, before layout.
pub(super) struct Card {
    pub(super) category: Category,
    pub(super) step: Option<usize>,
    label: String,
    /// Used when `label` does not fit.
    short_label: Option<String>,
    pub(super) title: String,
    subtitle: String,
    phones: Vec<(String, Option<String>)>,
    email: Option<String>,
    hours: Option<String>,
    notes: String,
}

fn card_from_entry(
    category: Category,
    step: Option<usize>,
    label: String,
    entry: &ContactEntry,
    title_first: (String, String),
    lang: ChartLanguage,
) -> Card {
    Card {
        category,
        step,
        label,
        short_label: None,
        title: title_first.0,
        subtitle: title_first.1,
        phones: entry
            .phones
            .iter()
            .map(|p| {
                let ext = p.extension().map(|e| {
                    Message::new("reports-chart-extension")
                        .with("extension", e)
                        .render(lang.lang())
                });
                (p.number().to_owned(), ext)
            })
            .collect(),
        email: entry.email.as_ref().map(|e| e.as_str().to_owned()),
        hours: entry.hours.as_ref().map(|h| match lang {
            ChartLanguage::Ja => h.label_ja(),
            ChartLanguage::En => h.label_en(),
        }),
        notes: entry.notes.clone(),
    }
}

pub(super) fn internal_card(
    chart: &ContactChart,
    c: &InternalContact,
    lang: ChartLanguage,
) -> Card {
    let sep = lang.text("reports-chart-role-separator");
    let label = c
        .roles
        .iter()
        .map(|r| match lang {
            ChartLanguage::Ja => r.short_label_ja(),
            ChartLanguage::En => r.short_label_en(),
        })
        .collect::<Vec<_>>()
        .join(sep);
    let title = match (c.entry.name.is_empty(), c.title.is_empty()) {
        (false, false) => Message::new("reports-chart-name-and-title")
            .with("name", c.entry.name.as_str())
            .with("title", c.title.as_str())
            .render(lang.lang()),
        (false, true) => c.entry.name.clone(),
        (true, false) => c.title.clone(),
        (true, true) => c.entry.organisation.clone(),
    };
    let subtitle = if c.entry.name.is_empty() && c.title.is_empty() {
        String::new()
    } else {
        c.entry.organisation.clone()
    };
    card_from_entry(
        Category::Internal,
        chart.step_of_internal(c),
        label,
        &c.entry,
        (title, subtitle),
        lang,
    )
}

pub(super) fn vendor_card(
    chart: &ContactChart,
    c: &VendorContact,
    contracts: &[VendorContract],
    lang: ChartLanguage,
) -> Card {
    let contract = contracts.iter().find(|k| k.id == c.contract_id);
    let sep = lang.text("reports-chart-list-separator");
    let systems = |short: bool| {
        contract.map(|k| {
            k.systems
                .iter()
                .map(|s| match (lang, short) {
                    (ChartLanguage::Ja, _) => s.label_ja(),
                    (ChartLanguage::En, false) => s.label_en(),
                    (ChartLanguage::En, true) => s.short_label_en(),
                })
                .collect::<Vec<_>>()
                .join(sep)
        })
    };
    let short_label = systems(true).filter(|l| !l.is_empty());
    let label = systems(false)
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| lang.text("reports-chart-vendor").to_owned());
    let company = if c.entry.organisation.is_empty() {
        contract.map(|k| k.vendor_name.clone()).unwrap_or_default()
    } else {
        c.entry.organisation.clone()
    };
    let mut card = card_from_entry(
        Category::Vendor,
        chart.step_of_vendor(c),
        label,
        &c.entry,
        (company, c.entry.name.clone()),
        lang,
    );
    card.short_label = short_label;
    card
}

pub(super) fn outside_card(chart: &ContactChart, c: &OutsideContact, lang: ChartLanguage) -> Card {
    let label = match lang {
        ChartLanguage::Ja => c.body.label_ja(),
        ChartLanguage::En => c.body.label_en(),
    };
    let (title, subtitle) = if c.entry.organisation.is_empty() {
        (c.entry.name.clone(), String::new())
    } else {
        (c.entry.organisation.clone(), c.entry.name.clone())
    };
    let mut card = card_from_entry(
        Category::Outside,
        chart.step_of_outside(c),
        label.into(),
        &c.entry,
        (title, subtitle),
        lang,
    );
    card.short_label = Some(
        match lang {
            ChartLanguage::Ja => c.body.short_label_ja(),
            ChartLanguage::En => c.body.short_label_en(),
        }
        .to_owned(),
    );
    card
}

/// Sizes of one layout attempt.
#[derive(Debug, Clone, Copy)]
pub(super) struct Metrics {
    pub(super) columns: usize,
    pub(super) scale: f64,
    /// Compact cards: one title line, no notes, no e-mail.
    pub(super) compact: bool,
}

impl Metrics {
    pub(super) fn column_width(self) -> f64 {
        (CONTENT_W - COLUMN_GAP * (self.columns as f64 - 1.0)) / self.columns as f64
    }
    /// Sizes grow with the scale up to a cap: past it a larger scale only adds room.
    fn scaled(self, size: f64, cap: f64) -> f64 {
        (size * self.scale).min(cap)
    }
    pub(super) fn label(self) -> f64 {
        self.scaled(2.9, 3.6)
    }
    pub(super) fn bar(self) -> f64 {
        self.scaled(5.0, 6.4)
    }
    pub(super) fn title(self) -> f64 {
        self.scaled(3.4, 4.6)
    }
    pub(super) fn small(self) -> f64 {
        self.scaled(2.6, 3.2)
    }
    fn phone(self) -> f64 {
        self.scaled(5.4, 7.4)
    }
    fn phone2(self) -> f64 {
        self.scaled(4.2, 5.4)
    }
    pub(super) fn pad(self) -> f64 {
        self.scaled(1.4, 2.2)
    }
    pub(super) fn header(self) -> f64 {
        self.scaled(6.4, 8.0)
    }
    pub(super) fn gap(self) -> f64 {
        2.0 * self.scale
    }
}

/// A card's lines, wrapped for a width.
pub(super) struct CardLines {
    /// A line of text and its size.
    pub(super) label: (String, f64),
    pub(super) title: Vec<String>,
    pub(super) title_size: f64,
    pub(super) subtitle: Option<(String, f64)>,
    pub(super) notes: Vec<String>,
    pub(super) notes_size: f64,
    pub(super) email: Option<(String, f64)>,
    pub(super) hours: Option<(String, f64)>,
    pub(super) phones: Vec<PhoneLine>,
}

/// A phone number as drawn: never shortened; shrunk to fit the card, and its extension
/// moved under it when both do not fit on one line at a readable size.
pub(super) struct PhoneLine {
    pub(super) number: String,
    pub(super) extension: Option<String>,
    pub(super) size: f64,
    pub(super) extension_below: bool,
}

fn phone_lines(phones: &[(String, Option<String>)], m: Metrics, room: f64) -> Vec<PhoneLine> {
    phones
        .iter()
        .enumerate()
        .map(|(i, (number, extension))| {
            let nominal = if i == 0 { m.phone() } else { m.phone2() };
            let fit = |ext: Option<&str>| {
                let mut size = nominal;
                while size > 1.0 && phone_width(number, ext, size) > room {
                    size -= 0.05;
                }
                size
            };
            let inline = fit(extension.as_deref());
            let alone = fit(None);
            let extension_below = extension.is_some() && inline < alone * 0.9;
            PhoneLine {
                number: number.clone(),
                extension: extension.clone(),
                size: if extension_below { alone } else { inline },
                extension_below,
            }
        })
        .collect()
}

pub(super) fn phone_label(lang: ChartLanguage) -> &'static str {
    match lang {
        ChartLanguage::Ja => "TEL",
        ChartLanguage::En => "TEL",
    }
}

pub(super) fn card_lines(card: &Card, m: Metrics, lang: ChartLanguage) -> CardLines {
    let w = m.column_width() - 2.0 * m.pad() - 1.0;
    let badge = if card.step.is_some() {
        m.bar() + 0.5
    } else {
        0.0
    };

    let (title, title_size) = fit_name(&card.title, m.title(), w, if m.compact { 1 } else { 3 });
    let (notes, notes_size) = if m.compact {
        (Vec::new(), m.small())
    } else {
        fit_name(&card.notes, m.small() * 0.95, w, 2)
    };
    let label_room = w - badge;
    let label = match &card.short_label {
        Some(short) if text_width(&card.label, m.label() * 0.85) > label_room => {
            fit_line(short, m.label(), label_room, 0.85)
        }
        _ => fit_line(&card.label, m.label(), label_room, 0.85),
    };
    CardLines {
        label,
        title,
        title_size,
        subtitle: (!card.subtitle.trim().is_empty())
            .then(|| fit_line(&card.subtitle, m.small(), w, 0.85)),
        notes,
        notes_size,
        email: card
            .email
            .as_ref()
            .filter(|_| !m.compact)
            .map(|e| fit_line(e, m.small(), w, 0.8)),
        hours: card.hours.as_ref().map(|h| {
            let hours = Message::new("reports-chart-hours").with("hours", h.as_str());
            fit_line(&hours.render(lang.lang()), m.small(), w, 0.85)
        }),
        phones: phone_lines(
            &card.phones,
            m,
            m.column_width() - 2.0 * m.pad() - text_width(phone_label(lang), m.small()) - 1.2,
        ),
    }
}

pub(super) fn card_height(lines: &CardLines, m: Metrics) -> f64 {
    let mut h = m.bar() + m.pad();
    h += lines.title.len() as f64 * lines.title_size * 1.25;
    if lines.subtitle.is_some() {
        h += m.small() * 1.3;
    }
    for p in &lines.phones {
        h += p.size * 1.2;
        if p.extension_below {
            h += m.small() * 1.2;
        }
    }
    if lines.phones.is_empty() {
        h += m.small() * 1.4;
    }
    if lines.email.is_some() {
        h += m.small() * 1.3;
    }
    if lines.hours.is_some() {
        h += m.small() * 1.3;
    }
    h += lines.notes.len() as f64 * lines.notes_size * 1.3;
    h + m.pad()
}

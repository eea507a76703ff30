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

use std::fmt::Write as _;

use chrono::NaiveDate;
use mamori_domain::contact_chart::{
    CallStep, CallTarget, ContactChart, ContactEntry, InternalContact, InternalRole,
    OutsideContact, VendorContact,
};
use mamori_domain::vendor::VendorContract;
use mamori_domain::wareki::format_wareki;

/// The language of the drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChartLanguage {
    #[default]
    Ja,
    En,
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
        match (self, lang) {
            (Self::Internal, ChartLanguage::Ja) => "院内",
            (Self::Vendor, ChartLanguage::Ja) => "事業者（緊急連絡先）",
            (Self::Outside, ChartLanguage::Ja) => "外部関係機関",
            (Self::Internal, ChartLanguage::En) => "Inside the institution",
            (Self::Vendor, ChartLanguage::En) => "Vendors",
            (Self::Outside, ChartLanguage::En) => "Outside bodies",
        }
    }
}

// ---------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------

/// Escapes text for XML content and attribute values, dropping characters XML 1.0 forbids.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Estimated advance of a character, in em.
fn char_em(c: char) -> f64 {
    match c {
        ' ' => 0.3,
        '0'..='9' => 0.58,
        'A'..='Z' => 0.66,
        'a'..='z' => 0.56,
        '-' | '(' | ')' | '.' | ',' | ':' | ';' | '/' | '\'' | '!' | '|' | '[' | ']' => 0.38,
        c if c.is_ascii() => 0.62,
        '\u{FF61}'..='\u{FF9F}' => 0.52,
        _ => 1.0,
    }
}

fn text_width(text: &str, size: f64) -> f64 {
    text.chars().map(char_em).sum::<f64>() * size
}

/// The width of a phone number as [`Svg::phone`] draws it: bold digits a little wider,
/// 0.02 em letter-spacing, the extension at 62 %.
fn phone_width(number: &str, extension: Option<&str>, size: f64) -> f64 {
    let main = text_width(number, size) * 1.06 + 0.02 * size * number.chars().count() as f64;
    main + extension.map_or(0.0, |e| text_width(&format!(" {e}"), size * 0.62) * 1.06)
}

/// Characters that must not start a line (行頭禁則).
fn no_line_start(c: char) -> bool {
    matches!(
        c,
        '、' | '。'
            | '，'
            | '．'
            | '）'
            | '」'
            | '』'
            | '】'
            | '・'
            | 'ー'
            | '〜'
            | '…'
            | ')'
            | ','
            | '.'
            | ':'
            | ';'
    )
}

/// Splits text into units that stay together: a Latin word (with a following closing
/// mark), a space, or one CJK character (with a following closing mark).
fn units(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_ascii() && c != ' ' && !no_line_start(c) {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if no_line_start(c)
            && let Some(last) = out.last_mut()
            && last != " "
        {
            last.push(c);
        } else {
            out.push(c.to_string());
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Shortens `text` to fit `width`, ending with 「…」.
fn ellipsize(text: &str, size: f64, width: f64) -> String {
    if text_width(text, size) <= width {
        return text.to_owned();
    }
    let budget = width - text_width("…", size);
    let mut out = String::new();
    let mut used = 0.0;
    for c in text.chars() {
        let w = char_em(c) * size;
        if used + w > budget {
            break;
        }
        used += w;
        out.push(c);
    }
    format!("{}…", out.trim_end())
}

/// Wraps `text` into at most `max_lines` lines of `width`; the last line is shortened
/// with 「…」 when the text does not fit.
fn wrap(text: &str, size: f64, width: f64, max_lines: usize) -> Vec<String> {
    let text = text.trim();
    if text.is_empty() || max_lines == 0 {
        return Vec::new();
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut used = 0.0;
    let all = units(text);
    let mut rest_from = all.len();
    for (i, unit) in all.iter().enumerate() {
        let w = text_width(unit, size);
        if used + w <= width || line.is_empty() && w <= width {
            if !(line.is_empty() && unit == " ") {
                line.push_str(unit);
                used += w;
            }
            continue;
        }
        if line.is_empty() {
            // A unit wider than the line (a long Latin word): break it by characters.
            for c in unit.chars() {
                let cw = char_em(c) * size;
                if used + cw > width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    used = 0.0;
                }
                line.push(c);
                used += cw;
            }
            continue;
        }
        lines.push(std::mem::take(&mut line).trim_end().to_owned());
        used = 0.0;
        if lines.len() == max_lines {
            rest_from = i;
            break;
        }
        if unit != " " {
            line.push_str(unit);
            used = w;
        }
    }
    if lines.len() < max_lines && !line.is_empty() {
        lines.push(line.trim_end().to_owned());
    } else if lines.len() == max_lines && rest_from < all.len() {
        let rest: String = all[rest_from..].concat();
        if let Some(last) = lines.last_mut() {
            *last = ellipsize(&format!("{last}{rest}"), size, width);
        }
    }
    // Lines longer than the budget (a forced break) past max_lines are cut here.
    lines.truncate(max_lines);
    lines
}

/// Whether a line break between `before` and `after` reads naturally: at a space, after
/// 「・」 or a company form (株式会社 …), before 「（」 or a company form.
fn natural_break(before: &str, after: &str) -> bool {
    const FORMS: [&str; 4] = ["株式会社", "有限会社", "合同会社", "（株）"];
    before.ends_with([' ', '・', '）', ')'])
        || after.starts_with([' ', '（', '('])
        || FORMS
            .iter()
            .any(|f| before.ends_with(f) || after.starts_with(f))
}

/// Splits text into at most `max_lines` lines that all fit `width`: the fewest lines, then
/// the most even (the widest line as narrow as it can be); `natural_only` keeps to natural
/// breaks. Dynamic programming over the break points, so long names stay cheap.
fn split_even(
    text: &str,
    size: f64,
    width: f64,
    max_lines: usize,
    natural_only: bool,
) -> Option<Vec<String>> {
    let all = units(text.trim());
    let n = all.len();
    if n == 0 || max_lines == 0 {
        return None;
    }
    // Prefix sums of unit widths; a line drops a space unit at either end.
    let widths: Vec<f64> = all.iter().map(|u| text_width(u, size)).collect();
    let mut prefix = vec![0.0; n + 1];
    for (i, w) in widths.iter().enumerate() {
        prefix[i + 1] = prefix[i] + w;
    }
    let line_width = |a: usize, b: usize| {
        let mut w = prefix[b] - prefix[a];
        if all[a] == " " {
            w -= widths[a];
        }
        if b > a + 1 && all[b - 1] == " " {
            w -= widths[b - 1];
        }
        w
    };
    let can_break =
        |i: usize| !natural_only || natural_break(&all[..i].concat(), &all[i..].concat());
    let breaks: Vec<bool> = (0..=n).map(|i| i == 0 || i == n || can_break(i)).collect();
    // best[k][a]: the fewest lines and narrowest widest line for units a.. in at most k
    // lines, with the next break.
    let mut best: Vec<Vec<Option<(usize, f64, usize)>>> = vec![vec![None; n + 1]; max_lines + 1];
    for k in 1..=max_lines {
        for a in (0..n).rev() {
            if !breaks[a] {
                continue;
            }
            let mut choice: Option<(usize, f64, usize)> = None;
            for b in a + 1..=n {
                if !breaks[b] {
                    continue;
                }
                let w = line_width(a, b);
                if w > width {
                    break;
                }
                let candidate = if b == n {
                    Some((1, w, n))
                } else {
                    best[k - 1][b].map(|(lines, widest, _)| (lines + 1, widest.max(w), b))
                };
                if let Some(c) = candidate
                    && choice.is_none_or(|(l, wd, _)| (c.0, c.1) < (l, wd))
                {
                    choice = Some(c);
                }
            }
            best[k][a] = choice;
        }
    }
    let mut lines = Vec::new();
    let mut a = 0;
    let mut k = max_lines;
    while a < n {
        let (_, _, b) = best[k][a]?;
        lines.push(all[a..b].concat().trim().to_owned());
        a = b;
        k = k.checked_sub(1)?;
    }
    Some(lines)
}

/// Shrinks one line of text down to `min_ratio` of its size to fit `width`, then
/// shortens it. Returns the text and the size.
fn fit_line(text: &str, size: f64, width: f64, min_ratio: f64) -> (String, f64) {
    let text = text.trim();
    let mut s = size;
    while s > size * min_ratio && text_width(text, s) > width {
        s -= size * 0.02;
    }
    (ellipsize(text, s, width), s)
}

/// Fits a name into at most `max_lines` lines: one line, shrunk a little if need be;
/// else even lines, at natural breaks if they fit; else wrapped and shortened.
/// Returns the lines and the font size used.
fn fit_name(text: &str, size: f64, width: f64, max_lines: usize) -> (Vec<String>, f64) {
    let text = text.trim();
    if text.is_empty() {
        return (Vec::new(), size);
    }
    let smaller = size * 0.88;
    for s in [size, smaller] {
        if text_width(text, s) <= width {
            return (vec![text.to_owned()], s);
        }
    }
    if max_lines >= 2 {
        for natural_only in [true, false] {
            for s in [size, smaller] {
                if let Some(lines) = split_even(text, s, width, max_lines, natural_only) {
                    return (lines, s);
                }
            }
        }
    }
    (wrap(text, smaller, width, max_lines), smaller)
}

/// Joins two lines back into one, with a space between Latin words.
fn join_lines(a: &str, b: &str) -> String {
    let latin_end = a
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == ',');
    let latin_start = b.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if latin_end && latin_start {
        format!("{a} {b}")
    } else {
        format!("{a}{b}")
    }
}

/// Wraps a list of labels joined by `sep`, breaking between labels where it can.
fn wrap_items(items: &[String], sep: &str, size: f64, width: f64, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{item}{sep}")
        } else {
            item.clone()
        };
        if text_width(&format!("{line}{piece}"), size) <= width {
            line.push_str(&piece);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line).trim_end().to_owned());
        }
        if text_width(&piece, size) <= width {
            line = piece;
        } else {
            let mut broken = wrap(
                &piece,
                size,
                width,
                max_lines.saturating_sub(lines.len()).max(1),
            );
            line = broken.pop().unwrap_or_default();
            // wrap() trims: keep the separator's space before the next label.
            if piece.ends_with(' ') {
                line.push(' ');
            }
            lines.extend(broken);
        }
    }
    if !line.is_empty() {
        lines.push(line.trim_end().to_owned());
    }
    if lines.len() > max_lines {
        let rest = lines[max_lines - 1..]
            .iter()
            .fold(String::new(), |acc, l| join_lines(&acc, l));
        lines.truncate(max_lines - 1);
        lines.push(ellipsize(&rest, size, width));
    }
    lines
}

// ---------------------------------------------------------------------------------------
// Drawing primitives
// ---------------------------------------------------------------------------------------

fn n(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_owned() }
}

struct Svg {
    out: String,
}

#[derive(Clone, Copy)]
struct TextStyle<'a> {
    size: f64,
    bold: bool,
    fill: &'a str,
    anchor: &'a str,
}

impl<'a> TextStyle<'a> {
    fn new(size: f64) -> Self {
        Self {
            size,
            bold: false,
            fill: INK,
            anchor: "start",
        }
    }
    fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    fn fill(mut self, fill: &'a str) -> Self {
        self.fill = fill;
        self
    }
    fn anchor(mut self, anchor: &'a str) -> Self {
        self.anchor = anchor;
        self
    }
}

impl Svg {
    fn text(&mut self, x: f64, y: f64, style: TextStyle<'_>, text: &str) {
        let _ = writeln!(
            self.out,
            r#"<text x="{}" y="{}" font-size="{}"{}{}{}>{}</text>"#,
            n(x),
            n(y),
            n(style.size),
            if style.bold {
                r#" font-weight="bold""#
            } else {
                ""
            },
            if style.fill == INK {
                String::new()
            } else {
                format!(r#" fill="{}""#, style.fill)
            },
            if style.anchor == "start" {
                String::new()
            } else {
                format!(r#" text-anchor="{}""#, style.anchor)
            },
            escape(text)
        );
    }

    /// A phone number with its extension in a smaller size.
    fn phone(&mut self, x: f64, y: f64, size: f64, number: &str, extension: Option<&str>) {
        let ext = extension.map_or_else(String::new, |e| {
            format!(
                r#"<tspan font-size="{}" font-weight="normal"> {}</tspan>"#,
                n(size * 0.62),
                escape(e)
            )
        });
        let _ = writeln!(
            self.out,
            r#"<text x="{}" y="{}" font-size="{}" font-weight="bold" letter-spacing="0.02em">{}{}</text>"#,
            n(x),
            n(y),
            n(size),
            escape(number),
            ext
        );
    }

    /// A rectangle given as (x, y, width, height).
    fn rect(
        &mut self,
        (x, y, w, h): (f64, f64, f64, f64),
        rx: f64,
        fill: &str,
        stroke: Option<(&str, f64)>,
    ) {
        let stroke = stroke.map_or_else(String::new, |(c, sw)| {
            format!(r#" stroke="{c}" stroke-width="{}""#, n(sw))
        });
        let _ = writeln!(
            self.out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" rx="{}" fill="{fill}"{stroke}/>"#,
            n(x),
            n(y),
            n(w),
            n(h),
            n(rx)
        );
    }

    fn circle(&mut self, cx: f64, cy: f64, r: f64, fill: &str) {
        let _ = writeln!(
            self.out,
            r#"<circle cx="{}" cy="{}" r="{}" fill="{fill}"/>"#,
            n(cx),
            n(cy),
            n(r)
        );
    }

    /// A right-pointing arrow from (x1, y) to (x2, y).
    fn arrow_right(&mut self, x1: f64, x2: f64, y: f64, color: &str) {
        let head = 2.2;
        let _ = writeln!(
            self.out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{color}" stroke-width="0.9"/><polygon points="{},{} {},{} {},{}" fill="{color}"/>"#,
            n(x1),
            n(y),
            n(x2 - head),
            n(y),
            n(x2),
            n(y),
            n(x2 - head),
            n(y - head * 0.7),
            n(x2 - head),
            n(y + head * 0.7)
        );
    }

    /// A down-pointing arrow from (x, y1) to (x, y2).
    fn arrow_down(&mut self, x: f64, y1: f64, y2: f64, color: &str) {
        let head = 2.2;
        let _ = writeln!(
            self.out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{color}" stroke-width="0.9"/><polygon points="{},{} {},{} {},{}" fill="{color}"/>"#,
            n(x),
            n(y1),
            n(x),
            n(y2 - head),
            n(x),
            n(y2),
            n(x - head * 0.7),
            n(y2 - head),
            n(x + head * 0.7),
            n(y2 - head)
        );
    }
}

// ---------------------------------------------------------------------------------------
// Header
// ---------------------------------------------------------------------------------------

fn date_label(date: NaiveDate, lang: ChartLanguage) -> String {
    match lang {
        ChartLanguage::Ja => format!("{}（{}）", format_wareki(date), date.format("%Y-%m-%d")),
        ChartLanguage::En => date.format("%-d %B %Y").to_string(),
    }
}

/// Draws the header; returns where the next part starts.
fn draw_header(svg: &mut Svg, chart: &ContactChart, lang: ChartLanguage) -> f64 {
    let (title, revised, banner) = match lang {
        ChartLanguage::Ja => (
            "連絡体制図",
            "作成・改訂日",
            "サイバー攻撃・システム障害などの異常に気づいたら、番号の順にすぐ連絡してください",
        ),
        ChartLanguage::En => (
            "Incident contact chart",
            "Revised",
            "If you notice an attack or a system failure, call in the numbered order at once",
        ),
    };
    let title_size = 9.5;
    let baseline = MARGIN + 9.0;
    svg.text(MARGIN, baseline, TextStyle::new(title_size).bold(), title);
    let date = date_label(chart.revised_on, lang);
    let date_w = text_width(&date, 3.2).max(text_width(revised, 2.6));
    svg.text(
        PAGE_W - MARGIN,
        baseline - 4.6,
        TextStyle::new(2.6).fill(MUTED).anchor("end"),
        revised,
    );
    svg.text(
        PAGE_W - MARGIN,
        baseline,
        TextStyle::new(3.2).anchor("end"),
        &date,
    );
    // The institution's name takes the room between the title and the date: one line down
    // to 5 mm, else two lines beside the title, shortened only past that.
    let name_x = MARGIN + text_width(title, title_size) + 5.0;
    let room = PAGE_W - MARGIN - date_w - 4.0 - name_x;
    let name = chart.institution_name.trim();
    let mut size: f64 = 7.0;
    while size > 5.0 && text_width(name, size) > room {
        size -= 0.25;
    }
    if text_width(name, size) <= room {
        svg.text(name_x, baseline, TextStyle::new(size).bold(), name);
    } else {
        let (lines, size) = fit_name(name, 4.6, room, 2);
        let mut y = baseline - (lines.len() as f64 - 1.0) * size * 1.15;
        for line in &lines {
            svg.text(name_x, y, TextStyle::new(size).bold(), line);
            y += size * 1.15;
        }
    }
    let rule_y = baseline + 2.6;
    let _ = writeln!(
        svg.out,
        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{INK}" stroke-width="0.5"/>"#,
        n(MARGIN),
        n(rule_y),
        n(PAGE_W - MARGIN),
        n(rule_y)
    );
    let band_y = rule_y + 2.4;
    let mut band_size = 3.8;
    while band_size > 2.6 && text_width(banner, band_size) > CONTENT_W - 6.0 {
        band_size -= 0.1;
    }
    svg.rect((MARGIN, band_y, CONTENT_W, 7.0), 1.2, ALERT, None);
    svg.text(
        PAGE_W / 2.0,
        band_y + 4.9,
        TextStyle::new(band_size)
            .bold()
            .fill("#ffffff")
            .anchor("middle"),
        &ellipsize(banner, band_size, CONTENT_W - 4.0),
    );
    band_y + 7.0 + 4.0
}

// ---------------------------------------------------------------------------------------
// Call order
// ---------------------------------------------------------------------------------------

fn target_label(t: &CallTarget, contracts: &[VendorContract], lang: ChartLanguage) -> String {
    match (t, lang) {
        (CallTarget::Discoverer, ChartLanguage::Ja) => "発見者".into(),
        (CallTarget::AllVendors, ChartLanguage::Ja) => "契約事業者".into(),
        (t, ChartLanguage::Ja) => t.label_ja(contracts),
        (CallTarget::AllVendors, ChartLanguage::En) => "Contracted vendors".into(),
        (t, ChartLanguage::En) => t.label_en(contracts),
    }
}

struct StepBox {
    lines: Vec<String>,
    size: f64,
    note: Vec<String>,
}

/// A hint for a step without a note of its own, in the drawing's language.
fn step_hint(step: &CallStep, lang: ChartLanguage) -> &'static str {
    let discoverer = step.targets.contains(&CallTarget::Discoverer);
    let on_call = step
        .targets
        .iter()
        .any(|t| matches!(t, CallTarget::Internal { role } if *role == InternalRole::OnCall));
    match (discoverer, on_call, lang) {
        (true, _, ChartLanguage::Ja) => "異常に気づいたら、すぐに次の連絡先へ",
        (true, _, ChartLanguage::En) => "Call the next step at once",
        (false, true, ChartLanguage::Ja) => "夜間・休日は当番へ",
        (false, true, ChartLanguage::En) => "Nights and holidays: the on-call",
        _ => "",
    }
}

const STEP_LABEL: f64 = 3.5;
const STEP_NOTE: f64 = 2.6;
const STEP_GAP: f64 = 7.0;
const BADGE_R: f64 = 3.6;

/// Draws the order of calls as numbered boxes with arrows, at most five a row; returns
/// where the next part starts.
fn draw_call_order(
    svg: &mut Svg,
    chart: &ContactChart,
    contracts: &[VendorContract],
    lang: ChartLanguage,
    top: f64,
) -> f64 {
    if chart.call_order.is_empty() {
        return top;
    }
    let heading = match lang {
        ChartLanguage::Ja => "連絡の順番",
        ChartLanguage::En => "Order of calls",
    };
    svg.text(MARGIN, top + 3.4, TextStyle::new(3.6).bold(), heading);
    let mut y = top + 5.6;
    let steps = chart.call_order.len();
    let rows = steps.div_ceil(5);
    let per_row = steps.div_ceil(rows);
    for row in 0..rows {
        let first = row * per_row;
        let count = per_row.min(steps - first);
        let box_w = (CONTENT_W - STEP_GAP * (per_row as f64 - 1.0)) / per_row as f64;
        let text_w = box_w - 2.0 * BADGE_R - 4.0;
        let boxes: Vec<StepBox> = chart.call_order[first..first + count]
            .iter()
            .map(|step| {
                let labels: Vec<String> = step
                    .targets
                    .iter()
                    .map(|t| target_label(t, contracts, lang))
                    .collect();
                let sep = if lang == ChartLanguage::Ja {
                    "・"
                } else {
                    ", "
                };
                // The largest size at which every label shows in four lines.
                let (lines, size) = [STEP_LABEL, STEP_LABEL * 0.9, STEP_LABEL * 0.8]
                    .into_iter()
                    .map(|s| (wrap_items(&labels, sep, s, text_w, 4), s))
                    .find(|(lines, _)| !lines.iter().any(|l| l.ends_with('…')))
                    .unwrap_or_else(|| {
                        let s = STEP_LABEL * 0.8;
                        (wrap_items(&labels, sep, s, text_w, 4), s)
                    });
                let note = if step.note.trim().is_empty() {
                    step_hint(step, lang)
                } else {
                    step.note.as_str()
                };
                StepBox {
                    lines,
                    size,
                    note: fit_name(note, STEP_NOTE, text_w, 2).0,
                }
            })
            .collect();
        let h = boxes
            .iter()
            .map(|b| b.lines.len() as f64 * b.size * 1.25 + b.note.len() as f64 * STEP_NOTE * 1.3)
            .fold(2.0 * BADGE_R, f64::max)
            + 4.0;
        for (i, b) in boxes.iter().enumerate() {
            let x = MARGIN + i as f64 * (box_w + STEP_GAP);
            svg.rect((x, y, box_w, h), 1.5, "#ffffff", Some((ALERT, 0.5)));
            let cx = x + BADGE_R + 1.6;
            let cy = y + h / 2.0;
            svg.circle(cx, cy, BADGE_R, ALERT);
            svg.text(
                cx,
                cy + 1.7,
                TextStyle::new(4.8).bold().fill("#ffffff").anchor("middle"),
                &(first + i + 1).to_string(),
            );
            let content_h =
                b.lines.len() as f64 * b.size * 1.25 + b.note.len() as f64 * STEP_NOTE * 1.3;
            let mut ty = y + (h - content_h) / 2.0 + b.size;
            let tx = x + 2.0 * BADGE_R + 3.2;
            for line in &b.lines {
                svg.text(tx, ty, TextStyle::new(b.size).bold(), line);
                ty += b.size * 1.25;
            }
            ty += STEP_NOTE * 0.1;
            for line in &b.note {
                svg.text(tx, ty, TextStyle::new(STEP_NOTE).fill(MUTED), line);
                ty += STEP_NOTE * 1.3;
            }
            if i + 1 < count {
                svg.arrow_right(x + box_w + 0.8, x + box_w + STEP_GAP - 0.8, cy, ALERT);
            }
        }
        y += h;
        if row + 1 < rows {
            // Down to the next row's first box.
            let x = MARGIN + BADGE_R + 1.6;
            svg.arrow_down(x, y + 0.5, y + 5.5, ALERT);
            y += 6.0;
        }
    }
    y + 5.0
}

// ---------------------------------------------------------------------------------------
// Contact cards
// ---------------------------------------------------------------------------------------

/// One card's content, before layout.
struct Card {
    category: Category,
    step: Option<usize>,
    label: String,
    /// Used when `label` does not fit.
    short_label: Option<String>,
    title: String,
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
                let ext = p.extension().map(|e| match lang {
                    ChartLanguage::Ja => format!("内線{e}"),
                    ChartLanguage::En => format!("ext. {e}"),
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

fn internal_card(chart: &ContactChart, c: &InternalContact, lang: ChartLanguage) -> Card {
    let sep = if lang == ChartLanguage::Ja {
        "・"
    } else {
        " / "
    };
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
        (false, false) => match lang {
            ChartLanguage::Ja => format!("{}（{}）", c.entry.name, c.title),
            ChartLanguage::En => format!("{} ({})", c.entry.name, c.title),
        },
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

fn vendor_card(
    chart: &ContactChart,
    c: &VendorContact,
    contracts: &[VendorContract],
    lang: ChartLanguage,
) -> Card {
    let contract = contracts.iter().find(|k| k.id == c.contract_id);
    let sep = if lang == ChartLanguage::Ja {
        "・"
    } else {
        ", "
    };
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
        .unwrap_or_else(|| match lang {
            ChartLanguage::Ja => "事業者".into(),
            ChartLanguage::En => "Vendor".into(),
        });
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

fn outside_card(chart: &ContactChart, c: &OutsideContact, lang: ChartLanguage) -> Card {
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
struct Metrics {
    columns: usize,
    scale: f64,
    /// Compact cards: one title line, no notes, no e-mail.
    compact: bool,
}

impl Metrics {
    fn column_width(self) -> f64 {
        (CONTENT_W - COLUMN_GAP * (self.columns as f64 - 1.0)) / self.columns as f64
    }
    // Sizes grow with the scale up to a cap: past it a larger scale only adds room.
    fn label(self) -> f64 {
        (2.9 * self.scale).min(3.6)
    }
    fn bar(self) -> f64 {
        (5.0 * self.scale).min(6.4)
    }
    fn title(self) -> f64 {
        (3.4 * self.scale).min(4.6)
    }
    fn small(self) -> f64 {
        (2.6 * self.scale).min(3.2)
    }
    fn phone(self) -> f64 {
        (5.4 * self.scale).min(7.4)
    }
    fn phone2(self) -> f64 {
        (4.2 * self.scale).min(5.4)
    }
    fn pad(self) -> f64 {
        (1.4 * self.scale).min(2.2)
    }
    fn header(self) -> f64 {
        (6.4 * self.scale).min(8.0)
    }
    fn gap(self) -> f64 {
        2.0 * self.scale
    }
}

/// A card's lines, wrapped for a width.
struct CardLines {
    /// A line of text and its size.
    label: (String, f64),
    title: Vec<String>,
    title_size: f64,
    subtitle: Option<(String, f64)>,
    notes: Vec<String>,
    notes_size: f64,
    email: Option<(String, f64)>,
    hours: Option<(String, f64)>,
    phones: Vec<PhoneLine>,
}

/// A phone number as drawn: never shortened; shrunk to fit the card, and its extension
/// moved under it when both do not fit on one line at a readable size.
struct PhoneLine {
    number: String,
    extension: Option<String>,
    size: f64,
    extension_below: bool,
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

fn phone_label(lang: ChartLanguage) -> &'static str {
    match lang {
        ChartLanguage::Ja => "TEL",
        ChartLanguage::En => "TEL",
    }
}

fn card_lines(card: &Card, m: Metrics, lang: ChartLanguage) -> CardLines {
    let w = m.column_width() - 2.0 * m.pad() - 1.0;
    let badge = if card.step.is_some() {
        m.bar() + 0.5
    } else {
        0.0
    };
    let hours_prefix = match lang {
        ChartLanguage::Ja => "受付 ",
        ChartLanguage::En => "Hours: ",
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
        hours: card
            .hours
            .as_ref()
            .map(|h| fit_line(&format!("{hours_prefix}{h}"), m.small(), w, 0.85)),
        phones: phone_lines(
            &card.phones,
            m,
            m.column_width() - 2.0 * m.pad() - text_width(phone_label(lang), m.small()) - 1.2,
        ),
    }
}

fn card_height(lines: &CardLines, m: Metrics) -> f64 {
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

/// A block of the newspaper flow of cards.
enum Block {
    Header(Category, usize),
    /// Drawn when a category continues in the next column.
    ContinuedHeader(Category),
    Card(usize),
    Empty(Category),
}

struct Placed {
    block: Block,
    x: f64,
    y: f64,
    h: f64,
}

/// The laid-out page, kept so that tests can check every box lies on the page.
pub(crate) struct Layout {
    metrics: Metrics,
    placed: Vec<Placed>,
    lines: Vec<CardLines>,
}

fn block_height(block: &Block, heights: &[f64], m: Metrics) -> f64 {
    match block {
        Block::Header(..) | Block::ContinuedHeader(_) => m.header(),
        Block::Card(i) => heights[*i],
        Block::Empty(_) => 8.0 * m.scale,
    }
}

/// Packs the blocks into columns of at most `limit` height; `None` when more columns than
/// `m.columns` would be needed.
fn pack(
    blocks: &[Block],
    heights: &[f64],
    categories: &[Category],
    m: Metrics,
    limit: f64,
) -> Option<Vec<(usize, Block, f64)>> {
    let mut out = Vec::new();
    let mut column = 0;
    let mut used = 0.0;
    let mut i = 0;
    while i < blocks.len() {
        let block = &blocks[i];
        let h = block_height(block, heights, m);
        // A header keeps with its first card.
        let need = match block {
            Block::Header(..) => {
                h + blocks
                    .get(i + 1)
                    .map_or(0.0, |b| block_height(b, heights, m))
            }
            _ => h,
        };
        let gap = if used > 0.0 { m.gap() } else { 0.0 };
        if used > 0.0 && used + gap + need > limit {
            column += 1;
            used = 0.0;
            if column >= m.columns {
                return None;
            }
            if let Block::Card(c) = block {
                let cat = categories[*c];
                out.push((column, Block::ContinuedHeader(cat), m.header()));
                used = m.header();
            }
            continue;
        }
        if used == 0.0 && need > limit {
            return None;
        }
        let copy = match block {
            Block::Header(c, k) => Block::Header(*c, *k),
            Block::ContinuedHeader(c) => Block::ContinuedHeader(*c),
            Block::Card(c) => Block::Card(*c),
            Block::Empty(c) => Block::Empty(*c),
        };
        out.push((column, copy, h));
        used += gap + h;
        i += 1;
    }
    Some(out)
}

fn layout(cards: &[Card], top: f64, lang: ChartLanguage) -> Layout {
    let available = FOOTER_TOP - 2.0 - top;
    // Every combination of 3–5 columns, full or compact cards, and a scale from 1.5 down,
    // ordered by how large the text comes out: a short chart is drawn big, to be read from
    // a distance; compact cards and narrow columns count as a little smaller.
    let mut attempts: Vec<Metrics> = Vec::new();
    for step in 0..=33 {
        let scale = 1.5 - f64::from(step) * 0.04;
        for columns in 3..=5 {
            for compact in [false, true] {
                attempts.push(Metrics {
                    columns,
                    scale,
                    compact,
                });
            }
        }
    }
    // Narrow columns count as smaller text: their cards cut names and squeeze numbers even
    // when the fonts are large. Sizes stop growing at a scale near 1.4 (see Metrics).
    // Past a column count's useful scale, text only gets cut more: penalised.
    let weight = |m: &Metrics| {
        let (factor, useful) = match m.columns {
            3 => (1.0, 1.45),
            4 => (0.85, 1.0),
            _ => (0.6, 0.8),
        };
        m.scale.min(useful) * factor * if m.compact { 0.9 } else { 1.0 }
            - (m.scale - useful).max(0.0) * 0.5
    };
    attempts.sort_by(|a, b| weight(b).total_cmp(&weight(a)));
    let categories: Vec<Category> = cards.iter().map(|c| c.category).collect();
    let mut blocks = Vec::new();
    for cat in [Category::Internal, Category::Vendor, Category::Outside] {
        let members: Vec<usize> = (0..cards.len()).filter(|i| categories[*i] == cat).collect();
        blocks.push(Block::Header(cat, members.len()));
        if members.is_empty() {
            blocks.push(Block::Empty(cat));
        }
        blocks.extend(members.into_iter().map(Block::Card));
    }
    let mut last = None;
    let count = attempts.len();
    for (index, m) in attempts.into_iter().enumerate() {
        // A cheap lower bound first (bar, padding, one short title line, the smallest phone
        // line per card) skips attempts that cannot fit before any text is fitted.
        let floor: f64 = cards
            .iter()
            .map(|c| {
                let title = if c.title.trim().is_empty() {
                    0.0
                } else {
                    m.title() * 0.88 * 1.25
                };
                m.bar() + 2.0 * m.pad() + title + m.gap()
            })
            .sum();
        if index + 1 < count && floor / m.columns as f64 > available {
            continue;
        }
        let lines: Vec<CardLines> = cards.iter().map(|c| card_lines(c, m, lang)).collect();
        let heights: Vec<f64> = lines.iter().map(|l| card_height(l, m)).collect();
        let total: f64 = blocks
            .iter()
            .map(|b| block_height(b, &heights, m) + m.gap())
            .sum();
        // The shortest column height that packs into the columns, to 0.25 mm: a binary
        // search, since a taller limit never needs more columns.
        let mut packed = pack(&blocks, &heights, &categories, m, available);
        if packed.is_some() {
            let mut lo = (total / m.columns as f64).min(available);
            let mut hi = available;
            while hi - lo > 0.25 {
                let mid = (lo + hi) / 2.0;
                match pack(&blocks, &heights, &categories, m, mid) {
                    Some(p) => {
                        packed = Some(p);
                        hi = mid;
                    }
                    None => lo = mid,
                }
            }
        }
        let fits = packed.is_some();
        let packed = match packed {
            Some(p) => p,
            None => match pack(&blocks, &heights, &categories, m, f64::INFINITY) {
                Some(p) => p,
                None => continue,
            },
        };
        let mut placed = Vec::new();
        let mut column_y = vec![top; m.columns];
        for (column, block, h) in packed {
            let x = MARGIN + column as f64 * (m.column_width() + COLUMN_GAP);
            let y = if column_y[column] > top {
                column_y[column] + m.gap()
            } else {
                top
            };
            column_y[column] = y + h;
            placed.push(Placed { block, x, y, h });
        }
        let result = Layout {
            metrics: m,
            placed,
            lines,
        };
        if fits {
            return result;
        }
        last = Some(result);
    }
    last.unwrap_or(Layout {
        metrics: Metrics {
            columns: 3,
            scale: 1.0,
            compact: true,
        },
        placed: Vec::new(),
        lines: Vec::new(),
    })
}

fn draw_card(
    svg: &mut Svg,
    card: &Card,
    lines: &CardLines,
    m: Metrics,
    p: &Placed,
    lang: ChartLanguage,
) {
    let w = m.column_width();
    let color = card.category.color();
    svg.rect(
        (p.x, p.y, w, p.h),
        1.2 * m.scale,
        card.category.tint(),
        Some((color, 0.35)),
    );
    // The label bar, with the step number when the call order reaches this contact.
    svg.rect((p.x, p.y, w, m.bar()), 1.2 * m.scale, color, None);
    svg.rect(
        (p.x, p.y + m.bar() / 2.0, w, m.bar() / 2.0),
        0.0,
        color,
        None,
    );
    let mut lx = p.x + m.pad();
    if let Some(step) = card.step {
        let r = m.bar() * 0.38;
        svg.circle(lx + r, p.y + m.bar() / 2.0, r, "#ffffff");
        svg.text(
            lx + r,
            p.y + m.bar() / 2.0 + m.label() * 0.36,
            TextStyle::new(m.label())
                .bold()
                .fill(ALERT)
                .anchor("middle"),
            &step.to_string(),
        );
        lx += 2.0 * r + 1.2 * m.scale;
    }
    svg.text(
        lx,
        p.y + m.bar() / 2.0 + m.label() * 0.36,
        TextStyle::new(lines.label.1).bold().fill("#ffffff"),
        &lines.label.0,
    );
    let x = p.x + m.pad();
    let mut y = p.y + m.bar() + m.pad();
    for line in &lines.title {
        y += lines.title_size;
        svg.text(x, y, TextStyle::new(lines.title_size).bold(), line);
        y += lines.title_size * 0.25;
    }
    if let Some((line, size)) = &lines.subtitle {
        y += m.small() * 1.05;
        svg.text(x, y, TextStyle::new(*size).fill(MUTED), line);
        y += m.small() * 0.25;
    }
    let tel = phone_label(lang);
    let tel_w = text_width(tel, m.small()) + 1.2;
    for p in &lines.phones {
        let line_h = p.size * 1.2;
        y += line_h * 0.85;
        svg.text(x, y, TextStyle::new(m.small()).bold().fill(color), tel);
        let inline = p.extension.as_deref().filter(|_| !p.extension_below);
        svg.phone(x + tel_w, y, p.size, &p.number, inline);
        y += line_h * 0.15;
        if let Some(ext) = p.extension.as_deref().filter(|_| p.extension_below) {
            y += m.small() * 1.0;
            svg.text(x + tel_w, y, TextStyle::new(m.small()).bold(), ext);
            y += m.small() * 0.2;
        }
    }
    if lines.phones.is_empty() {
        y += m.small() * 1.2;
        let none = match lang {
            ChartLanguage::Ja => "電話番号 未登録",
            ChartLanguage::En => "no phone number",
        };
        svg.text(x, y, TextStyle::new(m.small()).bold().fill(ALERT), none);
        y += m.small() * 0.2;
    }
    if let Some((email, size)) = &lines.email {
        y += m.small() * 1.05;
        svg.text(x, y, TextStyle::new(*size), email);
        y += m.small() * 0.25;
    }
    if let Some((hours, size)) = &lines.hours {
        y += m.small() * 1.05;
        svg.text(x, y, TextStyle::new(*size).fill(MUTED), hours);
        y += m.small() * 0.25;
    }
    for line in &lines.notes {
        y += lines.notes_size * 1.05;
        svg.text(x, y, TextStyle::new(lines.notes_size).fill(MUTED), line);
        y += lines.notes_size * 0.25;
    }
}

fn draw_header_block(
    svg: &mut Svg,
    cat: Category,
    count: Option<usize>,
    continued: bool,
    m: Metrics,
    p: &Placed,
    lang: ChartLanguage,
) {
    let w = m.column_width();
    let _ = writeln!(
        svg.out,
        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="{}"/>"#,
        n(p.x),
        n(p.y + m.header() - 1.0 * m.scale),
        n(p.x + w),
        n(p.y + m.header() - 1.0 * m.scale),
        cat.color(),
        n(0.7 * m.scale)
    );
    let mut title = cat.title(lang).to_owned();
    if continued {
        title.push_str(match lang {
            ChartLanguage::Ja => "（つづき）",
            ChartLanguage::En => " (continued)",
        });
    } else if let Some(k) = count.filter(|k| *k > 0) {
        title.push_str(&match lang {
            ChartLanguage::Ja => format!("　{k}件"),
            ChartLanguage::En => format!(" ({k})"),
        });
    }
    // Shrink a long heading a little before shortening it.
    let mut size = (3.6 * m.scale).min(4.4);
    let floor = size * 0.8;
    while size > floor && text_width(&title, size) > w {
        size -= 0.05;
    }
    svg.text(
        p.x,
        p.y + m.header() - 2.2 * m.scale.min(1.1),
        TextStyle::new(size).bold().fill(cat.color()),
        &ellipsize(&title, size, w),
    );
}

fn draw_empty(svg: &mut Svg, m: Metrics, p: &Placed, lang: ChartLanguage) {
    let w = m.column_width();
    let _ = writeln!(
        svg.out,
        r#"<rect x="{}" y="{}" width="{}" height="{}" rx="1" fill="none" stroke="{ALERT}" stroke-width="0.35" stroke-dasharray="1.5 1"/>"#,
        n(p.x),
        n(p.y),
        n(w),
        n(p.h)
    );
    let text = match lang {
        ChartLanguage::Ja => "未登録",
        ChartLanguage::En => "none registered",
    };
    svg.text(
        p.x + w / 2.0,
        p.y + p.h / 2.0 + 1.2 * m.scale,
        TextStyle::new(3.2 * m.scale)
            .bold()
            .fill(ALERT)
            .anchor("middle"),
        text,
    );
}

fn cards(chart: &ContactChart, contracts: &[VendorContract], lang: ChartLanguage) -> Vec<Card> {
    let mut out: Vec<Card> = chart
        .internal
        .iter()
        .map(|c| internal_card(chart, c, lang))
        .collect();
    out.extend(
        chart
            .vendors
            .iter()
            .map(|c| vendor_card(chart, c, contracts, lang)),
    );
    out.extend(chart.outside.iter().map(|c| outside_card(chart, c, lang)));
    // Within each category, contacts reached earlier in the call order come first.
    out.sort_by_key(|c| {
        let cat = match c.category {
            Category::Internal => 0,
            Category::Vendor => 1,
            Category::Outside => 2,
        };
        (cat, c.step.unwrap_or(usize::MAX))
    });
    out
}

fn render(
    chart: &ContactChart,
    contracts: &[VendorContract],
    lang: ChartLanguage,
) -> (String, Layout) {
    let mut svg = Svg { out: String::new() };
    let title = match lang {
        ChartLanguage::Ja => format!("連絡体制図 {}", chart.institution_name),
        ChartLanguage::En => format!("Incident contact chart: {}", chart.institution_name),
    };
    let _ = writeln!(svg.out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        svg.out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" viewBox="0 0 210 297" font-family="{}" xml:lang="{}">"#,
        escape(FONT_FAMILY),
        if lang == ChartLanguage::Ja {
            "ja"
        } else {
            "en"
        }
    );
    let _ = writeln!(svg.out, "<title>{}</title>", escape(&title));
    svg.rect((0.0, 0.0, PAGE_W, PAGE_H), 0.0, "#ffffff", None);
    let after_header = draw_header(&mut svg, chart, lang);
    let top = draw_call_order(&mut svg, chart, contracts, lang, after_header);
    let cards = cards(chart, contracts, lang);
    let layout = layout(&cards, top, lang);
    let m = layout.metrics;
    for p in &layout.placed {
        match &p.block {
            Block::Header(cat, count) => {
                draw_header_block(&mut svg, *cat, Some(*count), false, m, p, lang)
            }
            Block::ContinuedHeader(cat) => {
                draw_header_block(&mut svg, *cat, None, true, m, p, lang)
            }
            Block::Card(i) => draw_card(&mut svg, &cards[*i], &layout.lines[*i], m, p, lang),
            Block::Empty(_) => draw_empty(&mut svg, m, p, lang),
        }
    }
    let (left, right) = match lang {
        ChartLanguage::Ja => (
            format!("{} 改訂 ・ mamori で作成", format_wareki(chart.revised_on)),
            "見やすい場所に掲示し、担当者や番号が変わったらすぐに更新してください",
        ),
        ChartLanguage::En => (
            format!(
                "Revised {} · made with mamori",
                chart.revised_on.format("%Y-%m-%d")
            ),
            "Post where everyone can see it; update it whenever a person or number changes",
        ),
    };
    let _ = writeln!(
        svg.out,
        r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999999" stroke-width="0.25"/>"##,
        n(MARGIN),
        n(FOOTER_TOP),
        n(PAGE_W - MARGIN),
        n(FOOTER_TOP)
    );
    let foot = 2.4;
    let left_w = text_width(&left, foot);
    svg.text(
        MARGIN,
        FOOTER_TOP + 3.6,
        TextStyle::new(foot).fill(MUTED),
        &left,
    );
    svg.text(
        PAGE_W - MARGIN,
        FOOTER_TOP + 3.6,
        TextStyle::new(foot).fill(MUTED).anchor("end"),
        &ellipsize(right, foot, CONTENT_W - left_w - 6.0),
    );
    svg.out.push_str("</svg>\n");
    (svg.out, layout)
}

/// Draws the chart as a standalone SVG document of one A4 portrait page. `contracts` give
/// the vendors' names and systems.
pub fn render_contact_chart_svg(
    chart: &ContactChart,
    contracts: &[VendorContract],
    lang: ChartLanguage,
) -> String {
    render(chart, contracts, lang).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use mamori_domain::Scope;
    use mamori_domain::contact_chart::{
        ContactChartInput, ContactEntryInput, InternalContactInput, InternalRole, OutsideBody,
        OutsideContactInput, VendorContactInput, mhlw_preset,
    };
    use mamori_domain::vendor::{ContractId, SystemKind};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn entry(name: &str, org: &str, phones: &[&str], hours: &str) -> ContactEntryInput {
        ContactEntryInput {
            name: name.into(),
            organisation: org.into(),
            phones: phones.iter().map(|p| (*p).to_owned()).collect(),
            email: String::new(),
            hours: hours.into(),
            notes: String::new(),
        }
    }

    fn contract(id: i64, name: &str, systems: &[SystemKind], scopes: &[Scope]) -> VendorContract {
        VendorContract {
            id: ContractId(id),
            vendor_name: name.into(),
            systems: systems.to_vec(),
            remote_maintenance: true,
            scopes: scopes.to_vec(),
            start_on: None,
            end_on: None,
        }
    }

    pub(crate) fn example_contracts() -> Vec<VendorContract> {
        vec![
            contract(
                1,
                "株式会社みなとメディカルシステムズ",
                &[SystemKind::Emr, SystemKind::Ordering],
                &[Scope::Server, Scope::Pc],
            ),
            contract(
                2,
                "東京ネットワークサービス株式会社",
                &[SystemKind::Network],
                &[Scope::Network],
            ),
            contract(
                3,
                "画像システム工業株式会社",
                &[SystemKind::Pacs],
                &[Scope::Server],
            ),
        ]
    }

    /// A chart like a 250-bed hospital's; every number is made up except the ministry's.
    pub(crate) fn example_chart() -> ContactChart {
        let mhlw = mhlw_preset();
        let input = ContactChartInput {
            institution_name: "みなと中央病院".into(),
            revised_on: d(2025, 6, 1),
            internal: vec![
                InternalContactInput {
                    roles: vec![InternalRole::Administrator],
                    title: "院長".into(),
                    entry: entry("港 一郎", "", &["03-1234-5000", "090-1111-2222"], ""),
                },
                InternalContactInput {
                    roles: vec![InternalRole::SecurityManager],
                    title: "情報システム課長".into(),
                    entry: ContactEntryInput {
                        email: "sato@minato-hp.example.jp".into(),
                        ..entry(
                            "佐藤 花子",
                            "情報システム課",
                            &["03-1234-5100 内線210", "080-3333-4444"],
                            "平日 8:30-17:15",
                        )
                    },
                },
                InternalContactInput {
                    roles: vec![InternalRole::SystemStaff],
                    title: String::new(),
                    entry: entry(
                        "鈴木 健",
                        "情報システム課",
                        &["03-1234-5100 内線211"],
                        "平日 8:30-17:15",
                    ),
                },
                InternalContactInput {
                    roles: vec![InternalRole::OnCall],
                    title: String::new(),
                    entry: ContactEntryInput {
                        notes: "夜間・休日は当直事務が受け、責任者へ連絡".into(),
                        ..entry("当直事務", "事務部", &["03-1234-5999"], "24時間")
                    },
                },
            ],
            vendors: vec![
                VendorContactInput {
                    contract_id: ContractId(1),
                    entry: entry("保守サポートセンター", "", &["0120-123-456"], "24時間365日"),
                },
                VendorContactInput {
                    contract_id: ContractId(2),
                    entry: entry(
                        "高橋 誠（担当SE）",
                        "",
                        &["03-5555-6666", "090-7777-8888"],
                        "平日 9:00-18:00",
                    ),
                },
                VendorContactInput {
                    contract_id: ContractId(3),
                    entry: entry(
                        "カスタマーセンター",
                        "",
                        &["0570-000-111"],
                        "毎日 8:00-20:00",
                    ),
                },
            ],
            outside: vec![
                OutsideContactInput {
                    body: OutsideBody::Mhlw,
                    entry: ContactEntryInput {
                        name: mhlw.entry.name.clone(),
                        organisation: mhlw.entry.organisation.clone(),
                        phones: mhlw.entry.phones.iter().map(|p| p.display_ja()).collect(),
                        notes: "代表電話から医療情報担当参事官室へ".into(),
                        ..ContactEntryInput::default()
                    },
                },
                OutsideContactInput {
                    body: OutsideBody::Police,
                    entry: entry(
                        "",
                        "警視庁 サイバー犯罪相談窓口",
                        &["03-0000-0110"],
                        "平日 8:30-17:15",
                    ),
                },
                OutsideContactInput {
                    body: OutsideBody::Prefecture,
                    entry: entry(
                        "",
                        "東京都 保健医療局 医療政策部",
                        &["03-0000-4000"],
                        "平日 9:00-17:45",
                    ),
                },
                OutsideContactInput {
                    body: OutsideBody::Insurer,
                    entry: entry(
                        "",
                        "○○損害保険 サイバー保険 事故受付",
                        &["0120-000-999"],
                        "24時間",
                    ),
                },
            ],
            call_order: vec![],
        };
        input
            .parse(&example_contracts())
            .expect("the example chart is valid")
    }

    /// A tiny XML well-formedness check: tags nest and close, attributes are quoted,
    /// entities are the predefined ones or numeric, no stray '<' or '&'.
    fn well_formed(xml: &str) -> Result<(), String> {
        let body = xml
            .strip_prefix(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
            .ok_or("no XML declaration")?;
        let mut stack: Vec<String> = Vec::new();
        let mut rest = body;
        let mut roots = 0;
        let check_text = |t: &str| -> Result<(), String> {
            let mut s = t;
            while let Some(at) = s.find('&') {
                let end = s[at..].find(';').ok_or(format!("bare & in {t:?}"))?;
                let entity = &s[at + 1..at + end];
                let ok = matches!(entity, "amp" | "lt" | "gt" | "quot" | "apos")
                    || entity
                        .strip_prefix('#')
                        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
                if !ok {
                    return Err(format!("bad entity &{entity};"));
                }
                s = &s[at + end + 1..];
            }
            if t.contains('>') {
                return Err(format!("raw > in {t:?}"));
            }
            if t.chars()
                .any(|c| (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t'))
            {
                return Err("control character".into());
            }
            Ok(())
        };
        while let Some(open) = rest.find('<') {
            let text = &rest[..open];
            check_text(text)?;
            if stack.is_empty() && !text.trim().is_empty() {
                return Err("text outside the root".into());
            }
            let close = rest[open..].find('>').ok_or("unclosed tag")? + open;
            let tag = &rest[open + 1..close];
            rest = &rest[close + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                let top = stack.pop().ok_or("close without open")?;
                if top != name.trim() {
                    return Err(format!("</{name}> closes <{top}>"));
                }
                continue;
            }
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let name: String = tag.chars().take_while(|c| !c.is_whitespace()).collect();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == ':' || c == '-')
            {
                return Err(format!("bad tag name {name:?}"));
            }
            // Attributes: name="value" pairs.
            let mut attrs = tag[name.len()..].trim();
            let mut seen = Vec::new();
            while !attrs.is_empty() {
                let eq = attrs
                    .find('=')
                    .ok_or(format!("attribute without value in <{name}>"))?;
                let attr = attrs[..eq].trim();
                if seen.contains(&attr) {
                    return Err(format!("duplicate attribute {attr}"));
                }
                seen.push(attr);
                let after = &attrs[eq + 1..];
                let quote = after.chars().next().ok_or("missing value")?;
                if quote != '"' && quote != '\'' {
                    return Err(format!("unquoted attribute {attr}"));
                }
                let end = after[1..].find(quote).ok_or("unterminated attribute")? + 1;
                let value = &after[1..end];
                if value.contains('<') {
                    return Err("< in attribute".into());
                }
                check_text(value)?;
                attrs = after[end + 1..].trim_start();
            }
            if stack.is_empty() {
                roots += 1;
            }
            if !self_closing {
                stack.push(name);
            }
        }
        check_text(rest)?;
        if !rest.trim().is_empty() {
            return Err("text after the root".into());
        }
        if !stack.is_empty() {
            return Err(format!("unclosed elements: {stack:?}"));
        }
        if roots != 1 {
            return Err(format!("{roots} root elements"));
        }
        Ok(())
    }

    #[test]
    fn the_checker_catches_bad_xml() {
        assert!(well_formed(r#"<?xml version="1.0" encoding="UTF-8"?><a><b/></a>"#).is_ok());
        assert!(well_formed(r#"<?xml version="1.0" encoding="UTF-8"?><a><b></a>"#).is_err());
        assert!(well_formed(r#"<?xml version="1.0" encoding="UTF-8"?><a>x & y</a>"#).is_err());
        assert!(well_formed(r#"<?xml version="1.0" encoding="UTF-8"?><a x=1/>"#).is_err());
        assert!(well_formed(r#"<?xml version="1.0" encoding="UTF-8"?><a/><b/>"#).is_err());
    }

    #[test]
    fn the_example_chart_is_one_well_formed_a4_page() {
        let chart = example_chart();
        let (svg, layout) = render(&chart, &example_contracts(), ChartLanguage::Ja);
        well_formed(&svg).unwrap_or_else(|e| panic!("{e}"));
        assert!(svg.contains(r#"viewBox="0 0 210 297""#));
        assert!(svg.contains(r#"width="210mm" height="297mm""#));
        assert!(svg.contains("Noto Sans CJK JP"));
        assert!(svg.contains("IPAexGothic"));
        assert!(svg.contains("連絡体制図"));
        assert!(svg.contains("みなと中央病院"));
        assert!(svg.contains("令和7年6月1日"));
        assert!(svg.contains("03-5253-1111"));
        assert!(svg.contains("0120-123-456"));
        assert_eq!(layout.metrics.columns, 3);
        assert!(!layout.metrics.compact);
        // A short chart is drawn large.
        assert!(layout.metrics.scale > 1.0);
        assert_on_page(&svg, &layout);
        let en = render_contact_chart_svg(&chart, &example_contracts(), ChartLanguage::En);
        well_formed(&en).unwrap_or_else(|e| panic!("{e}"));
        assert!(en.contains("Order of calls"));
    }

    /// Every coordinate in the SVG and every laid-out box lies on the page.
    fn assert_on_page(svg: &str, layout: &Layout) {
        for (attr, max) in [
            ("x=\"", PAGE_W),
            ("y=\"", PAGE_H),
            ("x1=\"", PAGE_W),
            ("x2=\"", PAGE_W),
            ("y1=\"", PAGE_H),
            ("y2=\"", PAGE_H),
            ("cx=\"", PAGE_W),
            ("cy=\"", PAGE_H),
        ] {
            for part in svg.split(&format!(" {attr}")).skip(1) {
                let value: f64 = part
                    .split('"')
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("number after {attr}"));
                assert!(
                    (0.0..=max).contains(&value),
                    "{attr}{value} is off the page"
                );
            }
        }
        let width = layout.metrics.column_width();
        for p in &layout.placed {
            assert!(p.x >= MARGIN - 0.01 && p.x + width <= PAGE_W - MARGIN + 0.01);
            // Below the title and the call order, above the footer.
            assert!(p.y >= 40.0, "a block starts at {} mm", p.y);
            assert!(p.y + p.h <= FOOTER_TOP, "a block ends at {} mm", p.y + p.h);
        }
        // No two blocks overlap.
        for (i, a) in layout.placed.iter().enumerate() {
            for b in &layout.placed[i + 1..] {
                let apart = a.x + width <= b.x + 0.01
                    || b.x + width <= a.x + 0.01
                    || a.y + a.h <= b.y + 0.01
                    || b.y + b.h <= a.y + 0.01;
                assert!(
                    apart,
                    "blocks overlap at ({}, {}) and ({}, {})",
                    a.x, a.y, b.x, b.y
                );
            }
        }
    }

    fn big_chart(per_category: usize) -> (ContactChart, Vec<VendorContract>) {
        let contracts: Vec<VendorContract> = (0..per_category)
            .map(|i| {
                contract(
                    i as i64 + 1,
                    &format!(
                        "医療情報システム株式会社 第{}事業部 東日本サポートセンター",
                        i + 1
                    ),
                    &[SystemKind::ALL[i % SystemKind::ALL.len()]],
                    &[Scope::All],
                )
            })
            .collect();
        let roles = InternalRole::ALL;
        let input = ContactChartInput {
            institution_name:
                "医療法人社団 とても長い名前の会 みなと中央総合医療センター附属第二病院".into(),
            revised_on: d(2025, 6, 1),
            internal: (0..per_category)
                .map(|i| InternalContactInput {
                    roles: vec![roles[i % roles.len()]],
                    title: "情報システム管理室 室長代理".into(),
                    entry: ContactEntryInput {
                        email: format!("staff{i}@minato-hp.example.jp"),
                        notes: "不在時は同室の別の担当者へ。夜間は当直を経由して連絡すること。"
                            .into(),
                        ..entry(
                            &format!("職員 {i}番"),
                            "情報システム管理室",
                            &["03-1234-5100 内線210", "090-1234-5678"],
                            "平日 8:30-17:15",
                        )
                    },
                })
                .collect(),
            vendors: (0..per_category)
                .map(|i| VendorContactInput {
                    contract_id: ContractId(i as i64 + 1),
                    entry: entry(
                        "保守サポート窓口",
                        "",
                        &["0120-123-456", "03-5555-6666"],
                        "24時間365日",
                    ),
                })
                .collect(),
            outside: (0..per_category)
                .map(|i| OutsideContactInput {
                    body: OutsideBody::ALL[i % OutsideBody::ALL.len()],
                    entry: entry(
                        "",
                        "厚生労働省 医政局 特定医薬品開発支援・医療情報担当参事官室",
                        &["03-5253-1111"],
                        "平日 9:30-18:15",
                    ),
                })
                .collect(),
            call_order: vec![],
        };
        (input.parse(&contracts).expect("valid big chart"), contracts)
    }

    #[test]
    fn thirty_entries_fit_on_the_page() {
        let (chart, contracts) = big_chart(10);
        assert_eq!(chart.entry_count(), 30);
        let (svg, layout) = render(&chart, &contracts, ChartLanguage::Ja);
        well_formed(&svg).unwrap_or_else(|e| panic!("{e}"));
        assert_on_page(&svg, &layout);
        let cards = layout
            .placed
            .iter()
            .filter(|p| matches!(p.block, Block::Card(_)))
            .count();
        assert_eq!(cards, 30);
        // Every phone number is there, whole.
        assert_eq!(svg.matches(">0120-123-456<").count(), 10);
        assert_eq!(svg.matches(">03-5253-1111<").count(), 10);
    }

    #[test]
    fn a_hundred_entries_still_fit() {
        let (chart, contracts) = big_chart(33);
        let (svg, layout) = render(&chart, &contracts, ChartLanguage::Ja);
        well_formed(&svg).unwrap_or_else(|e| panic!("{e}"));
        assert_on_page(&svg, &layout);
        let cards = layout
            .placed
            .iter()
            .filter(|p| matches!(p.block, Block::Card(_)))
            .count();
        assert_eq!(cards, 99);
    }

    #[test]
    fn text_is_escaped() {
        let mut chart = example_chart();
        chart.institution_name = r#"<script>alert("x")</script> & 'Co'"#.into();
        chart.internal[0].entry.name = "A&B <病院>\u{1}\u{FFFF}".into();
        chart.outside[0].entry.notes = "]]> <!-- -->".into();
        let svg = render_contact_chart_svg(&chart, &example_contracts(), ChartLanguage::Ja);
        well_formed(&svg).unwrap_or_else(|e| panic!("{e}"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;alert(&quot;x&quot;)"));
        assert!(svg.contains("A&amp;B &lt;病院&gt;"));
        assert!(!svg.contains('\u{1}'));
        assert_eq!(escape("a'b\"c"), "a&apos;b&quot;c");
    }

    #[test]
    fn long_text_wraps_and_shortens() {
        let lines = wrap(
            "厚生労働省 医政局 特定医薬品開発支援・医療情報担当参事官室",
            3.4,
            50.0,
            2,
        );
        assert_eq!(lines.len(), 2);
        assert!(
            lines.iter().all(|l| text_width(l, 3.4) <= 50.0 + 0.01),
            "{lines:?}"
        );
        assert!(lines[1].ends_with('…') || lines.concat().ends_with("参事官室"));
        let one = wrap(
            "とても長い名前の株式会社医療情報システムサービス東日本支社",
            3.4,
            30.0,
            1,
        );
        assert_eq!(one.len(), 1);
        assert!(one[0].ends_with('…'));
        assert!(text_width(&one[0], 3.4) <= 30.0 + 0.01);
        // Latin words are kept whole; 、 does not start a line.
        let words = wrap(
            "Tokyo Network Services Co., Ltd. support desk",
            3.0,
            30.0,
            3,
        );
        assert!(words.iter().all(|l| !l.starts_with(' ')), "{words:?}");
        assert_eq!(words[0], "Tokyo Network");
        let kinsoku = wrap("あいうえおかきくけこ、さしすせそ", 3.0, 30.0, 2);
        assert!(kinsoku.iter().all(|l| !l.starts_with('、')), "{kinsoku:?}");
        assert!(wrap("", 3.0, 30.0, 2).is_empty());
    }

    #[test]
    fn an_empty_category_says_none_registered() {
        let mut chart = example_chart();
        chart.outside.clear();
        chart.call_order.truncate(3);
        let (svg, layout) = render(&chart, &example_contracts(), ChartLanguage::Ja);
        well_formed(&svg).unwrap_or_else(|e| panic!("{e}"));
        assert!(svg.contains("未登録"));
        assert_on_page(&svg, &layout);
    }
}

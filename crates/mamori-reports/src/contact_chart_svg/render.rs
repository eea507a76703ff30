//! Drawing the laid-out page.

use std::fmt::Write as _;

use mamori_domain::contact_chart::ContactChart;
use mamori_domain::vendor::VendorContract;
use mamori_domain::wareki::format_wareki;
use mamori_locale::Message;

use super::call_order::draw_call_order;
use super::card::{
    Card, CardLines, Metrics, internal_card, outside_card, phone_label, vendor_card,
};
use super::header::draw_header;
use super::layout::{Block, Layout, Placed, layout};
use super::svg::{Svg, TextStyle, n};
use super::text::{ellipsize, escape, text_width};
use super::{
    ALERT, CONTENT_W, Category, ChartLanguage, FONT_FAMILY, FOOTER_TOP, MARGIN, MUTED, PAGE_H,
    PAGE_W,
};

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
        let none = lang.text("reports-chart-no-phone");
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
        title = Message::new("reports-chart-continued")
            .with("title", title)
            .render(lang.lang());
    } else if let Some(k) = count.filter(|k| *k > 0) {
        title = Message::new("reports-chart-count")
            .with("title", title)
            .with("count", k)
            .render(lang.lang());
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
    let text = lang.text("reports-chart-none-registered");
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

pub(super) fn cards(
    chart: &ContactChart,
    contracts: &[VendorContract],
    lang: ChartLanguage,
) -> Vec<Card> {
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

pub(super) fn render(
    chart: &ContactChart,
    contracts: &[VendorContract],
    lang: ChartLanguage,
) -> (String, Layout) {
    let mut svg = Svg { out: String::new() };
    let title = Message::new("reports-chart-document-title")
        .with("institution", chart.institution_name.as_str())
        .render(lang.lang());
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
    let left = Message::new("reports-chart-footer-revised")
        .with("wareki", format_wareki(chart.revised_on))
        .with("iso", chart.revised_on.format("%Y-%m-%d").to_string())
        .render(lang.lang());
    let right = lang.text("reports-chart-footer-post");
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

//! The title block: the institution, the chart's name and the date.

use std::fmt::Write as _;

use chrono::NaiveDate;
use mamori_domain::contact_chart::ContactChart;
use mamori_domain::wareki::format_wareki;
use mamori_locale::Message;

use super::svg::{Svg, TextStyle, n};
use super::text::{ellipsize, fit_name, text_width};
use super::{ALERT, CONTENT_W, ChartLanguage, INK, MARGIN, MUTED, PAGE_W};

fn date_label(date: NaiveDate, lang: ChartLanguage) -> String {
    Message::new("reports-chart-date")
        .with("wareki", format_wareki(date))
        .with("iso", date.format("%Y-%m-%d").to_string())
        .with("long", date.format("%-d %B %Y").to_string())
        .render(lang.lang())
}

/// Draws the header; returns where the next part starts.
pub(super) fn draw_header(svg: &mut Svg, chart: &ContactChart, lang: ChartLanguage) -> f64 {
    let title = lang.text("reports-chart-title");
    let revised = lang.text("reports-chart-revised");
    let banner = lang.text("reports-chart-banner");
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

//! The order of calls as numbered boxes with arrows.

use mamori_domain::contact_chart::{CallStep, CallTarget, ContactChart, InternalRole};
use mamori_domain::vendor::VendorContract;

use super::svg::{Svg, TextStyle};
use super::text::{fit_name, wrap_items};
use super::{ALERT, CONTENT_W, ChartLanguage, MARGIN, MUTED};

fn target_label(t: &CallTarget, contracts: &[VendorContract], lang: ChartLanguage) -> String {
    match (t, lang) {
        (CallTarget::AllVendors, _) => lang.text("reports-chart-all-vendors").to_owned(),
        (t, ChartLanguage::Ja) => t.label_ja(contracts),
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
    match (discoverer, on_call) {
        (true, _) => lang.text("reports-chart-hint-discoverer"),
        (false, true) => lang.text("reports-chart-hint-on-call"),
        _ => "",
    }
}

const STEP_LABEL: f64 = 3.5;
const STEP_NOTE: f64 = 2.6;
const STEP_GAP: f64 = 7.0;
const BADGE_R: f64 = 3.6;

/// Draws the order of calls as numbered boxes with arrows, at most five a row; returns
/// where the next part starts.
pub(super) fn draw_call_order(
    svg: &mut Svg,
    chart: &ContactChart,
    contracts: &[VendorContract],
    lang: ChartLanguage,
    top: f64,
) -> f64 {
    if chart.call_order.is_empty() {
        return top;
    }
    let heading = lang.text("reports-chart-call-order");
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
                let sep = lang.text("reports-chart-list-separator");
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

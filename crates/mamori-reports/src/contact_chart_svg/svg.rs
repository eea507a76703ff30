//! Drawing primitives: the SVG document being written, text styles, boxes and lines.

use std::fmt::Write as _;

use super::INK;
use super::text::escape;

pub(super) fn n(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_owned() }
}

pub(super) struct Svg {
    pub(super) out: String,
}

#[derive(Clone, Copy)]
pub(super) struct TextStyle<'a> {
    size: f64,
    bold: bool,
    fill: &'a str,
    anchor: &'a str,
}

impl<'a> TextStyle<'a> {
    pub(super) fn new(size: f64) -> Self {
        Self {
            size,
            bold: false,
            fill: INK,
            anchor: "start",
        }
    }
    pub(super) fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    pub(super) fn fill(mut self, fill: &'a str) -> Self {
        self.fill = fill;
        self
    }
    pub(super) fn anchor(mut self, anchor: &'a str) -> Self {
        self.anchor = anchor;
        self
    }
}

impl Svg {
    pub(super) fn text(&mut self, x: f64, y: f64, style: TextStyle<'_>, text: &str) {
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
    pub(super) fn phone(
        &mut self,
        x: f64,
        y: f64,
        size: f64,
        number: &str,
        extension: Option<&str>,
    ) {
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
    pub(super) fn rect(
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

    pub(super) fn circle(&mut self, cx: f64, cy: f64, r: f64, fill: &str) {
        let _ = writeln!(
            self.out,
            r#"<circle cx="{}" cy="{}" r="{}" fill="{fill}"/>"#,
            n(cx),
            n(cy),
            n(r)
        );
    }

    /// A right-pointing arrow from (x1, y) to (x2, y).
    pub(super) fn arrow_right(&mut self, x1: f64, x2: f64, y: f64, color: &str) {
        let head = 2.2;
        self.arrow(
            (x1, y),
            (x2 - head, y),
            (x2, y),
            [(x2 - head, y - head * 0.7), (x2 - head, y + head * 0.7)],
            color,
        );
    }

    /// A down-pointing arrow from (x, y1) to (x, y2).
    pub(super) fn arrow_down(&mut self, x: f64, y1: f64, y2: f64, color: &str) {
        let head = 2.2;
        self.arrow(
            (x, y1),
            (x, y2 - head),
            (x, y2),
            [(x - head * 0.7, y2 - head), (x + head * 0.7, y2 - head)],
            color,
        );
    }

    /// A line from `from` to the base of the head (`base`), and the head: a triangle with its
    /// point at `to` and its other `corners`.
    fn arrow(
        &mut self,
        from: (f64, f64),
        base: (f64, f64),
        to: (f64, f64),
        corners: [(f64, f64); 2],
        color: &str,
    ) {
        let _ = writeln!(
            self.out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{color}" stroke-width="0.9"/><polygon points="{},{} {},{} {},{}" fill="{color}"/>"#,
            n(from.0),
            n(from.1),
            n(base.0),
            n(base.1),
            n(to.0),
            n(to.1),
            n(corners[0].0),
            n(corners[0].1),
            n(corners[1].0),
            n(corners[1].1)
        );
    }
}

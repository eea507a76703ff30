//! Text on the page: XML escaping, widths estimated per character (CJK full width, Latin
//! about half), line breaking with 行頭禁則, and shortening with 「…」.

/// Escapes text for XML content and attribute values, dropping characters XML 1.0 forbids.
pub(super) fn escape(text: &str) -> String {
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

pub(super) fn text_width(text: &str, size: f64) -> f64 {
    text.chars().map(char_em).sum::<f64>() * size
}

/// The width of a phone number as [`Svg::phone`] draws it: bold digits a little wider,
/// 0.02 em letter-spacing, the extension at 62 %.
pub(super) fn phone_width(number: &str, extension: Option<&str>, size: f64) -> f64 {
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
pub(super) fn ellipsize(text: &str, size: f64, width: f64) -> String {
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
pub(super) fn wrap(text: &str, size: f64, width: f64, max_lines: usize) -> Vec<String> {
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
pub(super) fn fit_line(text: &str, size: f64, width: f64, min_ratio: f64) -> (String, f64) {
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
pub(super) fn fit_name(text: &str, size: f64, width: f64, max_lines: usize) -> (Vec<String>, f64) {
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
pub(super) fn wrap_items(
    items: &[String],
    sep: &str,
    size: f64,
    width: f64,
    max_lines: usize,
) -> Vec<String> {
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

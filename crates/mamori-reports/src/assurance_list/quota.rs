//! The import of 別紙2: bed-band headers (「20〜199床」「400床以上」…), prefectures and counts.

use mamori_domain::Prefecture;
use mamori_domain::assurance::program::{band_list_en, band_list_ja};
use mamori_domain::assurance::{
    BedBand, BedBands, QuotaProblemCode, QuotaRow, QuotaTable, parse_prefecture,
};
use mamori_domain::text::fold::{LONG_VOWEL_MARKS, fold};
use mamori_domain::{arg, bilingual, joined};
use mamori_locale::Message;

use super::grid::{
    Cell, Grid, MAX_PROBLEMS, QuotaFileFormat, QuotaImportError, QuotaImportProblem, read_csv,
    read_xlsx,
};

/// Reads 別紙2 from .xlsx (sheet 「別紙2」 if present, else the first) or CSV (UTF-8 with or
/// without BOM, or Shift_JIS/CP932).
///
/// Layout: a header row with a prefecture column (「都道府県」「都道府県コード」「都道府県名」;
/// a code column and a name column may both be present and must agree) and one column per
/// bed band, headed by its range (「20〜199床」「20床以上200床未満」「400床以上」…) in the
/// program's order; title rows above it, and columns such as 「合計」 or 「備考」, are skipped.
/// Each row is a prefecture (code 13, or 東京都 / 東京); rows headed 合計 or …計 are skipped,
/// as are prefectures whose band cells are all blank (no quota given). A band cell holds a
/// whole number ≥ 0; 「-」 means 0.
pub fn import_quotas(bytes: &[u8], bands: &BedBands) -> Result<QuotaTable, QuotaImportError> {
    let grid = match QuotaFileFormat::detect(bytes)? {
        QuotaFileFormat::Xlsx => read_xlsx(bytes)?,
        QuotaFileFormat::Csv => read_csv(bytes)?,
    };
    parse_grid(&grid, bands)
}

/// [`fold`]ed (full-width digits and signs to ASCII, dashes to `-`), with the wave dash as
/// `~`, the long-vowel mark (typed for a hyphen between numbers) as `-`, and spaces and
/// thousands separators out.
pub(super) fn normalize(text: &str) -> String {
    fold(text)
        .chars()
        .filter_map(|c| match c {
            '〜' => Some('~'),
            c if LONG_VOWEL_MARKS.contains(&c) => Some('-'),
            ' ' | ',' => None,
            c => Some(c),
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    Num(u32),
    Tilde,
    AtLeast,
    Under,
    AtMost,
    Over,
}

/// A range of beds read from a header: (min, max), either side open.
type BedRange = (Option<u32>, Option<u32>);

/// What a header cell says about bed bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BandHeader {
    /// No number: another column (備考, 合計 …).
    NotABand,
    /// Numbers, but no range can be read from them.
    Unreadable,
    Range(BedRange),
}

/// Reads a band header: 「20〜199床」「20-199」「20床以上200床未満」「400床以上」「400〜」
/// 「200床未満」.
pub(super) fn parse_band_header(text: &str) -> BandHeader {
    let t = normalize(text).replace('-', "~");
    let mut tokens = Vec::new();
    let mut digits = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            match digits.parse() {
                Ok(n) => tokens.push(Token::Num(n)),
                Err(_) => return BandHeader::Unreadable,
            }
            digits.clear();
        }
        let next = chars.peek().copied();
        match (c, next) {
            ('~', _) => tokens.push(Token::Tilde),
            ('以', Some('上')) => {
                chars.next();
                tokens.push(Token::AtLeast);
            }
            ('以', Some('下')) => {
                chars.next();
                tokens.push(Token::AtMost);
            }
            ('未', Some('満')) => {
                chars.next();
                tokens.push(Token::Under);
            }
            ('超', _) => tokens.push(Token::Over),
            ('+', _) => tokens.push(Token::AtLeast),
            _ => {}
        }
    }
    if !digits.is_empty() {
        match digits.parse() {
            Ok(n) => tokens.push(Token::Num(n)),
            Err(_) => return BandHeader::Unreadable,
        }
    }
    if !tokens.iter().any(|t| matches!(t, Token::Num(_))) {
        return BandHeader::NotABand;
    }
    let lower = |n: u32, t: Option<&Token>| match t {
        Some(Token::Over) => n.checked_add(1),
        _ => Some(n),
    };
    let upper = |n: u32, t: Option<&Token>| match t {
        Some(Token::Under) => n.checked_sub(1),
        _ => Some(n),
    };
    use Token::*;
    let range = match tokens.as_slice() {
        [Num(a), Tilde, Num(b)] => Some((Some(*a), Some(*b))),
        [Num(a), q @ (AtLeast | Over), Num(b), r @ (Under | AtMost)]
        | [
            Num(a),
            q @ (AtLeast | Over),
            Tilde,
            Num(b),
            r @ (Under | AtMost),
        ] => match (lower(*a, Some(q)), upper(*b, Some(r))) {
            (Some(x), Some(y)) => Some((Some(x), Some(y))),
            _ => None,
        },
        [Num(a), q @ (AtLeast | Over)] => lower(*a, Some(q)).map(|x| (Some(x), None)),
        [Num(a), Tilde] => Some((Some(*a), None)),
        [Num(b), r @ (Under | AtMost)] | [Tilde, Num(b), r @ (Under | AtMost)] => {
            upper(*b, Some(r)).map(|y| (None, Some(y)))
        }
        [Tilde, Num(b)] => Some((None, Some(*b))),
        _ => None,
    };
    range.map_or(BandHeader::Unreadable, BandHeader::Range)
}

fn header_matches(parsed: BedRange, band: BedBand, first: bool) -> bool {
    let min_ok = match parsed.0 {
        Some(min) => min == band.min_beds,
        // 「200床未満」: the first band, from the program's minimum.
        None => first,
    };
    min_ok && parsed.1 == band.max_beds
}

/// A prefecture column's header. Exact names only: a title such as 「各都道府県対象数」 also
/// contains 都道府県.
fn is_key_header(text: &str) -> bool {
    const KEYS: [&str; 11] = [
        "都道府県",
        "都道府県名",
        "都道府県コード",
        "都道府県番号",
        "コード",
        "番号",
        "prefecture",
        "prefecturecode",
        "prefecture_code",
        "prefecture_name",
        "code",
    ];
    // Not `normalize`: it reads the ー of コード as a dash.
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    KEYS.contains(&t.as_str())
}

fn is_total_label(text: &str) -> bool {
    let t = normalize(text).to_lowercase();
    t == "total" || t == "全国" || t.ends_with('計')
}

/// A band cell: a whole number (full-width digits and thousands separators allowed),
/// 「-」 for 0.
pub(super) fn parse_count(cell: &Cell) -> Result<Option<i64>, Message> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Ok(Some(*n as i64)),
        Cell::Number(n) => Err(Message::new("reports-quota-not-whole").with("quota", arg(n))),
        Cell::Text(t) => {
            let n = normalize(t);
            if n.is_empty() {
                return Ok(None);
            }
            if n == "-" {
                return Ok(Some(0));
            }
            n.parse::<i64>()
                .map(Some)
                .map_err(|_| Message::new("reports-quota-not-a-number").with("text", t.trim()))
        }
    }
}

pub(super) fn to_row(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

fn parse_grid(grid: &Grid, bands: &BedBands) -> Result<QuotaTable, QuotaImportError> {
    let mut problems = Vec::new();
    let cell = |r: usize, c: usize| {
        grid.get(r)
            .and_then(|row| row.get(c))
            .unwrap_or(&Cell::Empty)
    };

    let Some(header) = grid
        .iter()
        .position(|row| row.iter().any(|c| is_key_header(&c.text())))
    else {
        return Err(QuotaImportError::one(
            None,
            None,
            Message::new("reports-quota-no-header"),
        ));
    };

    let mut key_cols = Vec::new();
    let mut band_cols = Vec::new();
    for (c, h) in grid[header].iter().enumerate() {
        let text = h.text();
        if text.is_empty() || is_total_label(&text) {
            continue;
        }
        if is_key_header(&text) {
            key_cols.push(c);
            continue;
        }
        match parse_band_header(&text) {
            BandHeader::Range(range) => band_cols.push((c, range, text)),
            BandHeader::Unreadable => problems.push(QuotaImportProblem::new(
                Some(to_row(header)),
                Some(c),
                Message::new("reports-quota-band-unreadable").with("text", &text),
            )),
            BandHeader::NotABand if text.contains('床') => problems.push(QuotaImportProblem::new(
                Some(to_row(header)),
                Some(c),
                Message::new("reports-quota-band-no-beds").with("text", &text),
            )),
            BandHeader::NotABand => {}
        }
    }
    if band_cols.len() != bands.len() {
        problems.push(QuotaImportProblem::new(
            Some(to_row(header)),
            None,
            Message::new("reports-quota-band-count")
                .with("found", band_cols.len())
                .with("count", bands.len())
                .with("bands", bilingual(band_list_ja(bands), band_list_en(bands))),
        ));
    } else {
        for (i, ((c, range, text), band)) in band_cols.iter().zip(bands.as_slice()).enumerate() {
            if !header_matches(*range, *band, i == 0) {
                problems.push(QuotaImportProblem::new(
                    Some(to_row(header)),
                    Some(*c),
                    Message::new("reports-quota-band-mismatch")
                        .with("text", text)
                        .with("index", i + 1)
                        .with("band", bilingual(band.label_ja(), band.label_en())),
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(QuotaImportError { problems });
    }

    let mut rows: Vec<QuotaRow> = Vec::new();
    // For each row handed to the domain: (0-based grid row, column of its prefecture).
    let mut places: Vec<(usize, usize)> = Vec::new();
    for r in header + 1..grid.len() {
        let keys: Vec<(usize, String)> = key_cols
            .iter()
            .map(|&c| (c, cell(r, c).text()))
            .filter(|(_, t)| !t.is_empty())
            .collect();
        let band_cells: Vec<&Cell> = band_cols.iter().map(|(c, _, _)| cell(r, *c)).collect();
        let all_blank = band_cells.iter().all(|c| c.is_empty());
        if keys.is_empty() {
            if !all_blank {
                problems.push(QuotaImportProblem::new(
                    Some(to_row(r)),
                    key_cols.first().copied(),
                    Message::new("reports-quota-prefecture-blank"),
                ));
            }
            continue;
        }
        if keys.iter().any(|(_, t)| is_total_label(t)) || all_blank {
            continue;
        }
        // Code and name columns must name the same prefecture.
        let parsed: Vec<(usize, &String, Option<Prefecture>)> = keys
            .iter()
            .map(|(c, t)| (*c, t, parse_prefecture(t).ok()))
            .collect();
        let known: Vec<Prefecture> = parsed.iter().filter_map(|(_, _, p)| *p).collect();
        if known.windows(2).any(|w| w[0] != w[1]) {
            let shown = parsed
                .iter()
                .map(|(_, t, _)| bilingual(t.as_str(), t.as_str()));
            problems.push(QuotaImportProblem::new(
                Some(to_row(r)),
                parsed.get(1).map(|(c, _, _)| *c),
                Message::new("reports-quota-prefecture-disagree")
                    .with("shown", joined(shown, "reports-join-slash")),
            ));
            continue;
        }
        // The first readable key, or the first key as typed so the domain names it.
        let (key_col, key_text) = parsed
            .iter()
            .find(|(_, _, p)| p.is_some())
            .or_else(|| parsed.first())
            .map(|(c, t, _)| (*c, (*t).clone()))
            .unwrap_or_default();
        let mut counts = Vec::with_capacity(band_cells.len());
        let mut row_ok = true;
        for (b, c) in band_cells.iter().enumerate() {
            let col = band_cols[b].0;
            match parse_count(c) {
                Ok(Some(n)) => counts.push(n),
                Ok(None) => {
                    row_ok = false;
                    problems.push(QuotaImportProblem::new(
                        Some(to_row(r)),
                        Some(col),
                        Message::new("reports-quota-blank"),
                    ));
                }
                Err(detail) => {
                    row_ok = false;
                    problems.push(QuotaImportProblem::new(Some(to_row(r)), Some(col), detail));
                }
            }
        }
        if row_ok {
            rows.push(QuotaRow {
                prefecture: key_text,
                counts,
            });
            places.push((r, key_col));
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }

    let table = match QuotaTable::from_rows(bands, &rows) {
        Ok(table) => Some(table),
        Err(found) => {
            for p in found {
                let (r, key_col) = places.get(p.row).copied().unwrap_or_default();
                let col = match (p.code, p.band) {
                    (QuotaProblemCode::Negative | QuotaProblemCode::TooLarge, Some(b)) => {
                        band_cols.get(b).map(|(c, _, _)| *c)
                    }
                    (QuotaProblemCode::WrongBandCount, _) => None,
                    _ => Some(key_col),
                };
                let detail = if p.code == QuotaProblemCode::DuplicatePrefecture {
                    // The domain counts rows it was given; name the file's row instead.
                    let first = rows
                        .iter()
                        .zip(&places)
                        .find(|(row, _)| {
                            parse_prefecture(&row.prefecture).ok()
                                == parse_prefecture(&rows[p.row].prefecture).ok()
                        })
                        .map_or(0, |(_, (fr, _))| to_row(*fr));
                    let name = parse_prefecture(&rows[p.row].prefecture).ok();
                    Message::new("reports-quota-duplicate-prefecture")
                        .with(
                            "prefecture",
                            bilingual(
                                name.map_or("", Prefecture::name_ja),
                                name.map_or("", Prefecture::name_en),
                            ),
                        )
                        .with("first", first)
                } else {
                    p.message
                };
                problems.push(QuotaImportProblem::new(Some(to_row(r)), col, detail));
            }
            None
        }
    };
    if problems.is_empty() {
        match table {
            Some(t) if !t.is_empty() => Ok(t),
            _ => Err(QuotaImportError::one(
                None,
                None,
                Message::new("reports-quota-no-rows"),
            )),
        }
    } else {
        problems.sort_by_key(|p| p.row);
        problems.truncate(MAX_PROBLEMS);
        Err(QuotaImportError { problems })
    }
}

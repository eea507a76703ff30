//! The checks an uploaded .xlsx passes before calamine opens it.
//!
//! An .xlsx is a ZIP archive: a file of a few hundred kilobytes can expand to gigabytes (a
//! "ZIP bomb"), and calamine keeps some parts whole in memory (the shared strings, a
//! worksheet read as a range). [`check_workbook`] refuses, before anything is inflated:
//!
//! - a workbook whose entries would expand to more than the limit. Every entry counts: which
//!   parts calamine reads is decided by the workbook's own relationship parts, which the file
//!   writes, so no entry can be trusted to stay unread. While inflating, the ZIP reader (the
//!   `zip` crate calamine uses, which this check also uses, so both see the same directory)
//!   stops every entry with an error once it yields more than its declared size, so
//!   declared sizes that lie do not get past the limit either;
//! - a part holding a text or a tag longer than [`MAX_RUN_BYTES`]: every part is inflated
//!   once as a stream (64 KiB at a time) before calamine opens the file, since the XML
//!   reader it uses keeps a whole text or tag in memory. A picture stored uncompressed with
//!   1 MiB free of `<` and `>` is refused too; pictures are stored compressed in practice;
//! - a shared-strings part that declares more strings (`uniqueCount`) than the limit could
//!   hold: calamine reserves room for that many strings up front, and an absurd count would
//!   make the allocation fail, which ends the process.

use std::io::{BufReader, Cursor, Read};

use mamori_domain::arg;
use mamori_locale::Message;
use quick_xml::events::Event;

/// What one uploaded workbook may expand to (the sum of the uncompressed sizes of its ZIP
/// entries). The largest real file is a device ledger of 100,000 rows: as mamori's own .xlsx
/// export it is 6.8 MiB and expands to 67.0 MiB (`mamori bench-ledger --memory`, see
/// docs/PERFORMANCE.md); 96 MiB leaves 43 % above that for wider cells and the parts Excel
/// adds. A ledger of more rows can still be imported as CSV.
pub const MAX_EXPANDED_BYTES: u64 = 96 * 1024 * 1024;

/// The room calamine reserves per declared shared string (a `String`).
const BYTES_PER_STRING: u64 = 24;

/// Why a workbook is refused before it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkbookProblem {
    /// Not a ZIP archive that can be read, with the reader's words.
    Unreadable(String),
    /// Its entries would expand to `expanded` bytes, more than `limit`.
    TooLarge { expanded: u64, limit: u64 },
    /// Its shared-strings part declares `declared` strings, more than `limit`.
    TooManyStrings { declared: u64, limit: u64 },
    /// A part holds a text or a tag longer than `limit` bytes.
    LongRun { limit: u64 },
    /// A part inflates to more than its directory declares.
    SizeLies { limit: u64 },
}

impl WorkbookProblem {
    /// Why the workbook is refused, in the reader's language.
    pub fn message(&self) -> Message {
        match self {
            Self::Unreadable(detail) => {
                Message::new("reports-workbook-unreadable").with("detail", detail)
            }
            Self::TooLarge { expanded, limit } => Message::new("reports-workbook-too-large")
                .with("expanded", mib(*expanded))
                .with("limit", mib(*limit)),
            Self::TooManyStrings { declared, limit } => {
                Message::new("reports-workbook-too-many-strings")
                    .with("declared", arg(declared))
                    .with("limit", arg(limit))
            }
            Self::LongRun { limit } => {
                Message::new("reports-workbook-long-run").with("limit", limit / 1024)
            }
            Self::SizeLies { limit } => {
                Message::new("reports-workbook-size-lies").with("limit", mib(*limit))
            }
        }
    }
}

/// Whether a reading error is the ZIP reader stopping a part that inflates past its declared
/// size (the `zip` crate's words, which calamine passes on as text).
pub fn is_size_overrun(error: &str) -> bool {
    error.contains("larger than its declared uncompressed size")
}

/// Megabytes (MiB) for a message, rounded up so that a refused size never reads as the limit.
fn mib(bytes: u64) -> u64 {
    bytes.div_ceil(1024 * 1024)
}

/// The sum of the uncompressed sizes a workbook's ZIP directory declares for its entries.
pub fn expanded_size(bytes: &[u8]) -> Result<u64, WorkbookProblem> {
    let unreadable = |e: zip::result::ZipError| WorkbookProblem::Unreadable(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    let mut expanded: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(unreadable)?;
        expanded = expanded.saturating_add(entry.size());
    }
    Ok(expanded)
}

/// A workbook of one sheet whose first cell holds `expanded_bytes` bytes of `A` (plus
/// `rows`, sheet XML of more rows, after it): a ZIP bomb of a few hundred kilobytes, for the
/// tests and the memory benchmark that these limits are measured against.
pub fn bomb(expanded_bytes: usize, rows: &str, extra_parts: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
    const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
    const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
    const SHEET_TAIL: &str = "</sheetData></worksheet>";
    // Writing to a vector cannot fail; the `expect`s only unwrap that.
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9));
    for (name, text) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
    ]
    .into_iter()
    .chain(extra_parts.iter().copied())
    {
        zip.start_file(name, options).expect("in memory");
        zip.write_all(text.as_bytes()).expect("in memory");
    }
    zip.start_file("xl/worksheets/sheet1.xml", options)
        .expect("in memory");
    zip.write_all(SHEET_HEAD.as_bytes()).expect("in memory");
    if expanded_bytes > 0 {
        zip.write_all(br#"<row r="1"><c r="A1" t="inlineStr"><is><t>"#)
            .expect("in memory");
        let chunk = vec![b'A'; 1 << 20];
        let mut left = expanded_bytes;
        while left > 0 {
            let n = left.min(chunk.len());
            zip.write_all(&chunk[..n]).expect("in memory");
            left -= n;
        }
        zip.write_all(b"</t></is></c></row>").expect("in memory");
    }
    zip.write_all(rows.as_bytes()).expect("in memory");
    zip.write_all(SHEET_TAIL.as_bytes()).expect("in memory");
    zip.finish().expect("in memory").into_inner()
}

/// Checks an .xlsx before it is read: see the module documentation. `limit` is the most its
/// entries may expand to, in bytes ([`MAX_EXPANDED_BYTES`] for uploads).
pub fn check_workbook(bytes: &[u8], limit: u64) -> Result<(), WorkbookProblem> {
    let unreadable = |e: zip::result::ZipError| WorkbookProblem::Unreadable(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    let mut expanded: u64 = 0;
    let mut string_tables = Vec::new();
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(unreadable)?;
        expanded = expanded.saturating_add(entry.size());
        // calamine looks parts up by name ignoring case and with `\` read as `/`.
        let name = entry.name().map_err(unreadable)?;
        if name.to_ascii_lowercase().ends_with("sharedstrings.xml") {
            string_tables.push(index);
        }
    }
    if expanded > limit {
        return Err(WorkbookProblem::TooLarge { expanded, limit });
    }
    // Every part inflated once, as a stream: the XML reader calamine uses buffers a whole
    // text or tag, so one cell of 90 MB would cost several times that (800 MiB measured).
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(unreadable)?;
        match longest_run(entry) {
            Ok(run) if run > MAX_RUN_BYTES => {
                return Err(WorkbookProblem::LongRun {
                    limit: MAX_RUN_BYTES,
                });
            }
            Ok(_) => {}
            Err(e) if is_size_overrun(&e.to_string()) => {
                return Err(WorkbookProblem::SizeLies { limit });
            }
            Err(e) => return Err(WorkbookProblem::Unreadable(e.to_string())),
        }
    }
    let most_strings = limit / BYTES_PER_STRING;
    for index in string_tables {
        let entry = archive.by_index(index).map_err(unreadable)?;
        if let Some(declared) = declared_strings(entry)?
            && declared > most_strings
        {
            return Err(WorkbookProblem::TooManyStrings {
                declared,
                limit: most_strings,
            });
        }
    }
    Ok(())
}

/// The longest text or tag a part may hold, in bytes: an Excel cell holds 32,767
/// characters, at most ~200 KB written as XML with entities.
pub const MAX_RUN_BYTES: u64 = 1024 * 1024;

/// The longest run of bytes between two tag marks (`<`, `>`) of a part, read as a stream.
fn longest_run(mut part: impl Read) -> std::io::Result<u64> {
    let is_mark = |b: &u8| *b == b'<' || *b == b'>';
    let mut buf = vec![0u8; 64 * 1024];
    let (mut run, mut longest) = (0u64, 0u64);
    loop {
        let n = part.read(&mut buf)?;
        if n == 0 {
            return Ok(longest.max(run));
        }
        let bytes = &buf[..n];
        match (
            bytes.iter().position(is_mark),
            bytes.iter().rposition(is_mark),
        ) {
            (Some(first), Some(last)) => {
                longest = longest.max(run + first as u64);
                if last > first {
                    for piece in bytes[first + 1..last].split(is_mark) {
                        longest = longest.max(piece.len() as u64);
                    }
                }
                run = (n - last - 1) as u64;
            }
            _ => run += n as u64,
        }
    }
}

/// The `uniqueCount` of the first `sst` element, read as calamine reads it (its root may be
/// preceded by anything); `None` when there is none or it is not a number. The part is
/// inflated as a stream: memory stays small, and its size was checked before.
fn declared_strings(part: impl Read) -> Result<Option<u64>, WorkbookProblem> {
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut buf = Vec::with_capacity(1024);
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.local_name().as_ref() == "sst" => {
                for attribute in e.attributes().with_checks(false) {
                    // An attribute calamine might read differently: refuse rather than guess.
                    let attribute = attribute
                        .map_err(|e| WorkbookProblem::Unreadable(format!("shared strings: {e}")))?;
                    if attribute.key.as_ref() == "uniqueCount" {
                        return Ok(leading_number(attribute.value.as_bytes()));
                    }
                }
                return Ok(None);
            }
            Ok(Event::Eof) => return Ok(None),
            Err(e) => return Err(WorkbookProblem::Unreadable(format!("shared strings: {e}"))),
            Ok(_) => {}
        }
    }
}

/// The number a count attribute starts with (an optional `+`, then digits), saturating; a
/// reader that accepts a prefix must not get past the check with a trailing letter.
fn leading_number(value: &[u8]) -> Option<u64> {
    let digits = value.strip_prefix(b"+").unwrap_or(value);
    let digits: Vec<u8> = digits
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .collect();
    if digits.is_empty() {
        return None;
    }
    Some(digits.iter().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_as_a_reader_might() {
        assert_eq!(leading_number(b"12"), Some(12));
        assert_eq!(leading_number(b"+12x"), Some(12));
        assert_eq!(leading_number(b"99999999999999999999999"), Some(u64::MAX));
        assert_eq!(leading_number(b"x"), None);
        assert_eq!(leading_number(b""), None);
    }

    #[test]
    fn runs_are_measured_across_reads() {
        // A reader that hands out 3 bytes at a time.
        struct Slow<'a>(&'a [u8]);
        impl Read for Slow<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(3).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        for (text, longest) in [
            (&b"<a>hello</a>"[..], 5),
            (b"abcdefgh", 8),
            (b"<x>ab<y>abcdefghij<z>", 10),
            (b"", 0),
            (b"ab<cd", 2),
            (b"<", 0),
        ] {
            assert_eq!(longest_run(text).ok(), Some(longest), "{text:?}");
            assert_eq!(longest_run(Slow(text)).ok(), Some(longest), "{text:?}");
        }
    }

    #[test]
    fn sizes_round_up() {
        assert_eq!(mib(0), 0);
        assert_eq!(mib(1), 1);
        assert_eq!(mib(64 * 1024 * 1024), 64);
        assert_eq!(mib(64 * 1024 * 1024 + 1), 65);
    }
}

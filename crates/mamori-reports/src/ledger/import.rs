//! Reading a ledger file ([`import`]): which format it is, and how CSV text is decoded
//! (UTF-8 or Shift_JIS).

use std::borrow::Cow;

use mamori_domain::device::ParsedLedger;

use super::ImportOptions;
use super::csv_input::import_csv;
use super::error::{ForeignFormat, ImportError};
use super::header::line_of;
use super::xlsx_input::import_xlsx;

/// Reads a ledger file (.xlsx or CSV) with the default [`ImportOptions`].
pub fn import(bytes: &[u8], content_type_hint: Option<&str>) -> Result<ParsedLedger, ImportError> {
    import_with(bytes, content_type_hint, &ImportOptions::default())
}

/// Reads a ledger file (.xlsx or CSV). See the module documentation.
pub fn import_with(
    bytes: &[u8],
    content_type_hint: Option<&str>,
    options: &ImportOptions,
) -> Result<ParsedLedger, ImportError> {
    if bytes.is_empty() {
        return Err(ImportError::Empty);
    }
    if bytes.len() > options.max_bytes {
        return Err(ImportError::TooLarge {
            size: bytes.len(),
            limit: options.max_bytes,
        });
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return import_xlsx(bytes, options);
    }
    if bytes.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        return Err(ImportError::LegacyExcel);
    }
    if let Some(format) = ForeignFormat::sniff(bytes) {
        return Err(ImportError::NotASpreadsheet(format));
    }
    let text = csv_text(bytes)?;
    let raw = text.bytes();
    if raw.contains(&0) {
        return Err(ImportError::NotASpreadsheet(ForeignFormat::Binary));
    }
    if raw.iter().all(u8::is_ascii_whitespace) || text.is_blank() {
        return Err(ImportError::Empty);
    }
    let tab_first = content_type_hint.is_some_and(|hint| {
        let hint = hint.to_ascii_lowercase();
        hint.contains("tab-separated") || hint.ends_with(".tsv")
    }) || bytes.starts_with(b"\xff\xfe")
        || bytes.starts_with(b"\xfe\xff");
    let (first, second) = if tab_first {
        (b'\t', b',')
    } else {
        (b',', b'\t')
    };
    let result = import_csv(&text, first, options);
    match result {
        // The other delimiter; its failure says more only if it finds a header row.
        Err(ImportError::NoHeaderRow { .. }) if raw.contains(&second) => {
            match import_csv(&text, second, options) {
                Err(ImportError::NoHeaderRow { .. }) => result,
                other => other,
            }
        }
        other => other,
    }
}

/// The text of a CSV file.
pub(super) enum CsvText<'a> {
    /// UTF-8, checked (from UTF-8, or decoded from UTF-16).
    Utf8(Cow<'a, str>),
    /// Shift_JIS (CP932), decoded cell by cell as it is read. The CSV structure can be read
    /// on the bytes: no byte of a two-byte Shift_JIS character is a comma, a tab, a quote or
    /// a line break.
    ShiftJis(&'a [u8]),
}

impl CsvText<'_> {
    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Self::Utf8(text) => text.as_bytes(),
            Self::ShiftJis(bytes) => bytes,
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            Self::Utf8(text) => text.trim().is_empty(),
            Self::ShiftJis(_) => false,
        }
    }
}

/// UTF-8 (BOM or not), UTF-16 with a BOM, or Shift_JIS (CP932).
///
/// Valid UTF-8 is UTF-8. Text that is not, with only ASCII before its first bad byte, is
/// Shift_JIS (checked as it is read). Text that has UTF-8 characters before a bad byte was
/// meant to be UTF-8: unless all of it happens to be valid Shift_JIS, the bad byte's line is
/// reported (rather than reading the file as garbled Shift_JIS).
fn csv_text(bytes: &[u8]) -> Result<CsvText<'_>, ImportError> {
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return std::str::from_utf8(rest)
            .map(|text| CsvText::Utf8(Cow::Borrowed(text)))
            .map_err(|e| ImportError::Encoding {
                line: line_of(bytes, 3 + e.valid_up_to()),
            });
    }
    for (bom, encoding) in [
        (b"\xff\xfe", encoding_rs::UTF_16LE),
        (b"\xfe\xff", encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return encoding
                .decode_without_bom_handling_and_without_replacement(rest)
                .map(CsvText::Utf8)
                .ok_or(ImportError::Encoding { line: 1 });
        }
    }
    let utf8_valid_up_to = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(CsvText::Utf8(Cow::Borrowed(text))),
        Err(e) => e.valid_up_to(),
    };
    if bytes.contains(&0) {
        return Err(ImportError::NotASpreadsheet(ForeignFormat::Binary));
    }
    if bytes[..utf8_valid_up_to].is_ascii() {
        return Ok(CsvText::ShiftJis(bytes));
    }
    // Meant as UTF-8, or Shift_JIS that happens to start like UTF-8: the whole text decides.
    let mut decoder = encoding_rs::SHIFT_JIS.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(
        decoder
            .max_utf8_buffer_length_without_replacement(bytes.len())
            .unwrap_or(bytes.len()),
    );
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    let shift_jis_valid_up_to = match result {
        encoding_rs::DecoderResult::InputEmpty => return Ok(CsvText::ShiftJis(bytes)),
        encoding_rs::DecoderResult::Malformed(bad, _) => read.saturating_sub(usize::from(bad)),
        encoding_rs::DecoderResult::OutputFull => read,
    };
    Err(ImportError::Encoding {
        line: line_of(bytes, utf8_valid_up_to.max(shift_jis_valid_up_to)),
    })
}

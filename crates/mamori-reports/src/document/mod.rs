//! What an uploaded document is, read from its content by the parser of each format, never
//! from its name: a PDF whose cross-reference data, trailer and objects load (lopdf); an
//! Office Open XML package (ZIP) whose `[Content_Types].xml` declares a workbook (.xlsx) or a
//! word-processing document (.docx); a PNG whose header chunks and their checksums read
//! (png); a JPEG whose frame headers decode (zune-jpeg); or plain text, UTF-8 or Shift_JIS,
//! without control characters other than tab and line ends.
//!
//! Every reader is bounded: the file is at most the caller's limit, lopdf limits nesting to
//! 100 levels and each inflated stream to [`PDF_STREAM_LIMIT`], and only
//! `[Content_Types].xml` of a ZIP is inflated, at most [`CONTENT_TYPES_LIMIT`] bytes of it.

use std::io::{Cursor, Read};

use mamori_domain::evidence::DocumentKind;

/// The most one stream of an uploaded PDF may inflate to while it is parsed (object and
/// cross-reference streams are inflated on loading; page contents are not).
pub const PDF_STREAM_LIMIT: usize = 8 * 1024 * 1024;
/// The most of a package's `[Content_Types].xml` that is read.
pub const CONTENT_TYPES_LIMIT: u64 = 1024 * 1024;

const WORKBOOK_MAIN: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml";
const MACRO_WORKBOOK_MAIN: &str = "application/vnd.ms-excel.sheet.macroEnabled.main+xml";
const DOCUMENT_MAIN: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml";

/// The kind of document the bytes are, or `None` when no parser of a kept kind reads them.
pub fn read_kind(bytes: &[u8]) -> Option<DocumentKind> {
    if bytes.starts_with(b"%PDF-") {
        parses_as_pdf(bytes).then_some(DocumentKind::Pdf)
    } else if bytes.starts_with(b"PK\x03\x04") {
        package_kind(bytes)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        parses_as_png(bytes).then_some(DocumentKind::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        parses_as_jpeg(bytes).then_some(DocumentKind::Jpeg)
    } else {
        is_plain_text(bytes).then_some(DocumentKind::Text)
    }
}

/// Whether the bytes load as a PDF with lopdf. lopdf indexes slices and unwraps locks in
/// its reader, so a panic on a hostile file is caught and counts as not parsing.
pub fn parses_as_pdf(bytes: &[u8]) -> bool {
    let options = lopdf::LoadOptions {
        max_decompressed_size: Some(PDF_STREAM_LIMIT),
        ..lopdf::LoadOptions::default()
    };
    std::panic::catch_unwind(|| lopdf::Document::load_mem_with_options(bytes, options).is_ok())
        .unwrap_or(false)
}

/// An Office Open XML package's kind, by the main part its content types declare (and
/// that part present in the archive).
fn package_kind(bytes: &[u8]) -> Option<DocumentKind> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut types = String::new();
    archive
        .by_name("[Content_Types].xml")
        .ok()?
        .take(CONTENT_TYPES_LIMIT)
        .read_to_string(&mut types)
        .ok()?;
    let declares = |main: &str| types.contains(main);
    let has = |name: &str| archive.index_for_name(name).is_some();
    if (declares(WORKBOOK_MAIN) || declares(MACRO_WORKBOOK_MAIN)) && has("xl/workbook.xml") {
        Some(DocumentKind::Xlsx)
    } else if declares(DOCUMENT_MAIN) && has("word/document.xml") {
        Some(DocumentKind::Docx)
    } else {
        None
    }
}

/// Whether the PNG's signature, header and chunks up to the image data read, checksums
/// included.
fn parses_as_png(bytes: &[u8]) -> bool {
    png::Decoder::new(Cursor::new(bytes)).read_info().is_ok()
}

/// Whether the JPEG's markers and frame headers decode.
fn parses_as_jpeg(bytes: &[u8]) -> bool {
    let mut decoder =
        zune_jpeg::JpegDecoder::new(zune_jpeg::zune_core::bytestream::ZCursor::new(bytes));
    decoder.decode_headers().is_ok()
}

/// Text as a text editor saves it: UTF-8 (a byte-order mark allowed) or Shift_JIS, with no
/// control character but tab, line feed and carriage return.
fn is_plain_text(bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        return false;
    }
    let text = match std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => {
            let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
            if had_errors {
                return false;
            }
            text
        }
    };
    text.chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
}

/// A one-page A4 PDF of lines of ASCII text in Helvetica, the first larger: the demo's
/// documents and the tests' files.
pub fn simple_pdf(lines: &[&str]) -> Vec<u8> {
    let escaped = |line: &str| {
        line.replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)")
    };
    let mut text = String::from("BT /F1 16 Tf 60 780 Td");
    for (i, line) in lines.iter().enumerate() {
        if i == 1 {
            text.push_str(" /F1 11 Tf");
        }
        if i > 0 {
            text.push_str(" 0 -24 Td");
        }
        text.push_str(&format!(" ({}) Tj", escaped(line)));
    }
    text.push_str(" ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

#[cfg(test)]
mod tests;

use std::io::Write;

use super::*;

fn pdf() -> Vec<u8> {
    simple_pdf(&["Restore test record", "2026-11-02"])
}

fn xlsx() -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    workbook
        .add_worksheet()
        .write_string(0, 0, "backup log")
        .expect("a cell");
    workbook.save_to_buffer().expect("a workbook")
}

fn package(parts: &[(&str, &str)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in parts {
        zip.start_file(*name, options).expect("a part");
        zip.write_all(body.as_bytes()).expect("written");
    }
    zip.finish().expect("a package").into_inner()
}

fn docx() -> Vec<u8> {
    package(&[
        (
            "[Content_Types].xml",
            &format!(
                r#"<Types><Override PartName="/word/document.xml" ContentType="{DOCUMENT_MAIN}"/></Types>"#
            ),
        ),
        ("word/document.xml", "<w:document/>"),
    ])
}

fn png_image() -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, 2, 2);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("a header");
    writer.write_image_data(&[200; 12]).expect("pixels");
    writer.finish().expect("finished");
    bytes
}

fn jpeg_image() -> Vec<u8> {
    let mut bytes = Vec::new();
    jpeg_encoder::Encoder::new(&mut bytes, 80)
        .encode(&[120; 8 * 8 * 3], 8, 8, jpeg_encoder::ColorType::Rgb)
        .expect("a jpeg");
    bytes
}

#[test]
fn each_kept_kind_is_told_by_its_parser() {
    assert_eq!(read_kind(&pdf()), Some(DocumentKind::Pdf));
    assert_eq!(read_kind(&xlsx()), Some(DocumentKind::Xlsx));
    assert_eq!(read_kind(&docx()), Some(DocumentKind::Docx));
    assert_eq!(read_kind(&png_image()), Some(DocumentKind::Png));
    assert_eq!(read_kind(&jpeg_image()), Some(DocumentKind::Jpeg));
    assert_eq!(
        read_kind("復元テスト 成功\r\n".as_bytes()),
        Some(DocumentKind::Text)
    );
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("復元テスト 成功\n");
    assert_eq!(read_kind(&sjis), Some(DocumentKind::Text));
}

#[test]
fn a_signature_alone_is_not_a_document() {
    assert_eq!(read_kind(b"%PDF-1.7 and nothing else"), None);
    assert_eq!(
        read_kind(b"PK\x03\x04 word/document.xml xl/workbook.xml"),
        None
    );
    let mut png = png_image();
    let last = png.len() - 5;
    png[20] ^= 0xFF; // inside the header chunk: its checksum no longer matches
    png.truncate(last);
    assert_eq!(read_kind(&png), None);
    assert_eq!(read_kind(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J']), None);
    // A package that is neither a workbook nor a document (an .odt, a plain ZIP).
    assert_eq!(
        read_kind(&package(&[(
            "mimetype",
            "application/vnd.oasis.opendocument.text"
        )])),
        None
    );
    // Declared but missing its main part.
    assert_eq!(
        read_kind(&package(&[(
            "[Content_Types].xml",
            &format!(r#"<Types ContentType="{DOCUMENT_MAIN}"/>"#)
        )])),
        None
    );
}

#[test]
fn binary_and_empty_files_are_not_text() {
    assert_eq!(read_kind(b""), None);
    assert_eq!(read_kind(b"MZ\x90\x00\x03\x00\x00\x00"), None);
    assert_eq!(read_kind(b"log\x1b[31m red"), None);
    assert_eq!(read_kind(&[0x82, 0xA0, 0xFF, 0xFE]), None);
}

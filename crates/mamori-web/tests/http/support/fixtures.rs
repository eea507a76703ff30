//! The demo records the scenarios name (see `mamori_app::demo`; each test starts from a
//! fresh database of the demo data, so their ids are fixed) and the files they send.

/// みなと中央病院: the Tokyo hospital (250 beds) of `demo-hospital` (its administrator) and
/// `demo-hospital-staff`, with two vendor contracts, a ledger, a contact chart and the
/// consultation desk's demo case; its form of the current year lacks its last three answers.
pub(crate) const HOSPITAL: i64 = 1;
/// さくら内科クリニック: the Tokyo clinic without beds of `demo-clinic`, without vendor
/// contracts; its form of the current year is complete.
pub(crate) const CLINIC: i64 = 2;
/// あおば薬局 本町店: the Tokyo pharmacy of `demo-pharmacy` (the pharmacy form).
pub(crate) const PHARMACY: i64 = 3;
/// 桜島記念病院: the Kagoshima hospital (120 beds) of `demo-hospital-46`, seen by
/// `demo-inspector-46`, with one vendor contract.
pub(crate) const HOSPITAL_46: i64 = 4;
/// The demo hospital's EMR contract (東和メディカルシステム株式会社), served by `demo-vendor`.
pub(crate) const VENDOR_CONTRACT: i64 = 1;
/// Its network contract (みなとネットワークサービス, from this year), served by
/// `demo-vendor-network`.
pub(crate) const NETWORK_CONTRACT: i64 = 2;
/// The Kagoshima hospital's network contract (南州ネットワーク株式会社), served by
/// `demo-vendor-46`.
pub(crate) const VENDOR_46_CONTRACT: i64 = 3;
/// The first demo training course, 導入研修 – 立入検査対策コース – (preparing for the
/// on-site inspection).
pub(crate) const INSPECTION_COURSE: i64 = 1;

/// The smallest real PDF: one empty A4 page, with its cross-reference table.
pub(crate) const TINY_PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\nxref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n";

/// A file of `mamori-reports`' test fixtures (ledger workbooks and CSV files).
pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../mamori-reports/tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The content type of an .xlsx workbook.
pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

//! Reading one row of a ledger file: every cell checked, every refusal a [`RowError`].

use std::net::{IpAddr, Ipv4Addr};

use chrono::NaiveDate;

use super::choice::{DeviceKind, DeviceStatus, RemoteAccess, parse_yes_no};
use super::column::LedgerColumn;
use super::key::{fold_key, is_blank, shown};
use super::record::Device;
use super::value::{AssetNumber, Software, Version};
use crate::ParseError;
use crate::text::fold::fold;
use crate::wareki::parse_date;

/// A refusal of one cell (or one row) of a ledger file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {row}, column {column}: {}", .message.render(mamori_locale::Lang::En))]
pub struct RowError {
    /// The row as the user sees it in Excel (1-based, header rows counted).
    pub row: usize,
    /// The column's header: as written in the file when the error comes from a file,
    /// otherwise the Japanese header of [`LedgerColumn`].
    pub column: String,
    pub message: mamori_locale::Message,
}

impl RowError {
    pub fn new(row: usize, column: impl Into<String>, message: mamori_locale::Message) -> Self {
        Self {
            row,
            column: column.into(),
            message,
        }
    }

    fn from_parse(row: usize, column: LedgerColumn, e: ParseError) -> Self {
        Self::new(row, column.header_ja(), e.message)
    }
}

/// Free text longer than this is refused (a cell of a ledger, not a document).
pub const MAX_TEXT_CHARS: usize = 1000;
/// 説明 may be longer than the other cells.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// At most this many software entries or IP addresses in one cell.
pub const MAX_ENTRIES: usize = 100;
/// A software name is at most this long, so that a full ソフトウェア cell
/// ([`MAX_ENTRIES`] names) still fits in one Excel cell (32,767 characters).
pub const MAX_NAME_CHARS: usize = 200;

/// Trims a free-text cell, writes line breaks as `\n`, and refuses other control characters
/// and overlong text.
fn parse_text(field: &'static str, text: &str, max_chars: usize) -> Result<String, ParseError> {
    let trimmed = text.trim();
    // C0 controls and DEL are single bytes; C1 controls (U+0080..U+009F) start with 0xC2.
    let suspicious = trimmed
        .bytes()
        .any(|b| (b < 0x20 && b != b'\t' && b != b'\n') || b == 0x7F || b == 0xC2);
    let owned = if trimmed.contains('\r') {
        trimmed.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        trimmed.to_owned()
    };
    if suspicious
        && let Some(c) = owned
            .chars()
            .find(|&c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ParseError::new(
            field,
            mamori_locale::Message::new("domain-device-control-character")
                .with("code", format!("{:04X}", c as u32)),
        ));
    }
    // A character takes at least one byte: short texts need no counting.
    if owned.len() > max_chars {
        let count = owned.chars().count();
        if count > max_chars {
            return Err(ParseError::new(
                field,
                mamori_locale::Message::new("domain-device-parse-has-characters-most-are")
                    .with("count", crate::arg(count))
                    .with("max", crate::arg(max_chars)),
            ));
        }
    }
    Ok(owned)
}

/// The lines of a multi-value cell, trimmed, with trailing blank lines dropped. Leading and
/// inner blank lines are kept, because they keep versions in step with names.
pub(super) fn lines(text: &str) -> impl Iterator<Item = &str> + Clone {
    let text = text.trim_end();
    let blank = text.is_empty();
    text.split('\n')
        .flat_map(|line| line.strip_suffix('\r').unwrap_or(line).split('\r'))
        .map(str::trim)
        .filter(move |_| !blank)
}

fn parse_software(
    names: &str,
    versions: &str,
) -> Result<Vec<Software>, Vec<(LedgerColumn, ParseError)>> {
    let mut errors = Vec::new();
    let name_count = if is_blank(names) {
        0
    } else {
        lines(names).count()
    };
    let version_count = lines(versions).count();
    if name_count > MAX_ENTRIES {
        errors.push((
            LedgerColumn::Software,
            ParseError::new(
                "software",
                mamori_locale::Message::new("domain-device-parse-most-software-entries-per")
                    .with("max-entries", crate::arg(MAX_ENTRIES)),
            ),
        ));
        return Err(errors);
    }
    let mut software = Vec::with_capacity(name_count);
    for (i, name) in lines(names).take(name_count).enumerate() {
        if name.is_empty() {
            errors.push((
                LedgerColumn::Software,
                ParseError::new(
                    "software",
                    mamori_locale::Message::new("domain-device-parse-software-name-line-cell")
                        .with("i", crate::arg(i + 1)),
                ),
            ));
            continue;
        }
        match parse_text("software", name, MAX_NAME_CHARS) {
            Ok(name) => software.push(Software {
                name,
                version: None,
            }),
            Err(e) => errors.push((LedgerColumn::Software, e)),
        }
    }
    if version_count > name_count {
        let message = if name_count == 0 {
            mamori_locale::Message::new("domain-device-version-without-software")
        } else {
            mamori_locale::Message::new("domain-device-version-count-mismatch")
                .with("versions", version_count)
                .with("names", name_count)
        };
        errors.push((
            LedgerColumn::SoftwareVersion,
            ParseError::new("software_version", message),
        ));
    } else if errors.is_empty() {
        for (entry, line) in software.iter_mut().zip(lines(versions)) {
            match Version::parse("software_version", line) {
                Ok(v) => entry.version = v,
                Err(e) => errors.push((LedgerColumn::SoftwareVersion, e)),
            }
        }
    }
    if errors.is_empty() {
        Ok(software)
    } else {
        Err(errors)
    }
}

/// Reads an IPv4 address, allowing leading zeros in a part (`192.168.001.010`), which
/// spreadsheets often hold and `std` refuses.
fn parse_ipv4_lenient(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    parts.next().is_none().then(|| Ipv4Addr::from(octets))
}

/// IPアドレス: addresses separated by line breaks, `,`, `;`, `、` or spaces; `DHCP` or 自動
/// for a dynamic address; blank, `-` or なし for none.
pub fn parse_ip_addresses(text: &str) -> Result<(Vec<IpAddr>, bool), ParseError> {
    let mut addresses = Vec::new();
    let mut dhcp = false;
    if is_blank(text) {
        return Ok((addresses, dhcp));
    }
    let folded = fold(text);
    let mut bad = Vec::new();
    for token in folded
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '、' | '，' | '；'))
        .filter(|t| !t.is_empty())
    {
        let parsed = parse_ipv4_lenient(token)
            .map(IpAddr::V4)
            .or_else(|| token.parse::<IpAddr>().ok());
        match parsed {
            Some(ip) if !addresses.contains(&ip) => addresses.push(ip),
            Some(_) => {}
            None => match fold_key(token).as_str() {
                "dhcp" | "自動" | "自動取得" | "動的" => dhcp = true,
                "なし" | "無" | "無し" | "none" | "" => {}
                _ => bad.push(token.to_owned()),
            },
        }
    }
    if !bad.is_empty() {
        let list = bad.iter().map(|b| shown(b)).collect::<Vec<_>>();
        return Err(ParseError::new(
            "ip_address",
            mamori_locale::Message::new("domain-device-parse-ip-address-write-like").with(
                "list",
                crate::bilingual(list.join("」「"), list.join("', '")),
            ),
        ));
    }
    if addresses.len() > MAX_ENTRIES {
        return Err(ParseError::new(
            "ip_address",
            mamori_locale::Message::new("domain-device-parse-most-ip-addresses-per")
                .with("max-entries", crate::arg(MAX_ENTRIES)),
        ));
    }
    Ok((addresses, dhcp))
}

/// `YYYY-M-D`, `YYYY/M/D` or `YYYY.M.D` in ASCII, as most ledgers write dates; `None` for
/// anything else, which [`parse_date`] then reads or refuses with its message.
fn parse_plain_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if !(8..=10).contains(&b.len()) || !b[..4].iter().all(u8::is_ascii_digit) || b[0] == b'0' {
        return None;
    }
    let separator = b[4];
    if !matches!(separator, b'-' | b'/' | b'.') {
        return None;
    }
    let number = |part: &[u8]| -> Option<u32> {
        if part.is_empty() || part.len() > 2 || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let rest = &b[5..];
    let second = rest.iter().position(|&c| c == separator)?;
    let month = number(&rest[..second])?;
    let day = number(&rest[second + 1..])?;
    let year = b[..4].iter().fold(0, |n, d| n * 10 + i32::from(d - b'0'));
    NaiveDate::from_ymd_opt(year, month, day)
}

fn parse_optional_date(field: &'static str, text: &str) -> Result<Option<NaiveDate>, ParseError> {
    if is_blank(text) {
        return Ok(None);
    }
    let t = text.trim();
    match parse_plain_date(t) {
        Some(d) => Ok(Some(d)),
        None => parse_date(field, t).map(Some),
    }
}

fn parse_choice<T>(
    text: &str,
    parse: impl Fn(&str) -> Result<T, ParseError>,
) -> Result<Option<T>, ParseError> {
    if is_blank(text) {
        Ok(None)
    } else {
        parse(text).map(Some)
    }
}

/// Whether every cell of a row is blank (such rows are skipped, not refused).
pub fn is_blank_row<S: AsRef<str>>(cells: &[(LedgerColumn, S)]) -> bool {
    cells
        .iter()
        .all(|(_, text)| text.as_ref().trim().is_empty())
}

/// Reads one row of a ledger. `row` is the row number the user sees (it goes into the
/// errors); `cells` holds the columns the file has, in any order; a column that is missing
/// is blank. Every error of the row is returned, not only the first.
pub fn parse_row<S: AsRef<str>>(
    row: usize,
    cells: &[(LedgerColumn, S)],
) -> Result<Device, Vec<RowError>> {
    let mut errors: Vec<RowError> = Vec::new();
    let mut by_column: [Option<&str>; LedgerColumn::COUNT] = [None; LedgerColumn::COUNT];
    for (column, text) in cells {
        let slot = &mut by_column[column.index()];
        if slot.is_some() {
            errors.push(RowError::new(
                row,
                column.header_ja(),
                mamori_locale::Message::new("domain-device-row-column-given-twice").with(
                    "header",
                    crate::bilingual(column.header_ja(), column.header_en()),
                ),
            ));
        }
        *slot = Some(text.as_ref());
    }
    let get = |column: LedgerColumn| by_column[column.index()].unwrap_or("");

    let asset_number = match AssetNumber::parse(get(LedgerColumn::AssetNumber)) {
        Ok(a) => Some(a),
        Err(e) => {
            errors.push(RowError::from_parse(row, LedgerColumn::AssetNumber, e));
            None
        }
    };
    // Given its asset number below; if that could not be read, the row is refused.
    let mut device = Device::new(AssetNumber(String::new()));

    macro_rules! take {
        ($column:expr, $result:expr, |$v:ident| $assign:expr) => {
            match $result {
                Ok($v) => $assign,
                Err(e) => errors.push(RowError::from_parse(row, $column, e)),
            }
        };
    }
    macro_rules! text {
        ($column:expr, $field:ident, $max:expr) => {
            take!(
                $column,
                parse_text($column.key(), get($column), $max),
                |v| { device.$field = v }
            )
        };
    }
    // A column read by `parse(its key, its text)` straight into the device's field.
    macro_rules! field {
        ($column:expr, $field:ident, $parse:path) => {
            take!($column, $parse($column.key(), get($column)), |v| {
                device.$field = v
            })
        };
    }
    use LedgerColumn as C;

    take!(
        C::Kind,
        parse_choice(get(C::Kind), DeviceKind::parse),
        |v| { device.kind = v }
    );
    text!(C::Maker, maker, MAX_TEXT_CHARS);
    text!(C::Model, model, MAX_TEXT_CHARS);
    text!(C::Os, os, MAX_TEXT_CHARS);
    match parse_software(get(C::Software), get(C::SoftwareVersion)) {
        Ok(s) => device.software = s,
        Err(es) => errors.extend(
            es.into_iter()
                .map(|(column, e)| RowError::from_parse(row, column, e)),
        ),
    }
    field!(C::FirmwareVersion, firmware_version, Version::parse);
    take!(C::IpAddress, parse_ip_addresses(get(C::IpAddress)), |v| {
        (device.ip_addresses, device.dhcp) = v
    });
    text!(C::ComputerName, computer_name, MAX_TEXT_CHARS);
    text!(C::Location, location, MAX_TEXT_CHARS);
    text!(C::User, user, MAX_TEXT_CHARS);
    field!(C::RegisteredOn, registered_on, parse_optional_date);
    take!(
        C::Status,
        parse_choice(get(C::Status), DeviceStatus::parse),
        |v| device.status = v.unwrap_or(DeviceStatus::Active)
    );
    text!(C::Description, description, MAX_DESCRIPTION_CHARS);
    text!(C::SerialNumber, serial_number, MAX_TEXT_CHARS);
    take!(
        C::RemoteMaintenance,
        parse_yes_no("remote_maintenance", get(C::RemoteMaintenance)),
        |v| device.remote_maintenance = v.unwrap_or(false)
    );
    text!(C::MaintenanceVendor, maintenance_vendor, MAX_TEXT_CHARS);
    take!(
        C::RemoteAccess,
        parse_choice(get(C::RemoteAccess), RemoteAccess::parse),
        |v| device.remote_access = v
    );
    field!(
        C::SecurityUpdatesInContract,
        security_updates_in_contract,
        parse_yes_no
    );
    field!(C::LastPatchedOn, last_patched_on, parse_optional_date);
    field!(C::AlwaysOnConnection, always_on_connection, parse_yes_no);
    field!(
        C::WeakOrReusedPassword,
        weak_or_reused_password,
        parse_yes_no
    );

    match asset_number {
        Some(asset_number) if errors.is_empty() => {
            device.asset_number = asset_number;
            Ok(device)
        }
        _ => Err(errors),
    }
}

//! Risk rules of the device ledger (機器台帳).
//!
//! Given one ledger row as a [`RiskSubject`] and the bundled datasets as a [`RiskData`], [`assess`]
//! says what needs attention and what to do next, in Japanese and English:
//!
//! - software or firmware past its end of support (サポート終了), from endoflife.date and from
//!   mamori's curated table of Japan-market network devices;
//! - products with vulnerabilities known to be exploited (CISA Known Exploited Vulnerabilities);
//! - VPN firmware below the fixed version of the CVEs behind hospital ransomware incidents;
//! - patches not applied for a while;
//! - the VPN device check of the MHLW notice (VPN装置等のネットワーク機器の点検): security
//!   updates in the maintenance contract (保守契約), end of support, needless always-on
//!   connections (常時接続), weak or reused passwords (容易なパスワード設定や使い回し).
//!
//! Pure: no I/O, no clock. The evaluation date is a parameter; the datasets come in as values,
//! indexed once by [`RiskData::new`] so that one assessment costs a few hash look-ups.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize, Serializer};

/// Days before the end of support from which `end_of_support_soon` is raised.
pub const END_OF_SUPPORT_SOON_DAYS: i64 = 180;

/// How many CVE ids a message names before it says "and N more".
const CVES_IN_MESSAGE: usize = 5;

/// How many KEV entries the evidence of `known_exploited` details.
const CVES_IN_EVIDENCE: usize = 10;

// ------------------------------------------------------------------------------------------
// The device as the rules see it
// ------------------------------------------------------------------------------------------

/// The kind of device (機器の種別) as the ledger records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// サーバ
    Server,
    /// 端末PC
    TerminalPc,
    /// ネットワーク機器 (router, switch, firewall, access point)
    Network,
    /// VPN装置
    VpnDevice,
    /// 医療機器
    MedicalDevice,
    /// その他
    #[default]
    Other,
}

impl DeviceKind {
    pub const ALL: [DeviceKind; 6] = [
        Self::Server,
        Self::TerminalPc,
        Self::Network,
        Self::VpnDevice,
        Self::MedicalDevice,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Server => "server",
            Self::TerminalPc => "terminal_pc",
            Self::Network => "network",
            Self::VpnDevice => "vpn_device",
            Self::MedicalDevice => "medical_device",
            Self::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == code)
    }
}

/// One piece of software installed on the device (導入ソフトウェア).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SoftwareRef<'a> {
    pub name: &'a str,
    pub version: Option<&'a str>,
}

/// What the risk rules read from one ledger row. A view: it borrows the row's text, so that
/// callers can assess many devices without copying them. Blank strings count as absent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RiskSubject<'a> {
    pub kind: DeviceKind,
    /// メーカー
    pub maker: Option<&'a str>,
    /// 型番・機種名
    pub model: Option<&'a str>,
    /// OS, e.g. `Windows 10 Pro`, `FortiOS`.
    pub os: Option<&'a str>,
    /// OS version as written, e.g. `21H2`, `10.0.19044`, `7.4.3`.
    pub os_version: Option<&'a str>,
    /// ファームウェアのバージョン, as written, e.g. `v6.0.4 build0231`, `Rev.15.02.29`.
    pub firmware_version: Option<&'a str>,
    pub software: Vec<SoftwareRef<'a>>,
    /// The day a security patch was last applied (最終パッチ適用日).
    pub last_patch_on: Option<NaiveDate>,
    /// The device is reached from outside for maintenance (リモート保守).
    pub remote_maintenance: bool,
    /// The maintenance contract includes security updates (セキュリティアップデートを含む保守契約);
    /// `None` when not confirmed.
    pub maintenance_includes_security_updates: Option<bool>,
    /// VPN check: the connection is always on (常時接続); `None` when not answered.
    pub always_on_connection: Option<bool>,
    /// VPN check: an easy password or one reused elsewhere (容易なパスワード設定や使い回し);
    /// `None` when not answered.
    pub weak_or_reused_password: Option<bool>,
}

impl RiskSubject<'_> {
    /// The VPN device check applies to VPN devices, and to network devices that open the way in
    /// for remote maintenance: the notice's point is the entrance from outside, whatever the box
    /// is called in the ledger.
    pub fn vpn_check_applies(&self) -> bool {
        self.kind == DeviceKind::VpnDevice
            || (self.kind == DeviceKind::Network && self.remote_maintenance)
    }
}

impl From<crate::device::DeviceKind> for DeviceKind {
    fn from(kind: crate::device::DeviceKind) -> Self {
        use crate::device::DeviceKind as Ledger;
        match kind {
            Ledger::Server => Self::Server,
            Ledger::Pc => Self::TerminalPc,
            Ledger::Network => Self::Network,
            Ledger::Vpn => Self::VpnDevice,
            Ledger::Medical => Self::MedicalDevice,
            Ledger::Other => Self::Other,
        }
    }
}

impl<'a> RiskSubject<'a> {
    /// The rules' view of one ledger row. Blank cells are absent; a row without 種別 counts
    /// as その他; the OS cell carries its version (`Windows 10 21H2`).
    pub fn from_device(device: &'a crate::device::Device) -> Self {
        fn text(s: &str) -> Option<&str> {
            let s = s.trim();
            (!s.is_empty()).then_some(s)
        }
        RiskSubject {
            kind: device.kind.map(DeviceKind::from).unwrap_or_default(),
            maker: text(&device.maker),
            model: text(&device.model),
            os: text(&device.os),
            os_version: None,
            firmware_version: device.firmware_version.as_ref().map(|v| v.as_str()),
            software: device
                .software
                .iter()
                .map(|s| SoftwareRef {
                    name: s.name.as_str(),
                    version: s.version.as_ref().map(|v| v.as_str()),
                })
                .collect(),
            last_patch_on: device.last_patched_on,
            remote_maintenance: device.remote_maintenance,
            maintenance_includes_security_updates: device.security_updates_in_contract,
            always_on_connection: device.always_on_connection,
            weak_or_reused_password: device.weak_or_reused_password,
        }
    }
}

// ------------------------------------------------------------------------------------------
// Flags
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagSeverity {
    Info,
    Low,
    Medium,
    High,
}

impl FlagSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagCode {
    /// サポート終了: the release cycle's end of support has passed.
    EndOfSupport,
    /// The end of support is within [`END_OF_SUPPORT_SOON_DAYS`].
    EndOfSupportSoon,
    /// The product has vulnerabilities in CISA's Known Exploited Vulnerabilities catalog.
    KnownExploited,
    /// The version is below the fixed version of a VPN CVE behind hospital incidents.
    VulnerableVersion,
    /// No patch date, or the last patch is older than the configured number of days.
    StalePatch,
    /// The version could not be read or placed, so the checks above could not be made.
    UnmatchedVersion,
    /// No published end-of-support date could be found for the device.
    SupportDateUnknown,
    /// VPN check: the maintenance contract lacks security updates, or it is not confirmed.
    VpnNoSecurityUpdates,
    /// VPN check: the VPN device is a product whose support has ended.
    VpnUnsupported,
    /// VPN check: the connection is always on (or not confirmed).
    VpnAlwaysOn,
    /// VPN check: an easy or reused password (or not confirmed).
    VpnWeakPassword,
}

impl FlagCode {
    pub const ALL: [FlagCode; 11] = [
        Self::EndOfSupport,
        Self::EndOfSupportSoon,
        Self::KnownExploited,
        Self::VulnerableVersion,
        Self::StalePatch,
        Self::UnmatchedVersion,
        Self::SupportDateUnknown,
        Self::VpnNoSecurityUpdates,
        Self::VpnUnsupported,
        Self::VpnAlwaysOn,
        Self::VpnWeakPassword,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EndOfSupport => "end_of_support",
            Self::EndOfSupportSoon => "end_of_support_soon",
            Self::KnownExploited => "known_exploited",
            Self::VulnerableVersion => "vulnerable_version",
            Self::StalePatch => "stale_patch",
            Self::UnmatchedVersion => "unmatched_version",
            Self::SupportDateUnknown => "support_date_unknown",
            Self::VpnNoSecurityUpdates => "vpn_no_security_updates",
            Self::VpnUnsupported => "vpn_unsupported",
            Self::VpnAlwaysOn => "vpn_always_on",
            Self::VpnWeakPassword => "vpn_weak_password",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

/// One thing about a device that needs attention, with what to do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub code: FlagCode,
    pub severity: FlagSeverity,
    pub message_ja: String,
    pub message_en: String,
    /// Where the verdict comes from: dataset, product, cycle, dates, advisory, URL.
    pub evidence: String,
    /// The CVE ids behind `known_exploited` and `vulnerable_version`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cves: Vec<String>,
}

// ------------------------------------------------------------------------------------------
// Dataset types
// ------------------------------------------------------------------------------------------

/// An endoflife.date milestone (`eol`, `eoas`, `eoes`): a date, or the publisher's `true`
/// (ended, no date given) or `false` (no end announced).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Eol {
    On(NaiveDate),
    Ended,
    NotAnnounced,
}

impl Serialize for Eol {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::On(date) => serializer.serialize_str(&date.to_string()),
            Self::Ended => serializer.serialize_bool(true),
            Self::NotAnnounced => serializer.serialize_bool(false),
        }
    }
}

impl fmt::Display for Eol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::On(date) => write!(f, "{date}"),
            Self::Ended => f.write_str("ended (no date published)"),
            Self::NotAnnounced => f.write_str("not announced"),
        }
    }
}

/// One release cycle of an endoflife.date product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseCycle {
    /// `releaseCycle`, e.g. `7.4`, `10-21h2-w`, `2012-r2`.
    pub cycle: String,
    /// `releaseLabel`, placeholders expanded, e.g. `10 21H2 (W)`.
    pub label: Option<String>,
    pub release_date: Option<NaiveDate>,
    /// End of (security) support.
    pub eol: Option<Eol>,
    /// End of active support.
    pub eoas: Option<Eol>,
    /// End of extended support, e.g. Windows 10 Extended Security Updates (ESU).
    pub eoes: Option<Eol>,
    pub latest: Option<String>,
    pub lts: bool,
}

impl ReleaseCycle {
    pub fn display_label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.cycle)
    }
}

/// One endoflife.date product (one `products/<id>.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EolProduct {
    /// The file stem, e.g. `windows`, `fortios`.
    pub id: String,
    pub title: String,
    pub permalink: Option<String>,
    /// CPE or purl identifiers, as published.
    pub identifiers: Vec<String>,
    pub releases: Vec<ReleaseCycle>,
}

impl EolProduct {
    pub fn source_url(&self) -> String {
        match &self.permalink {
            Some(p) if p.starts_with('/') => format!("https://endoflife.date{p}"),
            _ => format!("https://endoflife.date/{}", self.id),
        }
    }
}

/// `knownRansomwareCampaignUse` of a KEV entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RansomwareUse {
    Known,
    Unknown,
}

/// One entry of CISA's Known Exploited Vulnerabilities catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KevEntry {
    pub cve_id: String,
    pub vendor_project: String,
    pub product: String,
    pub vulnerability_name: String,
    pub date_added: NaiveDate,
    pub required_action: String,
    pub known_ransomware_campaign_use: RansomwareUse,
}

/// A row of mamori's curated table of fixed versions: in `branch`, versions from `affected_from`
/// (or the start of the branch) below `fixed` have the CVEs; `fixed: None` means the vendor
/// published no fix in that branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixedVersionRow {
    /// The [`ProductAlias::id`] this row is about, e.g. `fortios`.
    pub product: String,
    pub cves: Vec<String>,
    pub branch: String,
    pub affected_from: Option<String>,
    pub fixed: Option<String>,
    /// Hotfixes of earlier maintenance releases that also fix it (e.g. PAN-OS `10.2.8-h3`).
    pub also_fixed: Vec<String>,
    pub advisory_id: String,
    /// The advisory's URL.
    pub source: String,
    pub note: Option<String>,
}

/// A row of mamori's curated lifecycle table of Japan-market devices that endoflife.date lacks.
/// Dates only where the maker publishes one; otherwise `note` says none could be sourced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LifecycleRow {
    pub maker: String,
    /// Model or series as the maker writes it, e.g. `RTX1200`, `UNIVERGE IX2105`.
    pub model: String,
    /// Other spellings of the model that identify the same device.
    pub also_matches: Vec<String>,
    /// 販売終了日
    pub end_of_sale: Option<NaiveDate>,
    /// サポート終了日 (保守・ファームウェア提供の終了)
    pub end_of_support: Option<NaiveDate>,
    pub note: Option<String>,
    pub source: String,
    pub source_title: String,
}

/// A (vendorProject, product) pair of the KEV catalog; a product ending in `*` matches every
/// product of that vendor starting with the rest (e.g. `Chromium*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KevPattern {
    pub vendor: String,
    pub product: String,
}

/// How a device's text and version select a release cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CycleScheme {
    /// Numeric cycles (`7.4`, `16`, `22.04`): the cycle whose numbers start the version.
    Dotted {
        /// Java's `1.8.0_381` is release 8: drop a leading `1.`.
        legacy_one_prefix: bool,
    },
    /// Named cycles (`10-21h2-w`, `2012-r2`, `2016 SP3`): words of the device text against the
    /// words of the cycle, with edition qualifiers.
    Named(NamedScheme),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NamedTokens {
    /// Words of `releaseCycle`, split on `-`.
    Cycle,
    /// Words of `releaseLabel` (quoted code names left out).
    Label,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedScheme {
    pub tokens_from: NamedTokens,
    /// Device words rewritten before matching, longest phrase first: `xp` → `5`,
    /// `enterprise` → `e`, `ltsc 2021` → `21h2 lts`.
    pub synonyms: Vec<Synonym>,
    /// Words that name an edition or service pack rather than the release (`w`, `e`, `lts`,
    /// `sp1`).
    pub qualifiers: Vec<String>,
    /// The qualifiers assumed when the device names none; `None`: do not assume, keep every
    /// candidate.
    pub default_qualifiers: Option<Vec<String>>,
    /// Said in the evidence when the default qualifiers picked the cycle.
    pub default_note_ja: Option<String>,
    pub default_note_en: Option<String>,
    /// A build number (`10.0.19044`) selects the cycles whose `latest` has the same build.
    pub build_from_latest: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Synonym {
    pub phrase: String,
    pub replacement: String,
}

/// One product mamori recognizes in ledger text, with the endoflife.date product behind it
/// (if any) and the KEV entries about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductAlias {
    /// mamori's id, e.g. `fortios`, `citrix-netscaler`.
    pub id: String,
    /// As shown in messages, e.g. `FortiOS`.
    pub title: String,
    /// Words that name the product in ledger text (`fortigate`, `fortios`, `windows`).
    pub names: Vec<String>,
    /// Words that, when present, mean it is another product (`365` for Office).
    pub exclude: Vec<String>,
    /// When the ledger names a maker, it must be one of these (so Cisco's IOS is not Apple's).
    pub makers: Vec<String>,
    /// The endoflife.date product id, if endoflife.date tracks it.
    pub endoflife: Option<String>,
    pub scheme: CycleScheme,
    pub kev: Vec<KevPattern>,
    /// KEV entries listed under a catch-all product ("Multiple Products") that concern it.
    pub kev_cves: Vec<String>,
}

/// Other spellings of a maker (`ヤマハ`, `YAMAHA`, `Yamaha Corporation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MakerAlias {
    pub name: String,
    pub spellings: Vec<String>,
}

/// Everything [`RiskData::new`] indexes.
#[derive(Debug, Clone, Default)]
pub struct RiskDataParts {
    /// `catalogVersion` of the KEV file.
    pub kev_version: String,
    pub kev: Vec<KevEntry>,
    pub products: Vec<EolProduct>,
    pub aliases: Vec<ProductAlias>,
    pub makers: Vec<MakerAlias>,
    pub fixed_versions: Vec<FixedVersionRow>,
    pub lifecycles: Vec<LifecycleRow>,
}

// ------------------------------------------------------------------------------------------
// Versions
// ------------------------------------------------------------------------------------------

/// A version read from what people write in a ledger: the numbers of `6.0.4`,
/// `v6.0.4 build0231`, `FortiOS 7.4.3`, `10.0.19044`, `9.1.0-h3`, `9.0R3.4`, `13.0-47.24`,
/// `Rev.15.02.29`. Compared number by number, missing numbers counting as 0, so `10.2.9` <
/// `10.2.9-h1` and `6.0.4 build0231` < `6.0.5`.
#[derive(Debug, Clone)]
pub struct Version {
    parts: Vec<u32>,
}

impl Version {
    /// `None` when the text holds no version (`不明`, `latest`, `22H2`).
    pub fn parse(text: &str) -> Option<Self> {
        parse_parts(&normalize(text)).map(|parts| Self { parts })
    }

    pub fn from_parts(parts: Vec<u32>) -> Self {
        Self { parts }
    }

    pub fn parts(&self) -> &[u32] {
        &self.parts
    }

    /// Whether the version's leading numbers are `prefix` (`7.4.3` starts with `7.4`).
    pub fn starts_with(&self, prefix: &[u32]) -> bool {
        self.parts.len() >= prefix.len() && self.parts[..prefix.len()] == *prefix
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.parts.len().max(other.parts.len());
        (0..len)
            .map(|i| {
                let a = self.parts.get(i).copied().unwrap_or(0);
                let b = other.parts.get(i).copied().unwrap_or(0);
                a.cmp(&b)
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Version {}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: Vec<String> = self.parts.iter().map(u32::to_string).collect();
        f.write_str(&text.join("."))
    }
}

/// Words that may introduce a further number after the dotted core: `build0231`, `R3`, `-h3`.
const SUFFIX_WORDS: &[&str] = &[
    "build", "b", "r", "h", "hf", "hotfix", "p", "patch", "mr", "sp", "rev",
];

fn parse_parts(s: &str) -> Option<Vec<u32>> {
    let b = s.as_bytes();
    (0..b.len())
        .filter(|&i| b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit()))
        .filter(|&i| starts_at_boundary(b, i))
        .find_map(|i| parse_at(b, i))
}

/// A version starts a word, or follows a short prefix such as `v`, `R`, `Rev`, `NS`.
fn starts_at_boundary(b: &[u8], i: usize) -> bool {
    let mut j = i;
    while j > 0 && b[j - 1].is_ascii_alphabetic() {
        j -= 1;
    }
    let clean = j == 0 || !b[j - 1].is_ascii_alphanumeric();
    clean && (i - j <= 4 || &b[j..i] == b"version")
}

fn read_number(b: &[u8], pos: &mut usize) -> Option<u32> {
    let start = *pos;
    let mut value: u32 = 0;
    while *pos < b.len() && b[*pos].is_ascii_digit() {
        value = value
            .checked_mul(10)?
            .checked_add(u32::from(b[*pos] - b'0'))?;
        *pos += 1;
    }
    (*pos > start).then_some(value)
}

fn parse_at(b: &[u8], start: usize) -> Option<Vec<u32>> {
    let mut pos = start;
    let mut parts = vec![read_number(b, &mut pos)?];
    while pos + 1 < b.len() && b[pos] == b'.' && b[pos + 1].is_ascii_digit() {
        pos += 1;
        parts.push(read_number(b, &mut pos)?);
    }
    if parts.len() == 1 {
        // A bare number ("16", "v6", "19c") stands alone; "22h2" is a name, not a version.
        let mut q = pos;
        while q < b.len() && b[q].is_ascii_alphabetic() {
            q += 1;
        }
        let end_ok = q == b.len() || !b[q].is_ascii_alphanumeric();
        return (q - pos <= 2 && end_ok).then_some(parts);
    }
    while let Some((n, next)) = suffix_number(b, pos) {
        parts.push(n);
        pos = next;
    }
    Some(parts)
}

/// One further number after the core: `-47`, `.24`, `-h3`, `R3`, ` build0231`, `_381`.
fn suffix_number(b: &[u8], mut pos: usize) -> Option<(u32, usize)> {
    let (mut strong, mut weak, mut seps) = (false, false, 0);
    while pos < b.len() && seps < 3 {
        match b[pos] {
            b'-' | b'_' | b'.' => strong = true,
            b' ' | b':' | b',' | b'(' | b'/' => weak = true,
            _ => break,
        }
        pos += 1;
        seps += 1;
    }
    let word_start = pos;
    while pos < b.len() && b[pos].is_ascii_alphabetic() {
        pos += 1;
    }
    let word = &b[word_start..pos];
    if word.is_empty() {
        // Only a strong separator may lead straight to a number ("13.0-47.24"); after a
        // space a number is something else ("Windows 10 21H2").
        if weak || !strong {
            return None;
        }
    } else {
        if !SUFFIX_WORDS.iter().any(|w| w.as_bytes() == word) {
            return None;
        }
        if pos < b.len() && b[pos] == b' ' {
            pos += 1;
        }
    }
    let n = read_number(b, &mut pos)?;
    Some((n, pos))
}

// ------------------------------------------------------------------------------------------
// Text
// ------------------------------------------------------------------------------------------

/// Lower case, full-width ASCII (ＦｏｒｔｉＧａｔｅ) and the ideographic space folded to ASCII.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            _ => c,
        };
        out.extend(c.to_lowercase());
    }
    out
}

/// Byte ranges of the words of normalized text. ASCII and Japanese runs are separate words;
/// `windows10pro` is `windows 10 pro`, but `21h2`, `r2`, `sp1`, `v6.0.4` stay whole.
fn tokenize(norm: &str) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize, bool)> = Vec::new();
    let mut current: Option<(usize, bool)> = None;
    for (i, c) in norm.char_indices() {
        let class = if c.is_ascii_alphanumeric() || c == '.' {
            Some(true)
        } else if !c.is_ascii() && c.is_alphanumeric() {
            Some(false)
        } else {
            None
        };
        match (current, class) {
            (Some((_, a)), Some(b)) if a == b => {}
            (Some((s, a)), _) => {
                runs.push((s, i, a));
                current = class.map(|b| (i, b));
            }
            (None, Some(b)) => current = Some((i, b)),
            (None, None) => {}
        }
    }
    if let Some((s, a)) = current {
        runs.push((s, norm.len(), a));
    }
    let b = norm.as_bytes();
    let mut out = Vec::new();
    for (s, e, ascii) in runs {
        if ascii {
            split_mixed(b, s, e, &mut out);
        } else {
            out.push((s, e));
        }
    }
    out
}

fn push_trimmed(b: &[u8], mut s: usize, mut e: usize, out: &mut Vec<(usize, usize)>) {
    while s < e && b[s] == b'.' {
        s += 1;
    }
    while e > s && b[e - 1] == b'.' {
        e -= 1;
    }
    if s < e {
        out.push((s, e));
    }
}

fn split_mixed(b: &[u8], s: usize, e: usize, out: &mut Vec<(usize, usize)>) {
    // Letter runs and digit runs ('.' goes with digits).
    let mut runs: Vec<(usize, usize, bool)> = Vec::new();
    for (i, byte) in b.iter().enumerate().take(e).skip(s) {
        let letter = byte.is_ascii_alphabetic();
        match runs.last_mut() {
            Some(last) if last.2 == letter => last.1 = i + 1,
            _ => runs.push((i, i + 1, letter)),
        }
    }
    let mut start = s;
    for w in runs.windows(2) {
        let (a, z) = (w[0], w[1]);
        let split = if a.2 && !z.2 {
            a.1 - a.0 >= 3
        } else if !a.2 && z.2 {
            z.1 - z.0 >= 3
        } else {
            false
        };
        if split {
            push_trimmed(b, start, a.1, out);
            start = z.0;
        }
    }
    push_trimmed(b, start, e, out);
}

fn words(norm: &str) -> Vec<&str> {
    tokenize(norm)
        .into_iter()
        .map(|(s, e)| &norm[s..e])
        .collect()
}

/// The words of a phrase joined by single spaces: the key of the phrase index.
fn phrase_key(text: &str) -> String {
    words(&normalize(text)).join(" ")
}

/// A model compared without spaces, hyphens or case: `RTX-1200`, `rtx 1200` → `rtx1200`.
fn compact(text: &str) -> String {
    normalize(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Legal-form words left out of maker names before looking them up.
const MAKER_NOISE: &[&str] = &[
    "株式会社",
    "(株)",
    "（株）",
    "inc",
    "corp",
    "corporation",
    "co",
    "ltd",
    "limited",
    "llc",
    "gmbh",
    "k.k",
];

fn maker_key(text: &str) -> String {
    let mut norm = normalize(text);
    for noise in MAKER_NOISE.iter().filter(|n| !n.is_ascii()) {
        norm = norm.replace(noise, " ");
    }
    words(&norm)
        .into_iter()
        .filter(|w| !MAKER_NOISE.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

fn present(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

// ------------------------------------------------------------------------------------------
// Indexed data
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct PreparedCycle {
    /// The cycle's numbers when it is purely numeric (`7.4` → [7, 4]).
    numeric: Option<Vec<u32>>,
    core: Vec<String>,
    /// Sorted, without duplicates.
    qualifiers: Vec<String>,
    /// The first three numbers of `latest` (`10.0.19044`).
    latest_build: Option<Vec<u32>>,
}

#[derive(Debug, Clone)]
struct PreparedAlias {
    alias: ProductAlias,
    product: Option<usize>,
    cycles: Vec<PreparedCycle>,
    vocabulary: HashSet<String>,
    qualifiers: HashSet<String>,
    synonyms: Vec<(Vec<String>, Vec<String>)>,
    exclude: Vec<Vec<String>>,
    makers: HashSet<String>,
    kev_entries: Vec<usize>,
}

#[derive(Debug, Clone)]
struct PreparedFixed {
    row: FixedVersionRow,
    branch: Version,
    affected_from: Option<Version>,
    fixed: Option<Version>,
    also_fixed: Vec<Version>,
}

#[derive(Debug, Clone)]
struct PreparedLifecycle {
    row: LifecycleRow,
    patterns: Vec<String>,
}

/// The datasets, indexed once so that one assessment is a few hash look-ups.
#[derive(Debug, Clone)]
pub struct RiskData {
    kev_version: String,
    kev: Vec<KevEntry>,
    kev_by_key: HashMap<(String, String), Vec<usize>>,
    kev_by_cve: HashMap<String, usize>,
    products: Vec<EolProduct>,
    aliases: Vec<PreparedAlias>,
    phrase_index: HashMap<String, Vec<usize>>,
    max_phrase_words: usize,
    makers: HashMap<String, String>,
    fixed: HashMap<String, Vec<PreparedFixed>>,
    lifecycle_by_maker: HashMap<String, Vec<usize>>,
    lifecycle_by_model: HashMap<String, usize>,
    lifecycle: Vec<PreparedLifecycle>,
    unmatched_kev_patterns: Vec<(String, String, String)>,
}

impl RiskData {
    /// Indexes the datasets. Rows that cannot be used (an alias naming an endoflife product
    /// that is not loaded, a version that does not parse) are left out; the catalog loader
    /// refuses such files before they get here.
    pub fn new(parts: RiskDataParts) -> Self {
        let RiskDataParts {
            kev_version,
            kev,
            products,
            aliases,
            makers,
            fixed_versions,
            lifecycles,
        } = parts;

        let mut maker_index = HashMap::new();
        for maker in &makers {
            let canonical = maker_key(&maker.name);
            maker_index.insert(canonical.clone(), canonical.clone());
            for spelling in &maker.spellings {
                maker_index.insert(maker_key(spelling), canonical.clone());
            }
        }
        let canonical_maker = |text: &str| -> String {
            let key = maker_key(text);
            maker_index.get(&key).cloned().unwrap_or(key)
        };

        let mut kev_by_key: HashMap<(String, String), Vec<usize>> = HashMap::new();
        let mut kev_by_cve = HashMap::new();
        for (i, entry) in kev.iter().enumerate() {
            let key = (
                canonical_maker(&entry.vendor_project),
                phrase_key(&entry.product),
            );
            kev_by_key.entry(key).or_default().push(i);
            kev_by_cve.insert(entry.cve_id.clone(), i);
        }
        let mut kev_products_by_vendor: HashMap<&str, Vec<&str>> = HashMap::new();
        for (vendor, product) in kev_by_key.keys() {
            kev_products_by_vendor
                .entry(vendor.as_str())
                .or_default()
                .push(product.as_str());
        }

        let product_index: HashMap<&str, usize> = products
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str(), i))
            .collect();

        let mut unmatched_kev_patterns = Vec::new();
        let mut prepared = Vec::with_capacity(aliases.len());
        let mut phrase_index: HashMap<String, Vec<usize>> = HashMap::new();
        let mut max_phrase_words = 1;
        for alias in aliases {
            let index = prepared.len();
            for name in &alias.names {
                let key = phrase_key(name);
                if key.is_empty() {
                    continue;
                }
                max_phrase_words = max_phrase_words.max(key.split(' ').count());
                phrase_index.entry(key).or_default().push(index);
            }
            let product = alias
                .endoflife
                .as_deref()
                .and_then(|id| product_index.get(id).copied());
            let (qualifiers, synonyms) = match &alias.scheme {
                CycleScheme::Named(scheme) => (
                    scheme.qualifiers.iter().map(|q| phrase_key(q)).collect(),
                    named_synonyms(scheme),
                ),
                CycleScheme::Dotted { .. } => (HashSet::new(), Vec::new()),
            };
            let cycles: Vec<PreparedCycle> = product
                .map(|p| {
                    products[p]
                        .releases
                        .iter()
                        .map(|r| prepare_cycle(r, &alias.scheme, &qualifiers))
                        .collect()
                })
                .unwrap_or_default();
            let vocabulary = cycles.iter().flat_map(|c| c.core.iter().cloned()).collect();

            let mut kev_entries = Vec::new();
            for pattern in &alias.kev {
                let vendor = canonical_maker(&pattern.vendor);
                let before = kev_entries.len();
                if let Some(prefix) = pattern.product.strip_suffix('*') {
                    let prefix = phrase_key(prefix);
                    for product in kev_products_by_vendor
                        .get(vendor.as_str())
                        .into_iter()
                        .flatten()
                        .filter(|p| p.starts_with(&prefix))
                    {
                        if let Some(ids) = kev_by_key.get(&(vendor.clone(), (*product).to_owned()))
                        {
                            kev_entries.extend(ids.iter().copied());
                        }
                    }
                } else if let Some(ids) =
                    kev_by_key.get(&(vendor.clone(), phrase_key(&pattern.product)))
                {
                    kev_entries.extend(ids.iter().copied());
                }
                if kev_entries.len() == before {
                    unmatched_kev_patterns.push((
                        alias.id.clone(),
                        pattern.vendor.clone(),
                        pattern.product.clone(),
                    ));
                }
            }
            kev_entries.extend(alias.kev_cves.iter().filter_map(|c| kev_by_cve.get(c)));
            kev_entries.sort_unstable();
            kev_entries.dedup();
            // Newest first, once, so that flags list them in that order without sorting.
            kev_entries.sort_by(|&a, &b| {
                kev[b]
                    .date_added
                    .cmp(&kev[a].date_added)
                    .then(kev[a].cve_id.cmp(&kev[b].cve_id))
            });

            prepared.push(PreparedAlias {
                exclude: alias
                    .exclude
                    .iter()
                    .map(|e| phrase_key(e).split(' ').map(str::to_owned).collect())
                    .collect(),
                makers: alias.makers.iter().map(|m| canonical_maker(m)).collect(),
                product,
                cycles,
                vocabulary,
                qualifiers,
                synonyms,
                kev_entries,
                alias,
            });
        }

        let mut fixed: HashMap<String, Vec<PreparedFixed>> = HashMap::new();
        for row in fixed_versions {
            let Some(branch) = Version::parse(&row.branch) else {
                continue;
            };
            let parse_opt = |v: &Option<String>| v.as_deref().map(Version::parse);
            let (Some(affected_from), Some(fixed_version)) = (
                parse_opt(&row.affected_from).map_or(Some(None), |v| v.map(Some)),
                parse_opt(&row.fixed).map_or(Some(None), |v| v.map(Some)),
            ) else {
                continue;
            };
            let also_fixed: Option<Vec<Version>> =
                row.also_fixed.iter().map(|v| Version::parse(v)).collect();
            let Some(also_fixed) = also_fixed else {
                continue;
            };
            fixed
                .entry(row.product.clone())
                .or_default()
                .push(PreparedFixed {
                    row,
                    branch,
                    affected_from,
                    fixed: fixed_version,
                    also_fixed,
                });
        }

        let mut lifecycle = Vec::with_capacity(lifecycles.len());
        let mut lifecycle_by_maker: HashMap<String, Vec<usize>> = HashMap::new();
        let mut lifecycle_by_model = HashMap::new();
        for row in lifecycles {
            let mut patterns: Vec<String> = std::iter::once(&row.model)
                .chain(row.also_matches.iter())
                .map(|m| compact(m))
                .filter(|m| !m.is_empty())
                .collect();
            patterns.sort_by_key(|p| std::cmp::Reverse(p.len()));
            let entry = PreparedLifecycle { row, patterns };
            for p in &entry.patterns {
                lifecycle_by_model.insert(p.clone(), lifecycle.len());
            }
            lifecycle_by_maker
                .entry(canonical_maker(&entry.row.maker))
                .or_default()
                .push(lifecycle.len());
            lifecycle.push(entry);
        }

        Self {
            kev_version,
            kev,
            kev_by_key,
            kev_by_cve,
            products,
            aliases: prepared,
            phrase_index,
            max_phrase_words,
            makers: maker_index,
            fixed,
            lifecycle_by_maker,
            lifecycle_by_model,
            lifecycle,
            unmatched_kev_patterns,
        }
    }

    pub fn kev_version(&self) -> &str {
        &self.kev_version
    }

    pub fn kev_count(&self) -> usize {
        self.kev.len()
    }

    pub fn kev_entry(&self, cve_id: &str) -> Option<&KevEntry> {
        self.kev_by_cve.get(cve_id).map(|&i| &self.kev[i])
    }

    pub fn product_count(&self) -> usize {
        self.products.len()
    }

    pub fn alias_ids(&self) -> impl Iterator<Item = &str> {
        self.aliases.iter().map(|a| a.alias.id.as_str())
    }

    /// KEV patterns of the alias table that match no entry of the loaded KEV catalog, as
    /// (alias id, vendor, product): a typo, or a product CISA renamed.
    pub fn unmatched_kev_patterns(&self) -> &[(String, String, String)] {
        &self.unmatched_kev_patterns
    }

    fn canonical_maker(&self, text: &str) -> String {
        let key = maker_key(text);
        self.makers.get(&key).cloned().unwrap_or(key)
    }
}

fn named_synonyms(scheme: &NamedScheme) -> Vec<(Vec<String>, Vec<String>)> {
    let mut synonyms: Vec<(Vec<String>, Vec<String>)> = scheme
        .synonyms
        .iter()
        .map(|s| {
            let split = |t: &str| -> Vec<String> {
                phrase_key(t)
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .collect()
            };
            (split(&s.phrase), split(&s.replacement))
        })
        .filter(|(p, _)| !p.is_empty())
        .collect();
    // Longest phrase first, so that `iot enterprise` wins over `enterprise`.
    synonyms.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    synonyms
}

fn numeric_cycle(cycle: &str) -> Option<Vec<u32>> {
    let plain = !cycle.is_empty()
        && cycle.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && !cycle.starts_with('.')
        && !cycle.ends_with('.');
    if !plain {
        return None;
    }
    cycle.split('.').map(|p| p.parse().ok()).collect()
}

fn prepare_cycle(
    release: &ReleaseCycle,
    scheme: &CycleScheme,
    qualifiers: &HashSet<String>,
) -> PreparedCycle {
    let words: Vec<String> = match scheme {
        CycleScheme::Named(NamedScheme {
            tokens_from: NamedTokens::Label,
            ..
        }) => {
            let label = release.label.as_deref().unwrap_or(&release.cycle);
            words(&normalize(&strip_quoted(label)))
                .into_iter()
                .map(str::to_owned)
                .collect()
        }
        _ => normalize(&release.cycle)
            .split('-')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    let (mut qual, core): (Vec<String>, Vec<String>) =
        words.into_iter().partition(|w| qualifiers.contains(w));
    qual.sort();
    qual.dedup();
    PreparedCycle {
        numeric: numeric_cycle(&release.cycle),
        core,
        qualifiers: qual,
        latest_build: release
            .latest
            .as_deref()
            .and_then(Version::parse)
            .filter(|v| v.parts().len() >= 3)
            .map(|v| v.parts()[..3].to_vec()),
    }
}

/// Leaves out 'quoted' code names of labels such as `2022 'Dallas'`.
fn strip_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for c in text.chars() {
        if c == '\'' {
            inside = !inside;
            out.push(' ');
        } else if !inside {
            out.push(c);
        }
    }
    out
}

// ------------------------------------------------------------------------------------------
// Identification: which product and release cycle each part of the device is
// ------------------------------------------------------------------------------------------

/// Which field of the ledger row a match comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "field", content = "index", rename_all = "snake_case")]
pub enum Component {
    Os,
    Firmware,
    Software(usize),
}

impl Component {
    fn label_ja(self) -> &'static str {
        match self {
            Self::Os => "OS",
            Self::Firmware => "ファームウェア",
            Self::Software(_) => "ソフトウェア",
        }
    }

    fn label_en(self) -> &'static str {
        match self {
            Self::Os => "OS",
            Self::Firmware => "firmware",
            Self::Software(_) => "software",
        }
    }
}

/// What mamori recognized in one part of a device: the product, the release cycle used and
/// where the dates come from. Shown beside the flags so a person can check the reasoning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductMatch {
    pub component: Component,
    /// [`ProductAlias::id`].
    pub product: String,
    pub title: String,
    /// The endoflife.date product, when endoflife.date tracks it.
    pub endoflife_product: Option<String>,
    /// The release cycle used, when one could be chosen.
    pub cycle: Option<String>,
    pub cycle_label: Option<String>,
    /// Every candidate cycle when the ledger text did not single one out.
    pub candidates: Vec<String>,
    pub eol: Option<Eol>,
    /// The version text the match read.
    pub version: Option<String>,
    /// What was assumed, e.g. the edition when the ledger names none.
    pub assumption: Option<String>,
    /// Where the dates come from.
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum VersionState {
    Parsed(Version),
    /// Read as words by a named scheme (`21H2`), not as numbers.
    Words,
    Missing,
    Unparseable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Resolution {
    /// No endoflife.date product behind the alias.
    NoLifecycle,
    Exact(usize),
    Ambiguous(Vec<usize>),
    /// Older than every cycle the publisher lists; the index is the oldest listed cycle.
    OlderThanAll(usize),
    NotFound,
}

#[derive(Debug, Clone)]
struct ComponentMatch<'d> {
    component: Component,
    alias: &'d PreparedAlias,
    /// The ledger's words for this part, as written (field text and version).
    text: String,
    version_text: Option<String>,
    version: VersionState,
    resolution: Resolution,
    assumed: bool,
}

struct Candidate<'a> {
    component: Component,
    text: String,
    version: Option<&'a str>,
    /// Whether the version may be read from the text after the product's name
    /// (`FortiOS 7.4.3`), which is not safe for model names (`FortiGate-60E`).
    version_in_text: bool,
}

fn candidates<'a>(subject: &RiskSubject<'a>) -> Vec<Candidate<'a>> {
    let mut out = Vec::new();
    if let Some(os) = present(subject.os) {
        out.push(Candidate {
            component: Component::Os,
            text: os.to_owned(),
            version: present(subject.os_version),
            version_in_text: true,
        });
    }
    let model_text = [present(subject.maker), present(subject.model)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !model_text.is_empty() {
        out.push(Candidate {
            component: Component::Firmware,
            text: model_text,
            version: present(subject.firmware_version),
            version_in_text: false,
        });
    }
    for (i, sw) in subject.software.iter().enumerate() {
        if let Some(name) = present(Some(sw.name)) {
            out.push(Candidate {
                component: Component::Software(i),
                text: name.to_owned(),
                version: present(sw.version),
                version_in_text: true,
            });
        }
    }
    out
}

impl RiskData {
    /// The alias named in `words`, with the index of the first word after the name.
    /// `strict`: the words include the maker's own name and model (the firmware field), so a
    /// known maker outside an alias's makers rules the alias out. For the OS and software
    /// fields the device's maker is often not the software's (a Dell PC runs Windows): there
    /// the maker only breaks ties (Cisco's IOS over Apple's iOS).
    fn find_alias(
        &self,
        words: &[&str],
        maker: Option<&str>,
        strict: bool,
    ) -> Option<(usize, usize)> {
        let mut key = String::new();
        // (phrase length, preference, alias index, end word)
        let mut best: Option<(usize, u8, usize, usize)> = None;
        for start in 0..words.len() {
            for len in 1..=self.max_phrase_words.min(words.len() - start) {
                key.clear();
                for (n, w) in words[start..start + len].iter().enumerate() {
                    if n > 0 {
                        key.push(' ');
                    }
                    key.push_str(w);
                }
                let Some(found) = self.phrase_index.get(key.as_str()) else {
                    continue;
                };
                for &ai in found {
                    let alias = &self.aliases[ai];
                    if alias.exclude.iter().any(|e| contains_phrase(words, e)) {
                        continue;
                    }
                    // Preference: the ledger's maker is one of the alias's makers (2), the
                    // alias names no maker (1), otherwise (0).
                    let preference = match (maker, alias.makers.is_empty()) {
                        (_, true) => 1,
                        (Some(m), false) if alias.makers.contains(m) => 2,
                        (Some(_), false) if strict => continue,
                        (_, false) => 0,
                    };
                    let candidate = (len, preference, ai, start + len);
                    let better = match best {
                        None => true,
                        Some((bl, bp, bi, _)) => {
                            (len, preference) > (bl, bp)
                                || ((len, preference) == (bl, bp) && ai < bi)
                        }
                    };
                    if better {
                        best = Some(candidate);
                    }
                }
            }
        }
        best.map(|(_, _, ai, end)| (ai, end))
    }

    fn match_components<'d>(&'d self, subject: &RiskSubject<'_>) -> Vec<ComponentMatch<'d>> {
        let maker = present(subject.maker).map(|m| self.canonical_maker(m));
        let mut out: Vec<ComponentMatch<'d>> = Vec::new();
        for cand in candidates(subject) {
            let norm = normalize(&cand.text);
            let spans = tokenize(&norm);
            let text_words: Vec<&str> = spans.iter().map(|&(s, e)| &norm[s..e]).collect();
            let strict = cand.component == Component::Firmware;
            let Some((ai, end)) = self.find_alias(&text_words, maker.as_deref(), strict) else {
                continue;
            };
            let alias = &self.aliases[ai];
            let rest_start = spans.get(end).map_or(norm.len(), |&(s, _)| s);
            let rest = &norm[rest_start..];
            // The version may be glued to the name's last word: `IE11`.
            let tail = spans
                .get(end.saturating_sub(1))
                .map_or(rest, |&(s, _)| &norm[s..]);
            let mut m = self.resolve(
                alias,
                cand.component,
                (rest, tail),
                cand.version,
                cand.version_in_text,
            );
            m.text = match cand.version {
                Some(v) => format!("{} {v}", cand.text),
                None => cand.text.clone(),
            };
            // One verdict per product: the OS field and the model may both name FortiOS.
            if let Some(existing) = out.iter_mut().find(|c| std::ptr::eq(c.alias, alias)) {
                let better = matches!(m.version, VersionState::Parsed(_))
                    && !matches!(existing.version, VersionState::Parsed(_));
                if better {
                    *existing = m;
                }
                continue;
            }
            out.push(m);
        }
        out
    }

    fn resolve<'d>(
        &'d self,
        alias: &'d PreparedAlias,
        component: Component,
        (rest, tail): (&str, &str),
        version: Option<&str>,
        version_in_text: bool,
    ) -> ComponentMatch<'d> {
        let named = alias.product.is_some() && matches!(alias.alias.scheme, CycleScheme::Named(_));
        let version_text = version.map(str::to_owned);
        let (version_state, version_text) = match version {
            Some(v) => match Version::parse(v) {
                Some(parsed) => (VersionState::Parsed(parsed), version_text),
                None if named => (VersionState::Words, version_text),
                None => (VersionState::Unparseable(v.to_owned()), version_text),
            },
            // Named schemes read the words themselves (`Windows 11 Pro 23H2`).
            None if version_in_text && !named => {
                let found = parse_parts(rest)
                    .map(|p| (p, rest))
                    .or_else(|| parse_parts(tail).map(|p| (p, tail)));
                match found {
                    Some((parts, text)) => (
                        VersionState::Parsed(Version::from_parts(parts)),
                        Some(text.trim().to_owned()),
                    ),
                    None => (VersionState::Missing, None),
                }
            }
            None => (VersionState::Missing, None),
        };
        let mut assumed = false;
        let resolution = match (alias.product, &alias.alias.scheme) {
            (None, _) => Resolution::NoLifecycle,
            (Some(_), CycleScheme::Dotted { legacy_one_prefix }) => match &version_state {
                VersionState::Parsed(v) => {
                    let v = match v.parts() {
                        [1, rest @ ..] if *legacy_one_prefix && !rest.is_empty() => {
                            Version::from_parts(rest.to_vec())
                        }
                        _ => v.clone(),
                    };
                    resolve_dotted(&alias.cycles, &v)
                }
                VersionState::Missing | VersionState::Words | VersionState::Unparseable(_) => {
                    Resolution::Ambiguous((0..alias.cycles.len()).collect())
                }
            },
            (Some(_), CycleScheme::Named(scheme)) => {
                let text = match version {
                    Some(v) => format!("{rest} {}", normalize(v)),
                    None => rest.to_owned(),
                };
                let (resolution, used_default) = resolve_named(alias, scheme, &text);
                assumed = used_default;
                resolution
            }
        };
        ComponentMatch {
            component,
            alias,
            text: String::new(),
            version_text,
            version: version_state,
            resolution,
            assumed,
        }
    }
}

fn contains_phrase(words: &[&str], phrase: &[String]) -> bool {
    !phrase.is_empty()
        && words.len() >= phrase.len()
        && words
            .windows(phrase.len())
            .any(|w| w.iter().zip(phrase).all(|(a, b)| *a == b.as_str()))
}

fn resolve_dotted(cycles: &[PreparedCycle], version: &Version) -> Resolution {
    let numeric = || {
        cycles
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.numeric.as_deref().map(|n| (i, n)))
    };
    // The longest cycle that starts the version: 19.6 over 19 for 19.6.3.
    if let Some((i, _)) = numeric()
        .filter(|(_, n)| version.starts_with(n))
        .max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(&a.0)))
    {
        return Resolution::Exact(i);
    }
    // A version shorter than the cycles ("7" against 7.0, 7.2, 7.4).
    let longer: Vec<usize> = numeric()
        .filter(|(_, n)| n.len() > version.parts().len() && n.starts_with(version.parts()))
        .map(|(i, _)| i)
        .collect();
    match longer.len() {
        0 => {}
        1 => return Resolution::Exact(longer[0]),
        _ => return Resolution::Ambiguous(longer),
    }
    match numeric()
        .min_by(|a, b| Version::from_parts(a.1.to_vec()).cmp(&Version::from_parts(b.1.to_vec())))
    {
        Some((i, oldest)) if *version < Version::from_parts(oldest.to_vec()) => {
            Resolution::OlderThanAll(i)
        }
        _ => Resolution::NotFound,
    }
}

/// Returns the resolution and whether the default qualifiers (edition) decided it.
fn resolve_named(alias: &PreparedAlias, scheme: &NamedScheme, text: &str) -> (Resolution, bool) {
    let mut tokens: Vec<String> = words(text).into_iter().map(str::to_owned).collect();
    for (phrase, replacement) in &alias.synonyms {
        let mut i = 0;
        while i + phrase.len() <= tokens.len() {
            if tokens[i..i + phrase.len()] == phrase[..] {
                tokens.splice(i..i + phrase.len(), replacement.iter().cloned());
                // An empty replacement removes the phrase; the next word moved into place.
                i += replacement.len();
            } else {
                i += 1;
            }
        }
    }
    let mut core: Vec<String> = Vec::new();
    let mut wanted: Vec<String> = Vec::new();
    let mut build: Option<Vec<u32>> = None;
    for t in tokens {
        if alias.qualifiers.contains(&t) {
            wanted.push(t);
        } else if alias.vocabulary.contains(&t) {
            if !core.contains(&t) {
                core.push(t);
            }
        } else if build.is_none() {
            build = numeric_cycle(&t)
                .filter(|n| n.len() >= 3)
                .map(|n| n[..3].to_vec());
        }
    }
    wanted.sort();
    wanted.dedup();

    let all: Vec<usize> = (0..alias.cycles.len()).collect();
    let mut cands: Vec<usize> = if core.is_empty() {
        all.clone()
    } else {
        let pick = |f: &dyn Fn(&PreparedCycle) -> bool| -> Vec<usize> {
            all.iter()
                .copied()
                .filter(|&i| f(&alias.cycles[i]))
                .collect()
        };
        let exact = pick(&|c| c.core == core);
        if !exact.is_empty() {
            exact
        } else {
            let prefix = pick(&|c| c.core.starts_with(&core));
            if !prefix.is_empty() {
                prefix
            } else {
                pick(&|c| c.core.first() == core.first())
            }
        }
    };
    if let (Some(build), true) = (&build, scheme.build_from_latest) {
        let by_build: Vec<usize> = cands
            .iter()
            .copied()
            .filter(|&i| alias.cycles[i].latest_build.as_ref() == Some(build))
            .collect();
        if !by_build.is_empty() {
            cands = by_build;
        }
    }
    if cands.is_empty() {
        return (Resolution::NotFound, false);
    }
    let mut used_default = false;
    let wanted = if wanted.is_empty() {
        match &scheme.default_qualifiers {
            Some(default) => {
                used_default = true;
                let mut d: Vec<String> = default.iter().map(|q| phrase_key(q)).collect();
                d.sort();
                d
            }
            None => {
                return (to_resolution(cands), false);
            }
        }
    } else {
        wanted
    };
    let before = cands.len();
    let selected = select_by_qualifiers(&alias.cycles, cands.clone(), &wanted);
    // Nothing of that edition: keep every candidate rather than guess.
    let selected = if selected.is_empty() { cands } else { selected };
    let decided = used_default && selected.len() < before;
    (to_resolution(selected), decided)
}

fn to_resolution(cands: Vec<usize>) -> Resolution {
    match cands.as_slice() {
        [] => Resolution::NotFound,
        [one] => Resolution::Exact(*one),
        _ => Resolution::Ambiguous(cands),
    }
}

/// Within each release (same core words), the cycles of the wanted edition.
fn select_by_qualifiers(
    cycles: &[PreparedCycle],
    cands: Vec<usize>,
    wanted: &[String],
) -> Vec<usize> {
    let mut releases: Vec<&[String]> = Vec::new();
    for &i in &cands {
        if !releases.contains(&cycles[i].core.as_slice()) {
            releases.push(&cycles[i].core);
        }
    }
    let mut out = Vec::new();
    for core in releases {
        let group: Vec<usize> = cands
            .iter()
            .copied()
            .filter(|&i| cycles[i].core == core)
            .collect();
        out.extend(select_edition(cycles, group, wanted));
    }
    out.sort_unstable();
    out
}

fn select_edition(cycles: &[PreparedCycle], group: Vec<usize>, wanted: &[String]) -> Vec<usize> {
    let exact: Vec<usize> = group
        .iter()
        .copied()
        .filter(|&i| cycles[i].qualifiers == wanted)
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    // A release not split by edition (Windows 10 22H2 has no W/E split).
    let subset: Vec<usize> = group
        .iter()
        .copied()
        .filter(|&i| cycles[i].qualifiers.iter().all(|q| wanted.contains(q)))
        .collect();
    let best = subset.iter().map(|&i| cycles[i].qualifiers.len()).max();
    match best {
        Some(best) => subset
            .into_iter()
            .filter(|&i| cycles[i].qualifiers.len() == best)
            .collect(),
        // Only other editions of this release (LTSC when Home/Pro is wanted): not this one,
        // unless nothing else matches at all.
        None => Vec::new(),
    }
}

/// What mamori recognized in each part of the device: product, release cycle and source.
pub fn identify(subject: &RiskSubject<'_>, data: &RiskData) -> Vec<ProductMatch> {
    data.match_components(subject)
        .iter()
        .map(|m| product_match(m, data))
        .collect()
}

fn product_match(m: &ComponentMatch<'_>, data: &RiskData) -> ProductMatch {
    let product = m.alias.product.map(|p| &data.products[p]);
    let release = |i: usize| product.map(|p| &p.releases[i]);
    let (cycle, candidates) = match &m.resolution {
        Resolution::Exact(i) | Resolution::OlderThanAll(i) => (release(*i), Vec::new()),
        Resolution::Ambiguous(is) => (
            None,
            is.iter()
                .filter_map(|&i| release(i).map(|r| r.cycle.clone()))
                .collect(),
        ),
        Resolution::NoLifecycle | Resolution::NotFound => (None, Vec::new()),
    };
    ProductMatch {
        component: m.component,
        product: m.alias.alias.id.clone(),
        title: m.alias.alias.title.clone(),
        endoflife_product: product.map(|p| p.id.clone()),
        cycle: cycle.map(|c| c.cycle.clone()),
        cycle_label: cycle.and_then(|c| c.label.clone()),
        candidates,
        eol: cycle.and_then(|c| c.eol),
        version: m.version_text.clone(),
        assumption: assumption_en(m),
        source: product.map(EolProduct::source_url),
    }
}

fn assumption_en(m: &ComponentMatch<'_>) -> Option<String> {
    if !m.assumed {
        return None;
    }
    match &m.alias.alias.scheme {
        CycleScheme::Named(s) => s.default_note_en.clone().or_else(|| {
            s.default_qualifiers
                .as_ref()
                .map(|q| format!("edition not stated; assumed {}", q.join(" ")))
        }),
        CycleScheme::Dotted { .. } => None,
    }
}

fn assumption_ja(m: &ComponentMatch<'_>) -> Option<String> {
    if !m.assumed {
        return None;
    }
    match &m.alias.alias.scheme {
        CycleScheme::Named(s) => s.default_note_ja.clone(),
        CycleScheme::Dotted { .. } => None,
    }
}

// ------------------------------------------------------------------------------------------
// Support status
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ended(Option<NaiveDate>),
    Soon(NaiveDate),
    Supported,
}

fn status_of(eol: Option<Eol>, today: NaiveDate) -> Status {
    match eol {
        Some(Eol::On(date)) if date <= today => Status::Ended(Some(date)),
        Some(Eol::On(date)) if (date - today).num_days() <= END_OF_SUPPORT_SOON_DAYS => {
            Status::Soon(date)
        }
        Some(Eol::Ended) => Status::Ended(None),
        Some(Eol::On(_)) | Some(Eol::NotAnnounced) | None => Status::Supported,
    }
}

/// The status shared by every candidate, giving the benefit of the doubt (the latest date);
/// `None` when the candidates disagree.
fn common_status(statuses: &[Status]) -> Option<Status> {
    if statuses.iter().all(|s| matches!(s, Status::Ended(_))) {
        let latest = statuses
            .iter()
            .filter_map(|s| match s {
                Status::Ended(d) => *d,
                _ => None,
            })
            .max();
        return Some(Status::Ended(latest));
    }
    if statuses.iter().all(|s| matches!(s, Status::Supported)) {
        return Some(Status::Supported);
    }
    if statuses
        .iter()
        .all(|s| matches!(s, Status::Ended(_) | Status::Soon(_)))
    {
        return statuses
            .iter()
            .filter_map(|s| match s {
                Status::Soon(d) => Some(*d),
                _ => None,
            })
            .max()
            .map(Status::Soon);
    }
    None
}

// ------------------------------------------------------------------------------------------
// Assessment
// ------------------------------------------------------------------------------------------

/// Every flag for one device on `today`. A patch older than `stale_after_days` is stale.
/// Flags come most severe first.
pub fn assess(
    subject: &RiskSubject<'_>,
    data: &RiskData,
    today: NaiveDate,
    stale_after_days: u32,
) -> Vec<Flag> {
    let mut flags = Vec::new();
    let mut ended: Vec<String> = Vec::new();
    let mut lifecycle_known = false;
    let matches = data.match_components(subject);
    for m in &matches {
        let outcome = lifecycle_flags(m, data, today, &mut flags);
        match outcome {
            LifecycleOutcome::Ended(evidence) => {
                lifecycle_known = true;
                ended.push(evidence);
            }
            LifecycleOutcome::Known => lifecycle_known = true,
            LifecycleOutcome::Unknown => {}
        }
        let version = match &m.version {
            VersionState::Parsed(v) => Some(v),
            _ => None,
        };
        let rows = data
            .fixed
            .get(&m.alias.alias.id)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let needs_version = m.alias.product.is_some() || !rows.is_empty();
        let unreadable = matches!(m.version, VersionState::Unparseable(_));
        // Without a lifecycle product nothing else speaks about a missing version.
        let missing_for_table = m.alias.product.is_none()
            && !rows.is_empty()
            && matches!(m.version, VersionState::Missing);
        if (needs_version && unreadable) || missing_for_table {
            flags.push(unmatched_version_flag(
                m,
                m.alias.product.map(|p| &data.products[p]),
            ));
        }
        if let Some(v) = version {
            vulnerable_version_flags(m, v, rows, data, &mut flags);
        }
        known_exploited_flag(
            m.alias.alias.title.as_str(),
            &m.alias.kev_entries,
            version,
            rows,
            subject.last_patch_on,
            data,
            &mut flags,
        );
    }
    direct_kev_flags(subject, data, &matches, &mut flags);
    match curated_lifecycle(subject, data, today, &mut flags) {
        LifecycleOutcome::Ended(evidence) => {
            lifecycle_known = true;
            ended.push(evidence);
        }
        LifecycleOutcome::Known => lifecycle_known = true,
        LifecycleOutcome::Unknown => {}
    }
    let any_lifecycle_product = matches.iter().any(|m| m.alias.product.is_some());
    if !lifecycle_known
        && !any_lifecycle_product
        && matches!(subject.kind, DeviceKind::VpnDevice | DeviceKind::Network)
        && !flags.iter().any(|f| f.code == FlagCode::SupportDateUnknown)
    {
        flags.push(unknown_device_flag(subject));
    }
    stale_patch_flag(subject, today, stale_after_days, &mut flags);
    if subject.vpn_check_applies() {
        vpn_flags(subject, &ended, &mut flags);
    }
    // Most severe first; within a severity, the order the checks ran.
    flags.sort_by_key(|f| std::cmp::Reverse(f.severity));
    flags
}

/// The flags of every device of a ledger, in its order; retired devices (廃棄) carry none,
/// being out of use. A ledger repeats the same configuration (maker, model, OS, firmware,
/// software, patch date, answers) on many devices and [`assess`] reads nothing else, so each
/// distinct [`RiskSubject`] is assessed once and its flags are shared by every device that
/// has it.
pub fn assess_ledger<'a>(
    devices: impl IntoIterator<Item = &'a crate::device::Device>,
    data: &RiskData,
    today: NaiveDate,
    stale_after_days: u32,
) -> Vec<Arc<[Flag]>> {
    let none: Arc<[Flag]> = Arc::from(Vec::new());
    let mut seen: HashMap<RiskSubject<'a>, Arc<[Flag]>> = HashMap::new();
    devices
        .into_iter()
        .map(|device| {
            if device.status == crate::device::DeviceStatus::Retired {
                return Arc::clone(&none);
            }
            let subject = RiskSubject::from_device(device);
            if let Some(flags) = seen.get(&subject) {
                return Arc::clone(flags);
            }
            let flags: Arc<[Flag]> = assess(&subject, data, today, stale_after_days).into();
            seen.insert(subject, Arc::clone(&flags));
            flags
        })
        .collect()
}

enum LifecycleOutcome {
    /// Support has ended; the evidence says which product.
    Ended(String),
    /// A status is known (supported, or ending soon).
    Known,
    Unknown,
}

fn lifecycle_flags(
    m: &ComponentMatch<'_>,
    data: &RiskData,
    today: NaiveDate,
    flags: &mut Vec<Flag>,
) -> LifecycleOutcome {
    let Some(product) = m.alias.product.map(|p| &data.products[p]) else {
        return LifecycleOutcome::Unknown;
    };
    let title = &m.alias.alias.title;
    let source = product.source_url();
    let assumption_en = assumption_en(m)
        .map(|a| format!("; {a}"))
        .unwrap_or_default();
    let assumption_ja = assumption_ja(m)
        .map(|a| format!("（{a}）"))
        .unwrap_or_default();
    let (status, release, detail) = match &m.resolution {
        Resolution::NoLifecycle => return LifecycleOutcome::Unknown,
        Resolution::Exact(i) => {
            let r = &product.releases[*i];
            (
                status_of(r.eol, today),
                Some(r),
                format!(
                    "endoflife.date {}: cycle {} ({}), eol {}{}; {}",
                    product.id,
                    r.cycle,
                    r.display_label(),
                    r.eol.map_or("none".to_owned(), |e| e.to_string()),
                    assumption_en,
                    source
                ),
            )
        }
        Resolution::OlderThanAll(i) => {
            let oldest = &product.releases[*i];
            let status = match status_of(oldest.eol, today) {
                Status::Ended(_) => Status::Ended(None),
                _ => {
                    push_unmatched(m, product, flags);
                    return LifecycleOutcome::Unknown;
                }
            };
            (
                status,
                None,
                format!(
                    "endoflife.date {}: version {} is older than the oldest cycle listed, {} (eol {}); {}",
                    product.id,
                    m.version_text.as_deref().unwrap_or_default(),
                    oldest.cycle,
                    oldest.eol.map_or("none".to_owned(), |e| e.to_string()),
                    source
                ),
            )
        }
        Resolution::Ambiguous(is) => {
            let statuses: Vec<Status> = is
                .iter()
                .map(|&i| status_of(product.releases[i].eol, today))
                .collect();
            let Some(status) = common_status(&statuses) else {
                push_unmatched(m, product, flags);
                return LifecycleOutcome::Unknown;
            };
            let cycles: Vec<&str> = is
                .iter()
                .map(|&i| product.releases[i].cycle.as_str())
                .collect();
            (
                status,
                None,
                format!(
                    "endoflife.date {}: cycle not determined from the ledger; every candidate ({}) has the same status{}; {}",
                    product.id,
                    cycles.join(", "),
                    assumption_en,
                    source
                ),
            )
        }
        Resolution::NotFound => {
            push_unmatched(m, product, flags);
            return LifecycleOutcome::Unknown;
        }
    };
    let what = match release {
        Some(r) => format!("{title} {}", strip_title_prefix(r.display_label(), title)),
        None => match &m.version_text {
            Some(v) => format!("{title} {v}"),
            None => title.clone(),
        },
    };
    match status {
        Status::Ended(date) => {
            let when_ja = date.map(|d| format!("（{d}）")).unwrap_or_default();
            let when_en = date.map(|d| format!(" on {d}")).unwrap_or_default();
            let (esu_ja, esu_en) = match release.and_then(|r| r.eoes) {
                Some(Eol::On(d)) if d > today => (
                    format!(
                        "延長サポート（有償の延長セキュリティ更新（ESU）など）を契約している場合は {d} まで更新を受けられます。"
                    ),
                    format!(
                        " With an extended support contract (such as paid Extended Security Updates, ESU), updates continue until {d}."
                    ),
                ),
                _ => (String::new(), String::new()),
            };
            flags.push(Flag {
                code: FlagCode::EndOfSupport,
                severity: FlagSeverity::High,
                message_ja: format!(
                    "{what} はサポートが終了しています{when_ja}{assumption_ja}。セキュリティ更新が提供されないため、保守事業者に連絡し、サポート中のバージョンへの更新または機器の更新を計画してください。{esu_ja}"
                ),
                message_en: format!(
                    "{what} reached its end of support{when_en} and no longer receives security updates. Contact your maintenance vendor and plan an upgrade to a supported version or a replacement.{esu_en}"
                ),
                evidence: detail.clone(),
                cves: Vec::new(),
            });
            LifecycleOutcome::Ended(detail)
        }
        Status::Soon(date) => {
            let days = (date - today).num_days();
            flags.push(Flag {
                code: FlagCode::EndOfSupportSoon,
                severity: FlagSeverity::Medium,
                message_ja: format!(
                    "{what} のサポートは {date} に終了します（あと {days} 日）{assumption_ja}。保守事業者と更新の時期と費用を相談し、終了前に更新してください。"
                ),
                message_en: format!(
                    "{what} reaches its end of support on {date}, in {days} days. Agree the upgrade's timing and cost with your maintenance vendor and upgrade before then."
                ),
                evidence: detail,
                cves: Vec::new(),
            });
            LifecycleOutcome::Known
        }
        Status::Supported => LifecycleOutcome::Known,
    }
}

/// `Windows Server 2019` under the title `Windows Server` reads `2019`.
fn strip_title_prefix<'a>(label: &'a str, title: &str) -> &'a str {
    label
        .strip_prefix(title)
        .map(str::trim_start)
        .filter(|l| !l.is_empty())
        .unwrap_or(label)
}

/// An unreadable version is flagged once by [`assess`]; other misses are flagged here.
fn push_unmatched(m: &ComponentMatch<'_>, product: &EolProduct, flags: &mut Vec<Flag>) {
    if !matches!(m.version, VersionState::Unparseable(_)) {
        flags.push(unmatched_version_flag(m, Some(product)));
    }
}

fn unmatched_version_flag(m: &ComponentMatch<'_>, product: Option<&EolProduct>) -> Flag {
    let title = &m.alias.alias.title;
    let (field_ja, field_en) = (m.component.label_ja(), m.component.label_en());
    let source = product
        .map(|p| format!("; {}", p.source_url()))
        .unwrap_or_default();
    match &m.version {
        VersionState::Unparseable(raw) => Flag {
            code: FlagCode::UnmatchedVersion,
            severity: FlagSeverity::Low,
            message_ja: format!(
                "{title} の{field_ja}のバージョン「{raw}」を読み取れませんでした。サポート期限と脆弱性を確認できないため、正確なバージョン（例: 7.4.3）を台帳に記入してください。"
            ),
            message_en: format!(
                "The {field_en} version \"{raw}\" of {title} could not be read, so its support and vulnerabilities cannot be checked. Record the exact version (e.g. 7.4.3) in the ledger."
            ),
            evidence: format!("{title}: version text \"{raw}\" holds no version number{source}"),
            cves: Vec::new(),
        },
        VersionState::Missing if !matches!(m.alias.alias.scheme, CycleScheme::Named(_)) => Flag {
            code: FlagCode::UnmatchedVersion,
            severity: FlagSeverity::Low,
            message_ja: format!(
                "{title} の{field_ja}のバージョンが台帳に記入されていないため、サポート期限と脆弱性を特定できません。保守事業者に確認して、バージョンを記入してください。"
            ),
            message_en: format!(
                "The ledger gives no {field_en} version for {title}, so its support and vulnerabilities cannot be pinned down. Ask your maintenance vendor and record the version."
            ),
            evidence: format!("{title}: no version recorded{source}"),
            cves: Vec::new(),
        },
        VersionState::Parsed(_) | VersionState::Words | VersionState::Missing => {
            let raw = m.text.as_str();
            Flag {
                code: FlagCode::UnmatchedVersion,
                severity: FlagSeverity::Low,
                message_ja: format!(
                    "{title}（{raw}）がどのリリースに当たるか特定できませんでした。サポート期限はリリースによって異なるため、エディションやバージョン（例: 22H2、7.4.3）を正確に台帳に記入してください。"
                ),
                message_en: format!(
                    "mamori could not tell which release of {title} \"{raw}\" is. Support ends differ between releases: record the exact edition and version (e.g. 22H2, 7.4.3)."
                ),
                evidence: format!("{title}: \"{raw}\" matches no single release cycle{source}"),
                cves: Vec::new(),
            }
        }
    }
}

enum FixOutcome<'a> {
    Fixed,
    Vulnerable(&'a PreparedFixed),
    NotAffected,
}

/// The verdict of the curated table for one CVE: `None` when the table cannot tell (the CVE is
/// not in it for this product, or the version is older than every branch it lists).
fn fixed_outcome<'a>(rows: &'a [PreparedFixed], cve: &str, v: &Version) -> Option<FixOutcome<'a>> {
    let rows: Vec<&PreparedFixed> = rows
        .iter()
        .filter(|r| r.row.cves.iter().any(|c| c == cve))
        .collect();
    if rows.is_empty() {
        return None;
    }
    // The most specific branch the version is in.
    if let Some(row) = rows
        .iter()
        .filter(|r| v.starts_with(r.branch.parts()))
        .max_by_key(|r| r.branch.parts().len())
    {
        if row.affected_from.as_ref().is_some_and(|from| v < from) {
            return Some(FixOutcome::NotAffected);
        }
        let fixed = row.fixed.as_ref().is_some_and(|f| v >= f)
            || row.also_fixed.iter().any(|h| {
                let n = h.parts().len().min(3);
                v.starts_with(&h.parts()[..n]) && v >= h
            });
        return Some(if fixed {
            FixOutcome::Fixed
        } else {
            FixOutcome::Vulnerable(row)
        });
    }
    // A branch newer than every listed one came after the fix.
    let newest = rows.iter().map(|r| &r.branch).max()?;
    (v > newest).then_some(FixOutcome::NotAffected)
}

fn vulnerable_version_flags(
    m: &ComponentMatch<'_>,
    v: &Version,
    rows: &[PreparedFixed],
    data: &RiskData,
    flags: &mut Vec<Flag>,
) {
    let title = &m.alias.alias.title;
    let raw = m.version_text.as_deref().unwrap_or_default();
    let mut seen: HashSet<*const PreparedFixed> = HashSet::new();
    for row in rows {
        let Some(cve) = row.row.cves.first() else {
            continue;
        };
        let Some(FixOutcome::Vulnerable(hit)) = fixed_outcome(rows, cve, v) else {
            continue;
        };
        if !seen.insert(hit as *const PreparedFixed) {
            continue;
        }
        let cves = hit.row.cves.join(", ");
        let ransomware = hit.row.cves.iter().any(|c| {
            data.kev_entry(c)
                .is_some_and(|e| e.known_ransomware_campaign_use == RansomwareUse::Known)
        });
        let (ransom_ja, ransom_en) = if ransomware {
            (
                "ランサムウェア攻撃での悪用が確認されています。",
                " It has been used in ransomware campaigns.",
            )
        } else {
            ("", "")
        };
        let (action_ja, action_en) = match &hit.row.fixed {
            Some(fixed) => (
                format!("保守事業者に連絡し、{title} {fixed} 以降へ更新してください。"),
                format!("Contact your maintenance vendor and update to {title} {fixed} or later."),
            ),
            None => (
                format!(
                    "{title} {} 系列には修正版が提供されていません。保守事業者に連絡し、修正版のある系列へ更新してください。",
                    hit.row.branch
                ),
                format!(
                    "The vendor published no fix in the {title} {} branch: contact your maintenance vendor and move to a branch with a fix.",
                    hit.row.branch
                ),
            ),
        };
        let note = hit
            .row
            .note
            .as_deref()
            .map(|n| format!("; {n}"))
            .unwrap_or_default();
        flags.push(Flag {
            code: FlagCode::VulnerableVersion,
            severity: FlagSeverity::High,
            message_ja: format!(
                "{title} {raw} には悪用が確認されている脆弱性 {cves} があります。{ransom_ja}{action_ja}更新後は VPN のパスワードも変更してください。"
            ),
            message_en: format!(
                "{title} {raw} has {cves}, a vulnerability known to be exploited.{ransom_en} {action_en} Change the VPN passwords after updating."
            ),
            evidence: format!(
                "{} {}: branch {}, affected from {}, fixed in {}; device version \"{raw}\"{note}",
                hit.row.advisory_id,
                hit.row.source,
                hit.row.branch,
                hit.row.affected_from.as_deref().unwrap_or("the start of the branch"),
                hit.row.fixed.as_deref().unwrap_or("no release of this branch"),
            ),
            cves: hit.row.cves.clone(),
        });
    }
}

fn known_exploited_flag(
    title: &str,
    entries: &[usize],
    version: Option<&Version>,
    rows: &[PreparedFixed],
    last_patch_on: Option<NaiveDate>,
    data: &RiskData,
    flags: &mut Vec<Flag>,
) {
    if entries.is_empty() {
        return;
    }
    let mut open: Vec<&KevEntry> = Vec::new();
    let (mut ruled_out, mut covered_by_patch) = (0usize, 0usize);
    for &i in entries {
        let entry = &data.kev[i];
        let table = version.and_then(|v| fixed_outcome(rows, &entry.cve_id, v));
        match table {
            Some(FixOutcome::Fixed | FixOutcome::NotAffected) => ruled_out += 1,
            Some(FixOutcome::Vulnerable(_)) => open.push(entry),
            // A patch applied after CISA listed the CVE is taken to include its fix.
            None if last_patch_on.is_some_and(|d| d >= entry.date_added) => covered_by_patch += 1,
            None => open.push(entry),
        }
    }
    if open.is_empty() {
        return;
    }
    let cves: Vec<String> = open.iter().map(|e| e.cve_id.clone()).collect();
    let ransomware = open
        .iter()
        .filter(|e| e.known_ransomware_campaign_use == RansomwareUse::Known)
        .count();
    let (ransom_ja, ransom_en) = if ransomware > 0 {
        (
            format!("うち {ransomware} 件はランサムウェア攻撃での悪用が確認されています。"),
            if ransomware == 1 {
                " 1 of them has been used in ransomware campaigns.".to_owned()
            } else {
                format!(" {ransomware} of them have been used in ransomware campaigns.")
            },
        )
    } else {
        (String::new(), String::new())
    };
    let n = cves.len();
    // The newest entries in detail; every id is in `cves`.
    let listed: Vec<String> = open
        .iter()
        .take(CVES_IN_EVIDENCE)
        .map(|e| {
            format!(
                "{} ({}, added {}, ransomware {})",
                e.cve_id,
                e.vulnerability_name,
                e.date_added,
                match e.known_ransomware_campaign_use {
                    RansomwareUse::Known => "known",
                    RansomwareUse::Unknown => "unknown",
                }
            )
        })
        .collect();
    let mut listed = listed.join("; ");
    if open.len() > CVES_IN_EVIDENCE {
        listed.push_str(&format!(
            "; and {} older entries",
            open.len() - CVES_IN_EVIDENCE
        ));
    }
    let mut evidence = format!("CISA KEV {}: {listed}", data.kev_version);
    if ruled_out > 0 {
        evidence.push_str(&format!(
            "; {ruled_out} more ruled out by the fixed-version table for this version"
        ));
    }
    if covered_by_patch > 0 {
        evidence.push_str(&format!(
            "; {covered_by_patch} more listed before the last patch ({}) taken as fixed",
            last_patch_on.map(|d| d.to_string()).unwrap_or_default()
        ));
    }
    flags.push(Flag {
        code: FlagCode::KnownExploited,
        severity: FlagSeverity::High,
        message_ja: format!(
            "{title} には、実際に悪用されている脆弱性（CISA KEV 掲載）が {n} 件あります（{}）。{ransom_ja}保守事業者に連絡し、これらの修正を含む更新が適用済みか確認し、未適用なら適用してください。",
            cve_list(&cves, true)
        ),
        message_en: format!(
            "{title} has {n} vulnerabilities known to be exploited (CISA KEV): {}.{ransom_en} Ask your maintenance vendor whether the updates that fix them are applied, and apply them if not.",
            cve_list(&cves, false)
        ),
        evidence,
        cves,
    });
}

fn cve_list(cves: &[String], ja: bool) -> String {
    let shown = cves
        .iter()
        .take(CVES_IN_MESSAGE)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let more = cves.len().saturating_sub(CVES_IN_MESSAGE);
    match (more, ja) {
        (0, _) => shown,
        (m, true) => format!("{shown} ほか {m} 件"),
        (m, false) => format!("{shown} and {m} more"),
    }
}

/// KEV entries named exactly by maker and model or software name, for devices no alias
/// recognized (e.g. maker `QNAP`, software `Photo Station`).
fn direct_kev_flags(
    subject: &RiskSubject<'_>,
    data: &RiskData,
    matches: &[ComponentMatch<'_>],
    flags: &mut Vec<Flag>,
) {
    let Some(maker) = present(subject.maker).map(|m| data.canonical_maker(m)) else {
        return;
    };
    let recognized = |c: Component| matches.iter().any(|m| m.component == c);
    let mut names: Vec<(Component, &str)> = Vec::new();
    if let Some(model) = present(subject.model) {
        names.push((Component::Firmware, model));
    }
    for (i, sw) in subject.software.iter().enumerate() {
        if let Some(name) = present(Some(sw.name)) {
            names.push((Component::Software(i), name));
        }
    }
    for (component, name) in names {
        if recognized(component) {
            continue;
        }
        if let Some(entries) = data.kev_by_key.get(&(maker.clone(), phrase_key(name))) {
            let title = format!("{} {}", present(subject.maker).unwrap_or_default(), name);
            known_exploited_flag(
                &title,
                entries,
                None,
                &[],
                subject.last_patch_on,
                data,
                flags,
            );
        }
    }
}

fn curated_lifecycle(
    subject: &RiskSubject<'_>,
    data: &RiskData,
    today: NaiveDate,
    flags: &mut Vec<Flag>,
) -> LifecycleOutcome {
    let Some(model) = present(subject.model).map(compact) else {
        return LifecycleOutcome::Unknown;
    };
    let row = match present(subject.maker) {
        Some(maker) => data
            .lifecycle_by_maker
            .get(&data.canonical_maker(maker))
            .and_then(|rows| {
                rows.iter()
                    .map(|&i| &data.lifecycle[i])
                    .filter_map(|r| {
                        r.patterns
                            .iter()
                            .find(|p| model.contains(p.as_str()))
                            .map(|p| (p.len(), r))
                    })
                    .max_by_key(|(len, _)| *len)
                    .map(|(_, r)| r)
            }),
        // Without a maker only an exact model name is trusted.
        None => data
            .lifecycle_by_model
            .get(&model)
            .map(|&i| &data.lifecycle[i]),
    };
    let Some(entry) = row else {
        return LifecycleOutcome::Unknown;
    };
    let row = &entry.row;
    let name = format!("{} {}", row.maker, row.model);
    let sale = row
        .end_of_sale
        .map(|d| format!(", end of sale {d}"))
        .unwrap_or_default();
    let note = row
        .note
        .as_deref()
        .map(|n| format!("; {n}"))
        .unwrap_or_default();
    let evidence = format!(
        "mamori Japan-market lifecycle table: {name}{sale}, end of support {}{note}; {} ({})",
        row.end_of_support
            .map_or("not published".to_owned(), |d| d.to_string()),
        row.source_title,
        row.source
    );
    let Some(end) = row.end_of_support else {
        flags.push(Flag {
            code: FlagCode::SupportDateUnknown,
            severity: FlagSeverity::Info,
            message_ja: format!(
                "{name} のサポート終了日は、公開情報では確認できませんでした。メーカーまたは保守事業者にサポート期限（ファームウェア更新の提供期限）を確認し、台帳に記録してください。"
            ),
            message_en: format!(
                "No published end-of-support date could be found for {name}. Ask the maker or your maintenance vendor until when firmware updates are provided, and record it in the ledger."
            ),
            evidence,
            cves: Vec::new(),
        });
        return LifecycleOutcome::Unknown;
    };
    match status_of(Some(Eol::On(end)), today) {
        Status::Ended(_) => {
            flags.push(Flag {
                code: FlagCode::EndOfSupport,
                severity: FlagSeverity::High,
                message_ja: format!(
                    "{name} はメーカーのサポートが終了しています（{end}）。ファームウェアの更新が提供されないため、保守事業者に連絡し、後継機種への更新を計画してください。"
                ),
                message_en: format!(
                    "The maker's support for {name} ended on {end}; no more firmware updates. Contact your maintenance vendor and plan a replacement."
                ),
                evidence: evidence.clone(),
                cves: Vec::new(),
            });
            LifecycleOutcome::Ended(evidence)
        }
        Status::Soon(_) => {
            let days = (end - today).num_days();
            flags.push(Flag {
                code: FlagCode::EndOfSupportSoon,
                severity: FlagSeverity::Medium,
                message_ja: format!(
                    "{name} のメーカーサポートは {end} に終了します（あと {days} 日）。保守事業者と後継機種への更新を相談してください。"
                ),
                message_en: format!(
                    "The maker's support for {name} ends on {end}, in {days} days. Plan the replacement with your maintenance vendor."
                ),
                evidence,
                cves: Vec::new(),
            });
            LifecycleOutcome::Known
        }
        Status::Supported => LifecycleOutcome::Known,
    }
}

fn unknown_device_flag(subject: &RiskSubject<'_>) -> Flag {
    let name = [present(subject.maker), present(subject.model)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let name = if name.is_empty() {
        "この機器".to_owned()
    } else {
        name
    };
    Flag {
        code: FlagCode::SupportDateUnknown,
        severity: FlagSeverity::Info,
        message_ja: format!(
            "{name} のサポート期限を mamori のデータでは確認できませんでした。メーカーまたは保守事業者にサポート期限（ファームウェア更新の提供期限）を確認し、台帳に記録してください。"
        ),
        message_en: format!(
            "mamori's datasets do not tell when support for {name} ends. Ask the maker or your maintenance vendor until when firmware updates are provided, and record it in the ledger."
        ),
        evidence: "no endoflife.date product or curated lifecycle row matches the maker, model, OS or firmware".to_owned(),
        cves: Vec::new(),
    }
}

fn stale_patch_flag(
    subject: &RiskSubject<'_>,
    today: NaiveDate,
    stale_after_days: u32,
    flags: &mut Vec<Flag>,
) {
    let entrance = subject.vpn_check_applies();
    match subject.last_patch_on {
        None => flags.push(Flag {
            code: FlagCode::StalePatch,
            severity: FlagSeverity::Low,
            message_ja: "最終パッチ適用日が台帳に記録されていません。保守事業者に最後にセキュリティパッチを適用した日を確認し、記録してください。".to_owned(),
            message_en: "The ledger has no date of the last security patch. Ask your maintenance vendor when a security patch was last applied and record it.".to_owned(),
            evidence: "last_patch_on is empty".to_owned(),
            cves: Vec::new(),
        }),
        Some(last) => {
            let days = (today - last).num_days();
            if days > i64::from(stale_after_days) {
                flags.push(Flag {
                    code: FlagCode::StalePatch,
                    severity: if entrance { FlagSeverity::High } else { FlagSeverity::Medium },
                    message_ja: format!(
                        "最後にセキュリティパッチを適用してから {days} 日経っています（{last}）。保守事業者に連絡し、最新のセキュリティパッチを適用してください。"
                    ),
                    message_en: format!(
                        "The last security patch was applied {days} days ago ({last}). Contact your maintenance vendor and apply the latest security patches."
                    ),
                    evidence: format!(
                        "last patch {last}, {days} days before {today}; threshold {stale_after_days} days"
                    ),
                    cves: Vec::new(),
                });
            }
        }
    }
}

fn vpn_flags(subject: &RiskSubject<'_>, ended: &[String], flags: &mut Vec<Flag>) {
    let source =
        "MHLW: VPN装置等のネットワーク機器におけるサイバーセキュリティ対策の徹底について (R8.3)";
    match subject.maintenance_includes_security_updates {
        Some(true) => {}
        Some(false) => flags.push(Flag {
            code: FlagCode::VpnNoSecurityUpdates,
            severity: FlagSeverity::High,
            message_ja: "VPN装置の保守契約にセキュリティアップデートが含まれていません。VPN装置はランサムウェアの主な侵入口です。保守事業者と契約を見直し、セキュリティアップデートを含む保守契約にしてください。".to_owned(),
            message_en: "The VPN device's maintenance contract does not include security updates. VPN devices are the main way in for ransomware: review the contract with your vendor so that it covers security updates.".to_owned(),
            evidence: format!("maintenance_includes_security_updates = false; {source}"),
            cves: Vec::new(),
        }),
        None => flags.push(Flag {
            code: FlagCode::VpnNoSecurityUpdates,
            severity: FlagSeverity::Medium,
            message_ja: "VPN装置の保守契約にセキュリティアップデートが含まれているか確認されていません。保守事業者に契約内容を確認し、台帳に記録してください。".to_owned(),
            message_en: "Whether the VPN device's maintenance contract covers security updates has not been confirmed. Check the contract with your vendor and record the answer.".to_owned(),
            evidence: format!("maintenance_includes_security_updates not answered; {source}"),
            cves: Vec::new(),
        }),
    }
    if !ended.is_empty() {
        flags.push(Flag {
            code: FlagCode::VpnUnsupported,
            severity: FlagSeverity::High,
            message_ja: "サポートが終了した製品を VPN装置として使っています。脆弱性が修正されないまま外部からの入口になるため、保守事業者に連絡し、速やかにサポート中の製品・バージョンへ更新してください。".to_owned(),
            message_en: "A product past its end of support is used as a VPN device: an entrance from outside whose vulnerabilities will not be fixed. Contact your maintenance vendor and move to a supported product or version promptly.".to_owned(),
            evidence: format!("{}; {source}", ended.join(" | ")),
            cves: Vec::new(),
        });
    }
    match subject.always_on_connection {
        Some(false) => {}
        Some(true) => flags.push(Flag {
            code: FlagCode::VpnAlwaysOn,
            severity: FlagSeverity::Medium,
            message_ja: "VPN が常時接続になっています。保守事業者と常時接続が本当に必要か確認し、不要であれば保守作業のときだけ接続する運用に変えてください。".to_owned(),
            message_en: "The VPN is connected at all times. Confirm with your maintenance vendor whether that is needed; if not, connect only while maintenance work is done.".to_owned(),
            evidence: format!("always_on_connection = true; {source}"),
            cves: Vec::new(),
        }),
        None => flags.push(Flag {
            code: FlagCode::VpnAlwaysOn,
            severity: FlagSeverity::Low,
            message_ja: "VPN に不要な常時接続がないか確認されていません。保守事業者に接続の運用を確認し、台帳に記録してください。".to_owned(),
            message_en: "Whether the VPN is needlessly connected at all times has not been checked. Ask your maintenance vendor how it is used and record the answer.".to_owned(),
            evidence: format!("always_on_connection not answered; {source}"),
            cves: Vec::new(),
        }),
    }
    match subject.weak_or_reused_password {
        Some(false) => {}
        Some(true) => flags.push(Flag {
            code: FlagCode::VpnWeakPassword,
            severity: FlagSeverity::High,
            message_ja: "VPN装置に容易なパスワードまたは使い回しのパスワードが設定されています。直ちに推測されにくい固有のパスワードに変更し、可能であれば多要素認証を設定してください。".to_owned(),
            message_en: "The VPN device has an easy or reused password. Change it now to a unique, hard-to-guess one and turn on multi-factor authentication if the device supports it.".to_owned(),
            evidence: format!("weak_or_reused_password = true; {source}"),
            cves: Vec::new(),
        }),
        None => flags.push(Flag {
            code: FlagCode::VpnWeakPassword,
            severity: FlagSeverity::Low,
            message_ja: "VPN装置のパスワードが容易なものや使い回しでないか確認されていません。保守事業者と確認し、台帳に記録してください。".to_owned(),
            message_en: "Whether the VPN device's passwords are easy or reused has not been checked. Check with your maintenance vendor and record the answer.".to_owned(),
            evidence: format!("weak_or_reused_password not answered; {source}"),
            cves: Vec::new(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn cycle(id: &str, label: Option<&str>, eol: Eol, latest: Option<&str>) -> ReleaseCycle {
        ReleaseCycle {
            cycle: id.to_owned(),
            label: label.map(str::to_owned),
            release_date: None,
            eol: Some(eol),
            eoas: None,
            eoes: None,
            latest: latest.map(str::to_owned),
            lts: false,
        }
    }

    fn on(y: i32, m: u32, d: u32) -> Eol {
        Eol::On(date(y, m, d))
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn synonyms(pairs: &[(&str, &str)]) -> Vec<Synonym> {
        pairs
            .iter()
            .map(|(p, r)| Synonym {
                phrase: (*p).to_owned(),
                replacement: (*r).to_owned(),
            })
            .collect()
    }

    fn kev(cve: &str, vendor: &str, product: &str, added: NaiveDate, ransomware: bool) -> KevEntry {
        KevEntry {
            cve_id: cve.to_owned(),
            vendor_project: vendor.to_owned(),
            product: product.to_owned(),
            vulnerability_name: format!("{product} vulnerability"),
            date_added: added,
            required_action: "Apply updates per vendor instructions.".to_owned(),
            known_ransomware_campaign_use: if ransomware {
                RansomwareUse::Known
            } else {
                RansomwareUse::Unknown
            },
        }
    }

    fn fixed_row(product: &str, cve: &str, branch: &str, fixed: Option<&str>) -> FixedVersionRow {
        FixedVersionRow {
            product: product.to_owned(),
            cves: vec![cve.to_owned()],
            branch: branch.to_owned(),
            affected_from: None,
            fixed: fixed.map(str::to_owned),
            also_fixed: Vec::new(),
            advisory_id: "ADV".to_owned(),
            source: "https://example.org/advisory".to_owned(),
            note: None,
        }
    }

    /// A small excerpt of the real datasets, dates as published.
    fn data() -> RiskData {
        let windows = EolProduct {
            id: "windows".to_owned(),
            title: "Microsoft Windows".to_owned(),
            permalink: Some("/windows".to_owned()),
            identifiers: vec!["cpe:2.3:o:microsoft:windows".to_owned()],
            releases: vec![
                cycle(
                    "11-24h2-w",
                    Some("11 24H2 (W)"),
                    on(2026, 10, 13),
                    Some("10.0.26100"),
                ),
                ReleaseCycle {
                    eoes: Some(on(2028, 10, 10)),
                    ..cycle(
                        "10-22h2",
                        Some("10 22H2"),
                        on(2025, 10, 14),
                        Some("10.0.19045"),
                    )
                },
                cycle(
                    "10-21h2-iot-lts",
                    Some("10 21H2 IoT"),
                    on(2032, 1, 13),
                    Some("10.0.19044"),
                ),
                cycle(
                    "10-21h2-e-lts",
                    Some("10 21H2 (E)"),
                    on(2027, 1, 12),
                    Some("10.0.19044"),
                ),
                cycle(
                    "10-21h2-e",
                    Some("10 21H2 (E)"),
                    on(2024, 6, 11),
                    Some("10.0.19044"),
                ),
                cycle(
                    "10-21h2-w",
                    Some("10 21H2 (W)"),
                    on(2023, 6, 13),
                    Some("10.0.19044"),
                ),
                cycle("8.1", Some("8.1"), on(2023, 1, 10), None),
                cycle("7-sp1", Some("7 SP1"), on(2020, 1, 14), None),
                cycle("5-sp3", Some("XP SP3"), on(2014, 4, 8), None),
            ],
        };
        let windows_server = EolProduct {
            id: "windows-server".to_owned(),
            title: "Microsoft Windows Server".to_owned(),
            permalink: Some("/windows-server".to_owned()),
            identifiers: Vec::new(),
            releases: vec![
                cycle(
                    "2019",
                    Some("Windows Server 2019"),
                    on(2029, 1, 9),
                    Some("10.0.17763"),
                ),
                cycle(
                    "1809-sac",
                    Some("Windows Server 1809 SAC"),
                    on(2020, 11, 10),
                    Some("10.0.17763"),
                ),
                cycle(
                    "2012-r2",
                    Some("Windows Server 2012 R2"),
                    on(2023, 10, 10),
                    None,
                ),
                cycle("2012", Some("Windows Server 2012"), on(2023, 10, 10), None),
            ],
        };
        let fortios = EolProduct {
            id: "fortios".to_owned(),
            title: "FortiOS".to_owned(),
            permalink: Some("/fortios".to_owned()),
            identifiers: vec!["cpe:2.3:o:fortinet:fortios".to_owned()],
            releases: vec![
                cycle("7.6", None, on(2030, 1, 25), None),
                cycle("7.4", None, on(2028, 11, 11), None),
                cycle("7.2", None, on(2026, 9, 30), None),
                cycle("7.0", None, on(2025, 9, 30), None),
                cycle("6.4", None, on(2024, 9, 30), None),
                cycle("6.2", None, on(2023, 9, 28), None),
                cycle("6.0", None, on(2022, 9, 29), None),
            ],
        };
        let pan_os = EolProduct {
            id: "pan-os".to_owned(),
            title: "Palo Alto Networks PAN-OS".to_owned(),
            permalink: Some("/panos".to_owned()),
            identifiers: Vec::new(),
            releases: vec![
                cycle("11.1", None, on(2027, 5, 3), None),
                cycle("10.2", None, on(2027, 8, 27), None),
            ],
        };
        let windows_scheme = CycleScheme::Named(NamedScheme {
            tokens_from: NamedTokens::Cycle,
            synonyms: synonyms(&[
                ("xp", "5"),
                ("iot enterprise", "iot"),
                ("enterprise", "e"),
                ("education", "e"),
                ("pro", "w"),
                ("home", "w"),
                ("ltsc", "lts"),
                ("ltsc 2021", "21h2 lts"),
            ]),
            qualifiers: strings(&["w", "e", "lts", "iot", "sp1", "sp3"]),
            default_qualifiers: Some(strings(&["w"])),
            default_note_ja: Some("エディション未記入のため Home/Pro とみなしました".to_owned()),
            default_note_en: Some("edition not stated; assumed Home/Pro (W)".to_owned()),
            build_from_latest: true,
        });
        let aliases = vec![
            ProductAlias {
                id: "windows".to_owned(),
                title: "Windows".to_owned(),
                names: strings(&["windows", "win"]),
                exclude: Vec::new(),
                makers: strings(&["Microsoft"]),
                endoflife: Some("windows".to_owned()),
                scheme: windows_scheme,
                kev: vec![KevPattern {
                    vendor: "Microsoft".to_owned(),
                    product: "Windows".to_owned(),
                }],
                kev_cves: Vec::new(),
            },
            ProductAlias {
                id: "windows-server".to_owned(),
                title: "Windows Server".to_owned(),
                names: strings(&["windows server"]),
                exclude: Vec::new(),
                makers: strings(&["Microsoft"]),
                endoflife: Some("windows-server".to_owned()),
                scheme: CycleScheme::Named(NamedScheme {
                    tokens_from: NamedTokens::Cycle,
                    synonyms: Vec::new(),
                    qualifiers: strings(&["sac", "ac", "sp1", "sp2"]),
                    default_qualifiers: Some(Vec::new()),
                    default_note_ja: None,
                    default_note_en: None,
                    build_from_latest: true,
                }),
                kev: Vec::new(),
                kev_cves: Vec::new(),
            },
            ProductAlias {
                id: "fortios".to_owned(),
                title: "FortiOS".to_owned(),
                names: strings(&["fortios", "fortigate"]),
                exclude: Vec::new(),
                makers: strings(&["Fortinet"]),
                endoflife: Some("fortios".to_owned()),
                scheme: CycleScheme::Dotted {
                    legacy_one_prefix: false,
                },
                kev: vec![
                    KevPattern {
                        vendor: "Fortinet".to_owned(),
                        product: "FortiOS".to_owned(),
                    },
                    KevPattern {
                        vendor: "Fortinet".to_owned(),
                        product: "FortiOS and FortiProxy*".to_owned(),
                    },
                ],
                kev_cves: Vec::new(),
            },
            ProductAlias {
                id: "pan-os".to_owned(),
                title: "PAN-OS".to_owned(),
                names: strings(&["pan-os", "palo alto"]),
                exclude: Vec::new(),
                makers: strings(&["Palo Alto Networks"]),
                endoflife: Some("pan-os".to_owned()),
                scheme: CycleScheme::Dotted {
                    legacy_one_prefix: false,
                },
                kev: vec![KevPattern {
                    vendor: "Palo Alto Networks".to_owned(),
                    product: "PAN-OS".to_owned(),
                }],
                kev_cves: Vec::new(),
            },
            ProductAlias {
                id: "citrix-netscaler".to_owned(),
                title: "NetScaler ADC / Gateway".to_owned(),
                names: strings(&["netscaler", "citrix adc"]),
                exclude: Vec::new(),
                makers: strings(&["Citrix"]),
                endoflife: None,
                scheme: CycleScheme::Dotted {
                    legacy_one_prefix: false,
                },
                kev: vec![KevPattern {
                    vendor: "Citrix".to_owned(),
                    product: "NetScaler ADC and NetScaler Gateway".to_owned(),
                }],
                kev_cves: Vec::new(),
            },
        ];
        let mut fixed = vec![
            FixedVersionRow {
                cves: strings(&["CVE-2018-13379"]),
                affected_from: Some("5.6.3".to_owned()),
                ..fixed_row("fortios", "CVE-2018-13379", "5.6", Some("5.6.8"))
            },
            fixed_row("fortios", "CVE-2018-13379", "6.0", Some("6.0.5")),
            fixed_row("fortios", "CVE-2018-13379", "6.2", Some("6.2.0")),
            fixed_row("fortios", "CVE-2024-21762", "7.4", Some("7.4.3")),
            fixed_row("fortios", "CVE-2024-21762", "6.0", None),
            fixed_row(
                "citrix-netscaler",
                "CVE-2023-4966",
                "13.1",
                Some("13.1-49.15"),
            ),
        ];
        fixed.push(FixedVersionRow {
            also_fixed: strings(&["10.2.8-h3", "10.2.7-h8"]),
            ..fixed_row("pan-os", "CVE-2024-3400", "10.2", Some("10.2.9-h1"))
        });
        RiskData::new(RiskDataParts {
            kev_version: "2025.08.25".to_owned(),
            kev: vec![
                kev(
                    "CVE-2018-13379",
                    "Fortinet",
                    "FortiOS",
                    date(2021, 11, 3),
                    true,
                ),
                kev(
                    "CVE-2024-21762",
                    "Fortinet",
                    "FortiOS",
                    date(2024, 2, 9),
                    true,
                ),
                kev(
                    "CVE-2023-27997",
                    "Fortinet",
                    "FortiOS and FortiProxy SSL-VPN",
                    date(2023, 6, 13),
                    true,
                ),
                kev(
                    "CVE-2024-3400",
                    "Palo Alto Networks",
                    "PAN-OS",
                    date(2024, 4, 12),
                    true,
                ),
                kev(
                    "CVE-2023-4966",
                    "Citrix",
                    "NetScaler ADC and NetScaler Gateway",
                    date(2023, 10, 18),
                    true,
                ),
                kev(
                    "CVE-2024-38112",
                    "Microsoft",
                    "Windows ",
                    date(2024, 7, 9),
                    false,
                ),
                kev(
                    "CVE-2016-0000",
                    "QNAP",
                    "Photo Station",
                    date(2022, 1, 1),
                    false,
                ),
            ],
            products: vec![windows, windows_server, fortios, pan_os],
            aliases,
            makers: vec![
                MakerAlias {
                    name: "Yamaha".to_owned(),
                    spellings: strings(&["ヤマハ", "YAMAHA Corporation"]),
                },
                MakerAlias {
                    name: "Fortinet".to_owned(),
                    spellings: strings(&["フォーティネット", "Fortinet, Inc."]),
                },
            ],
            fixed_versions: fixed,
            lifecycles: vec![
                LifecycleRow {
                    maker: "Yamaha".to_owned(),
                    model: "RTX1200".to_owned(),
                    also_matches: Vec::new(),
                    end_of_sale: None,
                    end_of_support: None,
                    note: Some("no published date found".to_owned()),
                    source: "https://network.yamaha.com/".to_owned(),
                    source_title: "ヤマハ ネットワーク製品".to_owned(),
                },
                LifecycleRow {
                    maker: "Example".to_owned(),
                    model: "EX-100".to_owned(),
                    also_matches: Vec::new(),
                    end_of_sale: Some(date(2019, 3, 31)),
                    end_of_support: Some(date(2024, 3, 31)),
                    note: None,
                    source: "https://example.org/eol".to_owned(),
                    source_title: "Example EOL list".to_owned(),
                },
            ],
        })
    }

    fn today() -> NaiveDate {
        date(2026, 11, 24)
    }

    fn codes(flags: &[Flag]) -> Vec<&'static str> {
        flags.iter().map(|f| f.code.as_str()).collect()
    }

    fn find(flags: &[Flag], code: FlagCode) -> &Flag {
        flags
            .iter()
            .find(|f| f.code == code)
            .unwrap_or_else(|| panic!("no {} in {:?}", code.as_str(), codes(flags)))
    }

    fn pc<'a>(os: &'a str, version: Option<&'a str>) -> RiskSubject<'a> {
        RiskSubject {
            kind: DeviceKind::TerminalPc,
            os: Some(os),
            os_version: version,
            last_patch_on: Some(date(2026, 11, 1)),
            ..Default::default()
        }
    }

    fn fortigate(version: &str) -> RiskSubject<'_> {
        RiskSubject {
            kind: DeviceKind::VpnDevice,
            maker: Some("Fortinet"),
            model: Some("FortiGate-60E"),
            firmware_version: Some(version),
            last_patch_on: Some(date(2026, 11, 1)),
            remote_maintenance: true,
            maintenance_includes_security_updates: Some(true),
            always_on_connection: Some(false),
            weak_or_reused_password: Some(false),
            ..Default::default()
        }
    }

    #[test]
    fn versions_are_read_from_what_people_write() {
        let cases: &[(&str, Option<&[u32]>)] = &[
            ("6.0.4", Some(&[6, 0, 4])),
            ("v6.0.4 build0231", Some(&[6, 0, 4, 231])),
            ("FortiOS 7.4.3", Some(&[7, 4, 3])),
            ("10.0.19044", Some(&[10, 0, 19044])),
            ("Windows 8.1", Some(&[8, 1])),
            ("9.1.0-h3", Some(&[9, 1, 0, 3])),
            ("Rev.15.02.29", Some(&[15, 2, 29])),
            ("9.0R3.4", Some(&[9, 0, 3, 4])),
            ("13.0-47.24", Some(&[13, 0, 47, 24])),
            ("NS13.0: Build 47.24.nc", Some(&[13, 0, 47, 24])),
            ("10.2.0.5-29sv", Some(&[10, 2, 0, 5, 29])),
            ("1.8.0_381", Some(&[1, 8, 0, 381])),
            ("ｖ７．４．３", Some(&[7, 4, 3])),
            ("16", Some(&[16])),
            ("19c", Some(&[19])),
            ("22H2", None),
            ("不明", None),
            ("latest", None),
            ("", None),
        ];
        for (text, want) in cases {
            let got = Version::parse(text);
            assert_eq!(got.as_ref().map(Version::parts), *want, "parsing {text:?}");
        }
        // "Windows 10 21H2" reads as 10: the feature release is a name, read by the Windows
        // scheme, not a number.
        assert_eq!(
            Version::parse("Windows 10 21H2").map(|v| v.parts().to_vec()),
            Some(vec![10])
        );
    }

    #[test]
    fn versions_compare_number_by_number() {
        let v = |s: &str| Version::parse(s).expect("parses");
        assert!(v("6.0.4 build0231") < v("6.0.5"));
        assert!(v("10.2.9") < v("10.2.9-h1"));
        assert!(v("9.0R3.3") < v("9.0R3.4"));
        assert!(v("8.3R7") < v("8.3R7.1"));
        assert!(v("13.0-41.20") < v("13.0-47.24"));
        assert!(v("6.0") == v("6.0.0"));
        assert!(v("7.10.1") > v("7.9.9"));
    }

    #[test]
    fn words_split_where_ledgers_run_them_together() {
        assert_eq!(
            words("windows10pro 21h2"),
            vec!["windows", "10", "pro", "21h2"]
        );
        assert_eq!(
            words("fortigate-60e v6.0.4"),
            vec!["fortigate", "60e", "v6.0.4"]
        );
        assert_eq!(
            words("windows server 2012r2"),
            vec!["windows", "server", "2012r2"]
        );
        assert_eq!(words(".net framework 4.8"), vec!["net", "framework", "4.8"]);
        assert_eq!(
            words("ウイルスバスターcorp."),
            vec!["ウイルスバスター", "corp"]
        );
        assert_eq!(maker_key("ヤマハ株式会社"), "ヤマハ");
        assert_eq!(maker_key("Fortinet, Inc."), "fortinet");
    }

    #[test]
    fn windows_8_1_is_past_support() {
        let data = data();
        let flags = assess(&pc("Windows 8.1 Pro", None), &data, today(), 90);
        let eos = find(&flags, FlagCode::EndOfSupport);
        assert_eq!(eos.severity, FlagSeverity::High);
        assert!(eos.evidence.contains("cycle 8.1"), "{}", eos.evidence);
        assert!(eos.evidence.contains("2023-01-10"), "{}", eos.evidence);
        assert!(eos.evidence.contains("https://endoflife.date/windows"));
        assert!(
            eos.message_ja.contains("サポートが終了"),
            "{}",
            eos.message_ja
        );
        assert!(eos.message_ja.contains("保守事業者に連絡"));
    }

    #[test]
    fn windows_10_21h2_is_past_support_and_the_edition_is_shown() {
        let data = data();
        let flags = assess(&pc("Windows 10", Some("21H2")), &data, today(), 90);
        let eos = find(&flags, FlagCode::EndOfSupport);
        assert!(eos.evidence.contains("cycle 10-21h2-w"), "{}", eos.evidence);
        assert!(
            eos.evidence.contains("assumed Home/Pro"),
            "{}",
            eos.evidence
        );
        assert!(
            eos.message_ja.contains("Home/Pro とみなしました"),
            "{}",
            eos.message_ja
        );
        assert!(!flags.iter().any(|f| f.code == FlagCode::UnmatchedVersion));

        let matches = identify(&pc("Windows 10", Some("21H2")), &data);
        assert_eq!(matches.len(), 1);
        assert_eq!(matches[0].product, "windows");
        assert_eq!(matches[0].cycle.as_deref(), Some("10-21h2-w"));
        assert_eq!(matches[0].eol, Some(on(2023, 6, 13)));

        // The edition written in the ledger decides: Enterprise ended later, LTSC not yet.
        let enterprise = identify(&pc("Windows 10 Enterprise", Some("21H2")), &data);
        assert_eq!(enterprise[0].cycle.as_deref(), Some("10-21h2-e"));
        assert_eq!(enterprise[0].assumption, None);
        let ltsc = assess(
            &pc("Windows 10 Enterprise LTSC 2021", None),
            &data,
            today(),
            90,
        );
        assert!(
            !ltsc.iter().any(|f| f.code == FlagCode::EndOfSupport),
            "{:?}",
            codes(&ltsc)
        );
        let iot = identify(&pc("Windows 10 IoT Enterprise LTSC 2021", None), &data);
        assert_eq!(iot[0].cycle.as_deref(), Some("10-21h2-iot-lts"));

        // A build number selects the feature release, however it is written.
        let build = identify(&pc("Windows10 Pro", Some("10.0.19044.5371")), &data);
        assert_eq!(build[0].cycle.as_deref(), Some("10-21h2-w"));
    }

    #[test]
    fn windows_10_22h2_mentions_extended_security_updates() {
        let data = data();
        let flags = assess(&pc("Windows 10 Pro 22H2", None), &data, today(), 90);
        let eos = find(&flags, FlagCode::EndOfSupport);
        assert!(eos.evidence.contains("cycle 10-22h2"), "{}", eos.evidence);
        assert!(eos.message_ja.contains("ESU"), "{}", eos.message_ja);
        assert!(eos.message_ja.contains("2028-10-10"));
    }

    #[test]
    fn windows_10_without_a_release_is_judged_on_every_candidate() {
        // Every Home/Pro release of Windows 10 has ended, so the release need not be known.
        let data = data();
        let flags = assess(&pc("Windows 10 Home", None), &data, today(), 90);
        let eos = find(&flags, FlagCode::EndOfSupport);
        assert!(
            eos.evidence.contains("cycle not determined"),
            "{}",
            eos.evidence
        );
    }

    #[test]
    fn windows_server_2012_r2_is_its_own_product_and_cycle() {
        let data = data();
        let m = identify(&pc("Windows Server 2012 R2 Standard", None), &data);
        assert_eq!(m[0].product, "windows-server");
        assert_eq!(m[0].cycle.as_deref(), Some("2012-r2"));
        let flags = assess(
            &pc("Windows Server 2012 R2 Standard", None),
            &data,
            today(),
            90,
        );
        assert!(
            find(&flags, FlagCode::EndOfSupport)
                .message_ja
                .contains("2012 R2")
        );
        // A build number picks the long-term release, not the semi-annual one.
        let m = identify(&pc("Windows Server", Some("10.0.17763.6414")), &data);
        assert_eq!(m[0].cycle.as_deref(), Some("2019"));
    }

    #[test]
    fn fortios_6_0_4_is_vulnerable_to_cve_2018_13379_and_known_exploited() {
        let data = data();
        let flags = assess(&fortigate("v6.0.4 build0231"), &data, today(), 90);
        let vulnerable: Vec<&Flag> = flags
            .iter()
            .filter(|f| f.code == FlagCode::VulnerableVersion)
            .collect();
        let cve_2018 = vulnerable
            .iter()
            .find(|f| f.cves == ["CVE-2018-13379"])
            .expect("CVE-2018-13379 flagged");
        assert_eq!(cve_2018.severity, FlagSeverity::High);
        assert!(
            cve_2018
                .message_ja
                .contains("保守事業者に連絡し、FortiOS 6.0.5 以降へ更新してください"),
            "{}",
            cve_2018.message_ja
        );
        assert!(cve_2018.message_ja.contains("ランサムウェア"));
        assert!(cve_2018.evidence.contains("https://example.org/advisory"));
        // 6.0 has no fix for CVE-2024-21762: the message says to change branch.
        let no_fix = vulnerable
            .iter()
            .find(|f| f.cves == ["CVE-2024-21762"])
            .expect("CVE-2024-21762 flagged");
        assert!(
            no_fix.message_ja.contains("修正版が提供されていません"),
            "{}",
            no_fix.message_ja
        );

        let known = find(&flags, FlagCode::KnownExploited);
        assert!(known.cves.contains(&"CVE-2018-13379".to_owned()));
        // CVE-2023-27997 (product "FortiOS and FortiProxy SSL-VPN", a prefix pattern) was
        // listed before the last patch: taken as fixed, unless nothing was ever patched.
        assert!(!known.cves.contains(&"CVE-2023-27997".to_owned()));
        let mut unpatched = fortigate("v6.0.4 build0231");
        unpatched.last_patch_on = None;
        let unpatched_flags = assess(&unpatched, &data, today(), 90);
        let unpatched_known = find(&unpatched_flags, FlagCode::KnownExploited);
        assert!(
            unpatched_known.cves.contains(&"CVE-2023-27997".to_owned()),
            "prefix pattern"
        );
        assert!(known.evidence.contains("CISA KEV 2025.08.25"));
        // FortiOS 6.0 ended in 2022: end of support, and the VPN check says the same.
        assert!(flags.iter().any(|f| f.code == FlagCode::EndOfSupport));
        assert!(flags.iter().any(|f| f.code == FlagCode::VpnUnsupported));
    }

    #[test]
    fn fortios_7_4_is_supported_and_its_fixed_release_is_not_vulnerable() {
        let data = data();
        let flags = assess(&fortigate("7.4.3"), &data, today(), 90);
        assert!(
            !flags.iter().any(|f| matches!(
                f.code,
                FlagCode::EndOfSupport
                    | FlagCode::EndOfSupportSoon
                    | FlagCode::VulnerableVersion
                    | FlagCode::VpnUnsupported
            )),
            "{:?}",
            codes(&flags)
        );
        let m = identify(&fortigate("7.4.3"), &data);
        assert_eq!(m[0].cycle.as_deref(), Some("7.4"));
        // CVE-2024-21762 is ruled out by the fixed-version table; the rest predate the patch.
        assert!(
            !flags.iter().any(|f| f.code == FlagCode::KnownExploited),
            "{:?}",
            codes(&flags)
        );

        let flags = assess(&fortigate("7.4.2"), &data, today(), 90);
        let v = find(&flags, FlagCode::VulnerableVersion);
        assert!(
            v.message_ja.contains("FortiOS 7.4.3 以降へ更新"),
            "{}",
            v.message_ja
        );
    }

    #[test]
    fn support_ending_within_180_days_is_flagged_soon() {
        let data = data();
        // FortiOS 7.2 ends on 2026-09-30.
        let flags = assess(&fortigate("7.2.8"), &data, date(2026, 6, 1), 90);
        let soon = find(&flags, FlagCode::EndOfSupportSoon);
        assert_eq!(soon.severity, FlagSeverity::Medium);
        assert!(
            soon.message_ja.contains("2026-09-30"),
            "{}",
            soon.message_ja
        );
        assert!(
            soon.message_ja.contains("あと 121 日"),
            "{}",
            soon.message_ja
        );
        // 181 days before: nothing yet.
        let flags = assess(&fortigate("7.2.8"), &data, date(2026, 4, 2), 90);
        assert!(!flags.iter().any(|f| f.code == FlagCode::EndOfSupportSoon));
        // On the day: ended.
        let flags = assess(&fortigate("7.2.8"), &data, date(2026, 9, 30), 90);
        assert!(flags.iter().any(|f| f.code == FlagCode::EndOfSupport));
    }

    #[test]
    fn an_unreadable_version_is_flagged_unmatched() {
        let data = data();
        let flags = assess(&fortigate("不明"), &data, today(), 90);
        let u = find(&flags, FlagCode::UnmatchedVersion);
        assert!(
            u.message_ja.contains("「不明」を読み取れませんでした"),
            "{}",
            u.message_ja
        );
        assert_eq!(
            flags
                .iter()
                .filter(|f| f.code == FlagCode::UnmatchedVersion)
                .count(),
            1
        );
        assert!(!flags.iter().any(|f| f.code == FlagCode::VulnerableVersion));
        // A product without lifecycle data still needs the version for the fixed-version table.
        let netscaler = RiskSubject {
            kind: DeviceKind::VpnDevice,
            maker: Some("Citrix"),
            model: Some("NetScaler MPX 5900"),
            ..Default::default()
        };
        let flags = assess(&netscaler, &data, today(), 90);
        assert!(
            flags.iter().any(|f| f.code == FlagCode::UnmatchedVersion),
            "{:?}",
            codes(&flags)
        );
        // A version older than every listed cycle of a fully ended product is past support.
        let flags = assess(&fortigate("5.2.15"), &data, today(), 90);
        let eos = find(&flags, FlagCode::EndOfSupport);
        assert!(
            eos.evidence.contains("older than the oldest cycle"),
            "{}",
            eos.evidence
        );
    }

    #[test]
    fn citrix_bleed_is_checked_against_its_fixed_build() {
        let data = data();
        let device = |v| RiskSubject {
            kind: DeviceKind::VpnDevice,
            maker: Some("Citrix"),
            model: Some("NetScaler Gateway"),
            firmware_version: Some(v),
            ..Default::default()
        };
        let flags = assess(&device("NS13.1: Build 49.13.nc"), &data, today(), 90);
        assert!(
            find(&flags, FlagCode::VulnerableVersion)
                .message_ja
                .contains("13.1-49.15")
        );
        let flags = assess(&device("13.1-49.15"), &data, today(), 90);
        assert!(!flags.iter().any(|f| f.code == FlagCode::VulnerableVersion));
        // No lifecycle data: the device is told that its support date is unknown.
        assert!(
            flags.iter().any(|f| f.code == FlagCode::SupportDateUnknown),
            "{:?}",
            codes(&flags)
        );
    }

    #[test]
    fn pan_os_hotfixes_of_earlier_releases_count_as_fixed() {
        let data = data();
        let device = |v| RiskSubject {
            kind: DeviceKind::VpnDevice,
            maker: Some("Palo Alto Networks"),
            model: Some("PA-220"),
            firmware_version: Some(v),
            ..Default::default()
        };
        for (v, vulnerable) in [
            ("10.2.8", true),
            ("10.2.8-h3", false),
            ("10.2.7-h8", false),
            ("10.2.7-h7", true),
            ("10.2.9-h1", false),
            ("10.2.10", false),
            ("11.1.2", false),
        ] {
            let flags = assess(&device(v), &data, today(), 90);
            assert_eq!(
                flags.iter().any(|f| f.code == FlagCode::VulnerableVersion),
                vulnerable,
                "PAN-OS {v}: {:?}",
                codes(&flags)
            );
        }
    }

    #[test]
    fn kev_entries_listed_before_the_last_patch_are_taken_as_fixed() {
        let data = data();
        let mut subject = pc("Windows 11 Pro", Some("24H2"));
        subject.last_patch_on = Some(date(2024, 6, 1));
        let flags = assess(&subject, &data, today(), 3650);
        let known = find(&flags, FlagCode::KnownExploited);
        assert_eq!(known.cves, ["CVE-2024-38112"]);
        subject.last_patch_on = Some(date(2024, 8, 1));
        let flags = assess(&subject, &data, today(), 3650);
        assert!(!flags.iter().any(|f| f.code == FlagCode::KnownExploited));
        // Maker and product named exactly as in KEV, with no alias.
        let nas = RiskSubject {
            kind: DeviceKind::Other,
            maker: Some("QNAP"),
            software: vec![SoftwareRef {
                name: "Photo Station",
                version: None,
            }],
            ..Default::default()
        };
        let flags = assess(&nas, &data, today(), 90);
        assert_eq!(
            find(&flags, FlagCode::KnownExploited).cves,
            ["CVE-2016-0000"]
        );
    }

    #[test]
    fn stale_patches() {
        let data = data();
        let mut subject = pc("Windows 11 Pro", Some("24H2"));
        subject.last_patch_on = Some(date(2026, 5, 1));
        let flags = assess(&subject, &data, today(), 90);
        let stale = find(&flags, FlagCode::StalePatch);
        assert_eq!(stale.severity, FlagSeverity::Medium);
        assert!(stale.message_ja.contains("207 日"), "{}", stale.message_ja);
        let flags = assess(&subject, &data, today(), 365);
        assert!(!flags.iter().any(|f| f.code == FlagCode::StalePatch));
        subject.last_patch_on = None;
        let flags = assess(&subject, &data, today(), 365);
        assert_eq!(
            find(&flags, FlagCode::StalePatch).severity,
            FlagSeverity::Low
        );
    }

    #[test]
    fn japan_market_routers_from_the_curated_table() {
        let data = data();
        let rtx = RiskSubject {
            kind: DeviceKind::Network,
            maker: Some("ヤマハ株式会社"),
            model: Some("RTX-1200"),
            firmware_version: Some("Rev.10.01.78"),
            last_patch_on: Some(date(2026, 11, 1)),
            ..Default::default()
        };
        let flags = assess(&rtx, &data, today(), 90);
        let unknown = find(&flags, FlagCode::SupportDateUnknown);
        assert_eq!(unknown.severity, FlagSeverity::Info);
        assert!(
            unknown
                .message_ja
                .contains("公開情報では確認できませんでした"),
            "{}",
            unknown.message_ja
        );
        assert!(unknown.evidence.contains("no published date found"));
        assert!(unknown.evidence.contains("https://network.yamaha.com/"));
        assert_eq!(
            flags
                .iter()
                .filter(|f| f.code == FlagCode::SupportDateUnknown)
                .count(),
            1
        );
        // RTX1210 is another model.
        let rtx1210 = RiskSubject {
            model: Some("RTX1210"),
            ..rtx.clone()
        };
        let flags = assess(&rtx1210, &data, today(), 90);
        assert!(
            !find(&flags, FlagCode::SupportDateUnknown)
                .evidence
                .contains("RTX1200"),
            "RTX1210 must not match the RTX1200 row"
        );
        // A row with a published date gives end of support, with its source.
        let ex = RiskSubject {
            kind: DeviceKind::VpnDevice,
            maker: Some("Example"),
            model: Some("EX-100 VPN"),
            remote_maintenance: true,
            ..Default::default()
        };
        let flags = assess(&ex, &data, today(), 90);
        let eos = find(&flags, FlagCode::EndOfSupport);
        assert!(eos.evidence.contains("https://example.org/eol"));
        assert!(eos.message_ja.contains("2024-03-31"));
        assert!(flags.iter().any(|f| f.code == FlagCode::VpnUnsupported));
    }

    #[test]
    fn the_vpn_device_check() {
        let data = data();
        let mut subject = fortigate("7.4.3");
        subject.maintenance_includes_security_updates = Some(false);
        subject.always_on_connection = Some(true);
        subject.weak_or_reused_password = Some(true);
        let flags = assess(&subject, &data, today(), 90);
        assert_eq!(
            find(&flags, FlagCode::VpnNoSecurityUpdates).severity,
            FlagSeverity::High
        );
        assert_eq!(
            find(&flags, FlagCode::VpnAlwaysOn).severity,
            FlagSeverity::Medium
        );
        let password = find(&flags, FlagCode::VpnWeakPassword);
        assert_eq!(password.severity, FlagSeverity::High);
        assert!(password.message_ja.contains("パスワードに変更"));
        assert!(!flags.iter().any(|f| f.code == FlagCode::VpnUnsupported));
        // Flags come most severe first.
        assert!(flags.windows(2).all(|w| w[0].severity >= w[1].severity));

        // Unanswered questions are flagged as unconfirmed.
        subject.maintenance_includes_security_updates = None;
        subject.always_on_connection = None;
        subject.weak_or_reused_password = None;
        let flags = assess(&subject, &data, today(), 90);
        assert_eq!(
            find(&flags, FlagCode::VpnNoSecurityUpdates).severity,
            FlagSeverity::Medium
        );
        assert_eq!(
            find(&flags, FlagCode::VpnAlwaysOn).severity,
            FlagSeverity::Low
        );
        assert_eq!(
            find(&flags, FlagCode::VpnWeakPassword).severity,
            FlagSeverity::Low
        );

        // All answered well: no VPN flag.
        let flags = assess(&fortigate("7.4.3"), &data, today(), 90);
        assert!(
            !flags.iter().any(|f| f.code.as_str().starts_with("vpn_")),
            "{:?}",
            codes(&flags)
        );

        // Not a VPN device, no remote maintenance: the check does not apply.
        let mut router = fortigate("7.4.3");
        router.kind = DeviceKind::Network;
        router.remote_maintenance = false;
        router.maintenance_includes_security_updates = None;
        let flags = assess(&router, &data, today(), 90);
        assert!(!flags.iter().any(|f| f.code.as_str().starts_with("vpn_")));
        router.remote_maintenance = true;
        let flags = assess(&router, &data, today(), 90);
        assert!(
            flags
                .iter()
                .any(|f| f.code == FlagCode::VpnNoSecurityUpdates)
        );
    }

    #[test]
    fn makers_keep_products_apart() {
        let mut parts_data = data();
        let ios = |id: &str, maker: &str| ProductAlias {
            id: id.to_owned(),
            title: id.to_owned(),
            names: strings(&["ios"]),
            exclude: Vec::new(),
            makers: strings(&[maker]),
            endoflife: None,
            scheme: CycleScheme::Dotted {
                legacy_one_prefix: false,
            },
            kev: Vec::new(),
            kev_cves: Vec::new(),
        };
        // Rebuild with two products called "IOS".
        parts_data = {
            let mut aliases: Vec<ProductAlias> =
                parts_data.aliases.iter().map(|a| a.alias.clone()).collect();
            aliases.push(ios("apple-ios", "Apple"));
            aliases.push(ios("cisco-ios", "Cisco"));
            RiskData::new(RiskDataParts {
                kev_version: parts_data.kev_version.clone(),
                kev: parts_data.kev.clone(),
                products: parts_data.products.clone(),
                aliases,
                makers: Vec::new(),
                fixed_versions: Vec::new(),
                lifecycles: Vec::new(),
            })
        };
        let data = parts_data;
        let device = |maker: Option<&'static str>, os: &'static str| RiskSubject {
            kind: DeviceKind::Network,
            maker,
            os: Some(os),
            ..Default::default()
        };
        let product = |s: &RiskSubject<'_>| identify(s, &data).first().map(|m| m.product.clone());
        // The maker breaks ties between products of the same name.
        assert_eq!(
            product(&device(Some("Cisco"), "IOS 15.2(7)E")).as_deref(),
            Some("cisco-ios")
        );
        assert_eq!(
            product(&device(None, "iOS 17.5")).as_deref(),
            Some("apple-ios")
        );
        // A PC's maker is not its OS's maker: NEC's PC runs Windows.
        assert_eq!(
            product(&device(Some("NEC"), "Windows 7")).as_deref(),
            Some("windows")
        );
        // In the maker + model field a maker outside the product's list rules it out.
        let subject = RiskSubject {
            kind: DeviceKind::Network,
            maker: Some("Dell"),
            model: Some("FortiGate look-alike"),
            firmware_version: Some("7.4.3"),
            ..Default::default()
        };
        assert_eq!(product(&subject), None);
        let subject = RiskSubject {
            kind: DeviceKind::MedicalDevice,
            os: Some("Windows XP Embedded"),
            ..Default::default()
        };
        let m = identify(&subject, &data);
        assert_eq!(m[0].cycle.as_deref(), Some("5-sp3"));
    }

    #[test]
    fn codes_and_kinds_round_trip_through_their_names() {
        // The serde names are checked against `as_str` in mamori-catalog, which has JSON.
        for code in FlagCode::ALL {
            assert_eq!(FlagCode::parse(code.as_str()), Some(code));
        }
        for kind in DeviceKind::ALL {
            assert_eq!(DeviceKind::parse(kind.as_str()), Some(kind));
        }
        assert!(FlagSeverity::High > FlagSeverity::Medium);
        assert!(FlagSeverity::Low > FlagSeverity::Info);
    }

    #[test]
    fn many_devices_are_assessed_without_scanning_the_datasets() {
        let data = data();
        let versions: Vec<String> = (0..2000)
            .map(|i| format!("6.{}.{}", i % 5, i % 17))
            .collect();
        let mut total = 0;
        for v in &versions {
            total += assess(&fortigate(v), &data, today(), 90).len();
            total += assess(
                &pc("Windows 10 Pro", Some("10.0.19045")),
                &data,
                today(),
                90,
            )
            .len();
        }
        assert!(total > 0);
    }

    #[test]
    fn a_ledger_row_becomes_a_subject() {
        use crate::device::{AssetNumber, Device, DeviceKind as Ledger, Software, Version as V};
        let mut d = Device::new(AssetNumber::parse("NW-001").expect("asset number"));
        d.maker = "  ".to_owned();
        d.model = "FortiGate-60E".to_owned();
        d.os = "FortiOS 6.0.4".to_owned();
        d.software = vec![Software {
            name: "FortiClient EMS".to_owned(),
            version: V::parse("software_version", "7.0").expect("version"),
        }];
        d.last_patched_on = Some(date(2020, 1, 1));
        d.security_updates_in_contract = Some(false);
        d.remote_maintenance = true;
        let s = RiskSubject::from_device(&d);
        assert_eq!(s.kind, DeviceKind::Other, "no 種別 is その他");
        assert_eq!(s.maker, None, "a blank cell is absent");
        assert_eq!(s.model, Some("FortiGate-60E"));
        assert_eq!(s.os, Some("FortiOS 6.0.4"));
        assert_eq!(s.software[0].version, Some("7.0"));
        assert_eq!(s.last_patch_on, Some(date(2020, 1, 1)));
        assert_eq!(s.maintenance_includes_security_updates, Some(false));
        assert!(s.remote_maintenance);
        d.kind = Some(Ledger::Vpn);
        assert_eq!(RiskSubject::from_device(&d).kind, DeviceKind::VpnDevice);
        d.kind = Some(Ledger::Pc);
        assert_eq!(RiskSubject::from_device(&d).kind, DeviceKind::TerminalPc);
    }

    #[test]
    fn a_ledger_is_flagged_as_each_device_alone() {
        use crate::device::{AssetNumber, Device, DeviceKind as Ledger, DeviceStatus};
        let data = data();
        let device = |n: &str, os: &str, patched: Option<NaiveDate>| {
            let mut d = Device::new(AssetNumber::parse(n).expect("asset number"));
            d.kind = Some(Ledger::Pc);
            d.os = os.to_owned();
            d.last_patched_on = patched;
            d
        };
        let mut retired = device("PC-004", "Windows 8.1", None);
        retired.status = DeviceStatus::Retired;
        let mut vpn = device("NW-001", "FortiOS 6.0.4", Some(date(2020, 1, 1)));
        vpn.kind = Some(Ledger::Vpn);
        vpn.maker = "Fortinet".to_owned();
        let ledger = vec![
            device("PC-001", "Windows 8.1", None),
            device("PC-002", "Windows 8.1", None),
            // Same configuration, another patch date: assessed on its own.
            device("PC-003", "Windows 8.1", Some(today())),
            retired,
            vpn,
            device("PC-005", "Windows 8.1", None),
        ];
        let flags = assess_ledger(&ledger, &data, today(), 90);
        assert_eq!(flags.len(), ledger.len());
        for (d, f) in ledger.iter().zip(&flags) {
            let alone = if d.status == DeviceStatus::Retired {
                Vec::new()
            } else {
                assess(&RiskSubject::from_device(d), &data, today(), 90)
            };
            assert_eq!(&f[..], &alone[..], "{}", d.asset_number.as_str());
        }
        assert!(!flags[0].is_empty(), "Windows 8.1 is flagged");
        assert!(flags[3].is_empty(), "a retired device carries no flag");
        assert!(
            codes(&flags[0]).contains(&"stale_patch") && !codes(&flags[2]).contains(&"stale_patch"),
            "the patch date is part of what is compared"
        );
        assert!(
            Arc::ptr_eq(&flags[0], &flags[5]),
            "one configuration is assessed once"
        );
    }
}

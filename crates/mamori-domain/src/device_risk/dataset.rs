//! The rows of the bundled datasets (endoflife.date, CISA KEV, mamori's curated tables), as
//! they come in before [`RiskData::new`] indexes them.

use std::fmt;

use chrono::NaiveDate;
use serde::{Serialize, Serializer};

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

/// Everything [`RiskData::new`](super::RiskData::new) indexes.
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

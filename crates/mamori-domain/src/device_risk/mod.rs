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

mod assess;
mod dataset;
mod flag;
mod identify;
mod index;
mod lifecycle;
mod subject;
#[cfg(test)]
mod tests;
mod upkeep;
mod version;
mod vulnerability;
mod words;

pub use assess::{assess, assess_ledger};
pub use dataset::{
    CycleScheme, Eol, EolProduct, FixedVersionRow, KevEntry, KevPattern, LifecycleRow, MakerAlias,
    NamedScheme, NamedTokens, ProductAlias, RansomwareUse, ReleaseCycle, RiskDataParts, Synonym,
};
pub use flag::{Flag, FlagCode, FlagSeverity};
pub use identify::{Component, ProductMatch, identify};
pub use index::RiskData;
pub use subject::{DeviceKind, RiskSubject, SoftwareRef};
pub use version::Version;

/// Days before the end of support from which `end_of_support_soon` is raised.
pub const END_OF_SUPPORT_SOON_DAYS: i64 = 180;

/// How many CVE ids a message names before it says "and N more".
const CVES_IN_MESSAGE: usize = 5;

/// How many KEV entries the evidence of `known_exploited` details.
const CVES_IN_EVIDENCE: usize = 10;

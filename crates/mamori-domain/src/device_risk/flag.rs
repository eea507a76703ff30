//! What the rules say about a device: a [`Flag`] with its code, severity and advice.

use mamori_locale::Message;
use serde::{Deserialize, Serialize};

crate::wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum FlagSeverity {
        Info,
        Low,
        Medium,
        High,
    }
}

crate::wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum FlagCode {
        /// サポート終了: the release cycle's end of support has passed.
        EndOfSupport,
        /// The end of support is within [`END_OF_SUPPORT_SOON_DAYS`].
        ///
        /// [`END_OF_SUPPORT_SOON_DAYS`]: super::END_OF_SUPPORT_SOON_DAYS
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
    parse(exact) -> Option;
}

/// One thing about a device that needs attention, with what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub code: FlagCode,
    pub severity: FlagSeverity,
    pub message: Message,
    /// Where the verdict comes from: dataset, product, cycle, dates, advisory, URL.
    pub evidence: String,
    /// The CVE ids behind `known_exploited` and `vulnerable_version`.
    pub cves: Vec<String>,
    /// The day support ends, for `end_of_support_soon`: the day the institution is told of
    /// 90 days ahead.
    pub support_ends_on: Option<chrono::NaiveDate>,
}

impl Flag {
    /// A flag that names no CVE.
    pub fn new(
        code: FlagCode,
        severity: FlagSeverity,
        message: Message,
        evidence: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity,
            message,
            evidence: evidence.into(),
            cves: Vec::new(),
            support_ends_on: None,
        }
    }
}

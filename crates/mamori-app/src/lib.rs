//! mamori's use cases: what the pages, the JSON API and the command line share. Each takes
//! the [`App`] (the store and the catalog), the caller's [`Principal`] where it matters,
//! and domain values; it decides who may see or change what, calls the domain's rules and
//! the store, and answers with domain values or an [`Error`]. Nothing here knows HTTP.
//!
//! [`Principal`]: mamori_domain::Principal

pub mod answers;
pub mod assessment;
pub mod calendar;
pub mod continuity;
pub mod coverage;
pub mod demo;
pub mod error;
pub mod error_code;
pub mod evidence;
pub mod fiscal_years;
pub mod follow_up;
pub mod inspection;
pub mod institutions;
pub mod ledger;
pub mod mail;
pub mod mail_delivery;
pub mod notification_settings;
pub mod notifications;
pub mod oversight;
pub mod passwords;
pub mod survey_notices;
pub mod time;
pub mod tokens;
pub mod two_factor;
pub mod users;

use std::sync::{Arc, Mutex};

use mamori_catalog::Catalog;
use mamori_store::Store;

pub use answers::{clear_answer, record_observation, save_answer};
pub use assessment::{
    Assessment, FileExtras, ItemState, add_vendor_verdict, assessment, build_assessment,
    visible_assessment, visible_file,
};
pub use continuity::ContinuityRecords;
pub use error::{Error, Refusal, Result};
pub use error_code::ErrorCode;
pub use fiscal_years::{current_fiscal_year, parse_fiscal_year, version_and_rules};
pub use institutions::{
    administered_institution, check_institution, check_institution_change, record_read,
    visible_institution,
};
pub use time::{instant_in_japan, now_in_japan, today_in_japan};
pub use users::{add_user, check_login, login_taken};

/// What every use case reaches: the store and the catalog. Cheap to clone; holds no
/// per-user state.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    /// Loaded and validated once at start and kept for the life of the process.
    pub catalog: &'static Catalog,
    /// Reads already written to the access log in the current ten-minute bucket, so that a
    /// page read again does not query the log each time. Per process: the database's
    /// unique key keeps several servers from writing one read twice.
    pub access_seen: Arc<Mutex<AccessSeen>>,
    /// The states of institutions without answers, per fiscal year: they follow from the
    /// catalog alone, which does not change while the process runs.
    pub unanswered_states: Arc<Mutex<oversight::UnansweredByYear>>,
    /// The bytes of evidence files each institution may keep.
    pub evidence_quota: i64,
}

impl App {
    pub fn new(store: Store, catalog: &'static Catalog) -> Self {
        store.keep_year_states(oversight::year_rules(catalog));
        Self::without_year_states(store, catalog)
    }

    /// An app whose store keeps no fiscal-year states: the write path as it was before
    /// oversight, which the benchmark measures the kept states against. Its summaries are
    /// wrong as soon as it writes; serving never uses it.
    pub fn without_year_states(store: Store, catalog: &'static Catalog) -> Self {
        Self {
            store,
            catalog,
            access_seen: Arc::default(),
            unanswered_states: Arc::default(),
            evidence_quota: evidence::DEFAULT_QUOTA_BYTES,
        }
    }

    /// The same app with another quota of evidence bytes per institution.
    pub fn with_evidence_quota(mut self, bytes: i64) -> Self {
        self.evidence_quota = bytes;
        self
    }
}

/// The access-log entries this process wrote in the current bucket.
#[derive(Debug, Default)]
pub struct AccessSeen {
    pub bucket: String,
    pub entries: std::collections::HashSet<(i64, i64, String)>,
}

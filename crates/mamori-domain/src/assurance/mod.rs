//! 医療機関におけるサイバーセキュリティ確保事業 (the security-assurance project): the national
//! office funds (1) 外部ネットワークとの接続の安全性の検証・検査 and (2) オフライン・バックアップ体制の整備
//! for hospitals; each prefecture surveys its hospitals, ranks every applicant, and the quota
//! per bed band (支援枠数, 別紙2) is filled from the top of its list (別紙1).
//!
//! - [`program`]: the year's rules — bed bands, quotas, deadlines, excluded institutions.
//! - [`application`]: a hospital's answers to the prefecture's survey.
//! - [`eligibility`]: who may be supported, with reasons and flags for the prefecture.
//! - [`ranking`]: the prefecture's ranking (順位指定) and its checks.
//! - [`selection`]: [`select`] walks the ranking, fills the quota, replaces withdrawals.
//!
//! Sources: 厚生労働省 事務連絡 令和7年2月4日「『医療機関におけるサイバーセキュリティ確保事業』の
//! 実施に係る支援対象病院の選定について（依頼）」 (seed 001) and 鹿児島県 令和6年3月8日
//! 「…対象病院選定に係る調査の実施について」 with the national Q&A (seed 004).

pub mod application;
pub mod eligibility;
pub mod program;
pub mod ranking;
pub mod selection;

pub use application::{
    Application, ApplicationId, Contact, ContactError, ContactInput, EmrAdoption, Participation,
    SurveyAnswers, SystemRenewal,
};
pub use eligibility::{
    Assessor, Eligibility, Flag, FlagCode, Ineligibility, IneligibilityCode, assess,
};
pub use program::{
    BedBand, BedBands, ExcludedInstitution, Program, QuotaProblem, QuotaProblemCode, QuotaRow,
    QuotaTable, parse_prefecture,
};
pub use ranking::{
    FlagDecision, RankEntry, RankReason, RankingError, RankingProblem, RankingProblemCode,
    validate_ranking,
};
pub use selection::{
    ApplicationOutcome, ApplicationStatus, BandSummary, IneligibleEntry, Selection, SelectionError,
    Withdrawal, WithdrawalError, WithdrawalProblemCode, WithdrawnEntry, select, select_national,
};

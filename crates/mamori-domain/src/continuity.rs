//! Backups and the business continuity plan for cyber attacks: the records behind checklist
//! items 3(2) 「インシデント発生時に診療を継続するために必要な情報を検討し、データやシステムの
//! バックアップの実施と復旧手順を確認している。」 and 3(3) 「サイバー攻撃を想定した事業継続計画
//! (BCP)を策定している。」 (令和5年度版: 「…を策定、又は令和6年度中に策定予定である。」).
//!
//! The 令和7年度 manual asks for important files to be kept 「複数の方式で世代管理」 so that
//! malware cannot reach every copy, and names the BCP as one place for the recovery
//! procedure; the safety guideline (第6.0版) draws 「複数世代保存」「追記不能な保存」 for cyber
//! attacks. The warnings below follow these: a restore never tested or not within a year, no
//! offline copy, a single generation, no BCP, no drill within a year.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::field_problem::FieldProblem;
use crate::inspection::Severity;
use crate::vendor::SystemKind;
use crate::{ChecklistItem, ChecklistVersion, FiscalYear, ItemRole, Lang, Message, Requirement};

/// Where a backup copy is kept (保管方法).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupLocation {
    /// オフライン: disconnected from the network (tape, removable disk kept apart).
    Offline,
    /// 遠隔地保管: another building or site.
    Offsite,
    /// クラウド
    Cloud,
    /// 院内 (on-site, on the network: a NAS or backup server).
    Onsite,
}

impl BackupLocation {}

labels!(BackupLocation {
    Offline => "domain-labels-backup-location-offline",
    Offsite => "domain-labels-backup-location-offsite",
    Cloud => "domain-labels-backup-location-cloud",
    Onsite => "domain-labels-backup-location-onsite",
});

/// How often a backup is taken (取得頻度).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupFrequency {
    /// 随時（レプリケーション）
    Continuous,
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Yearly,
    /// 不定期
    Irregular,
}

impl BackupFrequency {}

labels!(BackupFrequency {
    Continuous => "domain-labels-backup-frequency-continuous",
    Daily => "domain-labels-backup-frequency-daily",
    Weekly => "domain-labels-backup-frequency-weekly",
    Monthly => "domain-labels-backup-frequency-monthly",
    Quarterly => "domain-labels-backup-frequency-quarterly",
    Yearly => "domain-labels-backup-frequency-yearly",
    Irregular => "domain-labels-backup-frequency-irregular",
});

/// A restore test (リストア訓練・復旧テスト).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreTest {
    pub on: NaiveDate,
    /// How long the restore took.
    pub duration_minutes: u32,
    pub succeeded: bool,
}

/// One backup: what, how, how often, and the last restore test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRecord {
    /// The systems backed up.
    pub systems: Vec<SystemKind>,
    /// What data, in words (電子カルテDB, 画像データ, システムイメージ …).
    pub data: String,
    pub locations: Vec<BackupLocation>,
    /// 追記不能 (write-once / immutable) media or settings.
    pub write_once: bool,
    /// 世代数: how many past copies are kept.
    pub generations: u16,
    pub encrypted: bool,
    pub frequency: BackupFrequency,
    pub last_restore_test: Option<RestoreTest>,
    pub notes: String,
}

impl BackupRecord {
    pub fn has_offline_copy(&self) -> bool {
        self.locations.contains(&BackupLocation::Offline)
    }

    /// What is backed up: `電子カルテ・PACS（画像データ）`.
    pub fn subject(&self) -> Message {
        let systems = crate::joined(self.systems.iter().map(|s| s.label()), "domain-join-dot");
        let data = self.data.trim();
        match (self.systems.is_empty(), data.is_empty()) {
            (true, true) => Message::new("domain-continuity-backup"),
            (true, false) => crate::bilingual(data, data),
            (false, true) => systems,
            (false, false) => Message::new("domain-continuity-subject")
                .with("systems", systems)
                .with("data", data),
        }
    }

    pub fn subject_ja(&self) -> String {
        self.subject().render(Lang::Ja)
    }

    pub fn subject_en(&self) -> String {
        self.subject().render(Lang::En)
    }

    /// Every problem with the record's fields, paths relative to the record.
    pub fn problems(&self, today: NaiveDate) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        if self.systems.is_empty() && self.data.trim().is_empty() {
            problems.push(FieldProblem::new(
                "systems",
                "required",
                mamori_locale::Message::new("domain-records-field-name-systems-data-backed-2"),
            ));
        }
        if self.locations.is_empty() {
            problems.push(FieldProblem::new(
                "locations",
                "required",
                mamori_locale::Message::new("domain-records-field-choose-least-one-place-2"),
            ));
        }
        if self.generations == 0 {
            problems.push(FieldProblem::new(
                "generations",
                "invalid",
                mamori_locale::Message::new("domain-records-field-generations-least-2"),
            ));
        }
        if let Some(test) = self.last_restore_test {
            if test.on > today {
                problems.push(FieldProblem::new(
                    "last_restore_test.on",
                    "in_future",
                    mamori_locale::Message::new("domain-records-field-restore-test-date-future-2")
                        .with("on", crate::arg(test.on)),
                ));
            }
            // A week: anything longer is a typo (hours entered as minutes × 60 …).
            if test.duration_minutes > 7 * 24 * 60 {
                problems.push(FieldProblem::new(
                    "last_restore_test.duration_minutes",
                    "too_long",
                    mamori_locale::Message::new("domain-records-field-duration-over-week-give-2"),
                ));
            }
        }
        problems
    }
}

/// Where the BCP for cyber attacks stands (サイバー攻撃を想定したBCP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BcpState {
    /// 策定済
    Established { on: NaiveDate },
    /// 策定中
    Drafting { target: NaiveDate },
    /// 未策定
    NotStarted,
}

/// The BCP record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BcpRecord {
    #[serde(flatten)]
    pub state: BcpState,
    /// The last drill (訓練) of the plan.
    pub last_drill: Option<NaiveDate>,
    pub notes: String,
}

crate::wire_enum! {
    /// What a continuity warning is about.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ContinuityWarningCode {
        NoBackup,
        RestoreNeverTested,
        RestoreTestOld,
        RestoreTestFailed,
        NoOfflineCopy,
        SingleGeneration,
        NotEncrypted,
        NoBcp,
        BcpTargetPassed,
        DrillNever,
        DrillOld,
    }
}

/// A warning about backups or the BCP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContinuityWarning {
    pub code: ContinuityWarningCode,
    /// `backups[1]`, `bcp`, or `None` for the whole.
    pub path: Option<String>,
    pub severity: Severity,
    pub message_ja: String,
    pub message_en: String,
}

fn warning(
    code: ContinuityWarningCode,
    path: Option<String>,
    severity: Severity,
    message: Message,
) -> ContinuityWarning {
    let (message_ja, message_en) = crate::both(&message);
    ContinuityWarning {
        code,
        path,
        severity,
        message_ja,
        message_en,
    }
}

/// A year before `today` (29 February steps back to 28 February).
fn a_year_before(today: NaiveDate) -> NaiveDate {
    today
        .checked_sub_months(Months::new(12))
        .unwrap_or(NaiveDate::MIN)
}

/// The first day a backup's last restore test is older than a year (the day the warning
/// below appears, and the institution is told): the earliest over the tested backups.
pub fn restore_test_due(backups: &[BackupRecord]) -> Option<NaiveDate> {
    backups
        .iter()
        .filter_map(|b| b.last_restore_test)
        .filter_map(|t| first_day_older_than_a_year(t.on))
        .min()
}

/// The first day on which `on` is before [`a_year_before`] it (a year and a day or two on,
/// as 29 February falls).
fn first_day_older_than_a_year(on: NaiveDate) -> Option<NaiveDate> {
    let mut day = on.checked_add_months(Months::new(12))?;
    while a_year_before(day) <= on {
        day = day.succ_opt()?;
    }
    Some(day)
}

/// Warnings on the backups, in record order.
pub fn backup_warnings(backups: &[BackupRecord], today: NaiveDate) -> Vec<ContinuityWarning> {
    use ContinuityWarningCode as C;
    let mut out = Vec::new();
    if backups.is_empty() {
        out.push(warning(
            C::NoBackup,
            None,
            Severity::Advice,
            Message::new("domain-continuity-no-backup"),
        ));
        return out;
    }
    let year_ago = a_year_before(today);
    for (i, b) in backups.iter().enumerate() {
        let path = Some(format!("backups[{i}]"));
        let about = |key| Message::new(key).with("subject", b.subject());
        match b.last_restore_test {
            None => out.push(warning(
                C::RestoreNeverTested,
                path.clone(),
                Severity::Advice,
                about("domain-continuity-restore-never-tested"),
            )),
            Some(t) if !t.succeeded => out.push(warning(
                C::RestoreTestFailed,
                path.clone(),
                Severity::Advice,
                about("domain-continuity-restore-test-failed").with("on", crate::arg(t.on)),
            )),
            Some(t) if t.on < year_ago => out.push(warning(
                C::RestoreTestOld,
                path.clone(),
                Severity::Advice,
                about("domain-continuity-restore-test-old").with("on", crate::arg(t.on)),
            )),
            Some(_) => {}
        }
        if !b.has_offline_copy() {
            out.push(warning(
                C::NoOfflineCopy,
                path.clone(),
                Severity::Advice,
                about("domain-continuity-no-offline-copy"),
            ));
        }
        if b.generations <= 1 {
            out.push(warning(
                C::SingleGeneration,
                path.clone(),
                Severity::Advice,
                about("domain-continuity-single-generation"),
            ));
        }
        let leaves_site = b
            .locations
            .iter()
            .any(|l| matches!(l, BackupLocation::Offsite | BackupLocation::Cloud));
        if leaves_site && !b.encrypted {
            out.push(warning(
                C::NotEncrypted,
                path,
                Severity::Info,
                about("domain-continuity-not-encrypted"),
            ));
        }
    }
    out
}

/// Warnings on the BCP.
pub fn bcp_warnings(bcp: Option<&BcpRecord>, today: NaiveDate) -> Vec<ContinuityWarning> {
    use ContinuityWarningCode as C;
    let path = Some("bcp".to_owned());
    let no_bcp = || {
        warning(
            C::NoBcp,
            path.clone(),
            Severity::Advice,
            Message::new("domain-continuity-no-bcp"),
        )
    };
    let Some(bcp) = bcp else {
        return vec![no_bcp()];
    };
    match bcp.state {
        BcpState::NotStarted => vec![no_bcp()],
        BcpState::Drafting { target } if target < today => vec![warning(
            C::BcpTargetPassed,
            path,
            Severity::Advice,
            Message::new("domain-continuity-bcp-target-passed").with("target", crate::arg(target)),
        )],
        BcpState::Drafting { .. } => vec![],
        BcpState::Established { .. } => match bcp.last_drill {
            None => vec![warning(
                C::DrillNever,
                path,
                Severity::Advice,
                Message::new("domain-continuity-drill-never"),
            )],
            Some(d) if d < a_year_before(today) => vec![warning(
                C::DrillOld,
                path,
                Severity::Advice,
                Message::new("domain-continuity-drill-old").with("on", crate::arg(d)),
            )],
            Some(_) => vec![],
        },
    }
}

/// All warnings: backups, then the BCP.
pub fn continuity_warnings(
    backups: &[BackupRecord],
    bcp: Option<&BcpRecord>,
    today: NaiveDate,
) -> Vec<ContinuityWarning> {
    let mut out = backup_warnings(backups, today);
    out.extend(bcp_warnings(bcp, today));
    out
}

/// Which checklist item a summary is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceTopic {
    /// 3(2) バックアップと復旧手順
    Backup,
    /// 3(3) BCP
    Bcp,
}

impl EvidenceTopic {
    /// The role of the item the topic speaks about.
    pub fn role(self) -> ItemRole {
        match self {
            Self::Backup => ItemRole::Backup,
            Self::Bcp => ItemRole::Bcp,
        }
    }
}

/// What the records say for one checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemEvidence {
    pub topic: EvidenceTopic,
    pub item_key: String,
    pub number: String,
    pub text_ja: String,
    pub text_en: String,
    /// Whether the records support answering はい.
    pub supports_yes: bool,
    pub facts_ja: Vec<String>,
    pub facts_en: Vec<String>,
    pub warnings: Vec<ContinuityWarning>,
}

/// Evidence summaries for the backup and BCP items of `version` (3(2) and 3(3) so far), for
/// the fiscal year: what the backup and BCP records show, whether they support はい, and the
/// warnings. Items the version does not have (the 事業者確認用 has no section 3) are left out.
pub fn evidence(
    version: &ChecklistVersion,
    fiscal_year: FiscalYear,
    backups: &[BackupRecord],
    bcp: Option<&BcpRecord>,
    today: NaiveDate,
) -> Vec<ItemEvidence> {
    let mut out = Vec::new();
    if let Some(item) = version.item_with_role(EvidenceTopic::Backup.role()) {
        out.push(backup_evidence(item, backups, today));
    }
    if let Some(item) = version.item_with_role(EvidenceTopic::Bcp.role()) {
        out.push(bcp_evidence(item, fiscal_year, bcp, today));
    }
    out
}

/// A yes/no fact for a message that says it or not (`{ $encrypted -> [yes] …}`).
fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

impl ItemEvidence {
    fn new(
        topic: EvidenceTopic,
        item: &ChecklistItem,
        supports_yes: bool,
        facts: &[Message],
        warnings: Vec<ContinuityWarning>,
    ) -> Self {
        let (facts_ja, facts_en) = facts.iter().map(crate::both).unzip();
        Self {
            topic,
            item_key: item.key.clone(),
            number: item.number.clone(),
            text_ja: item.text_ja.clone(),
            text_en: item.text_en.clone(),
            supports_yes,
            facts_ja,
            facts_en,
            warnings,
        }
    }
}

fn backup_evidence(
    item: &ChecklistItem,
    backups: &[BackupRecord],
    today: NaiveDate,
) -> ItemEvidence {
    let facts: Vec<Message> = backups
        .iter()
        .map(|b| {
            let test = b.last_restore_test.map_or_else(
                || Message::new("domain-continuity-no-restore-test"),
                |t| {
                    Message::new("domain-continuity-restore-test")
                        .with("on", crate::arg(t.on))
                        .with("minutes", crate::arg(t.duration_minutes))
                        .with("succeeded", yes_no(t.succeeded))
                },
            );
            Message::new("domain-continuity-backup-fact")
                .with("subject", b.subject())
                .with("frequency", b.frequency.label())
                .with(
                    "places",
                    crate::joined(b.locations.iter().map(|l| l.label()), "domain-join-plus"),
                )
                .with("generations", crate::arg(b.generations))
                .with("encrypted", yes_no(b.encrypted))
                .with("write-once", yes_no(b.write_once))
                .with("test", test)
        })
        .collect();
    // 「バックアップの実施と復旧手順を確認している」: backups exist and a restore has worked.
    let supports_yes = !backups.is_empty()
        && backups
            .iter()
            .any(|b| b.last_restore_test.is_some_and(|t| t.succeeded));
    ItemEvidence::new(
        EvidenceTopic::Backup,
        item,
        supports_yes,
        &facts,
        backup_warnings(backups, today),
    )
}

fn bcp_evidence(
    item: &ChecklistItem,
    fiscal_year: FiscalYear,
    bcp: Option<&BcpRecord>,
    today: NaiveDate,
) -> ItemEvidence {
    // 令和5年度版 accepts a plan 「策定予定」 within the year the item becomes required
    // (「令和6年度中に策定予定」, required_from 2024); later versions ask for 「策定している」.
    let planned_counts = item.text_ja.contains("策定予定");
    let planned_by = match item.requirement {
        Requirement::RequiredFrom(from) => from.max(fiscal_year).last_day(),
        Requirement::ReferenceOnly => fiscal_year.last_day(),
    };
    let state = bcp.map_or(BcpState::NotStarted, |b| b.state);
    let supports_yes = match state {
        BcpState::Established { on } => on <= today,
        BcpState::Drafting { target } => planned_counts && target <= planned_by,
        BcpState::NotStarted => false,
    };
    let mut facts = vec![match state {
        BcpState::Established { on } => {
            Message::new("domain-continuity-bcp-established").with("on", crate::arg(on))
        }
        BcpState::Drafting { target } => {
            Message::new("domain-continuity-bcp-drafting").with("target", crate::arg(target))
        }
        BcpState::NotStarted => Message::new("domain-continuity-bcp-not-started"),
    }];
    if let Some(b) = bcp
        && matches!(b.state, BcpState::Established { .. })
    {
        let date: mamori_locale::Arg = b
            .last_drill
            .map_or_else(|| Message::new("domain-continuity-none").into(), crate::arg);
        facts.push(Message::new("domain-continuity-last-drill").with("date", date));
    }
    ItemEvidence::new(
        EvidenceTopic::Bcp,
        item,
        supports_yes,
        &facts,
        bcp_warnings(bcp, today),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::tests::{fy, item_as, required};
    use crate::testing::date as d;
    use crate::{FormKind, Scope};

    const TODAY: (i32, u32, u32) = (2025, 9, 1);

    fn today() -> NaiveDate {
        d(TODAY.0, TODAY.1, TODAY.2)
    }

    fn emr_backup() -> BackupRecord {
        BackupRecord {
            systems: vec![SystemKind::Emr],
            data: "データベース".into(),
            locations: vec![BackupLocation::Onsite, BackupLocation::Offline],
            write_once: true,
            generations: 7,
            encrypted: true,
            frequency: BackupFrequency::Daily,
            last_restore_test: Some(RestoreTest {
                on: d(2025, 3, 10),
                duration_minutes: 95,
                succeeded: true,
            }),
            notes: String::new(),
        }
    }

    fn codes(w: &[ContinuityWarning]) -> Vec<(Option<&str>, ContinuityWarningCode)> {
        w.iter().map(|w| (w.path.as_deref(), w.code)).collect()
    }

    #[test]
    fn a_good_backup_and_a_drilled_bcp_raise_nothing() {
        let bcp = BcpRecord {
            state: BcpState::Established { on: d(2024, 10, 1) },
            last_drill: Some(d(2025, 2, 1)),
            notes: String::new(),
        };
        assert!(continuity_warnings(&[emr_backup()], Some(&bcp), today()).is_empty());
        assert!(emr_backup().problems(today()).is_empty());
    }

    #[test]
    fn restore_tests_must_be_recent_and_successful() {
        use ContinuityWarningCode as C;
        let mut never = emr_backup();
        never.last_restore_test = None;
        let mut old = emr_backup();
        old.last_restore_test = Some(RestoreTest {
            on: d(2024, 8, 31),
            duration_minutes: 60,
            succeeded: true,
        });
        let mut exactly_a_year = emr_backup();
        exactly_a_year.last_restore_test = Some(RestoreTest {
            on: d(2024, 9, 1),
            duration_minutes: 60,
            succeeded: true,
        });
        let mut failed = emr_backup();
        failed.last_restore_test = Some(RestoreTest {
            on: d(2025, 8, 1),
            duration_minutes: 60,
            succeeded: false,
        });
        let w = backup_warnings(&[never, old, exactly_a_year, failed], today());
        assert_eq!(
            codes(&w),
            vec![
                (Some("backups[0]"), C::RestoreNeverTested),
                (Some("backups[1]"), C::RestoreTestOld),
                (Some("backups[3]"), C::RestoreTestFailed),
            ]
        );
        assert!(w[0].message_ja.starts_with("電子カルテ（データベース）"));
        assert!(w[1].message_en.contains("more than a year"));
    }

    #[test]
    fn offline_copies_generations_and_encryption_are_checked() {
        use ContinuityWarningCode as C;
        let mut nas_only = emr_backup();
        nas_only.locations = vec![BackupLocation::Onsite];
        nas_only.generations = 1;
        let mut cloud = emr_backup();
        cloud.systems = vec![SystemKind::Pacs];
        cloud.locations = vec![BackupLocation::Cloud, BackupLocation::Offline];
        cloud.encrypted = false;
        let w = backup_warnings(&[nas_only, cloud], today());
        assert_eq!(
            codes(&w),
            vec![
                (Some("backups[0]"), C::NoOfflineCopy),
                (Some("backups[0]"), C::SingleGeneration),
                (Some("backups[1]"), C::NotEncrypted),
            ]
        );
        assert_eq!(w[2].severity, Severity::Info);
        assert_eq!(
            codes(&backup_warnings(&[], today())),
            vec![(None, C::NoBackup)]
        );
    }

    #[test]
    fn bcp_states_and_drills_are_checked() {
        use ContinuityWarningCode as C;
        let rec = |state, drill| BcpRecord {
            state,
            last_drill: drill,
            notes: String::new(),
        };
        assert_eq!(
            codes(&bcp_warnings(None, today())),
            vec![(Some("bcp"), C::NoBcp)]
        );
        assert_eq!(
            codes(&bcp_warnings(
                Some(&rec(BcpState::NotStarted, None)),
                today()
            )),
            vec![(Some("bcp"), C::NoBcp)]
        );
        assert_eq!(
            codes(&bcp_warnings(
                Some(&rec(
                    BcpState::Drafting {
                        target: d(2025, 8, 31)
                    },
                    None
                )),
                today()
            )),
            vec![(Some("bcp"), C::BcpTargetPassed)]
        );
        assert!(
            bcp_warnings(
                Some(&rec(
                    BcpState::Drafting {
                        target: d(2026, 3, 31)
                    },
                    None
                )),
                today()
            )
            .is_empty()
        );
        let est = BcpState::Established { on: d(2024, 4, 1) };
        assert_eq!(
            codes(&bcp_warnings(Some(&rec(est, None)), today())),
            vec![(Some("bcp"), C::DrillNever)]
        );
        assert_eq!(
            codes(&bcp_warnings(Some(&rec(est, Some(d(2024, 6, 1)))), today())),
            vec![(Some("bcp"), C::DrillOld)]
        );
    }

    #[test]
    fn a_restore_test_is_due_on_the_first_day_it_is_warned_old() {
        let tested = |on: NaiveDate| BackupRecord {
            last_restore_test: Some(RestoreTest {
                on,
                duration_minutes: 30,
                succeeded: true,
            }),
            ..emr_backup()
        };
        for on in [
            d(2024, 2, 29),
            d(2024, 2, 28),
            d(2023, 2, 28),
            d(2024, 1, 31),
            d(2025, 12, 31),
        ] {
            let due = restore_test_due(&[tested(on)]).expect("a due day");
            let old = |today: NaiveDate| {
                backup_warnings(&[tested(on)], today)
                    .iter()
                    .any(|w| w.code == ContinuityWarningCode::RestoreTestOld)
            };
            assert!(old(due), "{on}: {due}");
            assert!(!old(due.pred_opt().expect("a day")), "{on}: {due}");
        }
        let untested = BackupRecord {
            last_restore_test: None,
            ..emr_backup()
        };
        assert_eq!(restore_test_due(std::slice::from_ref(&untested)), None);
        assert_eq!(
            restore_test_due(&[untested, tested(d(2025, 6, 1)), tested(d(2025, 3, 1))]),
            Some(d(2026, 3, 2))
        );
    }

    fn version(id: &str, items: Vec<ChecklistItem>) -> ChecklistVersion {
        ChecklistVersion {
            id: id.into(),
            version: id.split('-').next().unwrap_or("r7").into(),
            version_label_ja: String::new(),
            version_label_en: String::new(),
            form: FormKind::Institution,
            title_ja: String::new(),
            title_en: String::new(),
            fiscal_years: vec![],
            published_on: d(2023, 6, 1),
            sources: vec![],
            notes: String::new(),
            gate: None,
            sections: vec![],
            items,
        }
    }

    fn section3(required_from: i32, bcp_text: &str) -> ChecklistVersion {
        let mut backup = item_as(
            ItemRole::Backup,
            "3-2",
            "3(2)",
            Scope::None,
            Requirement::RequiredFrom(fy(required_from)),
        );
        backup.text_ja = "インシデント発生時に診療を継続するために必要な情報を検討し、データやシステムのバックアップの実施と復旧手順を確認している。".into();
        let mut plan = item_as(
            ItemRole::Bcp,
            "3-3",
            "3(3)",
            Scope::None,
            Requirement::RequiredFrom(fy(required_from)),
        );
        plan.text_ja = bcp_text.into();
        version(
            &format!("r{}-institution", required_from - 2018),
            vec![backup, plan],
        )
    }

    #[test]
    fn evidence_for_3_2_and_3_3_in_each_version() {
        let r6 = section3(
            2024,
            "サイバー攻撃を想定した事業継続計画(BCP)を策定している。",
        );
        let drafting = BcpRecord {
            state: BcpState::Drafting {
                target: d(2025, 3, 1),
            },
            last_drill: None,
            notes: String::new(),
        };
        let ev = evidence(
            &r6,
            fy(2024),
            &[emr_backup()],
            Some(&drafting),
            d(2024, 12, 1),
        );
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].topic, EvidenceTopic::Backup);
        assert_eq!(ev[0].item_key, "3-2");
        assert!(ev[0].supports_yes);
        assert!(
            ev[0].facts_ja[0].contains("オフライン"),
            "{:?}",
            ev[0].facts_ja
        );
        assert!(ev[0].facts_ja[0].contains("95分"));
        assert_eq!(ev[1].topic, EvidenceTopic::Bcp);
        // 令和6年度版 asks for a plan in place: drafting does not support はい.
        assert!(!ev[1].supports_yes);
        // 令和5年度版 accepts 「令和6年度中に策定予定」 (required from 2024).
        let mut r5 = section3(
            2024,
            "サイバー攻撃を想定した事業継続計画(BCP)を策定、又は令和6年度中に策定予定である。",
        );
        r5.id = "r5-institution".into();
        let ev = evidence(&r5, fy(2023), &[], Some(&drafting), d(2023, 12, 1));
        assert!(!ev[0].supports_yes, "no backup recorded");
        assert!(ev[1].supports_yes);
        let late = BcpRecord {
            state: BcpState::Drafting {
                target: d(2025, 6, 1),
            },
            ..drafting.clone()
        };
        assert!(!evidence(&r5, fy(2023), &[], Some(&late), d(2023, 12, 1))[1].supports_yes);
        let done = BcpRecord {
            state: BcpState::Established { on: d(2024, 5, 1) },
            last_drill: Some(d(2024, 11, 1)),
            notes: String::new(),
        };
        let ev = evidence(&r6, fy(2024), &[], Some(&done), d(2024, 12, 1));
        assert!(ev[1].supports_yes);
        assert_eq!(
            ev[1].facts_ja,
            vec!["BCP策定済（2024-05-01）", "最終訓練: 2024-11-01"]
        );
    }

    #[test]
    fn a_renumbered_item_is_found_by_its_role_and_vendor_forms_have_none() {
        let mut moved = section3(
            2027,
            "サイバー攻撃を想定した事業継続計画(BCP)を策定している。",
        );
        moved.items[1].number = "3(5)".into();
        moved.items[1].key = "3-5".into();
        let ev = evidence(&moved, fy(2027), &[], None, d(2027, 6, 1));
        assert_eq!(ev[1].item_key, "3-5");
        let vendor = version(
            "r7-vendor",
            vec![required("2-2-all", "2(2)", Scope::All, 2025)],
        );
        assert!(evidence(&vendor, fy(2025), &[], None, d(2025, 6, 1)).is_empty());
    }

    #[test]
    fn bad_backup_fields_are_reported() {
        let mut b = emr_backup();
        b.systems.clear();
        b.data = " ".into();
        b.locations.clear();
        b.generations = 0;
        b.last_restore_test = Some(RestoreTest {
            on: d(2026, 1, 1),
            duration_minutes: 100_000,
            succeeded: true,
        });
        let paths: Vec<_> = b.problems(today()).into_iter().map(|p| p.path).collect();
        assert_eq!(
            paths,
            vec![
                "systems",
                "locations",
                "generations",
                "last_restore_test.on",
                "last_restore_test.duration_minutes"
            ]
        );
    }
}

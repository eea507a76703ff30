//! Who may be supported (支援対象の医療機関), explained: every reason of ineligibility with a
//! code and a ja/en message, and flags for matters the seeds leave to the prefecture.
//!
//! Seed 001, 1 支援対象の医療機関:
//! 「電子カルテシステムを導入している病床数 20 床以上の病院」
//! 「※令和 7 年度中にシステム更改を予定している場合、令和 8 年 1 月までに現地調査を完了できる
//!   見込みがある病院を選定してください。」 → a flag: the prefecture selects, it is not a rule
//!   about who may apply.
//! 「※令和 6 年度に実施された…において調査が完了した施設は対象外とします。」
//! 「※オフライン・バックアップ支援のみの参加希望は認めません。」

use std::collections::HashMap;

use mamori_locale::Message;
use serde::{Deserialize, Serialize};

use super::{Application, EmrAdoption, Participation, Program, SystemRenewal};
use crate::inspection::year_label;
use crate::{FiscalYear, InstitutionKind};

crate::wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum IneligibilityCode {
        /// Not a 病院 (clinics, pharmacies).
        NotHospital,
        /// No electronic medical record system (電子カルテシステム未導入).
        NoEmr,
        /// EMR only planned, and the program does not accept that.
        EmrNotYetAdopted,
        /// Fewer beds than the smallest band (20 in seed 001).
        BelowMinimumBeds,
        /// More beds than a bounded last band takes.
        NoBedBand,
        /// Its survey was completed in an earlier year's project.
        CompletedEarlier,
        /// Only the offline backup was wished, which the program does not allow.
        BackupOnlyNotAllowed,
        /// It does not wish to take part (活用意向なし).
        NoParticipation,
        /// The prefecture decided against it on a flag (e.g. the renewal timing).
        DeclinedByPrefecture,
    }
}

/// One reason an application cannot be supported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ineligibility {
    pub code: IneligibilityCode,
    pub message: Message,
}

crate::wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum FlagCode {
        /// A renewal is planned and the on-site survey cannot be completed by the deadline.
        RenewalSurveyAfterDeadline,
        /// A renewal is planned and the hospital does not know whether the survey can be completed.
        RenewalSurveyTimingUnknown,
        /// The EMR is only planned: it must be in place before the support (seed 004 Q&A ②).
        EmrPlanned,
        /// Only (1) is wished. Allowed, but seed 004 Q&A ④: 「可能な限り両方実施していただくのが
        /// よいと考えております。」
        NetworkOnly,
        /// Answered after the prefecture's survey deadline. Seed 001 asks for every wishing
        /// hospital (「希望する全ての病院に対して…記載をして下さい」) and there is no second round
        /// (「二次選定などの追加募集を行う予定はございません」), so a late answer is the prefecture's
        /// call, not a reason to drop it.
        AnsweredAfterSurveyDeadline,
    }
}

impl FlagCode {
    /// Whether the prefecture must decide to put the hospital forward or not
    /// ([`FlagDecision`](super::FlagDecision)); the others are advice.
    pub fn needs_decision(self) -> bool {
        !matches!(self, Self::NetworkOnly)
    }
}

/// Something the prefecture should look at; not a reason of ineligibility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub code: FlagCode,
    pub needs_decision: bool,
    pub message: Message,
}

/// The result of the rules for one application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligibility {
    /// The index of the bed band its beds fall in, whether eligible or not.
    pub band: Option<usize>,
    /// Empty when eligible; in a fixed order (kind, EMR, beds, exclusion, participation).
    pub reasons: Vec<Ineligibility>,
    pub flags: Vec<Flag>,
}

impl Eligibility {
    pub fn is_eligible(&self) -> bool {
        self.reasons.is_empty()
    }

    /// Whether some flag awaits the prefecture's decision.
    pub fn needs_decision(&self) -> bool {
        self.flags.iter().any(|f| f.needs_decision)
    }

    pub fn has_reason(&self, code: IneligibilityCode) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }

    pub fn has_flag(&self, code: FlagCode) -> bool {
        self.flags.iter().any(|f| f.code == code)
    }
}

/// The program with its exclusions indexed, to assess many applications in O(1) each.
pub struct Assessor<'a> {
    program: &'a Program,
    excluded: HashMap<&'a str, FiscalYear>,
}

impl<'a> Assessor<'a> {
    pub fn new(program: &'a Program) -> Self {
        let excluded = program
            .excluded
            .iter()
            .map(|e| (e.medical_institution_code.as_str(), e.completed_in))
            .collect();
        Self { program, excluded }
    }

    pub fn assess(&self, app: &Application) -> Eligibility {
        let program = self.program;
        let mut reasons = Vec::new();
        let mut flags = Vec::new();
        let mut reason = |code, message: Message| reasons.push(Ineligibility { code, message });

        if app.kind != InstitutionKind::Hospital {
            reason(
                IneligibilityCode::NotHospital,
                Message::new("domain-assurance-not-hospital").with(
                    "kind",
                    crate::bilingual(app.kind.label_ja(), app.kind.label_en().to_lowercase()),
                ),
            );
        }

        match app.emr {
            EmrAdoption::Full | EmrAdoption::Partial => {}
            EmrAdoption::Planned if program.accept_planned_emr => {}
            EmrAdoption::Planned => reason(
                IneligibilityCode::EmrNotYetAdopted,
                Message::new("domain-assurance-emr-not-yet"),
            ),
            EmrAdoption::None => reason(
                IneligibilityCode::NoEmr,
                Message::new("domain-assurance-no-emr"),
            ),
        }

        let band = program.bands.band_of(app.beds);
        let min = program.bands.min_beds();
        if app.beds < min {
            reason(
                IneligibilityCode::BelowMinimumBeds,
                Message::new("domain-assurance-below-minimum-beds")
                    .with("min", min)
                    .with("beds", app.beds),
            );
        } else if band.is_none() {
            // Only reachable with a bounded last band: contiguity is checked by BedBands.
            let last = program.bands.as_slice().last();
            reason(
                IneligibilityCode::NoBedBand,
                Message::new("domain-assurance-no-bed-band")
                    .with("beds", app.beds)
                    .with(
                        "largest",
                        last.map_or_else(|| Message::new("domain-empty"), |b| b.label()),
                    ),
            );
        }

        if let Some(year) = self.excluded.get(app.medical_institution_code.as_str()) {
            reason(
                IneligibilityCode::CompletedEarlier,
                Message::new("domain-assurance-completed-earlier").with("year", year_label(*year)),
            );
        }

        match app.participation {
            Participation::None => reason(
                IneligibilityCode::NoParticipation,
                Message::new("domain-assurance-no-participation"),
            ),
            Participation::BackupOnly if !program.allow_backup_only => reason(
                IneligibilityCode::BackupOnlyNotAllowed,
                Message::new("domain-assurance-backup-only"),
            ),
            Participation::NetworkOnly => flags.push(Flag {
                code: FlagCode::NetworkOnly,
                needs_decision: FlagCode::NetworkOnly.needs_decision(),
                message: Message::new("domain-assurance-network-only"),
            }),
            Participation::Both | Participation::BackupOnly => {}
        }

        let deadline = program.onsite_survey_deadline;
        let year = year_label(program.fiscal_year);
        let month = month_label_ja(deadline);
        let renewal = |code, key| {
            flag(
                code,
                Message::new(key)
                    .with("year", year.clone())
                    .with("month", &month)
                    .with("deadline", deadline.to_string()),
            )
        };
        match app.renewal {
            SystemRenewal::NotPlanned
            | SystemRenewal::Planned {
                onsite_survey_by_deadline: Some(true),
            } => {}
            SystemRenewal::Planned {
                onsite_survey_by_deadline: Some(false),
            } => flags.push(renewal(
                FlagCode::RenewalSurveyAfterDeadline,
                "domain-assurance-renewal-after-deadline",
            )),
            SystemRenewal::Planned {
                onsite_survey_by_deadline: None,
            } => flags.push(renewal(
                FlagCode::RenewalSurveyTimingUnknown,
                "domain-assurance-renewal-timing-unknown",
            )),
        }

        if app.emr == EmrAdoption::Planned && program.accept_planned_emr {
            flags.push(flag(
                FlagCode::EmrPlanned,
                Message::new("domain-assurance-emr-planned"),
            ));
        }

        if let (Some(limit), Some(answered)) = (program.survey_deadline, app.answered_on)
            && answered > limit
        {
            flags.push(flag(
                FlagCode::AnsweredAfterSurveyDeadline,
                Message::new("domain-assurance-answered-late")
                    .with("limit", limit.to_string())
                    .with("answered", answered.to_string()),
            ));
        }

        Eligibility {
            band,
            reasons,
            flags,
        }
    }
}

fn flag(code: FlagCode, message: Message) -> Flag {
    Flag {
        code,
        needs_decision: code.needs_decision(),
        message,
    }
}

/// A month as the programme's documents write it: 令和8年1月 (January 2026 in English).
pub fn month_label(date: chrono::NaiveDate) -> Message {
    use chrono::Datelike;
    let (era_ja, era_en, n) = FiscalYear::new(date.year())
        .map(FiscalYear::era)
        .unwrap_or(("", "", date.year()));
    Message::new("domain-labels-month")
        .with("era", crate::bilingual(era_ja, era_en))
        .with("n", n)
        .with("year", crate::arg(date.year()))
        .with("month", date.month())
}

pub fn month_label_ja(date: chrono::NaiveDate) -> String {
    month_label(date).render(crate::Lang::Ja)
}

/// Assesses one application. For many, build one [`Assessor`] and reuse it.
pub fn assess(program: &Program, app: &Application) -> Eligibility {
    Assessor::new(program).assess(app)
}

#[cfg(test)]
pub(crate) mod tests {
    use mamori_locale::Lang;

    use super::super::application::tests::application;
    use super::super::{BedBand, BedBands, ExcludedInstitution, QuotaTable};
    use super::*;
    use crate::MedicalInstitutionCode;
    use crate::testing::date;

    pub(crate) fn program() -> Program {
        Program {
            id: "r7".into(),
            title_ja: "医療機関におけるサイバーセキュリティ確保事業（令和6年度補正予算）".into(),
            title_en: "Cybersecurity assurance project for medical institutions (FY2024 supplementary budget)".into(),
            fiscal_year: FiscalYear::new(2025).expect("valid"),
            bands: BedBands::standard(),
            quotas: QuotaTable::new(),
            submission_deadline: date(2025, 3, 14),
            survey_deadline: Some(date(2025, 3, 1)),
            onsite_survey_deadline: date(2026, 1, 31),
            excluded: vec![],
            allow_backup_only: false,
            accept_planned_emr: true,
            sources: vec![],
            notes: String::new(),
        }
    }

    fn codes(e: &Eligibility) -> Vec<IneligibilityCode> {
        e.reasons.iter().map(|r| r.code).collect()
    }

    #[test]
    fn a_plain_hospital_is_eligible() {
        let e = assess(&program(), &application(1, "13", 150));
        assert!(e.is_eligible());
        assert_eq!(e.band, Some(0));
        assert!(e.flags.is_empty());
        assert!(!e.needs_decision());
    }

    #[test]
    fn only_hospitals() {
        let mut app = application(1, "13", 19);
        app.kind = InstitutionKind::ClinicWithBeds;
        let e = assess(&program(), &app);
        assert_eq!(
            codes(&e),
            vec![
                IneligibilityCode::NotHospital,
                IneligibilityCode::BelowMinimumBeds
            ]
        );
        assert!(e.reasons[0].message.render(Lang::Ja).contains("有床診療所"));
        assert!(e.reasons[1].message.render(Lang::Ja).contains("20床未満"));
        app.kind = InstitutionKind::Pharmacy;
        app.beds = 0;
        assert!(assess(&program(), &app).has_reason(IneligibilityCode::NotHospital));
    }

    #[test]
    fn emr_rules() {
        let mut app = application(1, "13", 300);
        app.emr = EmrAdoption::Partial;
        assert!(
            assess(&program(), &app).is_eligible(),
            "partial counts (Q&A ①)"
        );

        app.emr = EmrAdoption::None;
        let e = assess(&program(), &app);
        assert_eq!(codes(&e), vec![IneligibilityCode::NoEmr]);
        assert_eq!(e.band, Some(1), "the band is known even when ineligible");

        app.emr = EmrAdoption::Planned;
        let e = assess(&program(), &app);
        assert!(e.is_eligible());
        assert!(e.has_flag(FlagCode::EmrPlanned) && e.needs_decision());

        let mut strict = program();
        strict.accept_planned_emr = false;
        let e = assess(&strict, &app);
        assert_eq!(codes(&e), vec![IneligibilityCode::EmrNotYetAdopted]);
        assert!(!e.has_flag(FlagCode::EmrPlanned));
    }

    #[test]
    fn beds_and_bands() {
        let p = program();
        assert!(assess(&p, &application(1, "13", 20)).is_eligible());
        let e = assess(&p, &application(1, "13", 19));
        assert_eq!(codes(&e), vec![IneligibilityCode::BelowMinimumBeds]);
        assert_eq!(e.band, None);

        let mut bounded = program();
        bounded.bands = BedBands::new(vec![BedBand {
            min_beds: 20,
            max_beds: Some(499),
        }])
        .expect("valid");
        let e = assess(&bounded, &application(1, "13", 500));
        assert_eq!(codes(&e), vec![IneligibilityCode::NoBedBand]);
        assert!(e.reasons[0].message.render(Lang::Ja).contains("20〜499床"));
    }

    #[test]
    fn completed_earlier_is_excluded() {
        let app = application(7, "13", 250);
        let mut p = program();
        p.excluded = vec![ExcludedInstitution {
            medical_institution_code: app.medical_institution_code.clone(),
            completed_in: FiscalYear::new(2024).expect("valid"),
        }];
        let e = assess(&p, &app);
        assert_eq!(codes(&e), vec![IneligibilityCode::CompletedEarlier]);
        assert!(e.reasons[0].message.render(Lang::Ja).contains("令和6年度"));
        let other = application(8, "13", 250);
        assert!(assess(&p, &other).is_eligible());
        assert_ne!(
            other.medical_institution_code,
            MedicalInstitutionCode::parse("1310000007").expect("valid")
        );
    }

    #[test]
    fn participation_rules() {
        let mut app = application(1, "13", 250);
        app.participation = Participation::BackupOnly;
        let e = assess(&program(), &app);
        assert_eq!(codes(&e), vec![IneligibilityCode::BackupOnlyNotAllowed]);
        let mut lenient = program();
        lenient.allow_backup_only = true;
        assert!(assess(&lenient, &app).is_eligible());

        app.participation = Participation::None;
        assert_eq!(
            codes(&assess(&program(), &app)),
            vec![IneligibilityCode::NoParticipation]
        );

        app.participation = Participation::NetworkOnly;
        let e = assess(&program(), &app);
        assert!(e.is_eligible());
        assert!(e.has_flag(FlagCode::NetworkOnly));
        assert!(!e.needs_decision(), "advice only");
    }

    #[test]
    fn renewal_is_a_flag_not_a_reason() {
        let mut app = application(1, "13", 250);
        app.renewal = SystemRenewal::Planned {
            onsite_survey_by_deadline: Some(true),
        };
        let e = assess(&program(), &app);
        assert!(e.is_eligible() && e.flags.is_empty());

        app.renewal = SystemRenewal::Planned {
            onsite_survey_by_deadline: Some(false),
        };
        let e = assess(&program(), &app);
        assert!(e.is_eligible());
        assert!(e.has_flag(FlagCode::RenewalSurveyAfterDeadline));
        assert!(e.flags[0].message.render(Lang::Ja).contains("令和7年度中"));
        assert!(e.flags[0].message.render(Lang::Ja).contains("令和8年1月"));
        assert!(e.needs_decision());

        app.renewal = SystemRenewal::Planned {
            onsite_survey_by_deadline: None,
        };
        let e = assess(&program(), &app);
        assert!(e.is_eligible() && e.has_flag(FlagCode::RenewalSurveyTimingUnknown));
    }

    #[test]
    fn late_answer_is_flagged() {
        let mut app = application(1, "13", 250);
        app.answered_on = Some(date(2025, 3, 1));
        assert!(
            assess(&program(), &app).flags.is_empty(),
            "on the day is in time"
        );
        app.answered_on = Some(date(2025, 3, 2));
        let e = assess(&program(), &app);
        assert!(e.is_eligible() && e.has_flag(FlagCode::AnsweredAfterSurveyDeadline));
    }

    #[test]
    fn every_reason_at_once_in_a_fixed_order() {
        let mut app = application(1, "13", 5);
        app.kind = InstitutionKind::ClinicWithBeds;
        app.emr = EmrAdoption::None;
        app.participation = Participation::None;
        let mut p = program();
        p.excluded = vec![ExcludedInstitution {
            medical_institution_code: app.medical_institution_code.clone(),
            completed_in: FiscalYear::new(2024).expect("valid"),
        }];
        let e = assess(&p, &app);
        assert_eq!(
            codes(&e),
            vec![
                IneligibilityCode::NotHospital,
                IneligibilityCode::NoEmr,
                IneligibilityCode::BelowMinimumBeds,
                IneligibilityCode::CompletedEarlier,
                IneligibilityCode::NoParticipation,
            ]
        );
        for r in &e.reasons {
            assert!(
                !r.message.render(Lang::Ja).is_empty() && !r.message.render(Lang::En).is_empty()
            );
        }
    }
}

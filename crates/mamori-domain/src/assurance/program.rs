//! The rules of one year's 確保事業: bed bands (病床規模区分), quotas per prefecture and band
//! (支援枠数, 別紙2「各都道府県対象数」), deadlines and the institutions already done.
//!
//! A [`Program`] is plain data (loaded from `catalog/assurance/<id>.toml` plus the imported
//! 別紙2); [`Program::validate`] says everything that is wrong with it at once.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use mamori_locale::Message;
use serde::{Deserialize, Serialize};

use crate::text::fold::fold;
use crate::{FiscalYear, MedicalInstitutionCode, ParseError, Prefecture};

/// One bed band (病床規模区分): `min_beds..=max_beds` beds, open-ended when `max_beds` is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BedBand {
    pub min_beds: u32,
    #[serde(default)]
    pub max_beds: Option<u32>,
}

impl BedBand {
    pub fn contains(self, beds: u32) -> bool {
        beds >= self.min_beds && self.max_beds.is_none_or(|max| beds <= max)
    }

    /// 20〜199床, 400床以上; 20–199 beds, 400+ beds.
    pub fn label(self) -> Message {
        let label = match self.max_beds {
            Some(max) => Message::new("domain-labels-bed-band").with("max", crate::arg(max)),
            None => Message::new("domain-labels-bed-band-open"),
        };
        label.with("min", crate::arg(self.min_beds))
    }

    pub fn label_ja(self) -> String {
        self.label().render(crate::Lang::Ja)
    }

    pub fn label_en(self) -> String {
        self.label().render(crate::Lang::En)
    }
}

/// The bed bands of a program, ascending and contiguous: no overlap (a hospital would count
/// against two quotas) and no gap (seed 001 makes every hospital of 「病床数 20 床以上」
/// eligible, so a gap would drop eligible hospitals silently). Only the last band may be
/// open-ended; a bounded last band is allowed, and hospitals above it get the reason
/// [`IneligibilityCode::NoBedBand`](super::IneligibilityCode::NoBedBand).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<BedBand>", into = "Vec<BedBand>")]
pub struct BedBands(Vec<BedBand>);

impl BedBands {
    pub fn new(bands: Vec<BedBand>) -> Result<Self, ParseError> {
        let err = |message: mamori_locale::Message| Err(ParseError::new("bands", message));
        if bands.is_empty() {
            return err(Message::new("domain-assurance-bands-there-least-one-bed"));
        }
        for (i, band) in bands.iter().enumerate() {
            if let Some(max) = band.max_beds
                && max < band.min_beds
            {
                return err(Message::new("domain-assurance-bands-bed-band-max-beds")
                    .with("i", crate::arg(i + 1))
                    .with("max", crate::arg(max))
                    .with("min-beds", crate::arg(band.min_beds)));
            }
        }
        for (i, pair) in bands.windows(2).enumerate() {
            let (a, b) = (pair[0], pair[1]);
            let Some(a_max) = a.max_beds else {
                return err(Message::new("domain-assurance-bands-only-last-bed-band")
                    .with("i", crate::arg(i + 1))
                    .with("a", a.label()));
            };
            let expected = a_max.saturating_add(1);
            if b.min_beds < expected {
                return err(Message::new("domain-assurance-bands-bed-bands-overlap-are")
                    .with("a", a.label())
                    .with("b", b.label()));
            }
            if b.min_beds > expected {
                return err(Message::new("domain-assurance-bands-gap-between-bed-bands")
                    .with("expected", crate::arg(expected))
                    .with("min-beds", crate::arg(b.min_beds - 1))
                    .with("a", a.label())
                    .with("b", b.label()));
            }
        }
        Ok(Self(bands))
    }

    /// 20–199, 200–399, 400+: the working default when the catalog has no programme. The seeds
    /// do not print the bands (別紙2 is not reproduced); `catalog/assurance/*.toml` is where a
    /// year's bands are set.
    pub fn standard() -> Self {
        Self(vec![
            BedBand {
                min_beds: 20,
                max_beds: Some(199),
            },
            BedBand {
                min_beds: 200,
                max_beds: Some(399),
            },
            BedBand {
                min_beds: 400,
                max_beds: None,
            },
        ])
    }

    pub fn as_slice(&self) -> &[BedBand] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a valid set has at least one band.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<BedBand> {
        self.0.get(index).copied()
    }

    /// The smallest number of beds any band takes.
    pub fn min_beds(&self) -> u32 {
        self.0.first().map_or(0, |b| b.min_beds)
    }

    /// The index of the band `beds` falls in (binary search: bands are sorted).
    pub fn band_of(&self, beds: u32) -> Option<usize> {
        let i = self.0.partition_point(|b| b.min_beds <= beds);
        let index = i.checked_sub(1)?;
        self.0[index].contains(beds).then_some(index)
    }
}

impl TryFrom<Vec<BedBand>> for BedBands {
    type Error = ParseError;
    fn try_from(value: Vec<BedBand>) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<BedBands> for Vec<BedBand> {
    fn from(value: BedBands) -> Self {
        value.0
    }
}

/// A prefecture by its JIS X 0401 code (`13`, `1`) or its name (`東京都`, `東京`, `Tokyo`),
/// as prefectures and the national office write them in spreadsheets.
pub fn parse_prefecture(text: &str) -> Result<Prefecture, ParseError> {
    let t = fold(text.trim());
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return Prefecture::parse(&t);
    }
    let found = Prefecture::all().find(|p| {
        let ja = p.name_ja();
        // Strip one suffix only: 京都府 → 京都 (not 京).
        let short = if ja == "北海道" {
            ja
        } else {
            ja.strip_suffix(['都', '府', '県']).unwrap_or(ja)
        };
        t == ja || t == short || t.eq_ignore_ascii_case(p.name_en())
    });
    found.ok_or_else(|| {
        ParseError::new(
            "prefecture",
            Message::new("domain-parse-unknown-prefecture-use-code").with("text", crate::arg(text)),
        )
    })
}

/// 支援枠数: the number of hospitals to support, per prefecture and bed band (別紙2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QuotaTable(BTreeMap<Prefecture, Vec<u32>>);

/// One row of a quota table as given (by a file or a form), before validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaRow {
    /// Code or name, as [`parse_prefecture`] reads it.
    pub prefecture: String,
    /// One count per band, in band order; signed so that a negative entry gets a clear answer.
    pub counts: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaProblemCode {
    UnknownPrefecture,
    DuplicatePrefecture,
    WrongBandCount,
    Negative,
    TooLarge,
}

/// What is wrong with one row (and band) of a quota table; `row` and `band` are indexes into
/// the input, so that a file importer can name its own row and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaProblem {
    pub row: usize,
    pub band: Option<usize>,
    pub code: QuotaProblemCode,
    pub message: Message,
}

impl QuotaTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates rows (unknown prefecture, duplicate prefecture, wrong number of bands,
    /// negative or too large counts) and reports every problem found.
    pub fn from_rows(bands: &BedBands, rows: &[QuotaRow]) -> Result<Self, Vec<QuotaProblem>> {
        let mut problems = Vec::new();
        let mut table = BTreeMap::new();
        let mut first_row: BTreeMap<Prefecture, usize> = BTreeMap::new();
        for (row, input) in rows.iter().enumerate() {
            let prefecture = match parse_prefecture(&input.prefecture) {
                Ok(p) => Some(p),
                Err(e) => {
                    problems.push(QuotaProblem {
                        row,
                        band: None,
                        code: QuotaProblemCode::UnknownPrefecture,
                        message: e.message,
                    });
                    None
                }
            };
            if input.counts.len() != bands.len() {
                problems.push(QuotaProblem {
                    row,
                    band: None,
                    code: QuotaProblemCode::WrongBandCount,
                    message: Message::new("domain-assurance-quota-quota-s-given-program")
                        .with("counts-len", crate::arg(input.counts.len()))
                        .with("bands-len", crate::arg(bands.len()))
                        .with("bands", band_list(bands)),
                });
            }
            let mut counts = Vec::with_capacity(input.counts.len());
            for (band, &n) in input.counts.iter().enumerate() {
                let label = bands.get(band);
                let band_label = label.map_or(Message::new("domain-empty"), |b| {
                    Message::new("domain-assurance-quota-band").with("band", b.label())
                });
                let problem = |code, key| QuotaProblem {
                    row,
                    band: Some(band),
                    code,
                    message: Message::new(key)
                        .with("n", crate::arg(n))
                        .with("band", band_label.clone()),
                };
                if n < 0 {
                    problems.push(problem(
                        QuotaProblemCode::Negative,
                        "domain-assurance-quota-quota-negative-more",
                    ));
                } else if let Ok(v) = u32::try_from(n) {
                    counts.push(v);
                } else {
                    problems.push(problem(
                        QuotaProblemCode::TooLarge,
                        "domain-assurance-quota-quota-too-large",
                    ));
                }
            }
            if let Some(p) = prefecture {
                if let Some(&first) = first_row.get(&p) {
                    problems.push(QuotaProblem {
                        row,
                        band: None,
                        code: QuotaProblemCode::DuplicatePrefecture,
                        message: Message::new("domain-assurance-quota-appears-twice-also-row")
                            .with("first", crate::arg(first + 1))
                            .with("p", crate::bilingual(p.name_ja(), p.name_en())),
                    });
                } else {
                    first_row.insert(p, row);
                    table.insert(p, counts);
                }
            }
        }
        if problems.is_empty() {
            Ok(Self(table))
        } else {
            Err(problems)
        }
    }

    /// Sets one prefecture's quotas; [`Program::validate`] checks the count against the bands.
    pub fn insert(&mut self, prefecture: Prefecture, counts: Vec<u32>) {
        self.0.insert(prefecture, counts);
    }

    pub fn get(&self, prefecture: Prefecture) -> Option<&[u32]> {
        self.0.get(&prefecture).map(Vec::as_slice)
    }

    pub fn iter(&self) -> impl Iterator<Item = (Prefecture, &[u32])> {
        self.0.iter().map(|(p, v)| (*p, v.as_slice()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The national total per band.
    pub fn totals(&self, band_count: usize) -> Vec<u64> {
        let mut totals = vec![0u64; band_count];
        for counts in self.0.values() {
            for (t, &c) in totals.iter_mut().zip(counts) {
                *t += u64::from(c);
            }
        }
        totals
    }
}

/// The bands in the programme's order, as a message lists them: `20〜199床、400床以上`,
/// `20–199 beds, 400+ beds`.
pub fn band_list(bands: &BedBands) -> Message {
    crate::joined(
        bands.as_slice().iter().map(|b| b.label()),
        "domain-join-comma",
    )
}

pub fn band_list_ja(bands: &BedBands) -> String {
    band_list(bands).render(crate::Lang::Ja)
}

pub fn band_list_en(bands: &BedBands) -> String {
    band_list(bands).render(crate::Lang::En)
}

/// An institution whose survey was completed in an earlier year's project.
///
/// Seed 001: 「※令和 6 年度に実施された「医療機関におけるサイバーセキュリティ確保事業」において
/// 調査が完了した施設は対象外とします。」 Only a completed survey excludes: a hospital that withdrew
/// after the pre-survey is expressly welcome (see [`RankReason`](super::RankReason)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcludedInstitution {
    pub medical_institution_code: MedicalInstitutionCode,
    /// The fiscal year of the project in which its survey was completed.
    pub completed_in: FiscalYear,
}

fn default_true() -> bool {
    true
}

/// One year's 確保事業 (e.g. the 令和6年度補正予算 project carried out in 令和7年度).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    /// Stable id, the catalog file name (`r7`).
    pub id: String,
    pub title_ja: String,
    pub title_en: String,
    /// The fiscal year in which hospitals are supported (令和7年度 for seed 001).
    pub fiscal_year: FiscalYear,
    pub bands: BedBands,
    /// 支援枠数 (別紙2); usually imported from the national office's file.
    #[serde(default)]
    pub quotas: QuotaTable,
    /// 提出期限: the prefecture's list (別紙1) is due to the national office
    /// (seed 001: 「提出期限：令和7年3月14日（金）まで」).
    pub submission_deadline: NaiveDate,
    /// 回答期限 of the prefecture's own survey, if it set one (seed 004: 令和6年3月18日).
    #[serde(default)]
    pub survey_deadline: Option<NaiveDate>,
    /// A hospital renewing its systems in the year must finish the on-site survey by this date
    /// (seed 001: 「令和 8 年 1 月までに現地調査を完了できる見込み」 → 2026-01-31).
    pub onsite_survey_deadline: NaiveDate,
    /// Institutions done in an earlier year's project.
    #[serde(default)]
    pub excluded: Vec<ExcludedInstitution>,
    /// Seed 001: 「※オフライン・バックアップ支援のみの参加希望は認めません。」
    #[serde(default)]
    pub allow_backup_only: bool,
    /// Whether a hospital that has not yet adopted an EMR but will before the support starts
    /// may apply (seed 004 Q&A ②: 「本事業の支援までに導入済みであれば差し支えありません」).
    /// When true it is a flag for the prefecture, when false a reason of ineligibility.
    #[serde(default = "default_true")]
    pub accept_planned_emr: bool,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub notes: String,
}

impl Program {
    /// Everything wrong with the program: quotas whose band count differs from the bands,
    /// deadlines out of order, exclusions from this or a later year, duplicate exclusions.
    pub fn validate(&self) -> Result<(), Vec<ParseError>> {
        let mut problems = Vec::new();
        for (p, counts) in self.quotas.iter() {
            if counts.len() != self.bands.len() {
                problems.push(ParseError::new(
                    "quotas",
                    Message::new("domain-parse-quota-s-given-program")
                        .with("counts-len", crate::arg(counts.len()))
                        .with("bands-len", crate::arg(self.bands.len()))
                        .with("p", crate::bilingual(p.name_ja(), p.name_en()))
                        .with("bands", band_list(&self.bands)),
                ));
            }
        }
        if let Some(survey) = self.survey_deadline
            && survey > self.submission_deadline
        {
            problems.push(ParseError::new(
                "survey_deadline",
                Message::new("domain-parse-survey-deadline-after-submission")
                    .with("survey", crate::arg(survey))
                    .with("submission-deadline", crate::arg(self.submission_deadline)),
            ));
        }
        if !self.fiscal_year.contains(self.onsite_survey_deadline) {
            problems.push(ParseError::new(
                "onsite_survey_deadline",
                Message::new("domain-parse-site-survey-deadline-within")
                    .with(
                        "onsite-survey-deadline",
                        crate::arg(self.onsite_survey_deadline),
                    )
                    .with(
                        "era-label",
                        crate::bilingual(
                            self.fiscal_year.era_label_ja(),
                            self.fiscal_year.label_en(),
                        ),
                    ),
            ));
        }
        let mut seen = HashSet::new();
        for e in &self.excluded {
            let code = e.medical_institution_code.as_str();
            if e.completed_in >= self.fiscal_year {
                problems.push(ParseError::new(
                    "excluded",
                    Message::new("domain-parse-institution-completed-before-program")
                        .with("code", crate::arg(code))
                        .with(
                            "era-label",
                            crate::bilingual(
                                e.completed_in.era_label_ja(),
                                e.completed_in.label_en(),
                            ),
                        )
                        .with(
                            "era-label2",
                            crate::bilingual(
                                self.fiscal_year.era_label_ja(),
                                self.fiscal_year.label_en(),
                            ),
                        ),
                ));
            }
            if !seen.insert(code) {
                problems.push(ParseError::new(
                    "excluded",
                    Message::new("domain-parse-institution-listed-twice-among")
                        .with("code", crate::arg(code)),
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    pub fn quota_for(&self, prefecture: Prefecture) -> Option<&[u32]> {
        self.quotas.get(prefecture)
    }

    /// Whether a prefecture can still submit (or change) its list on `date` (the caller
    /// supplies the date: the domain reads no clock).
    pub fn submission_open(&self, date: NaiveDate) -> bool {
        date <= self.submission_deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::date;
    use mamori_locale::Lang;

    fn band(min: u32, max: Option<u32>) -> BedBand {
        BedBand {
            min_beds: min,
            max_beds: max,
        }
    }

    #[test]
    fn standard_bands_place_beds() {
        let bands = BedBands::standard();
        assert_eq!(bands.band_of(19), None);
        assert_eq!(bands.band_of(20), Some(0));
        assert_eq!(bands.band_of(199), Some(0));
        assert_eq!(bands.band_of(200), Some(1));
        assert_eq!(bands.band_of(399), Some(1));
        assert_eq!(bands.band_of(400), Some(2));
        assert_eq!(bands.band_of(u32::MAX), Some(2));
        assert_eq!(bands.min_beds(), 20);
        assert_eq!(
            bands.get(2).map(BedBand::label_ja).as_deref(),
            Some("400床以上")
        );
        assert_eq!(
            bands.get(0).map(BedBand::label_en).as_deref(),
            Some("20–199 beds")
        );
    }

    #[test]
    fn bounded_last_band_leaves_large_hospitals_outside() {
        let bands = BedBands::new(vec![band(20, Some(99)), band(100, Some(499))]).expect("valid");
        assert_eq!(bands.band_of(500), None);
        assert_eq!(bands.band_of(100), Some(1));
    }

    #[test]
    fn bands_reject_overlap_gap_and_order() {
        let overlap =
            BedBands::new(vec![band(20, Some(199)), band(150, None)]).expect_err("overlap");
        assert!(
            overlap.message.render(Lang::En).contains("overlap"),
            "{overlap:?}"
        );
        let gap = BedBands::new(vec![band(20, Some(199)), band(300, None)]).expect_err("gap");
        assert!(
            gap.message.render(Lang::Ja).contains("200〜299床"),
            "{gap:?}"
        );
        let open_first = BedBands::new(vec![band(20, None), band(300, None)]).expect_err("open");
        assert!(open_first.message.render(Lang::En).contains("open-ended"));
        assert!(BedBands::new(vec![]).is_err());
        assert!(BedBands::new(vec![band(200, Some(100))]).is_err());
        let descending = BedBands::new(vec![band(200, Some(399)), band(20, Some(199))]);
        assert!(descending.is_err());
    }

    #[test]
    fn prefectures_by_code_or_name() {
        let tokyo = Prefecture::parse("13").expect("valid");
        for text in ["13", " 13 ", "１３", "東京都", "東京", "Tokyo", "tokyo"] {
            assert_eq!(parse_prefecture(text), Ok(tokyo), "{text}");
        }
        assert_eq!(parse_prefecture("1").map(Prefecture::name_ja), Ok("北海道"));
        assert_eq!(
            parse_prefecture("京都").map(Prefecture::code),
            Ok("26".to_owned())
        );
        assert_eq!(
            parse_prefecture("北海道").map(Prefecture::code),
            Ok("01".to_owned())
        );
        for bad in ["", "48", "東京府", "Edo"] {
            assert!(parse_prefecture(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn quota_rows_are_validated() {
        let bands = BedBands::standard();
        let rows = vec![
            QuotaRow {
                prefecture: "東京都".into(),
                counts: vec![30, 10, 5],
            },
            QuotaRow {
                prefecture: "99".into(),
                counts: vec![1, 1, 1],
            },
            QuotaRow {
                prefecture: "46".into(),
                counts: vec![1, -2],
            },
            QuotaRow {
                prefecture: "13".into(),
                counts: vec![1, 1, 1],
            },
        ];
        let problems = QuotaTable::from_rows(&bands, &rows).expect_err("invalid");
        let codes: Vec<_> = problems.iter().map(|p| (p.row, p.band, p.code)).collect();
        assert_eq!(
            codes,
            vec![
                (1, None, QuotaProblemCode::UnknownPrefecture),
                (2, None, QuotaProblemCode::WrongBandCount),
                (2, Some(1), QuotaProblemCode::Negative),
                (3, None, QuotaProblemCode::DuplicatePrefecture),
            ]
        );
        assert!(problems[2].message.render(Lang::Ja).contains("200〜399床"));
        assert!(problems[3].message.render(Lang::En).contains("row 1"));

        let ok = QuotaTable::from_rows(&bands, &rows[..1]).expect("valid");
        let tokyo = Prefecture::parse("13").expect("valid");
        assert_eq!(ok.get(tokyo), Some(&[30, 10, 5][..]));
        assert_eq!(ok.totals(3), vec![30, 10, 5]);
    }

    #[test]
    fn program_validation_reports_everything() {
        let mut p = crate::assurance::eligibility::tests::program();
        assert_eq!(p.validate(), Ok(()));
        assert!(p.submission_open(date(2025, 3, 14)));
        assert!(!p.submission_open(date(2025, 3, 15)));
        p.quotas
            .insert(Prefecture::parse("13").expect("valid"), vec![1, 2]);
        p.survey_deadline = Some(date(2025, 4, 1));
        p.onsite_survey_deadline = date(2026, 4, 30);
        let code = MedicalInstitutionCode::parse("1312345678").expect("valid");
        p.excluded = vec![
            ExcludedInstitution {
                medical_institution_code: code.clone(),
                completed_in: FiscalYear::new(2025).expect("valid"),
            },
            ExcludedInstitution {
                medical_institution_code: code,
                completed_in: FiscalYear::new(2024).expect("valid"),
            },
        ];
        let problems = p.validate().expect_err("invalid");
        let fields: Vec<_> = problems.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                "quotas",
                "survey_deadline",
                "onsite_survey_deadline",
                "excluded",
                "excluded"
            ]
        );
        assert!(problems[0].message.render(Lang::Ja).contains("東京都"));
    }
}

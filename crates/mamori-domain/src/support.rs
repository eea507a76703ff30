//! The support menu (支援メニュー) and subsidy estimates (補助金の概算).
//!
//! A prefecture publishes its menu by phase — 知る (know), 育てる (grow), 確認する (check) —
//! beside the national programmes (厚生労働省, 警視庁, 経済産業省). The menus are catalog data
//! (`catalog/support/`); this module holds their types, the validation of one programme, the
//! estimate of a subsidy and the suggestions that match an institution's gaps to programmes.
//!
//! Money is whole yen in `i64`, rates exact fractions: no floating point anywhere.

use serde::{Deserialize, Serialize};

use crate::InstitutionKind;

crate::wire_enum! {
    /// The phase of the menu a programme belongs to.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Phase {
        /// 知る: seminars and notices.
        Know,
        /// 育てる: training and the money for it.
        Grow,
        /// 確認する: checklists, equipment and checks.
        Check,
    }
    parse(exact) -> Option;
}

labels!(Phase {
    Know => "domain-labels-phase-know",
    Grow => "domain-labels-phase-grow",
    Check => "domain-labels-phase-check",
});

crate::wire_enum! {
    /// Who runs a programme.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Provider {
        /// 都道府県 (都の支援)
        Prefecture,
        /// 国 (厚生労働省)
        National,
        /// 警察 (警視庁・道府県警察)
        Police,
        /// 経済産業省
        Meti,
    }
    parse(exact) -> Option;
}

labels!(Provider {
    Prefecture => "domain-labels-provider-prefecture",
    National => "domain-labels-provider-national",
    Police => "domain-labels-provider-police",
    Meti => "domain-labels-provider-meti",
});

crate::wire_enum! {
    /// Whether a programme takes applications.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ProgramStatus {
        /// 受付中
        Open,
        /// 受付終了
        Closed,
        /// 開始予定
        Upcoming,
        /// 随時 (a notice, a checklist, a seminar on request)
        Ongoing,
    }
}

labels!(ProgramStatus {
    Open => "domain-labels-program-status-open",
    Closed => "domain-labels-program-status-closed",
    Upcoming => "domain-labels-program-status-upcoming",
    Ongoing => "domain-labels-program-status-ongoing",
});

crate::wire_enum! {
    /// A gap of an institution that a programme can answer.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum GapCode {
        /// A backup without an offline copy, or no backup record at all.
        NoOfflineBackup,
        /// いいえ on checklist items that training addresses.
        TrainingItemsNo,
        /// A VPN device of the ledger carries a flag (the VPN notice's checks, end of support,
        /// known-exploited vulnerabilities).
        VpnDeviceFlagged,
    }
    parse(exact) -> Option;
}

labels!(GapCode: title, title_ja, title_en {
    NoOfflineBackup => "domain-support-gap-no-offline-backup",
    TrainingItemsNo => "domain-support-gap-training-items-no",
    VpnDeviceFlagged => "domain-support-gap-vpn-device-flagged",
});

/// A subsidy rate (補助率) as an exact fraction: 1/2, 2/3, 10/10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rate {
    numerator: i64,
    denominator: i64,
}

impl Rate {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (n, d) = text
            .split_once('/')
            .ok_or_else(|| format!("rate '{text}' is not a fraction such as 1/2"))?;
        let n: i64 = n
            .trim()
            .parse()
            .map_err(|_| format!("rate '{text}': numerator is not a whole number"))?;
        let d: i64 = d
            .trim()
            .parse()
            .map_err(|_| format!("rate '{text}': denominator is not a whole number"))?;
        if !(1..=100).contains(&d) || !(1..=d).contains(&n) {
            return Err(format!(
                "rate '{text}' must be between 1/d and d/d with a denominator of 1 to 100"
            ));
        }
        Ok(Self {
            numerator: n,
            denominator: d,
        })
    }

    pub fn numerator(self) -> i64 {
        self.numerator
    }

    pub fn denominator(self) -> i64 {
        self.denominator
    }

    /// `amount × rate`, rounded down to the yen.
    pub fn apply(self, amount: i64) -> i64 {
        amount * self.numerator / self.denominator
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

crate::text_conversions!(Rate, String, |rate| rate.to_string());

crate::wire_enum! {
    /// How the programme rounds the subsidy.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Rounding {
        /// 1円未満切り捨て
        #[serde(rename = "floor_1")]
        FloorYen = "floor_1",
        /// 千円未満切り捨て
        #[serde(rename = "floor_1000")]
        FloorThousand = "floor_1000",
    }
}

impl Rounding {
    pub fn apply(self, amount: i64) -> i64 {
        match self {
            Self::FloorYen => amount,
            Self::FloorThousand => amount / 1000 * 1000,
        }
    }
}

labels!(Rounding {
    FloorYen => "domain-labels-rounding-floor-yen",
    FloorThousand => "domain-labels-rounding-floor-thousand",
});

/// One row of a 基準額 table: the kinds it applies to and a bed band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardAmount {
    pub kinds: Vec<InstitutionKind>,
    pub min_beds: Option<i32>,
    pub max_beds: Option<i32>,
    /// 基準額 in yen.
    pub amount: i64,
    pub label_ja: String,
    pub label_en: String,
}

impl StandardAmount {
    fn matches(&self, kind: InstitutionKind, beds: i32) -> bool {
        self.kinds.contains(&kind)
            && self.min_beds.is_none_or(|m| beds >= m)
            && self.max_beds.is_none_or(|m| beds <= m)
    }
}

/// A rate that depends on the applicant (e.g. 小規模事業者 2/3, 中小企業 1/2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateOption {
    pub key: String,
    pub label_ja: String,
    pub label_en: String,
    pub rate: Rate,
}

/// The money side of a programme that pays a share of the cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subsidy {
    /// 基準額 by kind and beds; empty when the programme has none (the cost alone counts).
    #[serde(default)]
    pub standard_amounts: Vec<StandardAmount>,
    /// One rate, or one per kind of applicant.
    pub rates: Vec<RateOption>,
    pub rounding: Rounding,
    /// Where the rounding comes from; when the source does not state it, says so.
    pub rounding_source_ja: String,
    pub rounding_source_en: String,
    /// 補助額の下限: below it the programme pays nothing.
    pub min_amount: Option<i64>,
    /// 補助額の上限
    pub max_amount: Option<i64>,
}

/// One programme of a support menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportProgram {
    /// Stable id, e.g. `tokyo-cybersecurity-equipment`.
    pub id: String,
    pub name_ja: String,
    pub name_en: String,
    pub phase: Phase,
    pub provider: Provider,
    /// 東京都, 厚生労働省, 警視庁 …
    pub provider_name_ja: String,
    pub provider_name_en: String,
    /// What it covers.
    pub covers_ja: String,
    pub covers_en: String,
    /// Who may apply.
    pub who_ja: String,
    pub who_en: String,
    /// The kinds of institution it is for.
    pub eligible_kinds: Vec<InstitutionKind>,
    /// The amounts as the source writes them (基準額, 補助率, 無料 …).
    #[serde(default)]
    pub amount_ja: String,
    #[serde(default)]
    pub amount_en: String,
    /// 申請期限, `YYYY-MM-DD`, when the source gives one.
    pub deadline: Option<chrono::NaiveDate>,
    /// The deadline or period in words, when there is no single date.
    #[serde(default)]
    pub deadline_note_ja: String,
    #[serde(default)]
    pub deadline_note_en: String,
    pub status: ProgramStatus,
    #[serde(default)]
    pub status_note_ja: String,
    #[serde(default)]
    pub status_note_en: String,
    /// The official page.
    pub url: String,
    /// 補助対象 (例)
    #[serde(default)]
    pub eligible_items_ja: Vec<String>,
    #[serde(default)]
    pub eligible_items_en: Vec<String>,
    /// The gaps of an institution this programme answers.
    #[serde(default)]
    pub answers_gaps: Vec<GapCode>,
    pub subsidy: Option<Subsidy>,
}

/// Most beds any hospital in Japan has is under 1,500; more than this is a typing error.
pub const MAX_BEDS: i32 = 3_000;
/// 100億円: no planned cost of a single institution's project comes near it.
pub const MAX_COST: i64 = 10_000_000_000;

impl SupportProgram {
    /// Every problem of the programme, as (field, problem), to report with the file.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut push = |field: &str, problem: String| out.push((field.to_owned(), problem));
        let id_ok = !self.id.is_empty()
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            push(
                "id",
                format!(
                    "id '{}' must be lower-case letters, digits and hyphens",
                    self.id
                ),
            );
        }
        for (field, value) in [
            ("name_ja", &self.name_ja),
            ("name_en", &self.name_en),
            ("provider_name_ja", &self.provider_name_ja),
            ("provider_name_en", &self.provider_name_en),
            ("covers_ja", &self.covers_ja),
            ("covers_en", &self.covers_en),
            ("who_ja", &self.who_ja),
            ("who_en", &self.who_en),
        ] {
            if value.trim().is_empty() {
                push(field, "is empty".into());
            }
        }
        if !(self.url.starts_with("https://") || self.url.starts_with("http://")) {
            push("url", format!("'{}' is not an http(s) address", self.url));
        }
        if self.eligible_kinds.is_empty() {
            push("eligible_kinds", "is empty".into());
        }
        if self.eligible_items_ja.len() != self.eligible_items_en.len() {
            push(
                "eligible_items_en",
                "must have one entry per eligible_items_ja entry".into(),
            );
        }
        if let Some(s) = &self.subsidy {
            subsidy_problems(s, &self.eligible_kinds, &mut push);
        }
        out
    }
}

fn subsidy_problems(
    s: &Subsidy,
    eligible: &[InstitutionKind],
    push: &mut impl FnMut(&str, String),
) {
    if s.rates.is_empty() {
        push("subsidy.rates", "is empty: give at least one rate".into());
    }
    let mut keys = std::collections::HashSet::new();
    for (i, r) in s.rates.iter().enumerate() {
        if !keys.insert(r.key.as_str()) {
            push(
                &format!("subsidy.rates[{i}].key"),
                format!("'{}' appears twice", r.key),
            );
        }
    }
    if s.rounding_source_ja.trim().is_empty() || s.rounding_source_en.trim().is_empty() {
        push(
            "subsidy.rounding_source_ja",
            "is empty: say where the rounding comes from".into(),
        );
    }
    if let (Some(min), Some(max)) = (s.min_amount, s.max_amount)
        && min > max
    {
        push(
            "subsidy.min_amount",
            format!("{min} is above max_amount {max}"),
        );
    }
    for (field, v) in [
        ("subsidy.min_amount", s.min_amount),
        ("subsidy.max_amount", s.max_amount),
    ] {
        if v.is_some_and(|v| v <= 0 || v > MAX_COST) {
            push(field, "must be a positive amount of yen".into());
        }
    }
    for (i, row) in s.standard_amounts.iter().enumerate() {
        let field = format!("subsidy.standard_amounts[{i}]");
        if row.amount <= 0 || row.amount > MAX_COST {
            push(
                &format!("{field}.amount"),
                "must be a positive amount of yen".into(),
            );
        }
        if row.kinds.is_empty() {
            push(&format!("{field}.kinds"), "is empty".into());
        }
        if let (Some(a), Some(b)) = (row.min_beds, row.max_beds)
            && a > b
        {
            push(
                &format!("{field}.min_beds"),
                format!("{a} is above max_beds {b}"),
            );
        }
        if row.label_ja.trim().is_empty() || row.label_en.trim().is_empty() {
            push(&format!("{field}.label_ja"), "labels are empty".into());
        }
        for kind in &row.kinds {
            if !eligible.contains(kind) {
                push(
                    &format!("{field}.kinds"),
                    format!("'{}' is not in eligible_kinds", kind.as_str()),
                );
            }
        }
        for (j, other) in s.standard_amounts.iter().enumerate().skip(i + 1) {
            let shared = row.kinds.iter().any(|k| other.kinds.contains(k));
            let lo = row
                .min_beds
                .unwrap_or(i32::MIN)
                .max(other.min_beds.unwrap_or(i32::MIN));
            let hi = row
                .max_beds
                .unwrap_or(i32::MAX)
                .min(other.max_beds.unwrap_or(i32::MAX));
            if shared && lo <= hi {
                push(
                    &field,
                    format!("overlaps subsidy.standard_amounts[{j}] (same kind, beds {lo}–{hi})"),
                );
            }
        }
    }
    if !s.standard_amounts.is_empty() {
        for kind in eligible {
            if !s.standard_amounts.iter().any(|r| r.kinds.contains(kind)) {
                push(
                    "subsidy.standard_amounts",
                    format!("no row for eligible kind '{}'", kind.as_str()),
                );
            }
        }
    }
}

/// Why an estimate is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EstimateCode {
    NotASubsidy,
    KindNotCovered,
    BedsOutOfRange,
    BedsDoNotFitKind,
    CostNotPositive,
    CostTooLarge,
    UnknownRateOption,
    RateOptionRequired,
    NoStandardAmount,
}

impl EstimateCode {
    pub const ALL: [EstimateCode; 9] = [
        Self::NotASubsidy,
        Self::KindNotCovered,
        Self::BedsOutOfRange,
        Self::BedsDoNotFitKind,
        Self::CostNotPositive,
        Self::CostTooLarge,
        Self::UnknownRateOption,
        Self::RateOptionRequired,
        Self::NoStandardAmount,
    ];

    /// The code the API answers with.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotASubsidy => "not_a_subsidy",
            Self::KindNotCovered => "kind_not_covered",
            Self::BedsOutOfRange => "beds_out_of_range",
            Self::BedsDoNotFitKind => "beds_do_not_fit_kind",
            Self::CostNotPositive => "cost_not_positive",
            Self::CostTooLarge => "cost_too_large",
            Self::UnknownRateOption => "unknown_rate_option",
            Self::RateOptionRequired => "rate_option_required",
            Self::NoStandardAmount => "no_standard_amount",
        }
    }
}

/// A refused estimate: what is wrong and where, in Japanese and English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}", .code.as_str(), .message.render(mamori_locale::Lang::En))]
pub struct EstimateError {
    pub code: EstimateCode,
    /// The input at fault.
    pub field: &'static str,
    pub message: mamori_locale::Message,
}

impl EstimateError {
    fn new(code: EstimateCode, field: &'static str, message: mamori_locale::Message) -> Self {
        Self {
            code,
            field,
            message,
        }
    }
}

/// What the estimate is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstimateInput {
    pub kind: InstitutionKind,
    pub beds: i32,
    /// 対象経費: the planned cost in yen, tax included as the programme counts it.
    pub cost: i64,
    /// The key of the rate, for a programme with several.
    pub rate_option: Option<String>,
}

/// The estimate and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Estimate {
    /// 基準額 of the row that applies, if the programme has a table.
    pub standard_amount: Option<i64>,
    pub standard_label_ja: Option<String>,
    pub standard_label_en: Option<String>,
    pub cost: i64,
    /// The lower of 基準額 and 対象経費 (the cost alone without a table).
    pub base_amount: i64,
    pub rate: Rate,
    pub rate_option: String,
    /// `base × rate`, rounded down to the yen.
    pub before_rounding: i64,
    pub rounding: Rounding,
    pub after_rounding: i64,
    pub min_amount: Option<i64>,
    pub max_amount: Option<i64>,
    /// The upper limit cut the amount down.
    pub capped: bool,
    /// The amount is under the programme's lower limit: it pays nothing.
    pub below_minimum: bool,
    pub estimate: i64,
    pub formula_ja: String,
    pub formula_en: String,
}

/// `12,500,000`
pub fn yen(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if amount < 0 { format!("-{out}") } else { out }
}

/// The estimate of `program`'s subsidy: the lower of 基準額 and 対象経費, times the rate,
/// rounded as the programme states, then held to its lower and upper limits.
pub fn estimate(
    program: &SupportProgram,
    input: &EstimateInput,
) -> Result<Estimate, EstimateError> {
    let Some(subsidy) = &program.subsidy else {
        return Err(EstimateError::new(
            EstimateCode::NotASubsidy,
            "program",
            mamori_locale::Message::new("domain-records-estimate-subsidy-there-nothing-estimate")
                .with(
                    "program",
                    crate::bilingual(program.name_ja.as_str(), program.name_en.as_str()),
                ),
        ));
    };
    if !program.eligible_kinds.contains(&input.kind) {
        let kinds = program.eligible_kinds.iter().map(|k| k.label());
        return Err(EstimateError::new(
            EstimateCode::KindNotCovered,
            "kind",
            mamori_locale::Message::new("domain-records-estimate-covered")
                .with(
                    "program",
                    crate::bilingual(program.name_ja.as_str(), program.name_en.as_str()),
                )
                .with("ja", crate::joined(kinds, "domain-join-dot"))
                .with(
                    "kind",
                    crate::bilingual(input.kind.label_ja(), input.kind.label_en().to_lowercase()),
                ),
        ));
    }
    if input.beds < 0 || input.beds > MAX_BEDS {
        return Err(EstimateError::new(
            EstimateCode::BedsOutOfRange,
            "beds",
            mamori_locale::Message::new("domain-records-estimate-beds-between")
                .with("beds", crate::arg(input.beds))
                .with("max-beds", crate::arg(MAX_BEDS)),
        ));
    }
    input
        .kind
        .check_beds(input.beds)
        .map_err(|e| EstimateError::new(EstimateCode::BedsDoNotFitKind, "beds", e.message))?;
    if input.cost <= 0 {
        return Err(EstimateError::new(
            EstimateCode::CostNotPositive,
            "cost",
            mamori_locale::Message::new("domain-records-estimate-cost-yen-least-yen")
                .with("cost", crate::arg(yen(input.cost))),
        ));
    }
    if input.cost > MAX_COST {
        return Err(EstimateError::new(
            EstimateCode::CostTooLarge,
            "cost",
            mamori_locale::Message::new("domain-records-estimate-cost-yen-too-large")
                .with("cost", crate::arg(yen(input.cost)))
                .with("max-cost", crate::arg(yen(MAX_COST))),
        ));
    }
    let option = match (&input.rate_option, subsidy.rates.as_slice()) {
        (None, [only]) => only,
        (Some(key), rates) => rates.iter().find(|r| &r.key == key).ok_or_else(|| {
            let keys: Vec<_> = rates.iter().map(|r| r.key.as_str()).collect();
            EstimateError::new(
                EstimateCode::UnknownRateOption,
                "rate_option",
                mamori_locale::Message::new("domain-records-estimate-there-rate-option")
                    .with("key", crate::arg(key))
                    .with("keys", crate::bilingual(keys.join(" / "), keys.join(", "))),
            )
        })?,
        (None, rates) => {
            let ja: Vec<_> = rates
                .iter()
                .map(|r| format!("{}={} {}", r.key, r.label_ja, r.rate))
                .collect();
            let en: Vec<_> = rates
                .iter()
                .map(|r| format!("{}={} {}", r.key, r.label_en, r.rate))
                .collect();
            return Err(EstimateError::new(
                EstimateCode::RateOptionRequired,
                "rate_option",
                mamori_locale::Message::new("domain-records-estimate-choose-rate-option")
                    .with("ja", crate::bilingual(ja.join("、"), en.join(", "))),
            ));
        }
    };
    let row = if subsidy.standard_amounts.is_empty() {
        None
    } else {
        Some(
            subsidy
                .standard_amounts
                .iter()
                .find(|r| r.matches(input.kind, input.beds))
                .ok_or_else(|| {
                    EstimateError::new(
                        EstimateCode::NoStandardAmount,
                        "beds",
                        mamori_locale::Message::new(
                            "domain-records-estimate-standard-amount-applies-beds",
                        )
                        .with("beds", crate::arg(input.beds))
                        .with(
                            "kind",
                            crate::bilingual(
                                input.kind.label_ja(),
                                input.kind.label_en().to_lowercase(),
                            ),
                        ),
                    )
                })?,
        )
    };
    let rate = option.rate;
    let base = row.map_or(input.cost, |r| r.amount.min(input.cost));
    let before = rate.apply(base);
    let after = subsidy.rounding.apply(before);
    let capped = subsidy.max_amount.is_some_and(|m| after > m);
    let limited = subsidy.max_amount.map_or(after, |m| after.min(m));
    let below_minimum = subsidy.min_amount.is_some_and(|m| limited < m);
    let estimate = if below_minimum { 0 } else { limited };

    let args = |key| {
        mamori_locale::Message::new(key)
            .with("cost", yen(input.cost))
            .with("rate", crate::arg(rate))
            .with("before", yen(before))
    };
    let mut formula = match row {
        Some(r) => args("domain-support-formula-standard")
            .with("standard", yen(r.amount))
            .with("base", yen(base)),
        None => args("domain-support-formula-cost"),
    };
    formula = mamori_locale::Message::new("domain-support-formula-rounded")
        .with("head", formula)
        .with("rounding", subsidy.rounding.label())
        .with("after", yen(after));
    if capped && let Some(m) = subsidy.max_amount {
        formula = mamori_locale::Message::new("domain-support-formula-capped")
            .with("head", formula)
            .with("max", yen(m));
    }
    if below_minimum && let Some(m) = subsidy.min_amount {
        formula = mamori_locale::Message::new("domain-support-formula-below-minimum")
            .with("head", formula)
            .with("min", yen(m));
    }
    let (formula_ja, formula_en) = crate::both(&formula);
    Ok(Estimate {
        standard_amount: row.map(|r| r.amount),
        standard_label_ja: row.map(|r| r.label_ja.clone()),
        standard_label_en: row.map(|r| r.label_en.clone()),
        cost: input.cost,
        base_amount: base,
        rate,
        rate_option: option.key.clone(),
        before_rounding: before,
        rounding: subsidy.rounding,
        after_rounding: after,
        min_amount: subsidy.min_amount,
        max_amount: subsidy.max_amount,
        capped,
        below_minimum,
        estimate,
        formula_ja,
        formula_en,
    })
}

/// The region a menu belongs to: the whole country, or one prefecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    National,
    Prefecture(crate::Prefecture),
}

impl Region {
    /// `national` or a JIS X 0401 code (`13`).
    pub fn parse(text: &str) -> Result<Self, crate::ParseError> {
        if text == "national" {
            Ok(Self::National)
        } else {
            crate::Prefecture::parse(text).map(Self::Prefecture)
        }
    }

    pub fn code(self) -> String {
        match self {
            Self::National => "national".into(),
            Self::Prefecture(p) => p.code(),
        }
    }

    /// The region's name users read, in either language.
    pub fn label(self) -> mamori_locale::Message {
        match self {
            Self::National => mamori_locale::Message::new("domain-support-nationwide"),
            Self::Prefecture(p) => crate::bilingual(p.name_ja(), p.name_en()),
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Self::National => mamori_locale::Lang::Ja.text("domain-support-nationwide"),
            Self::Prefecture(p) => p.name_ja(),
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::National => mamori_locale::Lang::En.text("domain-support-nationwide"),
            Self::Prefecture(p) => p.name_en(),
        }
    }

    /// Whether an institution of `prefecture` can use this region's programmes.
    pub fn serves(self, prefecture: crate::Prefecture) -> bool {
        match self {
            Self::National => true,
            Self::Prefecture(p) => p == prefecture,
        }
    }
}

/// One region's menu for one fiscal year (one catalog file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportMenu {
    pub region: Region,
    pub fiscal_year: crate::FiscalYear,
    pub title_ja: String,
    pub title_en: String,
    pub sources: Vec<String>,
    pub notes: String,
    pub programs: Vec<SupportProgram>,
}

// ----- suggestions -------------------------------------------------------------------------

/// What is known of an institution's gaps, gathered from its records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GapFacts {
    /// Whether any backup record exists.
    pub has_backup_records: bool,
    /// The backups without an offline copy, by subject (ja, en).
    pub backups_without_offline: Vec<(String, String)>,
    /// The numbers of training-related items answered いいえ, e.g. `2(8)`.
    pub training_items_no: Vec<String>,
    /// The VPN devices of the ledger with flags: (管理番号, the flags in Japanese, in English).
    pub flagged_vpn_devices: Vec<(String, Vec<String>, Vec<String>)>,
}

/// One gap found and the programmes that answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion<'a> {
    pub gap: GapCode,
    pub detail_ja: String,
    pub detail_en: String,
    /// Open programmes first, closed ones last.
    pub programs: Vec<&'a SupportProgram>,
}

/// The gaps the facts show, each with the programmes of the menu that answer it and are
/// open to the institution's kind.
pub fn suggest<'a>(
    facts: &GapFacts,
    kind: InstitutionKind,
    programs: &[&'a SupportProgram],
) -> Vec<Suggestion<'a>> {
    let mut gaps: Vec<(GapCode, mamori_locale::Message)> = Vec::new();
    let list = |ja: Vec<&str>, en: Vec<&str>| crate::bilingual(ja.join("、"), en.join(", "));
    if !facts.has_backup_records {
        gaps.push((
            GapCode::NoOfflineBackup,
            mamori_locale::Message::new("domain-support-no-backup-records"),
        ));
    } else if !facts.backups_without_offline.is_empty() {
        let (ja, en) = facts
            .backups_without_offline
            .iter()
            .map(|(j, e)| (j.as_str(), e.as_str()))
            .unzip();
        gaps.push((
            GapCode::NoOfflineBackup,
            mamori_locale::Message::new("domain-support-backups-without-offline")
                .with("backups", list(ja, en)),
        ));
    }
    if !facts.training_items_no.is_empty() {
        let items: Vec<&str> = facts.training_items_no.iter().map(String::as_str).collect();
        gaps.push((
            GapCode::TrainingItemsNo,
            mamori_locale::Message::new("domain-support-training-items-no")
                .with("items", list(items.clone(), items)),
        ));
    }
    if !facts.flagged_vpn_devices.is_empty() {
        let devices = facts.flagged_vpn_devices.iter().map(|(asset, ja, en)| {
            mamori_locale::Message::new("domain-support-vpn-device")
                .with("asset", asset)
                .with("flags", crate::bilingual(ja.join("、"), en.join(", ")))
        });
        gaps.push((
            GapCode::VpnDeviceFlagged,
            mamori_locale::Message::new("domain-support-vpn-devices-flagged")
                .with("devices", crate::joined(devices, "domain-join-semicolon")),
        ));
    }
    gaps.into_iter()
        .map(|(gap, detail)| {
            let (detail_ja, detail_en) = crate::both(&detail);
            let mut matching: Vec<&'a SupportProgram> = programs
                .iter()
                .copied()
                .filter(|p| p.answers_gaps.contains(&gap) && p.eligible_kinds.contains(&kind))
                .collect();
            matching.sort_by_key(|p| p.status == ProgramStatus::Closed);
            Suggestion {
                gap,
                detail_ja,
                detail_en,
                programs: matching,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use InstitutionKind::*;
    use mamori_locale::Lang;

    fn row(
        kinds: &[InstitutionKind],
        min: Option<i32>,
        max: Option<i32>,
        amount: i64,
    ) -> StandardAmount {
        StandardAmount {
            kinds: kinds.to_vec(),
            min_beds: min,
            max_beds: max,
            amount,
            label_ja: "行".into(),
            label_en: "row".into(),
        }
    }

    fn rate(key: &str, r: &str) -> RateOption {
        RateOption {
            key: key.into(),
            label_ja: key.into(),
            label_en: key.into(),
            rate: Rate::parse(r).expect("rate"),
        }
    }

    fn program(id: &str, kinds: &[InstitutionKind], subsidy: Option<Subsidy>) -> SupportProgram {
        SupportProgram {
            id: id.into(),
            name_ja: "事業".into(),
            name_en: "programme".into(),
            phase: Phase::Check,
            provider: Provider::Prefecture,
            provider_name_ja: "東京都".into(),
            provider_name_en: "Tokyo".into(),
            covers_ja: "機器".into(),
            covers_en: "equipment".into(),
            who_ja: "病院".into(),
            who_en: "hospitals".into(),
            eligible_kinds: kinds.to_vec(),
            amount_ja: String::new(),
            amount_en: String::new(),
            deadline: None,
            deadline_note_ja: String::new(),
            deadline_note_en: String::new(),
            status: ProgramStatus::Open,
            status_note_ja: String::new(),
            status_note_en: String::new(),
            url: "https://example.jp/".into(),
            eligible_items_ja: vec![],
            eligible_items_en: vec![],
            answers_gaps: vec![],
            subsidy,
        }
    }

    /// Tokyo's equipment subsidy of seed 000 (医療機関診療情報サイバーセキュリティ対策支援事業).
    fn tokyo_equipment() -> SupportProgram {
        program(
            "tokyo-cybersecurity-equipment",
            &[Hospital, ClinicWithBeds, ClinicWithoutBeds],
            Some(Subsidy {
                standard_amounts: vec![
                    row(&[Hospital], Some(500), None, 35_000_000),
                    row(&[Hospital], Some(200), Some(499), 12_500_000),
                    row(&[Hospital], None, Some(199), 5_000_000),
                    row(&[ClinicWithBeds], None, None, 4_375_000),
                    row(&[ClinicWithoutBeds], None, None, 3_750_000),
                ],
                rates: vec![rate("standard", "1/2")],
                rounding: Rounding::FloorThousand,
                rounding_source_ja: "仮定".into(),
                rounding_source_en: "assumed".into(),
                min_amount: None,
                max_amount: None,
            }),
        )
    }

    /// お助け隊 (デジタル化・AI導入補助金): no 基準額, 2/3 or 1/2, 50,000–1,500,000 yen.
    fn otasuketai() -> SupportProgram {
        program(
            "meti-otasuketai",
            &[Hospital, ClinicWithBeds, ClinicWithoutBeds, Pharmacy],
            Some(Subsidy {
                standard_amounts: vec![],
                rates: vec![rate("small", "2/3"), rate("sme", "1/2")],
                rounding: Rounding::FloorYen,
                rounding_source_ja: "仮定".into(),
                rounding_source_en: "assumed".into(),
                min_amount: Some(50_000),
                max_amount: Some(1_500_000),
            }),
        )
    }

    fn input(kind: InstitutionKind, beds: i32, cost: i64) -> EstimateInput {
        EstimateInput {
            kind,
            beds,
            cost,
            rate_option: None,
        }
    }

    #[test]
    fn rates_are_exact_fractions() {
        assert_eq!(Rate::parse("1/2").expect("ok").to_string(), "1/2");
        assert_eq!(Rate::parse("10/10").expect("ok").apply(500_000), 500_000);
        assert_eq!(
            Rate::parse("2/3").expect("ok").apply(100),
            66,
            "rounded down"
        );
        for bad in ["1", "0/2", "3/2", "1/0", "a/b", "1/101", "-1/2"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roundings_floor() {
        assert_eq!(Rounding::FloorThousand.apply(6_250_999), 6_250_000);
        assert_eq!(Rounding::FloorThousand.apply(999), 0);
        assert_eq!(Rounding::FloorYen.apply(66_666), 66_666);
    }

    #[test]
    fn every_row_of_tokyos_table() {
        let p = tokyo_equipment();
        // Costs above every 基準額: the estimate is half the 基準額.
        let cases = [
            (Hospital, 500, 35_000_000),
            (Hospital, 1200, 35_000_000),
            (Hospital, 499, 12_500_000),
            (Hospital, 200, 12_500_000),
            (Hospital, 199, 5_000_000),
            (Hospital, 20, 5_000_000),
            (ClinicWithBeds, 19, 4_375_000),
            (ClinicWithBeds, 1, 4_375_000),
            (ClinicWithoutBeds, 0, 3_750_000),
        ];
        for (kind, beds, standard) in cases {
            let e = estimate(&p, &input(kind, beds, 100_000_000)).expect("estimate");
            assert_eq!(e.standard_amount, Some(standard), "{kind:?} {beds}");
            assert_eq!(e.base_amount, standard);
            // 4,375,000 / 2 = 2,187,500 → 2,187,000 (千円未満切り捨て)
            assert_eq!(e.estimate, standard / 2 / 1000 * 1000, "{kind:?} {beds}");
        }
    }

    #[test]
    fn the_cost_caps_the_base_and_the_rounding_is_shown() {
        let p = tokyo_equipment();
        let e = estimate(&p, &input(Hospital, 350, 3_333_333)).expect("estimate");
        assert_eq!(e.base_amount, 3_333_333);
        assert_eq!(e.before_rounding, 1_666_666);
        assert_eq!(e.estimate, 1_666_000);
        assert_eq!(
            e.formula_ja,
            "min(基準額 12,500,000円, 対象経費 3,333,333円) × 1/2 = 3,333,333円 × 1/2 = 1,666,666円 → 千円未満切り捨て 1,666,000円"
        );
        assert!(
            e.formula_en
                .contains("rounded down to the thousand yen: 1,666,000 yen")
        );
        // The example of the issue: a 350-bed hospital spending 30,000,000.
        let e = estimate(&p, &input(Hospital, 350, 30_000_000)).expect("estimate");
        assert_eq!(
            (e.standard_amount, e.estimate),
            (Some(12_500_000), 6_250_000)
        );
        assert_eq!(e.rate.to_string(), "1/2");
    }

    #[test]
    fn limits_of_the_package_subsidy() {
        let p = otasuketai();
        let mut i = input(ClinicWithoutBeds, 0, 600_000);
        assert_eq!(
            estimate(&p, &i).expect_err("needs an option").code,
            EstimateCode::RateOptionRequired
        );
        i.rate_option = Some("small".into());
        let e = estimate(&p, &i).expect("estimate");
        assert_eq!((e.standard_amount, e.estimate), (None, 400_000));
        i.rate_option = Some("sme".into());
        i.cost = 10_000_000;
        let e = estimate(&p, &i).expect("estimate");
        assert!(e.capped);
        assert_eq!(e.estimate, 1_500_000);
        assert!(e.formula_ja.ends_with("上限 1,500,000円"));
        i.cost = 90_000;
        let e = estimate(&p, &i).expect("estimate");
        assert!(e.below_minimum);
        assert_eq!((e.after_rounding, e.estimate), (45_000, 0));
        i.rate_option = Some("large".into());
        assert_eq!(
            estimate(&p, &i).expect_err("unknown").code,
            EstimateCode::UnknownRateOption
        );
    }

    #[test]
    fn bad_input_is_refused_in_both_languages() {
        let p = tokyo_equipment();
        let cases = [
            (input(Pharmacy, 0, 1_000_000), "kind_not_covered", "kind"),
            (input(Hospital, 350, -5), "cost_not_positive", "cost"),
            (input(Hospital, 350, 0), "cost_not_positive", "cost"),
            (input(Hospital, 350, MAX_COST + 1), "cost_too_large", "cost"),
            (input(Hospital, -1, 1_000), "beds_out_of_range", "beds"),
            (input(Hospital, 50_000, 1_000), "beds_out_of_range", "beds"),
            (input(Hospital, 10, 1_000), "beds_do_not_fit_kind", "beds"),
            (
                input(ClinicWithoutBeds, 5, 1_000),
                "beds_do_not_fit_kind",
                "beds",
            ),
        ];
        for (i, code, field) in cases {
            let e = estimate(&p, &i).expect_err("refused");
            assert_eq!((e.code.as_str(), e.field), (code, field), "{i:?}");
            assert!(
                !e.message.render(Lang::Ja).is_empty() && !e.message.render(Lang::En).is_empty()
            );
        }
        let e = estimate(&p, &input(Pharmacy, 0, 1)).expect_err("pharmacy");
        assert!(
            e.message.render(Lang::Ja).contains("薬局は対象外"),
            "{}",
            e.message.render(Lang::Ja)
        );
        let seminar = program("seminar", &[Hospital], None);
        assert_eq!(
            estimate(&seminar, &input(Hospital, 100, 1))
                .expect_err("no")
                .code,
            EstimateCode::NotASubsidy
        );
    }

    #[test]
    fn validation_names_the_field() {
        assert!(tokyo_equipment().problems().is_empty());
        assert!(otasuketai().problems().is_empty());
        let mut p = tokyo_equipment();
        if let Some(s) = p.subsidy.as_mut() {
            s.standard_amounts
                .push(row(&[Hospital], Some(400), None, 1));
            s.standard_amounts
                .retain(|r| !r.kinds.contains(&ClinicWithBeds));
            s.min_amount = Some(10);
            s.max_amount = Some(5);
        }
        p.url = "mist.mhlw.go.jp".into();
        p.id = "Bad Id".into();
        let fields: Vec<String> = p.problems().into_iter().map(|(f, _)| f).collect();
        for expected in [
            "id",
            "url",
            "subsidy.min_amount",
            "subsidy.standard_amounts[0]",
            "subsidy.standard_amounts",
        ] {
            assert!(
                fields.iter().any(|f| f == expected),
                "{expected} in {fields:?}"
            );
        }
    }

    #[test]
    fn yen_groups_thousands() {
        assert_eq!(yen(0), "0");
        assert_eq!(yen(999), "999");
        assert_eq!(yen(1_000), "1,000");
        assert_eq!(yen(35_000_000), "35,000,000");
        assert_eq!(yen(-1_500), "-1,500");
    }

    #[test]
    fn suggestions_name_the_gap_and_the_programmes() {
        let mut equipment = tokyo_equipment();
        equipment.answers_gaps = vec![GapCode::NoOfflineBackup, GapCode::VpnDeviceFlagged];
        let mut assurance = program("mhlw-assurance", &[Hospital], None);
        assurance.status = ProgramStatus::Closed;
        assurance.answers_gaps = vec![GapCode::NoOfflineBackup, GapCode::VpnDeviceFlagged];
        let mut training = program("mhlw-mist", &[Hospital, Pharmacy], None);
        training.answers_gaps = vec![GapCode::TrainingItemsNo];
        let programs = vec![&assurance, &equipment, &training];

        assert!(
            suggest(
                &GapFacts {
                    has_backup_records: true,
                    ..GapFacts::default()
                },
                Hospital,
                &programs
            )
            .is_empty(),
            "no gap, no suggestion"
        );
        let facts = GapFacts {
            has_backup_records: true,
            backups_without_offline: vec![("PACS".into(), "PACS".into())],
            training_items_no: vec!["2(8)".into()],
            flagged_vpn_devices: vec![(
                "NW-001".into(),
                vec!["不要な常時接続".into()],
                vec!["always-on connection".into()],
            )],
        };
        let s = suggest(&facts, Hospital, &programs);
        let gaps: Vec<_> = s.iter().map(|s| s.gap).collect();
        assert_eq!(
            gaps,
            [
                GapCode::NoOfflineBackup,
                GapCode::TrainingItemsNo,
                GapCode::VpnDeviceFlagged
            ]
        );
        let ids: Vec<_> = s[0].programs.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            ["tokyo-cybersecurity-equipment", "mhlw-assurance"],
            "closed last"
        );
        assert!(s[0].detail_ja.contains("PACS"));
        assert!(s[2].detail_en.contains("NW-001 (always-on connection)"));
        assert!(s[2].detail_ja.contains("NW-001（不要な常時接続）"));

        // A pharmacy is not offered the hospital-only and clinic programmes.
        let s = suggest(&facts, Pharmacy, &programs);
        assert!(s[0].programs.is_empty());
        assert_eq!(s[1].programs[0].id, "mhlw-mist");

        let none = suggest(&GapFacts::default(), Hospital, &programs);
        assert_eq!(none.len(), 1);
        assert!(none[0].detail_ja.contains("バックアップの記録がありません"));
    }
}

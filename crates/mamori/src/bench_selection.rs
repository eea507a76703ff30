//! `mamori bench-selection`: the national selection of the security-assurance project
//! (確保事業) timed on generated data — by default 8,000 applicants in the 47 prefectures with
//! about 2,000 slots, every prefecture's full ranking and one withdrawal per prefecture —
//! against a baseline taken in the same run: indexing the same applications by id in a hash
//! map, the least work any selection must do.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use chrono::NaiveDate;
use clap::Args;
use mamori_domain::assurance::{
    Application, ApplicationId, BedBands, Contact, EmrAdoption, Participation, Program, QuotaTable,
    RankEntry, RankReason, SystemRenewal, Withdrawal, select_national,
};
use mamori_domain::{FiscalYear, InstitutionKind, MedicalInstitutionCode, Prefecture};

#[derive(Args, Debug)]
pub struct BenchSelectionArgs {
    /// Applicants in the whole country.
    #[arg(long, default_value_t = 8000)]
    applicants: usize,
    /// Slots in the whole country (支援枠数), shared among the prefectures and bands.
    #[arg(long, default_value_t = 2000)]
    slots: u32,
    /// Timed runs (the median is reported).
    #[arg(long, default_value_t = 30)]
    runs: usize,
}

/// A small deterministic generator, so that every run selects from the same data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Data {
    program: Program,
    applications: Vec<Application>,
    rankings: BTreeMap<Prefecture, Vec<RankEntry>>,
    withdrawals: BTreeMap<Prefecture, Vec<Withdrawal>>,
}

fn generate(args: &BenchSelectionArgs) -> Result<Data> {
    let mut rng = Lcg(0x6d61_6d6f_7269);
    let prefectures: Vec<Prefecture> = Prefecture::all().collect();
    let fy =
        FiscalYear::new(2025).map_err(|e| anyhow!(e.message.render(mamori_locale::Lang::En)))?;
    let bands = BedBands::standard();
    let mut quotas = QuotaTable::new();
    let per_prefecture = args.slots / prefectures.len() as u32;
    for p in &prefectures {
        // Most slots go to the smallest band, as most hospitals are small.
        let small = per_prefecture * 7 / 10;
        let middle = per_prefecture * 2 / 10;
        quotas.insert(*p, vec![small, middle, per_prefecture - small - middle]);
    }
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).context("date");
    let program = Program {
        id: "bench".into(),
        title_ja: "ベンチマーク".into(),
        title_en: "Benchmark".into(),
        fiscal_year: fy,
        bands,
        quotas,
        submission_deadline: date(2025, 3, 14)?,
        survey_deadline: None,
        onsite_survey_deadline: date(2026, 1, 31)?,
        excluded: Vec::new(),
        allow_backup_only: false,
        accept_planned_emr: true,
        sources: Vec::new(),
        notes: String::new(),
    };
    let contact = Contact::new("担当者", "03-0000-0000", "it@example.jp")
        .map_err(|e| anyhow!(e.to_string()))?;
    let mut applications = Vec::with_capacity(args.applicants);
    for i in 0..args.applicants {
        let p = prefectures[i % prefectures.len()];
        let code = format!("{}{:08}", p.code(), i);
        let beds = match rng.below(10) {
            0 => 10 + rng.below(10),
            1..=6 => 20 + rng.below(180),
            7 | 8 => 200 + rng.below(200),
            _ => 400 + rng.below(800),
        } as u32;
        applications.push(Application {
            id: ApplicationId(i as i64 + 1),
            prefecture: p,
            medical_institution_code: MedicalInstitutionCode::parse(&code)
                .map_err(|e| anyhow!(e.message.render(mamori_locale::Lang::En)))?,
            institution_name: format!("病院 {i}"),
            kind: InstitutionKind::Hospital,
            beds,
            emr: match rng.below(20) {
                0 => EmrAdoption::None,
                1..=5 => EmrAdoption::Partial,
                _ => EmrAdoption::Full,
            },
            participation: match rng.below(12) {
                0 => Participation::BackupOnly,
                1 | 2 => Participation::NetworkOnly,
                _ => Participation::Both,
            },
            gmis_reuse_consent: true,
            renewal: if rng.below(10) == 0 {
                SystemRenewal::Planned {
                    onsite_survey_by_deadline: Some(rng.below(2) == 0),
                }
            } else {
                SystemRenewal::NotPlanned
            },
            contact: contact.clone(),
            answered_on: None,
            remarks: String::new(),
        });
    }
    let mut rankings: BTreeMap<Prefecture, Vec<RankEntry>> = BTreeMap::new();
    for p in &prefectures {
        let mut ids: Vec<ApplicationId> = applications
            .iter()
            .filter(|a| a.prefecture == *p)
            .map(|a| a.id)
            .collect();
        // Fisher–Yates with the generator: an arbitrary but fixed order.
        for i in (1..ids.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            ids.swap(i, j);
        }
        rankings.insert(
            *p,
            ids.into_iter()
                .enumerate()
                .map(|(n, id)| RankEntry {
                    application_id: id,
                    rank: n as u32 + 1,
                    reasons: if n % 5 == 0 {
                        vec![RankReason::RegionalEmergencyRole]
                    } else {
                        Vec::new()
                    },
                    decision: None,
                })
                .collect(),
        );
    }
    // One withdrawal per prefecture: its best-ranked selected hospital.
    let first = select_national(&program, &applications, &rankings, &BTreeMap::new())
        .map_err(|e| anyhow!(e.to_string()))?;
    let mut withdrawals = BTreeMap::new();
    for (p, selection) in first {
        let selection = selection.map_err(|e| anyhow!(e.to_string()))?;
        if let Some(id) = selection.selected.first() {
            withdrawals.insert(
                p,
                vec![Withdrawal {
                    application_id: *id,
                    date: date(2025, 9, 1)?,
                    reason: "日程が調整できないため".into(),
                }],
            );
        }
    }
    Ok(Data {
        program,
        applications,
        rankings,
        withdrawals,
    })
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

pub fn run(args: BenchSelectionArgs) -> Result<()> {
    let data = generate(&args)?;
    let runs = args.runs.max(1);
    let mut baseline = Vec::with_capacity(runs);
    let mut national = Vec::with_capacity(runs);
    let mut selected = 0;
    let mut waitlisted = 0;
    let mut unused = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let index: HashMap<ApplicationId, &Application> =
            data.applications.iter().map(|a| (a.id, a)).collect();
        std::hint::black_box(&index);
        baseline.push(start.elapsed());

        let start = Instant::now();
        let result = select_national(
            &data.program,
            &data.applications,
            &data.rankings,
            &data.withdrawals,
        )
        .map_err(|e| anyhow!(e.to_string()))?;
        national.push(start.elapsed());
        (selected, waitlisted, unused) = (0, 0, 0);
        for selection in result.into_values() {
            let s = selection.map_err(|e| anyhow!(e.to_string()))?;
            selected += s.selected.len();
            waitlisted += s.waitlisted.len();
            unused += s.unused_quota().iter().sum::<u32>();
        }
    }
    let (b, n) = (median(baseline), median(national));
    println!(
        "national selection: {} applicants, 47 prefectures, {} slots, {} withdrawals",
        data.applications.len(),
        data.program.quotas.totals(3).iter().sum::<u64>(),
        data.withdrawals.len()
    );
    println!("  result: {selected} selected, {waitlisted} waitlisted, {unused} slots unused");
    println!(
        "  select_national: median {:.2} ms over {runs} runs",
        n.as_secs_f64() * 1e3
    );
    println!(
        "  baseline (index the applications by id): median {:.3} ms — selection is {:.0}× the baseline",
        b.as_secs_f64() * 1e3,
        n.as_secs_f64() / b.as_secs_f64().max(1e-9)
    );
    Ok(())
}

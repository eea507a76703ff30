use mamori_locale::Lang;
use std::collections::BTreeMap;

use proptest::prelude::*;

use super::super::application::tests::application;
use super::super::eligibility::tests::program;
use super::super::{EmrAdoption, FlagCode, Participation, RankingProblemCode, SystemRenewal};
use super::*;
use crate::InstitutionKind;

fn tokyo() -> Prefecture {
    Prefecture::parse("13").expect("valid")
}

fn program_with(quotas: [u32; 3]) -> Program {
    let mut p = program();
    p.quotas.insert(tokyo(), quotas.to_vec());
    p
}

fn ranked(ids: &[i64]) -> Vec<RankEntry> {
    ids.iter()
        .enumerate()
        .map(|(i, &id)| RankEntry {
            application_id: ApplicationId(id),
            rank: u32::try_from(i + 1).expect("small"),
            reasons: vec![],
            decision: None,
        })
        .collect()
}

fn withdrawal(id: i64) -> Withdrawal {
    Withdrawal {
        application_id: ApplicationId(id),
        date: NaiveDate::from_ymd_opt(2025, 6, 1).expect("valid"),
        reason: "現地調査の日程が合わない".into(),
    }
}

fn ids(list: &[i64]) -> Vec<ApplicationId> {
    list.iter().map(|&i| ApplicationId(i)).collect()
}

/// Band 0 (20–199): 1, 2, 3, 5; band 1 (200–399): 4, 6; band 2 (400+): 7. 5 has no EMR.
fn scenario() -> Vec<Application> {
    let mut apps = vec![
        application(1, "13", 100),
        application(2, "13", 150),
        application(3, "13", 120),
        application(4, "13", 250),
        application(5, "13", 80),
        application(6, "13", 300),
        application(7, "13", 600),
        application(8, "46", 100),
    ];
    apps[4].emr = EmrAdoption::None;
    apps
}

/// The selection of Tokyo's scenario with the quota per band, the ranking and the
/// withdrawals given.
fn select_tokyo(quota: [u32; 3], ranking: &[i64], withdrawals: &[Withdrawal]) -> Selection {
    select(
        &program_with(quota),
        tokyo(),
        &scenario(),
        &ranked(ranking),
        withdrawals,
    )
    .expect("valid")
}

#[test]
fn quota_is_filled_from_the_top_per_band() {
    let s = select_tokyo([2, 1, 0], &[7, 5, 3, 6, 1, 4, 2], &[]);
    assert_eq!(s.selected, ids(&[3, 6, 1]));
    assert_eq!(s.waitlisted, ids(&[7, 4, 2]));
    assert_eq!(s.ineligible.len(), 1);
    assert_eq!(s.ineligible[0].application_id, ApplicationId(5));
    assert_eq!(s.ineligible[0].rank, 2);
    assert_eq!(s.ineligible[0].reasons[0].code, IneligibilityCode::NoEmr);
    assert_eq!(s.unused_quota(), vec![0, 0, 0]);
    let seven = s.outcome(ApplicationId(7)).expect("ranked");
    assert_eq!(seven.status, ApplicationStatus::Waitlisted);
    assert_eq!(seven.band, Some(2));
    assert_eq!(seven.waitlist_position, Some(1));
    assert_eq!(
        s.outcome(ApplicationId(2))
            .and_then(|o| o.waitlist_position),
        Some(1)
    );
    let ranks: Vec<u32> = s.applications.iter().map(|o| o.rank).collect();
    assert_eq!(ranks, (1..=7).collect::<Vec<_>>());
}

#[test]
fn withdrawal_is_replaced_from_the_same_band() {
    let s = select_tokyo(
        [2, 1, 1],
        &[1, 4, 2, 3, 6, 5, 7],
        &[withdrawal(4), withdrawal(1)],
    );
    // Band 1: 4 withdrew → 6 (the next of band 1, below 3 of band 0 in the ranking).
    // Band 0: 1 withdrew → 3.
    assert_eq!(s.selected, ids(&[2, 3, 6, 7]));
    assert!(s.waitlisted.is_empty());
    assert_eq!(s.withdrawn.len(), 2);
    assert_eq!(s.withdrawn[0].application_id, ApplicationId(4));
    assert_eq!(s.withdrawn[0].replaced_by, Some(ApplicationId(6)));
    assert_eq!(s.withdrawn[1].replaced_by, Some(ApplicationId(3)));
    let six = s.outcome(ApplicationId(6)).expect("ranked");
    assert_eq!(six.replaced, Some(ApplicationId(4)));
    let four = s.outcome(ApplicationId(4)).expect("ranked");
    assert_eq!(four.status, ApplicationStatus::Withdrawn);
    assert_eq!(four.replaced_by, Some(ApplicationId(6)));
    assert_eq!(s.unused_quota(), vec![0, 0, 0]);
    assert_eq!(s.bands[1].withdrawn, 1);
}

#[test]
fn a_band_without_waiting_hospitals_keeps_the_slot_open() {
    let s = select_tokyo([2, 1, 1], &[1, 2, 3, 4, 5, 6, 7], &[withdrawal(7)]);
    assert_eq!(s.withdrawn[0].replaced_by, None);
    assert_eq!(s.unused_quota(), vec![0, 0, 1]);
    assert_eq!(s.bands[2].selected, 0);
    assert_eq!(s.bands[2].quota, 1);
    // Waiting hospitals of other bands are not moved across (no second recruitment either).
    assert_eq!(s.waitlisted, ids(&[3, 6]));
}

#[test]
fn a_replacement_can_itself_withdraw() {
    let s = select_tokyo(
        [1, 0, 0],
        &[1, 2, 3, 4, 5, 6, 7],
        &[withdrawal(1), withdrawal(2), withdrawal(3)],
    );
    assert!(s.selected.is_empty());
    assert_eq!(s.unused_quota(), vec![1, 0, 0]);
    let replaced: Vec<_> = s.withdrawn.iter().map(|w| w.replaced_by).collect();
    assert_eq!(
        replaced,
        vec![Some(ApplicationId(2)), Some(ApplicationId(3)), None]
    );
}

#[test]
fn only_selected_hospitals_can_withdraw() {
    let p = program_with([1, 1, 1]);
    let apps = scenario();
    let ranking = ranked(&[1, 2, 3, 4, 5, 6, 7]);
    let code = |w: &[Withdrawal]| match select(&p, tokyo(), &apps, &ranking, w) {
        Err(SelectionError::Withdrawal(e)) => Some((e.index, e.code)),
        _ => None,
    };
    assert_eq!(
        code(&[withdrawal(2)]),
        Some((0, WithdrawalProblemCode::NotSelected))
    );
    assert_eq!(
        code(&[withdrawal(5)]),
        Some((0, WithdrawalProblemCode::NotSelected)),
        "ineligible"
    );
    assert_eq!(
        code(&[withdrawal(1), withdrawal(1)]),
        Some((1, WithdrawalProblemCode::AlreadyWithdrawn))
    );
    assert_eq!(
        code(&[withdrawal(8)]),
        Some((0, WithdrawalProblemCode::ForeignApplication))
    );
    assert_eq!(
        code(&[withdrawal(99)]),
        Some((0, WithdrawalProblemCode::UnknownApplication))
    );
    let mut blank = withdrawal(1);
    blank.reason = "  ".into();
    assert_eq!(
        code(&[blank]),
        Some((0, WithdrawalProblemCode::EmptyReason))
    );
    // 2 waits behind 1; once 1 withdraws, 2 is selected and may withdraw in turn.
    assert_eq!(code(&[withdrawal(1), withdrawal(2)]), None);

    let err = select(&p, tokyo(), &apps, &ranking, &[withdrawal(2)]).expect_err("invalid");
    assert!(
        err.message()
            .render(Lang::Ja)
            .contains("支援対象に選定された病院だけ")
    );
    assert!(
        err.message()
            .render(Lang::En)
            .contains("only a selected hospital")
    );
    assert_eq!(err.code(), "invalid_withdrawal");
}

#[test]
fn input_errors_are_reported() {
    let apps = scenario();
    let ranking = ranked(&[1, 2, 3, 4, 5, 6, 7]);
    let e = select(&program(), tokyo(), &apps, &ranking, &[]).expect_err("no quota");
    assert_eq!(e, SelectionError::NoQuota(tokyo()));
    assert!(e.message().render(Lang::Ja).contains("東京都"));

    let mut dup = apps.clone();
    dup.push(application(3, "13", 50));
    let e = select(&program_with([1, 1, 1]), tokyo(), &dup, &ranking, &[]).expect_err("dup");
    assert_eq!(e, SelectionError::DuplicateApplicationId(ApplicationId(3)));

    let mut bad = program_with([1, 1, 1]);
    bad.quotas.insert(tokyo(), vec![1]);
    let e = select(&bad, tokyo(), &apps, &ranking, &[]).expect_err("invalid program");
    assert_eq!(e.code(), "invalid_program");

    let e = select(
        &program_with([1, 1, 1]),
        tokyo(),
        &apps,
        &ranked(&[1, 2, 3, 8, 5, 6, 7]),
        &[],
    )
    .expect_err("foreign");
    match e {
        SelectionError::Ranking(r) => assert_eq!(
            r.codes(),
            vec![
                RankingProblemCode::ForeignApplication,
                RankingProblemCode::MissingApplication
            ]
        ),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn flags_await_the_prefectures_decision() {
    let mut apps = scenario();
    apps[0].renewal = SystemRenewal::Planned {
        onsite_survey_by_deadline: Some(false),
    };
    apps[1].renewal = SystemRenewal::Planned {
        onsite_survey_by_deadline: None,
    };
    apps[2].participation = Participation::NetworkOnly;
    let p = program_with([2, 1, 1]);
    let mut ranking = ranked(&[1, 2, 3, 4, 5, 6, 7]);

    // Undecided: counted as eligible, listed as awaiting a decision.
    let s = select(&p, tokyo(), &apps, &ranking, &[]).expect("valid");
    assert_eq!(s.selected, ids(&[1, 2, 4, 7]));
    assert_eq!(
        s.undecided,
        ids(&[1, 2]),
        "network-only is advice, not a decision"
    );

    ranking[0].decision = Some(FlagDecision::Decline);
    ranking[1].decision = Some(FlagDecision::Accept);
    let s = select(&p, tokyo(), &apps, &ranking, &[]).expect("valid");
    assert_eq!(s.selected, ids(&[2, 3, 4, 7]));
    assert!(s.undecided.is_empty());
    let one = s.outcome(ApplicationId(1)).expect("ranked");
    assert_eq!(one.status, ApplicationStatus::Ineligible);
    assert!(
        one.eligibility
            .has_flag(FlagCode::RenewalSurveyAfterDeadline)
    );
    assert_eq!(
        one.eligibility.reasons[0].code,
        IneligibilityCode::DeclinedByPrefecture
    );
    assert!(
        one.eligibility.reasons[0]
            .message
            .render(Lang::Ja)
            .contains("令和8年1月")
    );
}

#[test]
fn national_selection_matches_per_prefecture() {
    let mut apps = scenario();
    apps.push(application(9, "46", 500));
    let mut p = program_with([1, 1, 1]);
    let kagoshima = Prefecture::parse("46").expect("valid");
    p.quotas.insert(kagoshima, vec![1, 0, 0]);
    let mut rankings = BTreeMap::new();
    rankings.insert(tokyo(), ranked(&[1, 2, 3, 4, 5, 6, 7]));
    rankings.insert(kagoshima, ranked(&[9, 8]));
    let mut withdrawals = BTreeMap::new();
    withdrawals.insert(tokyo(), vec![withdrawal(1)]);
    let all = select_national(&p, &apps, &rankings, &withdrawals).expect("valid");
    assert_eq!(all.len(), 2);
    for (pref, result) in &all {
        let single = select(
            &p,
            *pref,
            &apps,
            &rankings[pref],
            withdrawals.get(pref).map_or(&[][..], Vec::as_slice),
        );
        assert_eq!(result, &single);
    }
    let k = all[&kagoshima].as_ref().expect("valid");
    assert_eq!(k.selected, ids(&[8]));
    assert_eq!(k.waitlisted, ids(&[9]));
}

#[test]
fn an_empty_prefecture_reports_its_quota_unused() {
    let s = select(&program_with([3, 2, 1]), tokyo(), &[], &[], &[]).expect("valid");
    assert!(s.applications.is_empty());
    assert_eq!(s.unused_quota(), vec![3, 2, 1]);
}

/// A small deterministic generator (no dependency): 64-bit LCG.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Not timed: exercises a national-sized input (8,000 applicants, 47 prefectures) and checks
/// the invariants on every prefecture. The benchmark lives elsewhere.
#[test]
fn national_scale_selection_is_consistent() {
    let mut rng = Lcg(0x6d61_6d6f_7269);
    let mut p = program();
    for pref in Prefecture::all() {
        let q = vec![
            u32::try_from(rng.below(40)).expect("small"),
            u32::try_from(rng.below(15)).expect("small"),
            u32::try_from(rng.below(8)).expect("small"),
        ];
        p.quotas.insert(pref, q);
    }
    let prefectures: Vec<Prefecture> = Prefecture::all().collect();
    let mut apps = Vec::with_capacity(8000);
    for id in 0..8000i64 {
        let pref = prefectures[usize::try_from(rng.below(47)).expect("small")];
        let mut app = application(id, &pref.code(), 0);
        app.beds = u32::try_from(rng.below(900)).expect("small");
        app.emr = EmrAdoption::ALL[usize::try_from(rng.below(4)).expect("small")];
        app.participation = Participation::ALL[usize::try_from(rng.below(4)).expect("small")];
        if rng.below(10) == 0 {
            app.kind = InstitutionKind::ClinicWithBeds;
        }
        apps.push(app);
    }
    let mut rankings: BTreeMap<Prefecture, Vec<RankEntry>> = BTreeMap::new();
    for app in &apps {
        rankings.entry(app.prefecture).or_default().push(RankEntry {
            application_id: app.id,
            rank: 0,
            reasons: vec![],
            decision: None,
        });
    }
    for entries in rankings.values_mut() {
        // Fisher–Yates, then ranks 1..n in the shuffled order.
        for i in (1..entries.len()).rev() {
            let j = usize::try_from(rng.below(i as u64 + 1)).expect("small");
            entries.swap(i, j);
        }
        for (i, e) in entries.iter_mut().enumerate() {
            e.rank = u32::try_from(i + 1).expect("small");
        }
    }
    let first = select_national(&p, &apps, &rankings, &BTreeMap::new()).expect("valid");
    // Withdraw about a tenth of each prefecture's selected hospitals.
    let mut withdrawals: BTreeMap<Prefecture, Vec<Withdrawal>> = BTreeMap::new();
    for (pref, result) in &first {
        let s = result.as_ref().expect("valid");
        for id in &s.selected {
            if rng.below(10) == 0 {
                withdrawals.entry(*pref).or_default().push(withdrawal(id.0));
            }
        }
    }
    let all = select_national(&p, &apps, &rankings, &withdrawals).expect("valid");
    assert_eq!(all.len(), first.len());
    let mut total = 0;
    for (pref, result) in &all {
        let s = result.as_ref().expect("valid");
        total += s.applications.len();
        check_invariants(&p, &apps, s);
        let before = first[pref].as_ref().expect("valid");
        check_withdrawals_only_remove(before, s);
    }
    assert_eq!(total, 8000);
    // Spot-check the national entry point against the single one.
    let p13 = tokyo();
    let single = select(
        &p,
        p13,
        &apps,
        &rankings[&p13],
        withdrawals.get(&p13).map_or(&[][..], Vec::as_slice),
    );
    assert_eq!(all[&p13], single);
}

/// Invariants that hold for every valid selection, withdrawals or not.
fn check_invariants(p: &Program, apps: &[Application], s: &Selection) {
    let quotas = p.quota_for(s.prefecture).expect("quota");
    let assessor = Assessor::new(p);
    let by_id: HashMap<ApplicationId, &Application> = apps.iter().map(|a| (a.id, a)).collect();
    for (b, summary) in s.bands.iter().enumerate() {
        let in_band = |status| {
            s.applications
                .iter()
                .filter(|o| o.band == Some(b) && o.status == status)
                .collect::<Vec<_>>()
        };
        let sel = in_band(ApplicationStatus::Selected);
        let wait = in_band(ApplicationStatus::Waitlisted);
        // No band over quota; exactly min(quota, eligible and not withdrawn).
        assert!(sel.len() <= quotas[b] as usize);
        assert_eq!(sel.len(), summary.selected as usize);
        assert_eq!(
            sel.len(),
            (quotas[b] as usize).min(sel.len() + wait.len()),
            "band {b}: a slot is open while a hospital waits"
        );
        assert_eq!(summary.unused, quotas[b] - summary.selected);
        // Every selected ranks above every waiting one of the same band.
        if let (Some(worst), Some(best)) = (
            sel.iter().map(|o| o.rank).max(),
            wait.iter().map(|o| o.rank).min(),
        ) {
            assert!(
                worst < best,
                "band {b}: selected rank {worst} below waiting {best}"
            );
        }
        let positions: Vec<u32> = wait.iter().filter_map(|o| o.waitlist_position).collect();
        assert_eq!(positions, (1..=wait.len() as u32).collect::<Vec<_>>());
    }
    for o in &s.applications {
        let app = by_id[&o.application_id];
        let fresh = assessor.assess(app);
        let declined = o.decision == Some(FlagDecision::Decline);
        assert_eq!(
            o.status == ApplicationStatus::Ineligible,
            !fresh.is_eligible() || declined
        );
        if let Some(replaced) = o.replaced {
            let w = s.outcome(replaced).expect("withdrawn is listed");
            assert!(
                w.rank < o.rank,
                "a replacement ranks below whom it replaces"
            );
            assert_eq!(w.band, o.band);
        }
    }
    let in_rank_order = |list: &[ApplicationId]| {
        list.windows(2)
            .all(|w| s.outcome(w[0]).map(|o| o.rank) < s.outcome(w[1]).map(|o| o.rank))
    };
    assert!(in_rank_order(&s.selected) && in_rank_order(&s.waitlisted));
}

/// Per band, selected-then-waiting after withdrawals equals before with the withdrawn removed.
fn check_withdrawals_only_remove(before: &Selection, after: &Selection) {
    let withdrawn: BTreeSet<ApplicationId> =
        after.withdrawn.iter().map(|w| w.application_id).collect();
    for b in 0..before.bands.len() {
        let queue = |s: &Selection| -> Vec<ApplicationId> {
            let of = |status| {
                s.applications
                    .iter()
                    .filter(move |o| o.band == Some(b) && o.status == status)
                    .map(|o| o.application_id)
            };
            of(ApplicationStatus::Selected)
                .chain(of(ApplicationStatus::Waitlisted))
                .collect()
        };
        let expected: Vec<_> = queue(before)
            .into_iter()
            .filter(|id| !withdrawn.contains(id))
            .collect();
        assert_eq!(queue(after), expected, "band {b}");
    }
    assert_eq!(before.ineligible, after.ineligible);
}

fn arb_application(id: i64) -> impl Strategy<Value = Application> {
    (
        prop_oneof![0u32..25, 20u32..220, 180u32..420, 380u32..900],
        0usize..4,
        prop_oneof![4 => Just(0usize), 1 => 1usize..4],
        prop::bool::weighted(0.9),
        0usize..3,
    )
        .prop_map(move |(beds, emr, part, hospital, renewal)| {
            let mut app = application(id, "13", beds);
            app.emr = EmrAdoption::ALL[emr];
            app.participation = Participation::ALL[part];
            if !hospital {
                app.kind = InstitutionKind::ClinicWithBeds;
            }
            app.renewal = match renewal {
                0 => SystemRenewal::NotPlanned,
                1 => SystemRenewal::Planned {
                    onsite_survey_by_deadline: Some(true),
                },
                _ => SystemRenewal::Planned {
                    onsite_survey_by_deadline: None,
                },
            };
            app
        })
}

prop_compose! {
    fn arb_case()(n in 0usize..40)(
        apps in (0..n).map(|i| arb_application(i64::try_from(i).unwrap_or_default())).collect::<Vec<_>>(),
        order in Just((1..=n as u32).collect::<Vec<_>>()).prop_shuffle(),
        quotas in prop::array::uniform3(0u32..6),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) -> (Vec<Application>, Vec<RankEntry>, [u32; 3], Vec<prop::sample::Index>) {
        let ranking = apps
            .iter()
            .zip(&order)
            .map(|(a, &rank)| RankEntry { application_id: a.id, rank, reasons: vec![], decision: None })
            .collect();
        (apps, ranking, quotas, picks)
    }
}

/// Builds a valid withdrawal sequence: each pick withdraws one of the then-selected hospitals.
fn withdraw_picks(
    p: &Program,
    apps: &[Application],
    ranking: &[RankEntry],
    picks: &[prop::sample::Index],
) -> Vec<Withdrawal> {
    let mut withdrawals = Vec::new();
    for pick in picks {
        let s = select(p, tokyo(), apps, ranking, &withdrawals).expect("valid so far");
        if s.selected.is_empty() {
            break;
        }
        withdrawals.push(withdrawal(pick.get(&s.selected).0));
    }
    withdrawals
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn selection_properties((apps, ranking, quotas, picks) in arb_case()) {
        let p = program_with(quotas);
        let before = select(&p, tokyo(), &apps, &ranking, &[]).expect("valid input");
        check_invariants(&p, &apps, &before);

        let withdrawals = withdraw_picks(&p, &apps, &ranking, &picks);
        let after = select(&p, tokyo(), &apps, &ranking, &withdrawals).expect("valid withdrawals");
        check_invariants(&p, &apps, &after);
        check_withdrawals_only_remove(&before, &after);

        // Determinism: the same inputs, or the applications in another order, give the same.
        let again = select(&p, tokyo(), &apps, &ranking, &withdrawals).expect("valid");
        prop_assert_eq!(&again, &after);
        let mut reversed = apps.clone();
        reversed.reverse();
        let mut ranking_reversed = ranking.clone();
        ranking_reversed.reverse();
        let shuffled = select(&p, tokyo(), &reversed, &ranking_reversed, &withdrawals).expect("valid");
        prop_assert_eq!(&shuffled, &after);

        // Withdrawals of initially selected hospitals commute: the final lists do not depend
        // on their order (only the record of who replaced whom does).
        let initial: Vec<Withdrawal> = withdrawals
            .iter()
            .filter(|w| before.selected.contains(&w.application_id))
            .cloned()
            .collect();
        let forward = select(&p, tokyo(), &apps, &ranking, &initial).expect("valid");
        let mut backward_list = initial.clone();
        backward_list.reverse();
        let backward = select(&p, tokyo(), &apps, &ranking, &backward_list).expect("valid");
        prop_assert_eq!(&forward.selected, &backward.selected);
        prop_assert_eq!(&forward.waitlisted, &backward.waitlisted);
        prop_assert_eq!(forward.unused_quota(), backward.unused_quota());
    }

    #[test]
    fn withdrawing_a_waiting_or_ineligible_hospital_fails((apps, ranking, quotas, _picks) in arb_case()) {
        let p = program_with(quotas);
        let s = select(&p, tokyo(), &apps, &ranking, &[]).expect("valid input");
        for o in s.applications.iter().filter(|o| o.status != ApplicationStatus::Selected) {
            let r = select(&p, tokyo(), &apps, &ranking, &[withdrawal(o.application_id.0)]);
            let rejected = matches!(
                r,
                Err(SelectionError::Withdrawal(WithdrawalError { code: WithdrawalProblemCode::NotSelected, .. }))
            );
            prop_assert!(rejected);
        }
    }
}

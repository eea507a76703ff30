use super::*;
use crate::checklist::tests::{fy, item, profile};
use crate::inspection::InspectionRules;
use crate::testing::date as d;
use crate::{Condition, Gate, ItemAnswer, Requirement};
use mamori_locale::Lang;

fn version(id: &str, form: FormKind, items: Vec<ChecklistItem>) -> ChecklistVersion {
    ChecklistVersion {
        id: id.into(),
        version: id.split('-').next().unwrap_or("r6").into(),
        version_label_ja: "令和6年度版".into(),
        version_label_en: "FY2024 edition".into(),
        form,
        title_ja: String::new(),
        title_en: String::new(),
        fiscal_years: vec![fy(2024)],
        published_on: d(2024, 5, 13),
        sources: vec![],
        notes: String::new(),
        gate: (form != FormKind::Vendor).then(|| Gate {
            text_ja: "医療情報システムを導入、運用している。".into(),
            text_en: String::new(),
        }),
        sections: vec![],
        items,
    }
}

fn req(key: &str, number: &str, scope: Scope) -> ChecklistItem {
    item(key, number, scope, Requirement::RequiredFrom(fy(2024)))
}

/// The 令和6年度版 医療機関確認用, as in the catalog (keys, numbers, scopes).
fn r6_institution() -> ChecklistVersion {
    let mut remote = req("2-2-all", "2(2)", Scope::All);
    remote.applies_when = Some(Condition::VendorContract);
    let mut mds = req("2-3-all", "2(3)", Scope::All);
    mds.applies_when = Some(Condition::VendorContract);
    let mut chart = req("3-1", "3(1)", Scope::None);
    chart.has_target_date = false;
    version(
        "r6-institution",
        FormKind::Institution,
        vec![
            req("1-1", "1(1)", Scope::None),
            req("2-1-all", "2(1)", Scope::All),
            remote,
            mds,
            req("2-4-server", "2(4)", Scope::Server),
            req("2-5-server", "2(5)", Scope::Server),
            req("2-6-server", "2(6)", Scope::Server),
            req("2-7-server", "2(7)", Scope::Server),
            req("2-9-server", "2(9)", Scope::Server),
            req("2-4-pc", "2(4)", Scope::Pc),
            req("2-5-pc", "2(5)", Scope::Pc),
            req("2-7-pc", "2(7)", Scope::Pc),
            req("2-9-pc", "2(9)", Scope::Pc),
            req("2-7-network", "2(7)", Scope::Network),
            req("2-8-network", "2(8)", Scope::Network),
            chart,
            req("3-2", "3(2)", Scope::None),
            req("3-3", "3(3)", Scope::None),
        ],
    )
}

/// The 令和6年度版 事業者確認用: no 2(1), no section 3.
fn r6_vendor() -> ChecklistVersion {
    version(
        "r6-vendor",
        FormKind::Vendor,
        vec![
            req("1-1", "1(1)", Scope::None),
            req("2-2-all", "2(2)", Scope::All),
            req("2-3-all", "2(3)", Scope::All),
            req("2-4-server", "2(4)", Scope::Server),
            req("2-5-server", "2(5)", Scope::Server),
            req("2-6-server", "2(6)", Scope::Server),
            req("2-7-server", "2(7)", Scope::Server),
            req("2-9-server", "2(9)", Scope::Server),
            req("2-4-pc", "2(4)", Scope::Pc),
            req("2-5-pc", "2(5)", Scope::Pc),
            req("2-7-pc", "2(7)", Scope::Pc),
            req("2-9-pc", "2(9)", Scope::Pc),
            req("2-7-network", "2(7)", Scope::Network),
            req("2-8-network", "2(8)", Scope::Network),
        ],
    )
}

fn contract(id: i64, name: &str, scopes: &[Scope]) -> VendorContract {
    VendorContract {
        id: ContractId(id),
        vendor_name: name.into(),
        systems: vec![SystemKind::Emr],
        remote_maintenance: true,
        scopes: scopes.to_vec(),
        start_on: None,
        end_on: None,
    }
}

fn yes() -> ItemAnswers {
    ItemAnswers {
        first: Some(ItemAnswer {
            answer: Answer::Yes,
            checked_on: d(2024, 7, 1),
            target_date: None,
        }),
        second: None,
    }
}

fn no(target: Option<NaiveDate>) -> ItemAnswers {
    ItemAnswers {
        first: Some(ItemAnswer {
            answer: Answer::No,
            checked_on: d(2024, 7, 1),
            target_date: target,
        }),
        second: None,
    }
}

/// Answers `yes` to every item of `v` whose scope passes `keep`.
fn answer_all(v: &ChecklistVersion, keep: impl Fn(Scope) -> bool) -> HashMap<String, ItemAnswers> {
    v.items
        .iter()
        .filter(|i| keep(i.scope))
        .map(|i| (i.key.clone(), yes()))
        .collect()
}

struct Case {
    inst: ChecklistVersion,
    vend: ChecklistVersion,
    inst_answers: HashMap<String, ItemAnswers>,
    contracts: Vec<VendorContract>,
    vendor_answers: HashMap<ContractId, HashMap<String, ItemAnswers>>,
    profile: InstitutionProfile,
}

impl Case {
    fn new(contracts: Vec<VendorContract>) -> Self {
        let has = !contracts.is_empty();
        Self {
            inst: r6_institution(),
            vend: r6_vendor(),
            inst_answers: HashMap::new(),
            contracts,
            vendor_answers: HashMap::new(),
            profile: profile(true, has),
        }
    }

    fn input(&self) -> CoverageInput<'_> {
        CoverageInput {
            fiscal_year: fy(2024),
            profile: self.profile,
            institution_version: &self.inst,
            institution_answers: &self.inst_answers,
            vendor_version: &self.vend,
            contracts: &self.contracts,
            vendor_answers: &self.vendor_answers,
        }
    }

    fn coverage(&self) -> Coverage {
        coverage(&self.input()).expect("coverage computes")
    }

    fn verdict(&self) -> VendorVerdict {
        vendor_verdict(&self.input(), &rules(), d(2024, 8, 1)).expect("verdict computes")
    }
}

fn rules() -> InspectionRules {
    InspectionRules {
        version: "r6".into(),
        title_ja: String::new(),
        title_en: String::new(),
        sources: vec![],
        notes: String::new(),
        inspect_reference_items: false,
        contact_chart_seen_on_site: true,
        target_date_for_no: true,
        target_date_within_fiscal_year: true,
        bcp_checked: true,
        vendor_forms_checked: true,
    }
}

fn row<'c>(c: &'c Coverage, key: &str) -> &'c ItemCoverage {
    c.items
        .iter()
        .find(|i| i.item_key == key && i.form != FormKind::Vendor)
        .unwrap_or_else(|| panic!("row {key}"))
}

const A: ContractId = ContractId(11);
const B: ContractId = ContractId(12);

#[test]
fn the_forms_correspond_by_number_and_scope_except_the_vendors_own_section_1() {
    let links = correspondence(&r6_institution(), &r6_vendor()).expect("same version");
    assert_eq!(links.len(), 14);
    assert_eq!(links[0].correspondence, Correspondence::VendorOwn);
    for link in &links[1..] {
        assert_eq!(
            link.correspondence,
            Correspondence::SameAs {
                institution_key: link.vendor_key.clone()
            }
        );
    }
    // Numbers compare as numbers: a vendor form printing 2⑫ maps to the institution's 2(12).
    let inst = version(
        "r7-institution",
        FormKind::Institution,
        vec![req("2-12-server", "2(12)", Scope::Server)],
    );
    let vend = version(
        "r7-vendor",
        FormKind::Vendor,
        vec![
            req("2-12-server", "2⑫", Scope::Server),
            req("2-12-pc", "2(12)", Scope::Pc),
        ],
    );
    let links = correspondence(&inst, &vend).expect("same version");
    assert_eq!(
        links[0].correspondence,
        Correspondence::SameAs {
            institution_key: "2-12-server".into()
        }
    );
    assert_eq!(links[1].correspondence, Correspondence::VendorOwn);
}

#[test]
fn forms_of_different_versions_or_kinds_are_refused() {
    let mut r7 = r6_vendor();
    r7.id = "r7-vendor".into();
    r7.version = "r7".into();
    let err = correspondence(&r6_institution(), &r7).expect_err("versions differ");
    assert_eq!(err.code(), "version_mismatch");
    assert!(err.message().render(Lang::Ja).contains("版が異なります"));
    assert!(matches!(
        correspondence(&r6_institution(), &r6_institution()),
        Err(CoverageError::NotAVendorForm(_))
    ));
    assert!(matches!(
        correspondence(&r6_vendor(), &r6_vendor()),
        Err(CoverageError::InstitutionFormIsVendorForm(_))
    ));
}

#[test]
fn a_vendor_covering_everything_covers_every_shared_item() {
    let mut case = Case::new(vec![contract(11, "A社", &[Scope::All])]);
    case.vendor_answers
        .insert(A, answer_all(&case.vend, |_| true));
    // The institution answers nothing of section 2 but what vendors cannot: 2(1).
    case.inst_answers = answer_all(&case.inst, |s| s == Scope::None);
    case.inst_answers.insert("2-1-all".into(), yes());
    let c = case.coverage();
    let server = row(&c, "2-4-server");
    assert_eq!(server.covered_by, vec![Coverer::Contract(A)]);
    // The institution must still answer its own form: partly covered.
    assert_eq!(server.missing, vec![Coverer::Institution]);
    assert_eq!(server.state, CoverageState::Partly);
    assert_eq!(row(&c, "2-1-all").covered_by, vec![Coverer::Institution]);
    // The vendor's own 1(1) is a row of its own.
    let own = c.item(FormKind::Vendor, "1-1").expect("vendor 1(1) row");
    assert_eq!(own.covered_by, vec![Coverer::Contract(A)]);
    assert_eq!(own.state, CoverageState::Covered);
    assert_eq!(row(&c, "1-1").covered_by, vec![Coverer::Institution]);
    // With the institution's form complete, everything is covered.
    case.inst_answers = answer_all(&case.inst, |_| true);
    let c = case.coverage();
    assert!(
        c.items.iter().all(|i| i.state == CoverageState::Covered),
        "{c:#?}"
    );
    assert!(case.verdict().ready);
}

#[test]
fn a_server_only_vendor_leaves_network_items_to_the_institution() {
    let mut case = Case::new(vec![contract(11, "サーバ社", &[Scope::Server])]);
    case.vendor_answers.insert(
        A,
        answer_all(&case.vend, |s| {
            matches!(s, Scope::None | Scope::All | Scope::Server)
        }),
    );
    case.inst_answers = answer_all(&case.inst, |_| true);
    let c = case.coverage();
    let network = row(&c, "2-8-network");
    assert_eq!(network.covered_by, vec![Coverer::Institution]);
    assert_eq!(network.not_responsible, vec![A]);
    assert!(network.missing.is_empty());
    assert_eq!(network.state, CoverageState::Covered);
    let server = row(&c, "2-6-server");
    assert_eq!(
        server.covered_by,
        vec![Coverer::Institution, Coverer::Contract(A)]
    );
    let v = case.verdict();
    assert!(v.ready, "{:#?}", v.findings);
    let elsewhere: Vec<_> = v
        .findings
        .iter()
        .filter(|f| f.code == VendorFindingCode::CoveredElsewhere)
        .filter_map(|f| f.item_key.as_deref())
        .collect();
    assert_eq!(
        elsewhere,
        vec![
            "2-4-pc",
            "2-5-pc",
            "2-7-pc",
            "2-9-pc",
            "2-7-network",
            "2-8-network"
        ]
    );
    assert!(v.findings.iter().all(|f| f.severity == Severity::Info));
}

#[test]
fn a_vendor_must_answer_inside_its_own_scope_even_if_the_institution_did() {
    let mut case = Case::new(vec![contract(11, "サーバ社", &[Scope::Server])]);
    let mut answers = answer_all(&case.vend, |s| s != Scope::Network && s != Scope::Pc);
    answers.remove("2-6-server");
    case.vendor_answers.insert(A, answers);
    case.inst_answers = answer_all(&case.inst, |_| true);
    let c = case.coverage();
    let r = row(&c, "2-6-server");
    assert_eq!(r.covered_by, vec![Coverer::Institution]);
    assert_eq!(r.missing, vec![Coverer::Contract(A)]);
    assert_eq!(r.state, CoverageState::Partly);
    let v = case.verdict();
    assert!(!v.ready);
    let f = v
        .findings
        .iter()
        .find(|f| f.code == VendorFindingCode::FirstAnswerMissing)
        .expect("missing answer");
    assert_eq!(f.contract_id, Some(A));
    assert_eq!(f.item_key.as_deref(), Some("2-6-server"));
    assert!(
        f.message
            .render(Lang::Ja)
            .starts_with("事業者確認用（サーバ社）")
    );
    assert_eq!(
        f.to_finding().map(|f| f.code),
        Some(FindingCode::FirstAnswerMissing)
    );
}

#[test]
fn two_vendors_split_the_scopes() {
    let mut case = Case::new(vec![
        contract(11, "電カル社", &[Scope::Server, Scope::Pc]),
        contract(12, "ネット社", &[Scope::Network]),
    ]);
    case.vendor_answers
        .insert(A, answer_all(&case.vend, |s| s != Scope::Network));
    case.vendor_answers.insert(
        B,
        answer_all(&case.vend, |s| {
            matches!(s, Scope::None | Scope::All | Scope::Network)
        }),
    );
    case.inst_answers = answer_all(&case.inst, |_| true);
    let c = case.coverage();
    assert_eq!(
        row(&c, "2-7-network").covered_by,
        vec![Coverer::Institution, Coverer::Contract(B)]
    );
    assert_eq!(row(&c, "2-7-network").not_responsible, vec![A]);
    assert_eq!(
        row(&c, "2-7-pc").covered_by,
        vec![Coverer::Institution, Coverer::Contract(A)]
    );
    assert_eq!(row(&c, "2-7-pc").not_responsible, vec![B]);
    assert_eq!(
        row(&c, "2-2-all").covered_by,
        vec![
            Coverer::Institution,
            Coverer::Contract(A),
            Coverer::Contract(B)
        ]
    );
    let own = c.item(FormKind::Vendor, "1-1").expect("vendor 1(1)");
    assert_eq!(
        own.covered_by,
        vec![Coverer::Contract(A), Coverer::Contract(B)]
    );
    assert!(c.items.iter().all(|i| i.state == CoverageState::Covered));
    assert!(case.verdict().ready);
}

#[test]
fn an_item_nobody_answers_is_uncovered_and_blocks() {
    let mut case = Case::new(vec![contract(11, "サーバ社", &[Scope::Server])]);
    case.vendor_answers.insert(
        A,
        answer_all(&case.vend, |s| {
            matches!(s, Scope::None | Scope::All | Scope::Server)
        }),
    );
    case.inst_answers = answer_all(&case.inst, |_| true);
    case.inst_answers.remove("2-8-network");
    let c = case.coverage();
    let r = row(&c, "2-8-network");
    assert!(r.covered_by.is_empty());
    assert_eq!(r.missing, vec![Coverer::Institution]);
    assert_eq!(r.state, CoverageState::Uncovered);
    assert_eq!(
        c.uncovered()
            .map(|i| i.item_key.as_str())
            .collect::<Vec<_>>(),
        vec!["2-8-network"]
    );
    let v = case.verdict();
    assert!(!v.ready);
    let f = v
        .findings
        .iter()
        .find(|f| f.code == VendorFindingCode::ItemNotCovered)
        .expect("uncovered finding");
    assert_eq!(f.item_key.as_deref(), Some("2-8-network"));
    assert_eq!(f.contract_id, None);
    assert_eq!(f.severity, Severity::Blocking);
    assert!(f.message.render(Lang::Ja).contains("サーバ社"));
}

#[test]
fn without_contracts_only_the_institution_covers() {
    let mut case = Case::new(vec![]);
    case.inst_answers = answer_all(&case.inst, |_| true);
    let c = case.coverage();
    assert!(c.contracts.is_empty());
    // 2(2) and 2(3) need no answer without a vendor contract.
    assert!(c.items.iter().all(|i| i.item_key != "2-2-all"));
    assert!(c.items.iter().all(|i| i.form != FormKind::Vendor));
    assert!(
        c.items
            .iter()
            .all(|i| i.covered_by == vec![Coverer::Institution])
    );
    assert!(c.items.iter().all(|i| i.state == CoverageState::Covered));
    let v = case.verdict();
    assert!(v.ready);
    assert!(v.findings.is_empty());
    // Declared contracts that are not registered block.
    case.profile = profile(true, true);
    let v = case.verdict();
    assert!(!v.ready);
    assert_eq!(
        v.findings[0].code,
        VendorFindingCode::ContractsNotRegistered
    );
}

#[test]
fn no_medical_information_system_means_nothing_to_cover() {
    let mut case = Case::new(vec![contract(11, "A社", &[Scope::All])]);
    case.profile = profile(false, true);
    assert!(case.coverage().items.is_empty());
    assert!(case.verdict().ready);
}

#[test]
fn a_contracted_vendor_without_a_form_blocks() {
    let mut case = Case::new(vec![
        contract(11, "A社", &[Scope::Server, Scope::Pc]),
        contract(12, "B社", &[Scope::Network]),
    ]);
    case.vendor_answers
        .insert(A, answer_all(&case.vend, |s| s != Scope::Network));
    case.inst_answers = answer_all(&case.inst, |_| true);
    let c = case.coverage();
    assert_eq!(row(&c, "2-8-network").missing, vec![Coverer::Contract(B)]);
    assert_eq!(row(&c, "2-8-network").state, CoverageState::Partly);
    let v = case.verdict();
    assert!(!v.ready);
    let missing: Vec<_> = v
        .findings
        .iter()
        .filter(|f| f.code == VendorFindingCode::VendorFormMissing)
        .map(|f| f.contract_id)
        .collect();
    assert_eq!(missing, vec![Some(B)]);
}

#[test]
fn a_no_on_a_vendor_form_needs_a_target_date() {
    let mut case = Case::new(vec![contract(11, "A社", &[Scope::All])]);
    let mut answers = answer_all(&case.vend, |_| true);
    answers.insert("2-5-pc".into(), no(None));
    answers.insert("2-9-pc".into(), no(Some(d(2024, 7, 15))));
    case.vendor_answers.insert(A, answers);
    case.inst_answers = answer_all(&case.inst, |_| true);
    let v = case.verdict();
    assert!(!v.ready);
    let codes: Vec<_> = v
        .findings
        .iter()
        .map(|f| (f.item_key.as_deref(), f.code))
        .collect();
    assert!(codes.contains(&(Some("2-5-pc"), VendorFindingCode::TargetDateMissing)));
    assert!(codes.contains(&(Some("2-5-pc"), VendorFindingCode::AnsweredNo)));
    assert!(codes.contains(&(Some("2-9-pc"), VendorFindingCode::SecondCheckDue)));
    // An いいえ is still an entry: the item is covered.
    assert_eq!(row(&v.coverage, "2-5-pc").state, CoverageState::Covered);
    let no_msg = v
        .findings
        .iter()
        .find(|f| f.code == VendorFindingCode::AnsweredNo)
        .expect("answered no");
    assert!(
        no_msg
            .message
            .render(Lang::Ja)
            .contains("医療機関に伝えてください")
    );
    // Blocking findings come first.
    assert_eq!(v.findings[0].severity, Severity::Blocking);
}

#[test]
fn contracts_outside_the_year_are_left_out_and_bad_input_is_refused() {
    let mut old = contract(11, "旧社", &[Scope::All]);
    old.end_on = Some(d(2024, 3, 31));
    let mut case = Case::new(vec![old, contract(12, "新社", &[Scope::All])]);
    case.vendor_answers
        .insert(B, answer_all(&case.vend, |_| true));
    case.inst_answers = answer_all(&case.inst, |_| true);
    let c = case.coverage();
    assert_eq!(c.contracts, vec![B]);
    assert!(case.verdict().ready);
    case.vendor_answers.insert(ContractId(99), HashMap::new());
    assert_eq!(
        coverage(&case.input()),
        Err(CoverageError::UnknownContract(ContractId(99)))
    );
    case.vendor_answers.remove(&ContractId(99));
    case.contracts.push(contract(12, "重複", &[]));
    assert_eq!(
        coverage(&case.input()),
        Err(CoverageError::DuplicateContract(B))
    );
}

#[test]
fn reference_items_are_listed_but_not_required() {
    let mut case = Case::new(vec![contract(11, "A社", &[Scope::All])]);
    // In 2023 the 2024 items are 参考項目 on both forms.
    let c = coverage(&CoverageInput {
        fiscal_year: fy(2023),
        ..case.input()
    })
    .expect("coverage");
    assert!(c.items.iter().all(|i| !i.required));
    assert!(c.items.iter().all(|i| i.missing.is_empty()));
    case.vendor_answers.insert(A, HashMap::new());
    let v = vendor_verdict(
        &CoverageInput {
            fiscal_year: fy(2023),
            ..case.input()
        },
        &rules(),
        d(2023, 8, 1),
    )
    .expect("verdict");
    assert!(v.ready, "{:#?}", v.findings);
}

#[test]
fn coverers_read_from_json_values() {
    use serde::de::IntoDeserializer;
    use serde::de::value::Error;
    let inst: Result<Coverer, Error> = Coverer::deserialize("institution".into_deserializer());
    assert_eq!(inst, Ok(Coverer::Institution));
    let contract: Result<Coverer, Error> = Coverer::deserialize(42i64.into_deserializer());
    assert_eq!(contract, Ok(Coverer::Contract(ContractId(42))));
    let bad: Result<Coverer, Error> = Coverer::deserialize("nobody".into_deserializer());
    assert!(bad.is_err());
}

#[test]
fn system_kinds_parse_from_either_language() {
    for kind in SystemKind::ALL {
        assert_eq!(SystemKind::parse(kind.as_str()), Ok(kind));
        assert_eq!(SystemKind::parse(kind.label_ja()), Ok(kind));
        assert_eq!(SystemKind::parse(kind.label_en()), Ok(kind));
    }
    assert_eq!(SystemKind::parse(" 電子カルテ "), Ok(SystemKind::Emr));
    assert_eq!(SystemKind::parse("ＰＡＣＳ"), Ok(SystemKind::Pacs));
    assert_eq!(
        SystemKind::parse("サーバー基盤"),
        Ok(SystemKind::ServerInfrastructure)
    );
    let err = SystemKind::parse("複合機").expect_err("unknown");
    assert!(err.message.render(Lang::Ja).contains("電子カルテ"));
    assert!(err.message.render(Lang::En).contains("emr"));
    assert_eq!(SystemKind::Network.usual_scopes(), &[Scope::Network]);
}

#[test]
fn contracts_answer_for_their_scopes_and_report_bad_fields() {
    let c = contract(11, "A社", &[Scope::Server]);
    assert!(c.answers_for(Scope::None));
    assert!(c.answers_for(Scope::All));
    assert!(c.answers_for(Scope::Server));
    assert!(!c.answers_for(Scope::Network));
    assert!(contract(1, "X", &[Scope::All]).answers_for(Scope::Network));
    assert!(c.problems().is_empty());
    let mut bad = contract(0, " ", &[Scope::None]);
    bad.start_on = Some(d(2025, 4, 1));
    bad.end_on = Some(d(2025, 3, 1));
    let paths: Vec<_> = bad.problems().into_iter().map(|p| p.path).collect();
    assert_eq!(paths, vec!["vendor_name", "id", "scopes[0]", "end_on"]);
    assert!(!bad.is_active_on(d(2025, 3, 1)));
}

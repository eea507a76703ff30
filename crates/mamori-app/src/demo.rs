//! Demo data a newcomer can log into: a hospital, a clinic, a pharmacy and a hospital in
//! another prefecture, two inspectors, two prefecture officers and a national administrator,
//! all with the password `demo-password`, a year of answers, and a security-assurance
//! programme with applicants in Tokyo and Kagoshima.

use chrono::{Duration, NaiveDate};
use mamori_catalog::Catalog;
use mamori_domain::assurance::{Contact, EmrAdoption, Participation, SurveyAnswers};
use mamori_domain::training::TrainingError;
use mamori_domain::{
    Answer, FiscalYear, InstitutionKind, ItemAnswer, ItemRole, ItemStatus, Prefecture, Role, Round,
};
use mamori_store::{AssuranceChange, NewInstitution, NewUser, RankRecord, Store};

use crate::coverage::vendor_version;
use crate::error::{Error, Refusal};
pub use crate::fiscal_years::demo_fiscal_year;
use crate::fiscal_years::version_and_rules;
use crate::passwords::hash_password;
use crate::tokens::{new_token, token_hash};
use crate::{App, ContinuityRecords, now_in_japan, today_in_japan};

pub const DEMO_PASSWORD: &str = "demo-password";

/// The demo logins, for the README and the login page: (login, Japanese description, English).
pub const DEMO_LOGINS: [(&str, &str, &str); 14] = [
    (
        "demo-hospital",
        "病院の管理者（東京都・250床・事業者契約あり）",
        "Hospital admin (Tokyo, 250 beds, vendor contracts)",
    ),
    (
        "demo-hospital-staff",
        "同じ病院の職員",
        "Staff of the same hospital",
    ),
    (
        "demo-clinic",
        "無床診療所の管理者（東京都）",
        "Clinic without beds, admin (Tokyo)",
    ),
    (
        "demo-pharmacy",
        "薬局の管理者（東京都）",
        "Pharmacy admin (Tokyo)",
    ),
    (
        "demo-hospital-46",
        "病院の管理者（鹿児島県）",
        "Hospital admin (Kagoshima)",
    ),
    (
        "demo-inspector-13",
        "立入検査担当者（東京都）",
        "Inspector (Tokyo)",
    ),
    (
        "demo-inspector-46",
        "立入検査担当者（鹿児島県）",
        "Inspector (Kagoshima)",
    ),
    (
        "demo-prefecture-13",
        "確保事業担当者（東京都）",
        "Assurance project officer (Tokyo)",
    ),
    (
        "demo-prefecture-46",
        "確保事業担当者（鹿児島県）",
        "Assurance project officer (Kagoshima)",
    ),
    (
        "demo-national",
        "厚生労働省 管理者",
        "National administrator",
    ),
    (
        "demo-vendor",
        "事業者（みなと中央病院の電子カルテ）",
        "Vendor (the Tokyo hospital's EMR)",
    ),
    (
        "demo-vendor-network",
        "事業者（みなと中央病院のネットワーク）",
        "Vendor (the Tokyo hospital's network)",
    ),
    (
        "demo-vendor-46",
        "事業者（鹿児島県の病院のネットワーク）",
        "Vendor (the Kagoshima hospital's network)",
    ),
    (
        "demo-operator",
        "支援窓口の運営者（研修・インシデント相談）",
        "Support desk operator (training, incident consultation)",
    ),
];

fn prefecture(code: &str) -> Result<Prefecture, Error> {
    Ok(Prefecture::parse(code)?)
}

/// Loads the demo data into `store` unless it is there already, with the forms of
/// `catalog`. Returns whether anything was added.
pub async fn load(store: &Store, catalog: &'static Catalog) -> Result<bool, Error> {
    seed(&App::new(store.clone(), catalog)).await
}

/// The 市区町村 of the demo's own institutions: (institution, 全国地方公共団体コード, name).
const MUNICIPALITIES: [(&str, &str, &str); 5] = [
    ("みなと中央病院", "131032", "港区"),
    ("さくら内科クリニック", "131041", "新宿区"),
    ("あおば薬局 本町店", "131130", "渋谷区"),
    ("桜島記念病院", "462012", "鹿児島市"),
    ("かもめ眼科医院", "131091", "品川区"),
];

async fn seed(app: &App) -> Result<bool, Error> {
    if app.store.user_for_login("demo-national").await?.is_some() {
        // Databases made before later parts of the demo gain them on the next start.
        let assurance = load_assurance(app).await?;
        let support = load_support(app).await?;
        let training = load_training(app).await?;
        let lecturers = load_lecturers(app).await?;
        let incidents = load_incidents(app).await?;
        return Ok(assurance || support || training || lecturers || incidents);
    }
    let hash = hash_password(DEMO_PASSWORD.to_owned()).await?;
    let tokyo = prefecture("13")?;
    let kagoshima = prefecture("46")?;
    let institution =
        |name: &str, kind, prefecture, beds, mis, vendors, code: Option<&str>| NewInstitution {
            name: name.to_owned(),
            kind,
            prefecture,
            beds,
            has_medical_information_system: mis,
            has_vendor_contracts: vendors,
            medical_institution_code: code.map(str::to_owned),
            municipality_code: MUNICIPALITIES
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|(_, c, _)| (*c).to_owned()),
            municipality_name: MUNICIPALITIES
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|(_, _, m)| (*m).to_owned())
                .unwrap_or_default(),
            address: String::new(),
        };
    let store = &app.store;
    let hospital = store
        .create_institution(
            &institution(
                "みなと中央病院",
                InstitutionKind::Hospital,
                tokyo,
                250,
                true,
                true,
                Some("1311234567"),
            ),
            None,
        )
        .await?;
    let clinic = store
        .create_institution(
            &institution(
                "さくら内科クリニック",
                InstitutionKind::ClinicWithoutBeds,
                tokyo,
                0,
                true,
                false,
                Some("1317654321"),
            ),
            None,
        )
        .await?;
    let pharmacy = store
        .create_institution(
            &institution(
                "あおば薬局 本町店",
                InstitutionKind::Pharmacy,
                tokyo,
                0,
                true,
                true,
                Some("1341234567"),
            ),
            None,
        )
        .await?;
    let hospital_46 = store
        .create_institution(
            &institution(
                "桜島記念病院",
                InstitutionKind::Hospital,
                kagoshima,
                120,
                true,
                true,
                Some("4611234567"),
            ),
            None,
        )
        .await?;
    store
        .create_institution(
            &institution(
                "かもめ眼科医院",
                InstitutionKind::ClinicWithoutBeds,
                tokyo,
                0,
                false,
                false,
                None,
            ),
            None,
        )
        .await?;
    let user = |login: &str, role, institution_id, prefecture| NewUser {
        login: login.to_owned(),
        password_hash: hash.clone(),
        role,
        institution_id,
        prefecture,
        is_demo: true,
    };
    let hospital_admin = store
        .create_user(
            &user(
                "demo-hospital",
                Role::InstitutionAdmin,
                Some(hospital),
                None,
            ),
            None,
        )
        .await?;
    let clinic_admin = store
        .create_user(
            &user("demo-clinic", Role::InstitutionAdmin, Some(clinic), None),
            None,
        )
        .await?;
    let pharmacy_admin = store
        .create_user(
            &user(
                "demo-pharmacy",
                Role::InstitutionAdmin,
                Some(pharmacy),
                None,
            ),
            None,
        )
        .await?;
    let hospital_46_admin = store
        .create_user(
            &user(
                "demo-hospital-46",
                Role::InstitutionAdmin,
                Some(hospital_46),
                None,
            ),
            None,
        )
        .await?;
    store
        .create_user(
            &user(
                "demo-hospital-staff",
                Role::InstitutionStaff,
                Some(hospital),
                None,
            ),
            None,
        )
        .await?;
    let inspector = store
        .create_user(
            &user("demo-inspector-13", Role::Inspector, None, Some(tokyo)),
            None,
        )
        .await?;
    store
        .create_user(
            &user("demo-inspector-46", Role::Inspector, None, Some(kagoshima)),
            None,
        )
        .await?;
    store
        .create_user(
            &user("demo-national", Role::NationalAdmin, None, None),
            None,
        )
        .await?;
    demo_ledger(app, hospital, hospital_admin).await?;

    let Some(year) = demo_fiscal_year(app.catalog) else {
        return Ok(true);
    };
    // The previous year is complete and was inspected; the current one is under way, with
    // the last three items of the form left for the user to fill.
    let previous = year.previous();
    if app.catalog.fiscal_years().contains(&previous) {
        fill(app, hospital, previous, hospital_admin, 0, false).await?;
        store
            .set_observation(hospital, previous, true, inspector)
            .await?;
        demo_inspection(app, hospital, previous, inspector, hospital_admin).await?;
    }
    fill(app, hospital, year, hospital_admin, 3, true).await?;
    fill(app, clinic, year, clinic_admin, 0, true).await?;
    fill(app, pharmacy, year, pharmacy_admin, 5, false).await?;
    fill(app, hospital_46, year, hospital_46_admin, 8, false).await?;
    vendors(
        app,
        hospital,
        hospital_admin,
        hospital_46,
        hospital_46_admin,
        year,
        &hash,
    )
    .await?;
    load_assurance(app).await?;
    load_support(app).await?;
    load_training(app).await?;
    load_lecturers(app).await?;
    load_incidents(app).await?;
    Ok(true)
}

/// The Tokyo hospitals that answered the demo survey: (name, code, beds, answers as
/// emr / participation / renewal planned / on-site survey by January).
/// (name, code, beds, emr, participation, renewal planned, on-site survey by January)
type Applicant = (
    &'static str,
    &'static str,
    i64,
    EmrAdoption,
    Participation,
    bool,
    Option<bool>,
);

const ASSURANCE_APPLICANTS: [Applicant; 6] = [
    (
        "東京湾岸総合病院",
        "1311000011",
        480,
        EmrAdoption::Full,
        Participation::Both,
        false,
        None,
    ),
    (
        "多摩川記念病院",
        "1311000029",
        180,
        EmrAdoption::Partial,
        Participation::NetworkOnly,
        false,
        None,
    ),
    (
        "品川ベイ病院",
        "1311000037",
        150,
        EmrAdoption::Full,
        Participation::Both,
        false,
        None,
    ),
    (
        "武蔵野中央病院",
        "1311000045",
        320,
        EmrAdoption::Full,
        Participation::Both,
        true,
        Some(false),
    ),
    (
        "城北リハビリテーション病院",
        "1311000053",
        90,
        EmrAdoption::None,
        Participation::Both,
        false,
        None,
    ),
    (
        "葛飾さくら病院",
        "1311000061",
        60,
        EmrAdoption::Full,
        Participation::BackupOnly,
        false,
        None,
    ),
];

/// The support desk's demo: its operator, who runs the training sessions and the
/// インシデントかも? consultation desk.
async fn load_support(app: &App) -> Result<bool, Error> {
    let store = &app.store;
    if store.user_for_login("demo-operator").await?.is_some() {
        return Ok(false);
    }
    let hash = hash_password(DEMO_PASSWORD.to_owned()).await?;
    store
        .create_user(
            &NewUser {
                login: "demo-operator".to_owned(),
                password_hash: hash,
                role: Role::SupportOperator,
                institution_id: None,
                prefecture: None,
                is_demo: true,
            },
            None,
        )
        .await?;
    Ok(true)
}

/// The security-assurance demo: the prefecture officers, a programme in the demo year open
/// for sixty more days, quotas near the national target, Tokyo's applicants ranked (みなと中央
/// 病院 has not answered yet, for a newcomer to try) and Kagoshima's one applicant.
async fn load_assurance(app: &App) -> Result<bool, Error> {
    use mamori_domain::assurance::{BedBands, QuotaTable, RankReason};
    let store = &app.store;
    if store.user_for_login("demo-prefecture-13").await?.is_some() {
        return Ok(false);
    }
    let Some(national) = store.user_for_login("demo-national").await? else {
        return Ok(false);
    };
    let national = national.0.principal();
    let hash = hash_password(DEMO_PASSWORD.to_owned()).await?;
    let tokyo = prefecture("13")?;
    let kagoshima = prefecture("46")?;
    for (login, p) in [
        ("demo-prefecture-13", tokyo),
        ("demo-prefecture-46", kagoshima),
    ] {
        store
            .create_user(
                &NewUser {
                    login: login.to_owned(),
                    password_hash: hash.clone(),
                    role: Role::PrefectureOfficer,
                    institution_id: None,
                    prefecture: Some(p),
                    is_demo: true,
                },
                None,
            )
            .await?;
    }
    let Some(year) = demo_fiscal_year(app.catalog) else {
        return Ok(true);
    };
    let today = today_in_japan();
    let onsite = NaiveDate::from_ymd_opt(year.start_year() + 1, 1, 31)
        .ok_or_else(|| Error::Internal("January 31".into()))?;
    let mut quotas = QuotaTable::new();
    for p in Prefecture::all() {
        let counts = match p.code().as_str() {
            "13" => vec![2, 1, 1],
            "46" => vec![1, 1, 0],
            _ => vec![30, 10, 3],
        };
        quotas.insert(p, counts);
    }
    store
        .create_program(
            &mamori_store::NewProgram {
                fiscal_year: year,
                bands: BedBands::standard(),
                deadline: today + Duration::days(60),
                onsite_survey_deadline: onsite,
                allow_backup_only: false,
                quotas,
                excluded: Vec::new(),
            },
            national.user_id,
        )
        .await?;
    let mut ids = Vec::new();
    for (n, (name, code, beds, emr, participation, renewal, onsite_ok)) in
        ASSURANCE_APPLICANTS.into_iter().enumerate()
    {
        let institution = store
            .create_institution(
                &NewInstitution {
                    name: name.to_owned(),
                    kind: InstitutionKind::Hospital,
                    prefecture: tokyo,
                    beds,
                    has_medical_information_system: true,
                    has_vendor_contracts: true,
                    medical_institution_code: Some(code.to_owned()),
                    municipality_code: None,
                    municipality_name: String::new(),
                    address: String::new(),
                },
                None,
            )
            .await?;
        let answers = survey_answers(
            emr,
            beds,
            participation,
            renewal,
            onsite_ok,
            contact(
                &format!("情報システム担当 {}", n + 1),
                &format!("03-5555-01{n:02}"),
                &format!("it{}@hospital{}.example.jp", n + 1, n + 1),
            )?,
        )?;
        ids.push(apply(store, national.user_id, year, tokyo, institution, answers).await?);
    }
    let reasons = |n: usize| match n {
        0 => vec![RankReason::RegionalEmergencyRole],
        2 => vec![RankReason::WeakSecurityAtInspection],
        _ => Vec::new(),
    };
    let ranking = ids
        .iter()
        .enumerate()
        .map(|(n, id)| RankRecord {
            application_id: *id,
            rank: u32::try_from(n + 1).unwrap_or(u32::MAX),
            reasons: reasons(n),
            decision: None,
        })
        .collect();
    rank(store, national.user_id, year, tokyo, ranking).await?;
    // Kagoshima's hospital answered and is ranked first.
    if let Some(hospital_46) = store
        .list_institutions(
            mamori_domain::InstitutionScope::Prefecture(kagoshima),
            10,
            0,
        )
        .await?
        .into_iter()
        .find(|i| i.kind == InstitutionKind::Hospital)
    {
        let answers = survey_answers(
            EmrAdoption::Full,
            hospital_46.beds,
            Participation::Both,
            false,
            None,
            contact("医事課 古川", "099-286-0000", "it@sakurajima.example.jp")?,
        )?;
        let id = apply(
            store,
            national.user_id,
            year,
            kagoshima,
            hospital_46.id,
            answers,
        )
        .await?;
        rank(
            store,
            national.user_id,
            year,
            kagoshima,
            vec![RankRecord {
                application_id: id,
                rank: 1,
                reasons: vec![RankReason::WithdrewLastYearAfterPreSurvey],
                decision: None,
            }],
        )
        .await?;
    }
    Ok(true)
}

/// A demo applicant's answers to the survey.
fn survey_answers(
    emr: EmrAdoption,
    beds: i64,
    participation: Participation,
    renewal_planned: bool,
    onsite_survey_by_january: Option<bool>,
    contact: Contact,
) -> Result<SurveyAnswers, Error> {
    Ok(SurveyAnswers {
        emr,
        beds: u32::try_from(beds).map_err(|_| Error::Internal(format!("demo beds {beds}")))?,
        participation,
        gmis_reuse_consent: true,
        renewal_planned,
        onsite_survey_by_january: onsite_survey_by_january.filter(|_| renewal_planned),
        contact,
    })
}

fn contact(name: &str, phone: &str, email: &str) -> Result<Contact, Error> {
    Contact::new(name, phone, email).map_err(|e| match e.0.into_iter().next() {
        Some(first) => Error::Invalid(first),
        None => Error::Internal("empty contact error".into()),
    })
}

/// Stores a demo application as the national office's answer for the institution.
async fn apply(
    store: &Store,
    actor: i64,
    year: FiscalYear,
    prefecture: Prefecture,
    institution_id: i64,
    answers: SurveyAnswers,
) -> Result<i64, Error> {
    store
        .change_survey(year, prefecture, actor, |_| {
            Ok::<_, std::convert::Infallible>(AssuranceChange::CreateApplication {
                institution_id,
                answers,
            })
        })
        .await?
        .unwrap_or_else(|never| match never {})
        .ok_or_else(|| Error::Internal("no application id".into()))
}

/// Stores a prefecture's demo ranking, best first.
async fn rank(
    store: &Store,
    actor: i64,
    year: FiscalYear,
    prefecture: Prefecture,
    mut ranking: Vec<RankRecord>,
) -> Result<(), Error> {
    ranking.sort_by_key(|r| r.rank);
    store
        .change_survey(year, prefecture, actor, |_| {
            Ok::<_, std::convert::Infallible>(AssuranceChange::SetRanking(ranking))
        })
        .await?
        .unwrap_or_else(|never| match never {});
    Ok(())
}

/// A training rule's refusal (the demo's sessions are made to pass them).
fn training_error(e: &TrainingError) -> Error {
    let refusal = match e {
        TrainingError::NotYours => Refusal::NotFound,
        _ => Refusal::Conflict,
    };
    Error::rejected(refusal, crate::ErrorCode::of_rule(e.code()), e.message())
}

/// Two vendor organisations, each serving one hospital; the Tokyo hospital's EMR vendor has
/// filled most of its 事業者確認用, and the hospital has its contact chart and backup / BCP
/// records.
async fn vendors(
    app: &App,
    hospital: i64,
    hospital_admin: i64,
    hospital_46: i64,
    hospital_46_admin: i64,
    year: FiscalYear,
    hash: &str,
) -> Result<(), Error> {
    use mamori_domain::Scope;
    use mamori_domain::vendor::SystemKind;
    use mamori_store::{Joining, NewContract, NewInvitation};
    let store = &app.store;
    let expires = (chrono::Utc::now() + Duration::days(14))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut contract_of = Vec::new();
    // The network contract is new this year.
    for (institution, admin, name, systems, scopes, login, start_on) in [
        (
            hospital,
            hospital_admin,
            "東和メディカルシステム株式会社",
            vec![SystemKind::Emr],
            vec![Scope::Server, Scope::Pc],
            Some("demo-vendor"),
            None,
        ),
        (
            hospital,
            hospital_admin,
            "みなとネットワークサービス",
            vec![SystemKind::Network],
            vec![Scope::Network],
            Some("demo-vendor-network"),
            Some(year.first_day()),
        ),
        (
            hospital_46,
            hospital_46_admin,
            "南州ネットワーク株式会社",
            vec![SystemKind::Network],
            vec![Scope::Network],
            Some("demo-vendor-46"),
            None,
        ),
    ] {
        let token = new_token();
        let contract = NewContract {
            vendor_name: name.to_owned(),
            systems,
            remote_maintenance: true,
            scopes,
            start_on,
            end_on: None,
        };
        let invitation = NewInvitation {
            token_hash: token_hash(&token),
            email: format!("support-{institution}@example.jp"),
            expires_at: expires.clone(),
        };
        let id = store
            .create_vendor_contract(institution, &contract, Some(&invitation), admin)
            .await?;
        if let Some(login) = login {
            let joining = Joining::NewUser {
                login: login.to_owned(),
                password_hash: hash.to_owned(),
                is_demo: true,
            };
            let accepted = store
                .accept_vendor_invitation(&invitation.token_hash, &joining)
                .await?
                .map_err(|r| Error::Internal(format!("demo invitation refused: {r:?}")))?;
            contract_of.push((id, accepted.user_id, institution));
        }
    }
    // The Tokyo hospital's vendors answered their forms of every year their contract ran
    // (last year was inspected), so the hospital is as near to ready as before.
    for (fy, &(contract, vendor_user, institution)) in [year.previous(), year]
        .into_iter()
        .flat_map(|fy| contract_of.iter().map(move |c| (fy, c)))
        .filter(|(_, c)| c.2 == hospital)
    {
        let Ok(version) = vendor_version(app, fy) else {
            continue;
        };
        if !app.catalog.fiscal_years().contains(&fy) {
            continue;
        }
        let scoped = store
            .vendor_contract(contract)
            .await?
            .ok_or(Error::NotFound)?;
        let checked_on = (fy.first_day() + Duration::days(40)).min(today_in_japan());
        if !scoped.contract.is_active_in(fy) {
            continue;
        }
        let items = version
            .items
            .iter()
            .filter(|i| scoped.contract.answers_for(i.scope));
        for item in items {
            let answer = ItemAnswer {
                answer: Answer::Yes,
                checked_on,
                target_date: None,
            };
            store
                .set_vendor_answer(
                    contract,
                    institution,
                    fy,
                    &item.key,
                    Round::First,
                    &answer,
                    vendor_user,
                    &|_| Ok(()),
                )
                .await??;
        }
    }
    let first = contract_of.first().map(|c| c.0).unwrap_or_default();
    // The EMR vendor handed over its MDS at the start of the year.
    if let Some(&(contract, vendor_user, institution)) = contract_of.first() {
        store
            .add_vendor_delivery(
                contract,
                institution,
                "mds",
                (year.first_day() + Duration::days(30)).min(today_in_japan()),
                "MDS_東和メディカルシステム_電子カルテ.pdf",
                &demo_mds_pdf(),
                vendor_user,
            )
            .await?;
    }
    let chart: mamori_domain::contact_chart::ContactChartInput = serde_json::from_value(
        serde_json::json!({
            "institution_name": "みなと中央病院",
            "revised_on": year.first_day().to_string(),
            "internal": [
                {"roles": ["administrator"], "title": "院長", "name": "港 太郎", "phones": ["03-1234-5601"], "hours": "平日 8:30-17:30"},
                {"roles": ["security_manager"], "title": "医療情報部長", "name": "中央 花子", "phones": ["03-1234-5602", "090-1234-5678"], "email": "security@minato-hp.example.jp", "hours": "24時間"},
                {"roles": ["on_call"], "title": "夜間・休日当番", "name": "当直管理者", "phones": ["03-1234-5699"], "hours": "24時間365日"}
            ],
            "vendors": [
                {"contract_id": first, "name": "保守センター", "organisation": "東和メディカルシステム株式会社", "phones": ["0120-123-456"], "email": "support@towa-medical.example.jp", "hours": "24時間365日"}
            ],
            "outside": [
                {"body": "mhlw", "organisation": "厚生労働省 医政局 特定医薬品開発支援・医療情報担当参事官室", "phones": ["03-5253-1111"]},
                {"body": "prefecture", "organisation": "東京都 保健医療局 医療政策部", "phones": ["03-5321-1111"], "hours": "平日 9:00-17:45"},
                {"body": "police", "organisation": "警視庁 サイバー犯罪対策課 相談窓口", "phones": ["03-5805-1731"], "hours": "平日 8:30-17:15"},
                {"body": "insurer", "organisation": "みなと損害保険 サイバー保険事故受付", "phones": ["0120-987-654"], "hours": "24時間"}
            ],
            "call_order": []
        }),
    )
    .map_err(|e| Error::Internal(format!("demo contact chart: {e}")))?;
    let contracts: Vec<_> = store
        .vendor_contracts_of_institution(hospital)
        .await?
        .into_iter()
        .map(|c| c.contract)
        .collect();
    let chart = chart
        .parse(&contracts)
        .map_err(|p| Error::Internal(format!("demo contact chart: {p:?}")))?;
    let json = serde_json::to_string(&chart).map_err(|e| Error::Internal(e.to_string()))?;
    store
        .put_contact_chart(hospital, &json, None, hospital_admin)
        .await?;
    let today = today_in_japan();
    let records = serde_json::json!({
        "backups": [
            {"systems": ["emr"], "data": "電子カルテDB", "locations": ["offline", "offsite"], "write_once": true, "generations": 7, "encrypted": true, "frequency": "daily",
             "last_restore_test": {"on": (today - Duration::days(120)).to_string(), "duration_minutes": 180, "succeeded": true}, "notes": ""},
            {"systems": ["pacs"], "data": "画像データ", "locations": ["onsite"], "write_once": false, "generations": 2, "encrypted": false, "frequency": "weekly",
             "last_restore_test": {"on": (today - Duration::days(500)).to_string(), "duration_minutes": 600, "succeeded": true}, "notes": ""}
        ],
        "bcp": {"state": "drafting", "target": year.last_day().to_string(), "last_drill": null, "notes": "サイバー攻撃を想定したBCPを策定中"}
    });
    let records: ContinuityRecords = serde_json::from_value(records)
        .map_err(|e| Error::Internal(format!("demo continuity records: {e}")))?;
    let json = serde_json::to_string(&records).map_err(|e| Error::Internal(e.to_string()))?;
    store
        .put_continuity_records(
            hospital,
            (
                &json,
                mamori_domain::continuity::restore_test_due(&records.backups),
            ),
            None,
            hospital_admin,
        )
        .await?;
    Ok(())
}

/// A one-page PDF standing in for the demo vendor's MDS.
pub fn demo_mds_pdf() -> Vec<u8> {
    mamori_reports::document::simple_pdf(&[
        "MDS - Manufacturer Disclosure Statement",
        "Towa Medical System - electronic medical record - demo document",
    ])
}

/// Answers the required items of an institution's form, leaving the last `leave_open`
/// unanswered; with `with_no`, one item is いいえ with a target date.
async fn fill(
    app: &App,
    institution_id: i64,
    year: FiscalYear,
    actor: i64,
    leave_open: usize,
    with_no: bool,
) -> Result<(), Error> {
    let institution = app
        .store
        .institution(institution_id)
        .await?
        .ok_or(Error::NotFound)?;
    let (version, _) = version_and_rules(app, &institution, year)?;
    let profile = institution.profile();
    let required: Vec<_> = version
        .items
        .iter()
        .filter(|i| version.status_of(i, year, &profile) == ItemStatus::Required)
        .collect();
    let today = today_in_japan();
    let end = year.last_day().min(today);
    let checked_on: NaiveDate = (year.first_day() + Duration::days(45)).min(end);
    let count = required.len().saturating_sub(leave_open);
    for (n, item) in required.into_iter().take(count).enumerate() {
        let is_no = with_no && n == 3 && item.has_target_date;
        let answer = ItemAnswer {
            answer: if is_no { Answer::No } else { Answer::Yes },
            checked_on,
            target_date: is_no.then(|| (checked_on + Duration::days(120)).min(year.last_day())),
        };
        app.store
            .set_answer(
                institution_id,
                year,
                &item.key,
                Round::First,
                &answer,
                actor,
            )
            .await?;
    }
    Ok(())
}

/// The demo hospital's device ledger (機器台帳): a vendor-maintained FortiGate on an old
/// FortiOS (the way in of the Handa and Osaka cases), a Yamaha router, an electronic medical
/// record server, Windows PCs and a modality workstation.
async fn demo_ledger(app: &App, hospital: i64, admin: i64) -> Result<(), Error> {
    use mamori_domain::device::{LedgerColumn as C, parse_row};
    let today = today_in_japan();
    let days_ago = |n: i64| (today - Duration::days(n)).format("%Y-%m-%d").to_string();
    let vendor = "東和メディカルシステム株式会社";
    let rows: Vec<Vec<(C, String)>> = vec![
        vec![
            (C::AssetNumber, "NW-001".into()),
            (C::Kind, "VPN装置".into()),
            (C::Maker, "Fortinet".into()),
            (C::Model, "FortiGate-60E".into()),
            (C::Os, "FortiOS".into()),
            (C::FirmwareVersion, "6.0.4".into()),
            (C::IpAddress, "203.0.113.10\n192.168.10.1".into()),
            (C::Location, "1階 サーバ室".into()),
            (C::RegisteredOn, "2018-04-01".into()),
            (
                C::Description,
                "電子カルテ保守用 VPN 装置（事業者が設置）".into(),
            ),
            (C::RemoteMaintenance, "はい".into()),
            (C::MaintenanceVendor, vendor.into()),
            (C::RemoteAccess, "VPN".into()),
            (C::SecurityUpdatesInContract, "いいえ".into()),
            (C::LastPatchedOn, "2019-06-20".into()),
            (C::AlwaysOnConnection, "はい".into()),
        ],
        vec![
            (C::AssetNumber, "NW-002".into()),
            (C::Kind, "ネットワーク機器".into()),
            (C::Maker, "ヤマハ".into()),
            (C::Model, "RTX1210".into()),
            (C::FirmwareVersion, "Rev.14.01.38".into()),
            (C::IpAddress, "192.168.1.1".into()),
            (C::Location, "1階 サーバ室".into()),
            (C::RegisteredOn, "2020-10-01".into()),
            (C::Description, "院内LAN ルータ".into()),
            (C::LastPatchedOn, days_ago(200)),
        ],
        vec![
            (C::AssetNumber, "SV-001".into()),
            (C::Kind, "サーバ".into()),
            (C::Maker, "富士通".into()),
            (C::Model, "PRIMERGY RX2530 M4".into()),
            (C::Os, "Windows Server 2012 R2".into()),
            (C::Software, "電子カルテシステム\nSQL Server 2014".into()),
            (C::SoftwareVersion, "5.2\n12.0".into()),
            (C::IpAddress, "192.168.10.20".into()),
            (C::ComputerName, "EMR-SV01".into()),
            (C::Location, "1階 サーバ室".into()),
            (C::User, "医療情報システム室".into()),
            (C::RegisteredOn, "2017-04-01".into()),
            (C::Description, "電子カルテ サーバ".into()),
            (C::RemoteMaintenance, "はい".into()),
            (C::MaintenanceVendor, vendor.into()),
            (C::RemoteAccess, "事業者閉域網".into()),
            (C::SecurityUpdatesInContract, "はい".into()),
            (C::LastPatchedOn, days_ago(40)),
        ],
        vec![
            (C::AssetNumber, "PC-001".into()),
            (C::Kind, "端末PC".into()),
            (C::Maker, "NEC".into()),
            (C::Model, "Mate MKL44".into()),
            (C::Os, "Windows 10 Pro 22H2".into()),
            (C::IpAddress, "DHCP".into()),
            (C::ComputerName, "NS-PC01".into()),
            (C::Location, "3階 ナースステーション".into()),
            (C::User, "看護部".into()),
            (C::RegisteredOn, "2019-04-01".into()),
            (C::LastPatchedOn, days_ago(30)),
        ],
        vec![
            (C::AssetNumber, "PC-002".into()),
            (C::Kind, "端末PC".into()),
            (C::Maker, "NEC".into()),
            (C::Model, "Mate MKL44".into()),
            (C::Os, "Windows 10 Pro 21H2".into()),
            (C::IpAddress, "DHCP".into()),
            (C::ComputerName, "RECEPT-PC01".into()),
            (C::Location, "1階 受付".into()),
            (C::User, "医事課".into()),
            (C::RegisteredOn, "2019-04-01".into()),
            (C::LastPatchedOn, "2023-02-14".into()),
        ],
        vec![
            (C::AssetNumber, "PC-003".into()),
            (C::Kind, "端末PC".into()),
            (C::Maker, "Dell".into()),
            (C::Model, "OptiPlex 7010".into()),
            (C::Os, "Windows 11 Pro 25H2".into()),
            (C::IpAddress, "DHCP".into()),
            (C::ComputerName, "DR-PC01".into()),
            (C::Location, "2階 外来診察室1".into()),
            (C::User, "外来".into()),
            (C::RegisteredOn, "2025-04-01".into()),
            (C::LastPatchedOn, days_ago(12)),
        ],
        vec![
            (C::AssetNumber, "MD-001".into()),
            (C::Kind, "医療機器".into()),
            (C::Maker, "キヤノンメディカルシステムズ".into()),
            (C::Model, "CT ワークステーション".into()),
            (C::Os, "Windows 7 Professional".into()),
            (C::IpAddress, "192.168.20.31".into()),
            (C::Location, "1階 放射線科".into()),
            (C::RegisteredOn, "2016-10-01".into()),
            (C::RemoteMaintenance, "はい".into()),
            (C::MaintenanceVendor, "キヤノンメディカルシステムズ".into()),
            (C::RemoteAccess, "事業者閉域網".into()),
        ],
    ];
    let mut devices = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let device = parse_row(i + 2, row).map_err(|errors| {
            Error::Internal(format!("demo ledger row {}: {:?}", i + 2, errors))
        })?;
        devices.push(device);
    }
    app.store.import_devices(hospital, &devices, admin).await?;
    Ok(())
}

/// (title ja, title en, audience, format, description ja, description en): the FY2023 courses
/// of the national training as the end of seed 002 lists them.
type DemoCourse = (
    &'static str,
    &'static str,
    mamori_domain::training::Audience,
    mamori_domain::training::Format,
    &'static str,
    &'static str,
);

const DEMO_COURSES: [DemoCourse; 5] = {
    use mamori_domain::training::{Audience, Format};
    [
        (
            "導入研修 – 立入検査対策コース –",
            "Introductory course: preparing for the on-site inspection",
            Audience::Introductory,
            Format::Online,
            "「医療機関におけるサイバーセキュリティ対策チェックリスト」に基づいた立入検査に備える研修です。受講料無料。",
            "Preparing for the on-site inspection with the cybersecurity checklist. Free of charge.",
        ),
        (
            "初学者等向け研修（ワークショップ）",
            "Training for beginners (workshop)",
            Audience::Beginner,
            Format::Workshop,
            "「今、実施しているセキュリティの工夫」「セキュリティの悩み」等をテーマにグループ単位で議論し情報共有を行います。",
            "Group discussion of the security habits in place and the worries, sharing what works.",
        ),
        (
            "経営者向け研修（オンライン）",
            "Training for executives (online)",
            Audience::Executive,
            Format::Online,
            "インシデント事例から、経営者として必要なサイバーセキュリティの意識と知識を学習します。",
            "From incident cases, the awareness and knowledge an executive needs.",
        ),
        (
            "経営者向け研修（現地視察）",
            "Training for executives (site visit)",
            Audience::Executive,
            Format::SiteVisit,
            "大阪急性期・総合医療センターの視察およびインシデントの概要、ITガバナンスの重要性について学習します。",
            "A visit to Osaka General Medical Center: the incident and the importance of IT governance.",
        ),
        (
            "システム・セキュリティ管理者向け研修（オンライン）",
            "Training for system and security managers (online)",
            Audience::Manager,
            Format::Online,
            "現在あるIT資産を活用したセキュリティ対策、Active Directory入門、認証・認可や特権管理の重要性を学習します。",
            "Security with the IT you already have: Active Directory, authentication, authorisation, privileged access.",
        ),
    ]
};

/// The training demo: the courses, four upcoming sessions (the beginners' workshop has one
/// seat left, to try the waitlist), and a past session whose attendance is recorded, so that
/// the 480-bed applicant hospital's record shows the yearly training done.
async fn load_training(app: &App) -> Result<bool, Error> {
    use mamori_domain::training::{ParticipantName, SessionRules};
    let store = &app.store;
    if !store.training_courses().await?.is_empty() {
        return Ok(false);
    }
    let Some((operator, _)) = store.user_for_login("demo-operator").await? else {
        return Ok(false);
    };
    let mut courses = Vec::new();
    for (title_ja, title_en, audience, format, description_ja, description_en) in DEMO_COURSES {
        courses.push(
            store
                .create_training_course(
                    &mamori_store::NewCourse {
                        title_ja: title_ja.into(),
                        title_en: title_en.into(),
                        audience,
                        format,
                        description_ja: description_ja.into(),
                        description_en: description_en.into(),
                    },
                    Some(operator.id),
                )
                .await?,
        );
    }
    let now = now_in_japan();
    let at = |days: i64, hour: u32| -> Result<chrono::NaiveDateTime, Error> {
        (now.date() + Duration::days(days))
            .and_hms_opt(hour, 0, 0)
            .ok_or_else(|| Error::Internal("demo time".into()))
    };
    let online = "オンライン（Zoom）";
    // (course, start day, start hour, hours, deadline day, capacity, venue)
    let plan: [(usize, i64, u32, i64, i64, i64, &str); 5] = [
        (0, 21, 16, 2, 15, 100, online),
        (
            1,
            30,
            14,
            2,
            25,
            3,
            "東京都千代田区（会場は申込者に別途連絡）",
        ),
        (2, 45, 16, 2, 38, 80, online),
        (3, 60, 13, 3, 45, 20, "大阪急性期・総合医療センター"),
        (4, -40, 16, 2, -47, 60, online),
    ];
    let mut sessions = Vec::new();
    for (course, day, hour, hours, deadline_day, capacity, venue) in plan {
        let starts = at(day, hour)?;
        let rules = SessionRules::new(
            starts,
            starts + Duration::hours(hours),
            at(deadline_day, 13)?,
            capacity,
        )?;
        sessions.push(
            store
                .create_training_session(
                    &mamori_store::NewSession {
                        course_id: courses[course],
                        rules,
                        venue: venue.into(),
                    },
                    Some(operator.id),
                )
                .await?
                .map_err(|e| training_error(&e))?,
        );
    }
    let user = |login: &'static str| async move {
        store
            .user_for_login(login)
            .await?
            .map(|(u, _)| u)
            .ok_or_else(|| Error::Internal(format!("demo user {login}")))
    };
    let hospital_46 = user("demo-hospital-46").await?;
    let clinic = user("demo-clinic").await?;
    let hospital = user("demo-hospital").await?;
    let place = |institution: Option<i64>| {
        institution.ok_or_else(|| Error::Internal("demo institution user".into()))
    };
    // Two of the workshop's three seats are taken; the hospital has one on the inspection course.
    for (session, who, name, when) in [
        (sessions[1], &hospital_46, "西郷 花子", now),
        (sessions[1], &clinic, "田中 一郎", now),
        (sessions[0], &hospital, "山田 太郎", now),
    ] {
        let name = ParticipantName::parse(name)?;
        store
            .register_for_training(session, place(who.institution_id)?, &name, who.id, when)
            .await?
            .map_err(|e| training_error(&e))?;
    }
    // The past session: registered before its deadline, attendance recorded after it.
    let past = sessions[4];
    let before = at(-50, 10)?;
    let after = at(-39, 10)?;
    let big = store
        .list_institutions(mamori_domain::InstitutionScope::All, 1000, 0)
        .await?
        .into_iter()
        .find(|i| app.catalog.training_obligation.applies_to(i.kind, i.beds));
    let mut attendees = vec![(place(hospital.institution_id)?, hospital.id, "山田 太郎")];
    if let Some(big) = &big {
        attendees.push((big.id, operator.id, "情報システム担当 1"));
    }
    for (institution, actor, name) in attendees {
        let name = ParticipantName::parse(name)?;
        let registered = store
            .register_for_training(past, institution, &name, actor, before)
            .await?
            .map_err(|e| training_error(&e))?;
        store
            .set_training_attendance(registered.id, true, operator.id, after)
            .await?
            .map_err(|e| training_error(&e))?;
    }
    Ok(true)
}

/// The list of lecturers and technicians (講師・技術者リスト): a lecturer and a technician, so
/// that the library page shows the list and the operator has entries to edit.
async fn load_lecturers(app: &App) -> Result<bool, Error> {
    let store = &app.store;
    if !store.training_lecturers().await?.is_empty() {
        return Ok(false);
    }
    let Some((operator, _)) = store.user_for_login("demo-operator").await? else {
        return Ok(false);
    };
    for (name, kind, affiliation, fields) in [
        (
            "高橋 誠",
            "lecturer",
            "医療情報セキュリティ研究会",
            "経営層向け研修、インシデント事例、BCP",
        ),
        (
            "中村 由紀",
            "technician",
            "初動対応支援チーム",
            "ランサムウェア初動対応、VPN装置の点検、ログ保全",
        ),
    ] {
        store
            .add_training_lecturer(
                &mamori_store::NewLecturer {
                    name: name.into(),
                    kind: kind.into(),
                    affiliation: affiliation.into(),
                    fields: fields.into(),
                },
                operator.id,
            )
            .await?;
    }
    Ok(true)
}

/// The consultation desk's demo case (インシデントかも?): the demo hospital's maintenance
/// vendor warned that the FortiGate VPN device of its ledger (NW-001, FortiOS 6.0.4) has a
/// vulnerability being exploited; the desk has taken the case up (対応中) and left a note, and
/// the hospital answered. Only on a database without any case, so that real cases are never
/// mixed with it.
async fn load_incidents(app: &App) -> Result<bool, Error> {
    use mamori_domain::incident::{CaseState, ReportInput, check_transition, urgency};
    use mamori_store::{CaseScope, NoteSide};
    let store = &app.store;
    if !store.incidents(CaseScope::Desk, None, 1).await?.is_empty() {
        return Ok(false);
    }
    let (Some((operator, _)), Some((reporter, _))) = (
        store.user_for_login("demo-operator").await?,
        store.user_for_login("demo-hospital").await?,
    ) else {
        return Ok(false);
    };
    let Some(hospital) = reporter.institution_id else {
        return Ok(false);
    };
    let now = now_in_japan();
    let input = ReportInput {
        symptoms: vec!["vendor_warning".into()],
        systems: vec!["network".into()],
        started_at: (now - Duration::days(2))
            .format("%Y-%m-%dT09:30")
            .to_string(),
        care_affected: "no".into(),
        details: "保守事業者（東和メディカルシステム）から電話。電子カルテ保守用のVPN装置 FortiGate-60E（資産番号 NW-001、FortiOS 6.0.4）に、攻撃に悪用されている脆弱性があるとの連絡。不審な通信は今のところ確認されていない。".into(),
        callback_phone: "03-1234-5678".into(),
    };
    let report = input.parse(now).map_err(|problems| {
        Error::Internal(format!("demo incident: {} problem(s)", problems.len()))
    })?;
    let level = urgency(&report);
    let case = store
        .create_incident(hospital, &report, level, reporter.id)
        .await?;
    store
        .set_incident_state(
            CaseScope::Desk,
            case,
            CaseState::InProgress,
            operator.id,
            |from| check_transition(from, CaseState::InProgress),
        )
        .await?
        .map_err(|e| Error::Internal(e.message().render(mamori_locale::Lang::En)))?;
    for (side, body, actor) in [
        (
            NoteSide::Desk,
            "事業者に FortiOS の更新（修正版への更新）と管理者パスワードの変更を依頼してください。更新までの間、VPN装置の外部からの管理画面アクセスを止め、ログを保全してください。本日中に技術者から連絡します。",
            operator.id,
        ),
        (
            NoteSide::Institution,
            "事業者が明日午前に更新作業を行います。ログは事業者が保全済みです。",
            reporter.id,
        ),
    ] {
        store
            .add_incident_note(CaseScope::Desk, case, side, body, actor)
            .await?;
    }
    Ok(true)
}

/// The hospital's inspection of `fiscal_year`: held in December, a 助言 on the passwords and
/// a 指導 on the backups, notified, and the improvement report accepted.
async fn demo_inspection(
    app: &App,
    hospital: i64,
    fiscal_year: FiscalYear,
    inspector: i64,
    hospital_admin: i64,
) -> Result<(), Error> {
    use mamori_domain::follow_up::{
        ImprovementReport, InspectionSchedule, RemarkLevel, ReportDecision,
    };
    let store = &app.store;
    let institution = store.institution(hospital).await?.ok_or(Error::NotFound)?;
    let (version, _) = version_and_rules(app, &institution, fiscal_year)?;
    let year = fiscal_year.start_year();
    let held = NaiveDate::from_ymd_opt(year, 12, 10).ok_or(Error::NotFound)?;
    let refused = |_| Error::Internal("the demo inspection was refused".into());
    store
        .schedule_inspection(
            hospital,
            fiscal_year,
            &InspectionSchedule {
                date: held,
                starts_at: chrono::NaiveTime::from_hms_opt(10, 0, 0),
                inspectors: vec!["佐藤 一郎".into(), "鈴木 花子".into()],
            },
            inspector,
        )
        .await?
        .map_err(refused)?;
    let remarks = [
        (
            ItemRole::PasswordRules,
            RemarkLevel::Advice,
            "保守用端末のパスワードも規程に合わせて変更するとよい",
        ),
        (
            ItemRole::Backup,
            RemarkLevel::Guidance,
            "バックアップからの復旧手順が試されていない",
        ),
    ];
    let mut guidance = None;
    for (role, level, note) in remarks {
        let Some(item) = version.item_with_role(role) else {
            continue;
        };
        store
            .record_remark(hospital, fiscal_year, &item.key, level, note, inspector)
            .await?
            .map_err(refused)?;
        if level == RemarkLevel::Guidance {
            guidance = Some(item.key.clone());
        }
    }
    store
        .notify_result(
            hospital,
            fiscal_year,
            "概ね適切に対策されている。バックアップの復旧訓練を実施すること",
            held,
            inspector,
        )
        .await?
        .map_err(refused)?;
    if let Some(key) = guidance {
        let report = ImprovementReport {
            action_taken:
                "電子カルテのバックアップから検証用サーバへの復旧を試し、手順書を改訂した".into(),
            done_on: held + Duration::days(40),
        };
        let id = store
            .file_improvement_report(hospital, fiscal_year, &key, &report, hospital_admin)
            .await?
            .map_err(refused)?;
        store
            .decide_improvement_report(
                hospital,
                fiscal_year,
                &key,
                id,
                ReportDecision::Accepted,
                "",
                inspector,
            )
            .await?
            .map_err(refused)?;
    }
    Ok(())
}

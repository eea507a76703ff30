//! 別紙1 export read back with calamine; 別紙2 quota import from CSV (UTF-8, Shift_JIS) and
//! .xlsx; bad inputs get their row and column.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::NaiveDate;
use mamori_domain::assurance::{
    Application, ApplicationId, BedBands, Contact, EmrAdoption, ExcludedInstitution, FlagDecision,
    Participation, Program, QuotaTable, RankEntry, RankReason, SystemRenewal, Withdrawal, select,
};
use mamori_domain::{FiscalYear, InstitutionKind, MedicalInstitutionCode, Prefecture};
use mamori_locale::Lang;
use mamori_reports::assurance_list::{
    AssuranceListError, HEADER_ROW, LIST_SHEET, LIST_TITLE, QUOTA_SHEET, RankingTarget,
    SUMMARY_SHEET, export_assurance_list, export_quotas, import_institution_list, import_quotas,
    import_ranking, list_headers, resolve_ranking,
};
use rust_xlsxwriter::Workbook;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

fn tokyo() -> Prefecture {
    Prefecture::parse("13").expect("valid")
}

fn program() -> Program {
    let mut quotas = QuotaTable::new();
    quotas.insert(tokyo(), vec![1, 1, 0]);
    Program {
        id: "r7".into(),
        title_ja: "医療機関におけるサイバーセキュリティ確保事業（令和6年度補正予算）".into(),
        title_en: "Cybersecurity assurance project (FY2024 supplementary budget)".into(),
        fiscal_year: FiscalYear::new(2025).expect("valid"),
        bands: BedBands::standard(),
        quotas,
        submission_deadline: date(2025, 3, 14),
        survey_deadline: None,
        onsite_survey_deadline: date(2026, 1, 31),
        excluded: vec![ExcludedInstitution {
            medical_institution_code: MedicalInstitutionCode::parse("1310000005").expect("valid"),
            completed_in: FiscalYear::new(2024).expect("valid"),
        }],
        allow_backup_only: false,
        accept_planned_emr: true,
        sources: vec![],
        notes: String::new(),
    }
}

fn application(id: i64, beds: u32) -> Application {
    Application {
        id: ApplicationId(id),
        prefecture: tokyo(),
        medical_institution_code: MedicalInstitutionCode::parse(&format!("131{id:07}"))
            .expect("valid"),
        institution_name: format!("都立病院{id}"),
        kind: InstitutionKind::Hospital,
        beds,
        emr: EmrAdoption::Full,
        participation: Participation::Both,
        gmis_reuse_consent: true,
        renewal: SystemRenewal::NotPlanned,
        contact: Contact::new(
            "山田 花子",
            "03-5253-1111 内線4392",
            "it@hospital.example.jp",
        )
        .expect("valid"),
        answered_on: Some(date(2025, 2, 20)),
        remarks: String::new(),
    }
}

fn applications() -> Vec<Application> {
    let mut apps = vec![
        application(1, 150),
        application(2, 120),
        application(3, 300),
        application(4, 180),
        application(5, 250),
        application(6, 500),
    ];
    apps[1].renewal = SystemRenewal::Planned {
        onsite_survey_by_deadline: Some(false),
    };
    apps[2].participation = Participation::NetworkOnly;
    apps[2].gmis_reuse_consent = false;
    apps[3].remarks = "夜間は救急外来".into();
    // 5 completed its survey in 令和6年度 (see program().excluded).
    apps
}

fn ranking() -> Vec<RankEntry> {
    let entry = |id, rank, reasons, decision| RankEntry {
        application_id: ApplicationId(id),
        rank,
        reasons,
        decision,
    };
    vec![
        entry(1, 1, vec![RankReason::RegionalEmergencyRole], None),
        entry(
            2,
            2,
            vec![RankReason::WeakSecurityAtInspection],
            Some(FlagDecision::Decline),
        ),
        entry(3, 3, vec![], None),
        entry(
            4,
            4,
            vec![
                RankReason::WithdrewLastYearAfterPreSurvey,
                RankReason::Other {
                    text: "災害拠点病院".into(),
                },
            ],
            None,
        ),
        entry(5, 5, vec![], None),
        entry(6, 6, vec![], None),
    ]
}

type Sheet = calamine::Range<Data>;

fn read(bytes: Vec<u8>) -> (Vec<String>, Xlsx<Cursor<Vec<u8>>>) {
    let workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("readable xlsx");
    (workbook.sheet_names(), workbook)
}

fn text(sheet: &Sheet, row: u32, col: u32) -> String {
    match sheet.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Float(f)) => f.to_string(),
        Some(Data::Int(i)) => i.to_string(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => format!("{other:?}"),
    }
}

fn number(sheet: &Sheet, row: u32, col: u32) -> f64 {
    match sheet.get_value((row, col)) {
        Some(Data::Float(f)) => *f,
        Some(Data::Int(i)) => *i as f64,
        other => panic!("({row}, {col}) is not a number: {other:?}"),
    }
}

#[test]
fn assurance_list_round_trips_through_calamine() {
    let program = program();
    let apps = applications();
    let withdrawals = vec![Withdrawal {
        application_id: ApplicationId(1),
        date: date(2025, 6, 10),
        reason: "電子カルテ更改と重なるため".into(),
    }];
    let selection =
        select(&program, tokyo(), &apps, &ranking(), &withdrawals).expect("valid selection");
    // Band 0 (quota 1): 1 selected, withdrew → 4 replaces it (2 was declined).
    // Band 1 (quota 1): 3 selected; 5 completed earlier. Band 2 (quota 0): 6 waits.
    assert_eq!(selection.selected, vec![ApplicationId(3), ApplicationId(4)]);

    let bytes = export_assurance_list(&program, &apps, &selection).expect("export");
    let (names, mut workbook) = read(bytes);
    assert_eq!(names, vec![LIST_SHEET.to_owned(), SUMMARY_SHEET.to_owned()]);
    let sheet = workbook.worksheet_range(LIST_SHEET).expect("sheet");

    assert_eq!(text(&sheet, 0, 0), LIST_TITLE);
    assert!(text(&sheet, 1, 0).contains("東京都"));
    assert!(text(&sheet, 1, 0).contains("令和7年度"));
    let headers = list_headers(&program);
    let col = |name: &str| -> u32 {
        let i = headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        u32::try_from(i).expect("small")
    };
    for (i, h) in headers.iter().enumerate() {
        assert_eq!(
            &text(&sheet, HEADER_ROW, u32::try_from(i).expect("small")),
            h
        );
    }
    assert!(headers.contains(&"令和7年度中のシステム更改予定".to_owned()));
    assert!(headers.contains(&"令和8年1月までの現地調査完了見込み".to_owned()));

    let row = |rank: u32| HEADER_ROW + rank;
    // One row per applicant, in rank order.
    for rank in 1..=6 {
        assert_eq!(number(&sheet, row(rank), col("順位")), f64::from(rank));
    }
    assert_eq!(text(&sheet, row(7), col("順位")), "");

    // The text cells, rank by rank. Rank 1: selected, then withdrew; replaced by 4. Rank 2:
    // declined by the prefecture on the renewal flag. Rank 3: network only, no G-MIS reuse.
    // Rank 4: selected in place of 1. Rank 6: 400+ beds, quota 0 → waits, first in its band.
    for (rank, column, expected) in [
        (1, "医療機関コード", "1310000001"),
        (1, "医療機関名", "都立病院1"),
        (1, "病床規模区分", "20〜199床"),
        (1, "選定結果", "辞退"),
        (1, "辞退理由", "電子カルテ更改と重なるため"),
        (1, "辞退後の繰上げ", "都立病院4（順位4）"),
        (1, "順位指定の理由", "地域の救急医療等の主要な役割"),
        (1, "担当者名", "山田 花子"),
        (1, "電話番号", "03-5253-1111 内線4392"),
        (2, "選定結果", "対象外"),
        (2, "支援対象要件", "非該当"),
        (2, "都道府県の判断", "選定しない"),
        (2, "令和7年度中のシステム更改予定", "あり"),
        (2, "令和8年1月までの現地調査完了見込み", "見込みなし"),
        (3, "選定結果", "支援対象"),
        (
            3,
            "(1)外部ネットワークとの接続の安全性の検証・検査",
            "希望する",
        ),
        (3, "(2)オフライン・バックアップ体制の整備", "希望しない"),
        (3, "G-MIS調査回答結果の活用", "否"),
        (4, "選定結果", "支援対象"),
        (4, "繰上げ（辞退した病院）", "都立病院1（順位1）"),
        (
            4,
            "順位指定の理由",
            "前年度事業で事前調査資料を提出後、現地調査の日程が合わず辞退\nその他（災害拠点病院）",
        ),
        (4, "特記事項", "夜間は救急外来"),
        (6, "選定結果", "次点"),
        (6, "病床規模区分", "400床以上"),
    ] {
        let got = text(&sheet, row(rank), col(column));
        assert_eq!(got, expected, "rank {rank}, {column}");
    }
    // The cells that name a reason or a check, by what they contain. Rank 5: done in an
    // earlier year.
    for (rank, column, part) in [
        (2, "要件を満たさない理由", "都道府県の判断"),
        (2, "確認事項", "令和8年1月"),
        (3, "確認事項", "両方"),
        (5, "要件を満たさない理由", "令和6年度"),
    ] {
        let got = text(&sheet, row(rank), col(column));
        assert!(got.contains(part), "rank {rank}, {column}: {got}");
    }
    assert_eq!(number(&sheet, row(1), col("病床数")), 150.0);
    match sheet.get_value((row(1), col("辞退日"))) {
        Some(Data::DateTime(d)) => {
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            assert_eq!((y, m, day), (2025, 6, 10));
        }
        other => panic!("withdrawal date is {other:?}"),
    }
    assert_eq!(number(&sheet, row(6), col("次点順位")), 1.0);

    let summary = workbook.worksheet_range(SUMMARY_SHEET).expect("summary");
    assert_eq!(text(&summary, HEADER_ROW, 0), "病床規模区分");
    assert_eq!(text(&summary, HEADER_ROW + 1, 0), "20〜199床");
    // 20〜199床: quota 1, selected 1, unused 0, waiting 0, withdrawn 1.
    let band0: Vec<f64> = (1..=5)
        .map(|c| number(&summary, HEADER_ROW + 1, c))
        .collect();
    assert_eq!(band0, vec![1.0, 1.0, 0.0, 0.0, 1.0]);
    let band2: Vec<f64> = (1..=5)
        .map(|c| number(&summary, HEADER_ROW + 3, c))
        .collect();
    assert_eq!(band2, vec![0.0, 0.0, 0.0, 1.0, 0.0]);
}

#[test]
fn export_needs_every_application_of_the_selection() {
    let program = program();
    let apps = applications();
    let selection = select(&program, tokyo(), &apps, &ranking(), &[]).expect("valid");
    let err = export_assurance_list(&program, &apps[1..], &selection).expect_err("missing");
    assert!(matches!(
        err,
        AssuranceListError::MissingApplication(ApplicationId(1))
    ));
    assert!(err.message().render(Lang::Ja).contains("申請ID 1"));
}

// ------------------------------------------------------------------ 別紙2 import

const CSV_OK: &str = "各都道府県対象数\n\
都道府県,20〜199床,200〜399床,400床以上,合計\n\
東京都,30,10,5,45\n\
46,12,3,1,16\n\
大阪,\"1,200\",０,－,1200\n\
北海道,,,,\n\
合計,1242,13,6,1261\n";

fn standard() -> BedBands {
    BedBands::standard()
}

fn quotas_of(table: &QuotaTable, code: &str) -> Option<Vec<u32>> {
    table
        .get(Prefecture::parse(code).expect("valid"))
        .map(<[u32]>::to_vec)
}

#[test]
fn quotas_from_utf8_csv() {
    let table = import_quotas(CSV_OK.as_bytes(), &standard()).expect("valid");
    assert_eq!(table.len(), 3, "北海道 has no quota given, 合計 is skipped");
    assert_eq!(quotas_of(&table, "13"), Some(vec![30, 10, 5]));
    assert_eq!(quotas_of(&table, "46"), Some(vec![12, 3, 1]));
    assert_eq!(quotas_of(&table, "27"), Some(vec![1200, 0, 0]));
    assert_eq!(quotas_of(&table, "01"), None);

    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(CSV_OK.as_bytes());
    assert_eq!(import_quotas(&with_bom, &standard()), Ok(table));
}

#[test]
fn quotas_from_shift_jis_csv() {
    let text = "都道府県コード,都道府県名,20床以上200床未満,200床以上400床未満,400床以上\r\n\
13,東京都,30,10,5\r\n\
46,鹿児島県,12,3,1\r\n";
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "really Shift_JIS");
    let table = import_quotas(&bytes, &standard()).expect("valid");
    assert_eq!(quotas_of(&table, "13"), Some(vec![30, 10, 5]));
    assert_eq!(quotas_of(&table, "46"), Some(vec![12, 3, 1]));
}

#[test]
fn quotas_round_trip_through_the_exported_xlsx() {
    let bands = standard();
    let mut table = QuotaTable::new();
    for (i, p) in Prefecture::all().enumerate() {
        let n = u32::try_from(i).expect("small");
        table.insert(p, vec![n + 10, n % 7, n % 3]);
    }
    let bytes = export_quotas(&bands, &table).expect("export");
    let (names, mut workbook) = read(bytes.clone());
    assert_eq!(names, vec![QUOTA_SHEET.to_owned()]);
    let sheet = workbook.worksheet_range(QUOTA_SHEET).expect("sheet");
    assert_eq!(text(&sheet, HEADER_ROW, 2), "20〜199床");
    assert_eq!(text(&sheet, HEADER_ROW + 13, 1), "東京都");
    assert_eq!(import_quotas(&bytes, &bands), Ok(table));

    // An empty table is a blank template: every prefecture blank, nothing to import.
    let template = export_quotas(&bands, &QuotaTable::new()).expect("export");
    let err = import_quotas(&template, &bands).expect_err("no rows");
    assert!(
        err.problems[0]
            .message()
            .render(Lang::Ja)
            .contains("1つもありません")
    );
}

#[test]
fn quotas_from_a_hand_made_xlsx() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Sheet1").expect("name");
    sheet
        .write_string(0, 1, "令和6年度補正 支援枠数")
        .expect("write");
    // Header on row 4, starting in column B; a notes column at the end.
    let heads = ["都道府県", "20～199床", "200～399床", "400床～", "備考"];
    for (c, h) in heads.iter().enumerate() {
        sheet
            .write_string(3, u16::try_from(c + 1).expect("small"), *h)
            .expect("write");
    }
    sheet.write_string(4, 1, "東京都").expect("write");
    sheet.write_number(4, 2, 30).expect("write");
    sheet.write_number(4, 3, 10).expect("write");
    sheet.write_string(4, 4, "5").expect("write");
    sheet.write_string(4, 5, "大学病院を含む").expect("write");
    sheet.write_number(5, 1, 46).expect("write");
    sheet.write_number(5, 2, 12).expect("write");
    sheet.write_number(5, 3, 0).expect("write");
    sheet.write_string(5, 4, "－").expect("write");
    let bytes = workbook.save_to_buffer().expect("save");
    let table = import_quotas(&bytes, &standard()).expect("valid");
    assert_eq!(quotas_of(&table, "13"), Some(vec![30, 10, 5]));
    assert_eq!(quotas_of(&table, "46"), Some(vec![12, 0, 0]));
}

fn problems(csv: &str) -> Vec<(Option<u32>, Option<String>, String, String)> {
    let err = import_quotas(csv.as_bytes(), &standard()).expect_err("invalid");
    assert!(!err.message().render(Lang::Ja).is_empty() && !err.to_string().is_empty());
    err.problems
        .into_iter()
        .map(|p| {
            let (ja, en) = (p.message().render(Lang::Ja), p.message().render(Lang::En));
            (p.row, p.column, ja, en)
        })
        .collect()
}

#[test]
fn bad_cells_are_named_by_row_and_column() {
    let found = problems(
        "都道府県,20〜199床,200〜399床,400床以上\n\
東京都,30,-3,5\n\
東京府,1,1,1\n\
46,1,,1\n\
27,1,2,1\n\
大阪府,1,2,3\n\
,1,2,3\n\
01,1,十,1\n",
    );
    assert_eq!(
        places(&found),
        vec![
            (Some(2), Some("C")),
            (Some(3), Some("A")),
            (Some(4), Some("C")),
            (Some(6), Some("A")),
            (Some(7), Some("A")),
            (Some(8), Some("C")),
        ]
    );
    assert!(found[0].2.starts_with("2行目 C列: "), "{}", found[0].2);
    assert!(found[0].2.contains("負の数"));
    assert!(found[0].3.starts_with("row 2, column C: "));
    assert!(found[1].2.contains("東京府"));
    assert!(found[2].2.contains("空欄"));
    assert!(
        found[3].2.contains("大阪府が2回あります（5行目と同じ）"),
        "{}",
        found[3].2
    );
    assert!(found[4].2.contains("都道府県が空欄"));
    assert!(found[5].2.contains("「十」は数値ではありません"));
}

#[test]
fn headers_must_match_the_programs_bands() {
    let found = problems("都道府県,20〜199床,200床以上\n東京都,1,2\n");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, Some(1));
    assert!(found[0].2.contains("2列あります"), "{}", found[0].2);
    assert!(found[0].2.contains("20〜199床、200〜399床、400床以上"));

    let found = problems("都道府県,20〜199床,200〜499床,500床以上\n東京都,1,2,3\n");
    let cols: Vec<_> = found.iter().map(|p| p.1.clone()).collect();
    assert_eq!(cols, vec![Some("C".to_owned()), Some("D".to_owned())]);
    assert!(
        found[0]
            .2
            .contains("2番目の病床規模区分「200〜399床」と一致しません")
    );

    let found = problems("都道府県,小規模病床,200〜399床,400床以上\n");
    assert_eq!(found[0].1.as_deref(), Some("B"));
    assert!(found[0].2.contains("病床数がありません"));

    let found = problems("県,20〜199床\n東京都,1\n");
    assert_eq!(found[0].0, None);
    assert!(found[0].2.contains("見出し行"));
    assert!(found[0].3.contains("header"));

    let found =
        problems("都道府県コード,都道府県名,20〜199床,200〜399床,400床以上\n13,大阪府,1,1,1\n");
    assert_eq!((found[0].0, found[0].1.as_deref()), (Some(2), Some("B")));
    assert!(found[0].2.contains("一致しません"));
}

#[test]
fn unreadable_files_are_rejected_clearly() {
    let err = import_quotas(b"", &standard()).expect_err("empty");
    assert!(
        err.problems[0]
            .message()
            .render(Lang::Ja)
            .contains("見出し行")
    );

    let err = import_quotas(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0], &standard()).expect_err("xls");
    assert!(err.problems[0].message().render(Lang::Ja).contains(".xls"));

    let err = import_quotas(&[0x82, 0xA0, 0xFF, 0xFE, 0x80], &standard()).expect_err("binary");
    assert!(
        err.problems[0]
            .message()
            .render(Lang::Ja)
            .contains("文字コード"),
        "{err:?}"
    );

    let err = import_quotas(b"PK\x03\x04 not really a zip", &standard()).expect_err("zip");
    assert!(
        err.problems[0]
            .message()
            .render(Lang::Ja)
            .contains("Excel ファイルを読めません")
    );
}

// ----- rankings from a spreadsheet --------------------------------------------------------

fn targets() -> Vec<RankingTarget> {
    applications()
        .iter()
        .map(|a| RankingTarget {
            application_id: a.id.0,
            medical_institution_code: Some(a.medical_institution_code.as_str().to_owned()),
            institution_name: a.institution_name.clone(),
        })
        .collect()
}

/// Where each problem is: its row and column.
fn places(
    found: &[(Option<u32>, Option<String>, String, String)],
) -> Vec<(Option<u32>, Option<&str>)> {
    found.iter().map(|p| (p.0, p.1.as_deref())).collect()
}

fn ranking_problems(csv: &str) -> Vec<(Option<u32>, Option<String>, String, String)> {
    let err = import_ranking(csv.as_bytes())
        .and_then(|file| resolve_ranking(&file, tokyo(), &targets()))
        .expect_err("refused");
    err.problems
        .into_iter()
        .map(|p| {
            let (ja, en) = (p.message().render(Lang::Ja), p.message().render(Lang::En));
            (p.row, p.column, ja, en)
        })
        .collect()
}

#[test]
fn a_ranking_is_read_by_id_or_code_with_its_reasons() {
    let csv = "申請ID,順位,順位指定の理由\n3,1,地域の救急等の主要な診療機能\n1,2,\n2,3,その他（災害拠点）\n4,4,\n5,5,weak_security_at_inspection\n6,6,\n";
    let file = import_ranking(csv.as_bytes()).expect("read");
    let resolved = resolve_ranking(&file, tokyo(), &targets()).expect("ok");
    let order: Vec<i64> = resolved.iter().map(|r| r.application_id).collect();
    assert_eq!(order, vec![3, 1, 2, 4, 5, 6]);
    assert_eq!(
        resolved[0].reasons,
        Some(vec![RankReason::RegionalEmergencyRole])
    );
    assert_eq!(resolved[1].reasons, Some(vec![]));
    assert_eq!(
        resolved[2].reasons,
        Some(vec![RankReason::Other {
            text: "災害拠点".into()
        }])
    );
    // By institution code, English headers, Shift_JIS irrelevant (ASCII), no reason column.
    let csv = "rank,institution_code\n2,1310000001\n1,1310000002\n3,1310000003\n4,1310000004\n5,1310000005\n6,1310000006\n";
    let file = import_ranking(csv.as_bytes()).expect("read");
    let resolved = resolve_ranking(&file, tokyo(), &targets()).expect("ok");
    assert_eq!(resolved[0].application_id, 2);
    assert_eq!(resolved[0].reasons, None, "no reason column: reasons kept");
}

#[test]
fn the_exported_list_reads_back_as_a_ranking() {
    let program = program();
    let apps = applications();
    let selection = select(&program, tokyo(), &apps, &ranking(), &[]).expect("selection");
    let bytes = export_assurance_list(&program, &apps, &selection).expect("export");
    let file = import_ranking(&bytes).expect("read back");
    let resolved = resolve_ranking(&file, tokyo(), &targets()).expect("ok");
    let got: Vec<(i64, u32, Option<Vec<RankReason>>)> = resolved
        .into_iter()
        .map(|r| (r.application_id, r.rank, r.reasons))
        .collect();
    let want: Vec<(i64, u32, Option<Vec<RankReason>>)> = ranking()
        .into_iter()
        .map(|e| (e.application_id.0, e.rank, Some(e.reasons)))
        .collect();
    assert_eq!(got, want, "ranks and reasons survive the round trip");
}

#[test]
fn ranking_files_name_the_row_and_column_of_each_problem() {
    // A tie (rows 3 and 4, column B) and two ids Tokyo does not know (column A), whether
    // unknown or another prefecture's: named alike, so nothing outside Tokyo is told.
    let found = ranking_problems("申請ID,順位\n1,1\n2,2\n3,2\n77,4\n99,5\n6,6\n");
    let expected = vec![
        (Some(4), Some("B")),
        (Some(5), Some("A")),
        (Some(6), Some("A")),
    ];
    assert_eq!(places(&found), expected, "{found:?}");
    assert!(found[0].2.contains("重複") && found[0].2.contains("3行目"));
    assert!(found[0].3.contains("tied"));
    assert!(found[1].2.contains("申請ID 77"));
    assert!(found[2].2.contains("申請ID 99 の申請は東京都にありません"));
    assert!(!found[2].2.contains("大阪") && !found[2].3.contains("Osaka"));

    // A gap and a missing applicant: named without a row.
    let found = ranking_problems("申請ID,順位\n1,1\n2,2\n3,4\n4,5\n5,6\n");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].2.contains("順位 3 が抜けています"), "{found:?}");
    assert!(found[1].2.contains("都立病院6") && found[1].3.contains("every applicant"));

    // Bad cells: a rank that is no number, an out-of-range rank, a code of another prefecture,
    // an unknown reason, twice the same hospital.
    let found = ranking_problems(
        "医療機関コード,順位,理由\n1310000001,一位,\n1310000002,9,\n2710000001,1,\n1310000003,2,救急\n",
    );
    assert_eq!(
        places(&found),
        vec![(Some(2), Some("B")), (Some(5), Some("C"))],
        "cell problems first, the file is not matched until they are fixed: {found:?}"
    );
    let found = ranking_problems(
        "医療機関コード,順位\n1310000001,1\n1310000002,9\n2710000001,2\n1310000001,3\n",
    );
    let expected = vec![
        (Some(3), Some("B")),
        (Some(4), Some("A")),
        (Some(5), Some("A")),
    ];
    assert_eq!(places(&found), expected, "{found:?}");
    assert!(found[0].2.contains("申請数 6 を超えて"));
    assert!(found[1].2.contains("大阪府の医療機関"));
    assert!(found[2].2.contains("2回あります"));

    // No header, no rows.
    let found = ranking_problems("病院,番号\n1,1\n");
    assert!(found[0].2.contains("見出し行"));
    let found = ranking_problems("申請ID,順位\n");
    assert!(found[0].2.contains("1つもありません"));
}

#[test]
fn institution_lists_are_read_cell_by_cell_without_their_header() {
    let csv = "医療機関コード,施設名\n1310000001,\n,\n１３１０００００２\n";
    let entries = import_institution_list(csv.as_bytes()).expect("read");
    assert_eq!(
        entries,
        vec![
            (2, "1310000001".to_owned()),
            (4, "１３１０００００２".to_owned())
        ]
    );
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_number(0, 0, 12.0).expect("cell");
    sheet.write_string(1, 0, "1310000003").expect("cell");
    let bytes = workbook.save_to_buffer().expect("xlsx");
    assert_eq!(
        import_institution_list(&bytes).expect("read"),
        vec![(1, "12".to_owned()), (2, "1310000003".to_owned())],
        "a first row with a number is data"
    );
}

#[test]
fn blank_lines_count_as_rows_in_messages() {
    // A spreadsheet shows a blank CSV line as an empty row: the bad cell is on row 4.
    let found = problems(
        "都道府県,20〜199床,200〜399床,400床以上\n\
東京都,30,10,5\n\
\n\
46,1,-1,1\n",
    );
    assert_eq!(places(&found), vec![(Some(4), Some("C"))]);
}

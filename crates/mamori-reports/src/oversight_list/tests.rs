use calamine::{Data, Reader, Xlsx};

use super::*;

fn rows() -> Vec<ListRow> {
    vec![
        ListRow {
            name: "みなと中央病院".into(),
            kind: "病院".into(),
            prefecture: "東京都".into(),
            municipality: "港区".into(),
            beds: 250,
            medical_institution_code: "0131234567".into(),
            state: "入力中".into(),
            overdue_targets: 2,
            flagged_devices: 3,
        },
        ListRow {
            name: "=HYPERLINK(\"x\")".into(),
            kind: "薬局".into(),
            prefecture: "鹿児島県".into(),
            municipality: String::new(),
            beds: 0,
            medical_institution_code: String::new(),
            state: "未着手".into(),
            overdue_targets: 0,
            flagged_devices: 0,
        },
    ]
}

#[test]
fn the_workbook_reads_back_with_numbers_as_numbers() {
    let bytes = export_xlsx(&rows(), Lang::Ja).expect("written");
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a workbook");
    let sheet = book
        .worksheet_range(Lang::Ja.text(SHEET))
        .expect("the sheet");
    let cells: Vec<Vec<Data>> = sheet.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(cells.len(), 3);
    assert_eq!(cells[0][0], Data::String(Lang::Ja.text(HEADERS[0]).into()));
    assert_eq!(cells[1][0], Data::String("みなと中央病院".into()));
    assert_eq!(cells[1][4], Data::Float(250.0));
    // A code keeps its leading zero.
    assert_eq!(cells[1][5], Data::String("0131234567".into()));
    assert_eq!(cells[1][7], Data::Float(2.0));
    assert_eq!(cells[1][8], Data::Float(3.0));
    // A name that looks like a formula is written as text.
    assert_eq!(cells[2][0], Data::String("'=HYPERLINK(\"x\")".into()));
}

#[test]
fn csv_reads_back_in_both_encodings() {
    let utf8 = export_csv(&rows(), Lang::En, Encoding::Utf8).expect("written");
    let body = utf8
        .strip_prefix(b"\xef\xbb\xbf")
        .expect("a byte-order mark");
    let mut reader = csv::Reader::from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[0], Lang::En.text(HEADERS[0]));
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(&records[0][0], "みなと中央病院");
    assert_eq!(&records[0][4], "250");
    assert_eq!(&records[1][0], "'=HYPERLINK(\"x\")");
    let sjis = export_csv(&rows(), Lang::Ja, Encoding::ShiftJis).expect("written");
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&sjis);
    assert!(!bad);
    assert!(text.starts_with(Lang::Ja.text(HEADERS[0])));
    assert!(text.contains("みなと中央病院,病院,東京都,港区,250,0131234567,入力中,2,3\r\n"));
}

#[test]
fn a_name_shift_jis_cannot_hold_is_named_by_row_and_column() {
    let mut list = rows();
    list[1].municipality = "𠮷野町".into();
    match export_csv(&list, Lang::Ja, Encoding::ShiftJis) {
        Err(ListError::Unmappable { row, column }) => {
            assert_eq!((row, column), (2, "oversight-col-municipality"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_figures_read_back_with_the_share_as_a_formula() {
    let lines = [
        FigureLine {
            label: "病院".into(),
            institutions: 8,
            states: [6, 2, 0, 0],
            with_overdue: 1,
            overdue_targets: 1,
            with_open_remarks: 1,
            open_remarks: 2,
            with_flagged: 3,
            flagged: [5, 4, 1, 0],
        },
        FigureLine {
            label: "歯科診療所".into(),
            institutions: 0,
            states: [0; 4],
            with_overdue: 0,
            overdue_targets: 0,
            with_open_remarks: 0,
            open_remarks: 0,
            with_flagged: 0,
            flagged: [0; 4],
        },
    ];
    let items = [ItemFigure {
        number: "2(7)".into(),
        text: "=ウイルス対策".into(),
        institutions: 12,
        previous: Some(15),
    }];
    let bytes = figures_xlsx(
        "対策状況 令和8年度",
        &[FigureTable {
            title: "施設種別ごと",
            first_heading: "種別",
            lines: &lines,
        }],
        &ItemFigures {
            title: "「いいえ」の多い項目",
            year_heading: "令和8年度".into(),
            previous_heading: Some("令和7年度".into()),
            lines: &items,
        },
        Lang::Ja,
    )
    .expect("written");
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a workbook");
    let sheet = book
        .worksheet_range(Lang::Ja.text(FIGURES_SHEET))
        .expect("the sheet");
    assert_eq!(
        sheet.get_value((0, 0)),
        Some(&Data::String("対策状況 令和8年度".into()))
    );
    assert_eq!(sheet.get_value((3, 0)), Some(&Data::String("種別".into())));
    assert_eq!(sheet.get_value((4, 0)), Some(&Data::String("病院".into())));
    assert_eq!(sheet.get_value((4, 1)), Some(&Data::Float(8.0)));
    assert_eq!(sheet.get_value((4, 2)), Some(&Data::Float(6.0)));
    // Open 指導, and flagged devices by flag, after the overdue target dates.
    let row: Vec<Option<&Data>> = (8..=15).map(|c| sheet.get_value((4, c))).collect();
    let expected: Vec<Data> = [1.0, 1.0, 2.0, 3.0, 5.0, 4.0, 1.0, 0.0]
        .into_iter()
        .map(Data::Float)
        .collect();
    assert_eq!(row, expected.iter().map(Some).collect::<Vec<_>>());
    assert_eq!(
        sheet.get_value((3, 9)),
        Some(&Data::String(
            Lang::Ja.text("oversight-with-open-remarks").into()
        ))
    );
    // The items answered いいえ, on their own sheet, with the year before; text that looks
    // like a formula stays text.
    let items = book
        .worksheet_range(Lang::Ja.text(ITEMS_SHEET))
        .expect("the items sheet");
    assert_eq!(
        items.get_value((3, 3)),
        Some(&Data::String("令和7年度".into()))
    );
    assert_eq!(items.get_value((4, 0)), Some(&Data::String("2(7)".into())));
    assert_eq!(items.get_value((4, 2)), Some(&Data::Float(12.0)));
    assert_eq!(items.get_value((4, 3)), Some(&Data::Float(15.0)));
    assert_eq!(
        items.get_value((4, 1)),
        Some(&Data::String("'=ウイルス対策".into()))
    );
    let formulas = book
        .worksheet_formula(Lang::Ja.text(FIGURES_SHEET))
        .expect("formulas");
    assert_eq!(
        formulas.get_value((4, 6)).map(String::as_str),
        Some("F5/B5")
    );
    // No share for a line without institutions (no division by zero in the sheet).
    assert_eq!(
        formulas.get_value((5, 6)).map(String::as_str).unwrap_or(""),
        ""
    );
}

use chrono::NaiveTime;
use mamori_locale::Lang;

use super::chart::{CallStep, CallTarget, InternalRole, OutsideBody, mhlw_preset};
use super::email::{EmailAddress, EmailError};
use super::hours::Hours;
use super::input::{
    ContactChartInput, ContactEntryInput, InternalContactInput, OutsideContactInput,
    VendorContactInput,
};
use super::phone::{PhoneError, PhoneNumber};
use super::status::{ChartGap, ChartState, chart_status};
use crate::vendor::{ContractId, VendorContract};

use crate::Scope;
use crate::testing::date as d;
use crate::vendor::SystemKind;

fn phone(text: &str) -> String {
    PhoneNumber::parse(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .display_ja()
}

#[test]
fn japanese_phone_numbers_are_read_and_normalised() {
    assert_eq!(phone("03-1234-5678"), "03-1234-5678");
    assert_eq!(phone("0120-123-456"), "0120-123-456");
    assert_eq!(phone("090-1234-5678"), "090-1234-5678");
    assert_eq!(phone("+81-3-1234-5678"), "+81-3-1234-5678");
    assert_eq!(phone("＋８１－３－１２３４－５６７８"), "+81-3-1234-5678");
    assert_eq!(phone("０３－１２３４－５６７８"), "03-1234-5678");
    assert_eq!(phone("０３ー１２３４ー５６７８"), "03-1234-5678");
    assert_eq!(phone("03(5253)1111"), "03-5253-1111");
    assert_eq!(phone("(03) 5253-1111"), "03-5253-1111");
    assert_eq!(phone("0352531111"), "03-5253-1111");
    assert_eq!(phone("09012345678"), "090-1234-5678");
    assert_eq!(phone("0120123456"), "0120-123-456");
    assert_eq!(phone("0800-123-4567"), "0800-123-4567");
    assert_eq!(phone("0992862707"), "0992862707");
    assert_eq!(phone("099-286-2707"), "099-286-2707");
    assert_eq!(phone("+81 (0)3 1234 5678"), "+81-3-1234-5678");
    assert_eq!(phone("+81-03-1234-5678"), "+81-3-1234-5678");
    assert_eq!(phone("+81-90-1234-5678"), "+81-90-1234-5678");
    assert_eq!(phone("+1-202-555-0100"), "+1-202-555-0100");
    assert_eq!(phone("03-5253-1111（内線：4392）"), "03-5253-1111 内線4392");
    assert_eq!(phone("03-5253-1111 (内線: 4392)"), "03-5253-1111 内線4392");
    assert_eq!(phone("03-5253-1111 ext. 4392"), "03-5253-1111 内線4392");
    assert_eq!(phone("110"), "110");
    assert_eq!(phone("＃９１１０"), "#9110");
    let p = PhoneNumber::parse("03-5253-1111 内線4392").expect("valid");
    assert_eq!(p.dial_string(), "0352531111");
    assert_eq!(p.display_en(), "03-5253-1111 ext. 4392");
    assert_eq!(p.extension(), Some("4392"));
}

#[test]
fn bad_phone_numbers_get_clear_messages() {
    let err = |t: &str| PhoneNumber::parse(t).expect_err(t);
    assert_eq!(err(""), PhoneError::Empty);
    assert_eq!(err("  "), PhoneError::Empty);
    assert_eq!(err("03-1234-567a"), PhoneError::UnexpectedCharacter('a'));
    assert_eq!(err("5253-1111"), PhoneError::NoLeadingZero);
    assert_eq!(
        err("03-1234-567"),
        PhoneError::WrongLength {
            prefix: "03".into(),
            expected: 10,
            digits: 9
        }
    );
    assert_eq!(
        err("090-1234-567"),
        PhoneError::WrongLength {
            prefix: "090".into(),
            expected: 11,
            digits: 10
        }
    );
    assert!(matches!(
        err("0120-123-4567"),
        PhoneError::WrongLength { .. }
    ));
    assert!(matches!(
        err("+81-3-1234-567"),
        PhoneError::WrongLength { .. }
    ));
    assert_eq!(err("03-1234+5678"), PhoneError::MisplacedPlus);
    assert!(matches!(
        err("010-81-3-1234-5678"),
        PhoneError::BadPrefix { .. }
    ));
    assert_eq!(err("+1-23"), PhoneError::WrongInternationalLength(3));
    assert!(matches!(
        err("03-5253-1111 内線"),
        PhoneError::BadExtension(_)
    ));
    let e = err("03-1234-567");
    assert!(
        e.message().render(Lang::Ja).contains("10桁"),
        "{}",
        e.message().render(Lang::Ja)
    );
    assert!(
        e.message().render(Lang::En).contains("10 digits"),
        "{}",
        e.message().render(Lang::En)
    );
}

#[test]
fn phones_round_trip_through_their_text() {
    for t in [
        "03-5253-1111 内線4392",
        "+81-3-1234-5678",
        "#9110",
        "0120-123-456",
    ] {
        let p = PhoneNumber::parse(t).expect("valid");
        let back = PhoneNumber::try_from(String::from(p.clone())).expect("round trip");
        assert_eq!(p, back);
    }
}

#[test]
fn emails_are_checked() {
    assert_eq!(
        EmailAddress::parse(" Isei-CS@MHLW.go.JP ").map(|e| e.0),
        Ok("Isei-CS@mhlw.go.jp".into())
    );
    assert_eq!(
        EmailAddress::parse("ｓｕｐｐｏｒｔ＠ｅｘａｍｐｌｅ．ｊｐ").map(|e| e.0),
        Ok("support@example.jp".into())
    );
    assert_eq!(EmailAddress::parse(""), Err(EmailError::Empty));
    assert_eq!(EmailAddress::parse("a.example.jp"), Err(EmailError::At));
    assert_eq!(EmailAddress::parse("a@b@example.jp"), Err(EmailError::At));
    assert_eq!(EmailAddress::parse(".a@example.jp"), Err(EmailError::Local));
    assert_eq!(
        EmailAddress::parse("山田@example.jp"),
        Err(EmailError::Local)
    );
    assert_eq!(EmailAddress::parse("a@example"), Err(EmailError::Domain));
    assert_eq!(EmailAddress::parse("a@-x.jp"), Err(EmailError::Domain));
    assert_eq!(EmailAddress::parse("a@example.j1"), Err(EmailError::Domain));
    assert!(
        EmailError::Domain
            .message()
            .render(Lang::Ja)
            .contains("ドメイン")
    );
}

#[test]
fn hours_are_read() {
    let t = |h: u32, m: u32| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
    assert_eq!(Hours::parse("24時間"), Some(Hours::Always));
    assert_eq!(Hours::parse("２４時間３６５日"), Some(Hours::Always));
    assert_eq!(Hours::parse("24h"), Some(Hours::Always));
    let weekdays = |from, to| Some(Hours::Weekdays { from, to });
    assert_eq!(Hours::parse("平日 9:00-17:00"), weekdays(t(9, 0), t(17, 0)));
    assert_eq!(
        Hours::parse("平日９時〜１７時３０分"),
        weekdays(t(9, 0), t(17, 30))
    );
    let daily = Hours::Daily {
        from: t(9, 0),
        to: t(21, 0),
    };
    assert_eq!(Hours::parse("毎日 9:00～21:00"), Some(daily));
    assert_eq!(
        Hours::parse("平日昼のみ"),
        Some(Hours::Text {
            text: "平日昼のみ".into()
        })
    );
    assert_eq!(Hours::parse("  "), None);
    assert_eq!(
        Hours::parse("平日 9:00-17:00").map(|h| h.label_ja()),
        Some("平日 9:00〜17:00".into())
    );
}

pub fn entry(name: &str, org: &str, phones: &[&str]) -> ContactEntryInput {
    ContactEntryInput {
        name: name.into(),
        organisation: org.into(),
        phones: phones.iter().map(|p| (*p).to_owned()).collect(),
        email: String::new(),
        hours: String::new(),
        notes: String::new(),
    }
}

pub fn contracts() -> Vec<VendorContract> {
    vec![
        VendorContract {
            id: ContractId(1),
            vendor_name: "株式会社みなとメディカルシステムズ".into(),
            systems: vec![SystemKind::Emr, SystemKind::Ordering],
            remote_maintenance: true,
            scopes: vec![Scope::Server, Scope::Pc],
            start_on: None,
            end_on: None,
        },
        VendorContract {
            id: ContractId(2),
            vendor_name: "東京ネットワークサービス株式会社".into(),
            systems: vec![SystemKind::Network],
            remote_maintenance: true,
            scopes: vec![Scope::Network],
            start_on: None,
            end_on: None,
        },
    ]
}

pub fn sample_input() -> ContactChartInput {
    ContactChartInput {
        institution_name: "みなと中央病院".into(),
        revised_on: d(2025, 6, 1),
        internal: vec![
            InternalContactInput {
                roles: vec![InternalRole::Administrator],
                title: "院長".into(),
                entry: entry("港 一郎", "", &["03-1234-5000", "090-1111-2222"]),
            },
            InternalContactInput {
                roles: vec![InternalRole::SecurityManager],
                title: "情報システム課長".into(),
                entry: ContactEntryInput {
                    hours: "平日 8:30-17:15".into(),
                    email: "sato@minato-hp.example.jp".into(),
                    ..entry(
                        "佐藤 花子",
                        "情報システム課",
                        &["03-1234-5100 内線210", "080-3333-4444"],
                    )
                },
            },
            InternalContactInput {
                roles: vec![InternalRole::SystemStaff],
                title: String::new(),
                entry: entry("鈴木 健", "情報システム課", &["03-1234-5100 内線211"]),
            },
            InternalContactInput {
                roles: vec![InternalRole::OnCall],
                title: String::new(),
                entry: ContactEntryInput {
                    hours: "24時間".into(),
                    ..entry("当直事務", "", &["03-1234-5999"])
                },
            },
        ],
        vendors: vec![
            VendorContactInput {
                contract_id: ContractId(1),
                entry: ContactEntryInput {
                    hours: "24時間365日".into(),
                    ..entry("保守センター", "", &["0120-123-456"])
                },
            },
            VendorContactInput {
                contract_id: ContractId(2),
                entry: ContactEntryInput {
                    hours: "平日 9:00-18:00".into(),
                    ..entry("高橋 誠", "", &["03-5555-6666", "090-7777-8888"])
                },
            },
        ],
        outside: vec![
            OutsideContactInput {
                body: OutsideBody::Mhlw,
                entry: ContactEntryInput {
                    notes: mhlw_preset().entry.notes,
                    ..entry(
                        "",
                        "厚生労働省 医政局 特定医薬品開発支援・医療情報担当参事官室",
                        &["03-5253-1111"],
                    )
                },
            },
            OutsideContactInput {
                body: OutsideBody::Police,
                entry: entry("", "警視庁 サイバー犯罪対策課", &["03-3431-8109"]),
            },
            OutsideContactInput {
                body: OutsideBody::Prefecture,
                entry: entry("", "東京都 保健医療局 医療政策部", &["03-5320-4445"]),
            },
            OutsideContactInput {
                body: OutsideBody::Insurer,
                entry: entry("", "○○損害保険 サイバー保険事故受付", &["0120-987-654"]),
            },
        ],
        call_order: vec![],
    }
}

#[test]
fn a_full_chart_parses_with_the_default_call_order_and_is_complete() {
    let chart = sample_input().parse(&contracts()).expect("valid chart");
    assert_eq!(chart.entry_count(), 10);
    assert_eq!(chart.call_order.len(), 4);
    assert_eq!(chart.call_order[0].targets, vec![CallTarget::Discoverer]);
    assert_eq!(
        chart.call_order[2].targets,
        vec![
            CallTarget::AllVendors,
            CallTarget::Internal {
                role: InternalRole::Administrator
            }
        ]
    );
    assert_eq!(chart.step_of_internal(&chart.internal[1]), Some(2));
    assert_eq!(chart.step_of_vendor(&chart.vendors[0]), Some(3));
    assert_eq!(chart.step_of_outside(&chart.outside[3]), Some(4));
    assert_eq!(
        chart.vendors[0].entry.organisation,
        "株式会社みなとメディカルシステムズ"
    );
    let status = chart_status(Some(&chart), &contracts(), d(2025, 6, 1));
    assert_eq!(status.state, ChartState::Complete, "{:#?}", status.missing);
    assert!(status.suggestions.is_empty());
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let mut input = sample_input();
    input.institution_name = " ".into();
    input.internal[2].entry.phones = vec!["03-1234-567".into(), "".into(), "abc".into()];
    input.internal[1].entry.email = "sato@".into();
    input.internal[0].roles.clear();
    input.vendors[1].contract_id = ContractId(9);
    input.outside[0].entry.organisation = String::new();
    input.call_order = vec![
        CallStep {
            targets: vec![CallTarget::Discoverer],
            note: String::new(),
        },
        CallStep {
            targets: vec![CallTarget::Vendor {
                contract_id: ContractId(5),
            }],
            note: String::new(),
        },
        CallStep {
            targets: vec![],
            note: String::new(),
        },
    ];
    let problems = input.parse(&contracts()).expect_err("invalid");
    let paths: Vec<_> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "institution_name",
            "internal[0].roles",
            "internal[1].email",
            "internal[2].phones[0]",
            "internal[2].phones[2]",
            "vendors[1].contract_id",
            "outside[0].name",
            "call_order[1].targets[0]",
            "call_order[2].targets",
        ]
    );
    let phone = &problems[3];
    assert_eq!(phone.code, "phone_wrong_length");
    assert!(phone.message.render(Lang::Ja).contains("03-1234-567"));
    assert!(phone.message.render(Lang::En).contains("10 digits"));
}

#[test]
fn a_chart_missing_roles_or_bodies_is_a_draft() {
    assert_eq!(
        chart_status(None, &[], d(2025, 6, 1)).state,
        ChartState::None
    );
    let mut input = sample_input();
    input.internal.remove(0); // no 管理者
    input.outside.retain(|o| o.body != OutsideBody::Police);
    input.vendors.remove(1);
    input.internal[2].entry.phones.clear(); // the on-call desk
    input.internal[2].entry.hours.clear();
    let chart = input.parse(&contracts()).expect("valid");
    let status = chart_status(Some(&chart), &contracts(), d(2025, 6, 1));
    assert_eq!(status.state, ChartState::Draft);
    let gaps: Vec<_> = status.missing.iter().map(|g| g.gap.clone()).collect();
    assert_eq!(
        gaps,
        vec![
            ChartGap::RoleMissing {
                role: InternalRole::Administrator
            },
            ChartGap::VendorContactMissing {
                contract_id: ContractId(2),
                vendor_name: "東京ネットワークサービス株式会社".into()
            },
            ChartGap::OutsideBodyMissing {
                body: OutsideBody::Police
            },
            ChartGap::NoWayToReach {
                path: "internal[2]".into(),
                who: "当直事務".into()
            },
        ]
    );
    assert!(status.missing[0].message_ja.contains("管理者"));
    // No outside bodies at all.
    let mut input = sample_input();
    input.outside.clear();
    let chart = input.parse(&contracts()).expect("valid");
    let status = chart_status(Some(&chart), &contracts(), d(2025, 6, 1));
    assert_eq!(status.state, ChartState::Draft);
    assert_eq!(status.missing[0].gap, ChartGap::NoOutsideBodies);
    // An ended contract needs no contact.
    let mut ended = contracts();
    ended[1].end_on = Some(d(2025, 3, 31));
    let mut input = sample_input();
    input.vendors.remove(1);
    let chart = input.parse(&ended).expect("valid");
    assert_eq!(
        chart_status(Some(&chart), &ended, d(2025, 6, 1)).state,
        ChartState::Complete
    );
}

#[test]
fn the_mhlw_preset_is_valid() {
    let preset = mhlw_preset();
    assert_eq!(preset.entry.phones[0].number(), "03-5253-1111");
    assert!(PhoneNumber::parse(preset.entry.phones[0].number()).is_ok());
}

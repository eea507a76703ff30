use mamori_domain::contact_chart::ContactChart;
use mamori_domain::vendor::VendorContract;

use super::layout::{Block, Layout};
use super::render::{render, render_contact_chart_svg};
use super::text::{escape, text_width, wrap};
use super::{ChartLanguage, FOOTER_TOP, MARGIN, PAGE_H, PAGE_W};

use chrono::NaiveDate;
use mamori_domain::Scope;
use mamori_domain::contact_chart::{
    ContactChartInput, ContactEntryInput, InternalContactInput, InternalRole, OutsideBody,
    OutsideContactInput, VendorContactInput, mhlw_preset,
};
use mamori_domain::vendor::{ContractId, SystemKind};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
}

fn entry(name: &str, org: &str, phones: &[&str], hours: &str) -> ContactEntryInput {
    ContactEntryInput {
        name: name.into(),
        organisation: org.into(),
        phones: phones.iter().map(|p| (*p).to_owned()).collect(),
        email: String::new(),
        hours: hours.into(),
        notes: String::new(),
    }
}

fn contract(id: i64, name: &str, systems: &[SystemKind], scopes: &[Scope]) -> VendorContract {
    VendorContract {
        id: ContractId(id),
        vendor_name: name.into(),
        systems: systems.to_vec(),
        remote_maintenance: true,
        scopes: scopes.to_vec(),
        start_on: None,
        end_on: None,
    }
}

pub(crate) fn example_contracts() -> Vec<VendorContract> {
    vec![
        contract(
            1,
            "株式会社みなとメディカルシステムズ",
            &[SystemKind::Emr, SystemKind::Ordering],
            &[Scope::Server, Scope::Pc],
        ),
        contract(
            2,
            "東京ネットワークサービス株式会社",
            &[SystemKind::Network],
            &[Scope::Network],
        ),
        contract(
            3,
            "画像システム工業株式会社",
            &[SystemKind::Pacs],
            &[Scope::Server],
        ),
    ]
}

/// A chart like a 250-bed hospital's; every number is made up except the ministry's.
pub(crate) fn example_chart() -> ContactChart {
    let mhlw = mhlw_preset();
    let input = ContactChartInput {
        institution_name: "みなと中央病院".into(),
        revised_on: d(2025, 6, 1),
        internal: vec![
            InternalContactInput {
                roles: vec![InternalRole::Administrator],
                title: "院長".into(),
                entry: entry("港 一郎", "", &["03-1234-5000", "090-1111-2222"], ""),
            },
            InternalContactInput {
                roles: vec![InternalRole::SecurityManager],
                title: "情報システム課長".into(),
                entry: ContactEntryInput {
                    email: "sato@minato-hp.example.jp".into(),
                    ..entry(
                        "佐藤 花子",
                        "情報システム課",
                        &["03-1234-5100 内線210", "080-3333-4444"],
                        "平日 8:30-17:15",
                    )
                },
            },
            InternalContactInput {
                roles: vec![InternalRole::SystemStaff],
                title: String::new(),
                entry: entry(
                    "鈴木 健",
                    "情報システム課",
                    &["03-1234-5100 内線211"],
                    "平日 8:30-17:15",
                ),
            },
            InternalContactInput {
                roles: vec![InternalRole::OnCall],
                title: String::new(),
                entry: ContactEntryInput {
                    notes: "夜間・休日は当直事務が受け、責任者へ連絡".into(),
                    ..entry("当直事務", "事務部", &["03-1234-5999"], "24時間")
                },
            },
        ],
        vendors: vec![
            VendorContactInput {
                contract_id: ContractId(1),
                entry: entry("保守サポートセンター", "", &["0120-123-456"], "24時間365日"),
            },
            VendorContactInput {
                contract_id: ContractId(2),
                entry: entry(
                    "高橋 誠（担当SE）",
                    "",
                    &["03-5555-6666", "090-7777-8888"],
                    "平日 9:00-18:00",
                ),
            },
            VendorContactInput {
                contract_id: ContractId(3),
                entry: entry(
                    "カスタマーセンター",
                    "",
                    &["0570-000-111"],
                    "毎日 8:00-20:00",
                ),
            },
        ],
        outside: vec![
            OutsideContactInput {
                body: OutsideBody::Mhlw,
                entry: ContactEntryInput {
                    name: mhlw.entry.name.clone(),
                    organisation: mhlw.entry.organisation.clone(),
                    phones: mhlw.entry.phones.iter().map(|p| p.display_ja()).collect(),
                    notes: "代表電話から医療情報担当参事官室へ".into(),
                    ..ContactEntryInput::default()
                },
            },
            OutsideContactInput {
                body: OutsideBody::Police,
                entry: entry(
                    "",
                    "警視庁 サイバー犯罪相談窓口",
                    &["03-0000-0110"],
                    "平日 8:30-17:15",
                ),
            },
            OutsideContactInput {
                body: OutsideBody::Prefecture,
                entry: entry(
                    "",
                    "東京都 保健医療局 医療政策部",
                    &["03-0000-4000"],
                    "平日 9:00-17:45",
                ),
            },
            OutsideContactInput {
                body: OutsideBody::Insurer,
                entry: entry(
                    "",
                    "○○損害保険 サイバー保険 事故受付",
                    &["0120-000-999"],
                    "24時間",
                ),
            },
        ],
        call_order: vec![],
    };
    input
        .parse(&example_contracts())
        .expect("the example chart is valid")
}

/// A tiny XML well-formedness check: tags nest and close, attributes are quoted,
/// entities are the predefined ones or numeric, no stray '<' or '&'.
fn well_formed(xml: &str) -> Result<(), String> {
    let body = xml
        .strip_prefix(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
        .ok_or("no XML declaration")?;
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    let mut roots = 0;
    let check_text = |t: &str| -> Result<(), String> {
        let mut s = t;
        while let Some(at) = s.find('&') {
            let end = s[at..].find(';').ok_or(format!("bare & in {t:?}"))?;
            let entity = &s[at + 1..at + end];
            let ok = matches!(entity, "amp" | "lt" | "gt" | "quot" | "apos")
                || entity
                    .strip_prefix('#')
                    .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
            if !ok {
                return Err(format!("bad entity &{entity};"));
            }
            s = &s[at + end + 1..];
        }
        if t.contains('>') {
            return Err(format!("raw > in {t:?}"));
        }
        if t.chars()
            .any(|c| (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err("control character".into());
        }
        Ok(())
    };
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        check_text(text)?;
        if stack.is_empty() && !text.trim().is_empty() {
            return Err("text outside the root".into());
        }
        let close = rest[open..].find('>').ok_or("unclosed tag")? + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().ok_or("close without open")?;
            if top != name.trim() {
                return Err(format!("</{name}> closes <{top}>"));
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name: String = tag.chars().take_while(|c| !c.is_whitespace()).collect();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ':' || c == '-')
        {
            return Err(format!("bad tag name {name:?}"));
        }
        // Attributes: name="value" pairs.
        let mut attrs = tag[name.len()..].trim();
        let mut seen = Vec::new();
        while !attrs.is_empty() {
            let eq = attrs
                .find('=')
                .ok_or(format!("attribute without value in <{name}>"))?;
            let attr = attrs[..eq].trim();
            if seen.contains(&attr) {
                return Err(format!("duplicate attribute {attr}"));
            }
            seen.push(attr);
            let after = &attrs[eq + 1..];
            let quote = after.chars().next().ok_or("missing value")?;
            if quote != '"' && quote != '\'' {
                return Err(format!("unquoted attribute {attr}"));
            }
            let end = after[1..].find(quote).ok_or("unterminated attribute")? + 1;
            let value = &after[1..end];
            if value.contains('<') {
                return Err("< in attribute".into());
            }
            check_text(value)?;
            attrs = after[end + 1..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
        }
        if !self_closing {
            stack.push(name);
        }
    }
    check_text(rest)?;
    if !rest.trim().is_empty() {
        return Err("text after the root".into());
    }
    if !stack.is_empty() {
        return Err(format!("unclosed elements: {stack:?}"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(())
}

#[test]
fn the_checker_catches_bad_xml() {
    assert!(well_formed(r#"<?xml version="1.0" encoding="UTF-8"?><a><b/></a>"#).is_ok());
    assert!(well_formed(r#"<?xml version="1.0" encoding="UTF-8"?><a><b></a>"#).is_err());
    assert!(well_formed(r#"<?xml version="1.0" encoding="UTF-8"?><a>x & y</a>"#).is_err());
    assert!(well_formed(r#"<?xml version="1.0" encoding="UTF-8"?><a x=1/>"#).is_err());
    assert!(well_formed(r#"<?xml version="1.0" encoding="UTF-8"?><a/><b/>"#).is_err());
}

#[test]
fn the_example_chart_is_one_well_formed_a4_page() {
    let chart = example_chart();
    let (svg, layout) = render(&chart, &example_contracts(), ChartLanguage::Ja);
    well_formed(&svg).unwrap_or_else(|e| panic!("{e}"));
    assert!(svg.contains(r#"viewBox="0 0 210 297""#));
    assert!(svg.contains(r#"width="210mm" height="297mm""#));
    assert!(svg.contains("Noto Sans CJK JP"));
    assert!(svg.contains("IPAexGothic"));
    assert!(svg.contains("連絡体制図"));
    assert!(svg.contains("みなと中央病院"));
    assert!(svg.contains("令和7年6月1日"));
    assert!(svg.contains("03-5253-1111"));
    assert!(svg.contains("0120-123-456"));
    assert_eq!(layout.metrics.columns, 3);
    assert!(!layout.metrics.compact);
    // A short chart is drawn large.
    assert!(layout.metrics.scale > 1.0);
    assert_on_page(&svg, &layout);
    let en = render_contact_chart_svg(&chart, &example_contracts(), ChartLanguage::En);
    well_formed(&en).unwrap_or_else(|e| panic!("{e}"));
    assert!(en.contains("Order of calls"));
}

/// Every coordinate in the SVG and every laid-out box lies on the page.
fn assert_on_page(svg: &str, layout: &Layout) {
    for (attr, max) in [
        ("x=\"", PAGE_W),
        ("y=\"", PAGE_H),
        ("x1=\"", PAGE_W),
        ("x2=\"", PAGE_W),
        ("y1=\"", PAGE_H),
        ("y2=\"", PAGE_H),
        ("cx=\"", PAGE_W),
        ("cy=\"", PAGE_H),
    ] {
        for part in svg.split(&format!(" {attr}")).skip(1) {
            let value: f64 = part
                .split('"')
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("number after {attr}"));
            assert!(
                (0.0..=max).contains(&value),
                "{attr}{value} is off the page"
            );
        }
    }
    let width = layout.metrics.column_width();
    for p in &layout.placed {
        assert!(p.x >= MARGIN - 0.01 && p.x + width <= PAGE_W - MARGIN + 0.01);
        // Below the title and the call order, above the footer.
        assert!(p.y >= 40.0, "a block starts at {} mm", p.y);
        assert!(p.y + p.h <= FOOTER_TOP, "a block ends at {} mm", p.y + p.h);
    }
    // No two blocks overlap.
    for (i, a) in layout.placed.iter().enumerate() {
        for b in &layout.placed[i + 1..] {
            let apart = a.x + width <= b.x + 0.01
                || b.x + width <= a.x + 0.01
                || a.y + a.h <= b.y + 0.01
                || b.y + b.h <= a.y + 0.01;
            assert!(
                apart,
                "blocks overlap at ({}, {}) and ({}, {})",
                a.x, a.y, b.x, b.y
            );
        }
    }
}

fn big_chart(per_category: usize) -> (ContactChart, Vec<VendorContract>) {
    let contracts: Vec<VendorContract> = (0..per_category)
        .map(|i| {
            contract(
                i as i64 + 1,
                &format!(
                    "医療情報システム株式会社 第{}事業部 東日本サポートセンター",
                    i + 1
                ),
                &[SystemKind::ALL[i % SystemKind::ALL.len()]],
                &[Scope::All],
            )
        })
        .collect();
    let roles = InternalRole::ALL;
    let input = ContactChartInput {
        institution_name: "医療法人社団 とても長い名前の会 みなと中央総合医療センター附属第二病院"
            .into(),
        revised_on: d(2025, 6, 1),
        internal: (0..per_category)
            .map(|i| InternalContactInput {
                roles: vec![roles[i % roles.len()]],
                title: "情報システム管理室 室長代理".into(),
                entry: ContactEntryInput {
                    email: format!("staff{i}@minato-hp.example.jp"),
                    notes: "不在時は同室の別の担当者へ。夜間は当直を経由して連絡すること。".into(),
                    ..entry(
                        &format!("職員 {i}番"),
                        "情報システム管理室",
                        &["03-1234-5100 内線210", "090-1234-5678"],
                        "平日 8:30-17:15",
                    )
                },
            })
            .collect(),
        vendors: (0..per_category)
            .map(|i| VendorContactInput {
                contract_id: ContractId(i as i64 + 1),
                entry: entry(
                    "保守サポート窓口",
                    "",
                    &["0120-123-456", "03-5555-6666"],
                    "24時間365日",
                ),
            })
            .collect(),
        outside: (0..per_category)
            .map(|i| OutsideContactInput {
                body: OutsideBody::ALL[i % OutsideBody::ALL.len()],
                entry: entry(
                    "",
                    "厚生労働省 医政局 特定医薬品開発支援・医療情報担当参事官室",
                    &["03-5253-1111"],
                    "平日 9:30-18:15",
                ),
            })
            .collect(),
        call_order: vec![],
    };
    (input.parse(&contracts).expect("valid big chart"), contracts)
}

#[test]
fn thirty_entries_fit_on_the_page() {
    let (chart, contracts) = big_chart(10);
    assert_eq!(chart.entry_count(), 30);
    let svg = assert_cards_on_page(&chart, &contracts, 30);
    // Every phone number is there, whole.
    assert_eq!(svg.matches(">0120-123-456<").count(), 10);
    assert_eq!(svg.matches(">03-5253-1111<").count(), 10);
}

#[test]
fn a_hundred_entries_still_fit() {
    let (chart, contracts) = big_chart(33);
    assert_cards_on_page(&chart, &contracts, 99);
}

/// Renders the chart in Japanese, checks it is well formed and on the page with `cards`
/// cards, and returns the SVG.
fn assert_cards_on_page(
    chart: &ContactChart,
    contracts: &[VendorContract],
    cards: usize,
) -> String {
    let (svg, layout) = render(chart, contracts, ChartLanguage::Ja);
    well_formed(&svg).unwrap_or_else(|e| panic!("{e}"));
    assert_on_page(&svg, &layout);
    let placed = layout
        .placed
        .iter()
        .filter(|p| matches!(p.block, Block::Card(_)))
        .count();
    assert_eq!(placed, cards);
    svg
}

#[test]
fn text_is_escaped() {
    let mut chart = example_chart();
    chart.institution_name = r#"<script>alert("x")</script> & 'Co'"#.into();
    chart.internal[0].entry.name = "A&B <病院>\u{1}\u{FFFF}".into();
    chart.outside[0].entry.notes = "]]> <!-- -->".into();
    let svg = render_contact_chart_svg(&chart, &example_contracts(), ChartLanguage::Ja);
    well_formed(&svg).unwrap_or_else(|e| panic!("{e}"));
    assert!(!svg.contains("<script>"));
    assert!(svg.contains("&lt;script&gt;alert(&quot;x&quot;)"));
    assert!(svg.contains("A&amp;B &lt;病院&gt;"));
    assert!(!svg.contains('\u{1}'));
    assert_eq!(escape("a'b\"c"), "a&apos;b&quot;c");
}

#[test]
fn long_text_wraps_and_shortens() {
    let lines = wrap(
        "厚生労働省 医政局 特定医薬品開発支援・医療情報担当参事官室",
        3.4,
        50.0,
        2,
    );
    assert_eq!(lines.len(), 2);
    assert!(
        lines.iter().all(|l| text_width(l, 3.4) <= 50.0 + 0.01),
        "{lines:?}"
    );
    assert!(lines[1].ends_with('…') || lines.concat().ends_with("参事官室"));
    let one = wrap(
        "とても長い名前の株式会社医療情報システムサービス東日本支社",
        3.4,
        30.0,
        1,
    );
    assert_eq!(one.len(), 1);
    assert!(one[0].ends_with('…'));
    assert!(text_width(&one[0], 3.4) <= 30.0 + 0.01);
    // Latin words are kept whole; 、 does not start a line.
    let words = wrap(
        "Tokyo Network Services Co., Ltd. support desk",
        3.0,
        30.0,
        3,
    );
    assert!(words.iter().all(|l| !l.starts_with(' ')), "{words:?}");
    assert_eq!(words[0], "Tokyo Network");
    let kinsoku = wrap("あいうえおかきくけこ、さしすせそ", 3.0, 30.0, 2);
    assert!(kinsoku.iter().all(|l| !l.starts_with('、')), "{kinsoku:?}");
    assert!(wrap("", 3.0, 30.0, 2).is_empty());
}

#[test]
fn an_empty_category_says_none_registered() {
    let mut chart = example_chart();
    chart.outside.clear();
    chart.call_order.truncate(3);
    let (svg, layout) = render(&chart, &example_contracts(), ChartLanguage::Ja);
    well_formed(&svg).unwrap_or_else(|e| panic!("{e}"));
    assert!(svg.contains("未登録"));
    assert_on_page(&svg, &layout);
}

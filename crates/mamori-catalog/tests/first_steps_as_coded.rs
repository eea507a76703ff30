//! The first-response steps of `catalog/incident/first_steps.toml` are exactly those the code
//! gave before they became data: for every combination of answers, the same steps, in the
//! same order, with the same texts; and the same general list.
//!
//! `Old`, the consts and `old_first_steps` / `old_general_first_steps` below are the code as it
//! was (mamori-domain/src/incident.rs before the steps moved to the catalog), kept verbatim as
//! the reference. A deliberate change of the file's wording or rule changes them here too.

use chrono::NaiveDate;
use mamori_catalog::Catalog;
use mamori_domain::incident::{
    AffectedSystem, CareImpact, FirstStep, Report, Symptom, Urgency, first_steps,
    general_first_steps, urgency,
};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Old {
    code: &'static str,
    title_ja: &'static str,
    title_en: &'static str,
    detail_ja: &'static str,
    detail_en: &'static str,
}

impl Old {
    fn step(&self) -> FirstStep {
        FirstStep {
            code: self.code.into(),
            title_ja: self.title_ja.into(),
            title_en: self.title_en.into(),
            detail_ja: self.detail_ja.into(),
            detail_en: self.detail_en.into(),
        }
    }
}

const ISOLATE: Old = Old {
    code: "isolate_network",
    title_ja: "ネットワークから切り離す",
    title_en: "Disconnect from the network",
    detail_ja: "おかしな端末・サーバのLANケーブルを抜き、無線LANを切ってください。院外とつながるVPN装置・ルータも、保守事業者と相談のうえ切り離します。",
    detail_en: "Unplug the network (LAN) cable of the affected PCs and servers and switch off their Wi-Fi. Disconnect the VPN device or router to the outside too, together with your vendor.",
};

const KEEP_POWER_ON: Old = Old {
    code: "keep_power_on",
    title_ja: "電源は切らない・再起動しない",
    title_en: "Do not switch off or restart",
    detail_ja: "電源を切ると、原因の調査に必要な記録（メモリ上の情報）が消えてしまいます。LANケーブルは抜いても、電源はそのままにしてください。",
    detail_en: "Switching off erases what the investigation needs (what is in memory). Unplug the network, but leave the power on.",
};

const KEEP_EVIDENCE: Old = Old {
    code: "keep_evidence",
    title_ja: "記録を残す（脅迫文・画面・ログ）",
    title_en: "Keep the evidence (ransom note, screens, logs)",
    detail_ja: "脅迫文や画面をスマートフォンで撮影し、ログやファイルは消さないでください。気づいた時刻、起きたこと、行ったことを時刻つきでメモします。",
    detail_en: "Photograph the ransom note and the screens with a phone; delete no logs or files. Write down, with the time, what you noticed and what you did.",
};

const DO_NOT_PAY: Old = Old {
    code: "do_not_pay",
    title_ja: "犯人に連絡しない・身代金を払わない",
    title_en: "Do not contact the attackers or pay",
    detail_ja: "脅迫文の連絡先にはアクセスしないでください。支払っても復旧やデータの削除は保証されません。",
    detail_en: "Do not use the contact in the ransom note. Paying guarantees neither recovery nor that data is deleted.",
};

const CALL_VENDOR: Old = Old {
    code: "call_vendor",
    title_ja: "保守事業者に連絡する",
    title_en: "Call your vendor",
    detail_ja: "電子カルテ・ネットワークなど、該当するシステムの保守事業者に、起きていることと行ったことを伝えてください。",
    detail_en: "Tell the vendor that maintains the system (EMR, network …) what is happening and what you have done.",
};

const TELL_MANAGEMENT: Old = Old {
    code: "tell_management",
    title_ja: "管理者に報告し、診療の続け方を決める",
    title_en: "Tell the director and decide how care continues",
    detail_ja: "院長など管理者に報告してください。システムを止めるか、紙カルテ運用に切り替えるか（BCP）は管理者が判断します。",
    detail_en: "Report to the director (管理者). The director decides whether to stop systems and switch to paper records (the BCP).",
};

const REPORT_AUTHORITIES: Old = Old {
    code: "report_authorities",
    title_ja: "厚生労働省と警察に報告する",
    title_en: "Report to the ministry and the police",
    detail_ja: "厚生労働省（医政局 特定医薬品開発支援・医療情報担当参事官室）と、都道府県警察のサイバー犯罪相談窓口に連絡してください。",
    detail_en: "Contact the Ministry of Health, Labour and Welfare (医療情報担当参事官室) and the cybercrime desk of your prefecture's police.",
};

const REPORT_IF_CONFIRMED: Old = Old {
    code: "report_authorities",
    title_ja: "攻撃とわかったら厚生労働省と警察に報告する",
    title_en: "If it is an attack, report to the ministry and the police",
    detail_ja: "攻撃の疑いが強まったら、厚生労働省と都道府県警察のサイバー犯罪相談窓口に連絡してください。",
    detail_en: "If an attack becomes likely, contact the ministry and the cybercrime desk of your prefecture's police.",
};

const PERSONAL_DATA: Old = Old {
    code: "personal_data",
    title_ja: "患者情報の漏えいのおそれを確認する",
    title_en: "Check whether patient data may have leaked",
    detail_ja: "暗号化や脅迫を伴う攻撃では、情報が持ち出されていることがあります。漏えいのおそれがあれば、個人情報保護委員会への報告が必要になることがあるため、事業者・窓口と相談してください。",
    detail_en: "Attacks that encrypt or extort often copy data out first. If patient data may have leaked, a report to the Personal Information Protection Commission may be required: discuss it with your vendor and the desk.",
};

const WATCH: Old = Old {
    code: "watch",
    title_ja: "様子を記録し、変化があればすぐ連絡する",
    title_en: "Keep watching and call at once if things change",
    detail_ja: "画面の表示や通信の状況を見守り、暗号化・脅迫文などが出たら、すぐにLANケーブルを抜いて連絡してください。",
    detail_en: "Keep an eye on screens and traffic; if files get encrypted or a ransom note appears, unplug the network cable and call at once.",
};

/// The first-response steps for a report, in the order to take them. Drawn from the
/// guideline's first response (BCP 確認表: 初動対応 — isolate the network on signs of attack,
/// report to management, who decides on 紙カルテ運用) and the checklist's 3(1) (contacts:
/// 事業者、厚生労働省、警察):
///
/// - isolating the network comes first whenever the case is critical or high, or a vendor
///   warned; for the rest, keep watching;
/// - not switching off, keeping the evidence, calling the vendor and telling the director
///   always apply;
/// - not paying, only with a ransom note; the personal-data check, with a ransom note or
///   encrypted files;
/// - the ministry and the police now when critical or high; once confirmed otherwise.
fn old_first_steps(report: &Report) -> Vec<Old> {
    let level = urgency(report);
    let has = |s: Symptom| report.symptoms.contains(&s);
    let serious = matches!(level, Urgency::Critical | Urgency::High);
    let mut steps = Vec::new();
    if serious || has(Symptom::VendorWarning) {
        steps.push(ISOLATE);
    } else {
        steps.push(WATCH);
    }
    steps.push(KEEP_POWER_ON);
    steps.push(KEEP_EVIDENCE);
    if has(Symptom::RansomNote) {
        steps.push(DO_NOT_PAY);
    }
    steps.push(CALL_VENDOR);
    steps.push(TELL_MANAGEMENT);
    steps.push(if serious {
        REPORT_AUTHORITIES
    } else {
        REPORT_IF_CONFIRMED
    });
    if has(Symptom::RansomNote) || has(Symptom::FilesEncrypted) {
        steps.push(PERSONAL_DATA);
    }
    steps
}

/// The steps shown to someone without an institution to report for (signed out, a vendor,
/// an inspector): the serious case's steps, which are safe in every case.
fn old_general_first_steps() -> Vec<Old> {
    vec![
        ISOLATE,
        KEEP_POWER_ON,
        KEEP_EVIDENCE,
        DO_NOT_PAY,
        CALL_VENDOR,
        TELL_MANAGEMENT,
        REPORT_AUTHORITIES,
    ]
}

/// Every subset of `all`, the empty one included.
fn subsets<T: Copy>(all: &[T]) -> Vec<Vec<T>> {
    (0..1u32 << all.len())
        .map(|mask| {
            all.iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, t)| *t)
                .collect()
        })
        .collect()
}

#[test]
fn every_report_gets_the_steps_it_got_when_they_were_code() {
    let catalog = Catalog::load(&mamori_catalog::bundled_dir()).unwrap_or_else(|e| panic!("{e}"));
    let started_at = NaiveDate::from_ymd_opt(2026, 11, 24)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("date");
    let mut reports = 0;
    for symptoms in subsets(&Symptom::ALL) {
        for systems in subsets(&AffectedSystem::ALL) {
            for care in CareImpact::ALL {
                let report = Report {
                    symptoms: symptoms.clone(),
                    systems: systems.clone(),
                    started_at,
                    care,
                    details: String::new(),
                    callback_phone: None,
                };
                let expected: Vec<FirstStep> =
                    old_first_steps(&report).iter().map(Old::step).collect();
                assert_eq!(
                    first_steps(&catalog.first_steps, &report),
                    expected,
                    "{symptoms:?} {systems:?} {care:?}"
                );
                reports += 1;
            }
        }
    }
    assert_eq!(reports, 64 * 32 * 3);
}

#[test]
fn the_general_steps_are_those_that_were_code() {
    let catalog = Catalog::load(&mamori_catalog::bundled_dir()).unwrap_or_else(|e| panic!("{e}"));
    let expected: Vec<FirstStep> = old_general_first_steps().iter().map(Old::step).collect();
    assert_eq!(general_first_steps(&catalog.first_steps), expected);
}

//! A hospital's answers to the prefecture's survey (seed 004 「調査内容」): whether it has an
//! electronic medical record system, whether it wants the support (and which part), whether
//! its answers to the G-MIS survey may be reused, plus what seed 001 asks the prefecture to
//! check (beds, a system renewal in the year) and whom to contact.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::contact_chart::{EmailAddress, PhoneNumber};
use crate::{InstitutionKind, MedicalInstitutionCode, ParseError, Prefecture};

/// The id the store gives an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApplicationId(pub i64);

impl std::fmt::Display for ApplicationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

crate::wire_enum! {
    /// 電子カルテシステムの導入状況.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum EmrAdoption {
        /// 全部導入
        Full,
        /// 一部導入: some departments only, or some notes still on paper. Seed 004 Q&A ①:
        /// 「院内で一部でも導入している病院も対象としております。」
        Partial,
        /// 導入予定: not yet, but before the support starts (seed 004 Q&A ②).
        Planned,
        /// 未導入
        None,
    }
}

labels!(EmrAdoption {
    Full => "domain-labels-emr-adoption-full",
    Partial => "domain-labels-emr-adoption-partial",
    Planned => "domain-labels-emr-adoption-planned",
    None => "domain-labels-emr-adoption-none",
});

crate::wire_enum! {
    /// 本事業の活用意向: which of the two supports the hospital wants —
    /// (1) 外部ネットワークとの接続の安全性の検証・検査, (2) オフライン・バックアップ体制の整備.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Participation {
        Both,
        NetworkOnly,
        BackupOnly,
        None,
    }
}

impl Participation {
    /// (1) 外部ネットワークとの接続の安全性の検証・検査
    pub fn wants_network_check(self) -> bool {
        matches!(self, Self::Both | Self::NetworkOnly)
    }

    /// (2) オフライン・バックアップ体制の整備
    pub fn wants_offline_backup(self) -> bool {
        matches!(self, Self::Both | Self::BackupOnly)
    }
}

labels!(Participation {
    Both => "domain-labels-participation-both",
    NetworkOnly => "domain-labels-participation-network-only",
    BackupOnly => "domain-labels-participation-backup-only",
    None => "domain-labels-participation-none",
});

/// A renewal (更改) of the hospital's systems within the program year. Seed 001:
/// 「※令和 7 年度中にシステム更改を予定している場合、令和 8 年 1 月までに現地調査を完了できる
/// 見込みがある病院を選定してください。」
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SystemRenewal {
    NotPlanned,
    Planned {
        /// Whether the on-site survey (現地調査) can be completed by the program's deadline
        /// (January); `None` when the hospital does not know yet.
        onsite_survey_by_deadline: Option<bool>,
    },
}

/// Whom the prefecture and the contractor (受託事業者) call: 担当者名, 電話番号, メールアドレス.
/// Built only through [`Contact::new`], so a value of this type is always valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ContactInput", into = "ContactInput")]
pub struct Contact {
    name: String,
    phone: String,
    email: String,
}

/// The contact as typed, before validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactInput {
    pub name: String,
    pub phone: String,
    pub email: String,
}

/// Every problem with a contact, one per field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ContactError(pub Vec<ParseError>);

const NAME_MAX_CHARS: usize = 100;

impl Contact {
    pub fn new(name: &str, phone: &str, email: &str) -> Result<Self, ContactError> {
        let mut errors = Vec::new();
        let name = check_name(name).map_err(|e| errors.push(e)).ok();
        let phone = check_phone(phone).map_err(|e| errors.push(e)).ok();
        let email = check_email(email).map_err(|e| errors.push(e)).ok();
        match (name, phone, email) {
            (Some(name), Some(phone), Some(email)) if errors.is_empty() => {
                Ok(Self { name, phone, email })
            }
            _ => Err(ContactError(errors)),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// ASCII digits, as typed otherwise (hyphens, 内線).
    pub fn phone(&self) -> &str {
        &self.phone
    }

    pub fn email(&self) -> &str {
        &self.email
    }
}

impl TryFrom<ContactInput> for Contact {
    type Error = ContactError;
    fn try_from(value: ContactInput) -> Result<Self, Self::Error> {
        Self::new(&value.name, &value.phone, &value.email)
    }
}

impl From<Contact> for ContactInput {
    fn from(value: Contact) -> Self {
        Self {
            name: value.name,
            phone: value.phone,
            email: value.email,
        }
    }
}

fn check_name(name: &str) -> Result<String, ParseError> {
    let t = name.trim();
    if t.is_empty() {
        return Err(ParseError::new(
            "contact_name",
            mamori_locale::Message::new("domain-parse-enter-contact-person-s"),
        ));
    }
    if t.chars().count() > NAME_MAX_CHARS {
        return Err(ParseError::new(
            "contact_name",
            mamori_locale::Message::new("domain-parse-contact-name-most-characters")
                .with("name-max-chars", crate::arg(NAME_MAX_CHARS)),
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(ParseError::new(
            "contact_name",
            mamori_locale::Message::new("domain-parse-contact-name-contain-line"),
        ));
    }
    Ok(t.to_owned())
}

/// The contact person's number, read by the same rules as the contact chart's
/// ([`PhoneNumber`]); a short number (110, #9110) is no way to reach a person.
fn check_phone(phone: &str) -> Result<String, ParseError> {
    let problem = |reason: mamori_locale::Message| {
        ParseError::new(
            "contact_phone",
            mamori_locale::Message::new("domain-parse-phone-number")
                .with("phone", crate::arg(phone))
                .with("reason", reason),
        )
    };
    if phone.trim().is_empty() {
        return Err(ParseError::new(
            "contact_phone",
            mamori_locale::Message::new("domain-parse-enter-phone-number"),
        ));
    }
    let number = PhoneNumber::parse(phone).map_err(|e| problem(e.message()))?;
    if !number.number().starts_with(['0', '+']) {
        return Err(problem(mamori_locale::Message::new(
            "domain-assurance-application-give-full-number-reaches",
        )));
    }
    Ok(number.display_ja())
}

/// The contact person's address, read by the same rules as the contact chart's
/// ([`EmailAddress`]).
fn check_email(email: &str) -> Result<String, ParseError> {
    if email.trim().is_empty() {
        return Err(ParseError::new(
            "contact_email",
            mamori_locale::Message::new("domain-parse-enter-mail-address"),
        ));
    }
    EmailAddress::parse(email)
        .map(|address| address.as_str().to_owned())
        .map_err(|e| {
            ParseError::new(
                "contact_email",
                mamori_locale::Message::new("domain-parse-mail-address")
                    .with("email", crate::arg(email))
                    .with("reason", e.message()),
            )
        })
}

/// One hospital's answers to the survey, one row of 別紙1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub id: ApplicationId,
    /// The prefecture whose list it is on.
    pub prefecture: Prefecture,
    /// 医療機関コード
    pub medical_institution_code: MedicalInstitutionCode,
    /// 医療機関名
    pub institution_name: String,
    /// Only hospitals (病院) are eligible.
    pub kind: InstitutionKind,
    /// 病床数 (許可病床数)
    pub beds: u32,
    /// (1) 電子カルテシステムの導入有無
    pub emr: EmrAdoption,
    /// (2) 本事業の活用意向
    pub participation: Participation,
    /// (3) G-MIS 調査（令和6年1月31日）の回答結果の活用の可否
    pub gmis_reuse_consent: bool,
    /// システム更改の予定 in the program year.
    pub renewal: SystemRenewal,
    pub contact: Contact,
    /// When the hospital answered; compared with the survey deadline if there is one.
    #[serde(default)]
    pub answered_on: Option<NaiveDate>,
    /// その他（実施にあたっての特記事項）
    #[serde(default)]
    pub remarks: String,
}

/// What a hospital answers in the prefecture's survey form (seed 004 「調査内容」 and the checks
/// of seed 001), as stored and as the API takes it; the institution's name, kind and code come
/// from its registration, see [`SurveyAnswers::to_application`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyAnswers {
    /// 電子カルテシステムの導入状況
    pub emr: EmrAdoption,
    /// 病床数
    pub beds: u32,
    /// 本事業の活用意向
    pub participation: Participation,
    /// G-MIS 調査の回答結果の活用の可否
    pub gmis_reuse_consent: bool,
    /// 事業年度中のシステム更改の予定
    pub renewal_planned: bool,
    /// With a renewal planned: whether the on-site survey can be completed by January
    /// (`None`: not known yet). Ignored without a renewal.
    pub onsite_survey_by_january: Option<bool>,
    pub contact: Contact,
}

impl SurveyAnswers {
    pub fn renewal(&self) -> SystemRenewal {
        if self.renewal_planned {
            SystemRenewal::Planned {
                onsite_survey_by_deadline: self.onsite_survey_by_january,
            }
        } else {
            SystemRenewal::NotPlanned
        }
    }

    /// The row of 別紙1 the rules judge.
    pub fn to_application(
        &self,
        id: ApplicationId,
        prefecture: Prefecture,
        medical_institution_code: MedicalInstitutionCode,
        institution_name: &str,
        kind: InstitutionKind,
        answered_on: Option<NaiveDate>,
    ) -> Application {
        Application {
            id,
            prefecture,
            medical_institution_code,
            institution_name: institution_name.to_owned(),
            kind,
            beds: self.beds,
            emr: self.emr,
            participation: self.participation,
            gmis_reuse_consent: self.gmis_reuse_consent,
            renewal: self.renewal(),
            contact: self.contact.clone(),
            answered_on,
            remarks: String::new(),
        }
    }
}

const INSTITUTION_NAME_MAX_CHARS: usize = 200;
const REMARKS_MAX_CHARS: usize = 2000;

impl Application {
    /// Checks the fields the types do not: a name, the prefecture against the first two digits
    /// of the 医療機関コード (its 都道府県番号, the same 01–47 as JIS X 0401), lengths.
    pub fn validate(&self) -> Result<(), Vec<ParseError>> {
        let mut errors = Vec::new();
        let name = self.institution_name.trim();
        if name.is_empty() {
            errors.push(ParseError::new(
                "institution_name",
                mamori_locale::Message::new("domain-parse-enter-institution-s-name"),
            ));
        } else if name.chars().count() > INSTITUTION_NAME_MAX_CHARS {
            errors.push(ParseError::new(
                "institution_name",
                mamori_locale::Message::new("domain-parse-institution-name-most-characters").with(
                    "institution-name-max-chars",
                    crate::arg(INSTITUTION_NAME_MAX_CHARS),
                ),
            ));
        }
        let code = self.medical_institution_code.as_str();
        if code.get(..2) != Some(self.prefecture.code().as_str()) {
            errors.push(ParseError::new(
                "medical_institution_code",
                mamori_locale::Message::new("domain-parse-prefecture-number-first-two")
                    .with("code", crate::arg(code))
                    .with("code2", crate::arg(self.prefecture.code()))
                    .with(
                        "prefecture",
                        crate::bilingual(self.prefecture.name_ja(), self.prefecture.name_en()),
                    ),
            ));
        }
        if self.remarks.chars().count() > REMARKS_MAX_CHARS {
            errors.push(ParseError::new(
                "remarks",
                mamori_locale::Message::new("domain-parse-remarks-most-characters")
                    .with("remarks-max-chars", crate::arg(REMARKS_MAX_CHARS)),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use mamori_locale::Lang;

    pub(crate) fn contact() -> Contact {
        Contact::new("古川 太郎", "099-286-2707", "imushika@pref.kagoshima.lg.jp").expect("valid")
    }

    pub(crate) fn application(id: i64, prefecture: &str, beds: u32) -> Application {
        let prefecture = Prefecture::parse(prefecture).expect("valid prefecture");
        let code = format!("{}1{:07}", prefecture.code(), id.rem_euclid(10_000_000));
        Application {
            id: ApplicationId(id),
            prefecture,
            medical_institution_code: MedicalInstitutionCode::parse(&code).expect("valid code"),
            institution_name: format!("病院{id}"),
            kind: InstitutionKind::Hospital,
            beds,
            emr: EmrAdoption::Full,
            participation: Participation::Both,
            gmis_reuse_consent: true,
            renewal: SystemRenewal::NotPlanned,
            contact: contact(),
            answered_on: None,
            remarks: String::new(),
        }
    }

    #[test]
    fn phones() {
        for ok in [
            "099-286-2707",
            "0992862707",
            "090-1234-5678",
            "０９９－２８６－２７０７",
            "03-5253-1111 (内線: 4392)",
            "03-5253-1111（内線：4392）",
            "03-5253-1111 ext 4392",
            "+81-3-5253-1111",
            "(099) 286-2707",
            "+1-555-0100",
        ] {
            assert!(check_phone(ok).is_ok(), "{ok} should be accepted");
        }
        for bad in [
            "",
            "286-2707",
            "99-286-2707",
            "099-286-2707-12345",
            "tel 099-286-2707",
            "03-5253-1111 内線",
            "110",
            "099+286",
        ] {
            assert!(check_phone(bad).is_err(), "{bad} should be rejected");
        }
        assert_eq!(
            check_phone("０９９－２８６－２７０７").as_deref(),
            Ok("099-286-2707")
        );
    }

    #[test]
    fn emails() {
        for ok in ["imushika@pref.kagoshima.lg.jp", "a.b+c@example.co.jp"] {
            assert!(check_email(ok).is_ok(), "{ok}");
        }
        // Full-width characters typed by a Japanese keyboard are read as half-width.
        assert_eq!(
            check_email("ｉｍｕｓｈｉｋａ＠Pref.Kagoshima.lg.jp").as_deref(),
            Ok("imushika@pref.kagoshima.lg.jp")
        );
        let cases = [
            ("", "入力してください"),
            ("imushika", "「@」が1つだけ"),
            ("a@b@c.jp", "「@」が1つだけ"),
            ("@pref.jp", "「@」の前"),
            ("a@localhost", "ドメイン"),
            ("a@-x.jp", "ドメイン"),
            ("a b@x.jp", "「@」の前"),
        ];
        for (input, fragment) in cases {
            let e = check_email(input).expect_err(input);
            assert!(
                e.message.render(Lang::Ja).contains(fragment),
                "{input}: {}",
                e.message.render(Lang::Ja)
            );
            assert!(!e.message.render(Lang::En).is_empty());
        }
    }

    #[test]
    fn contact_collects_all_errors() {
        let e = Contact::new(" ", "12", "x").expect_err("invalid");
        let fields: Vec<_> = e.0.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            vec!["contact_name", "contact_phone", "contact_email"]
        );
        let c = contact();
        assert_eq!(c.name(), "古川 太郎");
        let json = serde_json_like(&c);
        assert!(json.contains("imushika"));
    }

    /// Serialization goes through `ContactInput`; deserialization re-validates.
    fn serde_json_like(c: &Contact) -> String {
        let input: ContactInput = c.clone().into();
        let back = Contact::try_from(input.clone()).expect("round trip");
        assert_eq!(&back, c);
        format!("{input:?}")
    }

    #[test]
    fn application_checks_code_against_prefecture() {
        let app = application(1, "46", 120);
        assert_eq!(app.validate(), Ok(()));
        let mut wrong = app.clone();
        wrong.prefecture = Prefecture::parse("13").expect("valid");
        wrong.institution_name = "  ".into();
        let errors = wrong.validate().expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["institution_name", "medical_institution_code"]);
        assert!(errors[1].message.render(Lang::Ja).contains("東京都"));
    }

    #[test]
    fn participation_parts() {
        assert!(Participation::Both.wants_network_check());
        assert!(Participation::Both.wants_offline_backup());
        assert!(!Participation::BackupOnly.wants_network_check());
        assert!(!Participation::NetworkOnly.wants_offline_backup());
        assert!(!Participation::None.wants_network_check());
        assert_eq!(EmrAdoption::ALL.len(), 4);
        assert_eq!(
            Participation::ALL.map(Participation::as_str)[2],
            "backup_only"
        );
    }
}

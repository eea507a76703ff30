//! Institutions (医療機関・薬局) and what decides which form they fill.

use serde::{Deserialize, Serialize};

use crate::{FormKind, ParseError};

crate::wire_enum! {
    /// The kind of institution. It decides the form: a pharmacy fills 薬局確認用, every other
    /// kind 医療機関確認用.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum InstitutionKind {
        /// 病院 (20 beds or more)
        Hospital,
        /// 有床診療所
        ClinicWithBeds,
        /// 無床診療所
        ClinicWithoutBeds,
        /// 薬局
        Pharmacy,
    }
    parse(exact) -> Err("kind", "domain-parse-kind-one-hospital-clinic", text);
}

impl InstitutionKind {
    /// The checklist form (様式) this kind of institution fills in.
    pub fn form(self) -> FormKind {
        match self {
            Self::Pharmacy => FormKind::Pharmacy,
            _ => FormKind::Institution,
        }
    }

    /// Checks the number of beds against the kind: a hospital has 20 or more (医療法第1条の5),
    /// a clinic with beds 1–19, a clinic without beds and a pharmacy none.
    pub fn check_beds(self, beds: i32) -> Result<(), ParseError> {
        let ok = match self {
            Self::Hospital => beds >= 20,
            Self::ClinicWithBeds => (1..=19).contains(&beds),
            Self::ClinicWithoutBeds | Self::Pharmacy => beds == 0,
        };
        if ok {
            Ok(())
        } else {
            Err(ParseError::new(
                "beds",
                mamori_locale::Message::new("domain-parse-beds-valid-hospital-more")
                    .with("beds", crate::arg(beds))
                    .with(
                        "value",
                        crate::bilingual(self.label_ja(), self.label_en().to_lowercase()),
                    ),
            ))
        }
    }
}

labels!(InstitutionKind {
    Hospital => "domain-labels-institution-kind-hospital",
    ClinicWithBeds => "domain-labels-institution-kind-clinic-with-beds",
    ClinicWithoutBeds => "domain-labels-institution-kind-clinic-without-beds",
    Pharmacy => "domain-labels-institution-kind-pharmacy",
});

/// 医療機関コード: ten digits (prefecture 2, point-table 1, institution 6, check digit 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MedicalInstitutionCode(String);

impl MedicalInstitutionCode {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let t = text.trim();
        if t.len() == 10 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(t.to_owned()))
        } else {
            Err(ParseError::new(
                "medical_institution_code",
                mamori_locale::Message::new("domain-parse-medical-institution-code-ten")
                    .with("text", crate::arg(text)),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::text_conversions!(MedicalInstitutionCode, |code| code.0);

/// What the checklist rules need to know of an institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstitutionProfile {
    pub kind: InstitutionKind,
    /// 医療情報システムの有無: the first question of the form.
    pub has_medical_information_system: bool,
    /// Whether it has a contract with a vendor (事業者); 2(2) and 2(3) need no answer otherwise.
    pub has_vendor_contracts: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_decides_form() {
        assert_eq!(InstitutionKind::Pharmacy.form(), FormKind::Pharmacy);
        assert_eq!(
            InstitutionKind::ClinicWithoutBeds.form(),
            FormKind::Institution
        );
        assert_eq!(InstitutionKind::Hospital.form(), FormKind::Institution);
        for kind in InstitutionKind::ALL {
            assert_eq!(InstitutionKind::parse(kind.as_str()), Ok(kind));
        }
        assert!(InstitutionKind::parse("dentist").is_err());
    }

    #[test]
    fn beds_match_kind() {
        assert!(InstitutionKind::Hospital.check_beds(20).is_ok());
        assert!(InstitutionKind::Hospital.check_beds(19).is_err());
        assert!(InstitutionKind::ClinicWithBeds.check_beds(19).is_ok());
        assert!(InstitutionKind::ClinicWithBeds.check_beds(0).is_err());
        assert!(InstitutionKind::ClinicWithoutBeds.check_beds(0).is_ok());
        assert!(InstitutionKind::Pharmacy.check_beds(3).is_err());
    }

    #[test]
    fn medical_institution_code_is_ten_digits() {
        assert!(MedicalInstitutionCode::parse("1312345678").is_ok());
        assert!(MedicalInstitutionCode::parse("131234567").is_err());
        assert!(MedicalInstitutionCode::parse("13123456７8").is_err());
    }
}

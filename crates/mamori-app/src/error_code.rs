//! The codes of refusals: the stable, machine-readable part of every error answer. Clients
//! branch on them, so the wire strings never change once published.

use serde::{Serialize, Serializer};

/// Declares the codes and their wire strings in one list, so the two cannot drift apart.
macro_rules! error_codes {
    ($($variant:ident => $wire:literal,)*) => {
        /// What went wrong, as the API's `error.code` names it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($variant,)*
            /// A code a domain rule defines itself (an import, a training or an incident
            /// rule), passed on as the rule names it.
            Domain(&'static str),
        }

        impl ErrorCode {
            /// Every code mamori-web defines (not the domain's own).
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Domain(code) => code,
                }
            }

            /// The code of a wire string, for the codes mamori-web defines.
            pub fn from_wire(text: &str) -> Option<Self> {
                match text {
                    $($wire => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    AlreadyWithdrawn => "already_withdrawn",
    ApplicationExists => "application_exists",
    BadRequest => "bad_request",
    BedsFitNoBand => "beds_fit_no_band",
    BedsOutOfRange => "beds_out_of_range",
    BodyTooLarge => "body_too_large",
    Conflict => "conflict",
    CsrfMismatch => "csrf_mismatch",
    DatabaseUnavailable => "database_unavailable",
    DeadlinePassed => "deadline_passed",
    FileNameMismatch => "file_name_mismatch",
    FileRequired => "file_required",
    FileTooLarge => "file_too_large",
    Forbidden => "forbidden",
    IncompleteForm => "incomplete_form",
    InstitutionCodeInUse => "institution_code_in_use",
    InstitutionCodeRequired => "institution_code_required",
    InstitutionRequired => "institution_required",
    InstitutionUsersOnly => "institution_users_only",
    InternalError => "internal_error",
    InvalidBeds => "invalid_beds",
    InvalidBody => "invalid_body",
    InvalidCommit => "invalid_commit",
    InvalidCredentials => "invalid_credentials",
    InvalidDevice => "invalid_device",
    InvalidExcludedInstitution => "invalid_excluded_institution",
    InvalidFields => "invalid_fields",
    InvalidForm => "invalid_form",
    InvalidJson => "invalid_json",
    InvalidLogin => "invalid_login",
    InvalidName => "invalid_name",
    InvalidPath => "invalid_path",
    InvalidPhase => "invalid_phase",
    InvalidProgram => "invalid_program",
    InvalidProvider => "invalid_provider",
    InvalidQuery => "invalid_query",
    InvalidQuotaFile => "invalid_quota_file",
    InvalidQuotas => "invalid_quotas",
    InvalidRank => "invalid_rank",
    InvalidRanking => "invalid_ranking",
    InvalidRankingFile => "invalid_ranking_file",
    InvalidSecondFactor => "invalid_second_factor",
    InvalidValue => "invalid_value",
    InvalidWithdrawal => "invalid_withdrawal",
    InvitationExpired => "invitation_expired",
    InvitationOtherOrganization => "invitation_other_organization",
    InvitationUnknown => "invitation_unknown",
    InvitationUsed => "invitation_used",
    JsonRequired => "json_required",
    ListSubmitted => "list_submitted",
    LoginTaken => "login_taken",
    MalformedForm => "malformed_form",
    MalformedJson => "malformed_json",
    MalformedUpload => "malformed_upload",
    MissingCredentials => "missing_credentials",
    MissingParameter => "missing_parameter",
    NoContactChart => "no_contact_chart",
    NoQuota => "no_quota",
    NotAWholeNumber => "not_a_whole_number",
    NotFound => "not_found",
    NotSelected => "not_selected",
    OperatorOnly => "operator_only",
    OwnAccount => "own_account",
    PasswordMismatch => "password_mismatch",
    PasswordReused => "password_reused",
    PasswordTooCommon => "password_too_common",
    PasswordTooLong => "password_too_long",
    PasswordTooShort => "password_too_short",
    PrefectureRequired => "prefecture_required",
    ProgramExists => "program_exists",
    ProgramNotFound => "program_not_found",
    RowsRejected => "rows_rejected",
    SecondFactorRequired => "second_factor_required",
    SelectionFailed => "selection_failed",
    StaleEdit => "stale_edit",
    StaleState => "stale_state",
    TooManyAttempts => "too_many_attempts",
    TooManyImports => "too_many_imports",
    TwoFactorEnrolmentRequired => "two_factor_enrolment_required",
    TwoFactorRequired => "two_factor_required",
    Unauthenticated => "unauthenticated",
    UnknownApplication => "unknown_application",
    UnknownContract => "unknown_contract",
    UnknownCourse => "unknown_course",
    UnknownEncoding => "unknown_encoding",
    UnknownField => "unknown_field",
    UnknownFiscalYear => "unknown_fiscal_year",
    UnknownItem => "unknown_item",
    UnknownLecturer => "unknown_lecturer",
    UnknownProgram => "unknown_program",
    UnknownSession => "unknown_session",
    UnreadablePdf => "unreadable_pdf",
    UnsupportedContentType => "unsupported_content_type",
    UnsupportedFileType => "unsupported_file_type",
    VendorByInvitation => "vendor_by_invitation",
    WrongCurrentPassword => "wrong_current_password",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_wire_string_is_unique_and_round_trips() {
        let mut seen = HashSet::new();
        for &code in ErrorCode::ALL {
            let wire = code.as_str();
            assert!(seen.insert(wire), "{wire} is used twice");
            assert_eq!(ErrorCode::from_wire(wire), Some(code), "{wire}");
            assert_eq!(code.to_string(), wire);
            assert_eq!(
                serde_json::to_value(code).expect("a code serialises"),
                serde_json::json!(wire)
            );
        }
        assert_eq!(ErrorCode::from_wire("no_such_code"), None);
    }

    #[test]
    fn wire_strings_are_the_snake_case_of_the_variant() {
        for &code in ErrorCode::ALL {
            let mut snake = String::new();
            for (i, c) in format!("{code:?}").chars().enumerate() {
                if c.is_ascii_uppercase() {
                    if i > 0 {
                        snake.push('_');
                    }
                    snake.push(c.to_ascii_lowercase());
                } else {
                    snake.push(c);
                }
            }
            assert_eq!(snake, code.as_str());
        }
    }

    #[test]
    fn a_domain_code_is_passed_on_as_it_is() {
        let code = ErrorCode::Domain("session_full");
        assert_eq!(code.as_str(), "session_full");
        assert!(!ErrorCode::ALL.contains(&code));
    }
}

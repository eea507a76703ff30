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
        }

        impl ErrorCode {
            /// Every code.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                }
            }

            /// The code of a wire string.
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
    AlreadyAttended => "already_attended",
    AlreadyCancelled => "already_cancelled",
    AlreadyRegistered => "already_registered",
    AlreadyWithdrawn => "already_withdrawn",
    ApplicationExists => "application_exists",
    BackToNew => "back_to_new",
    BadRequest => "bad_request",
    BedsDoNotFitKind => "beds_do_not_fit_kind",
    BedsFitNoBand => "beds_fit_no_band",
    BedsOutOfRange => "beds_out_of_range",
    BodyTooLarge => "body_too_large",
    CapacityBelowSeats => "capacity_below_seats",
    Conflict => "conflict",
    CostNotPositive => "cost_not_positive",
    CostTooLarge => "cost_too_large",
    CourseWithdrawn => "course_withdrawn",
    CsrfMismatch => "csrf_mismatch",
    DataWithoutHeader => "data_without_header",
    DatabaseUnavailable => "database_unavailable",
    DeadlinePassed => "deadline_passed",
    DuplicateHeader => "duplicate_header",
    EmptyFile => "empty_file",
    EmptySheet => "empty_sheet",
    EvidenceQuotaFull => "evidence_quota_full",
    EvidenceRemoved => "evidence_removed",
    FileNameMismatch => "file_name_mismatch",
    FileRequired => "file_required",
    FileTooLarge => "file_too_large",
    Forbidden => "forbidden",
    IncompleteForm => "incomplete_form",
    InspectionNotHeld => "inspection_not_held",
    InspectionNotScheduled => "inspection_not_scheduled",
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
    KindNotCovered => "kind_not_covered",
    LegacyExcel => "legacy_excel",
    ListSubmitted => "list_submitted",
    LoginTaken => "login_taken",
    MalformedForm => "malformed_form",
    MalformedJson => "malformed_json",
    MalformedUpload => "malformed_upload",
    MissingCredentials => "missing_credentials",
    MissingParameter => "missing_parameter",
    NoContactChart => "no_contact_chart",
    NoHeaderRow => "no_header_row",
    NoQuota => "no_quota",
    NoReportAwaited => "no_report_awaited",
    NoReportToDecide => "no_report_to_decide",
    NoSeat => "no_seat",
    NoStandardAmount => "no_standard_amount",
    NotASpreadsheet => "not_a_spreadsheet",
    NotASubsidy => "not_a_subsidy",
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
    RaggedRow => "ragged_row",
    RateOptionRequired => "rate_option_required",
    RegistrationClosed => "registration_closed",
    RegistrationNotFound => "registration_not_found",
    ResultAlreadyNotified => "result_already_notified",
    RowsRejected => "rows_rejected",
    SecondFactorRequired => "second_factor_required",
    SelectionFailed => "selection_failed",
    SessionNotStarted => "session_not_started",
    SessionStarted => "session_started",
    SessionWithdrawn => "session_withdrawn",
    StaleEdit => "stale_edit",
    StaleState => "stale_state",
    StateUnchanged => "state_unchanged",
    TooManyAttempts => "too_many_attempts",
    TooManyImports => "too_many_imports",
    TooManyRows => "too_many_rows",
    TwoFactorEnrolmentRequired => "two_factor_enrolment_required",
    TwoFactorRequired => "two_factor_required",
    Unauthenticated => "unauthenticated",
    UnknownApplication => "unknown_application",
    UnknownContract => "unknown_contract",
    UnknownCourse => "unknown_course",
    UnknownEncoding => "unknown_encoding",
    UnknownField => "unknown_field",
    UnknownFiscalYear => "unknown_fiscal_year",
    UnknownHeader => "unknown_header",
    UnknownItem => "unknown_item",
    UnknownLecturer => "unknown_lecturer",
    UnknownProgram => "unknown_program",
    UnknownRateOption => "unknown_rate_option",
    UnknownSession => "unknown_session",
    UnmappableCharacter => "unmappable_character",
    UnreadableCsv => "unreadable_csv",
    UnreadablePdf => "unreadable_pdf",
    UnreadableWorkbook => "unreadable_workbook",
    UnsupportedContentType => "unsupported_content_type",
    UnsupportedFileType => "unsupported_file_type",
    VendorByInvitation => "vendor_by_invitation",
    WorkbookTooLarge => "workbook_too_large",
    WriteFailed => "write_failed",
    WrongCurrentPassword => "wrong_current_password",
}

impl ErrorCode {
    /// The code a rule of a lower layer names (`TrainingError::code`, `ImportError::code`…):
    /// those crates cannot name an `ErrorCode`, so they give its wire string. Every such code
    /// has its variant (a test lists them); an unknown one is a defect, answered as an internal
    /// error in release builds.
    pub fn of_rule(code: &'static str) -> Self {
        let known = Self::from_wire(code);
        debug_assert!(known.is_some(), "no ErrorCode for the rule's code {code}");
        known.unwrap_or(Self::InternalError)
    }
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

    /// One of each refusal the rules of the lower layers name by a wire string.
    fn rule_codes() -> Vec<&'static str> {
        use mamori_domain::incident::{CaseState, TransitionError};
        use mamori_domain::support::EstimateCode;
        use mamori_domain::training::{RegistrationStatus, TrainingError};
        use mamori_reports::ledger::{ExportError, ForeignFormat, HeaderCell, ImportError};

        let status = RegistrationStatus::Registered;
        let training = [
            TrainingError::DeadlinePassed {
                deadline: chrono::NaiveDateTime::default(),
            },
            TrainingError::AlreadyRegistered { status },
            TrainingError::NotYours,
            TrainingError::AlreadyCancelled,
            TrainingError::AlreadyAttended,
            TrainingError::SessionStarted,
            TrainingError::NotStartedYet,
            TrainingError::NoSeat { status },
            TrainingError::SessionWithdrawn,
            TrainingError::CourseWithdrawn,
            TrainingError::CapacityBelowSeats {
                capacity: 1,
                taken: 2,
            },
            TrainingError::StartedSessionUnchanged,
            TrainingError::Stale,
        ];
        let cell = || HeaderCell {
            text: "x".into(),
            column: 1,
        };
        let import = [
            ImportError::Empty,
            ImportError::EmptySheet,
            ImportError::TooLarge { size: 2, limit: 1 },
            ImportError::NotASpreadsheet(ForeignFormat::Png),
            ImportError::LegacyExcel,
            ImportError::UnreadableWorkbook {
                detail: String::new(),
            },
            ImportError::WorkbookTooLarge {
                expanded: 2,
                limit: 1,
            },
            ImportError::TooManyStrings {
                declared: 2,
                limit: 1,
            },
            ImportError::WorkbookSizeLies { limit: 1 },
            ImportError::LongText { limit: 1 },
            ImportError::Encoding { line: 1 },
            ImportError::UnreadableCsv {
                detail: String::new(),
            },
            ImportError::NoHeaderRow { searched_rows: 1 },
            ImportError::UnknownHeaders {
                headers: vec![cell()],
            },
            ImportError::DuplicateHeader {
                column: mamori_domain::device::LedgerColumn::AssetNumber,
                first: cell(),
                second: cell(),
            },
            ImportError::RaggedRow {
                row: 1,
                expected: 2,
                found: 1,
            },
            ImportError::DataWithoutHeader { row: 1, column: 1 },
            ImportError::TooManyRows { limit: 1 },
        ];
        let export = [
            ExportError::Unmappable {
                cells: Vec::new(),
                total: 0,
            },
            ExportError::TooManyRows { rows: 2, limit: 1 },
            ExportError::Write(String::new()),
        ];
        let transition = [
            TransitionError::Unchanged(CaseState::New),
            TransitionError::BackToNew,
        ];
        training
            .iter()
            .map(TrainingError::code)
            .chain(import.iter().map(ImportError::code))
            .chain(export.iter().map(ExportError::code))
            .chain(transition.map(TransitionError::code))
            .chain(EstimateCode::ALL.map(EstimateCode::as_str))
            .collect()
    }

    #[test]
    fn every_code_a_rule_names_has_its_variant() {
        for code in rule_codes() {
            assert_eq!(ErrorCode::of_rule(code).as_str(), code);
        }
    }
}

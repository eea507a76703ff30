//! The ids a path names: one type per kind of record, and one extractor, [`Ids`], that reads
//! a route's path into them (with any other segment, a fiscal year or an item key, as text).
//! An id is a positive whole number; any other names nothing and is answered as a record
//! of its kind that does not exist: 404, the JSON error on the API and the error page
//! elsewhere. The OpenAPI document describes each id as an `i64` path parameter.

use axum::extract::{FromRequestParts, Path, RawPathParams};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use mamori_domain::training::TrainingError;

use crate::http::error::{AppError, ErrorCode};
use crate::http::i18n::Message;
use crate::http::page;

/// A route's path parameters, in order: an id type, or a tuple of ids and `String`s.
pub struct Ids<T>(pub T);

impl<T: FromSegments, S: Send + Sync> FromRequestParts<S> for Ids<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Path(segments) = Path::<Vec<String>>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let api = parts.uri.path().starts_with("/api/");
        T::from_segments(&segments, api)
            .map(Ids)
            .map_err(|e| page::refuse(parts.uri.path(), &parts.headers, e))
    }
}

/// The path parameter `name`, answered as [`Ids`] answers a path that names nothing.
pub async fn named<T: Segment, S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
    name: &str,
) -> Result<T, Response> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(IntoResponse::into_response)?;
    let api = parts.uri.path().starts_with("/api/");
    let text = params
        .iter()
        .find_map(|(key, value)| (key == name).then_some(value))
        .unwrap_or_default();
    T::parse(text, api).map_err(|e| page::refuse(parts.uri.path(), &parts.headers, e))
}

/// One segment of a path as a handler takes it.
pub trait Segment: Sized {
    /// The value, or the answer to a segment that names nothing (`api`: on the API).
    fn parse(text: &str, api: bool) -> Result<Self, AppError>;
}

impl Segment for String {
    fn parse(text: &str, _api: bool) -> Result<Self, AppError> {
        Ok(text.to_owned())
    }
}

/// The whole path of a route.
pub trait FromSegments: Sized {
    fn from_segments(segments: &[String], api: bool) -> Result<Self, AppError>;
}

fn wrong_count(segments: &[String]) -> AppError {
    AppError::internal(format!(
        "the handler does not take the route's {} path parameters",
        segments.len()
    ))
}

macro_rules! segment_tuples {
    ($(($($t:ident $v:ident),+)),+) => {$(
        impl<$($t: Segment),+> FromSegments for ($($t,)+) {
            fn from_segments(segments: &[String], api: bool) -> Result<Self, AppError> {
                let [$($v),+] = segments else {
                    return Err(wrong_count(segments));
                };
                Ok(($($t::parse($v, api)?,)+))
            }
        }
    )+};
}

segment_tuples!((A a, B b), (A a, B b, C c), (A a, B b, C c, D d));

macro_rules! path_ids {
    ($($(#[$doc:meta])* $name:ident $(=> $unknown:expr)?;)+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name(i64);

        impl $name {
            /// The id written as text, if it is one.
            pub fn parse(text: &str) -> Option<Self> {
                text.parse::<i64>().ok().filter(|n| *n > 0).map(Self)
            }

            /// An id the store gave, as a page links to it.
            pub fn stored(id: i64) -> Self {
                Self(id)
            }

            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl Segment for $name {
            fn parse(text: &str, api: bool) -> Result<Self, AppError> {
                Self::parse(text).ok_or_else(|| path_ids!(@unknown api $($unknown)?))
            }
        }

        impl FromSegments for $name {
            fn from_segments(segments: &[String], api: bool) -> Result<Self, AppError> {
                match segments {
                    [text] => Segment::parse(text, api),
                    _ => Err(wrong_count(segments)),
                }
            }
        }
    )+};
    (@unknown $api:ident) => {{
        let _ = $api;
        AppError::not_found()
    }};
    (@unknown $api:ident $unknown:expr) => {
        ($unknown)($api)
    };
}

path_ids! {
    /// An institution (施設).
    InstitutionId;
    /// A user account.
    UserId;
    /// A vendor contract.
    ContractId;
    /// An MDS/SDS delivery of a contract.
    DeliveryId;
    /// An evidence (証跡) of a checklist item.
    EvidenceId;
    /// A device of an institution's ledger.
    DeviceId;
    /// A case of the インシデントかも? desk.
    CaseId;
    /// An application of the security-assurance project.
    ApplicationId;
    /// A training course: the API names what it does not know, the edit pages say "not
    /// found" as they do for a course that does not exist.
    CourseId => |api| if api { unknown_course() } else { AppError::not_found() };
    /// A training session.
    SessionId => |_| unknown_session();
    /// An entry of the list of lecturers and technicians.
    LecturerId => |_| unknown_lecturer();
    /// A place (registration) in a training session, as the operator names it.
    RegistrationId;
    /// A place the caller's institution cancels: any other, well-formed or not, is answered
    /// as another institution's place.
    OwnRegistrationId => |_| not_yours();
    /// An improvement report (改善報告) on an inspection's 指導.
    ReportId;
    /// One of the caller's notifications (お知らせ).
    NotificationId;
    /// A mail of the notifications' outbox.
    MailId;
}

/// A 404 that names the kind of record not found.
fn unknown(code: ErrorCode, key: &'static str) -> AppError {
    AppError::rejected(StatusCode::NOT_FOUND, code, Message::new(key))
}

pub fn unknown_session() -> AppError {
    unknown(ErrorCode::UnknownSession, "errors-unknown-session")
}

pub fn unknown_course() -> AppError {
    unknown(ErrorCode::UnknownCourse, "errors-unknown-course")
}

pub fn unknown_lecturer() -> AppError {
    unknown(ErrorCode::UnknownLecturer, "errors-unknown-lecturer")
}

fn not_yours() -> AppError {
    let e = TrainingError::NotYours;
    AppError::rejected(
        StatusCode::NOT_FOUND,
        ErrorCode::of_rule(e.code()),
        e.message(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_a_positive_whole_number() {
        for bad in ["", "0", "-3", "abc", "1.5", " 7", "99999999999999999999"] {
            assert_eq!(InstitutionId::parse(bad), None, "{bad:?}");
        }
        assert_eq!(InstitutionId::parse("42").map(InstitutionId::get), Some(42));
    }

    #[test]
    fn a_path_that_names_nothing_is_answered_as_its_kind() {
        let code = |e: AppError| (e.status(), e.detail().code);
        let segments = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let not_found = (StatusCode::NOT_FOUND, "not_found".to_owned());
        let e = <(InstitutionId, String)>::from_segments(&segments(&["x", "2026"]), true);
        assert_eq!(e.err().map(code), Some(not_found.clone()));
        let e = CourseId::from_segments(&segments(&["0"]), true);
        assert_eq!(
            e.err().map(code),
            Some((StatusCode::NOT_FOUND, "unknown_course".to_owned()))
        );
        let e = CourseId::from_segments(&segments(&["0"]), false);
        assert_eq!(e.err().map(code), Some(not_found));
        let read =
            <(ContractId, String, String)>::from_segments(&segments(&["3", "2026", "k"]), true);
        assert!(
            matches!(&read, Ok((id, year, key)) if id.get() == 3 && year == "2026" && key == "k")
        );
        let e = ContractId::from_segments(&segments(&["3", "4"]), true);
        assert_eq!(
            e.err().map(|e| e.status()),
            Some(StatusCode::INTERNAL_SERVER_ERROR)
        );
    }
}

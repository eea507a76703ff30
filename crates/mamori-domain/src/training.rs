//! Training (研修): courses by audience and format as MIST runs them (seed 003; the end of
//! seed 002), sessions with a capacity and a registration deadline, the rules of registering,
//! cancelling and the waitlist, and the yearly training obligation of hospitals of 400 beds
//! and more (診療録管理体制加算, seed 003).
//!
//! The portal closes a session 「定員になり次第」 (as soon as it is full). mamori reads this
//! as: once every seat is taken, a new registration is not refused but put on the session's
//! waitlist, in the order of arrival, until the registration deadline; when a seat is given
//! back the first on the waitlist takes it. After the deadline (or once the session has
//! started) nobody joins, neither a seat nor the waitlist.

use chrono::NaiveDateTime;
use mamori_locale::Message;
use serde::{Deserialize, Serialize};

use crate::text::fold::fold;
use crate::{InstitutionKind, ParseError};

crate::wire_enum! {
    /// 受講対象: who a course is for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Audience {
        /// 導入研修 – 立入検査対策コース (from FY2023, on the checklist of the inspection)
        Introductory,
        /// 経営者向け
        Executive,
        /// システム・セキュリティ管理者向け
        Manager,
        /// 初学者・医療従事者向け
        Beginner,
    }
    parse(trim) -> Err("audience", "domain-parse-audience-one-executive-manager", other);
}

labels!(Audience {
    Executive => "domain-labels-audience-executive",
    Manager => "domain-labels-audience-manager",
    Beginner => "domain-labels-audience-beginner",
    Introductory => "domain-labels-audience-introductory",
});

crate::wire_enum! {
    /// 実施方法: how a course is held.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Format {
        /// オンライン研修 (Zoom)
        Online,
        /// e-learning
        ELearning | "e-learning",
        /// ワークショップ (group discussion)
        Workshop,
        /// 現地視察
        SiteVisit,
    }
    parse(trim) -> Err("format", "domain-parse-format-one-online-learning", other);
}

labels!(Format {
    Online => "domain-labels-format-online",
    ELearning => "domain-labels-format-e-learning",
    Workshop => "domain-labels-format-workshop",
    SiteVisit => "domain-labels-format-site-visit",
});

crate::wire_enum! {
    /// The state of a place in a session.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum RegistrationStatus {
        /// Holds a seat.
        Registered,
        /// On the waitlist (キャンセル待ち), in the order of arrival.
        Waitlisted,
        Cancelled,
        /// Attended (受講済み), recorded by the operator.
        Attended,
    }
    parse(exact) -> Err("status", "domain-parse-unknown-registration-status", other);
}

impl RegistrationStatus {
    /// Holds a seat of the session.
    pub fn holds_seat(self) -> bool {
        matches!(self, Self::Registered | Self::Attended)
    }

    /// Still counts as a place of the participant (for the double-registration rule).
    pub fn is_live(self) -> bool {
        !matches!(self, Self::Cancelled)
    }
}

labels!(RegistrationStatus {
    Registered => "domain-labels-registration-status-registered",
    Waitlisted => "domain-labels-registration-status-waitlisted",
    Cancelled => "domain-labels-registration-status-cancelled",
    Attended => "domain-labels-registration-status-attended",
});

/// The most seats a session may have.
pub const MAX_CAPACITY: u32 = 10_000;

/// A session's times (Japan time) and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRules {
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    /// 申込締切: registrations are taken until this instant (inclusive).
    pub deadline: NaiveDateTime,
    pub capacity: u32,
}

impl SessionRules {
    /// Checks a new session: it ends after it starts, the deadline is not after the start,
    /// and the capacity is between 1 and [`MAX_CAPACITY`].
    pub fn new(
        starts_at: NaiveDateTime,
        ends_at: NaiveDateTime,
        deadline: NaiveDateTime,
        capacity: i64,
    ) -> Result<Self, ParseError> {
        if ends_at <= starts_at {
            return Err(ParseError::new(
                "ends_at",
                mamori_locale::Message::new("domain-parse-end-after-start"),
            ));
        }
        if deadline > starts_at {
            return Err(ParseError::new(
                "registration_deadline",
                mamori_locale::Message::new("domain-parse-registration-deadline-after-start"),
            ));
        }
        let capacity = u32::try_from(capacity)
            .ok()
            .filter(|c| (1..=MAX_CAPACITY).contains(c))
            .ok_or_else(|| {
                ParseError::new(
                    "capacity",
                    mamori_locale::Message::new("domain-parse-capacity-between")
                        .with("max-capacity", crate::arg(MAX_CAPACITY)),
                )
            })?;
        Ok(Self {
            starts_at,
            ends_at,
            deadline,
            capacity,
        })
    }

    /// Whether new registrations (seat or waitlist) are taken at `now`.
    pub fn taking_registrations(&self, now: NaiveDateTime) -> bool {
        now <= self.deadline && now < self.starts_at
    }

    /// What a session looks like to someone who wants to join it at `now`.
    pub fn availability(&self, places: &[Place], now: NaiveDateTime) -> Availability {
        if !self.taking_registrations(now) {
            Availability::Closed
        } else if seats_taken(places) < self.capacity as usize {
            Availability::Open
        } else {
            Availability::WaitlistOnly
        }
    }
}

crate::wire_enum! {
    /// Whether and how one can join a session.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Availability {
        /// Seats are left.
        Open,
        /// Full (定員に達した): a new registration goes on the waitlist.
        WaitlistOnly,
        /// The deadline has passed or the session has started.
        Closed,
        /// 中止: the operator withdrew the session; its places are kept, nobody joins.
        Withdrawn,
    }
}

/// A place of a session as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub id: i64,
    pub institution_id: i64,
    pub participant_name: String,
    pub status: RegistrationStatus,
}

fn seats_taken(places: &[Place]) -> usize {
    places.iter().filter(|p| p.status.holds_seat()).count()
}

/// The waitlist in order: the places are given in the order they arrived (by id).
pub fn waitlist(places: &[Place]) -> Vec<&Place> {
    let mut list: Vec<&Place> = places
        .iter()
        .filter(|p| p.status == RegistrationStatus::Waitlisted)
        .collect();
    list.sort_by_key(|p| p.id);
    list
}

/// The 1-based position of a waitlisted place.
pub fn waitlist_position(places: &[Place], id: i64) -> Option<usize> {
    waitlist(places)
        .iter()
        .position(|p| p.id == id)
        .map(|i| i + 1)
}

/// 受講者名: a participant's name as an institution gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantName(String);

impl ParticipantName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(ParseError::new(
                "participant_name",
                mamori_locale::Message::new("domain-parse-enter-participant-s-name"),
            ));
        }
        if collapsed.chars().count() > Self::MAX_CHARS {
            return Err(ParseError::new(
                "participant_name",
                mamori_locale::Message::new("domain-parse-participant-s-name-most")
                    .with("max", crate::arg(Self::MAX_CHARS)),
            ));
        }
        if collapsed.chars().any(char::is_control) {
            return Err(ParseError::new(
                "participant_name",
                mamori_locale::Message::new("domain-parse-participant-s-name-contain"),
            ));
        }
        Ok(Self(collapsed))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form two names are compared in: [`fold`]ed (full-width ASCII to half-width,
    /// half-width katakana to full-width), spaces removed, letters lower-cased. 「山田 太郎」
    /// and 「山田　太郎」 are one person.
    pub fn key(&self) -> String {
        name_key(&self.0)
    }
}

/// See [`ParticipantName::key`].
pub fn name_key(text: &str) -> String {
    fold(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Why a registration, cancellation or attendance is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrainingError {
    #[error("the registration deadline has passed")]
    DeadlinePassed { deadline: NaiveDateTime },
    #[error("the participant is already registered")]
    AlreadyRegistered { status: RegistrationStatus },
    #[error("the registration is not the caller's")]
    NotYours,
    #[error("the registration is already cancelled")]
    AlreadyCancelled,
    #[error("an attended place cannot be cancelled")]
    AlreadyAttended,
    #[error("the session has started")]
    SessionStarted,
    #[error("attendance is recorded from the session's start")]
    NotStartedYet,
    #[error("only a place with a seat can be marked attended")]
    NoSeat { status: RegistrationStatus },
    #[error("the session has been withdrawn")]
    SessionWithdrawn,
    #[error("the course has been withdrawn")]
    CourseWithdrawn,
    #[error("the capacity is below the seats taken")]
    CapacityBelowSeats { capacity: u32, taken: usize },
    #[error("a session that has started is not changed")]
    StartedSessionUnchanged,
    #[error("changed by someone else since the form was loaded")]
    Stale,
}

impl TrainingError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::DeadlinePassed { .. } => "registration_closed",
            Self::AlreadyRegistered { .. } => "already_registered",
            Self::NotYours => "registration_not_found",
            Self::AlreadyCancelled => "already_cancelled",
            Self::AlreadyAttended => "already_attended",
            Self::SessionStarted => "session_started",
            Self::NotStartedYet => "session_not_started",
            Self::NoSeat { .. } => "no_seat",
            Self::SessionWithdrawn => "session_withdrawn",
            Self::CourseWithdrawn => "course_withdrawn",
            Self::CapacityBelowSeats { .. } => "capacity_below_seats",
            Self::StartedSessionUnchanged => "session_started",
            Self::Stale => "stale_edit",
        }
    }

    pub fn message(&self) -> Message {
        match self {
            Self::DeadlinePassed { deadline } => {
                Message::new("domain-records-training-deadline-passed").with(
                    "deadline",
                    crate::bilingual(
                        deadline.format("%Y/%m/%d %H:%M").to_string(),
                        deadline.format("%Y-%m-%d %H:%M").to_string(),
                    ),
                )
            }
            Self::AlreadyRegistered { status } => {
                Message::new("domain-records-training-already-registered").with(
                    "status",
                    crate::bilingual(status.label_ja(), status.label_en().to_lowercase()),
                )
            }
            Self::NotYours => Message::new("domain-records-training-not-yours"),
            Self::AlreadyCancelled => Message::new("domain-records-training-already-cancelled"),
            Self::AlreadyAttended => Message::new("domain-records-training-already-attended"),
            Self::SessionStarted => Message::new("domain-records-training-session-started"),
            Self::NotStartedYet => Message::new("domain-records-training-not-started-yet"),
            Self::NoSeat { status } => Message::new("domain-records-training-no-seat").with(
                "status",
                crate::bilingual(status.label_ja(), status.label_en().to_lowercase()),
            ),
            Self::SessionWithdrawn => Message::new("domain-records-training-session-withdrawn"),
            Self::CourseWithdrawn => Message::new("domain-records-training-course-withdrawn"),
            Self::CapacityBelowSeats { capacity, taken } => {
                Message::new("domain-records-training-capacity-below-seats")
                    .with("capacity", *capacity)
                    .with("taken", *taken)
            }
            Self::StartedSessionUnchanged => {
                Message::new("domain-records-training-started-session-unchanged")
            }
            Self::Stale => Message::new("domain-records-training-stale"),
        }
    }
}

/// Decides a new registration of `name` by the institution at `now`: a seat while seats are
/// left, else the waitlist; refused after the deadline and for a participant of the same
/// institution who already has a live place in the session.
pub fn decide_registration(
    rules: &SessionRules,
    places: &[Place],
    institution_id: i64,
    name: &ParticipantName,
    now: NaiveDateTime,
) -> Result<RegistrationStatus, TrainingError> {
    if !rules.taking_registrations(now) {
        return Err(TrainingError::DeadlinePassed {
            deadline: rules.deadline.min(rules.starts_at),
        });
    }
    let key = name.key();
    if let Some(existing) = places.iter().find(|p| {
        p.institution_id == institution_id
            && p.status.is_live()
            && name_key(&p.participant_name) == key
    }) {
        return Err(TrainingError::AlreadyRegistered {
            status: existing.status,
        });
    }
    Ok(if seats_taken(places) < rules.capacity as usize {
        RegistrationStatus::Registered
    } else {
        RegistrationStatus::Waitlisted
    })
}

/// A decided cancellation: the place to cancel and the waitlisted places that take a seat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    pub cancelled: i64,
    /// In the order they move up.
    pub promoted: Vec<i64>,
}

/// Decides the cancellation of place `id` by the institution at `now`. Only the
/// institution's own place, before the session starts; a freed seat goes to the first on
/// the waitlist (as many as there are free seats).
pub fn decide_cancellation(
    rules: &SessionRules,
    places: &[Place],
    id: i64,
    institution_id: i64,
    now: NaiveDateTime,
) -> Result<Cancellation, TrainingError> {
    let place = places
        .iter()
        .find(|p| p.id == id && p.institution_id == institution_id)
        .ok_or(TrainingError::NotYours)?;
    match place.status {
        RegistrationStatus::Cancelled => return Err(TrainingError::AlreadyCancelled),
        RegistrationStatus::Attended => return Err(TrainingError::AlreadyAttended),
        RegistrationStatus::Registered | RegistrationStatus::Waitlisted => {}
    }
    if now >= rules.starts_at {
        return Err(TrainingError::SessionStarted);
    }
    let after: Vec<Place> = places.iter().filter(|p| p.id != id).cloned().collect();
    let free = (rules.capacity as usize).saturating_sub(seats_taken(&after));
    let promoted = waitlist(&after)
        .into_iter()
        .take(free)
        .map(|p| p.id)
        .collect();
    Ok(Cancellation {
        cancelled: id,
        promoted,
    })
}

/// Decides recording attendance (`attended`) or taking it back for place `id`: from the
/// session's start, for places with a seat.
pub fn decide_attendance(
    rules: &SessionRules,
    place: &Place,
    attended: bool,
    now: NaiveDateTime,
) -> Result<RegistrationStatus, TrainingError> {
    if now < rules.starts_at {
        return Err(TrainingError::NotStartedYet);
    }
    if !place.status.holds_seat() {
        return Err(TrainingError::NoSeat {
            status: place.status,
        });
    }
    Ok(if attended {
        RegistrationStatus::Attended
    } else {
        RegistrationStatus::Registered
    })
}

/// Decides a change of a session's times, capacity or place by the operator at `now`: not
/// once the session has started; the capacity not below the seats already taken (mamori
/// refuses rather than sending registered people back to the waitlist: nobody loses a seat
/// they were told they had); when the capacity grows, the first on the waitlist take the new
/// seats in order. Returns the places that move up.
pub fn decide_session_change(
    current: &SessionRules,
    changed: &SessionRules,
    places: &[Place],
    now: NaiveDateTime,
) -> Result<Vec<i64>, TrainingError> {
    if now >= current.starts_at {
        return Err(TrainingError::StartedSessionUnchanged);
    }
    let taken = seats_taken(places);
    if (changed.capacity as usize) < taken {
        return Err(TrainingError::CapacityBelowSeats {
            capacity: changed.capacity,
            taken,
        });
    }
    let free = changed.capacity as usize - taken;
    Ok(waitlist(places)
        .into_iter()
        .take(free)
        .map(|p| p.id)
        .collect())
}

/// Decides withdrawing (中止) a session at `now`: not once it has started (its attendance is
/// the record), not twice.
pub fn decide_withdrawal(
    rules: &SessionRules,
    withdrawn: bool,
    now: NaiveDateTime,
) -> Result<(), TrainingError> {
    if withdrawn {
        Err(TrainingError::SessionWithdrawn)
    } else if now >= rules.starts_at {
        Err(TrainingError::StartedSessionUnchanged)
    } else {
        Ok(())
    }
}

/// The rule of the yearly training obligation (seed 003): which institutions it binds and how
/// many trainings a fiscal year meet it. The catalog supplies it
/// (`catalog/training/obligation.toml`): 病院 of 400 licensed beds or more (許可病床400床以上),
/// at least one training a year (少なくとも年1回程度). The default binds nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObligationRule {
    /// The institution kinds it applies to (`hospital`).
    pub kinds: Vec<InstitutionKind>,
    /// The licensed beds (許可病床) from which it applies.
    pub min_beds: i64,
    /// The trainings attended in a fiscal year that meet it.
    pub min_sessions: usize,
}

impl ObligationRule {
    /// Whether an institution of `kind` with `beds` is bound by the rule.
    pub fn applies_to(&self, kind: InstitutionKind, beds: i64) -> bool {
        self.kinds.contains(&kind) && beds >= self.min_beds
    }

    /// Every problem of the rule: no kind, a kind twice, negative beds, no session.
    pub fn validate(&self) -> Result<(), Vec<ParseError>> {
        let mut problems = Vec::new();
        if self.kinds.is_empty() {
            problems.push(ParseError::new(
                "kinds",
                mamori_locale::Message::new("domain-parse-kinds-empty-rule-applies"),
            ));
        }
        for (i, kind) in self.kinds.iter().enumerate() {
            if self.kinds[..i].contains(kind) {
                problems.push(ParseError::new(
                    "kinds",
                    mamori_locale::Message::new("domain-parse-kind-listed-twice")
                        .with("kind", crate::arg(kind.as_str())),
                ));
            }
        }
        if self.min_beds < 0 {
            problems.push(ParseError::new(
                "min_beds",
                mamori_locale::Message::new("domain-parse-min-beds-negative")
                    .with("min-beds", self.min_beds),
            ));
        }
        if self.min_sessions == 0 {
            problems.push(ParseError::new(
                "min_sessions",
                mamori_locale::Message::new("domain-parse-min-sessions-more"),
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

crate::wire_enum! {
    /// The yearly training obligation of one institution in one fiscal year.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Obligation {
        /// Not bound by the rule (not a hospital of 400 beds or more): no yearly training is
        /// required by the 加算.
        NotSubject,
        /// The rule's trainings attended in the year.
        Met,
        /// Fewer attended yet in the year.
        NotMet,
    }
}

/// The yearly training obligation (seed 003): since the 令和4年度 revision of the medical fees,
/// the 診療録管理体制加算 of an insured hospital with 400 licensed beds or more requires the
/// 医療情報システム安全管理責任者 to give its staff information-security training at least
/// about once a year. `rule` says whom it binds and how many trainings meet it; mamori judges
/// it by the trainings recorded as attended in the fiscal year (`attended_in_year`).
pub fn yearly_obligation(
    rule: &ObligationRule,
    kind: InstitutionKind,
    beds: i64,
    attended_in_year: usize,
) -> Obligation {
    if !rule.applies_to(kind, beds) {
        Obligation::NotSubject
    } else if attended_in_year >= rule.min_sessions {
        Obligation::Met
    } else {
        Obligation::NotMet
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RegistrationStatus::*;
    use chrono::NaiveDate;
    use mamori_locale::Lang;

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 9, day)
            .and_then(|d| d.and_hms_opt(hour, 0, 0))
            .expect("valid")
    }

    fn rules(capacity: i64) -> SessionRules {
        SessionRules::new(at(13, 16), at(13, 18), at(7, 13), capacity).expect("valid session")
    }

    fn place(id: i64, institution_id: i64, name: &str, status: RegistrationStatus) -> Place {
        Place {
            id,
            institution_id,
            participant_name: name.into(),
            status,
        }
    }

    fn name(text: &str) -> ParticipantName {
        ParticipantName::parse(text).expect("name")
    }

    #[test]
    fn a_session_is_checked_when_it_is_made() {
        for (ends_at, deadline, field) in [
            (at(13, 16), at(7, 13), "ends_at"),
            (at(13, 18), at(13, 17), "registration_deadline"),
        ] {
            assert_eq!(
                SessionRules::new(at(13, 16), ends_at, deadline, 10).map_err(|e| e.field),
                Err(field)
            );
        }
        for bad in [0, -1, i64::from(MAX_CAPACITY) + 1, i64::MAX] {
            assert_eq!(
                SessionRules::new(at(13, 16), at(13, 18), at(7, 13), bad).map_err(|e| e.field),
                Err("capacity"),
                "{bad}"
            );
        }
        assert_eq!(rules(1).capacity, 1);
    }

    #[test]
    fn seats_first_then_the_waitlist() {
        let r = rules(2);
        let mut places = Vec::new();
        for (i, n) in ["一郎", "二郎", "三郎", "四郎"].into_iter().enumerate() {
            let status = decide_registration(&r, &places, 1, &name(n), at(1, 9)).expect("taken");
            places.push(place(i as i64 + 1, 1, n, status));
        }
        let statuses: Vec<_> = places.iter().map(|p| p.status).collect();
        assert_eq!(statuses, [Registered, Registered, Waitlisted, Waitlisted]);
        assert_eq!(waitlist_position(&places, 3), Some(1));
        assert_eq!(waitlist_position(&places, 4), Some(2));
        assert_eq!(waitlist_position(&places, 1), None);
        assert_eq!(
            r.availability(&places, at(1, 9)),
            Availability::WaitlistOnly
        );
        assert_eq!(rules(5).availability(&places, at(1, 9)), Availability::Open);
    }

    #[test]
    fn registration_closes_at_the_deadline_inclusive() {
        let r = rules(10);
        assert!(decide_registration(&r, &[], 1, &name("山田"), at(7, 13)).is_ok());
        let late = at(7, 13) + chrono::Duration::minutes(1);
        assert_eq!(
            decide_registration(&r, &[], 1, &name("山田"), late),
            Err(TrainingError::DeadlinePassed {
                deadline: at(7, 13)
            })
        );
        assert_eq!(r.availability(&[], late), Availability::Closed);
        // A full session closes at the deadline too: the waitlist does not stay open.
        let full = vec![place(1, 2, "誰か", Registered)];
        assert!(matches!(
            decide_registration(&rules(1), &full, 1, &name("山田"), late),
            Err(TrainingError::DeadlinePassed { .. })
        ));
    }

    #[test]
    fn the_same_participant_of_the_same_institution_registers_once() {
        let r = rules(1);
        let places = vec![
            place(1, 1, "山田 太郎", Registered),
            place(2, 1, "佐藤 花子", Waitlisted),
            place(3, 1, "鈴木 一郎", Cancelled),
        ];
        // Full-width spaces, no spaces, and letter case do not make another person.
        for same in ["山田　太郎", "山田太郎", " 山田  太郎 "] {
            assert_eq!(
                decide_registration(&r, &places, 1, &name(same), at(1, 9)),
                Err(TrainingError::AlreadyRegistered { status: Registered }),
                "{same}"
            );
        }
        let taro = [place(1, 1, "Taro YAMADA", Registered)];
        for (among, institution, who, expected) in [
            (
                &places[..],
                1,
                "佐藤花子",
                Err(TrainingError::AlreadyRegistered { status: Waitlisted }),
            ),
            (
                &taro[..],
                1,
                "ｔａｒｏ yamada",
                Err(TrainingError::AlreadyRegistered { status: Registered }),
            ),
            // A cancelled place does not count; another institution's namesake is another person.
            (&places[..], 1, "鈴木 一郎", Ok(Waitlisted)),
            (&places[..], 2, "山田 太郎", Ok(Waitlisted)),
        ] {
            assert_eq!(
                decide_registration(&r, among, institution, &name(who), at(1, 9)),
                expected,
                "{who}"
            );
        }
    }

    #[test]
    fn a_cancelled_seat_goes_to_the_first_on_the_waitlist() {
        let r = rules(2);
        let places = vec![
            place(1, 1, "A", Registered),
            place(2, 2, "B", Registered),
            place(5, 3, "E", Waitlisted),
            place(3, 3, "C", Cancelled),
            place(4, 2, "D", Waitlisted),
        ];
        let c = decide_cancellation(&r, &places, 1, 1, at(1, 9)).expect("own place");
        assert_eq!(c.cancelled, 1);
        assert_eq!(
            c.promoted,
            vec![4],
            "the earliest waitlisted (lowest id) moves up"
        );
        // Leaving the waitlist frees no seat.
        let c = decide_cancellation(&r, &places, 4, 2, at(1, 9)).expect("own place");
        assert!(c.promoted.is_empty());
        // With no waitlist nobody moves.
        let c = decide_cancellation(&r, &places[..2], 2, 2, at(1, 9)).expect("own place");
        assert!(c.promoted.is_empty());
    }

    #[test]
    fn after_a_capacity_larger_than_the_seats_taken_all_free_seats_are_filled() {
        // Three waitlisted, one cancelled seat with two seats already free: all three move.
        let r = rules(3);
        let places = vec![
            place(1, 1, "A", Registered),
            place(2, 1, "B", Waitlisted),
            place(3, 1, "C", Waitlisted),
            place(4, 1, "D", Waitlisted),
        ];
        let c = decide_cancellation(&r, &places, 1, 1, at(1, 9)).expect("own place");
        assert_eq!(c.promoted, vec![2, 3, 4]);
    }

    #[test]
    fn another_institutions_place_and_finished_places_are_not_cancelled() {
        let r = rules(2);
        let places = vec![
            place(1, 1, "A", Registered),
            place(2, 1, "B", Cancelled),
            place(3, 1, "C", Attended),
        ];
        for (registration, institution, when, refusal) in [
            (1, 2, at(1, 9), TrainingError::NotYours),
            (99, 1, at(1, 9), TrainingError::NotYours),
            (2, 1, at(1, 9), TrainingError::AlreadyCancelled),
            (3, 1, at(1, 9), TrainingError::AlreadyAttended),
            (1, 1, at(13, 16), TrainingError::SessionStarted),
        ] {
            assert_eq!(
                decide_cancellation(&r, &places, registration, institution, when),
                Err(refusal),
                "{registration} of {institution}"
            );
        }
        // After the deadline but before the start a place may still be given back.
        assert!(decide_cancellation(&r, &places, 1, 1, at(10, 9)).is_ok());
    }

    #[test]
    fn attendance_is_recorded_for_seats_from_the_start() {
        let r = rules(2);
        let seat = place(1, 1, "A", Registered);
        assert_eq!(
            decide_attendance(&r, &seat, true, at(12, 9)),
            Err(TrainingError::NotStartedYet)
        );
        assert_eq!(decide_attendance(&r, &seat, true, at(13, 16)), Ok(Attended));
        let attended = place(1, 1, "A", Attended);
        assert_eq!(
            decide_attendance(&r, &attended, false, at(14, 9)),
            Ok(Registered)
        );
        for status in [Waitlisted, Cancelled] {
            assert_eq!(
                decide_attendance(&r, &place(2, 1, "B", status), true, at(14, 9)),
                Err(TrainingError::NoSeat { status })
            );
        }
    }

    #[test]
    fn a_larger_capacity_moves_the_waitlist_up_in_order() {
        let r = rules(2);
        let places = vec![
            place(1, 1, "A", Registered),
            place(2, 2, "B", Registered),
            place(6, 3, "F", Waitlisted),
            place(3, 3, "C", Cancelled),
            place(4, 2, "D", Waitlisted),
            place(5, 1, "E", Waitlisted),
        ];
        let change = |capacity| decide_session_change(&r, &rules(capacity), &places, at(1, 9));
        assert_eq!(change(2), Ok(vec![]), "the same capacity moves nobody");
        assert_eq!(change(3), Ok(vec![4]), "one seat: the earliest waitlisted");
        assert_eq!(change(4), Ok(vec![4, 5]));
        assert_eq!(
            change(10),
            Ok(vec![4, 5, 6]),
            "more seats than the waitlist"
        );
    }

    #[test]
    fn a_capacity_below_the_seats_taken_is_refused() {
        let r = rules(3);
        let places = vec![
            place(1, 1, "A", Registered),
            place(2, 2, "B", Attended),
            place(3, 3, "C", Cancelled),
            place(4, 2, "D", Waitlisted),
        ];
        assert_eq!(
            decide_session_change(&r, &rules(1), &places, at(1, 9)),
            Err(TrainingError::CapacityBelowSeats {
                capacity: 1,
                taken: 2
            })
        );
        // Exactly the seats taken is allowed; the waitlist stays.
        assert_eq!(
            decide_session_change(&r, &rules(2), &places, at(1, 9)),
            Ok(vec![])
        );
        let e = TrainingError::CapacityBelowSeats {
            capacity: 1,
            taken: 2,
        };
        assert!(
            e.message().render(Lang::Ja).contains("2名以上")
                && e.message().render(Lang::En).contains("2 or more")
        );
    }

    #[test]
    fn a_started_session_is_neither_changed_nor_withdrawn() {
        let r = rules(3);
        assert_eq!(
            decide_session_change(&r, &rules(5), &[], at(13, 16)),
            Err(TrainingError::StartedSessionUnchanged)
        );
        assert_eq!(
            decide_withdrawal(&r, false, at(13, 16)),
            Err(TrainingError::StartedSessionUnchanged)
        );
        assert_eq!(decide_withdrawal(&r, false, at(13, 15)), Ok(()));
        assert_eq!(
            decide_withdrawal(&r, true, at(1, 9)),
            Err(TrainingError::SessionWithdrawn)
        );
        assert_eq!(
            TrainingError::SessionWithdrawn.message().render(Lang::Ja),
            "この回は中止になりました"
        );
    }

    #[test]
    fn participant_names_are_checked() {
        assert_eq!(name("  山田\u{3000}太郎 ").as_str(), "山田 太郎");
        assert!(ParticipantName::parse(" \u{3000} ").is_err());
        assert!(ParticipantName::parse(&"あ".repeat(101)).is_err());
        assert!(ParticipantName::parse(&"あ".repeat(100)).is_ok());
        assert!(ParticipantName::parse("a\u{7}b").is_err());
    }

    /// The rule of `catalog/training/obligation.toml`.
    fn rule_400() -> ObligationRule {
        ObligationRule {
            kinds: vec![InstitutionKind::Hospital],
            min_beds: 400,
            min_sessions: 1,
        }
    }

    /// Each case is (kind, beds, trainings attended in the year, obligation).
    fn assert_obligations(
        rule: &ObligationRule,
        cases: &[(InstitutionKind, i64, usize, Obligation)],
    ) {
        for &(kind, beds, attended, expected) in cases {
            assert_eq!(
                yearly_obligation(rule, kind, beds, attended),
                expected,
                "{kind:?} with {beds} beds, {attended} attended"
            );
        }
    }

    #[test]
    fn names_are_one_person_whatever_their_width() {
        assert_eq!(name_key("山田 太郎"), name_key("山田　太郎"));
        assert_eq!(name_key("Ｙａｍａｄａ Taro"), "yamadataro");
        assert_eq!(name_key("ﾔﾏﾀﾞ ﾀﾛｳ"), name_key("ヤマダ タロウ"));
        assert_ne!(name_key("山田太郎"), name_key("山田次郎"));
    }

    #[test]
    fn hospitals_of_400_beds_and_more_need_a_training_a_year() {
        use InstitutionKind::*;
        let rule = rule_400();
        assert_eq!(rule.validate(), Ok(()));
        assert_obligations(
            &rule,
            &[
                (Hospital, 399, 0, Obligation::NotSubject),
                (Hospital, 400, 0, Obligation::NotMet),
                (Hospital, 400, 1, Obligation::Met),
                (Hospital, 1200, 3, Obligation::Met),
                (ClinicWithBeds, 19, 0, Obligation::NotSubject),
                (Pharmacy, 0, 0, Obligation::NotSubject),
            ],
        );
    }

    #[test]
    fn the_obligation_follows_its_rule() {
        use InstitutionKind::*;
        let rule = ObligationRule {
            kinds: vec![Hospital, ClinicWithBeds],
            min_beds: 10,
            min_sessions: 2,
        };
        assert_obligations(
            &rule,
            &[
                (ClinicWithBeds, 19, 1, Obligation::NotMet),
                (ClinicWithBeds, 19, 2, Obligation::Met),
                (Hospital, 9, 0, Obligation::NotSubject),
                (Pharmacy, 50, 0, Obligation::NotSubject),
            ],
        );
        let bad = ObligationRule {
            kinds: vec![Hospital, Hospital],
            min_beds: -1,
            min_sessions: 0,
        };
        let fields: Vec<&str> = bad
            .validate()
            .expect_err("refused")
            .iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["kinds", "min_beds", "min_sessions"]);
        let none = ObligationRule {
            kinds: Vec::new(),
            ..rule_400()
        };
        assert!(none.validate().is_err());
    }

    #[test]
    fn codes_parse_back() {
        for a in Audience::ALL {
            assert_eq!(Audience::parse(a.as_str()), Ok(a));
        }
        for f in Format::ALL {
            assert_eq!(Format::parse(f.as_str()), Ok(f));
        }
        for s in [Registered, Waitlisted, Cancelled, Attended] {
            assert_eq!(RegistrationStatus::parse(s.as_str()), Ok(s));
        }
        assert!(Audience::parse("everyone").is_err());
        assert!(Format::parse("radio").is_err());
    }
}

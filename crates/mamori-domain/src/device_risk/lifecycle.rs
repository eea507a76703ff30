//! End of support (サポート終了): from endoflife.date and from mamori's curated table of
//! Japan-market devices.

use chrono::NaiveDate;

use super::END_OF_SUPPORT_SOON_DAYS;
use super::dataset::{CycleScheme, Eol, EolProduct};
use super::flag::{Flag, FlagCode, FlagSeverity};
use mamori_locale::Message;

use super::identify::{ComponentMatch, Resolution, VersionState, assumption_en, assumption_note};
use super::index::RiskData;
use super::subject::RiskSubject;
use super::words::{compact, present};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ended(Option<NaiveDate>),
    Soon(NaiveDate),
    Supported,
}

fn status_of(eol: Option<Eol>, today: NaiveDate) -> Status {
    match eol {
        Some(Eol::On(date)) if date <= today => Status::Ended(Some(date)),
        Some(Eol::On(date)) if (date - today).num_days() <= END_OF_SUPPORT_SOON_DAYS => {
            Status::Soon(date)
        }
        Some(Eol::Ended) => Status::Ended(None),
        Some(Eol::On(_)) | Some(Eol::NotAnnounced) | None => Status::Supported,
    }
}

/// The status shared by every candidate, giving the benefit of the doubt (the latest date);
/// `None` when the candidates disagree.
fn common_status(statuses: &[Status]) -> Option<Status> {
    if statuses.iter().all(|s| matches!(s, Status::Ended(_))) {
        let latest = statuses
            .iter()
            .filter_map(|s| match s {
                Status::Ended(d) => *d,
                _ => None,
            })
            .max();
        return Some(Status::Ended(latest));
    }
    if statuses.iter().all(|s| matches!(s, Status::Supported)) {
        return Some(Status::Supported);
    }
    if statuses
        .iter()
        .all(|s| matches!(s, Status::Ended(_) | Status::Soon(_)))
    {
        return statuses
            .iter()
            .filter_map(|s| match s {
                Status::Soon(d) => Some(*d),
                _ => None,
            })
            .max()
            .map(Status::Soon);
    }
    None
}

pub(super) enum LifecycleOutcome {
    /// Support has ended; the evidence says which product.
    Ended(String),
    /// A status is known (supported, or ending soon).
    Known,
    Unknown,
}

pub(super) fn lifecycle_flags(
    m: &ComponentMatch<'_>,
    data: &RiskData,
    today: NaiveDate,
    flags: &mut Vec<Flag>,
) -> LifecycleOutcome {
    let Some(product) = m.alias.product.map(|p| &data.products[p]) else {
        return LifecycleOutcome::Unknown;
    };
    let title = &m.alias.alias.title;
    let source = product.source_url();
    let assumption_en = assumption_en(m)
        .map(|a| format!("; {a}"))
        .unwrap_or_default();
    let note = assumption_note(m);
    let assumption = Message::new("domain-device-assumption")
        .with("assumed", if note.is_some() { "yes" } else { "no" })
        .with("note", note.unwrap_or_default());
    let (status, release, detail) = match &m.resolution {
        Resolution::NoLifecycle => return LifecycleOutcome::Unknown,
        Resolution::Exact(i) => {
            let r = &product.releases[*i];
            (
                status_of(r.eol, today),
                Some(r),
                format!(
                    "endoflife.date {}: cycle {} ({}), eol {}{}; {}",
                    product.id,
                    r.cycle,
                    r.display_label(),
                    r.eol.map_or("none".to_owned(), |e| e.to_string()),
                    assumption_en,
                    source
                ),
            )
        }
        Resolution::OlderThanAll(i) => {
            let oldest = &product.releases[*i];
            let status = match status_of(oldest.eol, today) {
                Status::Ended(_) => Status::Ended(None),
                _ => {
                    push_unmatched(m, product, flags);
                    return LifecycleOutcome::Unknown;
                }
            };
            (
                status,
                None,
                format!(
                    "endoflife.date {}: version {} is older than the oldest cycle listed, {} (eol {}); {}",
                    product.id,
                    m.version_text.as_deref().unwrap_or_default(),
                    oldest.cycle,
                    oldest.eol.map_or("none".to_owned(), |e| e.to_string()),
                    source
                ),
            )
        }
        Resolution::Ambiguous(is) => {
            let statuses: Vec<Status> = is
                .iter()
                .map(|&i| status_of(product.releases[i].eol, today))
                .collect();
            let Some(status) = common_status(&statuses) else {
                push_unmatched(m, product, flags);
                return LifecycleOutcome::Unknown;
            };
            let cycles: Vec<&str> = is
                .iter()
                .map(|&i| product.releases[i].cycle.as_str())
                .collect();
            (
                status,
                None,
                format!(
                    "endoflife.date {}: cycle not determined from the ledger; every candidate ({}) has the same status{}; {}",
                    product.id,
                    cycles.join(", "),
                    assumption_en,
                    source
                ),
            )
        }
        Resolution::NotFound => {
            push_unmatched(m, product, flags);
            return LifecycleOutcome::Unknown;
        }
    };
    let what = match release {
        Some(r) => format!("{title} {}", strip_title_prefix(r.display_label(), title)),
        None => match &m.version_text {
            Some(v) => format!("{title} {v}"),
            None => title.clone(),
        },
    };
    flag_status(
        status,
        today,
        detail,
        flags,
        |date| {
            let when = match date {
                Some(d) => {
                    Message::new("domain-device-end-of-support-on").with("date", d.to_string())
                }
                None => Message::new("domain-device-empty"),
            };
            let esu = match release.and_then(|r| r.eoes) {
                Some(Eol::On(d)) if d > today => {
                    Message::new("domain-device-esu").with("date", d.to_string())
                }
                _ => Message::new("domain-device-empty"),
            };
            Message::new("domain-device-end-of-support")
                .with("what", what.clone())
                .with("when", when)
                .with("assumption", assumption.clone())
                .with("esu", esu)
        },
        |date, days| {
            Message::new("domain-device-end-of-support-soon")
                .with("what", what.clone())
                .with("date", date.to_string())
                .with("days", days)
                .with("assumption", assumption.clone())
        },
    )
}

/// Flags support that has ended (`ended`, given the end date when known) or ends soon
/// (`soon`, given the date and the days left), with `evidence`, and says what was found.
fn flag_status(
    status: Status,
    today: NaiveDate,
    evidence: String,
    flags: &mut Vec<Flag>,
    ended: impl FnOnce(Option<NaiveDate>) -> Message,
    soon: impl FnOnce(NaiveDate, i64) -> Message,
) -> LifecycleOutcome {
    match status {
        Status::Ended(date) => {
            flags.push(Flag::new(
                FlagCode::EndOfSupport,
                FlagSeverity::High,
                ended(date),
                evidence.clone(),
            ));
            LifecycleOutcome::Ended(evidence)
        }
        Status::Soon(date) => {
            let days = (date - today).num_days();
            flags.push(Flag {
                support_ends_on: Some(date),
                ..Flag::new(
                    FlagCode::EndOfSupportSoon,
                    FlagSeverity::Medium,
                    soon(date, days),
                    evidence,
                )
            });
            LifecycleOutcome::Known
        }
        Status::Supported => LifecycleOutcome::Known,
    }
}

/// `Windows Server 2019` under the title `Windows Server` reads `2019`.
fn strip_title_prefix<'a>(label: &'a str, title: &str) -> &'a str {
    label
        .strip_prefix(title)
        .map(str::trim_start)
        .filter(|l| !l.is_empty())
        .unwrap_or(label)
}

/// An unreadable version is flagged once by [`assess`]; other misses are flagged here.
fn push_unmatched(m: &ComponentMatch<'_>, product: &EolProduct, flags: &mut Vec<Flag>) {
    if !matches!(m.version, VersionState::Unparseable(_)) {
        flags.push(unmatched_version_flag(m, Some(product)));
    }
}

pub(super) fn unmatched_version_flag(m: &ComponentMatch<'_>, product: Option<&EolProduct>) -> Flag {
    let title = &m.alias.alias.title;
    let field = m.component.label();
    let source = product
        .map(|p| format!("; {}", p.source_url()))
        .unwrap_or_default();
    match &m.version {
        VersionState::Unparseable(raw) => Flag::new(
            FlagCode::UnmatchedVersion,
            FlagSeverity::Low,
            Message::new("domain-device-version-unreadable")
                .with("title", title)
                .with("field", field)
                .with("raw", raw),
            format!("{title}: version text \"{raw}\" holds no version number{source}"),
        ),
        VersionState::Missing if !matches!(m.alias.alias.scheme, CycleScheme::Named(_)) => {
            Flag::new(
                FlagCode::UnmatchedVersion,
                FlagSeverity::Low,
                Message::new("domain-device-version-missing")
                    .with("title", title)
                    .with("field", field),
                format!("{title}: no version recorded{source}"),
            )
        }
        VersionState::Parsed(_) | VersionState::Words | VersionState::Missing => {
            let raw = m.text.as_str();
            Flag::new(
                FlagCode::UnmatchedVersion,
                FlagSeverity::Low,
                Message::new("domain-device-release-unknown")
                    .with("title", title)
                    .with("raw", raw),
                format!("{title}: \"{raw}\" matches no single release cycle{source}"),
            )
        }
    }
}

pub(super) fn curated_lifecycle(
    subject: &RiskSubject<'_>,
    data: &RiskData,
    today: NaiveDate,
    flags: &mut Vec<Flag>,
) -> LifecycleOutcome {
    let Some(model) = present(subject.model).map(compact) else {
        return LifecycleOutcome::Unknown;
    };
    let row = match present(subject.maker) {
        Some(maker) => data
            .lifecycle_by_maker
            .get(&data.canonical_maker(maker))
            .and_then(|rows| {
                rows.iter()
                    .map(|&i| &data.lifecycle[i])
                    .filter_map(|r| {
                        r.patterns
                            .iter()
                            .find(|p| model.contains(p.as_str()))
                            .map(|p| (p.len(), r))
                    })
                    .max_by_key(|(len, _)| *len)
                    .map(|(_, r)| r)
            }),
        // Without a maker only an exact model name is trusted.
        None => data
            .lifecycle_by_model
            .get(&model)
            .map(|&i| &data.lifecycle[i]),
    };
    let Some(entry) = row else {
        return LifecycleOutcome::Unknown;
    };
    let row = &entry.row;
    let name = format!("{} {}", row.maker, row.model);
    let sale = row
        .end_of_sale
        .map(|d| format!(", end of sale {d}"))
        .unwrap_or_default();
    let note = row
        .note
        .as_deref()
        .map(|n| format!("; {n}"))
        .unwrap_or_default();
    let evidence = format!(
        "mamori Japan-market lifecycle table: {name}{sale}, end of support {}{note}; {} ({})",
        row.end_of_support
            .map_or("not published".to_owned(), |d| d.to_string()),
        row.source_title,
        row.source
    );
    let Some(end) = row.end_of_support else {
        flags.push(Flag::new(
            FlagCode::SupportDateUnknown,
            FlagSeverity::Info,
            Message::new("domain-device-maker-support-date-unknown").with("name", name),
            evidence,
        ));
        return LifecycleOutcome::Unknown;
    };
    flag_status(
        status_of(Some(Eol::On(end)), today),
        today,
        evidence,
        flags,
        |_| {
            Message::new("domain-device-maker-support-ended")
                .with("name", name.clone())
                .with("end", end.to_string())
        },
        |_, days| {
            Message::new("domain-device-maker-support-soon")
                .with("name", name.clone())
                .with("end", end.to_string())
                .with("days", days)
        },
    )
}

pub(super) fn unknown_device_flag(subject: &RiskSubject<'_>) -> Flag {
    let name = [present(subject.maker), present(subject.model)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let name = if name.is_empty() {
        Message::new("domain-device-this-device").into()
    } else {
        mamori_locale::Arg::from(name)
    };
    Flag::new(
        FlagCode::SupportDateUnknown,
        FlagSeverity::Info,
        Message::new("domain-device-support-unknown").with("name", name),
        "no endoflife.date product or curated lifecycle row matches the maker, model, OS or firmware",
    )
}

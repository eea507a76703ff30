//! Oversight (監督) for the people who run the programme: how many institutions of a scope
//! stand where with a fiscal year, and the search over them. Inspectors and prefecture
//! officers see their prefecture, the national office every prefecture; nobody else sees
//! these figures.

use std::collections::HashMap;
use std::sync::Arc;

use mamori_domain::oversight::{OversightKind, YearState, year_status};
use mamori_domain::{
    FiscalYear, InspectionInput, InstitutionKind, InstitutionProfile, InstitutionScope, Principal,
};
use mamori_domain::{ParseError, Prefecture, Role};
use mamori_locale::Message;
use mamori_store::{
    OversightFilter, OversightRow, OversightSort, StateCounts, UnansweredState, YearFacts,
    YearRules, YearView,
};

use crate::{App, Error, today_in_japan};

/// The rules the store keeps each institution's year with: the year's form and inspection
/// rules from the catalog, and the domain's [`year_status`].
pub fn year_rules(catalog: &'static mamori_catalog::Catalog) -> YearRules {
    Arc::new(move |facts: &YearFacts<'_>| {
        let version = catalog.version_for(facts.fiscal_year, facts.profile.kind.form())?;
        let rules = catalog.rules_for(&version.version)?;
        Some(year_status(&InspectionInput {
            fiscal_year: facts.fiscal_year,
            version,
            rules,
            profile: facts.profile,
            answers: facts.answers,
            contact_chart_seen: facts.contact_chart_seen,
            // Readiness does not turn on the date; the year's first day stands in for it.
            today: facts.fiscal_year.first_day(),
        }))
    })
}

/// The scope of oversight a caller has, narrowed to `prefecture` when given: another
/// prefecture than an inspector's or officer's own is not found, as an institution outside
/// its scope would not be.
pub fn oversight_scope(
    principal: &Principal,
    prefecture: Option<Prefecture>,
) -> Result<InstitutionScope, Error> {
    match (principal.role, principal.prefecture, prefecture) {
        (Role::NationalAdmin, _, None) => Ok(InstitutionScope::All),
        (Role::NationalAdmin, _, Some(p)) => Ok(InstitutionScope::Prefecture(p)),
        (Role::Inspector | Role::PrefectureOfficer, Some(own), asked) => match asked {
            Some(p) if p != own => Err(Error::NotFound),
            _ => Ok(InstitutionScope::Prefecture(own)),
        },
        _ => Err(Error::Forbidden),
    }
}

/// The state of an institution without a row for `fiscal_year`, for each profile where it
/// is not "not started": what the domain computes from no answers at all.
fn unanswered_states(app: &App, fiscal_year: FiscalYear) -> Arc<[UnansweredState]> {
    let mut known = app
        .unanswered_states
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Arc::clone(
        known
            .entry(fiscal_year)
            .or_insert_with(|| compute_unanswered_states(app, fiscal_year).into()),
    )
}

/// The states of institutions without answers, per fiscal year, as computed once.
pub type UnansweredByYear = HashMap<FiscalYear, Arc<[UnansweredState]>>;

fn compute_unanswered_states(app: &App, fiscal_year: FiscalYear) -> Vec<UnansweredState> {
    let rules = year_rules(app.catalog);
    let none = HashMap::new();
    let mut out = Vec::new();
    for kind in InstitutionKind::ALL {
        for has_system in [false, true] {
            for has_vendors in [false, true] {
                let profile = InstitutionProfile {
                    kind,
                    has_medical_information_system: has_system,
                    has_vendor_contracts: has_vendors,
                };
                let status = rules(&YearFacts {
                    fiscal_year,
                    profile,
                    answers: &none,
                    contact_chart_seen: None,
                });
                if let Some(status) = status.filter(|s| s.state != YearState::NotStarted) {
                    out.push(UnansweredState {
                        kind,
                        has_medical_information_system: has_system,
                        has_vendor_contracts: has_vendors,
                        state: status.state,
                    });
                }
            }
        }
    }
    out
}

/// The year as seen today, over `scope`.
fn year_view(
    fiscal_year: FiscalYear,
    scope: InstitutionScope,
    unanswered: &[UnansweredState],
) -> YearView<'_> {
    YearView {
        fiscal_year,
        today: today_in_japan(),
        scope,
        unanswered,
    }
}

/// A fiscal year's figures for a scope: in all, by kind and by prefecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub fiscal_year: FiscalYear,
    /// `None` for every prefecture.
    pub prefecture: Option<Prefecture>,
    pub total: StateCounts,
    /// Every kind, in the order of [`OversightKind::ALL`].
    pub by_kind: Vec<(OversightKind, StateCounts)>,
    /// Every prefecture of the scope, in code order.
    pub by_prefecture: Vec<(Prefecture, StateCounts)>,
}

/// The figures of `fiscal_year` the caller may see, for `prefecture` or its whole scope.
pub async fn summary(
    app: &App,
    principal: &Principal,
    fiscal_year: FiscalYear,
    prefecture: Option<Prefecture>,
) -> Result<Summary, Error> {
    let scope = oversight_scope(principal, prefecture)?;
    let unanswered = unanswered_states(app, fiscal_year);
    let mut counts = app
        .store
        .oversight_counts(&year_view(fiscal_year, scope, &unanswered))
        .await?;
    for (key, flags) in app.store.device_flag_totals(scope).await? {
        let c = counts.entry(key).or_default();
        c.flagged_devices += flags.counts.flagged_devices;
        c.institutions_with_flagged_devices += flags.institutions;
        c.end_of_support += flags.counts.end_of_support;
        c.known_exploited += flags.counts.known_exploited;
        c.vulnerable_vpn += flags.counts.vulnerable_vpn;
    }
    for (key, open) in app.store.open_remark_counts(fiscal_year, scope).await? {
        let c = counts.entry(key).or_default();
        c.open_remarks += open.remarks;
        c.institutions_with_open_remarks += open.institutions;
    }
    let prefectures: Vec<Prefecture> = match scope {
        InstitutionScope::Prefecture(p) => vec![p],
        _ => Prefecture::all().collect(),
    };
    let mut total = StateCounts::default();
    let mut by_kind: Vec<(OversightKind, StateCounts)> = OversightKind::ALL
        .into_iter()
        .map(|k| (k, StateCounts::default()))
        .collect();
    let mut by_prefecture: Vec<(Prefecture, StateCounts)> = prefectures
        .iter()
        .map(|p| (*p, StateCounts::default()))
        .collect();
    for ((prefecture, kind), c) in &counts {
        total.add(c);
        if let Some((_, k)) = by_kind.iter_mut().find(|(k, _)| k == kind) {
            k.add(c);
        }
        if let Some((_, p)) = by_prefecture.iter_mut().find(|(p, _)| p == prefecture) {
            p.add(c);
        }
    }
    Ok(Summary {
        fiscal_year,
        prefecture: match scope {
            InstitutionScope::Prefecture(p) => Some(p),
            _ => None,
        },
        total,
        by_kind,
        by_prefecture,
    })
}

/// What the list of institutions is asked for.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub prefecture: Option<Prefecture>,
    pub filter: OversightFilter,
    pub sort: OversightSort,
    pub descending: bool,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The most institutions on one page of the list.
pub const MAX_PAGE: i64 = 500;

/// A page of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionPage {
    pub total: i64,
    pub items: Vec<OversightRow>,
}

/// One page of the institutions of the caller's scope the query finds.
pub async fn institutions(
    app: &App,
    principal: &Principal,
    fiscal_year: FiscalYear,
    query: &ListQuery,
) -> Result<InstitutionPage, Error> {
    let scope = oversight_scope(principal, query.prefecture)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ParseError::new(
            "limit",
            Message::new("errors-oversight-limit")
                .with("value", limit)
                .with("max", MAX_PAGE),
        )
        .into());
    }
    let offset = query.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ParseError::new(
            "offset",
            Message::new("errors-oversight-offset").with("value", offset),
        )
        .into());
    }
    let unanswered = unanswered_states(app, fiscal_year);
    let (total, items) = app
        .store
        .oversight_list(
            &year_view(fiscal_year, scope, &unanswered),
            &query.filter,
            query.sort,
            query.descending,
            limit,
            offset,
        )
        .await?;
    Ok(InstitutionPage { total, items })
}

/// Every institution the query finds, in the list's order, for a download: one count and
/// one read of at most `most` institutions (`total` says when there are more).
pub async fn every_institution(
    app: &App,
    principal: &Principal,
    fiscal_year: FiscalYear,
    query: &ListQuery,
    most: i64,
) -> Result<InstitutionPage, Error> {
    let scope = oversight_scope(principal, query.prefecture)?;
    let unanswered = unanswered_states(app, fiscal_year);
    let (total, items) = app
        .store
        .oversight_list(
            &year_view(fiscal_year, scope, &unanswered),
            &query.filter,
            query.sort,
            query.descending,
            most,
            0,
        )
        .await?;
    Ok(InstitutionPage { total, items })
}

/// Reads a sort order: `prefecture`, `name`, `beds`, `state` or `overdue`, descending with a
/// leading `-`.
pub fn parse_sort(text: &str) -> Result<(OversightSort, bool), ParseError> {
    let (descending, name) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let sort = match name {
        "prefecture" => OversightSort::Prefecture,
        "name" => OversightSort::Name,
        "beds" => OversightSort::Beds,
        "state" => OversightSort::State,
        "overdue" => OversightSort::Overdue,
        _ => {
            return Err(ParseError::new(
                "sort",
                Message::new("errors-oversight-sort").with("value", text),
            ));
        }
    };
    Ok((sort, descending))
}

/// The inspections (立入検査) of `fiscal_year` in the caller's scope, by day, with their open
/// 指摘; at most `most`.
pub async fn inspections(
    app: &App,
    principal: &Principal,
    fiscal_year: FiscalYear,
    prefecture: Option<Prefecture>,
    most: i64,
) -> Result<Vec<mamori_store::ScheduledInspection>, Error> {
    let scope = oversight_scope(principal, prefecture)?;
    Ok(app
        .store
        .scheduled_inspections(fiscal_year, scope, most)
        .await?)
}

/// An item of the year's form and how many institutions answered it いいえ in the first round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemAnsweredNo {
    pub item: &'static mamori_domain::ChecklistItem,
    pub institutions: i64,
}

/// The items most often answered いいえ in the first round of `fiscal_year`, in the caller's
/// scope, at most `most`. The hospitals' and the pharmacies' forms share their items' keys and
/// numbers, so an item is counted over both and named as the 医療機関確認用 names it.
pub async fn items_answered_no(
    app: &App,
    principal: &Principal,
    fiscal_year: FiscalYear,
    prefecture: Option<Prefecture>,
    most: i64,
) -> Result<Vec<ItemAnsweredNo>, Error> {
    let scope = oversight_scope(principal, prefecture)?;
    let forms = [
        InstitutionKind::Hospital.form(),
        InstitutionKind::Pharmacy.form(),
    ];
    let versions: Vec<_> = forms
        .iter()
        .filter_map(|form| app.catalog.version_for(fiscal_year, *form))
        .collect();
    let counted = app
        .store
        .items_answered_no(fiscal_year, scope, most)
        .await?;
    Ok(counted
        .into_iter()
        .filter_map(|(key, institutions)| {
            let item = versions.iter().find_map(|v| v.item(&key))?;
            Some(ItemAnsweredNo { item, institutions })
        })
        .collect())
}

/// Reads a bed band as the list is asked for it: `0` (無床), `20-199`, or `400-` (open-ended).
pub fn parse_bed_band(text: &str) -> Result<mamori_domain::assurance::BedBand, ParseError> {
    let refuse = || {
        ParseError::new(
            "beds",
            Message::new("errors-oversight-beds").with("value", text),
        )
    };
    let number = |t: &str| t.trim().parse::<u32>().map_err(|_| refuse());
    let band = match text.split_once('-') {
        None => {
            let n = number(text)?;
            mamori_domain::assurance::BedBand {
                min_beds: n,
                max_beds: Some(n),
            }
        }
        Some((min, "")) => mamori_domain::assurance::BedBand {
            min_beds: number(min)?,
            max_beds: None,
        },
        Some((min, max)) => mamori_domain::assurance::BedBand {
            min_beds: number(min)?,
            max_beds: Some(number(max)?),
        },
    };
    if band.max_beds.is_some_and(|max| max < band.min_beds) {
        return Err(refuse());
    }
    Ok(band)
}

/// Reads whether the survey is asked answered (`answered`) or not (`not_answered`).
pub fn parse_survey(text: &str) -> Result<bool, ParseError> {
    match text {
        "answered" => Ok(true),
        "not_answered" => Ok(false),
        _ => Err(ParseError::new(
            "survey",
            Message::new("errors-oversight-survey").with("value", text),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bed_bands_are_read_as_typed() {
        let band = |min, max| mamori_domain::assurance::BedBand {
            min_beds: min,
            max_beds: max,
        };
        assert_eq!(parse_bed_band("0"), Ok(band(0, Some(0))));
        assert_eq!(parse_bed_band("20-199"), Ok(band(20, Some(199))));
        assert_eq!(parse_bed_band("400-"), Ok(band(400, None)));
        for bad in ["", "-", "a-b", "200-20", "-5", "20-x"] {
            assert_eq!(
                parse_bed_band(bad).map_err(|e| e.field),
                Err("beds"),
                "{bad}"
            );
        }
        assert_eq!(parse_survey("answered"), Ok(true));
        assert_eq!(parse_survey("not_answered"), Ok(false));
        assert!(parse_survey("yes").is_err());
    }
}

//! Identification: which product and release cycle each part of a device is.

use mamori_locale::Message;
use serde::Serialize;

use super::dataset::{CycleScheme, Eol, EolProduct, NamedScheme};
use super::index::{PreparedAlias, PreparedCycle, RiskData, numeric_cycle};
use super::subject::RiskSubject;
use super::version::{Version, parse_parts};
use super::words::{normalize, phrase_key, present, tokenize, words};

/// Which field of the ledger row a match comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "field", content = "index", rename_all = "snake_case")]
pub enum Component {
    Os,
    Firmware,
    Software(usize),
}

impl Component {
    pub(super) fn label(self) -> Message {
        Message::new(match self {
            Self::Os => "domain-device-component-os",
            Self::Firmware => "domain-device-component-firmware",
            Self::Software(_) => "domain-device-component-software",
        })
    }
}

/// What mamori recognized in one part of a device: the product, the release cycle used and
/// where the dates come from. Shown beside the flags so a person can check the reasoning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductMatch {
    pub component: Component,
    /// [`ProductAlias::id`](super::ProductAlias::id).
    pub product: String,
    pub title: String,
    /// The endoflife.date product, when endoflife.date tracks it.
    pub endoflife_product: Option<String>,
    /// The release cycle used, when one could be chosen.
    pub cycle: Option<String>,
    pub cycle_label: Option<String>,
    /// Every candidate cycle when the ledger text did not single one out.
    pub candidates: Vec<String>,
    pub eol: Option<Eol>,
    /// The version text the match read.
    pub version: Option<String>,
    /// What was assumed, e.g. the edition when the ledger names none.
    pub assumption: Option<String>,
    /// Where the dates come from.
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum VersionState {
    Parsed(Version),
    /// Read as words by a named scheme (`21H2`), not as numbers.
    Words,
    Missing,
    Unparseable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Resolution {
    /// No endoflife.date product behind the alias.
    NoLifecycle,
    Exact(usize),
    Ambiguous(Vec<usize>),
    /// Older than every cycle the publisher lists; the index is the oldest listed cycle.
    OlderThanAll(usize),
    NotFound,
}

#[derive(Debug, Clone)]
pub(super) struct ComponentMatch<'d> {
    pub(super) component: Component,
    pub(super) alias: &'d PreparedAlias,
    /// The ledger's words for this part, as written (field text and version).
    pub(super) text: String,
    pub(super) version_text: Option<String>,
    pub(super) version: VersionState,
    pub(super) resolution: Resolution,
    assumed: bool,
}

struct Candidate<'a> {
    component: Component,
    text: String,
    version: Option<&'a str>,
    /// Whether the version may be read from the text after the product's name
    /// (`FortiOS 7.4.3`), which is not safe for model names (`FortiGate-60E`).
    version_in_text: bool,
}

fn candidates<'a>(subject: &RiskSubject<'a>) -> Vec<Candidate<'a>> {
    let mut out = Vec::new();
    if let Some(os) = present(subject.os) {
        out.push(Candidate {
            component: Component::Os,
            text: os.to_owned(),
            version: present(subject.os_version),
            version_in_text: true,
        });
    }
    let model_text = [present(subject.maker), present(subject.model)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !model_text.is_empty() {
        out.push(Candidate {
            component: Component::Firmware,
            text: model_text,
            version: present(subject.firmware_version),
            version_in_text: false,
        });
    }
    for (i, sw) in subject.software.iter().enumerate() {
        if let Some(name) = present(Some(sw.name)) {
            out.push(Candidate {
                component: Component::Software(i),
                text: name.to_owned(),
                version: present(sw.version),
                version_in_text: true,
            });
        }
    }
    out
}

impl RiskData {
    /// The alias named in `words`, with the index of the first word after the name.
    /// `strict`: the words include the maker's own name and model (the firmware field), so a
    /// known maker outside an alias's makers rules the alias out. For the OS and software
    /// fields the device's maker is often not the software's (a Dell PC runs Windows): there
    /// the maker only breaks ties (Cisco's IOS over Apple's iOS).
    fn find_alias(
        &self,
        words: &[&str],
        maker: Option<&str>,
        strict: bool,
    ) -> Option<(usize, usize)> {
        let mut key = String::new();
        // (phrase length, preference, alias index, end word)
        let mut best: Option<(usize, u8, usize, usize)> = None;
        for start in 0..words.len() {
            for len in 1..=self.max_phrase_words.min(words.len() - start) {
                key.clear();
                for (n, w) in words[start..start + len].iter().enumerate() {
                    if n > 0 {
                        key.push(' ');
                    }
                    key.push_str(w);
                }
                let Some(found) = self.phrase_index.get(key.as_str()) else {
                    continue;
                };
                for &ai in found {
                    let alias = &self.aliases[ai];
                    if alias.exclude.iter().any(|e| contains_phrase(words, e)) {
                        continue;
                    }
                    // Preference: the ledger's maker is one of the alias's makers (2), the
                    // alias names no maker (1), otherwise (0).
                    let preference = match (maker, alias.makers.is_empty()) {
                        (_, true) => 1,
                        (Some(m), false) if alias.makers.contains(m) => 2,
                        (Some(_), false) if strict => continue,
                        (_, false) => 0,
                    };
                    let candidate = (len, preference, ai, start + len);
                    let better = match best {
                        None => true,
                        Some((bl, bp, bi, _)) => {
                            (len, preference) > (bl, bp)
                                || ((len, preference) == (bl, bp) && ai < bi)
                        }
                    };
                    if better {
                        best = Some(candidate);
                    }
                }
            }
        }
        best.map(|(_, _, ai, end)| (ai, end))
    }

    pub(super) fn match_components<'d>(
        &'d self,
        subject: &RiskSubject<'_>,
    ) -> Vec<ComponentMatch<'d>> {
        let maker = present(subject.maker).map(|m| self.canonical_maker(m));
        let mut out: Vec<ComponentMatch<'d>> = Vec::new();
        for cand in candidates(subject) {
            let norm = normalize(&cand.text);
            let spans = tokenize(&norm);
            let text_words: Vec<&str> = spans.iter().map(|&(s, e)| &norm[s..e]).collect();
            let strict = cand.component == Component::Firmware;
            let Some((ai, end)) = self.find_alias(&text_words, maker.as_deref(), strict) else {
                continue;
            };
            let alias = &self.aliases[ai];
            let rest_start = spans.get(end).map_or(norm.len(), |&(s, _)| s);
            let rest = &norm[rest_start..];
            // The version may be glued to the name's last word: `IE11`.
            let tail = spans
                .get(end.saturating_sub(1))
                .map_or(rest, |&(s, _)| &norm[s..]);
            let mut m = self.resolve(
                alias,
                cand.component,
                (rest, tail),
                cand.version,
                cand.version_in_text,
            );
            m.text = match cand.version {
                Some(v) => format!("{} {v}", cand.text),
                None => cand.text.clone(),
            };
            // One verdict per product: the OS field and the model may both name FortiOS.
            if let Some(existing) = out.iter_mut().find(|c| std::ptr::eq(c.alias, alias)) {
                let better = matches!(m.version, VersionState::Parsed(_))
                    && !matches!(existing.version, VersionState::Parsed(_));
                if better {
                    *existing = m;
                }
                continue;
            }
            out.push(m);
        }
        out
    }

    fn resolve<'d>(
        &'d self,
        alias: &'d PreparedAlias,
        component: Component,
        (rest, tail): (&str, &str),
        version: Option<&str>,
        version_in_text: bool,
    ) -> ComponentMatch<'d> {
        let named = alias.product.is_some() && matches!(alias.alias.scheme, CycleScheme::Named(_));
        let version_text = version.map(str::to_owned);
        let (version_state, version_text) = match version {
            Some(v) => match Version::parse(v) {
                Some(parsed) => (VersionState::Parsed(parsed), version_text),
                None if named => (VersionState::Words, version_text),
                None => (VersionState::Unparseable(v.to_owned()), version_text),
            },
            // Named schemes read the words themselves (`Windows 11 Pro 23H2`).
            None if version_in_text && !named => {
                let found = parse_parts(rest)
                    .map(|p| (p, rest))
                    .or_else(|| parse_parts(tail).map(|p| (p, tail)));
                match found {
                    Some((parts, text)) => (
                        VersionState::Parsed(Version::from_parts(parts)),
                        Some(text.trim().to_owned()),
                    ),
                    None => (VersionState::Missing, None),
                }
            }
            None => (VersionState::Missing, None),
        };
        let mut assumed = false;
        let resolution = match (alias.product, &alias.alias.scheme) {
            (None, _) => Resolution::NoLifecycle,
            (Some(_), CycleScheme::Dotted { legacy_one_prefix }) => match &version_state {
                VersionState::Parsed(v) => {
                    let v = match v.parts() {
                        [1, rest @ ..] if *legacy_one_prefix && !rest.is_empty() => {
                            Version::from_parts(rest.to_vec())
                        }
                        _ => v.clone(),
                    };
                    resolve_dotted(&alias.cycles, &v)
                }
                VersionState::Missing | VersionState::Words | VersionState::Unparseable(_) => {
                    Resolution::Ambiguous((0..alias.cycles.len()).collect())
                }
            },
            (Some(_), CycleScheme::Named(scheme)) => {
                let text = match version {
                    Some(v) => format!("{rest} {}", normalize(v)),
                    None => rest.to_owned(),
                };
                let (resolution, used_default) = resolve_named(alias, scheme, &text);
                assumed = used_default;
                resolution
            }
        };
        ComponentMatch {
            component,
            alias,
            text: String::new(),
            version_text,
            version: version_state,
            resolution,
            assumed,
        }
    }
}

fn contains_phrase(words: &[&str], phrase: &[String]) -> bool {
    !phrase.is_empty()
        && words.len() >= phrase.len()
        && words
            .windows(phrase.len())
            .any(|w| w.iter().zip(phrase).all(|(a, b)| *a == b.as_str()))
}

fn resolve_dotted(cycles: &[PreparedCycle], version: &Version) -> Resolution {
    let numeric = || {
        cycles
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.numeric.as_deref().map(|n| (i, n)))
    };
    // The longest cycle that starts the version: 19.6 over 19 for 19.6.3.
    if let Some((i, _)) = numeric()
        .filter(|(_, n)| version.starts_with(n))
        .max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(&a.0)))
    {
        return Resolution::Exact(i);
    }
    // A version shorter than the cycles ("7" against 7.0, 7.2, 7.4).
    let longer: Vec<usize> = numeric()
        .filter(|(_, n)| n.len() > version.parts().len() && n.starts_with(version.parts()))
        .map(|(i, _)| i)
        .collect();
    match longer.len() {
        0 => {}
        1 => return Resolution::Exact(longer[0]),
        _ => return Resolution::Ambiguous(longer),
    }
    match numeric()
        .min_by(|a, b| Version::from_parts(a.1.to_vec()).cmp(&Version::from_parts(b.1.to_vec())))
    {
        Some((i, oldest)) if *version < Version::from_parts(oldest.to_vec()) => {
            Resolution::OlderThanAll(i)
        }
        _ => Resolution::NotFound,
    }
}

/// Returns the resolution and whether the default qualifiers (edition) decided it.
fn resolve_named(alias: &PreparedAlias, scheme: &NamedScheme, text: &str) -> (Resolution, bool) {
    let mut tokens: Vec<String> = words(text).into_iter().map(str::to_owned).collect();
    for (phrase, replacement) in &alias.synonyms {
        let mut i = 0;
        while i + phrase.len() <= tokens.len() {
            if tokens[i..i + phrase.len()] == phrase[..] {
                tokens.splice(i..i + phrase.len(), replacement.iter().cloned());
                // An empty replacement removes the phrase; the next word moved into place.
                i += replacement.len();
            } else {
                i += 1;
            }
        }
    }
    let mut core: Vec<String> = Vec::new();
    let mut wanted: Vec<String> = Vec::new();
    let mut build: Option<Vec<u32>> = None;
    for t in tokens {
        if alias.qualifiers.contains(&t) {
            wanted.push(t);
        } else if alias.vocabulary.contains(&t) {
            if !core.contains(&t) {
                core.push(t);
            }
        } else if build.is_none() {
            build = numeric_cycle(&t)
                .filter(|n| n.len() >= 3)
                .map(|n| n[..3].to_vec());
        }
    }
    wanted.sort();
    wanted.dedup();

    let all: Vec<usize> = (0..alias.cycles.len()).collect();
    let mut cands: Vec<usize> = if core.is_empty() {
        all.clone()
    } else {
        let pick = |f: &dyn Fn(&PreparedCycle) -> bool| -> Vec<usize> {
            all.iter()
                .copied()
                .filter(|&i| f(&alias.cycles[i]))
                .collect()
        };
        let exact = pick(&|c| c.core == core);
        if !exact.is_empty() {
            exact
        } else {
            let prefix = pick(&|c| c.core.starts_with(&core));
            if !prefix.is_empty() {
                prefix
            } else {
                pick(&|c| c.core.first() == core.first())
            }
        }
    };
    if let (Some(build), true) = (&build, scheme.build_from_latest) {
        let by_build: Vec<usize> = cands
            .iter()
            .copied()
            .filter(|&i| alias.cycles[i].latest_build.as_ref() == Some(build))
            .collect();
        if !by_build.is_empty() {
            cands = by_build;
        }
    }
    if cands.is_empty() {
        return (Resolution::NotFound, false);
    }
    let mut used_default = false;
    let wanted = if wanted.is_empty() {
        match &scheme.default_qualifiers {
            Some(default) => {
                used_default = true;
                let mut d: Vec<String> = default.iter().map(|q| phrase_key(q)).collect();
                d.sort();
                d
            }
            None => {
                return (to_resolution(cands), false);
            }
        }
    } else {
        wanted
    };
    let before = cands.len();
    let selected = select_by_qualifiers(&alias.cycles, cands.clone(), &wanted);
    // Nothing of that edition: keep every candidate rather than guess.
    let selected = if selected.is_empty() { cands } else { selected };
    let decided = used_default && selected.len() < before;
    (to_resolution(selected), decided)
}

fn to_resolution(cands: Vec<usize>) -> Resolution {
    match cands.as_slice() {
        [] => Resolution::NotFound,
        [one] => Resolution::Exact(*one),
        _ => Resolution::Ambiguous(cands),
    }
}

/// Within each release (same core words), the cycles of the wanted edition.
fn select_by_qualifiers(
    cycles: &[PreparedCycle],
    cands: Vec<usize>,
    wanted: &[String],
) -> Vec<usize> {
    let mut releases: Vec<&[String]> = Vec::new();
    for &i in &cands {
        if !releases.contains(&cycles[i].core.as_slice()) {
            releases.push(&cycles[i].core);
        }
    }
    let mut out = Vec::new();
    for core in releases {
        let group: Vec<usize> = cands
            .iter()
            .copied()
            .filter(|&i| cycles[i].core == core)
            .collect();
        out.extend(select_edition(cycles, group, wanted));
    }
    out.sort_unstable();
    out
}

fn select_edition(cycles: &[PreparedCycle], group: Vec<usize>, wanted: &[String]) -> Vec<usize> {
    let exact: Vec<usize> = group
        .iter()
        .copied()
        .filter(|&i| cycles[i].qualifiers == wanted)
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    // A release not split by edition (Windows 10 22H2 has no W/E split).
    let subset: Vec<usize> = group
        .iter()
        .copied()
        .filter(|&i| cycles[i].qualifiers.iter().all(|q| wanted.contains(q)))
        .collect();
    let best = subset.iter().map(|&i| cycles[i].qualifiers.len()).max();
    match best {
        Some(best) => subset
            .into_iter()
            .filter(|&i| cycles[i].qualifiers.len() == best)
            .collect(),
        // Only other editions of this release (LTSC when Home/Pro is wanted): not this one,
        // unless nothing else matches at all.
        None => Vec::new(),
    }
}

/// What mamori recognized in each part of the device: product, release cycle and source.
pub fn identify(subject: &RiskSubject<'_>, data: &RiskData) -> Vec<ProductMatch> {
    data.match_components(subject)
        .iter()
        .map(|m| product_match(m, data))
        .collect()
}

fn product_match(m: &ComponentMatch<'_>, data: &RiskData) -> ProductMatch {
    let product = m.alias.product.map(|p| &data.products[p]);
    let release = |i: usize| product.map(|p| &p.releases[i]);
    let (cycle, candidates) = match &m.resolution {
        Resolution::Exact(i) | Resolution::OlderThanAll(i) => (release(*i), Vec::new()),
        Resolution::Ambiguous(is) => (
            None,
            is.iter()
                .filter_map(|&i| release(i).map(|r| r.cycle.clone()))
                .collect(),
        ),
        Resolution::NoLifecycle | Resolution::NotFound => (None, Vec::new()),
    };
    ProductMatch {
        component: m.component,
        product: m.alias.alias.id.clone(),
        title: m.alias.alias.title.clone(),
        endoflife_product: product.map(|p| p.id.clone()),
        cycle: cycle.map(|c| c.cycle.clone()),
        cycle_label: cycle.and_then(|c| c.label.clone()),
        candidates,
        eol: cycle.and_then(|c| c.eol),
        version: m.version_text.clone(),
        assumption: assumption_en(m),
        source: product.map(EolProduct::source_url),
    }
}

pub(super) fn assumption_en(m: &ComponentMatch<'_>) -> Option<String> {
    if !m.assumed {
        return None;
    }
    match &m.alias.alias.scheme {
        CycleScheme::Named(s) => s.default_note_en.clone().or_else(|| {
            s.default_qualifiers
                .as_ref()
                .map(|q| format!("edition not stated; assumed {}", q.join(" ")))
        }),
        CycleScheme::Dotted { .. } => None,
    }
}

pub(super) fn assumption_note(m: &ComponentMatch<'_>) -> Option<String> {
    if !m.assumed {
        return None;
    }
    match &m.alias.alias.scheme {
        CycleScheme::Named(s) => s.default_note_ja.clone(),
        CycleScheme::Dotted { .. } => None,
    }
}

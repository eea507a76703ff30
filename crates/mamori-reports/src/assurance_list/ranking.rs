//! A ranking from a spreadsheet: 別紙1 as exported with its 順位 column edited, or a short
//! sheet of its own (申請ID or 医療機関コード, 順位, and optionally 順位指定の理由).

use std::collections::HashMap;

use mamori_domain::assurance::RankReason;
use mamori_domain::{Prefecture, arg, bilingual, joined};
use mamori_locale::Message;

use super::grid::{
    Cell, MAX_PROBLEMS, QuotaFileFormat, QuotaImportError, QuotaImportProblem, read_csv, read_xlsx,
};
use super::quota::{normalize, to_row};

// A ranking from a spreadsheet: 別紙1 as exported, its 順位 column edited, or a short sheet
// of its own (申請ID or 医療機関コード, 順位, and optionally 順位指定の理由)

/// One ranked row of a ranking file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankingRow {
    /// 1-based row of the file, for messages.
    pub row: u32,
    /// 申請ID, when the file has that column.
    pub application_id: Option<i64>,
    /// 医療機関コード, when the file has that column.
    pub medical_institution_code: Option<String>,
    pub rank: u32,
    /// The reasons of the row; `None` when the file has no reason column (the reasons already
    /// given are then kept), empty when its cell is blank.
    pub reasons: Option<Vec<RankReason>>,
}

/// A ranking file as read, with its columns (0-based) for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankingFile {
    pub rows: Vec<RankingRow>,
    pub rank_column: usize,
    pub id_column: Option<usize>,
    pub code_column: Option<usize>,
    pub reason_column: Option<usize>,
}

impl RankingFile {
    /// The column naming the application: 申請ID if present, else 医療機関コード.
    fn key_column(&self) -> Option<usize> {
        self.id_column.or(self.code_column)
    }
}

fn header_is(cell: &Cell, names: &[&str]) -> bool {
    let t: String = cell
        .text()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .collect::<String>()
        .to_lowercase();
    names.iter().any(|n| *n == t)
}

const RANK_HEADERS: [&str; 2] = ["順位", "rank"];
const ID_HEADERS: [&str; 3] = ["申請id", "applicationid", "application"];
const CODE_HEADERS: [&str; 4] = [
    "医療機関コード",
    "institutioncode",
    "medicalinstitutioncode",
    "code",
];
const REASON_HEADERS: [&str; 5] = [
    "順位指定の理由",
    "順位の考え方",
    "理由",
    "reason",
    "reasons",
];

/// Reads a ranking (.xlsx, e.g. 別紙1 as exported and edited, or CSV in UTF-8 or Shift_JIS):
/// a header row with 順位 (`rank`) and 申請ID (`application_id`) or 医療機関コード
/// (`institution_code`), optionally 順位指定の理由 (`reason`: the codes or labels of
/// [`RankReason::parse`], one per line). Rows naming no application are skipped (titles,
/// totals); a rank that is not a whole number from 1, an id that is not a number and a reason
/// that cannot be read are problems with their row and column. Ties, gaps and unknown
/// applications are judged against the applications by [`resolve_ranking`].
pub fn import_ranking(bytes: &[u8]) -> Result<RankingFile, QuotaImportError> {
    let grid = match QuotaFileFormat::detect(bytes)? {
        QuotaFileFormat::Xlsx => read_xlsx(bytes)?,
        QuotaFileFormat::Csv => read_csv(bytes)?,
    };
    let header = grid.iter().position(|row| {
        row.iter().any(|c| header_is(c, &RANK_HEADERS))
            && row
                .iter()
                .any(|c| header_is(c, &ID_HEADERS) || header_is(c, &CODE_HEADERS))
    });
    let Some(header) = header else {
        return Err(QuotaImportError::one(
            None,
            None,
            Message::new("reports-ranking-no-header"),
        ));
    };
    let find = |names: &[&str]| grid[header].iter().position(|c| header_is(c, names));
    let file_columns = (
        find(&RANK_HEADERS),
        find(&ID_HEADERS),
        find(&CODE_HEADERS),
        find(&REASON_HEADERS),
    );
    let (Some(rank_column), id_column, code_column, reason_column) = file_columns else {
        return Err(QuotaImportError::one(
            Some(to_row(header)),
            None,
            Message::new("reports-ranking-rank-header"),
        ));
    };
    let mut file = RankingFile {
        rows: Vec::new(),
        rank_column,
        id_column,
        code_column,
        reason_column,
    };
    let mut problems = Vec::new();
    for (r, cells) in grid.iter().enumerate().skip(header + 1) {
        let get = |c: Option<usize>| {
            c.and_then(|c| cells.get(c))
                .map(Cell::text)
                .map(|t| normalize(&t))
                .unwrap_or_default()
        };
        let id_text = get(id_column);
        let code_text = get(code_column);
        if id_text.is_empty() && code_text.is_empty() {
            continue;
        }
        let row = to_row(r);
        let application_id = if id_text.is_empty() {
            None
        } else {
            match id_text.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    problems.push(QuotaImportProblem::new(
                        Some(row),
                        id_column,
                        Message::new("reports-ranking-id-not-number").with("id", &id_text),
                    ));
                    None
                }
            }
        };
        let rank_text = get(Some(rank_column));
        let rank = match rank_text.parse::<u32>() {
            Ok(rank) if rank >= 1 => Some(rank),
            _ if rank_text.is_empty() => {
                problems.push(QuotaImportProblem::new(
                    Some(row),
                    Some(rank_column),
                    Message::new("reports-ranking-rank-blank"),
                ));
                None
            }
            _ => {
                problems.push(QuotaImportProblem::new(
                    Some(row),
                    Some(rank_column),
                    Message::new("reports-ranking-rank-invalid").with("rank", &rank_text),
                ));
                None
            }
        };
        let reasons = match reason_column {
            None => None,
            Some(c) => {
                let text = cells.get(c).map(Cell::text).unwrap_or_default();
                let mut reasons = Vec::new();
                for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                    match RankReason::parse(line) {
                        Some(reason) => reasons.push(reason),
                        None => problems.push(QuotaImportProblem::new(
                            Some(row),
                            Some(c),
                            Message::new("reports-ranking-unknown-reason").with("line", line),
                        )),
                    }
                }
                Some(reasons)
            }
        };
        if let Some(rank) = rank {
            file.rows.push(RankingRow {
                row,
                application_id,
                medical_institution_code: (!code_text.is_empty()).then_some(code_text),
                rank,
                reasons,
            });
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    if !problems.is_empty() {
        return Err(QuotaImportError { problems });
    }
    if file.rows.is_empty() {
        return Err(QuotaImportError::one(
            None,
            None,
            Message::new("reports-ranking-no-rows"),
        ));
    }
    Ok(file)
}

/// The entries of a list of institutions (.xlsx or CSV): every non-blank cell, with its
/// 1-based row, in reading order. A first row without a digit is a header and is skipped
/// (「医療機関コード」, 「施設名」). What each entry names is the caller's to judge.
pub fn import_institution_list(bytes: &[u8]) -> Result<Vec<(u32, String)>, QuotaImportError> {
    let grid = match QuotaFileFormat::detect(bytes)? {
        QuotaFileFormat::Xlsx => read_xlsx(bytes)?,
        QuotaFileFormat::Csv => read_csv(bytes)?,
    };
    let mut entries = Vec::new();
    let mut first = true;
    for (r, cells) in grid.iter().enumerate() {
        let texts: Vec<String> = cells
            .iter()
            .map(Cell::text)
            .filter(|t| !t.is_empty())
            .collect();
        if texts.is_empty() {
            continue;
        }
        if first
            && !texts
                .iter()
                .any(|t| normalize(t).bytes().any(|b| b.is_ascii_digit()))
        {
            first = false;
            continue;
        }
        first = false;
        entries.extend(texts.into_iter().map(|t| (to_row(r), t)));
    }
    Ok(entries)
}

/// One of the prefecture's applications, as a ranking file may name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankingTarget {
    pub application_id: i64,
    pub medical_institution_code: Option<String>,
    pub institution_name: String,
}

/// A row of a ranking file matched to its application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRank {
    pub row: u32,
    pub application_id: i64,
    pub rank: u32,
    pub reasons: Option<Vec<RankReason>>,
}

/// A prefecture as a message names it.
fn name(prefecture: Prefecture) -> Message {
    bilingual(prefecture.name_ja(), prefecture.name_en())
}

/// An application as a message names it: the hospital and the application's id.
fn application(target: &RankingTarget) -> Message {
    Message::new("reports-ranking-application")
        .with("name", target.institution_name.as_str())
        .with("id", arg(target.application_id))
}

/// Matches a ranking file to the prefecture's applications and checks it as a whole, naming
/// the row and column of every problem: an application that is unknown or of another
/// prefecture (an id the prefecture does not know is named as not its own, never as another
/// prefecture's: that would tell a caller what lies outside its scope; a code tells its
/// prefecture by its own first two digits), an id and a code that name different
/// applications, an application named twice, ranks tied, out of range (above the number of
/// applicants) or missing, and applicants without a row. On success the rows are in rank
/// order.
pub fn resolve_ranking(
    file: &RankingFile,
    prefecture: Prefecture,
    targets: &[RankingTarget],
) -> Result<Vec<ResolvedRank>, QuotaImportError> {
    let by_id: HashMap<i64, &RankingTarget> =
        targets.iter().map(|t| (t.application_id, t)).collect();
    let by_code: HashMap<&str, &RankingTarget> = targets
        .iter()
        .filter_map(|t| t.medical_institution_code.as_deref().map(|c| (c, t)))
        .collect();
    let n = targets.len();
    let mut problems = Vec::new();
    let mut resolved: Vec<ResolvedRank> = Vec::new();
    let mut first_row_of_app: HashMap<i64, u32> = HashMap::new();
    let mut first_row_of_rank: HashMap<u32, u32> = HashMap::new();
    let key_column = file.key_column();
    for row in &file.rows {
        let place = |column: Option<usize>, detail: Message| {
            QuotaImportProblem::new(Some(row.row), column, detail)
        };
        let by_code_target = match row.medical_institution_code.as_deref() {
            None => None,
            Some(code) => match by_code.get(code) {
                Some(t) => Some(*t),
                None => {
                    if row.application_id.is_none() {
                        let other = code
                            .get(..2)
                            .and_then(|p| Prefecture::parse(p).ok())
                            .filter(|p| *p != prefecture);
                        problems.push(match other {
                            Some(p) => place(
                                file.code_column,
                                Message::new("reports-ranking-code-of-other-prefecture")
                                    .with("code", code)
                                    .with("other", name(p))
                                    .with("prefecture", name(prefecture)),
                            ),
                            None => place(
                                file.code_column,
                                Message::new("reports-ranking-code-unknown")
                                    .with("code", code)
                                    .with("prefecture", name(prefecture)),
                            ),
                        });
                    }
                    None
                }
            },
        };
        let target = match row.application_id {
            Some(id) => match by_id.get(&id) {
                Some(t) => Some(*t),
                None => {
                    problems.push(place(
                        file.id_column,
                        Message::new("reports-ranking-id-unknown")
                            .with("id", arg(id))
                            .with("prefecture", name(prefecture)),
                    ));
                    None
                }
            },
            None => by_code_target,
        };
        let Some(target) = target else {
            continue;
        };
        if let (Some(code), Some(_)) = (row.medical_institution_code.as_deref(), row.application_id)
            && target.medical_institution_code.as_deref() != Some(code)
        {
            problems.push(place(
                file.code_column,
                Message::new("reports-ranking-code-mismatch")
                    .with("code", code)
                    .with("id", arg(target.application_id))
                    .with("name", target.institution_name.as_str()),
            ));
            continue;
        }
        if let Some(first) = first_row_of_app.get(&target.application_id) {
            problems.push(place(
                key_column,
                Message::new("reports-ranking-named-twice")
                    .with("application", application(target))
                    .with("first", *first),
            ));
            continue;
        }
        first_row_of_app.insert(target.application_id, row.row);
        if usize::try_from(row.rank).map_or(true, |r| r > n) {
            problems.push(place(
                Some(file.rank_column),
                Message::new("reports-ranking-rank-too-high")
                    .with("rank", row.rank)
                    .with("count", n),
            ));
        } else if let Some(first) = first_row_of_rank.get(&row.rank) {
            problems.push(place(
                Some(file.rank_column),
                Message::new("reports-ranking-rank-tied")
                    .with("rank", row.rank)
                    .with("first", *first),
            ));
        } else {
            first_row_of_rank.insert(row.rank, row.row);
        }
        resolved.push(ResolvedRank {
            row: row.row,
            application_id: target.application_id,
            rank: row.rank,
            reasons: row.reasons.clone(),
        });
    }
    if problems.is_empty() {
        // Whole-file problems: ranks not used, applicants not named (no row to point at).
        let missing: Vec<u32> = (1..=u32::try_from(n).unwrap_or(u32::MAX))
            .filter(|r| !first_row_of_rank.contains_key(r))
            .collect();
        if !missing.is_empty() {
            let list = missing.iter().take(20).map(|r| {
                let r = r.to_string();
                bilingual(r.clone(), r)
            });
            problems.push(QuotaImportProblem::new(
                None,
                Some(file.rank_column),
                Message::new("reports-ranking-ranks-missing")
                    .with("ranks", joined(list, "reports-join-comma"))
                    .with("count", n),
            ));
        }
        let unnamed: Vec<&RankingTarget> = targets
            .iter()
            .filter(|t| !first_row_of_app.contains_key(&t.application_id))
            .collect();
        if !unnamed.is_empty() {
            let list = unnamed.iter().take(20).map(|t| application(t));
            problems.push(QuotaImportProblem::new(
                None,
                key_column,
                Message::new("reports-ranking-unnamed")
                    .with("list", joined(list, "reports-join-comma")),
            ));
        }
    }
    if problems.is_empty() {
        resolved.sort_by_key(|r| r.rank);
        Ok(resolved)
    } else {
        problems.truncate(MAX_PROBLEMS);
        Err(QuotaImportError { problems })
    }
}

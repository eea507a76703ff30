//! Finding the header row and what each column of the sheet holds.

use mamori_domain::device::LedgerColumn;
use mamori_domain::text::fold::fold;

use super::error::{HeaderCell, ImportError};

pub(super) fn line_of(bytes: &[u8], offset: usize) -> usize {
    let end = offset.min(bytes.len());
    1 + bytes[..end].iter().filter(|&&b| b == b'\n').count()
}

/// What a column of the sheet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Ledger(LedgerColumn),
    /// A row counter such as `No.`: ignored.
    Ignored,
    /// No header: its cells must be blank.
    Blank,
}

/// Headers of row counters, which mamori neither needs nor refuses.
pub(super) fn is_row_counter(header: &str) -> bool {
    let key: String = fold(header)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    matches!(
        key.as_str(),
        "no" | "no." | "#" | "連番" | "項番" | "通し番号" | "行番号"
    )
}

#[derive(Debug, Clone)]
pub(super) struct Header {
    roles: Vec<Role>,
    /// The header text of each ledger column present, by [`LedgerColumn::index`].
    pub(super) texts: Vec<Option<String>>,
}

impl Header {
    pub(super) fn role(&self, column: usize) -> Option<Role> {
        self.roles.get(column).copied()
    }

    pub(super) fn text(&self, column: LedgerColumn) -> &str {
        self.texts[column.index()]
            .as_deref()
            .unwrap_or(column.header_ja())
    }
}

pub(super) enum HeaderVerdict {
    Header(Header),
    /// Not a header row; `Some` when it names 管理番号 but no other known column, with the
    /// error to give if no header is found at all.
    NotHeader(Option<ImportError>),
}

pub(super) fn read_header<S: AsRef<str>>(
    cells: &[(usize, S)],
) -> Result<HeaderVerdict, ImportError> {
    let mut known: Vec<(LedgerColumn, HeaderCell)> = Vec::new();
    let mut unknown: Vec<HeaderCell> = Vec::new();
    let mut ignored: Vec<usize> = Vec::new();
    for (column, text) in cells {
        let text = text.as_ref().trim();
        if text.is_empty() {
            continue;
        }
        let cell = HeaderCell {
            text: text.to_owned(),
            column: *column,
        };
        match LedgerColumn::from_header(text) {
            Some(c) => known.push((c, cell)),
            None if is_row_counter(text) => ignored.push(*column),
            None => unknown.push(cell),
        }
    }
    let has_asset = known.iter().any(|(c, _)| *c == LedgerColumn::AssetNumber);
    if !has_asset || known.len() < 2 {
        let near_miss = (has_asset && !unknown.is_empty())
            .then_some(ImportError::UnknownHeaders { headers: unknown });
        return Ok(HeaderVerdict::NotHeader(near_miss));
    }
    if !unknown.is_empty() {
        return Err(ImportError::UnknownHeaders { headers: unknown });
    }
    let width = cells.iter().map(|(c, _)| c + 1).max().unwrap_or(0);
    let mut roles = vec![Role::Blank; width];
    let mut texts: Vec<Option<String>> = vec![None; LedgerColumn::COUNT];
    let mut first_cell: Vec<Option<HeaderCell>> = vec![None; LedgerColumn::COUNT];
    for (column, cell) in known {
        if let Some(first) = &first_cell[column.index()] {
            return Err(ImportError::DuplicateHeader {
                column,
                first: first.clone(),
                second: cell,
            });
        }
        roles[cell.column] = Role::Ledger(column);
        texts[column.index()] = Some(cell.text.clone());
        first_cell[column.index()] = Some(cell);
    }
    for column in ignored {
        roles[column] = Role::Ignored;
    }
    Ok(HeaderVerdict::Header(Header { roles, texts }))
}

//! The rows of a sheet, whatever the file: the header found, then each data row validated.

use std::borrow::Cow;

use mamori_domain::device::{LedgerColumn, LedgerValidator};
use mamori_domain::device::{ParsedLedger, RowError};
use mamori_locale::Message;

use super::ImportOptions;
use super::error::{ImportError, column_letter};
use super::header::{Header, HeaderVerdict, Role, read_header};

/// The rows of a sheet, whatever the file: finds the header, then validates data rows.
pub(super) struct Rows<'o> {
    options: &'o ImportOptions,
    pub(super) header: Option<Header>,
    /// Non-blank rows looked at while searching for the header.
    searched: usize,
    near_miss: Option<ImportError>,
    validator: LedgerValidator,
    data_rows: usize,
}

impl<'o> Rows<'o> {
    pub(super) fn new(options: &'o ImportOptions) -> Self {
        Self {
            options,
            header: None,
            searched: 0,
            near_miss: None,
            validator: LedgerValidator::with_error_limit(options.max_errors),
            data_rows: 0,
        }
    }

    pub(super) fn searching(&self) -> bool {
        self.header.is_none()
    }

    /// One row; `cells` are (0-based column, text), blank cells may be left out.
    pub(super) fn row<'c, I>(&mut self, row: usize, cells: I) -> Result<(), ImportError>
    where
        I: Iterator<Item = (usize, Cow<'c, str>)> + Clone,
    {
        if cells.clone().all(|(_, t)| t.trim().is_empty()) {
            return Ok(());
        }
        let Some(header) = &self.header else {
            self.searched += 1;
            let cells: Vec<(usize, Cow<'c, str>)> = cells.collect();
            match read_header(&cells)? {
                HeaderVerdict::Header(header) => self.header = Some(header),
                HeaderVerdict::NotHeader(near_miss) => {
                    if self.near_miss.is_none() {
                        self.near_miss = near_miss;
                    }
                    if self.searched >= self.options.header_search_rows {
                        return Err(self.no_header());
                    }
                }
            }
            return Ok(());
        };
        self.data_rows += 1;
        if self.data_rows > self.options.max_rows {
            return Err(ImportError::TooManyRows {
                limit: self.options.max_rows,
            });
        }
        // The header names each ledger column at most once: the row fits on the stack.
        let mut mapped: [(LedgerColumn, Cow<'c, str>); LedgerColumn::COUNT] =
            std::array::from_fn(|_| (LedgerColumn::AssetNumber, Cow::Borrowed("")));
        let mut len = 0;
        for (column, text) in cells {
            match header.role(column) {
                Some(Role::Ledger(c)) if len < mapped.len() => {
                    mapped[len] = (c, text);
                    len += 1;
                }
                Some(Role::Ledger(_) | Role::Ignored) => {}
                Some(Role::Blank) | None if text.trim().is_empty() => {}
                Some(Role::Blank) | None => {
                    return Err(ImportError::DataWithoutHeader { row, column });
                }
            }
        }
        self.validator.push_row(row, &mapped[..len]);
        Ok(())
    }

    /// Makes room for the devices of `bytes` more bytes of rows (a guess: ledger rows are
    /// rarely shorter than this), so that the list of devices is not copied as it grows.
    pub(super) fn reserve_for(&mut self, bytes: usize) {
        const ROW_BYTES_GUESS: usize = 96;
        self.validator
            .reserve((bytes / ROW_BYTES_GUESS).min(self.options.max_rows));
    }

    /// Rows for a later part of the same sheet, read with the same header.
    pub(super) fn fork(&self) -> Rows<'o> {
        Rows {
            options: self.options,
            header: self.header.clone(),
            searched: self.searched,
            near_miss: None,
            validator: LedgerValidator::with_error_limit(self.options.max_errors),
            data_rows: 0,
        }
    }

    /// Takes over the rows of a [`Rows::fork`] that read the part after this one.
    pub(super) fn join(&mut self, later: Rows<'o>) -> Result<(), ImportError> {
        self.data_rows += later.data_rows;
        if self.data_rows > self.options.max_rows {
            return Err(ImportError::TooManyRows {
                limit: self.options.max_rows,
            });
        }
        self.validator.append(later.validator);
        Ok(())
    }

    /// Refuses a row for a cell the reader could not turn into text.
    pub(super) fn cell_error(&mut self, row: usize, column: usize, message: Message) {
        let header_text = match self.header.as_ref().and_then(|h| h.role(column)) {
            Some(Role::Ledger(c)) => self.header.as_ref().map(|h| h.text(c).to_owned()),
            _ => None,
        };
        let column_text = header_text.unwrap_or_else(|| column_letter(column));
        self.validator
            .push_error(RowError::new(row, column_text, message));
    }

    fn no_header(&mut self) -> ImportError {
        self.near_miss.take().unwrap_or(ImportError::NoHeaderRow {
            searched_rows: self.searched,
        })
    }

    pub(super) fn finish(mut self, empty: ImportError) -> Result<ParsedLedger, ImportError> {
        let Some(header) = self.header.take() else {
            return Err(if self.searched == 0 {
                empty
            } else {
                self.no_header()
            });
        };
        let mut parsed = self.validator.finish();
        // Errors name the column as the file's header says it.
        for error in &mut parsed.rejected {
            if let Some(column) = LedgerColumn::ALL
                .iter()
                .find(|c| c.header_ja() == error.column)
                && let Some(text) = &header.texts[column.index()]
                && *text != error.column
            {
                error.column = text.clone();
            }
        }
        Ok(parsed)
    }
}

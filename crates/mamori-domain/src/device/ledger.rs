//! Reading a whole ledger: the devices that can be stored, and a 管理番号 used twice refused.

use std::collections::HashSet;

use mamori_locale::Message;

use super::column::LedgerColumn;
use super::record::Device;
use super::row::{RowError, is_blank_row, parse_row};
use super::value::AssetNumber;

/// What came out of a ledger file: the devices that can be stored, with their row numbers,
/// and what was refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedLedger {
    /// Each device with the row it came from, in row order.
    pub devices: Vec<(usize, Device)>,
    /// Every refusal, in row order (at most the validator's error limit).
    pub rejected: Vec<RowError>,
    /// Refusals beyond the error limit, counted but not described.
    pub omitted_errors: usize,
}

impl ParsedLedger {
    /// Whether nothing was refused.
    pub fn is_clean(&self) -> bool {
        self.rejected.is_empty() && self.omitted_errors == 0
    }
}

/// Reads a ledger row by row, keeps the errors of every row, and at the end refuses every
/// row whose 管理番号 appears more than once in the file (all of them, because mamori
/// cannot know which one is right).
#[derive(Debug)]
pub struct LedgerValidator {
    devices: Vec<(usize, Device)>,
    /// Rows refused, with their asset number when it could be read (for the duplicate
    /// check, which also counts refused rows).
    failed: Vec<(usize, Option<AssetNumber>)>,
    rejected: Vec<RowError>,
    omitted_errors: usize,
    error_limit: usize,
}

impl Default for LedgerValidator {
    fn default() -> Self {
        Self::new()
    }
}

impl LedgerValidator {
    /// The number of refusals described by default; more are only counted, so that a file
    /// of garbage cannot fill the memory with messages.
    pub const DEFAULT_ERROR_LIMIT: usize = 1000;

    pub fn new() -> Self {
        Self::with_error_limit(Self::DEFAULT_ERROR_LIMIT)
    }

    pub fn with_error_limit(error_limit: usize) -> Self {
        Self {
            devices: Vec::new(),
            failed: Vec::new(),
            rejected: Vec::new(),
            omitted_errors: 0,
            error_limit,
        }
    }

    fn record_error(&mut self, error: RowError) {
        if self.rejected.len() < self.error_limit {
            self.rejected.push(error);
        } else {
            self.omitted_errors += 1;
        }
    }

    /// Reads one row (see [`parse_row`]). Blank rows are skipped.
    pub fn push_row<S: AsRef<str>>(&mut self, row: usize, cells: &[(LedgerColumn, S)]) {
        if is_blank_row(cells) {
            return;
        }
        match parse_row(row, cells) {
            Ok(device) => self.devices.push((row, device)),
            Err(errors) => {
                let asset_number = cells
                    .iter()
                    .find(|(c, _)| *c == LedgerColumn::AssetNumber)
                    .and_then(|(_, t)| AssetNumber::parse(t.as_ref()).ok());
                self.failed.push((row, asset_number));
                for e in errors {
                    self.record_error(e);
                }
            }
        }
    }

    /// Refuses a row for a reason found by the file reader (an Excel error cell, a value
    /// that cannot be a cell of this column). The row's device, pushed before or after, is
    /// not kept.
    pub fn push_error(&mut self, error: RowError) {
        self.failed.push((error.row, None));
        self.record_error(error);
    }

    /// Makes room for about this many more devices (a reader's estimate), so that the list of
    /// devices is not copied as it grows.
    pub fn reserve(&mut self, rows: usize) {
        self.devices.reserve(rows);
    }

    /// Takes over the rows of a validator that read a later part of the same file (rows
    /// after all of this one's), so that a file can be read in parts in parallel; duplicate
    /// asset numbers are found across the parts by [`LedgerValidator::finish`].
    pub fn append(&mut self, mut other: LedgerValidator) {
        if self.devices.is_empty() {
            std::mem::swap(&mut self.devices, &mut other.devices);
        } else {
            self.devices.append(&mut other.devices);
        }
        self.failed.extend(other.failed);
        self.omitted_errors += other.omitted_errors;
        for error in other.rejected {
            self.record_error(error);
        }
    }

    /// The rows read so far (kept or refused), for progress.
    pub fn rows_seen(&self) -> usize {
        self.devices.len() + self.failed.len()
    }

    pub fn finish(self) -> ParsedLedger {
        let Self {
            devices,
            failed,
            mut rejected,
            mut omitted_errors,
            error_limit,
        } = self;

        // Rows refused by the reader may also have been read as devices.
        let failed_rows: HashSet<usize> = failed.iter().map(|&(row, _)| row).collect();

        // Every row's asset number, refused rows included. One pass with a hash set finds
        // the numbers that repeat; only their rows are then sorted.
        let all_keys = || {
            devices
                .iter()
                .map(|(row, d)| (d.asset_number.as_str(), *row))
                .chain(
                    failed
                        .iter()
                        .filter_map(|(row, a)| a.as_ref().map(|a| (a.as_str(), *row))),
                )
        };
        let mut seen: HashSet<&str> = HashSet::with_capacity(devices.len() + failed.len());
        let mut repeated: HashSet<&str> = HashSet::new();
        for (key, _) in all_keys() {
            if !seen.insert(key) {
                repeated.insert(key);
            }
        }
        drop(seen);
        let mut keys: Vec<(&str, usize)> = if repeated.is_empty() {
            Vec::new()
        } else {
            all_keys().filter(|(k, _)| repeated.contains(k)).collect()
        };
        keys.sort_unstable();
        keys.dedup();

        // Each group of rows sharing an asset number, with its message made once.
        let mut groups: Vec<Message> = Vec::new();
        let mut duplicate_rows: Vec<(usize, usize)> = Vec::new();
        for group in keys.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
            const SHOWN_ROWS: usize = 10;
            let asset_number = group[0].0;
            let shown_rows = &group[..group.len().min(SHOWN_ROWS)];
            let more = group.len() - shown_rows.len();
            let rows = crate::joined(
                shown_rows
                    .iter()
                    .map(|(_, r)| Message::new("domain-device-row-number").with("row", *r)),
                "domain-device-join-comma",
            );
            let more = if more > 0 {
                Message::new("domain-device-rows-more").with("more", more)
            } else {
                Message::new("domain-device-empty")
            };
            groups.push(
                Message::new("domain-device-duplicate-asset-number")
                    .with("asset", asset_number.to_string())
                    .with("rows", rows)
                    .with("more", more),
            );
            let index = groups.len() - 1;
            duplicate_rows.extend(group.iter().map(|&(_, row)| (row, index)));
        }
        // Only the errors that can be described are written out; the rest are counted.
        duplicate_rows.sort_unstable();
        let described = duplicate_rows.len().min(error_limit);
        omitted_errors += duplicate_rows.len() - described;
        rejected.extend(duplicate_rows[..described].iter().map(|&(row, index)| {
            RowError::new(
                row,
                LedgerColumn::AssetNumber.header_ja(),
                groups[index].clone(),
            )
        }));
        let duplicate_rows: HashSet<usize> = duplicate_rows.iter().map(|&(row, _)| row).collect();

        let mut devices = devices;
        if !failed_rows.is_empty() || !duplicate_rows.is_empty() {
            devices.retain(|(row, _)| !failed_rows.contains(row) && !duplicate_rows.contains(row));
        }

        // Stable: a row's own errors keep their column order, the duplicate error last.
        rejected.sort_by_key(|e| e.row);
        if rejected.len() > error_limit {
            omitted_errors += rejected.len() - error_limit;
            rejected.truncate(error_limit);
        }
        ParsedLedger {
            devices,
            rejected,
            omitted_errors,
        }
    }
}

/// Reads whole rows with [`LedgerValidator`]: every device, every refusal, duplicates
/// refused.
pub fn parse_rows<'a, S, I>(rows: I) -> ParsedLedger
where
    S: AsRef<str> + 'a,
    I: IntoIterator<Item = (usize, &'a [(LedgerColumn, S)])>,
{
    let mut validator = LedgerValidator::new();
    for (row, cells) in rows {
        validator.push_row(row, cells);
    }
    validator.finish()
}

//! CSV files: line counting, regions read in parallel on large files, and the cells of each row.

use std::borrow::Cow;

use mamori_domain::device::ParsedLedger;

use super::ImportOptions;
use super::error::ImportError;
use super::header::line_of;
use super::import::CsvText;
use super::rows::Rows;

/// Line breaks in `bytes[from..to]`: `\n`, and `\r` not followed by `\n` (looking past `to`).
pub(super) fn count_breaks(bytes: &[u8], from: usize, to: usize) -> usize {
    let slice = &bytes[from..to];
    // Counting one byte value at a time lets the compiler vectorize the loops.
    let newlines = slice.iter().filter(|&&b| b == b'\n').count();
    let returns = slice.iter().filter(|&&b| b == b'\r').count();
    if returns == 0 {
        return newlines;
    }
    let followed = bytes.get(to).copied();
    let crlf = slice
        .iter()
        .zip(slice.iter().skip(1).copied().chain(followed))
        .filter(|&(&a, b)| a == b'\r' && b == b'\n')
        .count();
    newlines + returns - crlf
}

/// Undoes what spreadsheets do to keep a CSV cell text: `'=…` and `="001"`.
pub(super) fn unescape_csv_cell(text: &str) -> Cow<'_, str> {
    if let Some(rest) = text.strip_prefix('\'')
        && rest.starts_with(['=', '+', '-', '@', '\t', '\r', '\''])
    {
        return Cow::Borrowed(rest);
    }
    if let Some(inner) = text.strip_prefix("=\"").and_then(|t| t.strip_suffix('"')) {
        return Cow::Owned(inner.replace("\"\"", "\""));
    }
    Cow::Borrowed(text)
}

/// Below this many bytes of data rows a CSV is read on one thread.
const PARALLEL_MIN_BYTES: usize = 1 << 20;

fn two_cores() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
}

/// Excel row numbers of CSV records: one row per record, however many line breaks its
/// quoted cells hold, plus one row per blank line the reader skipped.
#[derive(Debug, Clone, Copy)]
pub(super) struct LineCount {
    /// The row of the next record if no blank line comes before it.
    next_row: usize,
}

impl LineCount {
    pub(super) const START: LineCount = LineCount { next_row: 1 };

    /// The row of the record the reader found from `reported` on. The reader reports where
    /// it started looking: right after the first byte of the previous record's line end,
    /// before any blank lines.
    pub(super) fn row(&mut self, bytes: &[u8], reported: usize) -> usize {
        let mut gap = reported.min(bytes.len());
        // The LF of a CRLF ending the previous record is not a blank line.
        if gap > 0 && bytes[gap - 1] == b'\r' && bytes.get(gap) == Some(&b'\n') {
            gap += 1;
        }
        let mut start = gap;
        while start < bytes.len() && matches!(bytes[start], b'\n' | b'\r') {
            start += 1;
        }
        let row = self.next_row + count_breaks(bytes, gap, start);
        self.next_row = row + 1;
        row
    }
}

pub(super) fn csv_reader(text: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text)
}

/// How a region of the text was read.
enum Region {
    /// To its end.
    Done,
    /// Stopped right after the header row, because the rest is worth reading in parallel;
    /// the data rows start at this offset.
    HeaderFound(usize),
}

/// The cells of one record as text, in one buffer reused from record to record.
#[derive(Default)]
struct Cells {
    text: String,
    spans: Vec<(usize, usize)>,
}

impl Cells {
    /// Decodes the fields of `record`; `false` when one is not valid text.
    fn decode(&mut self, record: &csv::ByteRecord, shift_jis: bool) -> bool {
        self.text.clear();
        self.spans.clear();
        for field in record {
            let start = self.text.len();
            if shift_jis && !field.is_ascii() {
                let mut decoder = encoding_rs::SHIFT_JIS.new_decoder_without_bom_handling();
                if let Some(room) = decoder.max_utf8_buffer_length_without_replacement(field.len())
                {
                    self.text.reserve(room);
                }
                let (result, _) =
                    decoder.decode_to_string_without_replacement(field, &mut self.text, true);
                if result != encoding_rs::DecoderResult::InputEmpty {
                    return false;
                }
            } else {
                match std::str::from_utf8(field) {
                    Ok(text) => self.text.push_str(text),
                    Err(_) => return false,
                }
            }
            self.spans.push((start, self.text.len()));
        }
        true
    }

    fn iter(&self) -> impl Iterator<Item = (usize, Cow<'_, str>)> + Clone {
        self.spans.iter().enumerate().map(|(i, &(start, end))| {
            (
                i,
                unescape_csv_cell(self.text.get(start..end).unwrap_or_default()),
            )
        })
    }

    fn is_blank(&self) -> bool {
        self.iter().all(|(_, text)| text.trim().is_empty())
    }
}

/// Reads the records of `bytes[from..to]` into `rows`. `from` must be the start of a record
/// (or of the text) and `count` the line count there.
fn read_region(
    text: &CsvText<'_>,
    (from, to): (usize, usize),
    delimiter: u8,
    count: &mut LineCount,
    rows: &mut Rows<'_>,
    header_width: &mut usize,
    stop_after_header: bool,
) -> Result<Region, ImportError> {
    let bytes = text.bytes();
    let shift_jis = matches!(text, CsvText::ShiftJis(_));
    let mut reader = csv_reader(&bytes[from..to], delimiter);
    let mut record = csv::ByteRecord::new();
    let mut cells = Cells::default();
    if !rows.searching() {
        rows.reserve_for(to - from);
    }
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Ok(Region::Done),
            Err(e) => {
                return Err(ImportError::UnreadableCsv {
                    detail: e.to_string(),
                });
            }
        }
        let reported = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .map_or(from, |p| from + p);
        let row = count.row(bytes, reported);
        if !cells.decode(&record, shift_jis) {
            return Err(ImportError::Encoding {
                line: line_of(bytes, reported),
            });
        }

        let searching = rows.searching();
        if !searching && record.len() < *header_width && !cells.is_blank() {
            return Err(ImportError::RaggedRow {
                row,
                expected: *header_width,
                found: record.len(),
            });
        }
        rows.row(row, cells.iter())?;
        if searching && !rows.searching() {
            *header_width = record.len();
            let next = from + usize::try_from(reader.position().byte()).unwrap_or(0);
            if stop_after_header && to.saturating_sub(next) >= PARALLEL_MIN_BYTES {
                return Ok(Region::HeaderFound(next));
            }
            rows.reserve_for(to.saturating_sub(next));
        }
    }
}

/// The start of the first record at or after the middle of `text[from..]`, with the line
/// count there; `None` when there is no such record.
fn split_point(
    bytes: &[u8],
    from: usize,
    delimiter: u8,
    mut count: LineCount,
) -> Option<(usize, LineCount)> {
    let middle = from + (bytes.len() - from) / 2;
    let mut reader = csv_reader(&bytes[from..], delimiter);
    let mut record = csv::ByteRecord::new();
    // Reading as bytes is enough to find where records start.
    while reader.read_byte_record(&mut record).ok()? {
        let reported = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .map_or(from, |p| from + p);
        count.row(bytes, reported);
        let next = from + usize::try_from(reader.position().byte()).ok()?;
        if next >= middle {
            return (next < bytes.len()).then_some((next, count));
        }
    }
    None
}

pub(super) fn import_csv(
    text: &CsvText<'_>,
    delimiter: u8,
    options: &ImportOptions,
) -> Result<ParsedLedger, ImportError> {
    let len = text.bytes().len();
    let mut rows = Rows::new(options);
    let mut count = LineCount::START;
    let mut header_width = 0;
    let parallel = options.parallel && two_cores();
    let region = read_region(
        text,
        (0, len),
        delimiter,
        &mut count,
        &mut rows,
        &mut header_width,
        parallel,
    )?;
    let Region::HeaderFound(data_start) = region else {
        return rows.finish(ImportError::Empty);
    };
    // The header is known and much is left: the data rows in two halves, in parallel.
    let Some((middle, middle_count)) = split_point(text.bytes(), data_start, delimiter, count)
    else {
        read_region(
            text,
            (data_start, len),
            delimiter,
            &mut count,
            &mut rows,
            &mut header_width,
            false,
        )?;
        return rows.finish(ImportError::Empty);
    };
    let mut second = rows.fork();
    let mut second_count = middle_count;
    let mut second_width = header_width;
    let (first_result, second_result) = std::thread::scope(|scope| {
        let later = scope.spawn(|| {
            read_region(
                text,
                (middle, len),
                delimiter,
                &mut second_count,
                &mut second,
                &mut second_width,
                false,
            )
        });
        let first = read_region(
            text,
            (data_start, middle),
            delimiter,
            &mut count,
            &mut rows,
            &mut header_width,
            false,
        );
        let second = later
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    });
    // The earlier part's problem is the one the user meets first.
    first_result?;
    second_result?;
    rows.join(second)?;
    rows.finish(ImportError::Empty)
}

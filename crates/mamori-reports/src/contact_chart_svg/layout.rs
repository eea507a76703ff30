//! Packing the cards into columns, compact and smaller until the page holds them all.

use super::card::{Card, CardLines, Metrics, card_height, card_lines};
use super::{COLUMN_GAP, Category, ChartLanguage, FOOTER_TOP, MARGIN};

/// A block of the newspaper flow of cards.
pub(super) enum Block {
    Header(Category, usize),
    /// Drawn when a category continues in the next column.
    ContinuedHeader(Category),
    Card(usize),
    Empty(Category),
}

pub(super) struct Placed {
    pub(super) block: Block,
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) h: f64,
}

/// The laid-out page, kept so that tests can check every box lies on the page.
pub(crate) struct Layout {
    pub(super) metrics: Metrics,
    pub(super) placed: Vec<Placed>,
    pub(super) lines: Vec<CardLines>,
}

fn block_height(block: &Block, heights: &[f64], m: Metrics) -> f64 {
    match block {
        Block::Header(..) | Block::ContinuedHeader(_) => m.header(),
        Block::Card(i) => heights[*i],
        Block::Empty(_) => 8.0 * m.scale,
    }
}

/// Packs the blocks into columns of at most `limit` height; `None` when more columns than
/// `m.columns` would be needed.
fn pack(
    blocks: &[Block],
    heights: &[f64],
    categories: &[Category],
    m: Metrics,
    limit: f64,
) -> Option<Vec<(usize, Block, f64)>> {
    let mut out = Vec::new();
    let mut column = 0;
    let mut used = 0.0;
    let mut i = 0;
    while i < blocks.len() {
        let block = &blocks[i];
        let h = block_height(block, heights, m);
        // A header keeps with its first card.
        let need = match block {
            Block::Header(..) => {
                h + blocks
                    .get(i + 1)
                    .map_or(0.0, |b| block_height(b, heights, m))
            }
            _ => h,
        };
        let gap = if used > 0.0 { m.gap() } else { 0.0 };
        if used > 0.0 && used + gap + need > limit {
            column += 1;
            used = 0.0;
            if column >= m.columns {
                return None;
            }
            if let Block::Card(c) = block {
                let cat = categories[*c];
                out.push((column, Block::ContinuedHeader(cat), m.header()));
                used = m.header();
            }
            continue;
        }
        if used == 0.0 && need > limit {
            return None;
        }
        let copy = match block {
            Block::Header(c, k) => Block::Header(*c, *k),
            Block::ContinuedHeader(c) => Block::ContinuedHeader(*c),
            Block::Card(c) => Block::Card(*c),
            Block::Empty(c) => Block::Empty(*c),
        };
        out.push((column, copy, h));
        used += gap + h;
        i += 1;
    }
    Some(out)
}

pub(super) fn layout(cards: &[Card], top: f64, lang: ChartLanguage) -> Layout {
    let available = FOOTER_TOP - 2.0 - top;
    // Every combination of 3–5 columns, full or compact cards, and a scale from 1.5 down,
    // ordered by how large the text comes out: a short chart is drawn big, to be read from
    // a distance; compact cards and narrow columns count as a little smaller.
    let mut attempts: Vec<Metrics> = Vec::new();
    for step in 0..=33 {
        let scale = 1.5 - f64::from(step) * 0.04;
        for columns in 3..=5 {
            for compact in [false, true] {
                attempts.push(Metrics {
                    columns,
                    scale,
                    compact,
                });
            }
        }
    }
    // Narrow columns count as smaller text: their cards cut names and squeeze numbers even
    // when the fonts are large. Sizes stop growing at a scale near 1.4 (see Metrics).
    // Past a column count's useful scale, text only gets cut more: penalised.
    let weight = |m: &Metrics| {
        let (factor, useful) = match m.columns {
            3 => (1.0, 1.45),
            4 => (0.85, 1.0),
            _ => (0.6, 0.8),
        };
        m.scale.min(useful) * factor * if m.compact { 0.9 } else { 1.0 }
            - (m.scale - useful).max(0.0) * 0.5
    };
    attempts.sort_by(|a, b| weight(b).total_cmp(&weight(a)));
    let categories: Vec<Category> = cards.iter().map(|c| c.category).collect();
    let mut blocks = Vec::new();
    for cat in [Category::Internal, Category::Vendor, Category::Outside] {
        let members: Vec<usize> = (0..cards.len()).filter(|i| categories[*i] == cat).collect();
        blocks.push(Block::Header(cat, members.len()));
        if members.is_empty() {
            blocks.push(Block::Empty(cat));
        }
        blocks.extend(members.into_iter().map(Block::Card));
    }
    let mut last = None;
    let count = attempts.len();
    for (index, m) in attempts.into_iter().enumerate() {
        // A cheap lower bound first (bar, padding, one short title line, the smallest phone
        // line per card) skips attempts that cannot fit before any text is fitted.
        let floor: f64 = cards
            .iter()
            .map(|c| {
                let title = if c.title.trim().is_empty() {
                    0.0
                } else {
                    m.title() * 0.88 * 1.25
                };
                m.bar() + 2.0 * m.pad() + title + m.gap()
            })
            .sum();
        if index + 1 < count && floor / m.columns as f64 > available {
            continue;
        }
        let lines: Vec<CardLines> = cards.iter().map(|c| card_lines(c, m, lang)).collect();
        let heights: Vec<f64> = lines.iter().map(|l| card_height(l, m)).collect();
        let total: f64 = blocks
            .iter()
            .map(|b| block_height(b, &heights, m) + m.gap())
            .sum();
        // The shortest column height that packs into the columns, to 0.25 mm: a binary
        // search, since a taller limit never needs more columns.
        let mut packed = pack(&blocks, &heights, &categories, m, available);
        if packed.is_some() {
            let mut lo = (total / m.columns as f64).min(available);
            let mut hi = available;
            while hi - lo > 0.25 {
                let mid = (lo + hi) / 2.0;
                match pack(&blocks, &heights, &categories, m, mid) {
                    Some(p) => {
                        packed = Some(p);
                        hi = mid;
                    }
                    None => lo = mid,
                }
            }
        }
        let fits = packed.is_some();
        let packed = match packed {
            Some(p) => p,
            None => match pack(&blocks, &heights, &categories, m, f64::INFINITY) {
                Some(p) => p,
                None => continue,
            },
        };
        let mut placed = Vec::new();
        let mut column_y = vec![top; m.columns];
        for (column, block, h) in packed {
            let x = MARGIN + column as f64 * (m.column_width() + COLUMN_GAP);
            let y = if column_y[column] > top {
                column_y[column] + m.gap()
            } else {
                top
            };
            column_y[column] = y + h;
            placed.push(Placed { block, x, y, h });
        }
        let result = Layout {
            metrics: m,
            placed,
            lines,
        };
        if fits {
            return result;
        }
        last = Some(result);
    }
    last.unwrap_or(Layout {
        metrics: Metrics {
            columns: 3,
            scale: 1.0,
            compact: true,
        },
        placed: Vec::new(),
        lines: Vec::new(),
    })
}

//! The 47 prefectures as a tile-grid map of Japan: one square each, placed roughly where the
//! prefecture lies (Hokkaido top right, Okinawa bottom left), the layout Japanese government
//! dashboards use for figures by prefecture. Each square is coloured by a share, in five
//! steps, and the same figures stand in a table beside it.

use mamori_domain::Prefecture;

/// Where each prefecture's square stands: (JIS X 0401 code, column, row), counted from the
/// top left.
const LAYOUT: [(u8, u8, u8); 47] = [
    (1, 12, 0),
    (2, 11, 1),
    (5, 10, 2),
    (3, 11, 2),
    (6, 10, 3),
    (4, 11, 3),
    (17, 8, 4),
    (16, 9, 4),
    (15, 10, 4),
    (7, 11, 4),
    (18, 7, 5),
    (21, 8, 5),
    (20, 9, 5),
    (10, 10, 5),
    (9, 11, 5),
    (32, 3, 6),
    (31, 4, 6),
    (28, 5, 6),
    (26, 6, 6),
    (25, 7, 6),
    (23, 8, 6),
    (19, 9, 6),
    (11, 10, 6),
    (8, 11, 6),
    (40, 1, 7),
    (35, 2, 7),
    (34, 3, 7),
    (33, 4, 7),
    (27, 5, 7),
    (29, 6, 7),
    (24, 7, 7),
    (22, 9, 7),
    (13, 10, 7),
    (12, 11, 7),
    (42, 0, 8),
    (41, 1, 8),
    (44, 2, 8),
    (38, 3, 8),
    (37, 4, 8),
    (30, 6, 8),
    (14, 10, 8),
    (43, 1, 9),
    (45, 2, 9),
    (39, 3, 9),
    (36, 4, 9),
    (46, 1, 10),
    (47, 0, 11),
];

/// One square of the map.
pub struct Tile {
    pub prefecture: Prefecture,
    /// 1-based, for CSS grid lines.
    pub column: u8,
    pub row: u8,
    /// 0 (no institution, or none ready) to 4 (80 % or more ready).
    pub step: u8,
    /// The share as people read it, e.g. `42%`, or `—` without institutions.
    pub share: String,
}

/// The colour step of `part` out of `whole`: 0 below 20 %, then one a fifth.
pub fn step(part: i64, whole: i64) -> u8 {
    if whole <= 0 {
        return 0;
    }
    u8::try_from((part * 5 / whole).clamp(0, 4)).unwrap_or(0)
}

/// `part` out of `whole` in whole percent, rounded down; `—` when there is nothing to share.
pub fn share(part: i64, whole: i64) -> String {
    if whole <= 0 {
        "—".to_owned()
    } else {
        format!("{}%", part * 100 / whole)
    }
}

/// The squares, each with the share `of` gives for its prefecture (part, whole).
pub fn tiles(of: impl Fn(Prefecture) -> (i64, i64)) -> Vec<Tile> {
    LAYOUT
        .iter()
        .filter_map(|&(code, column, row)| {
            let prefecture = Prefecture::parse(&code.to_string()).ok()?;
            let (part, whole) = of(prefecture);
            Some(Tile {
                prefecture,
                column: column + 1,
                row: row + 1,
                step: step(part, whole),
                share: share(part, whole),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_prefecture_has_one_square_of_its_own() {
        let codes: HashSet<u8> = LAYOUT.iter().map(|(c, _, _)| *c).collect();
        assert_eq!(codes, (1..=47).collect());
        let places: HashSet<(u8, u8)> = LAYOUT.iter().map(|(_, c, r)| (*c, *r)).collect();
        assert_eq!(places.len(), 47, "two prefectures on one square");
        assert_eq!(tiles(|_| (0, 0)).len(), 47);
    }

    #[test]
    fn the_north_is_up_and_the_south_west_down() {
        let at = |code: u8| LAYOUT.iter().find(|(c, _, _)| *c == code).expect("placed");
        let (_, hokkaido_col, hokkaido_row) = at(1);
        let (_, okinawa_col, okinawa_row) = at(47);
        let (_, tokyo_col, tokyo_row) = at(13);
        assert!(hokkaido_row < tokyo_row && tokyo_row < okinawa_row);
        assert!(okinawa_col < tokyo_col && tokyo_col < hokkaido_col);
    }

    #[test]
    fn steps_and_shares() {
        assert_eq!((step(0, 0), share(0, 0).as_str()), (0, "—"));
        assert_eq!((step(1, 10), share(1, 10).as_str()), (0, "10%"));
        assert_eq!((step(2, 10), share(2, 10).as_str()), (1, "20%"));
        assert_eq!((step(79, 100), share(79, 100).as_str()), (3, "79%"));
        assert_eq!((step(8, 10), share(8, 10).as_str()), (4, "80%"));
        assert_eq!((step(10, 10), share(10, 10).as_str()), (4, "100%"));
    }
}

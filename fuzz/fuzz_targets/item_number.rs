//! `wareki::parse_item_number` and `wareki::parse_item_key` never panic, and what they
//! read, written again, reads back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_domain::wareki::{parse_item_key, parse_item_number};

fuzz_target!(|text: &str| {
    if let Ok(number) = parse_item_number(text) {
        assert_eq!(
            parse_item_number(&number.to_string()),
            Ok(number),
            "{text:?}"
        );
    }
    if let Ok(key) = parse_item_key(text) {
        // A key is read only in its one canonical spelling.
        assert_eq!(key.to_string(), text);
        assert_eq!(parse_item_key(&key.to_string()), Ok(key));
    }
});

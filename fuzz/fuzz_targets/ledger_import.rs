//! `ledger::import` never panics on any bytes (CSV in any encoding, .xlsx, garbage); every
//! refusal says where and what in both languages; what it reads, exported as CSV, reads
//! back as the same devices.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_domain::Lang;
use mamori_reports::ledger::{Encoding, ImportOptions, export_csv, import_with};

fuzz_target!(|bytes: &[u8]| {
    // Small limits keep each run fast; the logic is the same as with the defaults.
    let options = ImportOptions {
        max_rows: 2_000,
        max_errors: 200,
        ..ImportOptions::default()
    };
    match import_with(bytes, None, &options) {
        Err(e) => {
            for lang in [Lang::Ja, Lang::En] {
                assert!(!e.message().render(lang).is_empty(), "{e:?}");
            }
            assert!(!e.code().is_empty());
        }
        Ok(parsed) => {
            assert!(parsed.rejected.len() <= options.max_errors);
            for e in &parsed.rejected {
                assert!(e.row >= 1, "{e:?}");
                assert!(!e.column.is_empty());
                for lang in [Lang::Ja, Lang::En] {
                    assert!(!e.message.render(lang).is_empty(), "{e:?}");
                }
            }
            let rows: Vec<usize> = parsed.devices.iter().map(|(row, _)| *row).collect();
            assert!(rows.windows(2).all(|w| w[0] < w[1]), "{rows:?}");
            let devices: Vec<_> = parsed.devices.into_iter().map(|(_, d)| d).collect();
            let csv = export_csv(&devices, Encoding::Utf8).expect("UTF-8 export cannot fail");
            let again = import_with(&csv, None, &ImportOptions::default())
                .expect("mamori's own CSV reads back");
            assert!(again.is_clean(), "{:?}", again.rejected.first());
            let back: Vec<_> = again.devices.into_iter().map(|(_, d)| d).collect();
            assert_eq!(back, devices);
        }
    }
});

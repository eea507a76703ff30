//! The secrets of two-factor login: a new TOTP secret (RFC 6238) and one-time recovery
//! codes, kept only as hashes. Checking a code and drawing its QR code are the web tier's.

use sha2::{Digest, Sha256};
use totp_rs::Secret;

pub const RECOVERY_CODES: usize = 10;

/// A new TOTP secret, base32.
pub fn new_secret() -> String {
    Secret::generate().to_base32()
}

/// New recovery codes: shown once, stored only as hashes.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let bytes: [u8; 5] = rand::random();
            let hex = hex::encode(bytes);
            format!("{}-{}", &hex[..5], &hex[5..])
        })
        .collect()
}

/// The hash a recovery code is kept as; case, spaces and dashes do not count.
pub fn hash_recovery_code(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_random_and_hashed_loosely() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_ne!(codes[0], codes[1]);
        assert_eq!(
            hash_recovery_code(&codes[0]),
            hash_recovery_code(&codes[0].to_uppercase().replace('-', " "))
        );
    }
}

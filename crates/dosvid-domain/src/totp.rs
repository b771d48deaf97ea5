//! Time-based one-time passwords (RFC 6238, HOTP of RFC 4226 over 30-second steps, HMAC-SHA1,
//! six digits): the optional second factor of signing in, as authenticator apps compute it.
//! Secrets are shown and kept in base32 (RFC 4648, without padding).

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// Seconds one code lasts.
pub const STEP_SECONDS: i64 = 30;
/// Bytes of a new secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub fn encode_secret(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Reads a base32 secret as people type it: any case, spaces and padding ignored.
pub fn decode_secret(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let value = BASE32
            .iter()
            .position(|b| *b as char == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The six-digit code of one step (HOTP).
pub fn code(secret: &[u8], step: i64) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let bin = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    bin % 1_000_000
}

/// The step whose code `typed` is, at `unix` seconds or one step either side (clocks drift),
/// if it is one.
pub fn matching_step(secret: &[u8], typed: &str, unix: i64) -> Option<i64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != 6 || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let typed: u32 = typed.parse().ok()?;
    let now = unix.div_euclid(STEP_SECONDS);
    (now - 1..=now + 1).find(|&step| code(secret, step) == typed)
}

/// The `otpauth://` address an authenticator app reads (from a QR code or typed in).
pub fn uri(issuer: &str, account: &str, secret: &str) -> String {
    let escape = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'@' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
        escape(issuer),
        escape(account),
        escape(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret "12345678901234567890" (8-digit codes there; the
    /// last six digits here).
    #[test]
    fn codes_match_the_rfc_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59, 94_287_082u32),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
        ] {
            assert_eq!(
                code(secret, time / STEP_SECONDS),
                expected % 1_000_000,
                "{time}"
            );
        }
        let now = 1_111_111_111;
        let typed = format!("{:06}", code(secret, now / STEP_SECONDS - 1));
        assert_eq!(
            matching_step(secret, &typed, now),
            Some(now / STEP_SECONDS - 1)
        );
        assert_eq!(matching_step(secret, &typed, now + 3 * STEP_SECONDS), None);
        assert_eq!(matching_step(secret, "12345", now), None);
    }

    #[test]
    fn secrets_go_through_base32_and_back() {
        assert_eq!(
            encode_secret(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        let bytes: Vec<u8> = (0..=19).collect();
        let text = encode_secret(&bytes);
        assert_eq!(decode_secret(&text.to_lowercase()), Some(bytes));
        assert_eq!(decode_secret("not base32!"), None);
        assert!(uri("Dosvid", "a@b.ua", &text).starts_with("otpauth://totp/Dosvid:a@b.ua?secret="));
    }
}

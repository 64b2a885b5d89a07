//! 统一社会信用代码 (unified social credit code, GB 32100-2015): the 18-character number every legal entity and
//! individual business in China carries — registration authority, entity category, administrative-division
//! code, the 9-character organization code (GB 11714) and a check character over the first 17.

use crate::FieldError;
use std::fmt;

/// The 31 characters a credit code is written in (no I, O, S, V, Z), in the order of their values 0–30.
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weight of each of the first 17 positions: 3^i mod 31.
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

fn value(c: u8) -> Option<u32> {
    CHARSET.iter().position(|&x| x == c).map(|i| i as u32)
}

/// The check character of the first 17 characters, or `None` when one of them is not in the charset.
pub fn credit_code_check(first17: &str) -> Option<char> {
    let b = first17.as_bytes();
    if b.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in b.iter().zip(WEIGHTS) {
        sum += value(*c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(CHARSET[check as usize] as char)
}

/// A valid 统一社会信用代码, upper case.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

impl CreditCode {
    /// Accepts the 18 characters (lower case and surrounding spaces are forgiven) when every character is in
    /// the GB 32100 charset, positions 3–8 are an administrative-division code and the check character fits.
    pub fn parse(field: &str, s: &str) -> Result<CreditCode, FieldError> {
        let code = s.trim().to_ascii_uppercase();
        let err = |m: &str| FieldError::new(field, format!("{m}: {}", s.trim()));
        if code.chars().count() != 18 {
            return Err(err("统一社会信用代码应为18位 / the credit code must have 18 characters"));
        }
        let b = code.as_bytes();
        if let Some(bad) = b.iter().find(|c| value(**c).is_none()) {
            return Err(err(&format!(
                "含有不允许的字符“{}” / holds a character not allowed in credit codes",
                *bad as char
            )));
        }
        if !b[2..8].iter().all(u8::is_ascii_digit) {
            return Err(err("第3–8位应为行政区划码 / characters 3–8 must be a division code"));
        }
        let expected = credit_code_check(&code[..17]).unwrap_or('?');
        if b[17] as char != expected {
            return Err(err("统一社会信用代码校验位错误 / wrong check character in the credit code"));
        }
        Ok(CreditCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CreditCode({})", self.0)
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_codes_are_valid() {
        // Codes printed on public business licences.
        for c in ["91350100M000100Y43", "91110000802100433B", "91440300708461136T", "12100000400000624D"] {
            assert!(CreditCode::parse("c", c).is_ok(), "{c}");
        }
        assert_eq!(CreditCode::parse("c", " 91350100m000100y43 ").unwrap().as_str(), "91350100M000100Y43");
    }

    #[test]
    fn a_check_of_zero_is_written_0() {
        // Search for a body whose weighted sum is a multiple of 31.
        let body = (0..1000)
            .map(|i| format!("91330106MA{i:06}X"))
            .map(|b| b[..17].to_string())
            .find(|b| credit_code_check(b) == Some('0'))
            .expect("some body sums to 0 mod 31");
        assert!(CreditCode::parse("c", &format!("{body}0")).is_ok());
    }

    #[test]
    fn wrong_codes_name_the_field_and_the_reason() {
        let e = CreditCode::parse("credit_code", "91350100M000100Y44").unwrap_err();
        assert_eq!(e.field, "credit_code");
        assert!(e.message.contains("校验位"), "{}", e.message);
        assert!(CreditCode::parse("c", "91350100M000100Y4").unwrap_err().message.contains("18"));
        // I, O, S, V, Z are never used.
        assert!(CreditCode::parse("c", "91350100M000100I43").unwrap_err().message.contains("字符"));
        assert!(CreditCode::parse("c", "913A0100M000100Y43").unwrap_err().message.contains("行政区划"));
        assert!(CreditCode::parse("c", "").is_err());
        assert!(CreditCode::parse("c", "９1350100M000100Y43").is_err(), "full-width digits");
    }

    #[test]
    fn every_single_character_change_is_caught() {
        let good = "91350100M000100Y43";
        for i in 0..17 {
            for &c in CHARSET {
                let mut b = good.as_bytes().to_vec();
                if b[i] == c {
                    continue;
                }
                b[i] = c;
                let s = String::from_utf8(b).unwrap();
                assert!(CreditCode::parse("c", &s).is_err(), "{s}");
            }
        }
    }
}

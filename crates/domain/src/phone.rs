//! Phone numbers as Chinese users write them: 11-digit mobiles (1[3-9]…) or landlines with area code.

use crate::FieldError;
use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Accepts `13800138000`, `+86 138 0013 8000`, `0571-88886666`; stores digits (and one dash for landlines).
    pub fn parse(field: &str, s: &str) -> Result<Phone, FieldError> {
        let mut digits: String = s.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
        if let Some(rest) = digits.strip_prefix("+86").or_else(|| digits.strip_prefix("0086")) {
            digits = rest.to_string();
        }
        let bad = || FieldError::new(field, format!("电话号码格式不正确 / not a valid phone number: {}", s.trim()));
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let b = digits.as_bytes();
        if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
            return Ok(Phone(digits));
        }
        // Landline: 0 + 2–3 digit area code + 7–8 digit number (10–12 digits in all). No area code starts with
        // 0 ("00" is the international prefix): "00860080000" is not a number, and accepting it would let
        // "008600860080000" be stored as something that does not parse again (found by fuzzing).
        if b.first() == Some(&b'0') && b.get(1).is_some_and(|d| *d != b'0') && (10..=12).contains(&b.len()) {
            return Ok(Phone(digits));
        }
        Err(bad())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_mobile(&self) -> bool {
        self.0.starts_with('1')
    }

    /// `138****8000`: enough to recognise, not enough to call.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

pub fn mask_phone(s: &str) -> String {
    let n = s.chars().count();
    if n < 7 {
        return "*".repeat(n);
    }
    let head: String = s.chars().take(3).collect();
    let tail: String = s.chars().skip(n - 4).collect();
    format!("{head}{}{tail}", "*".repeat(n - 7))
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_and_landlines() {
        assert_eq!(Phone::parse("p", "138 0013 8000").unwrap().as_str(), "13800138000");
        assert_eq!(Phone::parse("p", "+86 13800138000").unwrap().as_str(), "13800138000");
        assert_eq!(Phone::parse("p", "0571-88886666").unwrap().as_str(), "057188886666");
        assert!(Phone::parse("p", "0571-88886666").unwrap().masked().starts_with("057"));
        assert_eq!(Phone::parse("p", "13800138000").unwrap().masked(), "138****8000");
    }

    #[test]
    fn rejects_with_field() {
        // "0086…" twice: once stripped, what is left is no number (found by fuzzing; it used to be stored as
        // 00860080000, which then failed to parse).
        for bad in ["12800138000", "1380013800", "abc", "", "23800138000", "008600860080000", "00571888866"] {
            assert_eq!(Phone::parse("联系电话", bad).unwrap_err().field, "联系电话", "{bad}");
        }
    }
}

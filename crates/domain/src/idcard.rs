//! 公民身份号码 (GB 11643-1999): 6-digit region, 8-digit birth date, 3-digit sequence (odd = male), check digit.

use crate::FieldError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Gender::Male => "男",
            Gender::Female => "女",
        }
    }

    /// Accepts what users type in forms and spreadsheets: 男/女, male/female, M/F.
    pub fn parse(field: &str, s: &str) -> Result<Gender, FieldError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "男" | "male" | "m" => Ok(Gender::Male),
            "女" | "female" | "f" => Ok(Gender::Female),
            other => Err(FieldError::new(field, format!("性别应为“男”或“女” / gender must be 男 or 女: {other}"))),
        }
    }
}

/// The check character for the first 17 digits (which must be ASCII digits).
pub fn check_digit(first17: &str) -> Option<char> {
    let b = first17.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    Some(CHECK[(sum % 11) as usize] as char)
}

/// A valid 18-digit 公民身份号码 (upper-case X). Constructed only through [`IdCardNo::parse`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdCardNo(String);

impl IdCardNo {
    /// Parses an 18-digit number, or upgrades a legacy 15-digit one (pre-1999: 6-digit region, 6-digit birth
    /// date YYMMDD, 3-digit sequence) to 18 digits by inserting the century "19" and the check digit.
    pub fn parse(field: &str, s: &str) -> Result<IdCardNo, FieldError> {
        let mut s = s.trim().to_ascii_uppercase();
        let bad = |m: &str| Err(FieldError::new(field, m.to_string()));
        // Byte lengths and split points below assume ASCII: a CJK or other multi-byte character at byte 17 made
        // `split_at` panic (found by fuzzing).
        if !s.is_ascii() {
            return bad("公民身份号码只能包含数字和X / the ID number holds only digits and X");
        }
        if s.len() == 15 {
            if !s.bytes().all(|b| b.is_ascii_digit()) {
                return bad("15位公民身份号码应全为数字 / a 15-digit ID number must be all digits");
            }
            let first17 = format!("{}19{}", &s[..6], &s[6..]);
            let check = check_digit(&first17).unwrap_or('0');
            s = format!("{first17}{check}");
        }
        if s.len() != 18 {
            return bad("公民身份号码应为18位 / the ID number must have 18 characters");
        }
        let (body, last) = s.split_at(17);
        let Some(expected) = check_digit(body) else {
            return bad("公民身份号码前17位应为数字 / the first 17 characters must be digits");
        };
        if !last.starts_with(expected) {
            return bad("公民身份号码校验位错误 / the ID number's check digit is wrong");
        }
        let id = IdCardNo(s);
        let Some(birth) = id.parse_birth() else {
            return bad("公民身份号码中的出生日期无效 / the ID number holds an impossible birth date");
        };
        if birth.year() < 1880 || birth > chrono::Utc::now().date_naive() {
            return bad("公民身份号码中的出生日期无效 / the ID number holds an impossible birth date");
        }
        Ok(id)
    }

    fn parse_birth(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(self.0.get(6..14)?, "%Y%m%d").ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        // Checked in `parse`.
        self.parse_birth().unwrap_or_default()
    }

    pub fn gender(&self) -> Gender {
        let seq = self.0.as_bytes()[16] - b'0';
        if seq % 2 == 1 { Gender::Male } else { Gender::Female }
    }

    /// The region code of the issuing place (GB/T 2260).
    pub fn region(&self) -> &str {
        &self.0[..6]
    }

    /// As shown to anyone who has not asked to reveal it: `110101********1234`.
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }

    /// Whether stated gender and birth date agree with the number (import rows must not contradict it).
    pub fn check_against(&self, gender: Option<Gender>, birth: Option<NaiveDate>) -> Result<(), FieldError> {
        if let Some(g) = gender.filter(|g| *g != self.gender()) {
            return Err(FieldError::new(
                "性别",
                format!("性别“{}”与公民身份号码不符 / gender disagrees with the ID number", g.label_zh()),
            ));
        }
        if let Some(b) = birth.filter(|b| *b != self.birth_date()) {
            return Err(FieldError::new(
                "出生日期",
                format!("出生日期 {b} 与公民身份号码不符 / birth date disagrees with the ID number"),
            ));
        }
        Ok(())
    }
}

use chrono::Datelike;

/// Masks any 18-character number the same way, e.g. for numbers read back from storage.
pub fn mask_id_number(s: &str) -> String {
    match (s.get(..6), s.get(s.len().saturating_sub(4)..)) {
        (Some(head), Some(tail)) if s.len() == 18 => format!("{head}********{tail}"),
        _ => "*".repeat(s.chars().count()),
    }
}

impl fmt::Debug for IdCardNo {
    // Never print the full number in logs or panics.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdCardNo({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn make(first17: &str) -> String {
        format!("{first17}{}", check_digit(first17).unwrap())
    }

    #[test]
    fn known_valid_number() {
        // The example number of GB 11643 itself.
        let id = IdCardNo::parse("id", "11010519491231002X").unwrap();
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(id.region(), "110105");
        assert_eq!(id.masked(), "110105********002X");
        assert!(IdCardNo::parse("id", "11010519491231002x").is_ok(), "lower-case x is accepted");
    }

    #[test]
    fn wrong_check_digit_length_or_date_is_rejected_with_the_field() {
        let e = IdCardNo::parse("公民身份号码", "110105194912310021").unwrap_err();
        assert_eq!(e.field, "公民身份号码");
        assert!(e.message.contains("校验位"));
        assert!(IdCardNo::parse("id", "1101051949123100").is_err());
        assert!(IdCardNo::parse("id", &make("11010519491331002")).is_err(), "month 13");
        assert!(IdCardNo::parse("id", &make("11010530000101002")).is_err(), "born in the future");
        assert!(IdCardNo::parse("id", "1101051949123100AX").is_err());
        // 18 bytes with a two-byte character across byte 17 (found by fuzzing: it used to panic).
        let e = IdCardNo::parse("id", "\u{b}BBBBBBR   * \t\t\t\u{600}").unwrap_err();
        assert!(e.message.contains("数字和X"), "{}", e.message);
        assert!(IdCardNo::parse("id", "11010519491231002Ｘ").is_err(), "a full-width Ｘ");
    }

    #[test]
    fn stated_gender_and_birth_must_agree() {
        let id = IdCardNo::parse("id", &make("33010619800215001")).unwrap();
        assert_eq!(id.gender(), Gender::Male);
        assert!(id.check_against(Some(Gender::Male), NaiveDate::from_ymd_opt(1980, 2, 15)).is_ok());
        assert_eq!(id.check_against(Some(Gender::Female), None).unwrap_err().field, "性别");
        assert_eq!(id.check_against(None, NaiveDate::from_ymd_opt(1980, 2, 16)).unwrap_err().field, "出生日期");
    }

    #[test]
    fn legacy_15_digit_numbers_are_upgraded() {
        // 110105491231002 is the 15-digit form of the GB 11643 example 11010519491231002X.
        let id = IdCardNo::parse("id", "110105491231002").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.gender(), Gender::Female);
        assert!(IdCardNo::parse("id", "11010549123100X").is_err());
        assert!(IdCardNo::parse("id", "110105491331002").is_err(), "month 13");
    }

    #[test]
    fn debug_never_shows_the_number() {
        let id = IdCardNo::parse("id", "11010519491231002X").unwrap();
        assert!(!format!("{id:?}").contains("19491231"));
    }

    proptest! {
        #[test]
        fn generated_numbers_round_trip(region in 110000u32..660000, days in 0i64..37000, seq in 0u32..1000) {
            let birth = NaiveDate::from_ymd_opt(1920, 1, 1).unwrap() + chrono::Duration::days(days);
            let first17 = format!("{region:06}{}{seq:03}", birth.format("%Y%m%d"));
            let id = IdCardNo::parse("id", &make(&first17)).unwrap();
            prop_assert_eq!(id.birth_date(), birth);
            prop_assert_eq!(id.gender() == Gender::Male, seq % 2 == 1);
        }

        #[test]
        fn any_single_digit_change_is_caught(pos in 0usize..17, delta in 1u8..10) {
            let good = make("11010519491231002");
            let mut b = good.into_bytes();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let s = String::from_utf8(b).unwrap();
            prop_assert!(IdCardNo::parse("id", &s).is_err());
        }
    }
}

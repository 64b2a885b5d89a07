//! Region codes (DESIGN.md §2): district 6 digits (GB/T 2260), street +3, community +3, grid +N (default 2).

use crate::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

pub const DISTRICT_LEN: usize = 6;
pub const STREET_LEN: usize = 9;
pub const COMMUNITY_LEN: usize = 12;
/// Digits a grid adds to its community's code unless configured otherwise (14-digit unit grid code, GB/T 30428.1).
pub const DEFAULT_GRID_DIGITS: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    District,
    Street,
    Community,
    Grid,
}

impl RegionLevel {
    pub const ALL: [RegionLevel; 4] =
        [RegionLevel::District, RegionLevel::Street, RegionLevel::Community, RegionLevel::Grid];

    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::District => "district",
            RegionLevel::Street => "street",
            RegionLevel::Community => "community",
            RegionLevel::Grid => "grid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Chinese name as users say it.
    pub fn label_zh(self) -> &'static str {
        match self {
            RegionLevel::District => "区/县",
            RegionLevel::Street => "镇/街道",
            RegionLevel::Community => "社区/村",
            RegionLevel::Grid => "网格",
        }
    }

    pub fn child(self) -> Option<Self> {
        match self {
            RegionLevel::District => Some(RegionLevel::Street),
            RegionLevel::Street => Some(RegionLevel::Community),
            RegionLevel::Community => Some(RegionLevel::Grid),
            RegionLevel::Grid => None,
        }
    }
}

/// How long codes are at each level; only the grid suffix is configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRules {
    pub grid_digits: usize,
}

impl Default for CodeRules {
    fn default() -> Self {
        Self { grid_digits: DEFAULT_GRID_DIGITS }
    }
}

impl CodeRules {
    pub fn level_of_len(&self, len: usize) -> Option<RegionLevel> {
        match len {
            DISTRICT_LEN => Some(RegionLevel::District),
            STREET_LEN => Some(RegionLevel::Street),
            COMMUNITY_LEN => Some(RegionLevel::Community),
            l if l == COMMUNITY_LEN + self.grid_digits => Some(RegionLevel::Grid),
            _ => None,
        }
    }

    pub fn len_of(&self, level: RegionLevel) -> usize {
        match level {
            RegionLevel::District => DISTRICT_LEN,
            RegionLevel::Street => STREET_LEN,
            RegionLevel::Community => COMMUNITY_LEN,
            RegionLevel::Grid => COMMUNITY_LEN + self.grid_digits,
        }
    }

    /// Parses a code of any level; `field` names the input in the error.
    pub fn parse(&self, field: &str, s: &str) -> Result<RegionCode, FieldError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, "区域编码不能为空 / region code is required"));
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new(field, format!("区域编码只能包含数字 / region code must be digits: {s}")));
        }
        let level = self.level_of_len(s.len()).ok_or_else(|| {
            FieldError::new(
                field,
                format!(
                    "区域编码长度应为 6/9/12/{} 位 / region code must have 6, 9, 12 or {} digits: {s}",
                    COMMUNITY_LEN + self.grid_digits,
                    COMMUNITY_LEN + self.grid_digits
                ),
            )
        })?;
        if level == RegionLevel::District && s.ends_with("00") && !s.ends_with("0000") {
            // A code like 110100 names a prefecture-level city, not a district.
        }
        Ok(RegionCode { code: s.to_string(), level })
    }

    /// The parent's code, for a code that is not a district.
    pub fn parent_of(&self, code: &RegionCode) -> Option<String> {
        let parent_level = match code.level {
            RegionLevel::District => return None,
            RegionLevel::Street => RegionLevel::District,
            RegionLevel::Community => RegionLevel::Street,
            RegionLevel::Grid => RegionLevel::Community,
        };
        code.code.get(..self.len_of(parent_level)).map(str::to_string)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode {
    code: String,
    level: RegionLevel,
}

impl RegionCode {
    pub fn as_str(&self) -> &str {
        &self.code
    }
    pub fn level(&self) -> RegionLevel {
        self.level
    }
    /// True when `self` is `ancestor` or lies in its subtree.
    pub fn is_within(&self, ancestor: &str) -> bool {
        is_within(&self.code, ancestor)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

/// Subtree test on raw codes: a region's code starts with its ancestors' codes.
pub fn is_within(code: &str, ancestor: &str) -> bool {
    code.starts_with(ancestor)
}

/// A region as the rest of the system sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub level: RegionLevel,
    pub parent_code: Option<String>,
}

/// Validates a new region: code well formed, level matching, code extending the parent's.
pub fn validate_new_region(
    rules: &CodeRules,
    code: &str,
    name: &str,
    parent_code: Option<&str>,
) -> Result<Region, FieldError> {
    let parsed = rules.parse("code", code)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(FieldError::new("name", "名称不能为空 / name is required"));
    }
    if name.chars().count() > 100 {
        return Err(FieldError::new("name", "名称不能超过100个字 / name is longer than 100 characters"));
    }
    let expected_parent = rules.parent_of(&parsed);
    match (parent_code.map(str::trim).filter(|p| !p.is_empty()), expected_parent) {
        (None, None) => {}
        (Some(p), Some(exp)) if p == exp => {}
        (Some(p), Some(_)) => {
            return Err(FieldError::new(
                "parent_code",
                format!("编码 {code} 不是上级 {p} 编码的延伸 / code {code} does not extend its parent's code {p}"),
            ));
        }
        (Some(p), None) => {
            return Err(FieldError::new(
                "parent_code",
                format!("区/县没有上级区域 / a district has no parent region (got {p})"),
            ));
        }
        (None, Some(exp)) => {
            return Err(FieldError::new(
                "parent_code",
                format!("{}需要上级区域 {exp} / parent region {exp} is required", parsed.level().label_zh()),
            ));
        }
    }
    Ok(Region {
        code: parsed.as_str().to_string(),
        name: name.to_string(),
        level: parsed.level(),
        parent_code: parent_code.map(|p| p.trim().to_string()).filter(|p| !p.is_empty()),
    })
}

/// The code of the region at `level` that contains the grid `grid_code` (DESIGN.md §2: 6, 9 and 12 digits).
pub fn ancestor(grid_code: &str, level: RegionLevel) -> Option<String> {
    let len = match level {
        RegionLevel::District => 6,
        RegionLevel::Street => 9,
        RegionLevel::Community => 12,
        RegionLevel::Grid => grid_code.len(),
    };
    grid_code.get(..len).filter(|c| c.len() == len).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_code_length() {
        let r = CodeRules::default();
        assert_eq!(r.parse("c", "110105").unwrap().level(), RegionLevel::District);
        assert_eq!(r.parse("c", "110105001").unwrap().level(), RegionLevel::Street);
        assert_eq!(r.parse("c", "110105001001").unwrap().level(), RegionLevel::Community);
        assert_eq!(r.parse("c", "11010500100101").unwrap().level(), RegionLevel::Grid);
        let r3 = CodeRules { grid_digits: 3 };
        assert_eq!(r3.parse("c", "110105001001001").unwrap().level(), RegionLevel::Grid);
        assert!(r3.parse("c", "11010500100101").is_err());
    }

    #[test]
    fn bad_codes_name_the_field() {
        let r = CodeRules::default();
        assert_eq!(r.parse("grid_code", "11a105").unwrap_err().field, "grid_code");
        assert!(r.parse("c", "1101").is_err());
        assert!(r.parse("c", "").is_err());
    }

    #[test]
    fn child_code_must_extend_parent() {
        let r = CodeRules::default();
        assert!(validate_new_region(&r, "110105001", "朝外街道", Some("110105")).is_ok());
        let e = validate_new_region(&r, "110106001", "街道", Some("110105")).unwrap_err();
        assert_eq!(e.field, "parent_code");
        assert_eq!(validate_new_region(&r, "110105001", "街道", None).unwrap_err().field, "parent_code");
        assert_eq!(validate_new_region(&r, "110105", "区", Some("110100")).unwrap_err().field, "parent_code");
        assert_eq!(validate_new_region(&r, "110105", " ", None).unwrap_err().field, "name");
    }

    #[test]
    fn subtree_is_prefix() {
        assert!(is_within("11010500100101", "110105"));
        assert!(is_within("110105", "110105"));
        assert!(!is_within("110106001", "110105"));
        assert_eq!(
            CodeRules::default().parent_of(&CodeRules::default().parse("c", "11010500100101").unwrap()).as_deref(),
            Some("110105001001")
        );
    }
}

//! The population and housing register's vocabulary (实有人口、实有房屋): the closed lists users pick from,
//! each parsed from what people type (Chinese label or English code) and stored as a stable code.

use crate::FieldError;

vocabulary! {
    /// 人口类型.
    PopulationType {
        Registered = ("registered", "户籍人口", "Registered"),
        Migrant = ("migrant", "流动人口", "Migrant"),
        Foreign = ("foreign", "境外人员", "Foreign"),
    }
}

vocabulary! {
    /// 居住状态: a person is never deleted; leaving or dying changes this.
    ResidenceStatus {
        Present = ("present", "在住", "Present"),
        Away = ("away", "外出", "Away"),
        MovedOut = ("moved_out", "迁出", "Moved out"),
        Deceased = ("deceased", "死亡", "Deceased"),
    }
}

vocabulary! {
    /// 房屋用途.
    HouseUsage {
        SelfOccupied = ("self_occupied", "自住", "Owner-occupied"),
        Rented = ("rented", "出租", "Rented"),
        Vacant = ("vacant", "空置", "Vacant"),
        Commercial = ("commercial", "商用", "Commercial"),
        Other = ("other", "其他", "Other"),
    }
}

vocabulary! {
    /// What happened to a person, in their history (人员变动).
    PersonEventKind {
        Registered = ("registered", "登记", "Registered"),
        Birth = ("birth", "出生", "Birth"),
        MoveIn = ("move_in", "迁入", "Moved in"),
        MoveOut = ("move_out", "迁出", "Moved out"),
        Away = ("away", "外出", "Gone away"),
        Return = ("return", "返回", "Returned"),
        Death = ("death", "死亡", "Death"),
        Update = ("update", "信息变更", "Updated"),
        Merge = ("merge", "合并重复", "Merged duplicate"),
    }
}

vocabulary! {
    /// 组织类型 of organizations placed on houses.
    OrgKind {
        Enterprise = ("enterprise", "企业", "Enterprise"),
        School = ("school", "学校", "School"),
        Hospital = ("hospital", "医院", "Hospital"),
        SocialOrganization = ("social_organization", "社会组织", "Social organization"),
        PublicInstitution = ("public_institution", "机关事业单位", "Government or public institution"),
        IndividualBusiness = ("individual_business", "个体工商户", "Individual business"),
        Other = ("other", "其他", "Other"),
    }
}

vocabulary! {
    /// 经营状态 of an organization.
    OrgStatus {
        Operating = ("operating", "在营", "Operating"),
        Suspended = ("suspended", "停业", "Suspended"),
        Deregistered = ("deregistered", "注销", "Deregistered"),
    }
}

/// 与户主关系 as 户口簿 writes it.
pub const RELATIONS: &[&str] = &[
    "户主",
    "配偶",
    "子",
    "女",
    "父亲",
    "母亲",
    "孙子",
    "孙女",
    "外孙子",
    "外孙女",
    "儿媳",
    "女婿",
    "兄弟",
    "姐妹",
    "祖父",
    "祖母",
    "外祖父",
    "外祖母",
    "侄子",
    "侄女",
    "其他",
];

pub fn parse_relation(field: &str, s: &str) -> Result<&'static str, FieldError> {
    let s = s.trim();
    let s = match s {
        "本人" => "户主",
        "妻" | "夫" | "丈夫" | "妻子" => "配偶",
        "儿子" | "长子" | "次子" => "子",
        "女儿" | "长女" | "次女" => "女",
        other => other,
    };
    RELATIONS
        .iter()
        .copied()
        .find(|r| *r == s)
        .ok_or_else(|| FieldError::new(field, format!("与户主关系无法识别 / unknown relation to the head: {s}")))
}

/// The 56 民族 of GB/T 3304, plus the two residual entries.
pub const ETHNICITIES: &[&str] = &[
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
    "其他",
    "外国血统",
];

/// Accepts "汉族" or the short "汉".
pub fn parse_ethnicity(field: &str, s: &str) -> Result<&'static str, FieldError> {
    let s = s.trim();
    ETHNICITIES
        .iter()
        .copied()
        .find(|e| *e == s || e.strip_suffix('族') == Some(s))
        .ok_or_else(|| FieldError::new(field, format!("民族无法识别 / unknown ethnicity: {s}")))
}

/// A person's name as written on an ID card: Chinese characters, letters, the middle dot of minority and
/// foreign names (·), spaces; 1–50 characters.
pub fn parse_name(field: &str, s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    let n = s.chars().count();
    if n == 0 {
        return Err(FieldError::new(field, "姓名不能为空 / the name is required"));
    }
    if n > 50 {
        return Err(FieldError::new(field, "姓名不能超过50字 / the name is longer than 50 characters"));
    }
    if let Some(c) = s.chars().find(|c| !(c.is_alphabetic() || matches!(c, '·' | '•' | '.' | ' ' | '-'))) {
        return Err(FieldError::new(field, format!("姓名含有无效字符 / the name holds an invalid character: {c}")));
    }
    Ok(s.replace('•', "·"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_accept_codes_and_labels() {
        assert_eq!(PopulationType::parse("t", "流动人口").unwrap(), PopulationType::Migrant);
        assert_eq!(PopulationType::parse("t", "registered").unwrap(), PopulationType::Registered);
        assert_eq!(HouseUsage::parse("u", "出租").unwrap().as_str(), "rented");
        assert_eq!(ResidenceStatus::parse("s", "Moved out").unwrap(), ResidenceStatus::MovedOut);
        let e = PopulationType::parse("人口类型", "常住").unwrap_err();
        assert_eq!(e.field, "人口类型");
        assert!(e.message.contains("户籍人口"));
    }

    #[test]
    fn relations_ethnicities_and_names() {
        assert_eq!(parse_relation("r", "妻子").unwrap(), "配偶");
        assert_eq!(parse_relation("r", "户主").unwrap(), "户主");
        assert!(parse_relation("r", "邻居").is_err());
        assert_eq!(parse_ethnicity("e", "汉").unwrap(), "汉族");
        assert_eq!(parse_ethnicity("e", "维吾尔族").unwrap(), "维吾尔族");
        assert_eq!(ETHNICITIES.len(), 58);
        assert!(parse_ethnicity("e", "火星族").is_err());
        assert_eq!(parse_name("n", " 买买提•艾力 ").unwrap(), "买买提·艾力");
        assert!(parse_name("n", "张3").is_err());
        assert!(parse_name("n", "").is_err());
    }
}

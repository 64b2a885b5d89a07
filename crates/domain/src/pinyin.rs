//! Pinyin search keys for Chinese names: the full pinyin without tones or spaces (`zhangsanfeng`) and the
//! initials (`zsf`), so that people can be found by what a grid worker types on a phone keyboard.
//!
//! Readings come from the `pinyin` crate (most common reading of each character), with two corrections a
//! register needs: surnames take their surname reading (单 shan, 曾 zeng, 解 xie, 仇 qiu, 区 ou, 朴 piao,
//! 查 zha, compound 尉迟 yuchi …), and ü is written `v` as on every pinyin keyboard (吕 → `lv`).
//! ASCII letters and digits in a name are kept, lowercased, as one syllable per run (`Anna李` → `annali`,
//! initials `al`); any other character without a reading (·, spaces, punctuation) is skipped.

use pinyin::ToPinyin;

/// Compound surnames (复姓) whose reading differs from the characters' everyday readings, or which should be
/// read as a unit. Checked before the single-character table.
const COMPOUND_SURNAMES: &[(&str, &[&str])] = &[
    ("尉迟", &["yu", "chi"]),
    ("万俟", &["mo", "qi"]),
    ("单于", &["chan", "yu"]),
    ("澹台", &["tan", "tai"]),
    ("长孙", &["zhang", "sun"]),
    ("令狐", &["ling", "hu"]),
    ("欧阳", &["ou", "yang"]),
    ("司马", &["si", "ma"]),
    ("上官", &["shang", "guan"]),
    ("诸葛", &["zhu", "ge"]),
    ("东方", &["dong", "fang"]),
    ("皇甫", &["huang", "fu"]),
    ("夏侯", &["xia", "hou"]),
    ("公孙", &["gong", "sun"]),
    ("慕容", &["mu", "rong"]),
    ("宇文", &["yu", "wen"]),
    ("呼延", &["hu", "yan"]),
    ("拓跋", &["tuo", "ba"]),
    ("亓官", &["qi", "guan"]),
    ("鲜于", &["xian", "yu"]),
    ("闻人", &["wen", "ren"]),
    ("仲孙", &["zhong", "sun"]),
    ("轩辕", &["xuan", "yuan"]),
    ("申屠", &["shen", "tu"]),
];

/// Single-character surnames whose surname reading is not the character's most common reading.
const SURNAME_READINGS: &[(char, &str)] = &[
    ('单', "shan"),
    ('曾', "zeng"),
    ('解', "xie"),
    ('仇', "qiu"),
    ('区', "ou"),
    ('朴', "piao"),
    ('查', "zha"),
    ('盖', "ge"),
    ('缪', "miao"),
    ('翟', "zhai"),
    ('覃', "qin"),
    ('员', "yun"),
    ('乐', "yue"),
    ('繁', "po"),
    ('秘', "bi"),
    ('种', "chong"),
    ('重', "chong"),
    ('折', "she"),
    ('句', "gou"),
    ('能', "nai"),
    ('阚', "kan"),
    ('蕃', "pi"),
    ('薄', "bo"),
    ('洗', "xian"),
    ('隗', "wei"),
    ('乜', "nie"),
    ('藏', "zang"),
    ('都', "du"),
    ('召', "shao"),
    ('粘', "nian"),
    ('祭', "zhai"),
    ('缑', "gou"),
    ('尉', "wei"),
    ('长', "chang"),
    ('沈', "shen"),
    ('石', "shi"),
    ('柏', "bai"),
    ('牟', "mou"),
    ('宓', "fu"),
    ('啜', "chuai"),
    ('甄', "zhen"),
    ('车', "che"),
    ('应', "ying"),
    ('华', "hua"),
    ('任', "ren"),
    ('纪', "ji"),
    ('过', "guo"),
    ('宿', "su"),
    ('那', "na"),
    ('莘', "shen"),
    ('訾', "zi"),
    ('厍', "she"),
    ('邸', "di"),
];

/// Characters of given names whose usual reading in names differs from the crate's most common reading.
const GIVEN_NAME_READINGS: &[(char, &str)] = &[('长', "chang")];

/// The search keys of a name, with the byte positions in `full` where a syllable starts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameKeys {
    /// Full pinyin, lowercase, no tones, no spaces: `zhangsanfeng`.
    pub full: String,
    /// First letter of each syllable: `zsf`.
    pub initials: String,
    /// Bit `i` is set when a syllable starts at byte `i` of `full` (positions ≥ 32 are not recorded).
    pub starts: u32,
}

impl NameKeys {
    fn push(&mut self, syllable: &str) {
        let start = self.full.len();
        for c in syllable.chars() {
            match c {
                'ü' | 'Ü' => self.full.push('v'),
                c if c.is_ascii_alphanumeric() => self.full.push(c.to_ascii_lowercase()),
                _ => {}
            }
        }
        if let Some(first) = self.full[start..].chars().next() {
            if start < 32 {
                self.starts |= 1 << start;
            }
            self.initials.push(first);
        }
    }

    /// Whether a syllable starts at byte `pos` of `full`; positions past the recorded ones count as starts,
    /// so that long names are matched leniently rather than missed.
    pub fn starts_at(starts: u32, pos: usize) -> bool {
        pos >= 32 || starts & (1 << pos) != 0
    }
}

fn surname_reading(c: char) -> Option<&'static str> {
    SURNAME_READINGS.iter().find(|(k, _)| *k == c).map(|(_, r)| *r)
}

fn given_reading(c: char) -> Option<&'static str> {
    GIVEN_NAME_READINGS.iter().find(|(k, _)| *k == c).map(|(_, r)| *r)
}

/// Full pinyin, initials and syllable starts of `name` (see the module documentation).
pub fn name_keys(name: &str) -> NameKeys {
    let mut keys = NameKeys::default();
    let name = name.trim();
    let mut rest = name;
    // The surname: a compound surname from the table, or a single character with a surname reading.
    if let Some((prefix, readings)) = COMPOUND_SURNAMES.iter().find(|(p, _)| name.starts_with(p)) {
        readings.iter().for_each(|r| keys.push(r));
        rest = &name[prefix.len()..];
    } else if let Some(first) = name.chars().next()
        && let Some(r) = surname_reading(first)
    {
        keys.push(r);
        rest = &name[first.len_utf8()..];
    }
    let mut ascii = String::new();
    for c in rest.chars() {
        if c.is_ascii_alphanumeric() {
            ascii.push(c.to_ascii_lowercase());
            continue;
        }
        if !ascii.is_empty() {
            keys.push(&ascii);
            ascii.clear();
        }
        if let Some(r) = given_reading(c) {
            keys.push(r);
        } else if let Some(p) = c.to_pinyin() {
            keys.push(p.plain());
        }
    }
    if !ascii.is_empty() {
        keys.push(&ascii);
    }
    keys
}

/// `(full pinyin lowercase without tones or spaces, initials)` of a name: `张三丰` → (`zhangsanfeng`, `zsf`).
pub fn search_keys(name: &str) -> (String, String) {
    let k = name_keys(name);
    (k.full, k.initials)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(name: &str) -> (String, String) {
        search_keys(name)
    }

    #[test]
    fn plain_names() {
        assert_eq!(keys("张三丰"), ("zhangsanfeng".into(), "zsf".into()));
        assert_eq!(keys("王芳"), ("wangfang".into(), "wf".into()));
        assert_eq!(keys(" 李 娜 "), ("lina".into(), "ln".into()));
    }

    #[test]
    fn surnames_take_their_surname_reading() {
        for (name, full, initials) in [
            ("单雄信", "shanxiongxin", "sxx"),
            ("曾国藩", "zengguofan", "zgf"),
            ("解缙", "xiejin", "xj"),
            ("仇英", "qiuying", "qy"),
            ("区永贤", "ouyongxian", "oyx"),
            ("朴树", "piaoshu", "ps"),
            ("查良镛", "zhaliangyong", "zly"),
            ("尉迟恭", "yuchigong", "ycg"),
            ("万俟卨", "moqixie", "mqx"),
            ("欧阳修", "ouyangxiu", "oyx"),
            ("翟志刚", "zhaizhigang", "zzg"),
            ("覃振", "qinzhen", "qz"),
            ("缪可", "miaoke", "mk"),
            ("盖聂", "genie", "gn"),
        ] {
            assert_eq!(keys(name), (full.to_string(), initials.to_string()), "{name}");
        }
    }

    #[test]
    fn surname_readings_apply_only_to_the_surname() {
        // 单 is shan as a surname, dan inside a given name.
        assert_eq!(keys("王单"), ("wangdan".into(), "wd".into()));
        assert_eq!(keys("曾曾").0, "zengceng");
        // 长 in a given name reads chang.
        assert_eq!(keys("李长青").0, "lichangqing");
    }

    #[test]
    fn u_umlaut_is_written_v() {
        assert_eq!(keys("吕女士"), ("lvnvshi".into(), "lns".into()));
    }

    #[test]
    fn latin_letters_and_separators() {
        assert_eq!(keys("买买提·艾力"), ("maimaitiaili".into(), "mmtal".into()));
        assert_eq!(keys("Anna李"), ("annali".into(), "al".into()));
        assert_eq!(keys(""), (String::new(), String::new()));
        assert_eq!(keys("··"), (String::new(), String::new()));
    }

    #[test]
    fn syllable_starts() {
        let k = name_keys("张三丰");
        let starts: Vec<usize> = (0..k.full.len()).filter(|&i| NameKeys::starts_at(k.starts, i)).collect();
        assert_eq!(starts, vec![0, 5, 8]);
        // Past 32 bytes every position counts as a start.
        assert!(NameKeys::starts_at(0, 40));
    }
}

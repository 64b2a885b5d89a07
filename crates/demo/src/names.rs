//! Word lists for fictional but plausible names, places and numbers.

use rand::Rng;
use wangge_domain::idcard::Gender;

/// A list of items with integer weights, drawn by one uniform number and a binary search.
pub(crate) struct Weighted<T: Copy + 'static> {
    items: &'static [(T, u32)],
    cumulative: Vec<u32>,
}

impl<T: Copy + 'static> Weighted<T> {
    pub fn new(items: &'static [(T, u32)]) -> Self {
        let mut acc = 0;
        let cumulative = items
            .iter()
            .map(|&(_, w)| {
                acc += w;
                acc
            })
            .collect();
        Weighted { items, cumulative }
    }

    pub fn pick(&self, rng: &mut impl Rng) -> T {
        let total = *self.cumulative.last().expect("a non-empty list");
        let x = rng.gen_range(0..total);
        let i = self.cumulative.partition_point(|&c| c <= x);
        self.items[i].0
    }
}

/// Common surnames weighted roughly by their share of the population (per ten thousand).
pub(crate) const SURNAMES: &[(&str, u32)] = &[
    ("王", 720),
    ("李", 710),
    ("张", 680),
    ("刘", 540),
    ("陈", 500),
    ("杨", 310),
    ("赵", 200),
    ("黄", 190),
    ("周", 190),
    ("吴", 190),
    ("徐", 160),
    ("孙", 130),
    ("胡", 120),
    ("朱", 110),
    ("高", 100),
    ("林", 100),
    ("何", 90),
    ("郭", 90),
    ("马", 80),
    ("罗", 70),
    ("梁", 60),
    ("宋", 60),
    ("郑", 60),
    ("谢", 50),
    ("韩", 50),
    ("唐", 50),
    ("冯", 50),
    ("于", 50),
    ("董", 40),
    ("肖", 40),
    ("程", 40),
    ("曹", 40),
    ("袁", 40),
    ("邓", 40),
    ("许", 40),
    ("傅", 40),
    ("沈", 60),
    ("曾", 40),
    ("彭", 30),
    ("吕", 30),
    ("苏", 30),
    ("卢", 30),
    ("蒋", 40),
    ("蔡", 30),
    ("贾", 30),
    ("丁", 30),
    ("魏", 30),
    ("薛", 30),
    ("叶", 40),
    ("余", 30),
    ("潘", 30),
    ("杜", 30),
    ("戴", 30),
    ("夏", 30),
    ("钟", 30),
    ("汪", 30),
    ("田", 30),
    ("任", 30),
    ("姜", 30),
    ("范", 30),
    ("方", 30),
    ("石", 30),
    ("姚", 30),
    ("谭", 20),
    ("廖", 20),
    ("邹", 20),
    ("熊", 20),
    ("金", 30),
    ("陆", 30),
    ("郝", 20),
    ("孔", 20),
    ("白", 20),
    ("崔", 20),
    ("康", 20),
    ("毛", 20),
    ("邱", 20),
    ("秦", 20),
    ("江", 20),
    ("史", 20),
    ("顾", 20),
    ("侯", 20),
    ("邵", 20),
    ("孟", 20),
    ("龙", 20),
    ("万", 20),
    ("段", 20),
    ("章", 20),
    ("钱", 30),
    ("汤", 20),
    ("尹", 20),
    ("黎", 20),
    ("易", 20),
    ("常", 20),
    ("武", 20),
    ("乔", 20),
    ("贺", 20),
    ("赖", 20),
    ("龚", 20),
    ("文", 20),
    ("俞", 20),
    ("楼", 10),
    ("应", 10),
    ("诸葛", 2),
    ("欧阳", 3),
];

/// Given names by the era of birth, because names follow fashions: (born before 1965, 1965–1989, 1990 on).
const MALE_GIVEN: [&[&str]; 3] = [
    &[
        "建国", "建华", "国强", "志强", "德明", "卫东", "建军", "国庆", "永强", "文华", "明华", "振华", "福生", "金生",
        "根生", "荣华", "树林", "长林", "海生", "宝林", "国平", "家明", "伟", "强", "军", "明", "华", "平", "刚", "林",
        "斌", "忠",
    ],
    &[
        "志伟", "海涛", "建平", "晓东", "伟强", "俊杰", "立新", "小军", "宏伟", "振宇", "文斌", "剑锋", "永刚", "少华",
        "晓峰", "国栋", "春雷", "建锋", "海军", "伟", "勇", "军", "磊", "涛", "斌", "辉", "鹏", "杰", "超", "峰", "亮",
        "波",
    ],
    &[
        "浩宇", "子轩", "宇航", "俊熙", "梓豪", "浩然", "一鸣", "子墨", "博文", "宇轩", "嘉豪", "思远", "天佑", "明轩",
        "俊宇", "承泽", "皓轩", "铭泽", "奕辰", "睿", "浩", "宇", "轩", "博", "哲", "航", "凯", "昊", "晨", "阳",
    ],
];

const FEMALE_GIVEN: [&[&str]; 3] = [
    &[
        "秀英", "桂英", "玉兰", "秀兰", "凤英", "淑珍", "美华", "桂芳", "秀珍", "彩云", "月娥", "素芬", "玉梅", "爱华",
        "丽华", "金花", "翠英", "菊芬", "英", "芳", "兰", "珍", "萍", "梅", "娟", "琴",
    ],
    &[
        "丽娟", "晓燕", "海燕", "春梅", "红梅", "雪梅", "丽萍", "晓红", "美玲", "文静", "秀丽", "晓丽", "艳红", "佳丽",
        "静", "艳", "敏", "丽", "娟", "霞", "燕", "琳", "婷", "洁", "慧", "颖",
    ],
    &[
        "梓萱", "欣怡", "子涵", "诗涵", "雨桐", "可馨", "思琪", "语嫣", "紫涵", "佳怡", "一诺", "梦瑶", "雨萱", "若曦",
        "心怡", "思雨", "欣妍", "书瑶", "晨曦", "婧琪", "涵", "悦", "琪", "萱", "妍", "琳", "瑶", "彤", "怡", "婷",
    ],
];

/// A given name fitting the person's gender and year of birth.
pub(crate) fn given_name(rng: &mut impl Rng, gender: Gender, birth_year: i32) -> &'static str {
    let era = match birth_year {
        ..1965 => 0,
        1965..1990 => 1,
        _ => 2,
    };
    let list = match gender {
        Gender::Male => MALE_GIVEN[era],
        Gender::Female => FEMALE_GIVEN[era],
    };
    list[rng.gen_range(0..list.len())]
}

/// 民族: mostly 汉族; 畲族 lives in Zhejiang, the others are common elsewhere.
pub(crate) const ETHNICITIES: &[(&str, u32)] =
    &[("汉族", 9750), ("回族", 60), ("满族", 50), ("畲族", 70), ("土家族", 40), ("壮族", 20), ("苗族", 10)];

/// Issuing regions (first 6 digits of the ID number) of local residents: districts of Hangzhou.
pub(crate) const LOCAL_ID_REGIONS: &[(&str, u32)] = &[("330106", 60), ("330105", 20), ("330102", 20)];

/// Issuing regions of migrants: cities in the provinces that send most workers to Hangzhou.
pub(crate) const MIGRANT_ID_REGIONS: &[(&str, u32)] = &[
    ("340102", 10), // 合肥瑶海
    ("341202", 12), // 阜阳颍州
    ("410105", 8),  // 郑州金水
    ("411302", 8),  // 南阳宛城
    ("510104", 6),  // 成都锦江
    ("511602", 5),  // 广安广安区
    ("360102", 7),  // 南昌东湖
    ("362502", 5),  // 抚州临川
    ("430102", 5),  // 长沙芙蓉
    ("420106", 5),  // 武汉武昌
    ("522101", 6),  // 遵义红花岗
    ("500101", 6),  // 重庆万州
    ("450102", 3),  // 南宁兴宁
    ("350102", 3),  // 福州鼓楼
    ("320102", 3),  // 南京玄武
    ("370102", 3),  // 济南历下
    ("130102", 2),  // 石家庄长安
    ("610102", 3),  // 西安新城
];

/// Mobile prefixes in use (China Mobile, Unicom, Telecom, 19x).
const PHONE_PREFIXES: &[u64] = &[
    130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158, 159, 180, 181, 182, 183, 185,
    186, 187, 188, 189, 191, 193, 195, 198, 199,
];

/// An 11-digit mobile number as an integer (caller checks uniqueness).
pub(crate) fn mobile(rng: &mut impl Rng) -> u64 {
    PHONE_PREFIXES[rng.gen_range(0..PHONE_PREFIXES.len())] * 100_000_000 + rng.gen_range(0..100_000_000)
}

/// Stems and suffixes of residential compound (小区) names.
const COMPOUND_STEMS: &[&str] = &[
    "桂花", "紫金", "金色", "阳光", "春江", "绿洲", "颐景", "锦绣", "和睦", "嘉禾", "新湖", "星洲", "香樟", "枫林",
    "玉泉", "竹韵", "梅园", "兰庭", "翠柏", "清波", "南苑", "北苑", "东园", "西园", "丹桂", "荷花", "芳满", "望湖",
    "云水", "松风",
];
const COMPOUND_SUFFIXES: &[&str] =
    &["花园", "苑", "新村", "公寓", "家园", "小区", "一区", "二区", "三区", "北区", "南区"];

/// A compound name, e.g. `桂花新村`.
pub(crate) fn compound_name(rng: &mut impl Rng) -> String {
    let stem = COMPOUND_STEMS[rng.gen_range(0..COMPOUND_STEMS.len())];
    let suffix = COMPOUND_SUFFIXES[rng.gen_range(0..COMPOUND_SUFFIXES.len())];
    let mut s = String::with_capacity(stem.len() + suffix.len());
    s.push_str(stem);
    s.push_str(suffix);
    s
}

/// Chinese numerals for grid names (`第三网格`), 1–99.
pub(crate) fn numeral(n: usize) -> String {
    const N: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let (tens, units) = (n / 10 % 10, n % 10);
    match tens {
        0 => N[units].to_string(),
        1 => format!("十{}", N[units]),
        _ => format!("{}十{}", N[tens], N[units]),
    }
}

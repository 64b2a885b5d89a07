//! The service catalogue (服务事项目录): categories and items as data, each item with its materials, eligibility,
//! time limit in working days, back office (a department, or the station itself) and whether residents may apply
//! online. Seeded at first start with seven categories as community service stations run them; administrators and
//! district staff edit it. Read through a short-lived cache, since every acceptance and list reads it.

use crate::{App, AppError, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_domain::service::{MaterialSpec, parse_materials};
use wangge_store::audit::NewAudit;
use wangge_store::services::{CategoryRow, ItemRow};
use wangge_store::{Store, StoreError};

/// Departments the catalogue's back offices need beyond the ones every district starts with.
pub const SERVICE_DEPARTMENTS: &[(&str, &str, &str)] =
    &[("canlian", "残疾人联合会", "Disabled Persons' Federation"), ("yibao", "医疗保障局", "Healthcare security")];

/// (code, 名称, English).
pub const SEED_CATEGORIES: &[(&str, &str, &str)] = &[
    ("civil", "民政救助", "Civil affairs and assistance"),
    ("social_security", "社会保障", "Social security"),
    ("employment", "劳动就业", "Employment"),
    ("health", "卫生健康", "Health"),
    ("disability", "残疾人服务", "Disability services"),
    ("elderly", "老龄服务", "Services for the elderly"),
    ("certificates", "证明开具", "Certificates"),
];

/// A seeded item: code, category, 名称, English, materials (one per line; `*` optional, note after `|`),
/// eligibility, working days (0 = 即办件), back office (None: the station), online, legal basis.
pub struct SeedItem {
    pub code: &'static str,
    pub category: &'static str,
    pub name: &'static str,
    pub name_en: &'static str,
    pub materials: &'static str,
    pub eligibility: &'static str,
    pub days: i64,
    pub department: Option<&'static str>,
    pub online: bool,
    pub basis: &'static str,
}

#[allow(clippy::too_many_arguments)]
const fn item(
    code: &'static str,
    category: &'static str,
    name: &'static str,
    name_en: &'static str,
    materials: &'static str,
    eligibility: &'static str,
    days: i64,
    department: Option<&'static str>,
    online: bool,
    basis: &'static str,
) -> SeedItem {
    SeedItem { code, category, name, name_en, materials, eligibility, days, department, online, basis }
}

const MZ: Option<&str> = Some("minzheng");
const RS: Option<&str> = Some("renshe");
const YB: Option<&str> = Some("yibao");
const WJ: Option<&str> = Some("weijian");
const CL: Option<&str> = Some("canlian");
const ZJ: Option<&str> = Some("zhujian");

/// The seeded catalogue: seven categories, 38 items, as a community service station's one window takes them.
pub fn seed_items() -> Vec<SeedItem> {
    vec![
        item(
            "MZ01",
            "civil",
            "最低生活保障申请",
            "Minimum living allowance (dibao)",
            "居民身份证 | 原件，当场核验后退还\n户口簿 | 原件\n最低生活保障申请书 | 窗口领取\n家庭经济状况核对授权书 | 共同生活成员签字\n家庭收入及财产申报表\n*残疾人证或疾病诊断证明 | 有则提供",
            "共同生活的家庭成员人均月收入低于当地最低生活保障标准，且家庭财产状况符合规定",
            30,
            MZ,
            true,
            "《社会救助暂行办法》（国务院令第649号）",
        ),
        item(
            "MZ02",
            "civil",
            "特困人员救助供养申请",
            "Support for persons in extreme poverty",
            "居民身份证 | 原件\n户口簿 | 原件\n特困人员救助供养申请书\n*残疾人证 | 有则提供",
            "无劳动能力、无生活来源、无法定赡养抚养扶养义务人或其义务人无履行能力的老年人、残疾人和未成年人",
            20,
            MZ,
            false,
            "《社会救助暂行办法》（国务院令第649号）",
        ),
        item(
            "MZ03",
            "civil",
            "临时救助申请",
            "Temporary assistance",
            "居民身份证 | 原件\n临时救助申请书\n遭遇困难的相关证明 | 如医疗票据、事故证明",
            "因火灾、交通事故、突发重大疾病等意外导致基本生活暂时出现严重困难的家庭或个人",
            10,
            MZ,
            true,
            "《社会救助暂行办法》（国务院令第649号）",
        ),
        item(
            "MZ04",
            "civil",
            "公共租赁住房申请",
            "Public rental housing",
            "居民身份证 | 原件\n户口簿 | 原件\n婚姻状况证明\n家庭成员收入证明\n住房情况书面声明",
            "本地城镇中等偏下收入住房困难家庭、新就业无房职工和在本地稳定就业的外来务工人员",
            20,
            ZJ,
            true,
            "《公共租赁住房管理办法》（住房和城乡建设部令第11号）",
        ),
        item(
            "MZ05",
            "civil",
            "住房租赁补贴申请",
            "Rental housing subsidy",
            "居民身份证 | 原件\n户口簿 | 原件\n房屋租赁合同 | 已备案\n家庭成员收入证明",
            "符合住房保障条件、在市场租房居住的低收入住房困难家庭",
            15,
            ZJ,
            true,
            "",
        ),
        item(
            "MZ06",
            "civil",
            "困难群众医疗救助申请",
            "Medical assistance for families in difficulty",
            "居民身份证 | 原件\n医疗费用票据 | 原件\n出院小结或诊断证明\n低保证或特困供养证明",
            "低保对象、特困人员、低收入家庭成员，经基本医保和大病保险报销后个人负担仍较重",
            10,
            YB,
            false,
            "",
        ),
        item(
            "SB01",
            "social_security",
            "城乡居民基本养老保险参保登记",
            "Enrolment in residents' basic pension",
            "居民身份证 | 原件\n户口簿 | 原件",
            "年满16周岁（不含在校学生）、未参加职工基本养老保险的城乡居民",
            0,
            RS,
            true,
            "《国务院关于建立统一的城乡居民基本养老保险制度的意见》（国发〔2014〕8号）",
        ),
        item(
            "SB02",
            "social_security",
            "城乡居民基本医疗保险参保登记",
            "Enrolment in residents' basic medical insurance",
            "居民身份证 | 原件\n户口簿 | 原件\n*居住证 | 非本地户籍提供",
            "未参加职工基本医疗保险的城乡居民",
            0,
            YB,
            true,
            "",
        ),
        item(
            "SB03",
            "social_security",
            "城乡居民养老保险待遇领取申请",
            "Claiming the residents' pension",
            "居民身份证 | 原件\n户口簿 | 原件\n本人社会保障卡或银行卡",
            "年满60周岁、累计缴费满15年且未领取国家规定的其他基本养老保障待遇",
            10,
            RS,
            false,
            "",
        ),
        item(
            "SB04",
            "social_security",
            "社会保障卡申领",
            "Social security card",
            "居民身份证 | 原件\n近期免冠彩色照片 | 白底一寸",
            "参加本地社会保险的人员",
            5,
            RS,
            true,
            "",
        ),
        item(
            "SB05",
            "social_security",
            "医疗保险关系转移接续",
            "Transferring medical insurance",
            "居民身份证 | 原件\n参保凭证 | 转出地开具",
            "跨统筹地区流动就业、居住的参保人员",
            10,
            YB,
            true,
            "",
        ),
        item(
            "SB06",
            "social_security",
            "门诊慢特病待遇认定",
            "Chronic disease outpatient benefits",
            "居民身份证 | 原件\n社会保障卡\n近两年病历资料\n二级以上医院诊断证明",
            "参保人员患有规定病种，经认定后门诊费用按规定报销",
            15,
            YB,
            false,
            "",
        ),
        item(
            "JY01",
            "employment",
            "就业创业证申领",
            "Employment and entrepreneurship certificate",
            "居民身份证 | 原件\n近期免冠彩色照片 | 一寸\n*户口簿",
            "法定劳动年龄内有劳动能力和就业要求的人员",
            0,
            RS,
            true,
            "《就业服务与就业管理规定》",
        ),
        item(
            "JY02",
            "employment",
            "失业登记",
            "Unemployment registration",
            "居民身份证 | 原件\n解除或终止劳动合同证明",
            "法定劳动年龄内、有劳动能力和就业要求、处于无业状态的城乡劳动者",
            0,
            RS,
            true,
            "",
        ),
        item(
            "JY03",
            "employment",
            "灵活就业社会保险补贴申请",
            "Social insurance subsidy for flexible employment",
            "居民身份证 | 原件\n就业创业证\n社会保险缴费凭证",
            "就业困难人员和离校2年内未就业高校毕业生以灵活就业方式就业并缴纳社会保险费",
            15,
            RS,
            true,
            "",
        ),
        item(
            "JY04",
            "employment",
            "创业担保贷款申请",
            "Guaranteed start-up loan",
            "居民身份证 | 原件\n营业执照\n创业计划书\n*就业创业证",
            "城镇登记失业人员、就业困难人员、退役军人、高校毕业生等重点群体创业",
            15,
            RS,
            false,
            "",
        ),
        item(
            "JY05",
            "employment",
            "职业技能培训报名",
            "Vocational training enrolment",
            "居民身份证 | 原件\n*学历证明",
            "有培训意愿的城乡劳动者",
            5,
            RS,
            true,
            "",
        ),
        item(
            "JY06",
            "employment",
            "就业困难人员认定",
            "Recognition as a person with employment difficulties",
            "居民身份证 | 原件\n就业创业证\n困难情形证明 | 如残疾人证、低保证",
            "已办理失业登记，且属于大龄、残疾、低保家庭、连续失业一年以上等情形",
            10,
            RS,
            false,
            "",
        ),
        item(
            "WJ01",
            "health",
            "生育登记服务",
            "Birth registration service",
            "夫妻双方居民身份证 | 原件\n结婚证 | 原件",
            "依法登记结婚的夫妻",
            0,
            WJ,
            true,
            "《中华人民共和国人口与计划生育法》",
        ),
        item(
            "WJ02",
            "health",
            "计划生育特别扶助金申请",
            "Special support for family-planning families",
            "居民身份证 | 原件\n户口簿 | 原件\n独生子女父母光荣证\n子女死亡或伤残证明",
            "独生子女死亡或伤残、未再生育或收养子女、女方年满49周岁的夫妻",
            20,
            WJ,
            false,
            "",
        ),
        item(
            "WJ03",
            "health",
            "农村部分计划生育家庭奖励扶助申请",
            "Rural family-planning reward",
            "居民身份证 | 原件\n户口簿 | 原件\n独生子女父母光荣证或结婚证",
            "农业户口、只生育一个子女或两个女孩、年满60周岁的夫妻",
            15,
            WJ,
            false,
            "",
        ),
        item(
            "WJ04",
            "health",
            "家庭医生签约服务",
            "Signing up with a family doctor",
            "居民身份证 | 原件\n社会保障卡",
            "辖区常住居民，优先老年人、慢性病患者、孕产妇、儿童和残疾人",
            0,
            WJ,
            true,
            "",
        ),
        item(
            "WJ05",
            "health",
            "预防接种证补办",
            "Replacing a vaccination certificate",
            "监护人居民身份证 | 原件\n儿童出生医学证明 | 原件",
            "接种证遗失或损毁的适龄儿童",
            5,
            WJ,
            false,
            "",
        ),
        item(
            "CL01",
            "disability",
            "残疾人证办理",
            "Disability certificate",
            "居民身份证 | 原件\n户口簿 | 原件\n近期免冠彩色照片 | 二寸三张\n残疾评定表 | 指定医院评定",
            "视力、听力、言语、肢体、智力、精神及多重残疾人",
            20,
            CL,
            false,
            "《残疾人残疾分类和分级》（GB/T 26341）",
        ),
        item(
            "CL02",
            "disability",
            "困难残疾人生活补贴申请",
            "Living allowance for disabled people in difficulty",
            "居民身份证 | 原件\n残疾人证\n低保证或低收入家庭证明",
            "低保家庭中的残疾人，或其他困难残疾人",
            15,
            CL,
            true,
            "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》（国发〔2015〕52号）",
        ),
        item(
            "CL03",
            "disability",
            "重度残疾人护理补贴申请",
            "Care allowance for severely disabled people",
            "居民身份证 | 原件\n残疾人证 | 一、二级",
            "残疾等级为一、二级且需要长期照护的重度残疾人",
            15,
            CL,
            true,
            "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》（国发〔2015〕52号）",
        ),
        item(
            "CL04",
            "disability",
            "残疾人辅助器具适配申请",
            "Assistive devices",
            "居民身份证 | 原件\n残疾人证",
            "持证残疾人，按评估结果适配轮椅、助听器、助行器等",
            10,
            CL,
            true,
            "",
        ),
        item(
            "CL05",
            "disability",
            "残疾人机动轮椅车燃油补贴",
            "Fuel subsidy for motorised wheelchairs",
            "居民身份证 | 原件\n残疾人证\n机动车行驶证\n机动车驾驶证",
            "下肢残疾、本人拥有并使用机动轮椅车的残疾人",
            10,
            CL,
            false,
            "",
        ),
        item(
            "LL01",
            "elderly",
            "高龄津贴申请",
            "Allowance for the very old",
            "居民身份证 | 原件\n户口簿 | 原件\n本人银行卡或社会保障卡",
            "年满80周岁的本地户籍老年人",
            10,
            MZ,
            true,
            "",
        ),
        item(
            "LL02",
            "elderly",
            "老年人优待证办理",
            "Senior citizen's privilege card",
            "居民身份证 | 原件\n近期免冠彩色照片 | 一寸",
            "年满60周岁的老年人（含常住外地老人）",
            0,
            None,
            true,
            "《中华人民共和国老年人权益保障法》",
        ),
        item(
            "LL03",
            "elderly",
            "居家养老服务补贴申请",
            "Home care subsidy",
            "居民身份证 | 原件\n户口簿 | 原件\n老年人能力评估报告",
            "经济困难的高龄、失能、独居老年人",
            15,
            MZ,
            true,
            "",
        ),
        item(
            "LL04",
            "elderly",
            "老年助餐服务登记",
            "Meal service for the elderly",
            "居民身份证 | 原件",
            "年满60周岁有助餐需求的老年人，高龄、独居、困难老人优先",
            0,
            None,
            true,
            "",
        ),
        item(
            "LL05",
            "elderly",
            "经济困难失能老年人护理补贴",
            "Care allowance for disabled elderly in difficulty",
            "居民身份证 | 原件\n老年人能力评估报告\n低保证或低收入家庭证明",
            "低保、低收入家庭中经评估为失能的老年人",
            15,
            MZ,
            false,
            "",
        ),
        item(
            "ZM01",
            "certificates",
            "居住情况证明",
            "Certificate of residence",
            "居民身份证 | 原件\n房屋租赁合同或不动产权证书 | 原件",
            "在本社区实际居住的居民（用于子女入学、居住证申领等）",
            0,
            None,
            true,
            "",
        ),
        item(
            "ZM02",
            "certificates",
            "家庭经济困难情况证明（助学）",
            "Certificate of family hardship (for student aid)",
            "居民身份证 | 原件\n户口簿 | 原件\n学生证或录取通知书\n*低保证或低收入家庭证明",
            "家庭经济困难、申请国家助学金或助学贷款的学生家庭",
            3,
            None,
            true,
            "",
        ),
        item(
            "ZM03",
            "certificates",
            "养老金领取资格认证协助",
            "Help with pension eligibility checks",
            "居民身份证 | 原件\n社会保障卡",
            "行动不便、无法自助完成认证的养老金领取人员（可上门）",
            0,
            None,
            false,
            "",
        ),
        item(
            "ZM04",
            "certificates",
            "流动人口居住登记",
            "Residence registration of migrants",
            "居民身份证 | 原件\n房屋租赁合同或住宿证明\n*近期免冠照片",
            "离开常住户口所在地、在本社区居住的人员",
            0,
            None,
            true,
            "《居住证暂行条例》（国务院令第663号）",
        ),
        item(
            "ZM05",
            "certificates",
            "居住证申领（代收代办）",
            "Residence permit (collected for the police)",
            "居民身份证 | 原件\n近期免冠彩色照片\n居住情况证明",
            "在本地居住半年以上，并有合法稳定就业、住所或连续就读之一的人员",
            15,
            Some("gongan"),
            false,
            "《居住证暂行条例》（国务院令第663号）",
        ),
    ]
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceCategory {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub sort: i64,
    pub active: bool,
    /// Active items in it.
    pub items: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MaterialView {
    pub name: String,
    pub required: bool,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceItem {
    pub code: String,
    pub category_code: String,
    pub category_name: String,
    pub name: String,
    pub name_en: String,
    pub materials: Vec<MaterialView>,
    /// 办理条件.
    pub eligibility: String,
    /// 设定依据.
    pub basis: String,
    /// Working days; 0 = 即办件 (done the same day).
    pub time_limit_days: i64,
    /// The back office; null: the station handles it itself.
    pub department_code: Option<String>,
    pub department_name: Option<String>,
    /// Residents may apply online.
    pub online: bool,
    pub active: bool,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaterialInput {
    pub name: String,
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default)]
    pub note: String,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceItemInput {
    pub category_code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub materials: Vec<MaterialInput>,
    /// The materials as lines instead (`*` optional, note after `|`), as the catalogue page sends them.
    pub materials_text: Option<String>,
    #[serde(default)]
    pub eligibility: String,
    #[serde(default)]
    pub basis: String,
    /// Working days, 0–365 (0 = 即办件).
    pub time_limit_days: i64,
    /// A code of `GET /api/v1/departments`; empty or null: the station handles it.
    pub department_code: Option<String>,
    #[serde(default)]
    pub online: bool,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceCategoryInput {
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub sort: Option<i64>,
    #[serde(default = "yes")]
    pub active: bool,
}

/// The catalogue as one snapshot, with department names.
pub struct Catalogue {
    pub categories: Vec<CategoryRow>,
    pub items: Vec<ItemRow>,
    pub departments: HashMap<String, (String, String)>,
    by_code: HashMap<String, usize>,
}

impl Catalogue {
    pub fn item(&self, code: &str) -> Option<&ItemRow> {
        self.by_code.get(code).map(|i| &self.items[*i])
    }

    pub fn category_name(&self, code: &str) -> String {
        self.categories.iter().find(|c| c.code == code).map(|c| c.name.clone()).unwrap_or_default()
    }

    pub fn department_name(&self, code: &str) -> Option<String> {
        self.departments.get(code).map(|d| d.0.clone())
    }

    pub fn item_name(&self, code: &str) -> String {
        self.item(code).map(|i| i.name.clone()).unwrap_or_else(|| code.to_string())
    }
}

/// The materials an item row holds.
pub fn item_materials(row: &ItemRow) -> Vec<MaterialSpec> {
    serde_json::from_str(&row.materials).unwrap_or_default()
}

#[derive(Default)]
pub struct CatalogueCache(RwLock<Option<(Instant, Arc<Catalogue>)>>);

const CATALOGUE_TTL: Duration = Duration::from_secs(5);

fn text(field: &str, s: &str, max: usize) -> Result<String> {
    crate::people::text_field(field, s, max)
}

impl App {
    /// The catalogue, at most a few seconds old.
    pub async fn catalogue(&self) -> Result<Arc<Catalogue>> {
        if let Some((at, c)) = self.service_cache.0.read().unwrap_or_else(|p| p.into_inner()).as_ref()
            && at.elapsed() < CATALOGUE_TTL
        {
            return Ok(c.clone());
        }
        let categories = self.store.service_categories().await?;
        let items = self.store.service_items().await?;
        let departments = self.store.departments().await?.into_iter().map(|(c, n, e)| (c, (n, e))).collect();
        let by_code = items.iter().enumerate().map(|(i, r)| (r.code.clone(), i)).collect();
        let c = Arc::new(Catalogue { categories, items, departments, by_code });
        *self.service_cache.0.write().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), c.clone()));
        Ok(c)
    }

    fn forget_catalogue(&self) {
        *self.service_cache.0.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Seeds the catalogue (and the departments its back offices need) when there is none. Safe at every start.
    pub async fn ensure_service_catalogue(&self) -> Result<()> {
        let known: Vec<String> = self.store.departments().await?.into_iter().map(|d| d.0).collect();
        let mut tx = self.store.begin().await?;
        for (code, name, en) in SERVICE_DEPARTMENTS {
            if !known.iter().any(|k| k == code) {
                Store::upsert_department(&mut tx, code, name, en).await?;
            }
        }
        if self.store.service_categories().await?.is_empty() {
            for (i, (code, name, en)) in SEED_CATEGORIES.iter().enumerate() {
                let row = CategoryRow {
                    code: (*code).into(),
                    name: (*name).into(),
                    name_en: (*en).into(),
                    sort: i as i64,
                    active: true,
                };
                Store::upsert_service_category(&mut tx, &row).await?;
            }
            for (i, s) in seed_items().iter().enumerate() {
                let materials = parse_materials("materials", s.materials).map_err(|e| AppError::internal(e.message))?;
                let row = ItemRow {
                    code: s.code.into(),
                    category_code: s.category.into(),
                    name: s.name.into(),
                    name_en: s.name_en.into(),
                    materials: serde_json::to_string(&materials).map_err(|e| AppError::internal(e.to_string()))?,
                    eligibility: s.eligibility.into(),
                    basis: s.basis.into(),
                    time_limit_days: s.days,
                    department_code: s.department.map(str::to_string),
                    online: s.online,
                    active: true,
                    sort: i as i64,
                };
                Store::upsert_service_item(&mut tx, &row).await?;
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        self.forget_catalogue();
        Ok(())
    }

    pub(crate) fn item_view(&self, c: &Catalogue, r: &ItemRow) -> ServiceItem {
        ServiceItem {
            code: r.code.clone(),
            category_code: r.category_code.clone(),
            category_name: c.category_name(&r.category_code),
            name: r.name.clone(),
            name_en: r.name_en.clone(),
            materials: item_materials(r)
                .into_iter()
                .map(|m| MaterialView { name: m.name, required: m.required, note: m.note })
                .collect(),
            eligibility: r.eligibility.clone(),
            basis: r.basis.clone(),
            time_limit_days: r.time_limit_days,
            department_name: r.department_code.as_deref().and_then(|d| c.department_name(d)),
            department_code: r.department_code.clone(),
            online: r.online,
            active: r.active,
        }
    }

    /// Categories with how many active items each holds (everyone signed in: residents choose from it).
    pub async fn service_categories(&self, _actor: &Actor) -> Result<Vec<ServiceCategory>> {
        let c = self.catalogue().await?;
        Ok(c.categories
            .iter()
            .map(|k| ServiceCategory {
                code: k.code.clone(),
                name: k.name.clone(),
                name_en: k.name_en.clone(),
                sort: k.sort,
                active: k.active,
                items: c.items.iter().filter(|i| i.active && i.category_code == k.code).count() as i64,
            })
            .collect())
    }

    /// Items of the catalogue, in catalogue order; retired ones only for those who edit it.
    pub async fn service_items(
        &self,
        actor: &Actor,
        category: Option<&str>,
        online_only: bool,
    ) -> Result<Vec<ServiceItem>> {
        let c = self.catalogue().await?;
        let editor = actor.may_somewhere(Permission::ManageServiceCatalogue);
        let category = category.map(str::trim).filter(|s| !s.is_empty());
        if let Some(k) = category
            && !c.categories.iter().any(|x| x.code == k)
        {
            return Err(AppError::field("category", format!("未知的事项分类 / unknown category: {k}")));
        }
        let active_cats: Vec<&str> = c.categories.iter().filter(|k| k.active).map(|k| k.code.as_str()).collect();
        Ok(c.items
            .iter()
            .filter(|i| editor || (i.active && active_cats.contains(&i.category_code.as_str())))
            .filter(|i| category.is_none_or(|k| i.category_code == k))
            .filter(|i| !online_only || i.online)
            .map(|i| self.item_view(&c, i))
            .collect())
    }

    pub async fn service_item(&self, _actor: &Actor, code: &str) -> Result<ServiceItem> {
        let c = self.catalogue().await?;
        let row = c.item(code.trim()).ok_or_else(|| AppError::not_found(&format!("service item {code}")))?;
        Ok(self.item_view(&c, row))
    }

    /// Adds or changes an item of the catalogue (administrators, district staff). Items are retired, never deleted:
    /// applications keep naming them.
    pub async fn put_service_item(&self, actor: &Actor, code: &str, input: ServiceItemInput) -> Result<ServiceItem> {
        self.authorize_anywhere(actor, Permission::ManageServiceCatalogue)?;
        let code = code.trim();
        if !wangge_domain::admission::is_item_code(code) {
            return Err(AppError::field(
                "code",
                "事项编码应为2到40位字母、数字、- 或 _ / 2–40 letters, digits, - or _",
            ));
        }
        let c = self.catalogue().await?;
        let category = input.category_code.trim();
        if !c.categories.iter().any(|k| k.code == category) {
            return Err(AppError::field("category_code", format!("未知的事项分类 / unknown category: {category}")));
        }
        let name = text("name", &input.name, 60)?;
        if name.is_empty() {
            return Err(AppError::field("name", "请填写事项名称 / a name is required"));
        }
        if c.items.iter().any(|i| i.name == name && i.code != code) {
            return Err(AppError::field("name", "已有同名事项 / an item with this name exists"));
        }
        let name_en = text("name_en", &input.name_en, 120)?;
        let materials: Vec<MaterialSpec> = match &input.materials_text {
            Some(t) => parse_materials("materials_text", t)?,
            None => {
                let lines: Vec<String> = input
                    .materials
                    .iter()
                    .map(|m| {
                        let n = if m.required { m.name.trim().to_string() } else { format!("*{}", m.name.trim()) };
                        if m.note.trim().is_empty() { n } else { format!("{n} | {}", m.note.trim()) }
                    })
                    .collect();
                let parsed = parse_materials("materials", &lines.join("\n"))?;
                if parsed.len() != input.materials.len() {
                    return Err(AppError::field("materials", "材料名称不能为空 / a material needs a name"));
                }
                parsed
            }
        };
        let eligibility = text("eligibility", &input.eligibility, 500)?;
        let basis = text("basis", &input.basis, 200)?;
        if !(0..=365).contains(&input.time_limit_days) {
            return Err(AppError::field("time_limit_days", "办理时限应为0到365个工作日 / 0 to 365 working days"));
        }
        let department = input.department_code.as_deref().map(str::trim).filter(|d| !d.is_empty());
        if let Some(d) = department
            && !c.departments.contains_key(d)
        {
            return Err(AppError::field("department_code", format!("未知的部门 / unknown department: {d}")));
        }
        let sort = c.items.iter().find(|i| i.code == code).map(|i| i.sort).unwrap_or(c.items.len() as i64);
        let row = ItemRow {
            code: code.into(),
            category_code: category.into(),
            name,
            name_en,
            materials: serde_json::to_string(&materials).map_err(|e| AppError::internal(e.to_string()))?,
            eligibility,
            basis,
            time_limit_days: input.time_limit_days,
            department_code: department.map(str::to_string),
            online: input.online,
            active: input.active,
            sort,
        };
        let mut tx = self.store.begin().await?;
        Store::upsert_service_item(&mut tx, &row).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "put",
                object: &format!("service_item:{code}"),
                reason: None,
                region_code: None,
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.forget_catalogue();
        let c = self.catalogue().await?;
        Ok(self.item_view(&c, c.item(code).unwrap_or(&row)))
    }

    /// Adds or renames a category (administrators, district staff); `active: false` retires it with its items.
    pub async fn put_service_category(
        &self,
        actor: &Actor,
        code: &str,
        input: ServiceCategoryInput,
    ) -> Result<ServiceCategory> {
        self.authorize_anywhere(actor, Permission::ManageServiceCatalogue)?;
        let code = code.trim();
        if code.is_empty()
            || code.len() > 40
            || !code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
        {
            return Err(AppError::field("code", "应为小写字母、数字或下划线 / lowercase letters, digits or _"));
        }
        let name = text("name", &input.name, 30)?;
        if name.is_empty() {
            return Err(AppError::field("name", "请填写分类名称 / a name is required"));
        }
        let name_en = text("name_en", &input.name_en, 80)?;
        let c = self.catalogue().await?;
        if c.categories.iter().any(|k| k.name == name && k.code != code) {
            return Err(AppError::field("name", "已有同名分类 / a category with this name exists"));
        }
        let sort = input
            .sort
            .or_else(|| c.categories.iter().find(|k| k.code == code).map(|k| k.sort))
            .unwrap_or(c.categories.len() as i64);
        let row = CategoryRow { code: code.into(), name, name_en, sort, active: input.active };
        let mut tx = self.store.begin().await?;
        Store::upsert_service_category(&mut tx, &row).await?;
        Store::audit(
            &mut tx,
            NewAudit {
                actor: &actor.username,
                action: "put",
                object: &format!("service_category:{code}"),
                reason: None,
                region_code: None,
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.forget_catalogue();
        let items = c.items.iter().filter(|i| i.active && i.category_code == code).count() as i64;
        Ok(ServiceCategory { code: row.code, name: row.name, name_en: row.name_en, sort, active: row.active, items })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeded_catalogue_is_seven_categories_with_valid_materials() {
        let items = seed_items();
        assert_eq!(SEED_CATEGORIES.len(), 7);
        for k in SEED_CATEGORIES {
            assert!(items.iter().any(|i| i.category == k.0), "{} has items", k.1);
        }
        let mut codes: Vec<&str> = items.iter().map(|i| i.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), items.len(), "codes are unique");
        for i in &items {
            let m = parse_materials("materials", i.materials).unwrap_or_else(|e| panic!("{}: {e}", i.code));
            assert!(m.iter().any(|m| m.required), "{} asks for something", i.code);
            assert!(SEED_CATEGORIES.iter().any(|k| k.0 == i.category), "{}", i.code);
            assert!(wangge_domain::admission::is_item_code(i.code));
        }
        assert!(items.iter().filter(|i| i.online).count() >= 20, "most can be applied for online");
        assert!(items.iter().any(|i| i.department.is_none()), "some the station does itself");
    }
}

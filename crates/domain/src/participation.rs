//! Participation and transparency (居务公开与民意, issue #9): the closed lists of notices, the co-building fund
//! ledger and polls; what a notice or poll action does from which state; who may decide a ledger entry and when it
//! may be reversed; how questions and ballots parse; and how the resident happiness index (居民幸福系数) is scored.
//! Pure: the app loads the record, asks these rules, and writes the outcome with its audit record.

use crate::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::dispute::parse_amount;

vocabulary! {
    /// What a notice makes public (四务公开: 党务、居务、财务、服务).
    NoticeCategory {
        Party = ("party", "党务公开", "Party affairs"),
        Residents = ("residents", "居务公开", "Community affairs"),
        Finance = ("finance", "财务公开", "Finances"),
        Service = ("service", "服务公开", "Services"),
    }
}

vocabulary! {
    /// Where a notice stands.
    NoticeStatus {
        Draft = ("draft", "草稿", "Draft"),
        Published = ("published", "已发布", "Published"),
        Unpublished = ("unpublished", "已撤回", "Withdrawn"),
    }
}

vocabulary! {
    /// What staff do to a notice besides editing it.
    NoticeAction {
        Publish = ("publish", "发布", "Publish"),
        Unpublish = ("unpublish", "撤回", "Withdraw"),
        Pin = ("pin", "置顶", "Pin"),
        Unpin = ("unpin", "取消置顶", "Unpin"),
    }
}

vocabulary! {
    /// Money in or out of the co-building fund.
    LedgerDirection {
        Income = ("income", "收入", "Income"),
        Expense = ("expense", "支出", "Expenditure"),
    }
}

vocabulary! {
    /// Where income comes from (共建单位出资、政府拨款、社会捐赠).
    IncomeSource {
        CoBuildingUnit = ("co_building_unit", "共建单位出资", "Co-building unit"),
        Government = ("government", "政府拨款", "Government"),
        Donation = ("donation", "社会捐赠", "Donation"),
        OtherIncome = ("other_income", "其他收入", "Other income"),
    }
}

vocabulary! {
    /// What money is spent on (共建经费支出重点).
    ExpenseCategory {
        Activities = ("activities", "社区活动", "Community activities"),
        Facilities = ("facilities", "设施维护", "Facilities"),
        Assistance = ("assistance", "困难帮扶", "Assistance"),
        Environment = ("environment", "环境整治", "Environment"),
        Volunteers = ("volunteers", "志愿服务", "Volunteer service"),
        Office = ("office", "办公经费", "Office"),
        OtherExpense = ("other_expense", "其他支出", "Other expenditure"),
    }
}

vocabulary! {
    /// Where a ledger entry stands: entered, then approved or rejected by someone else.
    LedgerStatus {
        Entered = ("entered", "待审核", "Awaiting approval"),
        Approved = ("approved", "已审核", "Approved"),
        Rejected = ("rejected", "已驳回", "Rejected"),
    }
}

vocabulary! {
    /// What an approver decides.
    LedgerDecision {
        Approve = ("approve", "审核通过", "Approve"),
        Reject = ("reject", "驳回", "Reject"),
    }
}

vocabulary! {
    /// A survey of chosen questions, or a round of the happiness index.
    PollKind {
        Survey = ("survey", "民意调查", "Survey"),
        Happiness = ("happiness", "幸福指数调查", "Happiness survey"),
    }
}

vocabulary! {
    /// Where a poll stands.
    PollStatus {
        Draft = ("draft", "未开始", "Draft"),
        Open = ("open", "进行中", "Open"),
        Closed = ("closed", "已结束", "Closed"),
    }
}

vocabulary! {
    /// Opening and closing a poll.
    PollAction {
        Open = ("open", "开始投票", "Open"),
        Close = ("close", "结束投票", "Close"),
    }
}

vocabulary! {
    /// The kind of one question.
    QuestionKind {
        Single = ("single", "单选", "Single choice"),
        Multiple = ("multiple", "多选", "Multiple choice"),
        Scale = ("scale", "打分", "Scale"),
        Text = ("text", "填空", "Free text"),
    }
}

vocabulary! {
    /// How a ballot came in: online by the resident, or on paper collected door to door (入户收集).
    BallotChannel {
        Online = ("online", "网上", "Online"),
        Paper = ("paper", "纸质", "Paper"),
    }
}

vocabulary! {
    /// The seven dimensions of the 居民幸福系数 (seed documents: 安全、救助、就业、健康、人居、教育、文化).
    HappinessDimension {
        Safety = ("safety", "安全", "Safety"),
        Assistance = ("assistance", "救助", "Assistance"),
        Employment = ("employment", "就业", "Employment"),
        Health = ("health", "健康", "Health"),
        Housing = ("housing", "人居", "Housing"),
        Education = ("education", "教育", "Education"),
        Culture = ("culture", "文化", "Culture"),
    }
}

/// Why an action cannot be taken now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not in this state (409), with the state's Chinese name.
    State(&'static str),
    /// A rule (422), with the field it concerns.
    Rule(&'static str, &'static str),
}

// ───────────────────────────── notices ─────────────────────────────

/// The status and pin a notice action leads to.
pub fn notice_plan(action: NoticeAction, status: NoticeStatus, pinned: bool) -> Result<(NoticeStatus, bool), Refusal> {
    use NoticeAction as A;
    use NoticeStatus as S;
    match (action, status) {
        (A::Publish, S::Draft | S::Unpublished) => Ok((S::Published, pinned)),
        (A::Unpublish, S::Published) => Ok((S::Unpublished, pinned)),
        (A::Pin, _) if !pinned => Ok((status, true)),
        (A::Unpin, _) if pinned => Ok((status, false)),
        (A::Pin | A::Unpin, s) => Err(Refusal::State(if pinned { "已置顶" } else { s.label_zh() })),
        (_, s) => Err(Refusal::State(s.label_zh())),
    }
}

/// Whether a published notice still shows on `today` (`YYYY-MM-DD`): its expiry day is the last one shown.
pub fn notice_current(expires_on: Option<&str>, today: &str) -> bool {
    expires_on.is_none_or(|e| today <= e)
}

// ───────────────────────────── ledger ─────────────────────────────

/// The category code of an entry, checked against its direction (an income from 社区活动 is no category).
pub fn ledger_category(field: &str, direction: LedgerDirection, s: &str) -> Result<&'static str, FieldError> {
    match direction {
        LedgerDirection::Income => IncomeSource::parse(field, s).map(|c| c.as_str()),
        LedgerDirection::Expense => ExpenseCategory::parse(field, s).map(|c| c.as_str()),
    }
}

/// The category's name in Chinese and English, whichever list it is from.
pub fn ledger_category_label(code: &str) -> (&'static str, &'static str) {
    if let Ok(c) = IncomeSource::parse("category", code) {
        return (c.label_zh(), c.label_en());
    }
    match ExpenseCategory::parse("category", code) {
        Ok(c) => (c.label_zh(), c.label_en()),
        Err(_) => ("", ""),
    }
}

/// Who may decide an entry: anyone but whoever entered it (四眼原则), and only once.
pub fn ledger_decision_allowed(status: LedgerStatus, entered_by: &str, decider: &str) -> Result<(), Refusal> {
    if status != LedgerStatus::Entered {
        return Err(Refusal::State(status.label_zh()));
    }
    if entered_by == decider {
        return Err(Refusal::Rule(
            "decision",
            "录入人不能审核自己录入的账目 / the person who entered it cannot approve it",
        ));
    }
    Ok(())
}

/// Whether an entry may be reversed (红字冲销): an approved original, not itself a reversal, not already reversed
/// by a reversal that is approved or awaiting approval.
pub fn reversal_allowed(status: LedgerStatus, is_reversal: bool, reversed: bool) -> Result<(), Refusal> {
    if is_reversal {
        return Err(Refusal::Rule("entry", "冲销记录不能再冲销 / a reversal cannot be reversed"));
    }
    if reversed {
        return Err(Refusal::State("已冲销"));
    }
    if status != LedgerStatus::Approved {
        return Err(Refusal::State(status.label_zh()));
    }
    Ok(())
}

/// Sums of approved entries: income, expenditure and what is left, in fen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LedgerTotals {
    pub income_fen: i64,
    pub expense_fen: i64,
}

impl LedgerTotals {
    pub fn add(&mut self, direction: LedgerDirection, amount_fen: i64) {
        match direction {
            LedgerDirection::Income => self.income_fen += amount_fen,
            LedgerDirection::Expense => self.expense_fen += amount_fen,
        }
    }

    pub fn balance_fen(&self) -> i64 {
        self.income_fen - self.expense_fen
    }
}

// ───────────────────────────── polls ─────────────────────────────

/// What a poll action leads to.
pub fn poll_plan(action: PollAction, status: PollStatus) -> Result<PollStatus, Refusal> {
    match (action, status) {
        (PollAction::Open, PollStatus::Draft) => Ok(PollStatus::Open),
        (PollAction::Close, PollStatus::Open) => Ok(PollStatus::Closed),
        (_, s) => Err(Refusal::State(s.label_zh())),
    }
}

/// An open poll past its closing time counts as closed.
pub fn effective_status(status: PollStatus, closes_at: Option<i64>, now: i64) -> PollStatus {
    match (status, closes_at) {
        (PollStatus::Open, Some(c)) if c <= now => PollStatus::Closed,
        (s, _) => s,
    }
}

/// The most questions and options a poll may have.
pub const MAX_QUESTIONS: usize = 30;
pub const MAX_OPTIONS: usize = 20;
/// Longest free-text answer (characters).
pub const MAX_TEXT_ANSWER: usize = 500;

/// One question of a poll, as stored (JSON) and as given by staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// `single` | `multiple` | `scale` | `text`.
    pub kind: String,
    pub text: String,
    /// Choices of a single or multiple question (2–20).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Scale bounds (default 1–5), and what the ends mean (e.g. 很不满意 … 很满意).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_min: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_max: Option<i64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub min_label: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub max_label: String,
    /// Most choices of a multiple question (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_choices: Option<usize>,
    /// An answer is required (default true; free text default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
}

impl Question {
    pub fn kind(&self) -> QuestionKind {
        QuestionKind::parse("kind", &self.kind).unwrap_or(QuestionKind::Text)
    }

    pub fn is_required(&self) -> bool {
        self.required.unwrap_or(self.kind() != QuestionKind::Text)
    }

    /// The scale's bounds (1–5 unless given).
    pub fn bounds(&self) -> (i64, i64) {
        (self.scale_min.unwrap_or(1), self.scale_max.unwrap_or(5))
    }

    /// A scale question on one happiness dimension.
    fn dimension(d: HappinessDimension) -> Question {
        Question {
            kind: QuestionKind::Scale.as_str().into(),
            text: happiness_question(d).into(),
            options: Vec::new(),
            scale_min: Some(1),
            scale_max: Some(5),
            min_label: "很不满意".into(),
            max_label: "很满意".into(),
            max_choices: None,
            required: Some(true),
        }
    }
}

fn clean_text(field: &str, s: &str, max: usize) -> Result<String, FieldError> {
    let t = s.trim();
    if t.chars().any(char::is_control) {
        return Err(FieldError::new(field, "含有控制字符 / holds control characters"));
    }
    if t.chars().count() > max {
        return Err(FieldError::new(field, format!("不能超过{max}字 / longer than {max} characters")));
    }
    Ok(t.to_string())
}

/// Checks the questions staff wrote: kinds, texts, options, scale bounds. Errors name `questions[i].field`.
pub fn parse_questions(input: &[Question]) -> Result<Vec<Question>, FieldError> {
    if input.is_empty() || input.len() > MAX_QUESTIONS {
        return Err(FieldError::new(
            "questions",
            format!("应有1到{MAX_QUESTIONS}个问题 / 1 to {MAX_QUESTIONS} questions"),
        ));
    }
    let mut out = Vec::with_capacity(input.len());
    for (i, q) in input.iter().enumerate() {
        let f = |name: &str| format!("questions[{i}].{name}");
        let kind = QuestionKind::parse(&f("kind"), &q.kind)?;
        let text = clean_text(&f("text"), &q.text, 200)?;
        if text.is_empty() {
            return Err(FieldError::new(f("text"), "请填写问题 / write the question"));
        }
        let mut options = Vec::new();
        let (mut scale_min, mut scale_max, mut max_choices) = (None, None, None);
        let (mut min_label, mut max_label) = (String::new(), String::new());
        match kind {
            QuestionKind::Single | QuestionKind::Multiple => {
                for (j, o) in q.options.iter().enumerate() {
                    let o = clean_text(&format!("questions[{i}].options[{j}]"), o, 100)?;
                    if o.is_empty() {
                        continue;
                    }
                    if options.contains(&o) {
                        return Err(FieldError::new(f("options"), format!("选项重复 / a repeated option: {o}")));
                    }
                    options.push(o);
                }
                if options.len() < 2 || options.len() > MAX_OPTIONS {
                    return Err(FieldError::new(
                        f("options"),
                        format!("应有2到{MAX_OPTIONS}个选项 / 2 to {MAX_OPTIONS} options"),
                    ));
                }
                if kind == QuestionKind::Multiple {
                    max_choices = match q.max_choices {
                        Some(m) if m == 0 || m > options.len() => {
                            return Err(FieldError::new(
                                f("max_choices"),
                                "最多可选数应在1和选项数之间 / between 1 and the number of options",
                            ));
                        }
                        m => m,
                    };
                }
            }
            QuestionKind::Scale => {
                let lo = q.scale_min.unwrap_or(1);
                let hi = q.scale_max.unwrap_or(5);
                if !(0..=1).contains(&lo) || !(3..=10).contains(&hi) {
                    return Err(FieldError::new(
                        f("scale_max"),
                        "打分范围应从0或1起，到3至10分 / a scale from 0 or 1 up to 3–10",
                    ));
                }
                (scale_min, scale_max) = (Some(lo), Some(hi));
                min_label = clean_text(&f("min_label"), &q.min_label, 20)?;
                max_label = clean_text(&f("max_label"), &q.max_label, 20)?;
            }
            QuestionKind::Text => {}
        }
        if kind != QuestionKind::Single
            && kind != QuestionKind::Multiple
            && !q.options.iter().all(|o| o.trim().is_empty())
        {
            return Err(FieldError::new(f("options"), "只有选择题有选项 / only choice questions have options"));
        }
        out.push(Question {
            kind: kind.as_str().into(),
            text,
            options,
            scale_min,
            scale_max,
            min_label,
            max_label,
            max_choices,
            required: Some(q.required.unwrap_or(kind != QuestionKind::Text)),
        });
    }
    Ok(out)
}

/// One answer of a ballot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The chosen option (single) or scale value (scale).
    One(i64),
    /// The chosen options (multiple), ascending, no repeats.
    Many(Vec<i64>),
    Text(String),
}

/// Reads a ballot: `answers[i]` answers question `i` (a number for single choice and scale, a list of numbers for
/// multiple choice, a string for free text, null when skipped). Errors name `answers[i]`.
pub fn parse_ballot(questions: &[Question], answers: &[Value]) -> Result<Vec<Option<Answer>>, FieldError> {
    if answers.len() > questions.len() {
        return Err(FieldError::new("answers", "答案多于问题 / more answers than questions"));
    }
    let mut out = Vec::with_capacity(questions.len());
    for (i, q) in questions.iter().enumerate() {
        let f = format!("answers[{i}]");
        let v = answers.get(i).unwrap_or(&Value::Null);
        let empty = match v {
            Value::Null => true,
            Value::String(s) => s.trim().is_empty(),
            Value::Array(a) => a.is_empty(),
            _ => false,
        };
        if empty {
            if q.is_required() {
                return Err(FieldError::new(f, "请回答这个问题 / this question needs an answer"));
            }
            out.push(None);
            continue;
        }
        let int = |v: &Value| -> Option<i64> { v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())) };
        let answer = match q.kind() {
            QuestionKind::Single => {
                let n = int(v).filter(|n| (0..q.options.len() as i64).contains(n));
                Answer::One(n.ok_or_else(|| FieldError::new(&f, "请选择一个选项 / choose one of the options"))?)
            }
            QuestionKind::Scale => {
                let (lo, hi) = q.bounds();
                let n = int(v).filter(|n| (lo..=hi).contains(n));
                Answer::One(
                    n.ok_or_else(|| FieldError::new(&f, format!("请打{lo}到{hi}分 / a score from {lo} to {hi}")))?,
                )
            }
            QuestionKind::Multiple => {
                let list = v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]);
                let mut picked = Vec::with_capacity(list.len());
                for x in &list {
                    let n = int(x)
                        .filter(|n| (0..q.options.len() as i64).contains(n))
                        .ok_or_else(|| FieldError::new(&f, "选项不存在 / no such option"))?;
                    if !picked.contains(&n) {
                        picked.push(n);
                    }
                }
                if q.max_choices.is_some_and(|m| picked.len() > m) {
                    return Err(FieldError::new(
                        &f,
                        format!(
                            "最多选{}项 / at most {} choices",
                            q.max_choices.unwrap_or(0),
                            q.max_choices.unwrap_or(0)
                        ),
                    ));
                }
                picked.sort_unstable();
                Answer::Many(picked)
            }
            QuestionKind::Text => {
                let s = v.as_str().ok_or_else(|| FieldError::new(&f, "应为文字 / must be text"))?;
                let s = s.replace("\r\n", "\n");
                if s.chars().any(|c| c.is_control() && c != '\n') {
                    return Err(FieldError::new(&f, "含有控制字符 / holds control characters"));
                }
                if s.chars().count() > MAX_TEXT_ANSWER {
                    return Err(FieldError::new(
                        &f,
                        format!("不能超过{MAX_TEXT_ANSWER}字 / longer than {MAX_TEXT_ANSWER} characters"),
                    ));
                }
                Answer::Text(s.trim().to_string())
            }
        };
        out.push(Some(answer));
    }
    Ok(out)
}

/// The tally cell of a ballot (`question = -1, option = -1`) and of each question answered (`option = -1`).
pub const BALLOT_CELL: i64 = -1;

/// The (question, option) cells a ballot adds one to: the ballot itself, each question answered, and each choice or
/// scale value. Free texts count as answered; their words are kept apart, unlinked.
pub fn tally_cells(answers: &[Option<Answer>]) -> Vec<(i64, i64)> {
    let mut cells = vec![(BALLOT_CELL, BALLOT_CELL)];
    for (i, a) in answers.iter().enumerate() {
        let q = i as i64;
        match a {
            None => {}
            Some(Answer::One(n)) => cells.extend([(q, BALLOT_CELL), (q, *n)]),
            Some(Answer::Many(ns)) => {
                cells.push((q, BALLOT_CELL));
                cells.extend(ns.iter().map(|n| (q, *n)));
            }
            Some(Answer::Text(_)) => cells.push((q, BALLOT_CELL)),
        }
    }
    cells
}

/// Counts of one question: how many answered it, and per option (or per scale value, lowest first).
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionCounts {
    pub answered: i64,
    /// (label, count): option texts, or scale values as text.
    pub counts: Vec<(String, i64)>,
    /// Scale questions: the mean score.
    pub mean: Option<f64>,
}

/// Builds one question's counts from tally cells `(option, count)` of that question.
pub fn question_counts(q: &Question, cells: &[(i64, i64)]) -> QuestionCounts {
    let get = |o: i64| cells.iter().filter(|(opt, _)| *opt == o).map(|(_, n)| n).sum::<i64>();
    let answered = get(BALLOT_CELL);
    match q.kind() {
        QuestionKind::Single | QuestionKind::Multiple => QuestionCounts {
            answered,
            counts: q.options.iter().enumerate().map(|(j, o)| (o.clone(), get(j as i64))).collect(),
            mean: None,
        },
        QuestionKind::Scale => {
            let (lo, hi) = q.bounds();
            let counts: Vec<(String, i64)> = (lo..=hi).map(|v| (v.to_string(), get(v))).collect();
            let n: i64 = (lo..=hi).map(get).sum();
            let sum: i64 = (lo..=hi).map(|v| v * get(v)).sum();
            QuestionCounts { answered, counts, mean: (n > 0).then(|| sum as f64 / n as f64) }
        }
        QuestionKind::Text => QuestionCounts { answered, counts: Vec::new(), mean: None },
    }
}

// ───────────────────────────── happiness ─────────────────────────────

/// The question asked for a dimension in every round.
pub fn happiness_question(d: HappinessDimension) -> &'static str {
    match d {
        HappinessDimension::Safety => "您对社区治安和生活安全（治安、消防、交通）的满意程度",
        HappinessDimension::Assistance => "您对社区困难帮扶和社会救助（低保、助老、助残）的满意程度",
        HappinessDimension::Employment => "您对社区就业服务（岗位信息、技能培训、创业扶持）的满意程度",
        HappinessDimension::Health => "您对社区卫生健康服务（家庭医生、体检、健身设施）的满意程度",
        HappinessDimension::Housing => "您对居住环境（物业、卫生、绿化、停车）的满意程度",
        HappinessDimension::Education => "您对教育服务（托幼、课后服务、社区学校）的满意程度",
        HappinessDimension::Culture => "您对社区文化生活（文体活动、阅览、邻里活动）的满意程度",
    }
}

/// What a weak dimension suggests for the community's plan (服务需求的响应).
pub fn happiness_advice(d: HappinessDimension) -> &'static str {
    match d {
        HappinessDimension::Safety => "加强夜间巡防、消防通道和电动车充电整治，列入平安建设计划",
        HappinessDimension::Assistance => "排查困难家庭和独居老人，完善助餐、助医和临时救助",
        HappinessDimension::Employment => "联合人社部门开展招聘会和技能培训，发布就业岗位信息",
        HappinessDimension::Health => "推进家庭医生签约和慢病随访，开放健身场地",
        HappinessDimension::Housing => "督促物业整改，开展环境整治和停车治理",
        HappinessDimension::Education => "协调托育和“四点半课堂”等课后服务，办好社区学校",
        HappinessDimension::Culture => "组织文体活动和邻里节，用好阅览室和活动室",
    }
}

/// The questions of a happiness round: one 1–5 scale per dimension, then an optional free text.
pub fn happiness_questions() -> Vec<Question> {
    let mut qs: Vec<Question> = HappinessDimension::ALL.iter().map(|d| Question::dimension(*d)).collect();
    qs.push(Question {
        kind: QuestionKind::Text.as_str().into(),
        text: "您最希望社区改进的一件事".into(),
        options: Vec::new(),
        scale_min: None,
        scale_max: None,
        min_label: String::new(),
        max_label: String::new(),
        max_choices: None,
        required: Some(false),
    });
    qs
}

/// A dimension's score 0–100 from a 1–5 mean: (mean − 1) / 4 × 100, one decimal.
pub fn dimension_score(mean: f64, lo: i64, hi: i64) -> f64 {
    let span = (hi - lo).max(1) as f64;
    (((mean - lo as f64) / span * 100.0).clamp(0.0, 100.0) * 10.0).round() / 10.0
}

/// The index of a round: the mean of the dimension scores that have answers (equal weights), and the weakest
/// dimension (lowest score; the first in the seed documents' order on a tie).
pub fn happiness_index(scores: &[(HappinessDimension, Option<f64>)]) -> (Option<f64>, Option<HappinessDimension>) {
    let known: Vec<(HappinessDimension, f64)> = scores.iter().filter_map(|(d, s)| s.map(|s| (*d, s))).collect();
    if known.is_empty() {
        return (None, None);
    }
    let index = known.iter().map(|(_, s)| s).sum::<f64>() / known.len() as f64;
    let weakest = known.iter().fold(None::<(HappinessDimension, f64)>, |acc, (d, s)| match acc {
        Some((_, best)) if best <= *s => acc,
        _ => Some((*d, *s)),
    });
    (Some((index * 10.0).round() / 10.0), weakest.map(|w| w.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(kind: &str, options: &[&str]) -> Question {
        Question {
            kind: kind.into(),
            text: "问题".into(),
            options: options.iter().map(|s| s.to_string()).collect(),
            scale_min: None,
            scale_max: None,
            min_label: String::new(),
            max_label: String::new(),
            max_choices: None,
            required: None,
        }
    }

    #[test]
    fn notices_publish_withdraw_and_pin() {
        use NoticeAction as A;
        use NoticeStatus as S;
        assert_eq!(notice_plan(A::Publish, S::Draft, false), Ok((S::Published, false)));
        assert_eq!(notice_plan(A::Unpublish, S::Published, true), Ok((S::Unpublished, true)));
        assert_eq!(notice_plan(A::Publish, S::Unpublished, false), Ok((S::Published, false)));
        assert_eq!(notice_plan(A::Publish, S::Published, false), Err(Refusal::State("已发布")));
        assert_eq!(notice_plan(A::Unpublish, S::Draft, false), Err(Refusal::State("草稿")));
        assert_eq!(notice_plan(A::Pin, S::Draft, false), Ok((S::Draft, true)));
        assert!(notice_plan(A::Pin, S::Published, true).is_err());
        assert_eq!(notice_plan(A::Unpin, S::Published, true), Ok((S::Published, false)));
        assert!(notice_current(None, "2026-01-01"));
        assert!(notice_current(Some("2026-01-01"), "2026-01-01"));
        assert!(!notice_current(Some("2025-12-31"), "2026-01-01"));
        assert_eq!(NoticeCategory::parse("category", "财务公开").unwrap(), NoticeCategory::Finance);
    }

    #[test]
    fn ledger_entries_are_decided_by_someone_else_once_and_reversed_once() {
        assert!(ledger_decision_allowed(LedgerStatus::Entered, "a", "b").is_ok());
        assert!(matches!(ledger_decision_allowed(LedgerStatus::Entered, "a", "a"), Err(Refusal::Rule("decision", _))));
        assert_eq!(ledger_decision_allowed(LedgerStatus::Approved, "a", "b"), Err(Refusal::State("已审核")));
        assert!(reversal_allowed(LedgerStatus::Approved, false, false).is_ok());
        assert!(reversal_allowed(LedgerStatus::Approved, false, true).is_err());
        assert!(reversal_allowed(LedgerStatus::Entered, false, false).is_err());
        assert!(matches!(reversal_allowed(LedgerStatus::Approved, true, false), Err(Refusal::Rule(..))));
        assert_eq!(ledger_category("category", LedgerDirection::Income, "政府拨款").unwrap(), "government");
        assert_eq!(ledger_category("category", LedgerDirection::Expense, "activities").unwrap(), "activities");
        assert_eq!(ledger_category("category", LedgerDirection::Income, "activities").unwrap_err().field, "category");
        assert_eq!(ledger_category_label("donation").0, "社会捐赠");
        let mut t = LedgerTotals::default();
        t.add(LedgerDirection::Income, 10_000);
        t.add(LedgerDirection::Expense, 3_000);
        t.add(LedgerDirection::Expense, -1_000);
        assert_eq!((t.income_fen, t.expense_fen, t.balance_fen()), (10_000, 2_000, 8_000));
    }

    #[test]
    fn polls_open_once_and_close_by_hand_or_by_time() {
        assert_eq!(poll_plan(PollAction::Open, PollStatus::Draft), Ok(PollStatus::Open));
        assert_eq!(poll_plan(PollAction::Close, PollStatus::Open), Ok(PollStatus::Closed));
        assert!(poll_plan(PollAction::Open, PollStatus::Closed).is_err());
        assert!(poll_plan(PollAction::Close, PollStatus::Draft).is_err());
        assert_eq!(effective_status(PollStatus::Open, Some(10), 10), PollStatus::Closed);
        assert_eq!(effective_status(PollStatus::Open, Some(11), 10), PollStatus::Open);
        assert_eq!(effective_status(PollStatus::Draft, Some(1), 10), PollStatus::Draft);
    }

    #[test]
    fn questions_are_checked_field_by_field() {
        let ok = parse_questions(&[q("single", &["同意", " 不同意 ", ""]), q("text", &[])]).unwrap();
        assert_eq!(ok[0].options, vec!["同意", "不同意"]);
        assert_eq!(ok[0].required, Some(true));
        assert_eq!(ok[1].required, Some(false));
        assert_eq!(parse_questions(&[]).unwrap_err().field, "questions");
        assert_eq!(parse_questions(&[q("poll", &[])]).unwrap_err().field, "questions[0].kind");
        assert_eq!(parse_questions(&[q("single", &["一"])]).unwrap_err().field, "questions[0].options");
        assert_eq!(parse_questions(&[q("single", &["一", "一"])]).unwrap_err().field, "questions[0].options");
        assert_eq!(parse_questions(&[q("scale", &["x"])]).unwrap_err().field, "questions[0].options");
        let mut blank = q("text", &[]);
        blank.text = " ".into();
        assert_eq!(parse_questions(&[blank]).unwrap_err().field, "questions[0].text");
        let mut wide = q("scale", &[]);
        wide.scale_max = Some(100);
        assert_eq!(parse_questions(&[wide]).unwrap_err().field, "questions[0].scale_max");
        let mut many = q("multiple", &["a", "b"]);
        many.max_choices = Some(3);
        assert_eq!(parse_questions(&[many]).unwrap_err().field, "questions[0].max_choices");
    }

    #[test]
    fn ballots_parse_per_question_and_tally_into_cells() {
        let mut multi = q("multiple", &["路灯", "停车", "绿化"]);
        multi.max_choices = Some(2);
        let qs = parse_questions(&[q("single", &["同意", "不同意"]), multi, q("scale", &[]), q("text", &[])]).unwrap();
        let b = parse_ballot(&qs, &[json!(1), json!([2, 0, 2]), json!("4"), json!(" 多装路灯 ")]).unwrap();
        assert_eq!(
            b,
            vec![
                Some(Answer::One(1)),
                Some(Answer::Many(vec![0, 2])),
                Some(Answer::One(4)),
                Some(Answer::Text("多装路灯".into()))
            ]
        );
        let cells = tally_cells(&b);
        assert_eq!(cells, vec![(-1, -1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 2), (2, -1), (2, 4), (3, -1)]);
        // The free text may be skipped; the others may not.
        assert_eq!(parse_ballot(&qs, &[json!(0), json!([0]), json!(5)]).unwrap()[3], None);
        assert_eq!(parse_ballot(&qs, &[json!(null)]).unwrap_err().field, "answers[0]");
        assert_eq!(parse_ballot(&qs, &[json!(2)]).unwrap_err().field, "answers[0]");
        assert_eq!(parse_ballot(&qs, &[json!(0), json!([0, 1, 2])]).unwrap_err().field, "answers[1]");
        assert_eq!(parse_ballot(&qs, &[json!(0), json!([7])]).unwrap_err().field, "answers[1]");
        assert_eq!(parse_ballot(&qs, &[json!(0), json!([0]), json!(6)]).unwrap_err().field, "answers[2]");
        assert_eq!(parse_ballot(&qs, &[json!(0), json!([0]), json!(3), json!(7)]).unwrap_err().field, "answers[3]");
        let long = "字".repeat(MAX_TEXT_ANSWER + 1);
        assert_eq!(parse_ballot(&qs, &[json!(0), json!([0]), json!(3), json!(long)]).unwrap_err().field, "answers[3]");
        assert_eq!(parse_ballot(&qs, &vec![json!(0); 5]).unwrap_err().field, "answers");
    }

    #[test]
    fn counts_and_means_come_from_the_cells() {
        let scale = parse_questions(&[q("scale", &[])]).unwrap().remove(0);
        let c = question_counts(&scale, &[(-1, 4), (5, 2), (3, 1), (1, 1), (5, 0)]);
        assert_eq!(c.answered, 4);
        assert_eq!(c.counts.iter().map(|x| x.1).collect::<Vec<_>>(), vec![1, 0, 1, 0, 2]);
        assert_eq!(c.mean, Some(3.5));
        assert_eq!(dimension_score(3.5, 1, 5), 62.5);
        assert_eq!(dimension_score(5.0, 1, 5), 100.0);
        let single = parse_questions(&[q("single", &["是", "否"])]).unwrap().remove(0);
        let c = question_counts(&single, &[(-1, 3), (0, 2), (1, 1)]);
        assert_eq!(c.counts, vec![("是".to_string(), 2), ("否".to_string(), 1)]);
    }

    #[test]
    fn the_happiness_index_is_the_mean_and_names_the_weakest_dimension() {
        let qs = happiness_questions();
        assert_eq!(qs.len(), 8);
        assert!(parse_questions(&qs).is_ok(), "the happiness round passes the same checks");
        use HappinessDimension as D;
        let scores =
            [(D::Safety, Some(80.0)), (D::Assistance, None), (D::Employment, Some(50.0)), (D::Housing, Some(50.0))];
        assert_eq!(happiness_index(&scores), (Some(60.0), Some(D::Employment)));
        assert_eq!(happiness_index(&[(D::Safety, None)]), (None, None));
        for d in D::ALL {
            assert!(!happiness_advice(*d).is_empty() && !happiness_question(*d).is_empty());
        }
    }
}

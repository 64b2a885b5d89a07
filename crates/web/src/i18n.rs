//! zh-CN by default, English by `?lang=en`, a remembered cookie, or Accept-Language.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use std::convert::Infallible;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    fn from_code(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// Translates a UI key; unknown keys show themselves so a missing entry is visible, not blank.
    pub fn t(self, key: &str) -> &'static str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => "??",
        }
    }
}

fn query_lang(query: Option<&str>) -> Option<Lang> {
    query?.split('&').find_map(|kv| kv.strip_prefix("lang=")).and_then(Lang::from_code)
}

pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(name)?.strip_prefix('=').map(str::to_string))
}

pub fn detect(parts: &Parts) -> Lang {
    if let Some(l) = query_lang(parts.uri.query()) {
        return l;
    }
    if let Some(l) = cookie(&parts.headers, "lang").and_then(|c| Lang::from_code(&c)) {
        return l;
    }
    // The first language in Accept-Language decides; Chinese unless it is English.
    parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(|first| Lang::from_code(first.split(';').next().unwrap_or("")))
        .unwrap_or(Lang::Zh)
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(detect(parts))
    }
}

/// `?lang=` on any page is remembered in a cookie, so the choice survives navigation.
pub async fn remember_lang(req: Request, next: Next) -> Response {
    let chosen = query_lang(req.uri().query());
    let mut res = next.run(req).await;
    if let Some(l) = chosen {
        let v = format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax", if l == Lang::En { "en" } else { "zh" });
        if let Ok(v) = HeaderValue::from_str(&v) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// Digits grouped by thousands, as both Chinese and English readers expect in tables: 12,345.
pub fn group_digits(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Every UI string: (key, zh-CN, English).
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("app_name", "社区网格化服务管理平台", "Community Grid Governance"),
    ("sign_in", "登录", "Sign in"),
    ("sign_out", "退出", "Sign out"),
    ("username", "用户名", "Username"),
    ("password", "密码", "Password"),
    ("display_name", "姓名", "Display name"),
    ("bad_credentials", "用户名或密码错误", "Wrong username or password"),
    ("too_many", "尝试次数过多，请15分钟后再试", "Too many attempts, try again in 15 minutes"),
    ("session_expired", "页面已过期，请重试", "The page expired, please try again"),
    ("map", "地图", "Map"),
    ("regions", "区域", "Regions"),
    ("region_tree", "区域树", "Region tree"),
    ("users", "用户", "Users"),
    ("households", "户数", "Households"),
    ("residents", "人口", "Residents"),
    ("grids", "网格数", "Grids"),
    ("children_district", "下辖区域", "Subregions"),
    ("no_children", "没有下级区域", "No subregions"),
    ("no_grids", "该区域尚未绘制网格边界", "No grid boundaries drawn in this region yet"),
    ("level_district", "区/县", "District"),
    ("level_street", "镇/街道", "Street"),
    ("level_community", "社区/村", "Community"),
    ("level_grid", "网格", "Grid"),
    ("code", "编码", "Code"),
    ("name", "名称", "Name"),
    ("role", "角色", "Role"),
    ("region_code", "区域编码", "Region code"),
    ("department_code", "部门编码", "Department code"),
    ("roles", "角色与范围", "Roles and scope"),
    ("create_user", "新建用户", "Create user"),
    ("create", "创建", "Create"),
    ("created", "已创建", "Created"),
    ("not_found", "页面不存在或无权查看", "Not found, or not yours to see"),
    ("back_home", "返回首页", "Back to home"),
    ("forbidden", "无权执行此操作", "Not allowed for your role"),
    ("no_region", "您的账号尚未分配区域", "Your account has no region yet"),
    ("language", "语言", "Language"),
    ("map_hint", "点击网格或下级区域逐级查看", "Click a grid or a subregion to drill down"),
    ("optional", "可选", "optional"),
    ("department_hint", "仅职能部门角色需要", "Only for the department role"),
    ("settings", "系统设置", "Settings"),
    ("add_role", "为已有用户添加角色", "Add a role to a user"),
    ("import", "数据导入", "Import"),
    ("people", "实有人口", "People"),
    ("search", "查询", "Search"),
    (
        "search_hint",
        "姓名、拼音、首字母、地址，或完整身份证号/手机号",
        "Name, pinyin, initials, address, or a full ID/phone number",
    ),
    ("all_groups", "全部人群", "All groups"),
    ("found", "共找到", "Found"),
    ("gender", "性别", "Gender"),
    ("person_name", "姓名", "Name"),
    ("age", "年龄", "Age"),
    ("years", "岁", " years"),
    ("id_number", "公民身份号码", "ID number"),
    ("phone", "联系电话", "Phone"),
    ("population_type", "人口类型", "Population type"),
    ("address", "住址", "Address"),
    ("tags", "人群标签", "Groups"),
    ("no_people", "没有符合条件的人员", "Nobody matches"),
    ("next_page", "下一页", "Next page"),
    ("merged_into", "此记录为重复登记，已合并至", "Duplicate record, merged into"),
    ("basic_info", "基本信息", "Details"),
    ("birth_date", "出生日期", "Date of birth"),
    ("ethnicity", "民族", "Ethnicity"),
    ("residence_status", "居住状态", "Residence"),
    ("relation", "与户主关系", "Relation to head"),
    ("education", "文化程度", "Education"),
    ("employment", "就业状况", "Employment"),
    ("political_status", "政治面貌", "Political status"),
    ("health", "健康状况", "Health"),
    ("reveal_reason", "查看完整号码的事由", "Reason to see the full numbers"),
    ("reveal", "查看完整号码", "Show full numbers"),
    ("reveal_hint", "查看将记入审计日志", "Showing them is recorded in the audit log"),
    ("household", "户", "Household"),
    ("household_number", "户号", "Household no."),
    ("registered_household", "户籍户", "Registered household"),
    ("unregistered_household", "非户籍户", "Non-registered household"),
    ("house", "房屋", "House"),
    ("house_code", "房屋编码", "House code"),
    ("usage", "房屋用途", "Use"),
    ("area", "面积", "Area"),
    ("occupants", "居住人数", "Occupants"),
    ("unit", "单元", "Unit"),
    ("room", "房号", "Room"),
    ("history", "人员变动记录", "History"),
    ("no_history", "暂无变动记录", "No changes recorded"),
    ("event_kind", "变动类型", "What happened"),
    ("event_date", "日期", "Date"),
    ("note", "说明", "Note"),
    ("register_event", "登记变动", "Record"),
    ("register_person", "人员登记", "Register a person"),
    ("ev_registered", "登记（走访发现）", "Registered (found on a visit)"),
    ("ev_birth", "出生", "Birth"),
    ("ev_move_in", "迁入", "Moved in"),
    ("new_household_hint", "新户时填写", "for a new household"),
    ("grid_code", "网格编码", "Grid code"),
    (
        "register_person_hint",
        "性别和出生日期由身份证号得出；填写已有户号即加入该户，否则按住址和网格新建房屋和户。",
        "Gender and birth date come from the ID number; an existing household number joins that household, otherwise the address and grid create the house and household.",
    ),
    (
        "export_people",
        "导出本人权限范围内的实有人口（Excel，号码脱敏，记入审计）",
        "Export the people you may see (Excel, numbers masked, audited)",
    ),
    (
        "import_hint",
        "上传 .xlsx 或 .csv（UTF-8 或 GB18030）文件；有错误的行不会导入，可下载含“错误原因”的文件修改后重新导入。",
        "Upload an .xlsx or .csv (UTF-8 or GB18030) file; rows with errors are not imported: download them with the reason, fix and upload again.",
    ),
    ("import_residents", "导入实有人口", "Import residents"),
    ("import_houses", "导入实有房屋", "Import houses"),
    ("file", "文件", "File"),
    ("choose_file", "请选择要导入的文件", "Choose a file to import"),
    ("uploading", "正在上传…", "Uploading…"),
    ("processing", "正在校验并导入…", "Checking and importing…"),
    ("start_import", "开始导入", "Import"),
    ("import_result", "导入结果", "Import result"),
    ("imported_rows", "成功导入", "Imported"),
    ("rejected_rows", "未导入（有错误）", "Rejected"),
    ("download_errors", "下载错误行", "Download rejected rows"),
    (
        "errors_hint",
        "按“错误原因”列修改后重新导入即可，已导入的行不会重复登记。",
        "Fix the rows as the reason column says and import the file again; rows already imported are not registered twice.",
    ),
    ("import_more", "继续导入", "Import another file"),
    ("download_template", "下载导入模板", "Download the template"),
    ("row", "行号", "Row"),
    ("grid_rules", "网格与人员配置", "Grids and staffing"),
    ("people_here", "查看本区域实有人口", "People in this region"),
    ("staff_required", "按户数应配备社区工作者", "Community staff required by households:"),
    ("persons", "名", "people"),
    ("all_grids_in_range", "各网格户数均在规定范围内", "Every grid is within the household range"),
    ("grids_out_of_range", "户数超出规定范围的网格", "Grids outside the household range"),
    ("households_unit", "户", "households"),
    ("reason", "错误原因", "Reason"),
    ("map_tiles", "地图底图", "Map tiles"),
    ("tile_url", "瓦片地址模板", "Tile URL template"),
    (
        "tile_url_hint",
        "含 {z}/{x}/{y}，例如天地图（需密钥）或内网瓦片服务；留空则仅绘制网格",
        "With {z}/{x}/{y}, e.g. Tianditu (with key) or an intranet tile server; empty draws grids only",
    ),
    ("tile_attribution", "底图版权说明", "Tile attribution"),
    ("save", "保存", "Save"),
    ("saved", "已保存", "Saved"),
    // Organizations, duplicates and tag kinds.
    ("organizations", "组织", "Organizations"),
    ("orgs_here", "本区域组织", "Organizations in this region"),
    ("org_name", "组织名称", "Name"),
    ("org_kind", "组织类型", "Kind"),
    ("org_status", "经营状态", "Status"),
    ("credit_code", "统一社会信用代码", "Unified social credit code"),
    ("legal_rep", "法定代表人/负责人", "Legal representative"),
    ("employees", "从业人数", "Employees"),
    ("add_organization", "添加组织", "Add an organization"),
    ("no_organizations", "没有登记的组织", "No organizations registered"),
    ("org_search_hint", "组织名称或统一社会信用代码", "Name or unified social credit code"),
    ("all_kinds", "全部类型", "All kinds"),
    ("all_statuses", "全部状态", "All statuses"),
    ("org_add_hint", "在房屋页面为房屋添加组织。", "Add an organization from the page of the house it is in."),
    ("phone_keep_hint", "联系电话留空则保持不变。", "Leave the phone empty to keep the current number."),
    ("updated_at", "更新时间", "Updated"),
    ("edit", "编辑", "Edit"),
    ("merge_duplicate", "合并重复人员", "Merge a duplicate"),
    (
        "merge_hint",
        "查找同一人的重复登记记录（姓名、拼音或完整身份证号），核对后合并：保留当前人员，重复记录的变动记录和标签并入当前人员。",
        "Find the duplicate record of this person (name, pinyin or full ID number), compare, and merge: this person is kept and takes over the duplicate's history and groups.",
    ),
    ("merge_search_hint", "姓名、拼音或完整身份证号", "Name, pinyin or full ID number"),
    ("choose_duplicate", "选为重复记录", "Choose as duplicate"),
    ("merge_keep", "保留", "Keep"),
    ("merge_duplicate_record", "重复记录", "Duplicate"),
    ("merge_reason", "合并理由", "Reason for merging"),
    ("merge_confirm", "确认合并", "Merge"),
    (
        "merge_confirm_hint",
        "合并后重复记录不再出现在列表中，操作记入审计日志。",
        "The duplicate leaves the lists; the merge is recorded in the audit log.",
    ),
    ("tag_kinds", "人群标签类型", "Group tag kinds"),
    ("api_keys", "API 密钥", "API keys"),
    (
        "api_keys_hint",
        "供 Open311（/open311/v2）等客户端应用在 api_key 参数中使用；密钥只在签发时显示一次，吊销后立即失效。",
        "For Open311 (/open311/v2) and other client applications, sent as api_key. A key is shown only once, when \
         issued; a revoked key stops working at once.",
    ),
    ("api_key_name", "客户端名称", "Client name"),
    ("api_key_create", "签发密钥", "Issue key"),
    ("api_key_created", "新密钥（只显示这一次，请立即复制）", "New key (shown only this once: copy it now)"),
    ("api_key_revoke", "吊销", "Revoke"),
    ("api_key_revoked", "密钥已吊销", "The key was revoked"),
    ("api_key_revoked_at", "已吊销于", "Revoked"),
    ("api_key_active", "有效", "Active"),
    ("api_key_issued", "签发时间", "Issued"),
    ("api_key_state", "状态", "State"),
    ("api_key_none", "尚无密钥", "No keys yet"),
    ("add_tag_kind", "新增标签类型", "Add a tag kind"),
    ("name_en", "英文名称", "English name"),
    ("tag_level", "适用对象", "Applies to"),
    ("level_person", "人员", "Person"),
    ("level_household", "户", "Household"),
    ("sensitive", "敏感", "Sensitive"),
    ("sensitive_hint", "敏感标签（仅有权限的角色可见）", "Sensitive (only roles allowed to see sensitive groups)"),
    ("visit_days", "走访周期（天）", "Visit every (days)"),
    ("visit_days_hint", "如每月走访填30，留空为不要求", "e.g. 30 for monthly visits; empty for none"),
    ("tag_fields", "登记字段", "Fields recorded"),
    ("field_key", "字段键", "Key"),
    ("field_label", "字段名称", "Label"),
    ("field_type", "类型", "Type"),
    ("field_options", "选项", "Options"),
    ("field_options_hint", "选择类型的选项，用“、”分隔", "Options of a select, separated by 、 or ;"),
    (
        "tag_fields_hint",
        "字段键为小写字母、数字或下划线；类型 text 文本、date 日期、number 数字、select 选择。留空的行不保存。",
        "Keys are a-z, 0-9 and _; types: text, date, number, select. Empty rows are not saved.",
    ),
    ("derived", "按规则计算", "derived"),
    (
        "derived_hint",
        "此标签按规则自动计算（如老年人按年龄），不能手工设置。",
        "This group is computed by a rule (e.g. elderly by age) and cannot be set by hand.",
    ),
    ("yes", "是", "Yes"),
    (
        "tag_kinds_hint",
        "人群标签类型是数据：新增的类型可立即用于人员登记；敏感类型只对有权限的角色显示。",
        "Tag kinds are data: a new kind can be used on people at once; sensitive kinds show only to roles allowed to see them.",
    ),
    // Events (事件): list, event page, report forms, tracking page, indicators.
    ("evt_events", "事件", "Events"),
    ("evt_event", "事件", "Event"),
    ("evt_report", "上报事件", "Report"),
    ("evt_indicators", "事件指标", "Indicators"),
    ("evt_actions", "办理", "Actions"),
    ("evt_side_actions", "更多操作（退回、延期、挂账、督办…）", "More (return, postpone, suspend, supervise…)"),
    ("evt_no_actions", "您当前无可办理的操作。", "Nothing for you to do on this event now."),
    ("evt_timeline", "办理过程", "Timeline"),
    ("evt_view_all", "全部", "All"),
    ("evt_view_queue", "本部门待办", "My department's queue"),
    ("evt_view_mine", "我上报的", "Reported by me"),
    ("evt_overdue", "超期", "Overdue"),
    ("evt_due_soon", "临期", "Due soon"),
    ("evt_open", "未办结", "Open"),
    ("evt_status", "状态", "Status"),
    ("evt_all_statuses", "全部状态", "All statuses"),
    ("evt_category", "问题类别", "Category"),
    ("evt_all_categories", "全部类别", "All categories"),
    ("evt_all_regions", "全部区域", "All regions"),
    ("evt_department", "处置部门", "Department"),
    ("evt_all_departments", "全部部门", "All departments"),
    ("evt_from", "从", "From"),
    ("evt_to", "至", "To"),
    ("evt_no", "编号", "No."),
    ("evt_description", "问题描述", "Description"),
    ("evt_reported_at", "上报时间", "Reported"),
    ("evt_stage_due", "本环节时限", "Stage due"),
    ("evt_due", "办结时限", "Due"),
    ("evt_closed_at", "结案时间", "Closed"),
    ("evt_none", "没有符合条件的事件。", "No events match."),
    ("evt_source", "来源", "Source"),
    ("evt_reporter", "上报人", "Reporter"),
    ("evt_anonymous_or_hidden", "匿名", "Anonymous"),
    ("evt_triage", "分类处置", "Triage"),
    ("evt_level", "主办层级", "Lead level"),
    ("evt_card", "督办", "Supervision"),
    ("evt_rework", "返工次数", "Reworked"),
    ("evt_postponed", "已延期", "Postponed"),
    ("evt_working_hours", "工作时", "working hours"),
    ("evt_pending_postpone", "待审批延期", "Postponement asked"),
    ("evt_satisfaction", "满意度", "Satisfaction"),
    (
        "evt_reported_notice",
        "已上报，系统已按类别和网格分派办理。",
        "Reported; it has been routed by category and grid.",
    ),
    ("evt_done_suffix", "：已完成。", ": done."),
    ("evt_lead_department", "主办部门", "Lead department"),
    ("evt_by_rules", "按派遣规则自动确定", "By the routing rules"),
    ("evt_co_departments", "协办部门", "Also working on it"),
    ("evt_hours", "延期工作时（1–160）", "Working hours (1–160)"),
    ("evt_approve", "审批", "Decision"),
    ("evt_approve_yes", "同意延期", "Grant"),
    ("evt_approve_no", "不同意", "Refuse"),
    ("evt_required", "必填", "required"),
    ("evt_photo", "照片", "Photo"),
    ("evt_photo_added", "已添加照片：", "Photo added:"),
    ("evt_photo_failed", "照片上传失败：", "Photo not uploaded:"),
    (
        "evt_duplicates_found",
        "附近已有同类未办结事件，可能是同一问题：",
        "A similar open event nearby may be the same problem:",
    ),
    (
        "evt_duplicates_hint",
        "若是同一问题，无需重复上报；确认不是同一问题时再上报。",
        "If it is the same problem, there is no need to report it again; report anyway only if it is not.",
    ),
    ("evt_report_anyway", "仍然上报", "Report anyway"),
    // Merging a duplicate report into the event it repeats.
    ("evt_merge_candidates", "附近同类未办结事件", "Open events of the same category nearby"),
    ("evt_merge_none", "附近没有同类未办结事件，可在下方填写事件编号。", "None nearby; type the event number below."),
    ("evt_merge_other", "或填写事件编号", "Or type the event number"),
    (
        "evt_merge_hint",
        "合并后本事件作废，上报人可跟踪被合并到的事件。",
        "This event is then voided; its reporter follows the other one.",
    ),
    ("evt_merged_into", "已合并至", "Merged into"),
    ("evt_merged_from", "已合并的重复上报", "Duplicates merged here"),
    (
        "evt_track_merged",
        "您反映的问题与已有事件相同，已合并至该事件统一办理：",
        "Your report is the same problem as an existing event and was merged into it:",
    ),
    ("evt_track_target", "该事件的办理过程", "Progress of that event"),
    ("evt_more_categories", "更多类别", "Other categories"),
    ("evt_location", "位置", "Location"),
    ("evt_use_my_location", "使用当前位置", "Use my location"),
    ("evt_locating", "正在定位…", "Locating…"),
    ("evt_located", "已定位：", "Located:"),
    ("evt_locate_failed", "无法获取位置，请在地图上点选或选择网格。", "No location; click the map or choose the grid."),
    ("evt_picked", "已选位置：", "Point:"),
    ("evt_map_click_hint", "点击地图可选择或修改位置。", "Click the map to choose or change the point."),
    ("evt_or_grid", "或选择所在网格", "Or choose the grid"),
    ("evt_address_hint", "如：翠苑路12号东门", "e.g. 12 Cuiyuan Road, east gate"),
    ("evt_description_hint", "发生了什么？请简要说明", "What is wrong? A few words"),
    ("evt_submit_report", "提交上报", "Submit"),
    ("evt_public_report", "群众上报", "Report a problem"),
    ("evt_public_report_link", "无需登录，群众上报问题 →", "Report a problem without an account →"),
    (
        "evt_public_intro",
        "发现路灯不亮、垃圾堆放、占道经营等问题？在地图上点选位置，简要描述即可，无需注册。",
        "A broken street light, rubbish, street vending? Click the place on the map and describe it; no account needed.",
    ),
    ("evt_choose_category", "请选择问题类别", "Choose a category"),
    ("evt_contact_optional", "联系方式（可选）", "Contact (optional)"),
    ("evt_anonymous", "匿名反映", "Report anonymously"),
    ("evt_your_name", "姓名", "Name"),
    ("evt_contact", "手机号或邮箱", "Mobile or e-mail"),
    ("evt_contact_hint", "用于接收办理进度短信", "for progress messages"),
    ("evt_public_done", "已收到您的反映，编号", "Thank you. Your report number is"),
    (
        "evt_track_once",
        "请保存下面的进度查询链接，它只显示这一次：",
        "Keep the tracking link below; it is shown only this once:",
    ),
    (
        "evt_track_keep",
        "凭此链接可查看办理进度、评价结果或要求重新办理。",
        "With it you can follow the progress, rate the result or ask for it to be redone.",
    ),
    ("evt_too_many_posts", "提交过于频繁，请稍后再试。", "Too many posts from your address; try again later."),
    ("evt_track", "办理进度", "Progress"),
    ("evt_rate_title", "问题已办结，请评价", "Closed: please rate the result"),
    ("evt_sat_5", "非常满意", "Very satisfied"),
    ("evt_sat_4", "满意", "Satisfied"),
    ("evt_sat_3", "基本满意", "Fair"),
    ("evt_sat_2", "不满意", "Dissatisfied"),
    ("evt_sat_1", "非常不满意", "Very dissatisfied"),
    ("evt_comment", "评价意见", "Comment"),
    ("evt_rate_submit", "提交评价", "Rate"),
    ("evt_reopen_why", "问题没有真正解决？请说明", "Not really fixed? Say what is wrong"),
    ("evt_reopen", "问题未解决，重新办理", "Not fixed: reopen"),
    ("evt_thanks_rating", "感谢您的评价！", "Thank you for rating!"),
    ("evt_reopened", "已重新交办，请留意办理进度。", "Reopened; it is back with the department."),
    ("evt_show", "查看", "Show"),
    ("evt_by_category", "按问题类别", "By category"),
    ("evt_by_department", "按处置部门", "By department"),
    ("evt_ind_reported", "上报数", "Reported"),
    ("evt_ind_registered", "立案数", "Registered"),
    ("evt_ind_closed", "结案数", "Closed"),
    ("evt_ind_closure_rate", "结案率", "Closure rate"),
    ("evt_ind_on_time_rate", "按期结案率", "Closed on time"),
    ("evt_ind_handling_rate", "处置率", "Handling rate"),
    ("evt_ind_on_time_handling_rate", "按时处置率", "Handled on time"),
    ("evt_ind_rework_rate", "返工率", "Rework rate"),
    ("evt_ind_postponement_rate", "延期率", "Postponement rate"),
    ("evt_ind_valid_report_rate", "有效上报率", "Valid report rate"),
    ("evt_ind_composite", "综合指标值", "Composite score"),
    ("evt_by_person", "按人员", "By person"),
    ("evt_person", "人员", "Person"),
    ("evt_ind_valid", "有效上报数", "Valid reports"),
    ("evt_ind_self_handled", "自行处置数", "Solved on the spot"),
    ("evt_ind_verified", "核查数", "Verified"),
    ("evt_ind_on_time_verify_rate", "按时核查率", "Verified on time"),
    ("evt_ind_handled", "处置数", "Handled"),
    ("evt_chart_no_data", "暂无数据", "No data"),
    ("evt_chart_kpis", "辖区结案率、按期结案率与按时处置率", "Closure rate, closed on time and handled on time"),
    (
        "evt_chart_categories",
        "上报数最多的 10 个问题类别：上报数与结案数",
        "The 10 categories reported most: reported and closed",
    ),
    ("evt_chart_departments", "各处置部门的按期结案率与按时处置率", "Closed on time and handled on time by department"),
    (
        "evt_ind_person_hint",
        "人员指标（GB/T 30428.4 岗位）：有效上报率 = 已立案或当场解决的上报 / 上报数（计入上报当月），按时核查率 = 在核查时限内完成的核查 / 核查数，按时处置率 = 按时处置数 / 处置数。按月汇总；网格员和职能部门人员只看到本人。",
        "Person indicators (GB/T 30428.4 posts): valid report rate = reports registered or solved on the spot / reports (counted in the month reported), verified on time = verifications within the verify limit / verifications, handled on time = handled on time / handled. Kept per month; grid workers and department staff see only their own row.",
    ),
    (
        "evt_ind_hint",
        "指标按 GB/T 30428.4 计算：结案率 = 结案数 / 立案数，按期结案率 = 按期结案数 / 立案数，返工率 = 返工数 / 处置数，延期率 = 延期数 / 立案数。分类与部门表按月汇总。",
        "GB/T 30428.4: closure rate = closed / registered, on time = closed on time / registered, rework = reworked / handled, postponement = postponed / registered. The tables by category and department are kept per month.",
    ),
    // Field names as errors name them.
    ("description", "问题描述", "Description"),
    ("category", "问题类别", "Category"),
    ("lat", "位置", "Location"),
    ("lon", "位置", "Location"),
    ("contact", "联系方式", "Contact"),
    ("satisfaction", "满意度", "Satisfaction"),
    ("hours", "延期工作时", "Hours"),
    ("card", "督办", "Card"),
    ("attachments", "照片", "Photos"),
    ("department", "处置部门", "Department"),
    ("evt_bulk_hint", "对勾选的事件批量：", "For the ticked events:"),
    ("evt_bulk_submit", "批量执行", "Apply"),
    ("evt_bulk_done", "批量操作完成：", "Done for: "),
    ("evt_bulk_failed", "以下事件未能办理（状态或权限不符）：", "Refused (state or role): "),
    ("event_rules", "事件规则", "Event rules"),
    ("er_event_categories", "事件类别与时限", "Categories and time limits"),
    ("er_default_department", "默认处置部门", "Default department"),
    ("er_triage", "分级处置", "Triage"),
    ("er_stage_accept", "受理时限", "Accept"),
    ("er_stage_register", "立案时限", "Register"),
    ("er_stage_dispatch", "派遣时限", "Dispatch"),
    ("er_stage_handle", "处置时限", "Handle"),
    ("er_stage_verify", "核查时限", "Verify"),
    ("er_stage_close", "结案时限", "Close"),
    (
        "er_limit_hint",
        "时限写法：4h 为4个工作时，5d 为5个工作日，24n 为24个自然小时（紧急事件）。",
        "Limits: 4h = 4 working hours, 5d = 5 working days, 24n = 24 natural hours (emergencies).",
    ),
    ("er_routing_rules", "派遣规则", "Routing rules"),
    (
        "er_routing_rules_hint",
        "按类别和区域匹配，最具体的规则优先（类别编码更长者优先，其次区域编码更长者）；第一个部门为牵头部门。",
        "Matched by category and region; the most specific rule wins (longer category code first, then longer region code); the first department leads.",
    ),
    ("er_category", "类别", "Category"),
    ("er_region", "区域", "Region"),
    ("er_departments", "部门", "Departments"),
    ("er_delete", "删除", "Delete"),
    ("er_add", "添加", "Add"),
    ("er_category_prefix", "类别编码（前缀）", "Category (prefix)"),
    ("er_region_prefix", "区域编码", "Region code"),
    ("er_work_calendar", "工作日历", "Working calendar"),
    ("er_work_periods", "工作时段", "Working periods"),
    ("er_day_minutes", "每个工作日分钟数", "Working minutes per day"),
    ("er_date", "日期", "Date"),
    ("er_day_kind", "类型", "Kind"),
    ("er_holiday", "放假", "Holiday"),
    ("er_workday", "调休上班", "Worked (调休)"),
    ("er_clear_mark", "清除标记", "Clear the mark"),
    ("fw_title", "网格员工作", "Grid workers' month"),
    (
        "fw_hint",
        "本月各网格员的走访、上报和巡查实情，不是指标任务。",
        "What each grid worker did this month, as facts, not quotas.",
    ),
    ("fw_month", "月份", "Month"),
    ("fw_worker", "网格员", "Grid worker"),
    ("fw_grids", "网格", "Grids"),
    ("fw_people_due", "应访对象", "People to visit"),
    ("fw_people_covered", "本月已访对象", "Visited this month"),
    ("fw_visits", "走访次数 / 应访次数", "Visits / asked by rules"),
    ("fw_events", "上报事件", "Events reported"),
    ("fw_patrols", "巡查", "Patrols"),
    ("fw_minutes", "分钟", "min"),
    ("fw_log_days", "民情日志天数", "Days logged"),
    ("fw_none", "该区域没有网格员。", "No grid workers in this region."),
    ("fw_reassign", "网格移交", "Hand over a grid"),
    (
        "fw_reassign_hint",
        "网格员离岗时，把网格交给接手的网格员；走访对象随网格转移。",
        "When a worker leaves, give the grid to the one taking over; the people to visit follow the grid.",
    ),
    ("fw_grid", "网格编码", "Grid code"),
    ("fw_from", "原网格员（用户名）", "Leaving worker (username)"),
    ("fw_to", "接手网格员（用户名）", "New worker (username)"),
    ("fw_reassign_submit", "移交", "Hand over"),
    ("fw_reassigned", "网格已移交。", "The grid was handed over."),
    ("nav_field_workers", "网格员工作", "Grid workers"),
    ("visits_title", "走访记录", "Visits"),
    ("visits_none", "尚无走访记录", "No visits yet"),
    ("visit_not_home", "未见到本人", "not at home"),
    ("visit_needs", "诉求", "Needs"),
    ("visit_sit_normal", "正常", "Normal"),
    ("visit_sit_attention", "需关注", "Needs attention"),
    ("visit_sit_difficulty", "有困难", "In difficulty"),
    ("dsp_disputes", "矛盾纠纷", "Disputes"),
    ("dsp_dispute", "矛盾纠纷", "Dispute"),
    ("dsp_register", "登记纠纷", "Register a dispute"),
    ("dsp_register_submit", "登记", "Register"),
    ("dsp_registered_notice", "纠纷已登记，已按难易程度分流。", "The dispute was registered and routed by difficulty."),
    ("dsp_stats", "纠纷统计", "Dispute statistics"),
    ("dsp_view_all", "全部", "All"),
    ("dsp_open", "未办结", "Open"),
    ("dsp_overdue", "逾期", "Overdue"),
    ("dsp_only_overdue", "只看逾期", "Overdue only"),
    ("dsp_all_types", "全部类型", "All types"),
    ("dsp_none", "没有符合条件的纠纷。", "No disputes match."),
    ("dsp_no", "编号", "No."),
    ("dsp_type", "纠纷类型", "Type"),
    ("dsp_title", "纠纷名称", "Title"),
    ("dsp_title_hint", "如：张某与李某相邻通行纠纷", "e.g. Zhang and Li over a right of way"),
    ("dsp_level", "调解层级", "Mediated at"),
    ("dsp_status", "状态", "Status"),
    ("dsp_mediator", "调解员", "Mediator"),
    ("dsp_registered_at", "登记时间", "Registered"),
    ("dsp_due", "调解期限", "Mediation due"),
    ("dsp_follow_up_due", "回访期限", "Follow-up due"),
    ("dsp_follow_up_due_short", "回访", "follow-up"),
    ("dsp_closed_at", "结案时间", "Closed"),
    ("dsp_risk", "民转刑风险", "Risk of violence"),
    ("dsp_risk_hint", "可能激化为刑事案件，需重点稳控", "could turn into a criminal case; watch closely"),
    ("dsp_what", "纠纷情况", "The dispute"),
    ("dsp_facts", "纠纷主要事实、争议事项", "Facts and matters in dispute"),
    ("dsp_facts_hint", "起因、经过、各方诉求", "What happened and what each side asks for"),
    ("dsp_amount", "涉及金额（元）", "Amount involved (yuan)"),
    ("dsp_amount_hint", "如 12000 或 1.2万", "e.g. 12000 or 1.2万"),
    ("dsp_yuan", "元", "yuan"),
    ("dsp_source", "纠纷来源", "Source"),
    ("dsp_where_who_mediates", "发生地与调解层级", "Where, and who mediates"),
    ("dsp_grid", "发生网格", "Grid"),
    (
        "dsp_grid_default",
        "默认：第一位登记在册当事人所在网格",
        "Default: the grid of the first party from the register",
    ),
    ("dsp_difficulty", "难易程度", "Difficulty"),
    ("dsp_route_simple", "社区（村）人民调解委员会化解", "resolved by the community's mediation committee"),
    ("dsp_route_complex", "镇街司法所、综治中心首调", "first mediated by the street's justice office and centre"),
    ("dsp_route_hard", "区级上级包案化解", "taken on by the district"),
    ("dsp_parties", "当事人", "Parties"),
    (
        "dsp_parties_hint",
        "至少一位申请人和一位被申请人。登记在册的人员可按姓名、拼音、身份证号或电话查找；外来人员请填写姓名（电话、身份证号可选）。",
        "At least one applicant and one respondent. Find people of the register by name, pinyin, ID number or phone; for outsiders type a name (phone and ID number optional).",
    ),
    ("dsp_more_parties", "更多当事人", "More parties"),
    ("dsp_party_role", "身份", "Role"),
    ("dsp_required", "必填", "required"),
    ("dsp_find_person", "在实有人口中查找", "Find in the register"),
    ("dsp_find_person_hint", "姓名、拼音、身份证号或电话", "Name, pinyin, ID number or phone"),
    ("dsp_search_none", "没有找到", "Nobody found"),
    ("dsp_search_failed", "查找失败", "Search failed"),
    ("dsp_chosen", "已选：", "Chosen: "),
    ("dsp_clear_choice", "改为外来人员", "Not this person"),
    ("dsp_person_id", "登记人员编号", "Register person id"),
    ("dsp_or_outsider", "或外来人员：", "or an outsider:"),
    ("dsp_from_event", "由事件转入：", "From event"),
    ("dsp_in_register", "在册", "registered"),
    ("dsp_masked_hint", "号码已脱敏显示。", "Numbers are masked."),
    ("dsp_agreement", "调解协议", "Agreement"),
    ("dsp_print_agreement", "打印协议书", "Print the agreement"),
    ("dsp_performance", "履行方式、时限", "How and when it is carried out"),
    ("dsp_performance_hint", "如：于2026年12月31日前一次性支付", "e.g. paid in one sum by 31 Dec 2026"),
    ("dsp_agreement_terms", "协议内容", "Terms agreed"),
    ("dsp_agreement_hint", "一、……　二、……", "1. …  2. …"),
    ("dsp_referral", "移送", "Referral"),
    ("dsp_refer_target", "移送去向", "Refer to"),
    ("dsp_resolved_question", "移送后是否化解", "Did the referral resolve it?"),
    ("dsp_resolved_yes", "移送后已化解", "resolved after referral"),
    ("dsp_resolved_no", "移送后未化解", "not resolved after referral"),
    ("dsp_held_question", "协议是否履行", "Did the agreement hold?"),
    ("dsp_held_yes", "回访：协议已履行", "Follow-up: the agreement held"),
    ("dsp_held_no", "回访：协议未履行", "Follow-up: the agreement did not hold"),
    ("dsp_yes", "是", "Yes"),
    ("dsp_no_answer", "否", "No"),
    ("dsp_mediator_username", "调解员（用户名）", "Mediator (username)"),
    ("dsp_mediator_default", "留空即由本人调解", "empty: you mediate it"),
    ("dsp_session_date", "调解日期", "Date"),
    ("dsp_attendees", "参加人员", "Attended"),
    ("dsp_attendees_hint", "当事人及其他参加人", "The parties and anyone else present"),
    ("dsp_session_summary", "调解情况", "What happened"),
    ("dsp_escalate_hint", "上交上一级调解组织（疑难矛盾上级包案）。", "Hands it to the level above."),
    ("dsp_close_hint", "调解不成且不再移送时终结。", "Ends it when mediation failed and it is not referred."),
    ("dsp_no_actions_prefix", "此纠纷由", "This dispute is mediated at the "),
    ("dsp_no_actions_suffix", "层级调解；你可以查看，不能办理。", " level; you may read it but not act on it."),
    ("dsp_steps", "办理过程", "Steps"),
    ("dsp_step_register", "登记", "Registered"),
    ("dsp_back_to_dispute", "返回纠纷", "Back to dispute"),
    ("dsp_print", "打印", "Print"),
    (
        "dsp_print_hint",
        "A4 纸打印；也可在打印对话框中另存为 PDF。",
        "Prints on A4; the print dialog can also save a PDF.",
    ),
    ("dsp_doc_title", "人民调解协议书", "People's Mediation Agreement"),
    ("dsp_doc_facts", "纠纷主要事实、争议事项：", "Main facts and matters in dispute:"),
    (
        "dsp_doc_agreed",
        "经调解，自愿达成如下协议：",
        "Through mediation, the parties have voluntarily agreed as follows:",
    ),
    ("dsp_doc_performance", "履行方式、时限：", "How and when the agreement is carried out:"),
    ("dsp_doc_performance_in_terms", "按上述协议条款履行。", "As set out in the terms above."),
    (
        "dsp_doc_legal",
        "本协议自各方当事人签名、人民调解员签名并加盖人民调解委员会印章之日起生效。本协议书一式三份，当事人、人民调解委员会各持一份。",
        "This agreement takes effect on the day it is signed by every party and the people's mediator and sealed by the people's mediation committee. It is made in three copies; the parties and the committee each keep one.",
    ),
    ("dsp_doc_signature", "签名", "signature"),
    ("dsp_doc_date_blank", "　　年　　月　　日", "Date: ____________"),
    ("dsp_doc_mediator", "人民调解员", "People's mediator"),
    ("dsp_doc_seal", "印", "seal"),
    ("dsp_doc_committee_suffix", "人民调解委员会", " People's Mediation Committee"),
    (
        "dsp_stats_hint",
        "按登记时间统计（默认近12个月）。调解成功率 = 达成协议 ÷（达成协议 + 调解不成）；协议履行率 = 回访履行 ÷ 已回访。",
        "Counted by registration date (default: the last 12 months). Success rate = agreements ÷ (agreements + failed mediations); fulfilment rate = held at follow-up ÷ followed up.",
    ),
    ("dsp_kpi_total", "纠纷总数", "Disputes"),
    ("dsp_kpi_success_rate", "调解成功率", "Mediation success rate"),
    ("dsp_kpi_fulfilment_rate", "协议履行率", "Agreements kept"),
    ("dsp_kpi_mean_days", "平均化解天数", "Mean days to resolution"),
    ("dsp_kpi_risk", "民转刑风险", "Flagged as risk of violence"),
    ("dsp_by_type", "按类型", "By type"),
    ("dsp_by_status", "按状态", "By status"),
    ("dsp_trend", "月度趋势", "Monthly trend"),
    ("dsp_by_grid", "按网格", "By grid"),
    ("dsp_count", "件数", "Count"),
    ("dsp_registered_count", "登记", "Registered"),
    ("dsp_resolved_count", "化解结案", "Resolved"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_used_in_templates_is_translated() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for part in text.split("lang.t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(TEXTS.iter().any(|(k, _, _)| *k == key), "untranslated key {key}");
            }
        }
        for (k, zh, en) in TEXTS {
            assert!(!zh.is_empty() && !en.is_empty(), "{k}");
        }
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(60123), "60,123");
        assert_eq!(group_digits(-1234567), "-1,234,567");
    }

    #[test]
    fn accept_language_picks_english_only_when_first() {
        let mk = |al: &str| {
            let req = axum::http::Request::builder().header("accept-language", al).body(()).unwrap();
            detect(&req.into_parts().0)
        };
        assert_eq!(mk("en-US,en;q=0.9"), Lang::En);
        assert_eq!(mk("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
        assert_eq!(mk("fr"), Lang::Zh);
    }
}

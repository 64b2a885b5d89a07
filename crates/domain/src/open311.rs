//! Open311 GeoReport v2 requests as they arrive (DESIGN.md §4): the form of a POST, its W3C datetimes, and every
//! check of a submission that needs no database. The app adds the API key and the service lookup; the fuzz
//! target `open311_form` feeds arbitrary bodies through here.

use crate::FieldError;
use crate::event::calendar::cst;
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use serde_json::{Map, Value};

/// At most this many characters of description.
pub const MAX_DESCRIPTION: usize = 2000;

/// A POST as received, form fields by name; `attributes` from `attribute[code]` and `attribute[code][]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Submission {
    pub api_key: Option<String>,
    pub service_code: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    pub description: Option<String>,
    pub attributes: Vec<(String, String)>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub media_url: Option<String>,
}

impl Submission {
    /// A form-encoded body and the query string (clients put fields in either; the body's value wins).
    pub fn from_form(body: &[u8], query: &[u8]) -> Submission {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(body)
            .chain(form_urlencoded::parse(query))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let first = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let attributes = pairs
            .iter()
            .filter_map(|(k, v)| {
                let rest = k.strip_prefix("attribute[")?;
                let code = rest.strip_suffix("][]").or_else(|| rest.strip_suffix(']'))?;
                (!code.is_empty()).then(|| (code.to_string(), v.clone()))
            })
            .collect();
        Submission {
            api_key: first("api_key"),
            service_code: first("service_code"),
            lat: first("lat"),
            long: first("long"),
            address_string: first("address_string"),
            address_id: first("address_id"),
            description: first("description"),
            attributes,
            first_name: first("first_name"),
            last_name: first("last_name"),
            email: first("email"),
            phone: first("phone"),
            media_url: first("media_url"),
        }
    }
}

/// A field's value with surrounding space removed; `None` when absent or blank.
pub fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A submission that passed every check that needs no database.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The point, when lat and long were sent (WGS-84 degrees, within range).
    pub point: Option<(f64, f64)>,
    /// The grid code sent as `address_id`, used only without a point.
    pub address_id: Option<String>,
    pub address: String,
    /// The service's own attributes (others are dropped); repeated `attribute[code][]` values joined by commas.
    pub attributes: Map<String, Value>,
    /// Empty when none was sent (the app puts the service's name); a `media_url` is appended to it.
    pub description: String,
    /// 姓 名, from `last_name` and `first_name`.
    pub reporter_name: String,
    /// A valid phone number, else a valid e-mail, else empty: a contact is kept, never a reason to refuse.
    pub contact: String,
}

/// Checks a submission against the service's attribute definitions (`fields`, each `{"code", "required"}`);
/// `None` when `service_code` is missing. Every problem is reported, not only the first.
pub fn check(s: &Submission, fields: Option<&[Value]>) -> Result<Checked, Vec<FieldError>> {
    let mut errors = Vec::new();
    if fields.is_none() {
        errors.push(FieldError::new("service_code", "缺少 service_code / service_code is missing"));
    }
    let mut num = |field: &str, v: &Option<String>, range: f64| -> Option<f64> {
        let t = nonempty(v)?;
        match t.parse::<f64>() {
            Ok(x) if x.is_finite() && (-range..=range).contains(&x) => Some(x),
            Ok(x) if x.is_finite() => {
                errors.push(FieldError::new(
                    field,
                    format!("{field} 应在 -{range} 到 {range} 之间 / {field} must be within -{range}..{range}: {x}"),
                ));
                None
            }
            _ => {
                errors.push(FieldError::new(field, format!("{field} 不是数字 / {field} is not a number: {t}")));
                None
            }
        }
    };
    let lat = num("lat", &s.lat, 90.0);
    let lon = num("long", &s.long, 180.0);
    let address_id = nonempty(&s.address_id).map(str::to_string);
    let address = nonempty(&s.address_string).unwrap_or_default().to_string();
    let has_point = nonempty(&s.lat).is_some() || nonempty(&s.long).is_some();
    if has_point && (nonempty(&s.lat).is_none() || nonempty(&s.long).is_none()) {
        let missing = if nonempty(&s.lat).is_none() { "lat" } else { "long" };
        errors.push(FieldError::new(
            missing,
            format!("lat 与 long 须同时提供 / lat and long go together: {missing} is missing"),
        ));
    }
    if !has_point && address_id.is_none() {
        errors.push(FieldError::new(
            "lat",
            if address.is_empty() {
                "缺少位置：lat/long、address_string 或 address_id / a location is required: lat & long, \
                 address_string or address_id"
            } else {
                "仅凭 address_string 无法确定网格，请同时提供 lat/long 或 address_id（网格编码） / \
                 address_string alone cannot be placed in a grid: send lat & long or address_id (a grid code)"
            },
        ));
    }
    let mut attributes = Map::new();
    if let Some(fields) = fields {
        let code_of = |f: &Value| f.get("code").and_then(Value::as_str).unwrap_or_default().to_string();
        for (code, value) in &s.attributes {
            // Attributes the service does not define are ignored (clients send every field they have).
            if !fields.iter().any(|f| code_of(f) == *code) {
                continue;
            }
            match attributes.get_mut(code) {
                Some(Value::String(prev)) => {
                    prev.push(',');
                    prev.push_str(value);
                }
                _ => {
                    attributes.insert(code.clone(), Value::from(value.as_str()));
                }
            }
        }
        for f in fields {
            let code = code_of(f);
            let required = f.get("required").and_then(Value::as_bool).unwrap_or(false);
            let given = attributes.get(&code).and_then(Value::as_str).is_some_and(|v| !v.trim().is_empty());
            if required && !given {
                errors.push(FieldError::new(
                    format!("attribute[{code}]"),
                    format!("缺少必填属性 / attribute[{code}] is required"),
                ));
            }
        }
    }
    let mut description = nonempty(&s.description).map(str::to_string).unwrap_or_default();
    if description.chars().count() > MAX_DESCRIPTION {
        errors.push(FieldError::new("description", "描述不能超过2000字 / description: at most 2,000 characters"));
    }
    if let Some(m) = nonempty(&s.media_url) {
        if !(m.starts_with("http://") || m.starts_with("https://")) || m.len() > 500 || m.contains(char::is_whitespace)
        {
            errors.push(FieldError::new("media_url", "media_url 应为 http(s) 链接 / media_url must be an http(s) URL"));
        } else {
            // Kept with the description for the staff who handle it.
            description = format!("{description}\n附件 / media: {m}").trim().to_string();
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let reporter_name =
        [nonempty(&s.last_name), nonempty(&s.first_name)].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let contact = nonempty(&s.phone)
        .filter(|p| crate::phone::Phone::parse("phone", p).is_ok())
        .or_else(|| nonempty(&s.email).filter(|e| is_email(e)))
        .unwrap_or_default()
        .to_string();
    Ok(Checked {
        point: lat.zip(lon).filter(|_| has_point),
        address_id: if has_point { None } else { address_id },
        address,
        attributes,
        description,
        reporter_name,
        contact,
    })
}

/// A plausible e-mail address: something@host.domain, no spaces, at most 100 bytes.
pub fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((user, host)) => {
            !user.is_empty() && host.contains('.') && s.len() <= 100 && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// A W3C datetime (`2026-11-25T09:30:00+08:00`, `…Z`, without seconds, or a day `2026-11-25` = its start in China
/// time) in Unix milliseconds.
pub fn parse_w3c(field: &str, s: &str) -> Result<i64, FieldError> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(t) = DateTime::<FixedOffset>::parse_from_str(s, "%Y-%m-%dT%H:%M%:z") {
        return Ok(t.timestamp_millis());
    }
    if let Some(x) = s.strip_suffix('Z')
        && let Ok(t) = chrono::NaiveDateTime::parse_from_str(x, "%Y-%m-%dT%H:%M")
    {
        return Ok(t.and_utc().timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0).and_then(|t| cst().from_local_datetime(&t).single())
    {
        return Ok(t.timestamp_millis());
    }
    Err(FieldError::new(
        field,
        format!("{field} 应为 W3C 日期时间，如 2026-11-25T09:30:00+08:00 / {field} must be a W3C datetime"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> Vec<Value> {
        vec![json!({"code": "depth", "required": true}), json!({"code": "kind"})]
    }

    fn fields_of(r: Result<Checked, Vec<FieldError>>) -> Vec<String> {
        r.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_form_reads_body_first_then_query_and_gathers_attributes() {
        let s = Submission::from_form(
            b"service_code=E0102&lat=30.27&long=120.15&attribute%5Bdepth%5D=5&attribute[kind][]=a&attribute[kind][]=b&attribute[]=x",
            b"lat=1&api_key=k",
        );
        assert_eq!(s.service_code.as_deref(), Some("E0102"));
        assert_eq!(s.lat.as_deref(), Some("30.27"), "the body wins over the query");
        assert_eq!(s.api_key.as_deref(), Some("k"));
        assert_eq!(
            s.attributes,
            vec![("depth".into(), "5".into()), ("kind".into(), "a".into()), ("kind".into(), "b".into())]
        );
        let c = check(&s, Some(&fields())).unwrap();
        assert_eq!(c.point, Some((30.27, 120.15)));
        assert_eq!(c.attributes["kind"], "a,b");
    }

    #[test]
    fn every_problem_is_named() {
        let s = Submission::from_form(b"lat=91&long=abc&media_url=ftp://x&attribute[kind]=a", b"");
        assert_eq!(fields_of(check(&s, None)), ["service_code", "lat", "long", "media_url"]);
        let s = Submission::from_form(b"lat=30", b"");
        assert_eq!(fields_of(check(&s, Some(&fields()))), ["long", "attribute[depth]"]);
        let s = Submission::from_form(b"address_string=x&attribute[depth]=1", b"");
        assert_eq!(fields_of(check(&s, Some(&fields()))), ["lat"]);
        let long = format!("description={}&address_id=1&attribute[depth]=1", "字".repeat(2001));
        assert_eq!(fields_of(check(&Submission::from_form(long.as_bytes(), b""), Some(&fields()))), ["description"]);
    }

    #[test]
    fn an_address_id_places_a_request_without_a_point_and_contacts_are_kept_only_when_valid() {
        let s = Submission::from_form(
            b"address_id=33019900100101&attribute[depth]=1&phone=12&email=a@b.cn&last_name=%E5%BC%A0&first_name=%E4%B8%89&media_url=https://x/y.jpg",
            b"",
        );
        let c = check(&s, Some(&fields())).unwrap();
        assert_eq!(c.point, None);
        assert_eq!(c.address_id.as_deref(), Some("33019900100101"));
        assert_eq!(c.contact, "a@b.cn", "an invalid phone falls back to the e-mail");
        assert_eq!(c.reporter_name, "张 三");
        assert_eq!(c.description, "附件 / media: https://x/y.jpg");
        assert!(!is_email("a b@c.d") && !is_email("@c.d") && is_email("x@y.cn"));
    }

    #[test]
    fn w3c_datetimes() {
        assert_eq!(
            parse_w3c("d", "1994-11-05T13:15:30Z").unwrap(),
            parse_w3c("d", "1994-11-05T08:15:30-05:00").unwrap()
        );
        assert_eq!(parse_w3c("d", "2026-01-01T08:00+08:00").unwrap(), parse_w3c("d", "2026-01-01T00:00Z").unwrap());
        assert_eq!(parse_w3c("d", "2026-01-01").unwrap(), parse_w3c("d", "2026-01-01T00:00:00+08:00").unwrap());
        assert_eq!(parse_w3c("start_date", "yesterday").unwrap_err().field, "start_date");
    }
}

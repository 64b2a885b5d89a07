//! Open311 POST requests: any body (the first line) and query string (the rest) are read as a form and checked
//! against a service with a required and an optional attribute. Nothing panics; an accepted request has its point
//! in range or a grid code, a description within the limit, only the service's attributes, and a contact that
//! is a valid phone or e-mail.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::json;
use wangge_domain::open311::{Submission, check, is_email, parse_w3c};
use wangge_domain::phone::Phone;

fuzz_target!(|data: &[u8]| {
    let (body, query) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let s = Submission::from_form(body, query);
    let fields = [json!({"code": "depth", "required": true}), json!({"code": "kind"})];
    for defined in [None, Some(&fields[..])] {
        match check(&s, defined) {
            Ok(c) => {
                assert!(defined.is_some(), "a request without a service is refused");
                match c.point {
                    Some((lat, lon)) => assert!(lat.abs() <= 90.0 && lon.abs() <= 180.0),
                    None => assert!(c.address_id.is_some(), "a request is placed by a point or a grid code"),
                }
                assert!(c.attributes.keys().all(|k| k == "depth" || k == "kind"));
                assert!(c.attributes.get("depth").and_then(|v| v.as_str()).is_some_and(|v| !v.trim().is_empty()));
                let body = c.description.split("\n附件 / media: ").next().unwrap_or_default();
                assert!(body.chars().count() <= wangge_domain::open311::MAX_DESCRIPTION);
                assert!(
                    c.contact.is_empty() || is_email(&c.contact) || Phone::parse("phone", &c.contact).is_ok(),
                    "contact {:?}",
                    c.contact
                );
            }
            Err(errors) => assert!(!errors.is_empty() && errors.iter().all(|e| !e.field.is_empty())),
        }
    }
    for d in [&s.description, &s.address_string] {
        if let Some(d) = d {
            let _ = parse_w3c("start_date", d);
        }
    }
});

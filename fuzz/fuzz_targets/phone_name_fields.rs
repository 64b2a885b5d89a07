//! The register's and the services' small text fields: phone numbers, names and their pinyin keys, 与户主关系,
//! 民族, service materials, clock times, amounts and hours. Any text is accepted or refused with the field named;
//! nothing panics, and what is accepted is stable.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wangge_domain::phone::{Phone, mask_phone};
use wangge_domain::{dispute, life, pinyin, register, service};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(p) = Phone::parse("phone", s) {
        let again = Phone::parse("phone", p.as_str()).expect("a parsed phone parses again");
        assert_eq!(again.as_str(), p.as_str());
        let masked = p.masked();
        assert_eq!(masked.chars().count(), p.as_str().len());
        assert!(masked.contains('*'), "a stored phone is masked: {masked}");
    }
    let _ = mask_phone(s);
    if let Ok(name) = register::parse_name("name", s) {
        assert_eq!(register::parse_name("name", &name).as_deref(), Ok(name.as_str()));
        let _ = pinyin::name_keys(&name);
    }
    let _ = pinyin::search_keys(s);
    let _ = register::parse_relation("relation", s);
    let _ = register::parse_ethnicity("ethnicity", s);
    if let Ok(m) = service::parse_materials("materials", s) {
        assert!(m.len() <= s.lines().count(), "one material per line at most");
    }
    let _ = service::parse_clock("opens", s);
    let _ = dispute::parse_amount("amount", s);
    let _ = life::parse_hours("hours", s);
});

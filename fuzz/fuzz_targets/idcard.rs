//! 身份证号: any text either is refused with the field named or gives an 18-digit number that parses again to
//! itself, with a real birth date, a gender and a 6-digit area code.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wangge_domain::idcard::IdCardNo;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    match IdCardNo::parse("id_number", s) {
        Err(e) => assert_eq!(e.field, "id_number"),
        Ok(id) => {
            assert_eq!(id.as_str().len(), 18, "{s:?}");
            let again = IdCardNo::parse("id_number", id.as_str()).expect("a parsed number parses again");
            assert_eq!(again.as_str(), id.as_str());
            let _ = id.birth_date();
            let _ = id.gender();
            assert!(id.region().len() == 6 && id.region().bytes().all(|b| b.is_ascii_digit()), "{s:?}");
        }
    }
});

//! Residents and houses lists as CSV: any bytes (UTF-8, GB18030 or neither) are read into rows or refused as
//! unreadable, then every row is checked as an import would; nothing panics, no row is wider than the limit,
//! row numbers only grow, and an accepted resident carries a valid 18-digit number.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wangge_fuzz::check_rows;

fuzz_target!(|data: &[u8]| {
    check_rows("csv", data);
});

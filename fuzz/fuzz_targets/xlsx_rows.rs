//! Residents and houses lists as XLSX (a ZIP of XML, streamed cell by cell): any bytes are read into rows or
//! refused as unreadable; the same row checks and promises as `resident_rows`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wangge_fuzz::check_rows;

fuzz_target!(|data: &[u8]| {
    check_rows("xlsx", data);
});

//! What the table fuzz targets share: a file read as the import reads it, every row checked as a resident and
//! as a house, and the promises that hold whatever the bytes.
use wangge_domain::register_file::{HouseColumns, ResidentColumns, TagIndex, is_code, parse_house, parse_resident};
use wangge_tables::{Input, MAX_COLUMNS, RowSink, keep, read};

/// Rows as the import takes them: blank and comment rows left out, the first one kept is the header; at most
/// 10,000 kept (the fuzzer's inputs are small, a bound keeps a slow input from hiding behind row count).
#[derive(Default)]
struct Rows {
    rows: Vec<(usize, Vec<String>)>,
}

impl RowSink for Rows {
    fn expect(&mut self, _: usize) {}
    fn push(&mut self, line: usize, cells: Vec<String>) -> bool {
        if keep(&cells) {
            self.rows.push((line, cells));
        }
        self.rows.len() < 10_000
    }
}

/// Reads as the import does: a panic inside a reader library (calamine, zip, quick-xml: code under the cargo
/// registry) is caught and the file called damaged, as the import's reader thread does, so it is not a finding
/// here; a panic in our own code still aborts. (calamine 0.38 overflows on a cell reference of many letters,
/// e.g. `AAAAAAAA1`: a panic with debug assertions, a wrapped column number in release, which the column limit
/// then refuses.)
fn read_like_the_import(ext: &str, data: &[u8]) -> Option<Rows> {
    let mut out = Rows::default();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        if !info.location().is_some_and(|l| l.file().contains("/.cargo/registry/")) {
            eprintln!("{info}");
            std::process::abort();
        }
    }));
    let read =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(ext, Input::Bytes(data.to_vec()), &mut out)));
    std::panic::set_hook(hook);
    matches!(read, Ok(Ok(()))).then_some(out)
}

pub fn check_rows(ext: &str, data: &[u8]) {
    let Some(out) = read_like_the_import(ext, data) else { return };
    assert!(out.rows.iter().all(|(_, cells)| cells.len() <= MAX_COLUMNS), "no row wider than the limit");
    assert!(out.rows.windows(2).all(|w| w[0].0 < w[1].0 || w[1].0 == 0), "row numbers only grow");
    let Some(((_, headers), rows)) = out.rows.split_first() else { return };
    let tags = TagIndex::new([("disabled", "残疾人", false, false), ("dibao", "低保", true, false)]);
    if let Ok(cols) = ResidentColumns::find(headers) {
        for (_, row) in rows {
            if let Ok(r) = parse_resident(&cols, row, &tags) {
                assert_eq!(r.id.as_str().len(), 18);
                assert!(is_code(&r.household) && r.grid.bytes().all(|b| b.is_ascii_digit()));
                assert!(!r.address.is_empty() || !r.house_code.is_empty());
            }
        }
    }
    if let Ok(cols) = HouseColumns::find(headers) {
        for (_, row) in rows {
            if let Ok(h) = parse_house(&cols, row) {
                assert!(!h.address.is_empty() && h.area_m2.is_none_or(|a| a > 0.0));
            }
        }
    }
}

//! Rows out of the spreadsheets community staff already keep (DESIGN.md §5): CSV in UTF-8 with or without BOM
//! or in GB18030 (what Excel on Chinese Windows saves), XLSX streamed cell by cell, and the old XLS/ODS. Every
//! cell comes out as trimmed text the way the user saw it (codes typed as numbers keep their digits, dates read
//! as `YYYY-MM-DD`). No database and no async: the import runs this on a thread of its own, the data-request
//! templates call the cell conversion, and the fuzz target `table_rows` feeds it arbitrary files.

use std::io::{Cursor, Read as _};
use std::path::{Path, PathBuf};

/// The bytes a reader owns: a file, or a copy of an upload.
pub enum Input {
    Path(PathBuf),
    Bytes(Vec<u8>),
}

/// Why a file cannot be read, in words for its user; the caller adds the file's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub String);

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn unreadable(e: impl std::fmt::Display) -> Unreadable {
    Unreadable(e.to_string())
}

/// Where the rows of a file go, in file order.
pub trait RowSink {
    /// The number of data rows to expect (an estimate: line breaks for CSV, a sheet's declared size), said once
    /// before the first row.
    fn expect(&mut self, rows: usize);
    /// One row: its number as the user sees it (the first row is 1) and its cells; false stops the reading.
    fn push(&mut self, line: usize, cells: Vec<String>) -> bool;
}

/// The widest row taken: far beyond any register list (the residents file has 13 columns), and it bounds what
/// one row can cost: a single cell in column XFD would otherwise make 16,384 cells of every row held in memory.
pub const MAX_COLUMNS: usize = 512;

fn too_wide(line: usize) -> Unreadable {
    Unreadable(format!("第{line}行超过{MAX_COLUMNS}列 / row {line} has more than {MAX_COLUMNS} columns"))
}

/// The file kinds [`read`] takes, by extension (lower case).
pub fn is_supported(ext: &str) -> bool {
    matches!(ext, "csv" | "xlsx" | "xls" | "ods")
}

/// Reads every row of a file of kind `ext` (see [`is_supported`]) into `out`.
pub fn read(ext: &str, input: Input, out: &mut impl RowSink) -> Result<(), Unreadable> {
    match ext {
        "csv" => read_csv(input, out),
        "xlsx" => read_xlsx(input, out),
        "xls" | "ods" => read_sheet(input, out),
        _ => Err(unreadable("应为 .csv 或 .xlsx / expected .csv or .xlsx")),
    }
}

/// Whether a row holds data: blank rows and `#` comment rows (the watermark line of a CSV export) do not.
pub fn keep(cells: &[String]) -> bool {
    cells.iter().any(|c| !c.is_empty()) && !cells.first().is_some_and(|c| c.starts_with('#'))
}

/// Whether a stream is valid UTF-8, and how many line breaks it has; reads in chunks, holds none of it.
pub fn scan_utf8(mut r: impl std::io::Read) -> std::io::Result<(bool, usize)> {
    let mut buf = vec![0u8; 1 << 16];
    let (mut carry, mut lines, mut ok) = (0usize, 0usize, true);
    loop {
        let n = r.read(&mut buf[carry..])?;
        if n == 0 {
            return Ok((ok && carry == 0, lines));
        }
        let end = carry + n;
        lines += memchr::memchr_iter(b'\n', &buf[carry..end]).count();
        carry = 0;
        if ok && let Err(e) = std::str::from_utf8(&buf[..end]) {
            if e.error_len().is_some() {
                ok = false;
            } else {
                // A character cut at the chunk's end: keep its first bytes for the next chunk.
                let valid = e.valid_up_to();
                buf.copy_within(valid..end, 0);
                carry = end - valid;
            }
        }
    }
}

type Reader = Box<dyn std::io::Read + Send>;

fn strip_bom(mut r: Reader) -> std::io::Result<Reader> {
    let mut head = [0u8; 3];
    let mut n = 0;
    while n < 3 {
        let m = r.read(&mut head[n..])?;
        if m == 0 {
            break;
        }
        n += m;
    }
    if head[..n] == *b"\xEF\xBB\xBF" { Ok(r) } else { Ok(Box::new(Cursor::new(head[..n].to_vec()).chain(r))) }
}

/// A cell as the text the user saw.
pub fn cell_text(c: &calamine::Data) -> String {
    use calamine::Data;
    match c {
        // Codes typed into Excel become numbers; keep them as the digits the user saw.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e17 => format!("{}", *f as i64),
        Data::Int(i) => i.to_string(),
        Data::Empty => String::new(),
        Data::DateTime(d) if !d.is_duration() => {
            let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
            (base + chrono::Duration::days(d.as_f64().floor() as i64)).format("%Y-%m-%d").to_string()
        }
        other => other.to_string().trim().to_string(),
    }
}

/// A streamed XLSX cell as text, like [`cell_text`] (text cells without a detour through `Data`).
pub fn cell_ref_text(c: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match c {
        DataRef::SharedString(s) => s.trim().to_string(),
        DataRef::String(s) => s.trim().to_string(),
        DataRef::Empty => String::new(),
        other => cell_text(&calamine::Data::from(other.clone())),
    }
}

fn read_csv(input: Input, out: &mut impl RowSink) -> Result<(), Unreadable> {
    let open = |p: &Path| -> Result<std::io::BufReader<std::fs::File>, Unreadable> {
        let f = std::fs::File::open(p).map_err(unreadable)?;
        Ok(std::io::BufReader::with_capacity(1 << 16, f))
    };
    let (utf8, lines) = match &input {
        Input::Path(p) => scan_utf8(open(p)?).map_err(unreadable)?,
        Input::Bytes(data) => (std::str::from_utf8(data).is_ok(), memchr::memchr_iter(b'\n', data).count()),
    };
    out.expect(lines.saturating_sub(1));
    let reader: Reader = if utf8 {
        match input {
            Input::Path(p) => Box::new(open(&p)?),
            Input::Bytes(data) => Box::new(Cursor::new(data)),
        }
    } else {
        // Excel on Chinese Windows saves CSV as GBK (a subset of GB18030). Such files are hand-made and small;
        // decode them whole.
        let bytes = match input {
            Input::Path(p) => std::fs::read(p).map_err(unreadable)?,
            Input::Bytes(data) => data,
        };
        let (text, _, bad) = encoding_rs::GB18030.decode(&bytes);
        if bad {
            return Err(unreadable("文件编码应为 UTF-8 或 GB18030 / the file is neither UTF-8 nor GB18030"));
        }
        Box::new(Cursor::new(text.into_owned().into_bytes()))
    };
    let reader = strip_bom(reader).map_err(unreadable)?;
    let mut csv =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).buffer_capacity(1 << 16).from_reader(reader);
    let mut record = csv::StringRecord::new();
    let mut last = 0;
    while csv.read_record(&mut record).map_err(unreadable)? {
        // The line the record starts on, as a text editor shows it; but the csv reader counts only `\n`, and a
        // file saved with bare `\r` line ends (old Mac Excel) would put every row on line 1.
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0).max(last + 1);
        last = line;
        if record.len() > MAX_COLUMNS {
            return Err(too_wide(line));
        }
        if !out.push(line, record.iter().map(|s| s.trim().to_string()).collect()) {
            break;
        }
    }
    Ok(())
}

/// XLSX streamed: the shared strings and styles are read first, then the first sheet's cells one at a time
/// (calamine's cell reader), so that memory holds the strings table and a chunk of rows, not the sheet.
fn read_xlsx(input: Input, out: &mut impl RowSink) -> Result<(), Unreadable> {
    use calamine::Reader;
    match input {
        Input::Path(p) => {
            let f = std::fs::File::open(&p).map_err(unreadable)?;
            xlsx_rows(calamine::Xlsx::new(std::io::BufReader::with_capacity(1 << 16, f)), out)
        }
        Input::Bytes(data) => xlsx_rows(calamine::Xlsx::new(Cursor::new(data)), out),
    }
}

fn xlsx_rows<RS: std::io::Read + std::io::Seek>(
    wb: std::result::Result<calamine::Xlsx<RS>, calamine::XlsxError>,
    out: &mut impl RowSink,
) -> Result<(), Unreadable> {
    use calamine::Reader;
    let mut wb = wb.map_err(unreadable)?;
    let sheet = wb.sheet_names().first().cloned().ok_or_else(|| unreadable("no sheet"))?;
    let mut cells = wb.worksheet_cells_reader(&sheet).map_err(unreadable)?;
    let dims = cells.dimensions();
    out.expect(dims.end.0.saturating_sub(dims.start.0) as usize);
    // The row being gathered: its 0-based index and cells (a row's cells come in order, rows in order).
    let mut row: Option<(u32, Vec<String>)> = None;
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let (r, c) = cell.get_position();
        // Excel and WPS write rows in order; a cell that goes back to an earlier row would split rows and
        // scatter their cells, so such a file is refused rather than read wrongly.
        if row.as_ref().is_some_and(|(at, _)| r < *at) {
            return Err(Unreadable(format!(
                "第{}行的单元格顺序错乱，文件已损坏 / the cells of row {} are out of order (damaged file)",
                r + 1,
                r + 1
            )));
        }
        if let Some((at, done)) = row.take_if(|(at, _)| *at != r)
            && !out.push(at as usize + 1, done)
        {
            return Ok(());
        }
        let text = cell_ref_text(cell.get_value());
        let cells = &mut row.get_or_insert_with(|| (r, Vec::new())).1;
        if !text.is_empty() {
            let c = c as usize;
            if c >= MAX_COLUMNS {
                return Err(too_wide(r as usize + 1));
            }
            if cells.len() <= c {
                cells.resize(c + 1, String::new());
            }
            cells[c] = text;
        }
    }
    if let Some((at, done)) = row {
        out.push(at as usize + 1, done);
    }
    Ok(())
}

/// `.xls` and `.ods`: calamine reads the whole sheet (these old formats hold at most 65,536 rows).
fn read_sheet(input: Input, out: &mut impl RowSink) -> Result<(), Unreadable> {
    use calamine::Reader;
    let range = match input {
        Input::Path(p) => {
            let mut wb = calamine::open_workbook_auto(&p).map_err(unreadable)?;
            let sheet = wb.sheet_names().first().cloned().ok_or_else(|| unreadable("no sheet"))?;
            wb.worksheet_range(&sheet).map_err(unreadable)?
        }
        Input::Bytes(data) => {
            let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(data)).map_err(unreadable)?;
            let sheet = wb.sheet_names().first().cloned().ok_or_else(|| unreadable("no sheet"))?;
            wb.worksheet_range(&sheet).map_err(unreadable)?
        }
    };
    let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    out.expect(range.height().saturating_sub(1));
    if range.width() > MAX_COLUMNS {
        return Err(too_wide(first_row + 1));
    }
    for (i, cells) in range.rows().enumerate() {
        if !out.push(first_row + i + 1, cells.iter().map(cell_text).collect()) {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default)]
    struct Collect {
        expected: usize,
        rows: Vec<(usize, Vec<String>)>,
    }

    impl RowSink for Collect {
        fn expect(&mut self, rows: usize) {
            self.expected = rows;
        }
        fn push(&mut self, line: usize, cells: Vec<String>) -> bool {
            self.rows.push((line, cells));
            true
        }
    }

    fn rows(ext: &str, data: Vec<u8>) -> Result<Collect, Unreadable> {
        let mut c = Collect::default();
        read(ext, Input::Bytes(data), &mut c).map(|()| c)
    }

    #[test]
    fn csv_in_utf8_with_bom_and_gb18030_reads_the_same() {
        let text = "姓名,户号\n 张三 ,H1\n";
        let (gbk, _, _) = encoding_rs::GB18030.encode(text);
        for data in [text.as_bytes().to_vec(), [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(), gbk.into_owned()]
        {
            let c = rows("csv", data).unwrap();
            assert_eq!(c.expected, 1);
            assert_eq!(c.rows[0], (1, vec!["姓名".to_string(), "户号".into()]));
            assert_eq!(c.rows[1], (2, vec!["张三".to_string(), "H1".into()]), "cells are trimmed");
        }
        assert!(rows("csv", b"\x81\x30\x81".to_vec()).unwrap_err().0.contains("GB18030"));
        let lines: Vec<usize> = rows("csv", b"a\rb\rc\r".to_vec()).unwrap().rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, [1, 2, 3], "bare CR line ends still number the rows");
    }

    #[test]
    fn utf8_is_checked_across_chunk_boundaries() {
        assert_eq!(scan_utf8(Cursor::new("张三\n李四\n".as_bytes())).unwrap(), (true, 2));
        assert!(!scan_utf8(Cursor::new(b"\xD5\xC5\xC8\xFD\n".as_slice())).unwrap().0);
        // A three-byte character cut by the 64 KiB read: still valid.
        let mut long = "a".repeat((1 << 16) - 1).into_bytes();
        long.extend_from_slice("张\n".as_bytes());
        assert_eq!(scan_utf8(Cursor::new(long)).unwrap(), (true, 1));
    }

    #[test]
    fn comment_and_blank_rows_are_not_data() {
        assert!(keep(&["张三".into()]));
        assert!(!keep(&["".into(), "".into()]));
        assert!(!keep(&["#导出人 admin".into(), "x".into()]));
    }

    #[test]
    fn a_row_wider_than_any_list_is_refused_with_its_number() {
        let mut csv = b"a,b\n".to_vec();
        csv.extend(std::iter::repeat_n(b',', MAX_COLUMNS + 1));
        csv.push(b'\n');
        assert!(rows("csv", csv).unwrap_err().0.contains("第2行"));

        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "姓名").unwrap();
        ws.write_string(3, 16_383, "stray").unwrap();
        let e = rows("xlsx", wb.save_to_buffer().unwrap()).unwrap_err();
        assert!(e.0.contains("第4行"), "{e}");
    }

    #[test]
    fn xlsx_numbers_and_dates_read_as_typed() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "网格编码").unwrap();
        ws.write_number(1, 0, 33019900100101.0).unwrap();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        let d = rust_xlsxwriter::ExcelDateTime::from_ymd(1980, 2, 15).unwrap();
        ws.write_datetime_with_format(1, 1, &d, &date).unwrap();
        let c = rows("xlsx", wb.save_to_buffer().unwrap()).unwrap();
        assert_eq!(c.rows[1], (2, vec!["33019900100101".to_string(), "1980-02-15".into()]));
    }

    #[test]
    fn a_sheet_whose_cells_go_back_to_an_earlier_row_is_refused() {
        // Found by the `xlsx_rows` fuzz target: cell F2 inside row 1 split the header and row 2.
        let data = include_bytes!("../../../fuzz/seeds/xlsx_rows/cell_of_a_later_row");
        let e = rows("xlsx", data.to_vec()).unwrap_err();
        assert!(e.0.contains("第1行") && e.0.contains("顺序"), "{e}");
        let good = include_bytes!("../../../fuzz/seeds/xlsx_rows/residents.xlsx");
        let c = rows("xlsx", good.to_vec()).unwrap();
        assert_eq!(c.rows.len(), 3);
        assert_eq!(c.rows[1].1[0], "张三");
        assert_eq!(
            c.rows[2],
            (
                3,
                vec![
                    "李四".to_string(),
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                    "33019900100101".into()
                ]
            ),
            "inline strings and numbers"
        );
    }

    #[test]
    fn damaged_and_unknown_files_are_unreadable() {
        assert!(rows("xlsx", b"not a zip".to_vec()).is_err());
        assert!(rows("ods", b"not a zip".to_vec()).is_err());
        assert!(rows("txt", b"a,b".to_vec()).is_err());
    }
}

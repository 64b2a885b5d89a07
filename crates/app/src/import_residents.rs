//! Resident and house lists (DESIGN.md §5): the Excel/CSV files community staff already keep, imported row by
//! row. Every row is checked on its own (domain parsers, duplicates, grid, house); accepted rows are written in
//! batches, each batch in one transaction with its houses, households, tags, history and audit record, so a
//! row is never half-written; rejected rows come back with their reason for the 错误原因 column.
//!
//! The file is streamed (CSV) or held once (XLSX) and processed in batches, so a million-row import stays
//! within a few hundred MB. Usable from the CLI (a path) and from a web upload (bytes + file name), with a
//! progress callback `(done, total)`.

use crate::import::{ImportReport, REASON_HEADER, RejectedRow, RejectedSink, errors_path};
use crate::{App, AppError, Result};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use wangge_domain::FieldError;
use wangge_domain::idcard::IdCardNo;
use wangge_domain::phone::Phone;
use wangge_domain::register::{HouseUsage, PopulationType};
pub use wangge_domain::register_file::{
    HOUSE_HEADERS, HouseColumns, HouseRow, RESIDENT_HEADERS, ResidentColumns, ResidentRow, TagIndex, parse_house,
    parse_resident,
};
use wangge_domain::role::Permission;
use wangge_domain::scope::Actor;
use wangge_store::audit::NewAudit;
use wangge_store::bulk::RegisterKeys;
use wangge_store::bulk_pg::PgBulk;
use wangge_store::bulk_sqlite::{ResidentBatch, SqliteBulk};
use wangge_store::register::{NewHouse, NewHousehold, NewPerson};
use wangge_store::{Store, StoreError};

/// Rows written per transaction (env `WANGGE_IMPORT_BATCH` overrides).
pub const BATCH_ROWS: usize = 10_000;

/// Rows per transaction: [`BATCH_ROWS`] unless `WANGGE_IMPORT_BATCH` says otherwise (1,000–200,000).
pub fn batch_rows() -> usize {
    std::env::var("WANGGE_IMPORT_BATCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(|n: usize| n.clamp(1_000, 200_000))
        .unwrap_or(BATCH_ROWS)
}

/// SQLite page cache of the importing connection in MiB (env `WANGGE_IMPORT_CACHE_MIB`; unset: SQLite's default).
/// Measured at 1M rows it did not pay: pool connections each keep their own cache (RSS +200 MB) and the
/// write volume stayed the same.
fn import_cache_mib() -> Option<u32> {
    std::env::var("WANGGE_IMPORT_CACHE_MIB").ok().and_then(|s| s.parse().ok()).map(|n: u32| n.clamp(2, 1024))
}

/// From this many rows (estimated from the file's lines) a SQLite import drops the non-unique people indexes
/// and rebuilds them at the end (env `WANGGE_IMPORT_DEFER_INDEXES_FROM`).
fn defer_indexes_from() -> usize {
    std::env::var("WANGGE_IMPORT_DEFER_INDEXES_FROM").ok().and_then(|s| s.parse().ok()).unwrap_or(200_000)
}

/// From this many rows a resident import reads filters of the registered keys first (when the file is at
/// least a sixteenth of the register), instead of looking up every row's keys.
const PREFILTER_FROM: usize = 10_000;

/// Where the rows come from: a file on disk (CLI) or an upload held in memory (web), named for its extension.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    Path(&'a Path),
    Bytes { name: &'a str, data: &'a [u8] },
}

impl Source<'_> {
    pub fn name(&self) -> String {
        match self {
            Source::Path(p) => p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            Source::Bytes { name, .. } => name.to_string(),
        }
    }

    fn ext(&self) -> String {
        Path::new(&self.name()).extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
    }
}

/// Progress of an import: `(rows done, rows in the file)`; the total is an estimate for CSV (its line count).
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Send + Sync);

/// For callers that do not show progress.
pub fn no_progress(_: usize, _: usize) {}

fn unreadable(name: &str, e: impl std::fmt::Display) -> AppError {
    AppError::field("FILE", format!("无法读取 / cannot read {name}: {e}"))
}

// ---------------------------------------------------------------------------------------------------------
// Reading rows

/// One data row: its number as the user sees it (header = 1) and its cells as text.
type Row = (usize, Vec<String>);

/// What the reading thread sends: the header row and the estimated number of data rows, chunks of rows, the end.
enum Part {
    Header(Vec<String>, usize),
    Chunk(Vec<Row>),
    End,
}

/// The rows of a file, read on a thread of their own a chunk or two ahead of the import (CSV from the file, XLSX
/// streamed from the sheet's XML), so that reading overlaps checking and writing and memory holds a few chunks,
/// never the whole file.
struct Rows {
    headers: Vec<String>,
    /// Data rows in the file (estimated: line breaks for CSV, the declared dimensions of a sheet).
    total: usize,
    rx: tokio::sync::mpsc::Receiver<Result<Part>>,
    done: bool,
}

impl Rows {
    /// The next chunk of rows (blank and comment rows left out); empty at the end of the file.
    async fn next_chunk(&mut self) -> Result<Vec<Row>> {
        if self.done {
            return Ok(Vec::new());
        }
        match self.rx.recv().await {
            Some(Ok(Part::Chunk(rows))) => Ok(rows),
            Some(Ok(Part::End)) => {
                self.done = true;
                Ok(Vec::new())
            }
            Some(Err(e)) => Err(e),
            Some(Ok(Part::Header(..))) | None => Err(AppError::internal("the import's file reader stopped")),
        }
    }
}

/// The reading thread's end of the channel: turns rows into the header and chunks.
struct RowSink {
    tx: tokio::sync::mpsc::Sender<Result<Part>>,
    chunk: usize,
    rows: Vec<Row>,
    started: bool,
    /// Data rows expected (set by the reader before its first row).
    total: usize,
}

impl wangge_tables::RowSink for RowSink {
    fn expect(&mut self, rows: usize) {
        self.total = rows;
    }

    /// Takes one row (blank and `#` comment rows are skipped; the first row kept is the header). False when
    /// the import has stopped listening, so the reader stops.
    fn push(&mut self, line: usize, cells: Vec<String>) -> bool {
        if !wangge_tables::keep(&cells) {
            return true;
        }
        if !self.started {
            self.started = true;
            return self.tx.blocking_send(Ok(Part::Header(cells, self.total))).is_ok();
        }
        self.rows.push((line, cells));
        if self.rows.len() < self.chunk {
            return true;
        }
        let rows = std::mem::replace(&mut self.rows, Vec::with_capacity(self.chunk));
        self.tx.blocking_send(Ok(Part::Chunk(rows))).is_ok()
    }
}

impl RowSink {
    /// Sends what is left and the end, or the reader's error (a file without a single row is unreadable).
    fn finish(mut self, name: &str, read: Result<()>) {
        let last = match read {
            Err(e) => Err(e),
            Ok(()) if !self.started => Err(unreadable(name, "文件为空 / the file is empty")),
            Ok(()) => {
                let rows = std::mem::take(&mut self.rows);
                if !rows.is_empty() && self.tx.blocking_send(Ok(Part::Chunk(rows))).is_err() {
                    return;
                }
                Ok(Part::End)
            }
        };
        let _ = self.tx.blocking_send(last);
    }
}

/// Opens a file and starts its reading thread; returns once the header row is read, so that an unreadable file
/// is an error before anything is written. Rows come in chunks of `chunk`.
async fn open_rows(src: Source<'_>, chunk: usize) -> Result<Rows> {
    let name = src.name();
    let ext = src.ext();
    if !wangge_tables::is_supported(&ext) {
        return Err(unreadable(&name, "应为 .csv 或 .xlsx / expected .csv or .xlsx"));
    }
    let input = match src {
        Source::Path(p) => wangge_tables::Input::Path(p.to_path_buf()),
        Source::Bytes { data, .. } => wangge_tables::Input::Bytes(data.to_vec()),
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(2);
    let mut out = RowSink { tx, chunk: chunk.max(1), rows: Vec::new(), started: false, total: 0 };
    std::thread::Builder::new()
        .name("import-reader".into())
        .spawn(move || {
            // A reader library's panic on a malformed file is that file's fault: say so instead of a 500.
            let read =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wangge_tables::read(&ext, input, &mut out)))
                    .unwrap_or_else(|_| Err(wangge_tables::Unreadable("文件已损坏 / the file is damaged".into())))
                    .map_err(|e| unreadable(&name, e));
            out.finish(&name, read);
        })
        .map_err(|e| AppError::internal(format!("starting the import's file reader: {e}")))?;
    match rx.recv().await {
        Some(Ok(Part::Header(headers, total))) => Ok(Rows { headers, total, rx, done: false }),
        Some(Err(e)) => Err(e),
        _ => Err(AppError::internal("the import's file reader stopped")),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Checking one row (pure)

/// The reason written to the 错误原因 column (without the row number).
fn reason(e: &FieldError) -> String {
    format!("{}：{}", e.field, e.message)
}

/// The first 17 digits of an 18-digit number as an integer: a compact in-memory key for "seen in this file".
fn id_key(id: &IdCardNo) -> u64 {
    id.as_str()[..17].parse().unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------------------
// Checks that need the database, remembered across batches

#[derive(Debug, Clone, Copy, PartialEq)]
enum GridState {
    Ok,
    Missing,
    NotGrid,
    Forbidden,
}

#[derive(Default)]
struct Known {
    grids: HashMap<String, GridState>,
    /// house code → grid code (None: no such house).
    house_codes: HashMap<String, Option<String>>,
    /// (grid, address) → house code, for addresses already looked up.
    addresses: HashMap<(String, String), String>,
    addresses_checked: HashSet<String>,
    /// 户号 → exists.
    households: HashMap<String, bool>,
    /// grid → last house number used for generated codes.
    house_seq: HashMap<String, u32>,
    /// Registered keys when the import read them first: a key the filter does not hold is not registered.
    filter: Option<RegisterKeys>,
}

impl Known {
    async fn load_grids(&mut self, app: &App, actor: &Actor, grids: &[&str]) -> Result<()> {
        let missing: Vec<&str> = unique(grids.iter().copied().filter(|g| !self.grids.contains_key(*g)));
        if missing.is_empty() {
            return Ok(());
        }
        let levels = app.store.region_levels(&missing).await?;
        for g in missing {
            let state = match levels.get(g).map(String::as_str) {
                None => GridState::Missing,
                Some("grid") if actor.may(Permission::ManageRegister, g) => GridState::Ok,
                Some("grid") => GridState::Forbidden,
                Some(_) => GridState::NotGrid,
            };
            self.grids.insert(g.to_string(), state);
        }
        Ok(())
    }

    fn grid_check(&self, grid: &str) -> std::result::Result<(), FieldError> {
        match self.grids.get(grid).copied().unwrap_or(GridState::Missing) {
            GridState::Ok => Ok(()),
            GridState::Missing => Err(FieldError::new("网格编码", format!("网格不存在 / no such grid: {grid}"))),
            GridState::NotGrid => Err(FieldError::new("网格编码", format!("不是网格编码 / not a grid code: {grid}"))),
            // Outside the caller's scope it is "not found", as everywhere (nobody learns what exists elsewhere).
            GridState::Forbidden => Err(FieldError::new("网格编码", format!("无权管理该网格 / not your grid: {grid}"))),
        }
    }

    async fn load_house_codes(&mut self, app: &App, codes: &[&str]) -> Result<()> {
        let missing: Vec<&str> =
            unique(codes.iter().copied().filter(|c| !c.is_empty() && !self.house_codes.contains_key(*c)));
        if missing.is_empty() {
            return Ok(());
        }
        let found = app.store.house_grids(&missing).await?;
        for c in missing {
            self.house_codes.insert(c.to_string(), found.get(c).cloned());
        }
        Ok(())
    }

    async fn load_addresses(&mut self, app: &App, addresses: &[&str]) -> Result<()> {
        let missing: Vec<&str> =
            unique(addresses.iter().copied().filter(|a| !a.is_empty() && !self.addresses_checked.contains(*a)));
        if missing.is_empty() {
            return Ok(());
        }
        self.addresses.extend(app.store.houses_at(&missing).await?);
        self.addresses_checked.extend(missing.iter().map(|a| a.to_string()));
        Ok(())
    }

    /// Addresses among `addresses` not looked up yet (each once) that the database may hold; those the filter
    /// rules out count as looked up.
    fn missing_addresses<'a>(&mut self, addresses: impl Iterator<Item = &'a str>) -> Vec<String> {
        let new = unique(addresses.filter(|a| !a.is_empty() && !self.addresses_checked.contains(*a)));
        let (ask, absent): (Vec<&str>, Vec<&str>) = match &self.filter {
            Some(f) => new.into_iter().partition(|a| f.addresses.may_contain(a.as_bytes())),
            None => (new, Vec::new()),
        };
        self.addresses_checked.extend(absent.into_iter().map(str::to_string));
        ask.into_iter().map(str::to_string).collect()
    }

    fn absorb_addresses(&mut self, looked_up: Vec<String>, found: HashMap<(String, String), String>) {
        self.addresses.extend(found);
        self.addresses_checked.extend(looked_up);
    }

    /// 户号 among `numbers` not looked up yet (each once) that the database may hold; those the filter rules
    /// out are known not to exist.
    fn missing_households<'a>(&mut self, numbers: impl Iterator<Item = &'a str>) -> Vec<String> {
        let new = unique(numbers.filter(|n| !self.households.contains_key(*n)));
        let (ask, absent): (Vec<&str>, Vec<&str>) = match &self.filter {
            Some(f) => new.into_iter().partition(|n| f.households.may_contain(n.as_bytes())),
            None => (new, Vec::new()),
        };
        self.households.extend(absent.into_iter().map(|n| (n.to_string(), false)));
        ask.into_iter().map(str::to_string).collect()
    }

    /// The blind indexes among `hashes` that the database may hold (all of them without a filter).
    fn maybe_registered(&self, hashes: impl Iterator<Item = String>) -> Vec<String> {
        match &self.filter {
            Some(f) => hashes.filter(|h| f.people.may_contain(h.as_bytes())).collect(),
            None => hashes.collect(),
        }
    }

    fn absorb_households(&mut self, looked_up: Vec<String>, found: HashSet<String>) {
        for n in looked_up {
            let exists = found.contains(&n);
            self.households.insert(n, exists);
        }
    }

    /// The next generated house code in `grid`: `F` + grid code + 4 digits.
    async fn next_house_code(&mut self, app: &App, grid: &str) -> Result<String> {
        let prefix = format!("F{grid}");
        if !self.house_seq.contains_key(grid) {
            let n = app.store.max_house_seq(&prefix, 4).await?;
            self.house_seq.insert(grid.to_string(), n);
        }
        loop {
            let seq = self.house_seq.entry(grid.to_string()).or_default();
            *seq += 1;
            let code = format!("{prefix}{:04}", *seq);
            if !self.house_codes.get(&code).is_some_and(Option::is_some) {
                return Ok(code);
            }
        }
    }
}

fn unique<'a>(it: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = HashSet::new();
    it.filter(|s| seen.insert(*s)).collect()
}

// ---------------------------------------------------------------------------------------------------------
// Errors file

/// The rejected rows as a file next to the input's name: `(file name, bytes)`, or None when nothing was
/// rejected. `.xlsx` in → `.xlsx` out, anything else → CSV (UTF-8 with BOM, which Excel reads).
pub fn errors_file(input_name: &str, report: &ImportReport) -> Result<Option<(String, Vec<u8>)>> {
    if report.rejected.is_empty() {
        return Ok(None);
    }
    let name =
        errors_path(Path::new(input_name)).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut bytes = Vec::new();
    write_errors(&name, report, &mut bytes)?;
    Ok(Some((name, bytes)))
}

/// The cells of one line of an errors file: the row's values, then 错误原因 with the row number.
fn error_line(report: &ImportReport, r: &RejectedRow) -> Vec<String> {
    let mut v = r.values.clone();
    v.resize(report.headers.len(), String::new());
    v.push(format!("第{}行 {}", r.row, r.reason));
    v
}

/// Writes the errors file named `name` (its extension picks the format) to `out`, one rejected row at a time.
fn write_errors(name: &str, report: &ImportReport, out: &mut impl std::io::Write) -> Result<()> {
    let mut headers = report.headers.clone();
    headers.push(REASON_HEADER.to_string());
    let fail = |e: String| AppError::internal(format!("writing {name}: {e}"));
    if name.ends_with(".xlsx") {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let text = rust_xlsxwriter::Format::new().set_num_format("@");
        for c in 0..headers.len() {
            ws.set_column_format(c as u16, &text).map_err(|e| fail(e.to_string()))?;
            ws.set_column_width(c as u16, if c + 1 == headers.len() { 60 } else { 16 })
                .map_err(|e| fail(e.to_string()))?;
        }
        for (c, v) in headers.iter().enumerate() {
            ws.write_string(0, c as u16, v).map_err(|e| fail(e.to_string()))?;
        }
        let mut r = 0u32;
        report.for_each_rejected(|row| {
            r += 1;
            for (c, v) in error_line(report, row).iter().enumerate() {
                ws.write_string(r, c as u16, v).map_err(|e| fail(e.to_string()))?;
            }
            Ok(())
        })?;
        let bytes = wb.save_to_buffer().map_err(|e| fail(e.to_string()))?;
        out.write_all(&bytes).map_err(|e| fail(e.to_string()))?;
    } else {
        out.write_all(b"\xEF\xBB\xBF").map_err(|e| fail(e.to_string()))?;
        let mut w = csv::Writer::from_writer(out);
        w.write_record(&headers).map_err(|e| fail(e.to_string()))?;
        report.for_each_rejected(|row| w.write_record(error_line(report, row)).map_err(|e| fail(e.to_string())))?;
        w.flush().map_err(|e| fail(e.to_string()))?;
    }
    Ok(())
}

/// Writes the rejected rows next to the input file (`residents.csv` → `residents.errors.csv`), streamed.
pub fn write_errors_file(input: &Path, report: &ImportReport) -> Result<Option<PathBuf>> {
    if report.rejected.is_empty() {
        return Ok(None);
    }
    let path = errors_path(input);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let fail = |e: std::io::Error| AppError::file_store(format!("writing {}", path.display()), &e);
    let mut f = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&path).map_err(fail)?);
    write_errors(&name, report, &mut f)?;
    std::io::Write::flush(&mut f).map_err(fail)?;
    Ok(Some(path))
}

// ---------------------------------------------------------------------------------------------------------
// Residents

struct Pending {
    row: usize,
    values: Vec<String>,
    r: ResidentRow,
    hash: String,
}

/// What one batch writes.
type Batch = ResidentBatch;

/// Where accepted batches go. On a SQLite file: a connection of the import's own (rusqlite, prepared
/// statements, see `wangge_store::bulk_sqlite`) that writes batch N on a blocking thread while batch N+1 is
/// read, checked and encrypted, and a read-only one for the batch's lookups. Elsewhere (PostgreSQL, an
/// in-memory database): the generic sqlx path, one transaction per batch.
// One per import: the size of the SQLite variant costs nothing.
#[allow(clippy::large_enum_variant)]
enum Sink {
    Sqlite {
        writer: Option<SqliteBulk>,
        reader: Option<SqliteBulk>,
        pending: Option<WriteTask<SqliteBulk>>,
    },
    /// PostgreSQL: COPY on a connection of the import's own, batch N written while N+1 is prepared.
    Postgres {
        writer: Option<PgBulk>,
        pending: Option<WriteTask<PgBulk>>,
    },
    Generic,
}

/// CPU time of the calling thread in ms (Linux; 0 elsewhere), for the debug log: on a shared machine the wall
/// time of a step says more about the neighbours than about the step.
fn thread_cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e6)
}

/// Resident memory of the process in MiB (Linux; 0 elsewhere), for the debug log.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

type WriteTask<W> = tokio::task::JoinHandle<(W, std::result::Result<(), StoreError>)>;

fn joined(e: tokio::task::JoinError) -> AppError {
    AppError::internal(format!("import writer: {e}"))
}

impl Sink {
    async fn open(app: &App) -> Result<Sink> {
        if std::env::var("WANGGE_IMPORT_GENERIC").is_ok_and(|v| v == "1") {
            return Ok(Sink::Generic);
        }
        if let Some(w) = app.store.pg_bulk().await? {
            return Ok(Sink::Postgres { writer: Some(w), pending: None });
        }
        Ok(match (app.store.sqlite_bulk(false)?, app.store.sqlite_bulk(true)?) {
            (Some(w), Some(r)) => Sink::Sqlite { writer: Some(w), reader: Some(r), pending: None },
            _ => Sink::Generic,
        })
    }

    /// Waits for the batch being written (its error, if any, is the import's).
    async fn settle(&mut self) -> Result<()> {
        if let Sink::Sqlite { writer, pending, .. } = self
            && let Some(task) = pending.take()
        {
            let (w, res) = task.await.map_err(joined)?;
            *writer = Some(w);
            res?;
        }
        if let Sink::Postgres { writer, pending } = self
            && let Some(task) = pending.take()
        {
            let (w, res) = task.await.map_err(joined)?;
            *writer = Some(w);
            res?;
        }
        Ok(())
    }

    /// Waits for the last batch, commits what is written and closes the import's own connections.
    async fn close(mut self) -> Result<()> {
        let settled = self.settle().await;
        let closed = match self {
            Sink::Sqlite { writer: Some(mut w), .. } => {
                tokio::task::spawn_blocking(move || w.commit()).await.map_err(joined)?.map_err(AppError::from)
            }
            Sink::Postgres { writer: Some(w), .. } => w.close().await.map_err(AppError::from),
            _ => Ok(()),
        };
        settled.and(closed)
    }

    /// Filters of the registered keys (see [`RegisterKeys`]), read on the import's own connection if it has one.
    async fn register_keys(&mut self, app: &App) -> Result<RegisterKeys> {
        let t = std::time::Instant::now();
        let keys = match self {
            Sink::Sqlite { reader, .. } => {
                let r = reader.take().ok_or_else(|| AppError::internal("import reader lost"))?;
                let (r, keys) = tokio::task::spawn_blocking(move || (r.register_keys(), r))
                    .await
                    .map_err(joined)
                    .map(|(k, r)| (r, k))?;
                *reader = Some(r);
                keys?
            }
            Sink::Postgres { .. } | Sink::Generic => app.store.register_keys().await?,
        };
        tracing::debug!(ms = t.elapsed().as_secs_f64() * 1000.0, "resident import read the registered keys");
        Ok(keys)
    }

    async fn write(&mut self, app: &App, batch: Batch) -> Result<()> {
        self.settle().await?;
        match self {
            Sink::Sqlite { writer, pending, .. } => {
                let mut w = writer.take().ok_or_else(|| AppError::internal("import writer lost"))?;
                *pending = Some(tokio::task::spawn_blocking(move || {
                    let (t, cpu) = (std::time::Instant::now(), thread_cpu_ms());
                    let res = w.write_batch(&batch);
                    tracing::debug!(
                        rows = batch.people.len(),
                        write_ms = t.elapsed().as_secs_f64() * 1000.0,
                        write_cpu_ms = thread_cpu_ms() - cpu,
                        "resident import batch written"
                    );
                    (w, res)
                }));
                Ok(())
            }
            Sink::Postgres { writer, pending } => {
                let mut w = writer.take().ok_or_else(|| AppError::internal("import writer lost"))?;
                *pending = Some(tokio::spawn(async move {
                    let res = w.write_batch(&batch).await;
                    (w, res)
                }));
                Ok(())
            }
            Sink::Generic => {
                let mut tx = app.store.begin().await?;
                if let Some(mib) = import_cache_mib().filter(|_| app.store.backend() == wangge_store::Backend::Sqlite) {
                    Store::set_cache_mib(&mut tx, mib).await?;
                }
                wangge_store::bulk::insert_resident_batch(
                    &mut tx,
                    &batch.houses,
                    &batch.households,
                    &batch.people,
                    &batch.household_tags,
                    (&batch.history_kind, &batch.note, &batch.actor),
                )
                .await?;
                Store::audit(
                    &mut tx,
                    NewAudit {
                        actor: &batch.actor,
                        action: "import",
                        object: &batch.audit_object,
                        reason: Some(&batch.note),
                        region_code: batch.audit_region.as_deref(),
                    },
                )
                .await?;
                tx.commit().await.map_err(StoreError::from)?;
                Ok(())
            }
        }
    }

    /// Which of `hashes` are registered, and the database's answers for the houses and households `known`
    /// has not seen yet.
    async fn lookups(
        &mut self,
        app: &App,
        hashes: Vec<String>,
        known: &mut Known,
        pending: &[Pending],
    ) -> Result<HashSet<String>> {
        let hashes = known.maybe_registered(hashes.into_iter());
        let addresses =
            known.missing_addresses(pending.iter().filter(|p| p.r.house_code.is_empty()).map(|p| p.r.address.as_str()));
        let numbers = known.missing_households(pending.iter().map(|p| p.r.household.as_str()));
        match self {
            Sink::Sqlite { reader, .. } => {
                let r = reader.take().ok_or_else(|| AppError::internal("import reader lost"))?;
                let (r, res) = tokio::task::spawn_blocking(move || {
                    let res = (|| -> std::result::Result<_, StoreError> {
                        let h: Vec<&str> = hashes.iter().map(String::as_str).collect();
                        let a: Vec<&str> = addresses.iter().map(String::as_str).collect();
                        let n: Vec<&str> = numbers.iter().map(String::as_str).collect();
                        Ok((
                            r.existing_id_hashes(&h)?,
                            r.houses_at(&a)?,
                            r.existing_households(&n)?,
                            addresses,
                            numbers,
                        ))
                    })();
                    (r, res)
                })
                .await
                .map_err(joined)?;
                *reader = Some(r);
                let (registered, houses, households, addresses, numbers) = res?;
                known.absorb_addresses(addresses, houses);
                known.absorb_households(numbers, households);
                Ok(registered)
            }
            Sink::Postgres { .. } | Sink::Generic => {
                let h: Vec<&str> = hashes.iter().map(String::as_str).collect();
                let registered = app.store.existing_id_hashes(&h).await?;
                let a: Vec<&str> = addresses.iter().map(String::as_str).collect();
                let houses = app.store.houses_at(&a).await?;
                let n: Vec<&str> = numbers.iter().map(String::as_str).collect();
                let households = app.store.existing_households(&n).await?;
                known.absorb_addresses(addresses, houses);
                known.absorb_households(numbers, households);
                Ok(registered)
            }
        }
    }
}

impl App {
    /// `wangge import residents FILE`: see the module docs. Accepted rows are committed batch by batch;
    /// an unreadable file (or one missing a required column) is an error before anything is written.
    pub async fn import_residents(
        &self,
        actor: &Actor,
        src: Source<'_>,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        self.authorize_anywhere(actor, Permission::ManageRegister)?;
        let batch = batch_rows();
        let mut rows = open_rows(src, batch).await?;
        let (total, headers) = (rows.total, std::mem::take(&mut rows.headers));
        let cols = ResidentColumns::find(&headers)?;
        let kinds = self.store.tag_kinds().await?;
        let tags =
            TagIndex::new(kinds.iter().map(|k| (k.code.as_str(), k.name.as_str(), k.level == "household", k.derived)));
        let note = format!("导入 {}", src.name());
        let mut report = ImportReport { imported: 0, headers, rejected: Vec::new(), spilled: None };
        let mut known = Known::default();
        // First 17 digits of every number accepted so far → its row.
        let mut seen: HashMap<u64, usize> = HashMap::new();
        let mut done = 0usize;
        progress(0, total);
        let mut sink = Sink::open(self).await?;
        let mut rejects = RejectedSink::default();
        // A file that is large next to the register: filters of the registered keys spare most lookups.
        if total >= PREFILTER_FROM && total.saturating_mul(16) as i64 >= self.store.max_id("people").await? {
            known.filter = Some(sink.register_keys(self).await?);
        }
        // Large loads: secondary indexes are built once at the end instead of maintained row by row.
        let deferred = total >= defer_indexes_from() && self.store.defer_people_indexes().await? > 0;
        let result: Result<()> = async {
            loop {
                let t_read = std::time::Instant::now();
                let chunk = rows.next_chunk().await?;
                if chunk.is_empty() {
                    return sink.settle().await;
                }
                tracing::debug!(
                    rows = chunk.len(),
                    wait_ms = t_read.elapsed().as_secs_f64() * 1000.0,
                    "resident import rows read"
                );
                done += chunk.len();
                let mut rejected = Vec::new();
                let planned = self
                    .resident_batch(actor, &cols, &tags, &note, chunk, &mut known, &mut seen, &mut rejected, &mut sink)
                    .await?;
                rejected.sort_by_key(|r: &RejectedRow| r.row);
                for r in rejected {
                    rejects.push(&mut report, r)?;
                }
                if let Some(b) = planned {
                    report.imported += b.people.len();
                    sink.write(self, b).await?;
                }
                progress(done, total.max(done));
            }
        }
        .await;
        // Whatever happened, the batch in flight is finished (committed or rolled back) before indexes return.
        let settled = sink.close().await;
        if deferred {
            let t = std::time::Instant::now();
            self.store.rebuild_deferred_indexes().await?;
            tracing::debug!(ms = t.elapsed().as_secs_f64() * 1000.0, "resident import indexes rebuilt");
        }
        result?;
        settled?;
        rejects.finish(&mut report)?;
        progress(done, done);
        report.rejected.sort_by_key(|r| r.row);
        Ok(report)
    }

    /// Checks one chunk of rows and plans what it writes (None when no row was accepted).
    #[allow(clippy::too_many_arguments)]
    async fn resident_batch(
        &self,
        actor: &Actor,
        cols: &ResidentColumns,
        tags: &TagIndex,
        note: &str,
        chunk: Vec<Row>,
        known: &mut Known,
        seen: &mut HashMap<u64, usize>,
        rejected: &mut Vec<RejectedRow>,
        sink: &mut Sink,
    ) -> Result<Option<Batch>> {
        // 1. Each row on its own (parsing, check digits, blind index) on the blocking pool: pure CPU work.
        let t0 = std::time::Instant::now();
        let crypto = self.crypto.clone();
        let cols2 = cols.clone();
        let tags2 = tags.clone();
        let parsed = tokio::task::spawn_blocking(move || {
            par_map(chunk, |(row, values)| match parse_resident(&cols2, &values, &tags2) {
                Ok(r) => {
                    let hash = crypto.blind_index("id_number", r.id.as_str());
                    Ok(Pending { row, values, r, hash })
                }
                Err(e) => Err(RejectedRow { row, values, reason: reason(&e) }),
            })
        })
        .await
        .map_err(|e| AppError::internal(e.to_string()))?;
        let mut pending = Vec::with_capacity(parsed.len());
        for p in parsed {
            match p {
                Ok(p) => pending.push(p),
                Err(r) => rejected.push(r),
            }
        }

        // 2. What the database knows about this batch's keys.
        let t_parse = t0.elapsed();
        let hashes: Vec<String> = pending.iter().map(|p| p.hash.clone()).collect();
        let grids: Vec<&str> = pending.iter().map(|p| p.r.grid.as_str()).collect();
        known.load_grids(self, actor, &grids).await?;
        let codes: Vec<&str> = pending.iter().map(|p| p.r.house_code.as_str()).collect();
        known.load_house_codes(self, &codes).await?;
        let registered = sink.lookups(self, hashes, known, &pending).await?;

        // 3. Row by row, in file order: duplicates, grid, house, household.
        let t_lookup = t0.elapsed();
        let mut batch = Batch::default();
        let mut accepted: Vec<Pending> = Vec::with_capacity(pending.len());
        for p in pending {
            let checked = self.resident_links(&p, &registered, seen, known, &mut batch).await?;
            match checked {
                Ok(()) => {
                    seen.insert(id_key(&p.r.id), p.row);
                    accepted.push(p);
                }
                Err(e) => rejected.push(RejectedRow { row: p.row, values: p.values, reason: reason(&e) }),
            }
        }
        if accepted.is_empty() {
            return Ok(None);
        }

        // 4. Encrypt (pure CPU); the caller writes the batch in one transaction with its audit record.
        let t_link = t0.elapsed();
        let crypto = self.crypto.clone();
        let (people, region) = tokio::task::spawn_blocking(move || {
            let region = common_prefix(accepted.iter().map(|p| p.r.grid.as_str()));
            (par_map(accepted, |p| new_person(&crypto, p)), region)
        })
        .await
        .map_err(|e| AppError::internal(e.to_string()))?;
        batch.audit_object = format!("residents:{} rows", people.len());
        batch.people = people;
        batch.audit_region = region;
        batch.history_kind = "registered".into();
        batch.note = note.to_string();
        batch.actor = actor.username.clone();
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        tracing::debug!(
            rows = batch.people.len(),
            parse_ms = ms(t_parse),
            lookup_ms = ms(t_lookup - t_parse),
            link_ms = ms(t_link - t_lookup),
            encrypt_ms = ms(t0.elapsed() - t_link),
            rss_mib = rss_mib(),
            "resident import batch checked"
        );
        Ok(Some(batch))
    }

    /// Links one checked row to its grid, house and household, planning what must be created.
    async fn resident_links(
        &self,
        p: &Pending,
        registered: &HashSet<String>,
        seen: &HashMap<u64, usize>,
        known: &mut Known,
        batch: &mut Batch,
    ) -> Result<std::result::Result<(), FieldError>> {
        let r = &p.r;
        if let Some(first) = seen.get(&id_key(&r.id)) {
            return Ok(Err(FieldError::new("公民身份号码", format!("与第{first}行重复 / duplicates row {first}"))));
        }
        if registered.contains(&p.hash) {
            return Ok(Err(FieldError::new("公民身份号码", "该人员已登记 / this person is already registered")));
        }
        if let Err(e) = known.grid_check(&r.grid) {
            return Ok(Err(e));
        }
        let house_code = if !r.house_code.is_empty() {
            match known.house_codes.get(&r.house_code).cloned().flatten() {
                None => {
                    return Ok(Err(FieldError::new(
                        "房屋编码",
                        format!("房屋不存在 / no such house: {}", r.house_code),
                    )));
                }
                Some(g) if g != r.grid => {
                    return Ok(Err(FieldError::new(
                        "房屋编码",
                        format!("房屋 {} 不在网格 {} / the house is in grid {g}", r.house_code, r.grid),
                    )));
                }
                Some(_) => r.house_code.clone(),
            }
        } else {
            let key = (r.grid.clone(), r.address.clone());
            match known.addresses.get(&key) {
                Some(code) => code.clone(),
                None => {
                    let code = known.next_house_code(self, &r.grid).await?;
                    batch.houses.push(NewHouse {
                        code: code.clone(),
                        building_code: String::new(),
                        grid_code: r.grid.clone(),
                        address: r.address.clone(),
                        building: String::new(),
                        unit: String::new(),
                        room: String::new(),
                        area_m2: None,
                        usage: HouseUsage::SelfOccupied.as_str().to_string(),
                        owner_name: String::new(),
                        lon: None,
                        lat: None,
                    });
                    known.house_codes.insert(code.clone(), Some(r.grid.clone()));
                    known.addresses.insert(key, code.clone());
                    code
                }
            }
        };
        if !known.households.get(&r.household).copied().unwrap_or(false) {
            batch.households.push(NewHousehold {
                number: r.household.clone(),
                house_code,
                grid_code: r.grid.clone(),
                registered: r.population_type == PopulationType::Registered,
                tags: Vec::new(),
            });
            known.households.insert(r.household.clone(), true);
        }
        for t in &r.household_tags {
            batch.household_tags.push((r.household.clone(), t.clone()));
        }
        Ok(Ok(()))
    }
}

/// `items.into_iter().map(f).collect()`, spread over the machine's cores (order kept). Parsing, hashing and
/// encrypting a row are pure CPU work of a few microseconds each.
fn par_map<T: Send, U: Send>(mut items: Vec<T>, f: impl Fn(T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8);
    if threads < 2 || items.len() < 256 {
        return items.into_iter().map(f).collect();
    }
    let per = items.len().div_ceil(threads);
    let mut parts = Vec::with_capacity(threads);
    while items.len() > per {
        let tail = items.split_off(items.len() - per);
        parts.push(tail);
    }
    parts.push(items);
    parts.reverse();
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> =
            parts.into_iter().map(|part| s.spawn(move || part.into_iter().map(f).collect::<Vec<U>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

fn new_person(crypto: &wangge_store::Crypto, p: Pending) -> NewPerson {
    let r = p.r;
    NewPerson {
        id_number_enc: crypto.encrypt(r.id.as_str()),
        id_number_hash: p.hash,
        id_number_masked: r.id.masked(),
        gender: r.gender.as_str().to_string(),
        // As `%Y-%m-%d` (birth years have four digits), without chrono's format-string interpreter per row.
        birth_date: {
            use chrono::Datelike as _;
            format!("{:04}-{:02}-{:02}", r.birth.year(), r.birth.month(), r.birth.day())
        },
        phone_enc: r.phone.as_ref().map(|x| crypto.encrypt(x.as_str())),
        phone_hash: r.phone.as_ref().map(|x| crypto.blind_index("phone", x.as_str())),
        phone_masked: r.phone.as_ref().map(Phone::masked),
        population_type: r.population_type.as_str().to_string(),
        name: r.name,
        ethnicity: r.ethnicity,
        household_number: r.household,
        relation: r.relation,
        grid_code: r.grid,
        tags: r.person_tags,
    }
}

/// The deepest region code every grid of a batch lies in (for the audit record's region).
fn common_prefix<'a>(mut codes: impl Iterator<Item = &'a str>) -> Option<String> {
    let first = codes.next()?.to_string();
    let mut len = first.len();
    for c in codes {
        len = first.bytes().zip(c.bytes()).take(len).take_while(|(a, b)| a == b).count();
    }
    // Region codes have 6, 9, 12 or more digits; cut to the nearest level boundary.
    let len = match len {
        l if l >= first.len() => l,
        l if l >= 12 => 12,
        l if l >= 9 => 9,
        l if l >= 6 => 6,
        _ => return None,
    };
    Some(first[..len].to_string())
}

// ---------------------------------------------------------------------------------------------------------
// Houses

impl App {
    /// `wangge import houses FILE`: 房屋编码 (optional; generated as `F` + grid + 4 digits), 网格编码, 房屋地址,
    /// 楼栋, 单元, 房号, 面积, 房屋用途, 产权人. An existing code, or an address already registered in that grid,
    /// is a duplicate; importing the same file twice adds nothing.
    pub async fn import_houses(&self, actor: &Actor, src: Source<'_>, progress: Progress<'_>) -> Result<ImportReport> {
        self.authorize_anywhere(actor, Permission::ManageRegister)?;
        let mut rows = open_rows(src, batch_rows()).await?;
        let (total, headers) = (rows.total, std::mem::take(&mut rows.headers));
        let cols = HouseColumns::find(&headers)?;
        let note = format!("导入 {}", src.name());
        let mut report = ImportReport { imported: 0, headers, rejected: Vec::new(), spilled: None };
        let mut known = Known::default();
        let mut done = 0usize;
        progress(0, total);
        loop {
            let chunk = rows.next_chunk().await?;
            if chunk.is_empty() {
                break;
            }
            done += chunk.len();
            let mut pending = Vec::new();
            for (row, values) in chunk {
                match parse_house(&cols, &values) {
                    Ok(h) => pending.push((row, values, h)),
                    Err(e) => report.rejected.push(RejectedRow { row, values, reason: reason(&e) }),
                }
            }
            let grids: Vec<&str> = pending.iter().map(|p| p.2.grid.as_str()).collect();
            known.load_grids(self, actor, &grids).await?;
            let codes: Vec<&str> = pending.iter().map(|p| p.2.code.as_str()).collect();
            known.load_house_codes(self, &codes).await?;
            let addresses: Vec<&str> = pending.iter().map(|p| p.2.address.as_str()).collect();
            known.load_addresses(self, &addresses).await?;
            let mut houses = Vec::new();
            for (row, values, h) in pending {
                let check = (|| {
                    known.grid_check(&h.grid)?;
                    if !h.code.is_empty() && known.house_codes.get(&h.code).is_some_and(Option::is_some) {
                        return Err(FieldError::new(
                            "房屋编码",
                            format!("房屋编码已存在 / the house code exists: {}", h.code),
                        ));
                    }
                    if let Some(c) = known.addresses.get(&(h.grid.clone(), h.address.clone())) {
                        return Err(FieldError::new(
                            "房屋地址",
                            format!(
                                "该网格已登记此地址（房屋编码 {c}） / this address is registered in the grid as {c}"
                            ),
                        ));
                    }
                    Ok(())
                })();
                if let Err(e) = check {
                    report.rejected.push(RejectedRow { row, values, reason: reason(&e) });
                    continue;
                }
                let code = if h.code.is_empty() { known.next_house_code(self, &h.grid).await? } else { h.code.clone() };
                known.house_codes.insert(code.clone(), Some(h.grid.clone()));
                known.addresses.insert((h.grid.clone(), h.address.clone()), code.clone());
                houses.push(NewHouse {
                    code,
                    building_code: String::new(),
                    grid_code: h.grid,
                    address: h.address,
                    building: h.building,
                    unit: h.unit,
                    room: h.room,
                    area_m2: h.area_m2,
                    usage: h.usage.as_str().to_string(),
                    owner_name: h.owner,
                    lon: None,
                    lat: None,
                });
            }
            if !houses.is_empty() {
                let mut tx = self.store.begin().await?;
                Store::insert_houses(&mut tx, &houses).await?;
                let region = common_prefix(houses.iter().map(|h| h.grid_code.as_str()));
                Store::audit(
                    &mut tx,
                    NewAudit {
                        actor: &actor.username,
                        action: "import",
                        object: &format!("houses:{} rows", houses.len()),
                        reason: Some(&note),
                        region_code: region.as_deref(),
                    },
                )
                .await?;
                tx.commit().await.map_err(StoreError::from)?;
                report.imported += houses.len();
            }
            progress(done, total.max(done));
        }
        progress(done, done);
        report.rejected.sort_by_key(|r| r.row);
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_that_makes_the_reader_library_panic_is_unreadable_not_a_crash() {
        // From the `xlsx_rows` fuzz target: calamine overflows on a cell reference of many letters (a panic
        // with debug assertions, as here).
        let data = include_bytes!("../../../fuzz/seeds/xlsx_rows/long_column_letters");
        let e = open_rows(Source::Bytes { name: "x.xlsx", data }, 10).await.err().expect("refused");
        assert_eq!(e.field_name(), Some("FILE"));
        let e = crate::data_requests::read_template_for_test(data).expect_err("refused");
        assert_eq!(e.field_name(), Some("file"));
    }

    #[tokio::test]
    async fn encodings_and_comments() {
        let text = "姓名,户号\n张三,H1\n#导出人 admin\n\n";
        let (gbk, _, _) = encoding_rs::GB18030.encode(text);
        for data in [text.as_bytes().to_vec(), [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(), gbk.into_owned()]
        {
            let mut rows = open_rows(Source::Bytes { name: "x.csv", data: &data }, 10).await.unwrap();
            assert_eq!(rows.headers, vec!["姓名", "户号"]);
            assert_eq!(rows.next_chunk().await.unwrap(), vec![(2, vec!["张三".to_string(), "H1".to_string()])]);
            assert!(rows.next_chunk().await.unwrap().is_empty());
            assert!(rows.next_chunk().await.unwrap().is_empty(), "the end stays the end");
        }
        assert!(open_rows(Source::Bytes { name: "x.csv", data: b"" }, 10).await.is_err());
        assert!(open_rows(Source::Bytes { name: "x.csv", data: b"\n,,\n#x\n" }, 10).await.is_err());
        assert!(open_rows(Source::Bytes { name: "x.txt", data: b"a,b" }, 10).await.is_err());
        assert!(open_rows(Source::Bytes { name: "x.xlsx", data: b"not a zip" }, 10).await.is_err());
    }

    #[tokio::test]
    async fn xlsx_is_streamed_row_by_row() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["姓名", "网格编码", "出生日期", "备注"].iter().enumerate() {
            ws.write_string(1, c as u16, *h).unwrap(); // a blank first row above the header
        }
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        for i in 0..25u32 {
            ws.write_string(2 + i, 0, format!(" 人{i} ")).unwrap();
            ws.write_number(2 + i, 1, 33019900100101.0).unwrap();
            if i % 2 == 0 {
                let d = rust_xlsxwriter::ExcelDateTime::from_ymd(1980, 2, 15).unwrap();
                ws.write_datetime_with_format(2 + i, 2, &d, &date).unwrap();
            }
        }
        ws.write_string(30, 3, "last, after blank rows").unwrap();
        let data = wb.save_to_buffer().unwrap();
        let mut rows = open_rows(Source::Bytes { name: "x.xlsx", data: &data }, 10).await.unwrap();
        assert_eq!(rows.headers, vec!["姓名", "网格编码", "出生日期", "备注"]);
        let mut all = Vec::new();
        loop {
            let chunk = rows.next_chunk().await.unwrap();
            if chunk.is_empty() {
                break;
            }
            assert!(chunk.len() <= 10);
            all.extend(chunk);
        }
        assert_eq!(all.len(), 26);
        assert_eq!(all[0], (3, vec!["人0".to_string(), "33019900100101".into(), "1980-02-15".into()]));
        assert_eq!(all[1], (4, vec!["人1".to_string(), "33019900100101".into()]));
        assert_eq!(all[25], (31, vec![String::new(), String::new(), String::new(), "last, after blank rows".into()]));
    }

    /// Web handlers run these on a multi-threaded runtime: the futures must be Send (checked at compile time).
    #[allow(dead_code)]
    fn imports_are_send(app: &App, actor: &Actor) {
        fn is_send<T: Send>(_: &T) {}
        let src = Source::Bytes { name: "a.csv", data: b"" };
        is_send(&app.import_residents(actor, src, &no_progress));
        is_send(&app.import_houses(actor, src, &no_progress));
        is_send(&app.export_residents(actor, Path::new("x.csv")));
    }

    #[test]
    fn par_map_keeps_order() {
        let v: Vec<usize> = (0..10_001).collect();
        assert_eq!(par_map(v.clone(), |x| x * 2), v.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(par_map(vec![1, 2, 3], |x| x + 1), vec![2, 3, 4]);
    }

    #[test]
    fn region_of_a_batch() {
        assert_eq!(common_prefix(["33019900100101", "33019900100102"].into_iter()).as_deref(), Some("330199001001"));
        assert_eq!(common_prefix(["33019900100101", "33019900200102"].into_iter()).as_deref(), Some("330199"));
        assert_eq!(common_prefix(["33019900100101"].into_iter()).as_deref(), Some("33019900100101"));
        assert_eq!(common_prefix(["33019900100101", "44019900100101"].into_iter()), None);
    }
}

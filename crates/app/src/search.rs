//! Finding people by name (汉字), full pinyin, pinyin initials ("zsf" for 张三丰) or address, within the
//! caller's subtrees, in a few milliseconds over a million people.
//!
//! The index is held in memory by the [`App`] and is nothing but compact byte arenas scanned with
//! `memchr::memmem` (SIMD substring search): one arena of names, one of full pinyin, one of initials and one
//! of house addresses, each text between NUL bytes. A scan of the ~30 MB a million people take is a few
//! milliseconds, cheaper to keep and to patch than an n-gram inverted index, and it finds any substring.
//! It never holds a 身份证号 or a phone number: exact lookups on those go through the blind index in the
//! database (`Store::people_by_id_number_hash`, `people_by_phone_hash`).
//!
//! Freshness: the index is built on first use (or by [`App::refresh_search_index`] at start-up) and, before
//! every search, patched with the people changed since its watermark (`MAX(updated_at)` and `MAX(id)` of
//! `people`, both answered from an index), so writes by this process, another server or a CLI import show up
//! at the next search. Since a transaction stamps `updated_at` before it commits, rows stamped within the
//! last few seconds are also compared by a fingerprint (count and sum of stamps), at most every
//! [`LATE_CHECK`], and reloaded when it differs: such a late commit shows up within a second.
//! Houses' and households' changes (addresses, moves of a whole household) are checked before every search
//! when that is cheap, otherwise at most every [`HOUSE_CHECK`] (their `updated_at` columns have no index). A
//! patch appends new text and leaves the old text unreachable; when too much is unreachable, or a bulk import
//! changed many rows, the index is rebuilt instead.
//!
//! Memory: about 105 bytes per person with a 3-character name and 80-byte addresses shared by 2.5 people
//! (~100 MiB for a million). Names, addresses and grid codes only.
//!
//! Ranking, best first: exact name, name prefix, exact pinyin or initials, pinyin or initials prefix, name
//! substring, pinyin from a later syllable ("sanfeng"), address substring; ties by id. Several words (split
//! on spaces) must all match, and their ranks add up; words that are all letters are joined first, so
//! "zhang san feng" is the pinyin "zhangsanfeng".

use crate::{App, AppError, Result};
use memchr::memmem;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use wangge_domain::pinyin::{NameKeys, name_keys};
use wangge_store::search::{PAGE, PeopleMark, SearchPerson};

/// How far behind its watermark a refresh looks again: a transaction stamps `updated_at` before it commits,
/// so a row may become visible after a later-stamped one was already read.
const SLACK_MS: i64 = 10_000;
/// Late commits (see `refresh_search_index`) are looked for at most this often: the check counts every row
/// stamped in the last SLACK_MS, which after a bulk write is many.
pub const LATE_CHECK: Duration = Duration::from_secs(1);
/// Houses and households are checked for changes at most this often (their `updated_at` has no index).
pub const HOUSE_CHECK: Duration = Duration::from_secs(5);
/// At most this many words of a query are used.
const MAX_TERMS: usize = 6;

const NONE: u32 = u32::MAX;
const NO_RANK: u8 = u8::MAX;

/// Ranks of a match, lower is better.
pub mod rank {
    pub const NAME_EXACT: u8 = 0;
    pub const NAME_PREFIX: u8 = 1;
    pub const KEY_EXACT: u8 = 2;
    pub const KEY_PREFIX: u8 = 3;
    pub const NAME_INNER: u8 = 4;
    pub const PINYIN_INNER: u8 = 5;
    pub const ADDRESS: u8 = 6;
}

/// Folds text for matching: full-width ASCII (Ａ１) to ASCII, ASCII to lowercase, ü to v, controls and the
/// ideographic space to spaces. Applied alike to what is indexed and to queries.
pub fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c).to_ascii_lowercase(),
            '\u{3000}' => ' ',
            'ü' | 'Ü' => 'v',
            c if c.is_control() => ' ',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Texts separated by NUL bytes (`\0a\0b\0`), so that a match never spans two texts and `\0` + q finds
/// prefixes; entry `k` starts at `starts[k]`.
#[derive(Debug)]
struct Arena {
    bytes: Vec<u8>,
    starts: Vec<u32>,
}

impl Default for Arena {
    fn default() -> Self {
        Arena { bytes: vec![0], starts: Vec::new() }
    }
}

impl Arena {
    fn push(&mut self, text: &str) -> u32 {
        let k = self.starts.len() as u32;
        self.starts.push(self.bytes.len() as u32);
        self.bytes.extend_from_slice(text.as_bytes());
        self.bytes.push(0);
        k
    }

    fn end(&self, k: usize) -> usize {
        match self.starts.get(k + 1) {
            Some(&s) => s as usize - 1,
            None => self.bytes.len() - 1,
        }
    }

    fn get(&self, k: u32) -> &[u8] {
        let k = k as usize;
        &self.bytes[self.starts[k] as usize..self.end(k)]
    }

    /// Calls `f(entry, offset in entry, entry length)` for occurrences of `needle` in increasing order;
    /// once `f` returns true, later occurrences in the same entry are skipped.
    fn find(&self, needle: &[u8], mut f: impl FnMut(usize, usize, usize) -> bool) {
        if needle.is_empty() || self.starts.is_empty() {
            return;
        }
        let mut cur = Cursor::default();
        let mut done = usize::MAX;
        for p in memmem::find_iter(&self.bytes, needle) {
            let k = cur.entry(&self.starts, p);
            if k == done {
                continue;
            }
            let start = self.starts[k] as usize;
            if f(k, p - start, self.end(k) - start) {
                done = k;
            }
        }
    }

    /// Calls `f(entry, entry length)` for entries that start with `needle`.
    fn find_prefix(&self, needle: &[u8], mut f: impl FnMut(usize, usize)) {
        if needle.is_empty() || self.starts.is_empty() {
            return;
        }
        let mut pattern = Vec::with_capacity(needle.len() + 1);
        pattern.push(0);
        pattern.extend_from_slice(needle);
        let mut cur = Cursor::default();
        for p in memmem::find_iter(&self.bytes, &pattern) {
            // The NUL at `p` ends the previous entry; the entry starting at p + 1 is the one matched.
            let k = cur.entry(&self.starts, p + 1);
            f(k, self.end(k) - self.starts[k] as usize);
        }
    }

    fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.starts.capacity() * 4
    }

    fn shrink(&mut self) {
        self.bytes.shrink_to_fit();
        self.starts.shrink_to_fit();
    }
}

/// Maps increasing byte positions to entries by galloping forward: O(log gap) per position.
#[derive(Default)]
struct Cursor {
    k: usize,
}

impl Cursor {
    fn entry(&mut self, starts: &[u32], p: usize) -> usize {
        let p = p as u32;
        let mut step = 1;
        while self.k + step < starts.len() && starts[self.k + step] <= p {
            step *= 2;
        }
        let lo = self.k + step / 2;
        let hi = (self.k + step).min(starts.len());
        // The last entry in [lo, hi) starting at or before p (starts[lo] <= p holds).
        self.k = lo + starts[lo..hi].partition_point(|&s| s <= p) - 1;
        self.k
    }
}

/// The search index over names, pinyin and addresses (see the module documentation).
#[derive(Debug, Default)]
pub struct SearchIndex {
    // Per person slot.
    ids: Vec<i64>,
    stamps: Vec<i64>,
    /// Interned grid, or NONE when the person is not searchable (merged into another record).
    grid: Vec<u32>,
    /// House slot, or NONE.
    house: Vec<u32>,
    /// Present or away: listed by default (moved-out and deceased people only when all statuses are asked for).
    current: Vec<bool>,
    /// The person's current entry in the name arenas.
    entry: Vec<u32>,
    /// `ids[..sorted]` ascend (people arrive in id order); later slots are found through `extra`.
    sorted: usize,
    extra: HashMap<i64, u32>,
    live: usize,

    // Name entries, appended together to the three arenas, so one entry index serves all three.
    names: Arena,
    pinyin: Arena,
    initials: Arena,
    entry_owner: Vec<u32>,
    entry_starts: Vec<u32>,

    // Houses.
    house_slots: HashMap<i64, u32>,
    house_entry: Vec<u32>,
    addresses: Arena,
    address_owner: Vec<u32>,
    /// The addresses that contain a Latin letter (`A座`), again: a query with a letter only scans these.
    latin: Arena,
    latin_owner: Vec<u32>,
    /// Per house slot, its current entry in `latin`, or NONE.
    latin_entry: Vec<u32>,

    grids: Vec<String>,
    grid_ids: HashMap<String, u32>,
    /// Entries no longer reachable (a name or address replaced by a patch).
    stale: usize,
}

impl SearchIndex {
    /// People that can be found.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// When patches have left too much unreachable text behind, a rebuild from the database is cheaper.
    pub fn wants_rebuild(&self) -> bool {
        self.stale > self.ids.len() / 4 + 50_000
    }

    /// Approximate heap memory held, in bytes.
    pub fn heap_bytes(&self) -> usize {
        let map = |n: usize, entry: usize| n * (entry + 1) * 8 / 7;
        self.ids.capacity() * 8
            + self.stamps.capacity() * 8
            + self.grid.capacity() * 4
            + self.house.capacity() * 4
            + self.current.capacity()
            + self.entry.capacity() * 4
            + map(self.extra.capacity(), 12)
            + self.names.heap_bytes()
            + self.pinyin.heap_bytes()
            + self.initials.heap_bytes()
            + self.entry_owner.capacity() * 4
            + self.entry_starts.capacity() * 4
            + map(self.house_slots.capacity(), 12)
            + self.house_entry.capacity() * 4
            + self.addresses.heap_bytes()
            + self.address_owner.capacity() * 4
            + self.latin.heap_bytes()
            + self.latin_owner.capacity() * 4
            + self.latin_entry.capacity() * 4
            + self.grids.iter().map(|g| g.capacity() + 24).sum::<usize>()
            + map(self.grid_ids.capacity(), 28)
    }

    /// Releases the slack that growing vectors keep (up to half of each after a full build).
    pub fn shrink(&mut self) {
        for v in [&mut self.ids, &mut self.stamps] {
            v.shrink_to_fit();
        }
        for v in [
            &mut self.grid,
            &mut self.house,
            &mut self.entry,
            &mut self.entry_owner,
            &mut self.entry_starts,
            &mut self.house_entry,
            &mut self.address_owner,
            &mut self.latin_owner,
            &mut self.latin_entry,
        ] {
            v.shrink_to_fit();
        }
        for a in [&mut self.names, &mut self.pinyin, &mut self.initials, &mut self.addresses, &mut self.latin] {
            a.shrink();
        }
        self.extra.shrink_to_fit();
        self.house_slots.shrink_to_fit();
    }

    fn slot(&self, id: i64) -> Option<usize> {
        if let Ok(i) = self.ids[..self.sorted].binary_search(&id) {
            return Some(i);
        }
        self.extra.get(&id).map(|&s| s as usize)
    }

    /// `(count, sum of updated_at - lo)` of the people the index holds with `lo < updated_at <= hi` (merged ones
    /// included, as in the database): compared with `Store::search_people_window`.
    pub fn window(&self, lo: i64, hi: i64) -> (i64, i64) {
        self.stamps.iter().filter(|&&s| s > lo && s <= hi).fold((0, 0), |(n, sum), &s| (n + 1, sum + (s - lo)))
    }

    /// The `updated_at` the index holds for a person, if it knows them.
    pub fn stamp(&self, id: i64) -> Option<i64> {
        self.slot(id).map(|s| self.stamps[s])
    }

    fn intern_grid(&mut self, code: &str) -> u32 {
        if let Some(&g) = self.grid_ids.get(code) {
            return g;
        }
        let g = self.grids.len() as u32;
        self.grids.push(code.to_string());
        self.grid_ids.insert(code.to_string(), g);
        g
    }

    fn push_name(&mut self, slot: u32, folded: &str, name: &str) -> u32 {
        let keys = name_keys(name);
        let k = self.names.push(folded);
        self.pinyin.push(&keys.full);
        self.initials.push(&keys.initials);
        self.entry_owner.push(slot);
        self.entry_starts.push(keys.starts);
        k
    }

    /// Adds or replaces a house's address.
    pub fn upsert_house(&mut self, id: i64, address: &str) {
        let folded = fold(address);
        let h = match self.house_slots.get(&id) {
            Some(&h) => {
                if self.addresses.get(self.house_entry[h as usize]) == folded.as_bytes() {
                    return;
                }
                self.stale += 1;
                h
            }
            None => {
                let h = self.house_entry.len() as u32;
                self.house_slots.insert(id, h);
                self.house_entry.push(NONE);
                self.latin_entry.push(NONE);
                h
            }
        };
        self.house_entry[h as usize] = self.addresses.push(&folded);
        self.address_owner.push(h);
        self.latin_entry[h as usize] = if folded.bytes().any(|b| b.is_ascii_alphabetic()) {
            self.latin_owner.push(h);
            self.latin.push(&folded)
        } else {
            NONE
        };
    }

    /// Houses known to the index.
    pub fn houses(&self) -> usize {
        self.house_entry.len()
    }

    pub fn has_house(&self, id: i64) -> bool {
        self.house_slots.contains_key(&id)
    }

    /// Adds, replaces or (when merged) hides a person. Their house should be known first ([`Self::upsert_house`]);
    /// an unknown house counts as no address.
    pub fn upsert(&mut self, p: &SearchPerson) {
        let house = p.house_id.and_then(|h| self.house_slots.get(&h).copied()).unwrap_or(NONE);
        // A house the index does not know yet (written during a build): remember no stamp, so that the next
        // refresh sees this person as changed and loads them with their house.
        let stamp = if p.house_id.is_some() && house == NONE { i64::MIN } else { p.updated_at };
        let folded = fold(p.name.trim());
        match self.slot(p.id) {
            Some(s) => {
                self.stamps[s] = stamp;
                self.house[s] = house;
                self.current[s] = p.current;
                if p.merged {
                    if self.grid[s] != NONE {
                        self.grid[s] = NONE;
                        self.live -= 1;
                    }
                    return;
                }
                if self.names.get(self.entry[s]) != folded.as_bytes() {
                    self.entry[s] = self.push_name(s as u32, &folded, &p.name);
                    self.stale += 1;
                }
                if self.grid[s] == NONE {
                    self.live += 1;
                }
                self.grid[s] = self.intern_grid(&p.grid_code);
            }
            None => {
                let s = self.ids.len();
                let in_order = self.sorted == s && self.ids.last().is_none_or(|&last| p.id > last);
                if in_order {
                    self.sorted += 1;
                } else {
                    self.extra.insert(p.id, s as u32);
                }
                self.ids.push(p.id);
                self.stamps.push(stamp);
                self.house.push(house);
                self.current.push(p.current);
                let entry = self.push_name(s as u32, &folded, &p.name);
                self.entry.push(entry);
                if p.merged {
                    self.grid.push(NONE);
                } else {
                    let g = self.intern_grid(&p.grid_code);
                    self.grid.push(g);
                    self.live += 1;
                }
            }
        }
    }

    /// Ids of the people in `roots` (grid code prefixes; none = everywhere) matching `q`, best first,
    /// `limit` of them after skipping `offset`, and how many match in all. `current_only` leaves out moved-out
    /// and deceased people, as lists do by default, so that the total counts what a list can show.
    pub fn search(
        &self,
        roots: &[String],
        q: &str,
        limit: usize,
        offset: usize,
        current_only: bool,
    ) -> (Vec<i64>, i64) {
        let allowed: Vec<bool> =
            self.grids.iter().map(|g| roots.is_empty() || roots.iter().any(|r| g.starts_with(r.as_str()))).collect();
        let visible = |s: usize| {
            let g = self.grid[s];
            g != NONE && allowed[g as usize] && (!current_only || self.current[s])
        };
        let terms = terms(q);
        let n = self.ids.len();
        let mut keys: Vec<u128> = Vec::new();
        let key = |score: u32, id: i64| (u128::from(score) << 64) | u128::from(id as u64);
        if terms.is_empty() {
            for s in 0..n {
                if visible(s) {
                    keys.push(key(0, self.ids[s]));
                }
            }
        } else {
            let mut best = vec![NO_RANK; n];
            let mut touched: Vec<u32> = Vec::new();
            self.match_term(&terms[0], &visible, &mut best, &mut touched);
            if terms.len() == 1 {
                keys.extend(touched.iter().map(|&s| key(u32::from(best[s as usize]), self.ids[s as usize])));
            } else {
                // Later words must match too; ranks add up.
                let mut score: Vec<u32> = touched.iter().map(|&s| u32::from(best[s as usize])).collect();
                let mut candidates = touched.clone();
                for term in &terms[1..] {
                    for &s in &touched {
                        best[s as usize] = NO_RANK;
                    }
                    touched.clear();
                    self.match_term(term, &visible, &mut best, &mut touched);
                    let mut j = 0;
                    for i in 0..candidates.len() {
                        let s = candidates[i] as usize;
                        if best[s] != NO_RANK {
                            candidates[j] = candidates[i];
                            score[j] = score[i] + u32::from(best[s]);
                            j += 1;
                        }
                    }
                    candidates.truncate(j);
                    score.truncate(j);
                }
                keys.extend(candidates.iter().zip(&score).map(|(&s, &sc)| key(sc, self.ids[s as usize])));
            }
        }
        let total = keys.len() as i64;
        let end = offset.saturating_add(limit).min(keys.len());
        if offset >= end {
            return (Vec::new(), total);
        }
        if end < keys.len() {
            keys.select_nth_unstable(end);
            keys.truncate(end);
        }
        keys.sort_unstable();
        (keys[offset..end].iter().map(|k| *k as u64 as i64).collect(), total)
    }

    /// Marks in `best` the best rank of every person matching `term`, listing newly matched ones in `touched`.
    fn match_term(&self, term: &str, visible: &dyn Fn(usize) -> bool, best: &mut [u8], touched: &mut Vec<u32>) {
        let t = term.as_bytes();
        let mut hit = |s: usize, r: u8| {
            if !visible(s) {
                return;
            }
            if best[s] == NO_RANK {
                touched.push(s as u32);
            }
            best[s] = best[s].min(r);
        };
        let current = |k: usize| {
            let s = self.entry_owner[k] as usize;
            (self.entry[s] as usize == k).then_some(s)
        };

        self.names.find(t, |k, at, len| {
            if let Some(s) = current(k) {
                hit(
                    s,
                    match (at, len == t.len()) {
                        (0, true) => rank::NAME_EXACT,
                        (0, false) => rank::NAME_PREFIX,
                        _ => rank::NAME_INNER,
                    },
                );
            }
            true
        });

        let letters = t.iter().all(u8::is_ascii_alphanumeric) && t.iter().any(u8::is_ascii_alphabetic);
        if letters {
            self.pinyin.find(t, |k, at, len| {
                if !NameKeys::starts_at(self.entry_starts[k], at) {
                    return false;
                }
                if let Some(s) = current(k) {
                    hit(
                        s,
                        match (at, len == t.len()) {
                            (0, true) => rank::KEY_EXACT,
                            (0, false) => rank::KEY_PREFIX,
                            _ => rank::PINYIN_INNER,
                        },
                    );
                }
                true
            });
            self.initials.find_prefix(t, |k, len| {
                if let Some(s) = current(k) {
                    hit(s, if len == t.len() { rank::KEY_EXACT } else { rank::KEY_PREFIX });
                }
            });
        }

        // A word with a Latin letter can only be in an address with one: scan just those.
        let (arena, owner, current) = if t.iter().any(u8::is_ascii_alphabetic) {
            (&self.latin, &self.latin_owner, &self.latin_entry)
        } else {
            (&self.addresses, &self.address_owner, &self.house_entry)
        };
        let mut houses = vec![false; self.house_entry.len()];
        let mut any = false;
        arena.find(t, |k, _, _| {
            let h = owner[k] as usize;
            if current[h] as usize == k {
                houses[h] = true;
                any = true;
            }
            true
        });
        if any {
            for (s, &h) in self.house.iter().enumerate() {
                if h != NONE && houses[h as usize] {
                    hit(s, rank::ADDRESS);
                }
            }
        }
    }
}

/// The words of a query, folded; words that are all letters are joined into one (pinyin typed with spaces).
fn terms(q: &str) -> Vec<String> {
    let folded = fold(q);
    let words: Vec<&str> = folded
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；'))
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > 1 && words.iter().all(|w| w.bytes().all(|b| b.is_ascii_alphabetic())) {
        return vec![words.concat()];
    }
    words.into_iter().take(MAX_TERMS).map(str::to_string).collect()
}

/// The index as the [`App`] holds it, and what it was last synchronised with.
pub struct SearchHolder {
    index: Arc<RwLock<SearchIndex>>,
    sync: tokio::sync::Mutex<SyncState>,
}

#[derive(Default)]
struct SyncState {
    built: bool,
    people: PeopleMark,
    houses: (i64, i64),
    houses_checked: Option<Instant>,
    /// Zero when the house check is cheap (indexed), else [`HOUSE_CHECK`].
    house_check_every: Duration,
    late_checked: Option<Instant>,
}

impl Default for SearchHolder {
    fn default() -> Self {
        SearchHolder { index: Arc::new(RwLock::new(SearchIndex::default())), sync: Default::default() }
    }
}

fn read(index: &RwLock<SearchIndex>) -> std::sync::RwLockReadGuard<'_, SearchIndex> {
    index.read().unwrap_or_else(|p| p.into_inner())
}

fn write(index: &RwLock<SearchIndex>) -> std::sync::RwLockWriteGuard<'_, SearchIndex> {
    index.write().unwrap_or_else(|p| p.into_inner())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| AppError::internal(format!("search task: {e}")))
}

/// What a full build or a refresh did, for logs and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchStats {
    pub people: usize,
    pub heap_bytes: usize,
    /// Rows read from the database by this call.
    pub loaded: usize,
    pub rebuilt: bool,
}

impl App {
    /// Ids of the people in `roots` (region code prefixes; empty = everywhere, for admins) matching `q` by
    /// name, pinyin, initials or address, best first, and how many match in all. Merged records are never
    /// found; `current_only` leaves out moved-out and deceased people too (as lists do by default). The caller
    /// has checked scope; this only filters.
    pub async fn search_person_ids(
        &self,
        roots: &[String],
        q: &str,
        limit: usize,
        offset: usize,
        current_only: bool,
    ) -> Result<(Vec<i64>, i64)> {
        self.refresh_search_index().await?;
        let index = self.search.index.clone();
        let (roots, q) = (roots.to_vec(), q.to_string());
        blocking(move || read(&index).search(&roots, &q, limit, offset, current_only)).await
    }

    /// Brings the search index up to date: builds it on first use (or when patches left too much behind),
    /// otherwise loads only what changed since the last call. Cheap when nothing changed (one or two indexed
    /// queries). `serve` may call it at start-up so that the first search does not pay for the build.
    pub async fn refresh_search_index(&self) -> Result<SearchStats> {
        let mut st = self.search.sync.lock().await;
        if !st.built || read(&self.search.index).wants_rebuild() {
            return self.rebuild_search_locked(&mut st).await;
        }
        let now = wangge_store::now_ms();
        let mark = self.store.search_people_mark().await?;
        let w = st.people.updated_at;
        let mut ids: Vec<i64> = Vec::new();
        let mut houses: Vec<i64> = Vec::new();
        if mark != st.people {
            let fresh = self.store.search_people_stamps(w, st.people.max_id).await?;
            let index = read(&self.search.index);
            ids.extend(fresh.into_iter().filter(|&(id, at)| index.stamp(id) != Some(at)).map(|(id, _)| id));
        }
        let mut house_mark = None;
        if st.houses_checked.is_none_or(|t| t.elapsed() >= st.house_check_every) {
            let t = Instant::now();
            let m = self.store.search_house_mark().await?;
            // Without an index on houses/households.updated_at the check reads both tables: when that is not
            // cheap (many houses, slow answer), check only every HOUSE_CHECK.
            let small = read(&self.search.index).houses() < 20_000;
            st.house_check_every =
                if small || t.elapsed() < Duration::from_millis(2) { Duration::ZERO } else { HOUSE_CHECK };
            if m != st.houses {
                let (changed, people) = self
                    .store
                    .search_house_changes(st.houses.0.saturating_sub(SLACK_MS), st.houses.1.saturating_sub(SLACK_MS))
                    .await?;
                houses = changed;
                ids.extend(people);
            }
            house_mark = Some(m);
        }
        // After a bulk import, loading the rows page by page beats asking for them by id.
        if ids.len() > 50_000 + read(&self.search.index).len() / 4 {
            return self.rebuild_search_locked(&mut st).await;
        }
        let mut loaded = self.patch_search_index(ids, houses).await?;

        // Late commits: a transaction stamps `updated_at` before it commits, so rows stamped at or below the
        // watermark may have become visible since. Within the last SLACK_MS, compare a fingerprint (count and
        // sum of stamps) of the rows the database and the index hold there; list them only when they differ.
        let lo = now - SLACK_MS;
        if lo < w && st.late_checked.is_none_or(|t| t.elapsed() >= LATE_CHECK) {
            st.late_checked = Some(Instant::now());
            let db = self.store.search_people_window(lo, w).await?;
            let held = read(&self.search.index).window(lo, w);
            if db != held {
                let window = self.store.search_people_stamped(lo, w).await?;
                let ids: Vec<i64> = {
                    let index = read(&self.search.index);
                    window.into_iter().filter(|&(id, at)| index.stamp(id) != Some(at)).map(|(id, _)| id).collect()
                };
                loaded += self.patch_search_index(ids, Vec::new()).await?;
            }
        }
        st.people = mark;
        if let Some(m) = house_mark {
            st.houses = m;
            st.houses_checked = Some(Instant::now());
        }
        let index = read(&self.search.index);
        Ok(SearchStats { people: index.len(), heap_bytes: index.heap_bytes(), loaded, rebuilt: false })
    }

    /// Loads these people and houses (plus any house the people live in that the index lacks) and patches them
    /// in; how many rows were read.
    async fn patch_search_index(&self, mut ids: Vec<i64>, mut houses: Vec<i64>) -> Result<usize> {
        if ids.is_empty() && houses.is_empty() {
            return Ok(0);
        }
        ids.sort_unstable();
        ids.dedup();
        let people = self.store.search_people_by_ids(&ids).await?;
        {
            let index = read(&self.search.index);
            houses.extend(people.iter().filter_map(|p| p.house_id).filter(|h| !index.has_house(*h)));
        }
        houses.sort_unstable();
        houses.dedup();
        let addresses = self.store.search_houses_by_ids(&houses).await?;
        let mut index = write(&self.search.index);
        for (id, address) in &addresses {
            index.upsert_house(*id, address);
        }
        for p in &people {
            index.upsert(p);
        }
        Ok(people.len() + addresses.len())
    }

    /// Rebuilds the search index from the database and swaps it in (searches meanwhile wait for it).
    pub async fn rebuild_search_index(&self) -> Result<SearchStats> {
        let mut st = self.search.sync.lock().await;
        self.rebuild_search_locked(&mut st).await
    }

    async fn rebuild_search_locked(&self, st: &mut SyncState) -> Result<SearchStats> {
        let started = Instant::now();
        // Marks first: whatever changes during the build is picked up by the next refresh.
        let mark = self.store.search_people_mark().await?;
        let house_mark = self.store.search_house_mark().await?;
        let mut index = SearchIndex::default();
        let mut loaded = 0;
        let mut after = 0;
        loop {
            let page = self.store.search_houses_page(after, PAGE).await?;
            let Some(&(last, _)) = page.last() else { break };
            after = last;
            loaded += page.len();
            index = blocking(move || {
                for (id, address) in &page {
                    index.upsert_house(*id, address);
                }
                index
            })
            .await?;
        }
        let mut after = i64::MIN;
        loop {
            let page = self.store.search_people_page(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            loaded += page.len();
            index = blocking(move || {
                for p in &page {
                    index.upsert(p);
                }
                index
            })
            .await?;
        }
        index.shrink();
        let stats = SearchStats { people: index.len(), heap_bytes: index.heap_bytes(), loaded, rebuilt: true };
        *write(&self.search.index) = index;
        *st = SyncState {
            built: true,
            people: mark,
            houses: house_mark,
            houses_checked: Some(Instant::now()),
            house_check_every: st.house_check_every,
            late_checked: None,
        };
        tracing::info!(
            people = stats.people,
            heap_mib = stats.heap_bytes as f64 / 1048576.0,
            ms = started.elapsed().as_millis() as u64,
            "search index built"
        );
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: i64, name: &str, grid: &str, house: Option<i64>) -> SearchPerson {
        SearchPerson {
            id,
            name: name.into(),
            grid_code: grid.into(),
            house_id: house,
            merged: false,
            current: true,
            updated_at: 1,
        }
    }

    const G1: &str = "33019900100101";
    const G2: &str = "33019900200101";

    fn sample() -> SearchIndex {
        let mut ix = SearchIndex::default();
        ix.upsert_house(10, "清河区翠苑街道文新社区桂花新村3幢2单元402室");
        ix.upsert_house(11, "清河区湖畔街道湖畔社区柳岸小区1幢1单元101室");
        ix.upsert(&person(1, "张三丰", G1, Some(10)));
        ix.upsert(&person(2, "张三", G1, Some(10)));
        ix.upsert(&person(3, "李张三", G2, Some(11)));
        ix.upsert(&person(4, "王芳", G2, Some(11)));
        ix.upsert(&person(5, "单田芳", G1, None));
        ix.upsert(&person(6, "詹尚峰", G2, None));
        ix
    }

    fn ids(ix: &SearchIndex, q: &str) -> Vec<i64> {
        ix.search(&[], q, 100, 0, false).0
    }

    #[test]
    fn folding() {
        assert_eq!(fold("ＺＳＦ　张"), "zsf 张");
        assert_eq!(fold("Lü"), "lv");
        assert_eq!(terms(" zhang  san feng "), vec!["zhangsanfeng"]);
        assert_eq!(terms("张三 402"), vec!["张三", "402"]);
        assert!(terms("  ").is_empty());
    }

    #[test]
    fn names_rank_exact_then_prefix_then_inner() {
        let ix = sample();
        assert_eq!(ids(&ix, "张三"), vec![2, 1, 3]);
        assert_eq!(ids(&ix, "张三丰"), vec![1]);
        assert_eq!(ids(&ix, "三丰"), vec![1]);
    }

    #[test]
    fn pinyin_and_initials() {
        let ix = sample();
        assert_eq!(ids(&ix, "zhangsanfeng"), vec![1]);
        // Initials are ambiguous (詹尚峰 is zsf too); equal ranks go by id; case and width do not matter.
        assert_eq!(ids(&ix, "ＺSF"), vec![1, 6]);
        assert_eq!(ids(&ix, "zhang san feng"), vec![1]);
        // Exact initials before prefixes: "zs" is 张三's initials and a prefix of 张三丰's.
        assert_eq!(ids(&ix, "zs")[..2], [2, 1]);
        // A later syllable matches ("sanfeng"), a syllable's middle does not ("anfeng").
        assert_eq!(ids(&ix, "sanfeng"), vec![1]);
        assert!(ids(&ix, "anfeng").is_empty());
        // Surname reading: 单 is shan.
        assert_eq!(ids(&ix, "shantianfang"), vec![5]);
        assert_eq!(ids(&ix, "stf"), vec![5]);
    }

    #[test]
    fn addresses_rank_last_and_words_combine() {
        let ix = sample();
        assert_eq!(ids(&ix, "桂花新村3幢"), vec![1, 2]);
        assert_eq!(ids(&ix, "柳岸"), vec![3, 4]);
        assert_eq!(ids(&ix, "张三 柳岸"), vec![3]);
        assert_eq!(ids(&ix, "zhang 402"), vec![1, 2]);
        assert!(ids(&ix, "张三 不存在").is_empty());
    }

    #[test]
    fn addresses_with_latin_letters() {
        let mut ix = sample();
        ix.upsert_house(12, "清河区翠苑街道文新社区国际中心Ｂ座1201室");
        ix.upsert(&person(7, "赵敏", G1, Some(12)));
        assert_eq!(ids(&ix, "B座"), vec![7]);
        assert_eq!(ids(&ix, "b座1201"), vec![7]);
        assert_eq!(ids(&ix, "zm b座"), vec![7]);
        // Letters with no address behind them find only names.
        assert_eq!(ids(&ix, "zhaomin"), vec![7]);
        // Renumbered without letters: the old text is gone from both arenas.
        ix.upsert_house(12, "清河区翠苑街道文新社区国际中心二座1201室");
        assert!(ids(&ix, "b座").is_empty());
        assert_eq!(ids(&ix, "二座1201"), vec![7]);
        ix.upsert_house(12, "国际中心C座");
        assert_eq!(ids(&ix, "c座"), vec![7]);
        assert!(ids(&ix, "二座").is_empty());
    }

    #[test]
    fn roots_filter_and_paging() {
        let ix = sample();
        let street1 = vec!["330199001".to_string()];
        assert_eq!(ix.search(&street1, "张三", 10, 0, false), (vec![2, 1], 2));
        assert_eq!(ix.search(&["330199002".to_string()], "张三", 10, 0, false), (vec![3], 1));
        assert_eq!(ix.search(&["33019900".to_string(), G2.to_string()], "张", 10, 0, false).1, 3);
        assert_eq!(ix.search(&[], "张三", 1, 1, false), (vec![1], 3));
        assert_eq!(ix.search(&[], "张三", 0, 0, false), (vec![], 3));
        assert_eq!(ix.search(&[], "张三", 10, 5, false), (vec![], 3));
        // No words: everyone in scope, by id.
        assert_eq!(ix.search(&street1, "", 10, 0, false), (vec![1, 2, 5], 3));
    }

    #[test]
    fn patches_replace_hide_and_revive() {
        let mut ix = sample();
        // Renamed: the old name no longer finds them.
        ix.upsert(&SearchPerson { updated_at: 2, ..person(4, "王小芳", G2, Some(11)) });
        assert!(ids(&ix, "王芳").is_empty());
        assert_eq!(ids(&ix, "wxf"), vec![4]);
        assert_eq!(ix.stamp(4), Some(2));
        // Merged: gone; unmerged: back.
        ix.upsert(&SearchPerson { merged: true, ..person(1, "张三丰", G1, Some(10)) });
        assert!(ids(&ix, "zsf").iter().all(|&i| i != 1));
        assert_eq!(ix.len(), 5);
        ix.upsert(&person(1, "张三丰", G1, Some(10)));
        assert_eq!(ids(&ix, "张三丰"), vec![1]);
        // Moved out or deceased: listed (and counted) only when all statuses are asked for; back when present.
        ix.upsert(&SearchPerson { current: false, ..person(1, "张三丰", G1, Some(10)) });
        assert_eq!(ix.search(&[], "张三丰", 10, 0, true), (vec![], 0));
        assert_eq!(ix.search(&[], "张三丰", 10, 0, false), (vec![1], 1));
        assert_eq!(ix.search(&[], "", 10, 0, true).1, ix.search(&[], "", 10, 0, false).1 - 1);
        ix.upsert(&person(1, "张三丰", G1, Some(10)));
        assert_eq!(ix.search(&[], "张三丰", 10, 0, true), (vec![1], 1));
        // Moved to another street.
        ix.upsert(&person(2, "张三", G2, Some(11)));
        assert_eq!(ix.search(&["330199001".to_string()], "张三", 10, 0, false).0, vec![1]);
        // A new address for a house.
        ix.upsert_house(10, "清河区翠苑街道文新社区丹桂苑5幢");
        assert!(ids(&ix, "桂花新村").is_empty());
        assert_eq!(ids(&ix, "丹桂苑"), vec![1]);
        // Out-of-order ids are still found and patched.
        ix.upsert(&person(0, "欧阳修", G1, None));
        ix.upsert(&person(100, "欧阳锋", G1, None));
        ix.upsert(&SearchPerson { updated_at: 9, ..person(0, "欧阳修", G1, None) });
        assert_eq!(ids(&ix, "ouyang"), vec![0, 100]);
        assert_eq!(ix.stamp(0), Some(9));
        assert_eq!(ix.stamp(100), Some(1));
        // Living in a house not loaded yet: no stamp, so the next refresh reloads them.
        ix.upsert(&person(101, "欧阳克", G1, Some(99)));
        assert_eq!(ix.stamp(101), Some(i64::MIN));
        assert_eq!(ids(&ix, "欧阳克"), vec![101]);
        ix.upsert_house(99, "白驼山庄");
        ix.upsert(&person(101, "欧阳克", G1, Some(99)));
        assert_eq!((ix.stamp(101), ids(&ix, "白驼山")), (Some(1), vec![101]));
    }

    #[test]
    fn cursor_maps_positions_to_entries() {
        let mut a = Arena::default();
        let words = ["ab", "", "cde", "f", "ghij", "k"];
        for w in words {
            a.push(w);
        }
        for (k, w) in words.iter().enumerate() {
            assert_eq!(a.get(k as u32), w.as_bytes());
        }
        let mut found = Vec::new();
        a.find(b"j", |k, at, len| {
            found.push((k, at, len));
            true
        });
        a.find(b"a", |k, at, len| {
            found.push((k, at, len));
            true
        });
        assert_eq!(found, vec![(4, 3, 4), (0, 0, 2)]);
        let mut pre = Vec::new();
        a.find_prefix(b"k", |k, len| pre.push((k, len)));
        a.find_prefix(b"cd", |k, len| pre.push((k, len)));
        assert_eq!(pre, vec![(5, 1), (2, 3)]);
        let mut cur = Cursor::default();
        let ks: Vec<usize> = [1usize, 4, 5, 8, 9, 10, 11, 15, 16].iter().map(|&p| cur.entry(&a.starts, p)).collect();
        assert_eq!(ks, vec![0, 1, 2, 2, 3, 3, 4, 4, 5]);
    }
}

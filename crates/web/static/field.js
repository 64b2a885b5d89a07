// The grid worker's phone app (issue #6, docs/field.md). Plain JavaScript, no framework, no build step.
//
// One way for data to flow, online or not: every write becomes an outbox item {key, kind, at, data} in
// IndexedDB first, then the outbox is flushed to POST /api/v1/field/sync (on submit, when the network comes
// back, at start and every 30 s). The key is the idempotency key, so sending an item twice stores it once.
// The day's work (GET /api/v1/field/today) is kept in IndexedDB too and shown, with its age, when offline.
// Screens are hash routes (#/today, #/visit/ID, #/saved/KEY, #/report…, #/patrol, #/log) drawn into #view.
(function () {
  "use strict";

  const root = document.getElementById("field-app");
  if (!root) return;
  const STR = JSON.parse(root.dataset.i18n || "{}");
  const USER = root.dataset.user || "anonymous";
  const ZH = (root.dataset.lang || "zh-CN").startsWith("zh");
  let csrf = root.dataset.csrf || "";
  const view = document.getElementById("view");
  const bar = document.getElementById("sync-status");

  const SYNC_EVERY_MS = 30000;
  const TRACK_EVERY_MS = 30000;
  // The server takes at most 1 MB per request and 500 items; stay well below both.
  const BATCH_BYTES = 512 * 1024;
  const BATCH_ITEMS = 500;
  const PHOTO_MAX_PX = 1600;

  // ---------------------------------------------------------------- text and DOM helpers

  function t(key, vars) {
    let s = STR[key] || key;
    if (vars) for (const k of Object.keys(vars)) s = s.split("{" + k + "}").join(String(vars[k]));
    return s;
  }

  /** The page's half of a server message written "中文 / English". */
  function localize(msg) {
    if (!msg) return "";
    const i = msg.indexOf(" / ");
    if (i < 0) return msg;
    return ZH ? msg.slice(0, i) : msg.slice(i + 3);
  }

  /** Labels of the `data.` fields the server may name in an item's error. */
  const FIELD_LABELS = {
    house_code: "fld_house_code",
    id_number: "fld_id_number",
    name: "fld_name",
    phone: "fld_phone",
    arrived: "fld_arrived",
    permit: "fld_permit",
    person_id: "fld_person",
    category: "fld_category",
    description: "fld_description",
    address: "fld_address",
    grid_code: "fld_grid",
    note: "fld_note",
    needs: "fld_needs",
    situation: "fld_situation",
    risk: "fld_risk",
    file: "fld_photo",
    point: "fld_checkpoints",
    date: "fld_date",
    day: "fld_date",
  };

  /** An item's error as the worker reads it: "房屋编码：房屋编码不存在", not "house_code: … / no such house". */
  function errorText(err) {
    if (!err) return "";
    let text = localize(err.message || err.code || "");
    const key = String(err.field || "").split(".").pop();
    for (const prefix of [err.field, key]) if (prefix && text.startsWith(prefix + ": ")) text = text.slice(prefix.length + 2);
    const label = FIELD_LABELS[key];
    return label ? t(label) + (ZH ? "：" : ": ") + text : text;
  }

  /** The register stores gender as a code; older data and the contract's example carry the label itself. */
  function genderLabel(g) {
    if (g === "male") return t("fld_male");
    if (g === "female") return t("fld_female");
    return g || "";
  }

  /** Builds an element; text children become text nodes (never HTML), so server data cannot inject markup. */
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    let value;
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "value") value = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid == null || kid === false) continue;
      el.append(kid instanceof Node ? kid : String(kid));
    }
    if (value !== undefined) el.value = value;
    return el;
  }

  const pad = (n) => String(n).padStart(2, "0");

  /** YYYY-MM-DD in China time, as the server counts days. */
  function chinaDay(ms) {
    const f = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" });
    return f.format(new Date(ms == null ? Date.now() : ms));
  }

  function addDays(day, n) {
    const d = new Date(day + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  function fmtTime(ms) {
    const d = new Date(ms);
    return pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  /** "08:30" today, "11-24 08:30" another day. */
  function fmtWhen(ms) {
    if (!ms) return "";
    const d = new Date(ms);
    const same = new Date().toDateString() === d.toDateString();
    return (same ? "" : pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " ") + fmtTime(ms);
  }

  /** A v4 UUID: crypto.randomUUID exists only on https or localhost, an intranet server may be plain http. */
  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const x = Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
    return x.slice(0, 8) + "-" + x.slice(8, 12) + "-" + x.slice(12, 16) + "-" + x.slice(16, 20) + "-" + x.slice(20);
  }

  function distanceM(aLat, aLon, bLat, bLon) {
    const r = 6371000;
    const rad = Math.PI / 180;
    const dLat = (bLat - aLat) * rad;
    const dLon = (bLon - aLon) * rad;
    const s = Math.sin(dLat / 2) ** 2 + Math.cos(aLat * rad) * Math.cos(bLat * rad) * Math.sin(dLon / 2) ** 2;
    return 2 * r * Math.asin(Math.sqrt(s));
  }

  // ---------------------------------------------------------------- storage (IndexedDB, memory fallback)

  // One database per user: a shared phone never sends one worker's queue under another's session.
  const DB_NAME = "wangge-field-" + USER;
  let db = null;
  const memory = { outbox: new Map(), kv: new Map() };

  function openDb() {
    return new Promise((resolve, reject) => {
      if (!window.indexedDB) return reject(new Error("no IndexedDB"));
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        const d = req.result;
        if (!d.objectStoreNames.contains("outbox")) d.createObjectStore("outbox", { keyPath: "key" });
        if (!d.objectStoreNames.contains("kv")) d.createObjectStore("kv", { keyPath: "k" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  /** Runs `fn(stores)` in one transaction over `names`; resolves with fn's result once it committed. */
  function tx(names, mode, fn) {
    if (!db) {
      const out = fn(
        Object.fromEntries(
          names.map((n) => [
            n,
            {
              put: (v) => memory[n].set(n === "kv" ? v.k : v.key, v),
              delete: (k) => memory[n].delete(k),
            },
          ]),
        ),
      );
      return Promise.resolve(out);
    }
    return new Promise((resolve, reject) => {
      const x = db.transaction(names, mode);
      const out = fn(Object.fromEntries(names.map((n) => [n, x.objectStore(n)])));
      x.oncomplete = () => resolve(out);
      x.onerror = () => reject(x.error);
      x.onabort = () => reject(x.error || new Error("transaction aborted"));
    });
  }

  function getAll(store) {
    if (!db) return Promise.resolve(Array.from(memory[store].values()));
    return new Promise((resolve, reject) => {
      const r = db.transaction(store).objectStore(store).getAll();
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }

  function kvGet(k) {
    if (!db) return Promise.resolve(memory.kv.get(k)?.v);
    return new Promise((resolve, reject) => {
      const r = db.transaction("kv").objectStore("kv").get(k);
      r.onsuccess = () => resolve(r.result ? r.result.v : undefined);
      r.onerror = () => reject(r.error);
    });
  }

  const kvPut = (k, v) => tx(["kv"], "readwrite", (s) => s.kv.put({ k, v }));
  const kvDel = (k) => tx(["kv"], "readwrite", (s) => s.kv.delete(k));

  // ---------------------------------------------------------------- the outbox

  /** Items in the order they were made: the server applies them in that order (a patrol starts before its track). */
  let outbox = [];
  let lastSeq = 0;
  /** key → {status, id, message} of items the server answered, for the "saved" screen. */
  const results = new Map();

  async function loadOutbox() {
    outbox = (await getAll("outbox")).sort((a, b) => a.seq - b.seq);
    for (const i of outbox) lastSeq = Math.max(lastSeq, i.seq);
    updateBar();
  }

  /**
   * Queues one write. `extra.label` names it in the outbox list, `extra.photo` (a Blob) is uploaded before the
   * item is sent. `also(stores)` may write more in the same transaction (the track buffer it empties).
   */
  async function enqueue(kind, data, extra, also) {
    lastSeq = Math.max(Date.now() * 1000, lastSeq + 1);
    const item = {
      key: uuid(),
      kind,
      at: Date.now(),
      data,
      seq: lastSeq,
      state: "pending",
      label: (extra && extra.label) || "",
      photo: (extra && extra.photo) || null,
      photo_id: null,
      error: null,
    };
    await tx(also ? ["outbox", "kv"] : ["outbox"], "readwrite", (s) => {
      s.outbox.put(item);
      if (also) also(s);
    });
    await loadOutbox();
    if (!(extra && extra.noFlush)) flush();
    return item;
  }

  async function saveItem(item) {
    await tx(["outbox"], "readwrite", (s) => s.outbox.put(item));
  }

  async function dropItems(keys) {
    if (!keys.length) return;
    await tx(["outbox"], "readwrite", (s) => keys.forEach((k) => s.outbox.delete(k)));
  }

  /** What the server receives: never the Blob or the bookkeeping. */
  function wire(item) {
    const data = Object.assign({}, item.data);
    if (item.photo_id != null) data.attachments = (data.attachments || []).concat([item.photo_id]);
    return { key: item.key, kind: item.kind, at: item.at, data };
  }

  let flushing = false;
  let flushAgain = false;
  /** Signed out: the session cookie is gone, only a new login can send the queue. */
  let authLost = false;
  /** The last failure of a whole request (network, 5xx…), shown above the outbox. */
  let syncError = "";
  /** A request failed for want of network; cleared by the next answer of any kind. */
  let netDown = false;

  const isOnline = () => navigator.onLine && !netDown;

  class Stop extends Error {}

  async function errorMessage(r) {
    try {
      const b = await r.json();
      return b && b.error ? { code: b.error.code, message: b.error.message, field: b.error.details && b.error.details.field } : null;
    } catch (_) {
      return null;
    }
  }

  /** A fetch with the session and CSRF token; 401 stops the flush, 403 fetches a fresh token once. */
  async function post(url, body, headers) {
    for (let attempt = 0; ; attempt++) {
      let r;
      try {
        r = await fetch(url, { method: "POST", credentials: "same-origin", headers: Object.assign({ "X-CSRF-Token": csrf }, headers), body });
      } catch (e) {
        netDown = true;
        throw new Stop(t("fld_offline"));
      }
      netDown = false;
      if (r.status === 401) {
        authLost = true;
        throw new Stop(t("fld_sign_in_again"));
      }
      // A shell served from the cache may carry an older session's token.
      if (r.status === 403 && attempt === 0 && (await refreshCsrf())) continue;
      return r;
    }
  }

  async function refreshCsrf() {
    try {
      const r = await fetch("/m/session.json", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (r.status === 401) {
        authLost = true;
        return false;
      }
      if (!r.ok) return false;
      const s = await r.json();
      if (!s.csrf || s.csrf === csrf) return false;
      csrf = s.csrf;
      return true;
    } catch (_) {
      return false;
    }
  }

  /** Uploads an item's photo and keeps the returned id with the item, so a resend never uploads it twice. */
  async function uploadPhoto(item) {
    const fd = new FormData();
    fd.append("file", item.photo, "photo.jpg");
    const r = await post("/api/v1/attachments", fd, {});
    if (r.ok) {
      const v = await r.json();
      item.photo_id = v.id;
      await saveItem(item);
    } else if (r.status === 400 || r.status === 413) {
      const e = (await errorMessage(r)) || { code: "invalid_input", message: "HTTP " + r.status };
      item.state = "rejected";
      item.error = { code: e.code, message: e.message, field: e.field || "file" };
      await saveItem(item);
    } else {
      const e = await errorMessage(r);
      throw new Stop(e ? localize(e.message) : "HTTP " + r.status);
    }
  }

  /**
   * Sends items and applies the answers. A plain 400/413 on several items is split in halves until the one
   * the server refuses alone is found and marked rejected, so one bad item never holds the queue.
   */
  async function sendItems(items) {
    const r = await post("/api/v1/field/sync", JSON.stringify({ client_now: Date.now(), items: items.map(wire) }), {
      "Content-Type": "application/json",
      Accept: "application/json",
    });
    if ((r.status === 400 || r.status === 413) && items.length > 1) {
      const mid = Math.ceil(items.length / 2);
      return (await sendItems(items.slice(0, mid))) + (await sendItems(items.slice(mid)));
    }
    if (r.status === 400 || r.status === 413) {
      const e = (await errorMessage(r)) || { code: "invalid_input", message: "HTTP " + r.status };
      items[0].state = "rejected";
      items[0].error = e;
      await saveItem(items[0]);
      return 0;
    }
    if (!r.ok) {
      const e = await errorMessage(r);
      throw new Stop(e ? localize(e.message) : "HTTP " + r.status);
    }
    const body = await r.json();
    const byKey = new Map(items.map((i) => [i.key, i]));
    const done = [];
    let created = 0;
    for (const res of body.results || []) {
      const item = byKey.get(res.key);
      if (!item) continue;
      results.set(res.key, { status: res.status, id: res.id, message: res.message || "" });
      if (res.status === "created" || res.status === "duplicate") {
        done.push(res.key);
        if (res.status === "created") created++;
        markStored(item);
      } else if (res.status === "rejected") {
        item.state = "rejected";
        item.error = res.error || { code: "rejected", message: res.message || "" };
        await saveItem(item);
      } else if (res.status === "retry") {
        // It waits for an item the server has not seen yet; the next flush sends it again.
        item.state = "retry";
        await saveItem(item);
      }
    }
    await dropItems(done);
    return created;
  }

  async function flushOnce() {
    await loadOutbox();
    let todo = outbox.filter((i) => i.state !== "rejected");
    if (!todo.length) return 0;
    for (const item of todo) if (item.photo && item.photo_id == null) await uploadPhoto(item);
    todo = todo.filter((i) => i.state !== "rejected");
    let created = 0;
    let batch = [];
    let bytes = 0;
    for (const item of todo) {
      const size = JSON.stringify(wire(item)).length;
      if (batch.length && (batch.length >= BATCH_ITEMS || bytes + size > BATCH_BYTES)) {
        created += await sendItems(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(item);
      bytes += size;
    }
    if (batch.length) created += await sendItems(batch);
    return created;
  }

  /** Sends the outbox; never runs twice at once (a request meanwhile runs once more at the end). */
  async function flush() {
    // The browser knows it has no network: nothing to try ('online' flushes as soon as it has).
    if (!navigator.onLine) return updateBar();
    if (flushing) {
      flushAgain = true;
      return;
    }
    flushing = true;
    updateBar();
    let created = 0;
    try {
      do {
        flushAgain = false;
        created += await flushOnce();
        syncError = "";
      } while (flushAgain);
    } catch (e) {
      // Offline is not an error: the bar says so and the queue waits.
      syncError = netDown ? "" : e instanceof Stop ? e.message : String(e && e.message ? e.message : e);
      if (!(e instanceof Stop)) console.warn("field sync", e);
    } finally {
      flushing = false;
      await loadOutbox();
      refreshLive();
    }
    // What was just stored changes the day's list (a visited person is no longer due).
    if (created) fetchToday();
  }

  async function discard(key) {
    await dropItems([key]);
    await loadOutbox();
    refreshLive();
  }

  // ---------------------------------------------------------------- the day's data

  /** {data, fetched_at, asked_at, stale, error}: stale when shown from IndexedDB because the network failed. */
  let today = { data: null, fetched_at: 0, asked_at: 0, stale: false, error: "" };

  /** Visits and table rows the server stored, "kind:id" → when: they stay marked done until a day's list asked for
   *  after them arrives. Without this, the moment between an item leaving the outbox and the fresh list showed an
   *  answered row as open again, and a tap answered it twice (the second overwriting the first). */
  const stored = new Map();

  function markStored(item) {
    if (item.kind === "data_answer") stored.set("data_answer:" + item.data.row_id, Date.now());
    if (item.kind === "visit") stored.set("visit:" + item.data.person_id, Date.now());
  }

  /** Ids of `kind` stored since the shown day's list was asked for. */
  function storedSince(kind) {
    const ids = new Set();
    for (const [k, at] of stored) {
      const i = k.indexOf(":");
      if (k.slice(0, i) === kind && at >= (today.asked_at || 0)) ids.add(k.slice(i + 1));
    }
    return ids;
  }

  async function fetchToday() {
    if (!navigator.onLine) {
      today.stale = !!today.data;
      return refreshLive();
    }
    const asked = Date.now();
    try {
      const r = await fetch("/api/v1/field/today", { credentials: "same-origin", headers: { Accept: "application/json" } });
      netDown = false;
      if (r.status === 401) {
        authLost = true;
        today.stale = true;
      } else if (!r.ok) {
        const e = await errorMessage(r);
        today.error = e ? localize(e.message) : "HTTP " + r.status;
        today.stale = !!today.data;
      } else {
        const data = await r.json();
        today = { data, fetched_at: Date.now(), asked_at: asked, stale: false, error: "" };
        root.dataset.fetched = String(today.fetched_at);
        await kvPut("today", { data, fetched_at: today.fetched_at });
      }
    } catch (_) {
      netDown = true;
      today.stale = true;
    }
    refreshLive();
  }

  const todayData = () => today.data || { grids: [], visits: [], events: [], quick: { hazard: [], instability: [], all: [] }, patrol_routes: [], open_patrol: null };

  function findVisit(pid) {
    return todayData().visits.find((v) => String(v.person_id) === String(pid));
  }

  /** People queued as visited today (not yet confirmed by a fresh today list). */
  function visitedPending() {
    const ids = storedSince("visit");
    for (const i of outbox) if (i.kind === "visit" && i.state !== "rejected") ids.add(String(i.data.person_id));
    return ids;
  }

  /** Summaries of what was saved in this tab, for the "saved" screen and the finding form after it. */
  function recent(key, value) {
    let all = {};
    try {
      all = JSON.parse(sessionStorage.getItem("field-recent") || "{}");
    } catch (_) {
      all = {};
    }
    if (value === undefined) return all[key];
    all[key] = value;
    const keys = Object.keys(all);
    for (const k of keys.slice(0, Math.max(0, keys.length - 20))) delete all[k];
    sessionStorage.setItem("field-recent", JSON.stringify(all));
  }

  // ---------------------------------------------------------------- the sync status bar

  function updateBar() {
    const pending = outbox.filter((i) => i.state !== "rejected").length;
    const rejected = outbox.length - pending;
    let text;
    let state;
    if (authLost) {
      text = t("fld_sign_in_again");
      state = "auth";
    } else if (flushing) {
      text = t("fld_syncing");
      state = "syncing";
    } else if (!isOnline()) {
      text = t("fld_offline") + (pending ? " · " + t("fld_queued", { n: pending }) : "");
      state = "offline";
    } else if (pending) {
      text = t("fld_queued", { n: pending });
      state = "pending";
    } else {
      text = t("fld_synced");
      state = "synced";
    }
    if (rejected) text += " · " + t("fld_rejected_n", { n: rejected });
    bar.textContent = text;
    bar.dataset.state = state;
    bar.dataset.pending = String(pending);
    bar.dataset.rejected = String(rejected);
    bar.classList.toggle("has-rejected", rejected > 0);
  }

  bar.addEventListener("click", () => {
    if (authLost) location.href = "/login?next=%2Fm";
    else flush();
  });

  // ---------------------------------------------------------------- form pieces

  function field(label, control, hint) {
    return h("label", { class: "f-field" }, h("span", { class: "f-label" }, label), control, hint ? h("span", { class: "f-hint" }, hint) : null);
  }

  /** Big tap targets for a small closed list: the whole chip is the radio button. */
  function choice(name, label, options, value) {
    return h(
      "fieldset",
      { class: "f-field f-choice", "data-name": name },
      h("legend", { class: "f-label" }, label),
      h(
        "div",
        { class: "f-chips" },
        options.map(([v, text]) =>
          h("label", { class: "f-chip" }, h("input", { type: "radio", name, value: v, checked: v === value }), h("span", null, text)),
        ),
      ),
    );
  }

  function toggle(name, label, checked) {
    return h(
      "label",
      { class: "f-chip f-check" },
      h("input", { type: "checkbox", name, value: "1", checked }),
      h("span", null, label),
    );
  }

  function errorLine(text) {
    return h("p", { class: "f-error", role: "alert" }, text);
  }

  /** Scales a photo to at most 1600 px on its longer side and re-encodes it as JPEG (a phone photo is 4–10 MB). */
  async function resizePhoto(file) {
    let src;
    let w;
    let hgt;
    try {
      src = await createImageBitmap(file, { imageOrientation: "from-image" });
      w = src.width;
      hgt = src.height;
    } catch (_) {
      src = await new Promise((resolve, reject) => {
        const img = new Image();
        const url = URL.createObjectURL(file);
        img.onload = () => {
          URL.revokeObjectURL(url);
          resolve(img);
        };
        img.onerror = () => {
          URL.revokeObjectURL(url);
          reject(new Error("not an image"));
        };
        img.src = url;
      });
      w = src.naturalWidth;
      hgt = src.naturalHeight;
    }
    const k = Math.min(1, PHOTO_MAX_PX / Math.max(w, hgt));
    const c = document.createElement("canvas");
    c.width = Math.max(1, Math.round(w * k));
    c.height = Math.max(1, Math.round(hgt * k));
    const g = c.getContext("2d");
    g.fillStyle = "#fff";
    g.fillRect(0, 0, c.width, c.height);
    g.drawImage(src, 0, 0, c.width, c.height);
    if (src.close) src.close();
    return new Promise((resolve, reject) => c.toBlob((b) => (b ? resolve(b) : reject(new Error("encode"))), "image/jpeg", 0.85));
  }

  /** The photo control; the chosen (resized) Blob lands in st.photo. */
  function photoField(st) {
    const preview = h("img", { class: "f-preview", alt: "", hidden: true });
    const msg = h("span", { class: "f-hint" });
    const remove = h("button", { type: "button", class: "f-btn f-small", hidden: true }, t("fld_photo_remove"));
    const input = h("input", { type: "file", accept: "image/*", capture: "environment", class: "f-file-input", id: "photo-input" });
    input.addEventListener("change", async () => {
      const file = input.files && input.files[0];
      if (!file) return;
      msg.textContent = "";
      try {
        st.photo = await resizePhoto(file);
        if (preview.src) URL.revokeObjectURL(preview.src);
        preview.src = URL.createObjectURL(st.photo);
        preview.hidden = false;
        remove.hidden = false;
        preview.dataset.bytes = String(st.photo.size);
      } catch (_) {
        st.photo = null;
        msg.textContent = t("fld_photo_failed");
      }
      input.value = "";
    });
    remove.addEventListener("click", () => {
      st.photo = null;
      preview.hidden = true;
      remove.hidden = true;
    });
    return h(
      "div",
      { class: "f-field f-photo" },
      h("span", { class: "f-label" }, t("fld_photo")),
      h("label", { class: "f-btn f-file" }, input, h("span", null, t("fld_photo_add"))),
      msg,
      preview,
      remove,
    );
  }

  function locate(timeout) {
    return new Promise((resolve, reject) => {
      if (!navigator.geolocation) return reject(new Error("no geolocation"));
      navigator.geolocation.getCurrentPosition(
        (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, acc: p.coords.accuracy }),
        (e) => reject(new Error(e.message || "geolocation")),
        { enableHighAccuracy: true, timeout: timeout || 15000, maximumAge: 60000 },
      );
    });
  }

  async function geoGranted() {
    try {
      return (await navigator.permissions.query({ name: "geolocation" })).state === "granted";
    } catch (_) {
      return false;
    }
  }

  /** "Use my location": fills st.lat/st.lon; asks by itself only when the phone already allowed it. */
  function gpsField(st) {
    const msg = h("span", { class: "f-hint", id: "gps-state" });
    const go = async () => {
      msg.textContent = t("fld_gps_wait");
      try {
        const p = await locate();
        st.lat = p.lat;
        st.lon = p.lon;
        msg.textContent = t("fld_gps_ok", { n: Math.round(p.acc) });
      } catch (e) {
        msg.textContent = t("fld_gps_failed", { m: e.message });
      }
    };
    geoGranted().then((ok) => ok && go());
    return h("div", { class: "f-field" }, h("button", { type: "button", class: "f-btn", onclick: go }, t("fld_use_gps")), msg);
  }

  // ---------------------------------------------------------------- screens

  let current = "";

  function show(route, title, nodes, keepScroll) {
    view.replaceChildren(h("h1", { class: "f-h1" }, title), ...nodes.flat().filter(Boolean));
    view.dataset.route = route;
    const tab = route.split("-")[0];
    for (const a of document.querySelectorAll("#tabs a")) a.classList.toggle("is-active", a.dataset.tab === tab || (tab === "visit" && a.dataset.tab === "today"));
    document.title = title;
    if (!keepScroll) window.scrollTo(0, 0);
  }

  function section(title, id, ...kids) {
    return h("section", { class: "f-section", id }, h("h2", { class: "f-h2" }, title), kids);
  }

  function outboxPanel() {
    const items = outbox;
    if (!items.length && !syncError && !authLost) return null;
    const rows = items.map((i) => {
      const kind = t("fld_kind_" + i.kind);
      const label = i.kind === "track" ? t("fld_points_n", { n: (i.data.points || []).length }) : i.label;
      let state = t("fld_state_pending");
      if (i.state === "retry") state = t("fld_state_retry");
      if (i.state === "rejected") state = t("fld_state_rejected") + (ZH ? "：" : ": ") + errorText(i.error);
      const li = h(
        "li",
        { class: "f-ob is-" + i.state, "data-key": i.key, "data-kind": i.kind },
        h("div", { class: "f-ob-what" }, h("strong", null, kind), " ", label, h("span", { class: "f-meta" }, " · " + fmtWhen(i.at))),
        h("div", { class: "f-ob-state" }, state),
      );
      if (i.state === "rejected") {
        const btn = h("button", { type: "button", class: "f-btn f-small f-discard" }, t("fld_discard"));
        btn.addEventListener("click", () => {
          // Two taps: a stray tap must not lose the worker's entry.
          if (btn.dataset.armed) return discard(i.key);
          btn.dataset.armed = "1";
          btn.textContent = t("fld_discard_confirm");
          setTimeout(() => {
            delete btn.dataset.armed;
            btn.textContent = t("fld_discard");
          }, 5000);
        });
        li.append(btn);
      }
      return li;
    });
    return h(
      "section",
      { class: "f-section f-outbox-panel", id: "outbox-panel" },
      h("h2", { class: "f-h2" }, t("fld_outbox")),
      authLost ? h("a", { class: "f-btn f-primary", href: "/login?next=%2Fm" }, t("fld_sign_in")) : null,
      syncError && !authLost ? errorLine(syncError) : null,
      h("ul", { class: "f-list", id: "outbox" }, rows),
      items.some((i) => i.state !== "rejected") ? h("button", { type: "button", class: "f-btn", id: "sync-now", onclick: () => flush() }, t("fld_sync_now")) : null,
    );
  }

  function staleLine() {
    if (!today.data) return null;
    if (!today.stale) return null;
    return h("p", { class: "f-stale", id: "stale" }, t("fld_offline") + " · " + t("fld_fetched_at", { t: fmtWhen(today.fetched_at) }));
  }

  function tagList(tags) {
    if (!tags || !tags.length) return null;
    return h("div", { class: "f-tags" }, tags.map((g) => h("span", { class: "f-tag" }, g.name || g.code)));
  }

  function dueBadge(v) {
    if (v.overdue_days > 0) return h("span", { class: "f-badge is-overdue" }, t("fld_overdue_days", { n: v.overdue_days }));
    if (v.due_on && v.due_on <= (todayData().day || chinaDay())) return h("span", { class: "f-badge is-due" }, t("fld_due_today"));
    return h("span", { class: "f-badge" }, t("fld_due_on", { d: (v.due_on || "").slice(5) }));
  }

  function genderAge(v) {
    return [genderLabel(v.gender), v.age != null ? t("fld_age", { n: v.age }) : null].filter(Boolean).join(" · ");
  }

  function changeList(changes, limit) {
    if (!changes || !changes.length) return null;
    return h(
      "div",
      { class: "f-changes" },
      h("span", { class: "f-meta" }, t("fld_changes")),
      h("ul", null, changes.slice(0, limit || 99).map((c) => h("li", null, (c.on ? c.on.slice(5) + " " : "") + c.text))),
    );
  }

  /** Where the phone is, for "nearest first": {lat, lon} once known, error when it could not be had. */
  const here = { lat: null, lon: null, error: "" };

  function visitOrder() {
    const o = localStorage.getItem("field-order");
    return o === "building" || o === "near" ? o : "due";
  }

  async function setVisitOrder(o) {
    localStorage.setItem("field-order", o);
    if (o === "near" && here.lat == null) {
      try {
        const p = await locate(15000);
        Object.assign(here, { lat: p.lat, lon: p.lon, error: "" });
      } catch (e) {
        here.error = e.message;
      }
    }
    if (view.dataset.route === "today") viewToday(null, true);
  }

  /**
   * The server's order is overdue first; a worker walking a building wants its doors together, one out in the
   * street the nearest first (people whose house has no position go last).
   */
  function sortVisits(visits, order) {
    const xs = visits.slice();
    if (order === "building") xs.sort((a, b) => (a.address || "").localeCompare(b.address || "", "zh-CN", { numeric: true }));
    if (order === "near" && here.lat != null) {
      const dist = (v) => (v.lat != null && v.lon != null ? distanceM(here.lat, here.lon, v.lat, v.lon) : Infinity);
      xs.sort((a, b) => dist(a) - dist(b));
    }
    return xs;
  }

  function viewToday(_, keepScroll) {
    const d = todayData();
    const done = visitedPending();
    const nodes = [outboxPanel(), staleLine()];
    if (!today.data) {
      nodes.push(h("p", { class: "f-empty" }, today.error || today.stale ? t("fld_load_failed") + (today.error ? "：" + today.error : "") : t("fld_loading")));
      return show("today", t("fld_today"), nodes, keepScroll);
    }
    if (today.error && !today.stale) nodes.push(errorLine(today.error));
    if (!d.grids.length) nodes.push(h("p", { class: "f-empty" }, t("fld_no_grids")));
    const many = d.grids.length > 1;
    const order = visitOrder();
    const gridName = (code) => (d.grids.find((g) => g.code === code) || {}).name || code;
    const visits = sortVisits(d.visits, order).map((v) =>
      h(
        "a",
        {
          class: "f-card f-visit" + (v.overdue_days > 0 ? " is-overdue" : "") + (done.has(String(v.person_id)) ? " is-done" : ""),
          href: "#/visit/" + v.person_id,
          "data-person": v.person_id,
        },
        h(
          "div",
          { class: "f-card-head" },
          h("strong", { class: "f-name" }, v.name),
          h("span", { class: "f-meta" }, genderAge(v)),
          dueBadge(v),
          // Key groups (社区矫正, 严重精神障碍…): an overdue contact is an alert, not a routine visit.
          v.key_group ? h("span", { class: "f-badge is-key-group" }, t("fld_key_group")) : null,
        ),
        tagList(v.tags),
        h("div", { class: "f-addr" }, v.address || "", many ? h("span", { class: "f-meta" }, " · " + gridName(v.grid_code)) : null),
        h("div", { class: "f-meta" }, v.last_visit_on ? t("fld_last_visit", { d: v.last_visit_on }) : t("fld_never_visited")),
        changeList(v.changes, 3),
        done.has(String(v.person_id)) ? h("div", { class: "f-done" }, t("fld_visited_pending")) : null,
      ),
    );
    const orderCtl = choice("order", t("fld_order"), [["due", t("fld_order_due")], ["building", t("fld_order_building")], ["near", t("fld_order_near")]], order);
    orderCtl.addEventListener("change", (ev) => setVisitOrder(ev.target.value));
    nodes.push(
      section(
        t("fld_due_visits") + " (" + d.visits.length + ")",
        "visits",
        visits.length > 1 ? orderCtl : null,
        here.error && order === "near" ? errorLine(t("fld_gps_failed", { m: here.error })) : null,
        visits.length ? h("div", { class: "f-cards" }, visits) : h("p", { class: "f-empty" }, t("fld_no_visits")),
      ),
    );
    const events = d.events.map((e) =>
      h(
        "a",
        { class: "f-card f-event" + (e.overdue ? " is-overdue" : ""), href: "/events/" + e.id, "data-event": e.id },
        h(
          "div",
          { class: "f-card-head" },
          h("span", { class: "f-badge is-" + e.why }, t("fld_why_" + e.why)),
          h("strong", null, e.category_name || e.category),
          h("span", { class: "f-meta" }, (STR.statuses || {})[e.status] || e.status),
          e.overdue ? h("span", { class: "f-badge is-overdue" }, t("fld_overdue")) : null,
        ),
        h("div", { class: "f-desc" }, e.description || ""),
        e.address ? h("div", { class: "f-addr" }, e.address) : null,
      ),
    );
    nodes.push(section(t("fld_events") + " (" + d.events.length + ")", "events", events.length ? h("div", { class: "f-cards" }, events) : h("p", { class: "f-empty" }, t("fld_no_events"))));
    const tables = (d.data_requests || []).map((r) => {
      const left = r.rows.filter((row) => !answeredPending().has(String(row.id))).length;
      return h(
        "a",
        { class: "f-card f-dr" + (r.overdue ? " is-overdue" : ""), href: "#/dr/" + r.id, "data-request": r.id },
        h("div", { class: "f-card-head" }, h("strong", null, r.title), r.overdue ? h("span", { class: "f-badge is-overdue" }, t("fld_dr_overdue")) : null),
        h("div", { class: "f-meta" }, r.department_name + " · " + t("fld_dr_due", { d: r.due_on }) + " · " + t("fld_dr_rows", { n: left })),
      );
    });
    if (tables.length) nodes.push(section(t("fld_dr_title") + " (" + tables.length + ")", "data-requests", h("div", { class: "f-cards" }, tables)));
    show("today", t("fld_today") + " " + (d.day || ""), nodes, keepScroll);
  }

  // ---------------------------------------------------------------- 一表通: tables answered where the register is silent

  /** Rows answered on this phone and still in the outbox (or sent but not yet off the cached list). */
  function answeredPending() {
    const ids = storedSince("data_answer");
    for (const i of outbox) if (i.kind === "data_answer" && i.state !== "rejected") ids.add(String(i.data.row_id));
    return ids;
  }

  function findTable(id) {
    return (todayData().data_requests || []).find((r) => String(r.id) === String(id));
  }

  function viewDataRequest(id) {
    const r = findTable(id);
    if (!r) return show("dr", t("fld_dr_title"), [h("p", { class: "f-empty" }, t("fld_dr_none"))]);
    const done = answeredPending();
    const rows = r.rows.map((row) =>
      h(
        "a",
        { class: "f-card f-dr-row" + (done.has(String(row.id)) ? " is-done" : ""), href: "#/dr/" + r.id + "/" + row.id, "data-row": row.id },
        h("strong", null, row.label),
        h("div", { class: "f-meta" }, (row.ask || []).map((k) => (r.columns.find((c) => c.key === k) || {}).label || k).join("、")),
        done.has(String(row.id)) ? h("div", { class: "f-done" }, t("fld_dr_saved")) : null,
      ),
    );
    show("dr", r.title, [
      h("p", { class: "f-meta" }, r.department_name + " · " + t("fld_dr_due", { d: r.due_on })),
      h("div", { class: "f-cards" }, rows),
    ]);
  }

  function answerControl(c, current) {
    if (c.type === "yes_no") return h("select", { name: c.key }, h("option", { value: "" }, "—"), h("option", { value: "是" }, t("fld_dr_yes")), h("option", { value: "否" }, t("fld_dr_no")));
    if (c.type === "choice") return h("select", { name: c.key }, h("option", { value: "" }, "—"), (c.options || []).map((o) => h("option", { value: o }, o)));
    // A register field with a closed list (残疾等级, 居住状态, 房屋用途…): pick, never type.
    if ((c.options || []).length) return h("select", { name: c.key }, h("option", { value: "" }, current || "—"), c.options.map((o) => h("option", { value: o }, o)));
    const type = c.type === "number" ? "number" : c.type === "date" ? "date" : c.key.endsWith("phone") ? "tel" : "text";
    return h("input", { name: c.key, type, placeholder: current || "", inputmode: type === "number" ? "decimal" : null });
  }

  function viewDataRow(path) {
    const [rid, rowId] = path.split("/");
    const r = findTable(rid);
    const row = r && r.rows.find((x) => String(x.id) === rowId);
    if (!row) return viewDataRequest(rid);
    const col = (k) => r.columns.find((c) => c.key === k);
    const known = r.columns.filter((c) => !c.extra && row.values[c.key] != null && !(row.ask || []).includes(c.key));
    const asked = (row.ask || []).map(col).filter(Boolean);
    const fix = (row.correctable || []).map(col).filter(Boolean);
    const form = h(
      "form",
      { class: "f-form", id: "dr-answer" },
      section(t("fld_dr_known"), "dr-known", h("dl", { class: "f-known" }, known.map((c) => [h("dt", null, c.label), h("dd", { "data-key": c.key }, String(row.values[c.key]))]))),
      asked.length ? section(t("fld_dr_ask"), "dr-ask", asked.map((c) => field(c.label + (c.required ? " *" : ""), answerControl(c, "")))) : null,
      fix.length ? section(t("fld_dr_fix"), "dr-fix", fix.map((c) => field(c.label, answerControl(c, String(row.values[c.key] || ""))))) : null,
      h("button", { type: "submit", class: "f-btn is-primary", id: "dr-save" }, t("fld_dr_save")),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const values = {};
      for (const el of form.querySelectorAll("input[name], select[name]")) {
        const v = el.value.trim();
        if (v) values[el.name] = v;
      }
      const missing = asked.find((c) => c.required && !values[c.key]);
      if (missing) {
        form.querySelector("[name='" + missing.key + "']").focus();
        return;
      }
      await enqueue("data_answer", { row_id: row.id, values }, { label: r.title + " · " + row.label });
      location.hash = "#/dr/" + r.id;
    });
    show("dr-row", row.label, [h("p", { class: "f-meta" }, r.title), form]);
  }

  function personHead(v) {
    return h(
      "div",
      { class: "f-person" },
      h("div", { class: "f-card-head" }, h("strong", { class: "f-name" }, v.name), h("span", { class: "f-meta" }, genderAge(v)), v.due_on ? dueBadge(v) : null),
      tagList(v.tags),
      v.address ? h("div", { class: "f-addr" }, v.address) : null,
      v.phone_masked ? h("div", { class: "f-meta" }, v.phone_masked) : null,
      v.last_visit_on !== undefined ? h("div", { class: "f-meta" }, v.last_visit_on ? t("fld_last_visit", { d: v.last_visit_on }) : t("fld_never_visited")) : null,
      changeList(v.changes),
    );
  }

  function viewVisit(pid) {
    const v = findVisit(pid);
    if (!v) return show("visit", t("fld_visit"), [h("p", { class: "f-empty" }, t("fld_person_missing")), h("a", { class: "f-btn", href: "#/today" }, t("fld_back_today"))]);
    const st = { photo: null, lat: null, lon: null };
    const form = h(
      "form",
      { class: "f-form", id: "visit-form", novalidate: true },
      personHead(v),
      choice("found", t("fld_found"), [["yes", t("fld_found_yes")], ["no", t("fld_found_no")]], "yes"),
      choice("situation", t("fld_situation"), [["normal", t("fld_sit_normal")], ["attention", t("fld_sit_attention")], ["difficulty", t("fld_sit_difficulty")]], "normal"),
      choice("risk", t("fld_risk"), [["same", t("fld_risk_same")], ["up", t("fld_risk_up")], ["down", t("fld_risk_down")]], "same"),
      field(t("fld_needs"), h("textarea", { name: "needs", rows: 2, maxlength: 1000, placeholder: t("fld_needs_hint") })),
      field(t("fld_note"), h("textarea", { name: "note", rows: 3, maxlength: 1000 }), t("fld_note_hint")),
      photoField(st),
      h("div", { class: "f-actions" }, h("button", { type: "submit", class: "f-btn f-primary", id: "visit-save" }, t("fld_save"))),
    );
    // The visit's place is a fact worth keeping, but only when the phone gives it without asking.
    geoGranted().then((ok) =>
      ok &&
      locate(10000).then(
        (p) => {
          st.lat = p.lat;
          st.lon = p.lon;
        },
        () => {},
      ),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = new FormData(form);
      const data = {
        person_id: v.person_id,
        found: f.get("found") === "yes",
        situation: f.get("situation"),
        needs: String(f.get("needs") || "").trim(),
        risk: f.get("risk"),
        note: String(f.get("note") || "").trim(),
      };
      if (st.lat != null) Object.assign(data, { lat: st.lat, lon: st.lon });
      form.querySelector("#visit-save").disabled = true;
      const item = await enqueue("visit", data, { label: v.name, photo: st.photo });
      const person = { person_id: v.person_id, name: v.name, address: v.address, grid_code: v.grid_code, tags: v.tags };
      recent(item.key, { kind: "visit", label: v.name, person, data });
      location.hash = "#/saved/" + item.key;
    });
    show("visit", t("fld_visit") + " · " + v.name, [form]);
  }

  function viewSaved(key, keepScroll) {
    const rec = recent(key) || {};
    const item = outbox.find((i) => i.key === key);
    const res = results.get(key);
    let status;
    let cls = "f-notice";
    if (item && item.state === "rejected") {
      status = t("fld_saved_rejected", { m: errorText(item.error) });
      cls = "f-error";
    } else if (item) {
      status = t("fld_saved_queued");
    } else {
      status = t("fld_saved_synced") + (res && res.id ? " #" + res.id : "");
    }
    const nodes = [
      h("p", { class: "f-saved-who" }, [rec.kind ? t("fld_kind_" + rec.kind) : "", rec.label].filter(Boolean).join(" · ")),
      h("p", { class: cls, id: "saved-status", "data-synced": item ? "0" : "1" }, status),
    ];
    if (rec.kind === "visit") {
      nodes.push(h("a", { class: "f-btn f-primary", id: "finding", href: "#/event/" + key }, t("fld_report_finding")));
      nodes.push(h("a", { class: "f-btn", id: "finding-move-out", href: "#/report/moveout/" + rec.person.person_id }, t("fld_register_move_out")));
    }
    nodes.push(h("a", { class: "f-btn", id: "back-today", href: "#/today" }, t("fld_back_today")));
    show("saved", "✓ " + t("fld_saved"), [h("div", { class: "f-stack" }, nodes)], keepScroll);
  }

  /** A category picker: chips for a short list (hazard, instability), a select for the full one. */
  function categoryField(cats, value) {
    if (cats.length && cats.length <= 6) return choice("category", t("fld_category"), cats.map((c) => [c.code, c.name]), value || (cats.length === 1 ? cats[0].code : null));
    return field(
      t("fld_category"),
      h("select", { name: "category", value: value || "" }, h("option", { value: "" }, t("fld_choose")), cats.map((c) => h("option", { value: c.code }, c.name))),
    );
  }

  /**
   * The event form for every way an event starts: a hazard, an instability (urgent), any other event, or a
   * finding on a visit (`pre` carries the person, place and text, so nothing is typed twice).
   */
  function eventForm(route, title, cats, pre) {
    const d = todayData();
    const st = { photo: null, lat: pre.lat == null ? null : pre.lat, lon: pre.lon == null ? null : pre.lon };
    const err = h("div", { class: "f-form-error" });
    const grids = d.grids;
    const gridCtl =
      grids.length > 1
        ? field(t("fld_grid"), h("select", { name: "grid_code", value: pre.grid_code || grids[0].code }, grids.map((g) => h("option", { value: g.code }, g.name))))
        : null;
    const form = h(
      "form",
      { class: "f-form", id: "event-form", novalidate: true },
      pre.person ? h("p", { class: "f-notice" }, t("fld_about_person", { name: pre.person.name })) : null,
      categoryField(cats, pre.category),
      field(t("fld_description"), h("textarea", { name: "description", rows: 4, maxlength: 1000, placeholder: t("fld_description_hint"), value: pre.description || "" })),
      gridCtl,
      field(t("fld_address"), h("input", { name: "address", maxlength: 200, value: pre.address || "" })),
      gpsField(st),
      toggle("urgent", t("fld_urgent"), !!pre.urgent),
      photoField(st),
      err,
      h("div", { class: "f-actions" }, h("button", { type: "submit", class: "f-btn f-primary", id: "event-submit" }, t("fld_submit"))),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = new FormData(form);
      const category = String(f.get("category") || "");
      const description = String(f.get("description") || "").trim();
      err.replaceChildren();
      if (!category) err.append(errorLine(t("fld_category") + "：" + t("fld_required")));
      if (!description) err.append(errorLine(t("fld_description") + "：" + t("fld_required")));
      if (err.childNodes.length) return;
      const data = { category, description };
      const grid = f.get("grid_code") || pre.grid_code || (grids[0] && grids[0].code);
      if (grid) data.grid_code = grid;
      const address = String(f.get("address") || "").trim();
      if (address) data.address = address;
      if (st.lat != null) Object.assign(data, { lat: st.lat, lon: st.lon });
      if (pre.person) data.person_id = pre.person.person_id;
      // Found on a patrol under way: the event's source is the patrol.
      if (patrol && !pre.person) data.patrol = patrol.key;
      if (f.get("urgent")) data.urgent = true;
      const cat = (d.quick.all || []).concat(d.quick.hazard || [], d.quick.instability || []).find((c) => c.code === category);
      const label = (cat ? cat.name : category) + " · " + description.slice(0, 20);
      form.querySelector("#event-submit").disabled = true;
      const item = await enqueue("event", data, { label, photo: st.photo });
      recent(item.key, { kind: "event", label });
      location.hash = "#/saved/" + item.key;
    });
    show(route, title, [form]);
  }

  function allCategories() {
    const q = todayData().quick || {};
    const seen = new Set();
    return [].concat(q.hazard || [], q.instability || [], q.all || []).filter((c) => !seen.has(c.code) && seen.add(c.code));
  }

  function viewEvent(visitKey) {
    const rec = visitKey ? recent(visitKey) : null;
    if (!rec || rec.kind !== "visit") return eventForm("event", t("fld_new_event"), allCategories(), {});
    const p = rec.person;
    const text = [rec.data.needs, rec.data.note].filter(Boolean).join("；");
    // A visit that found difficulty is most often a call for help; anyone tagged is a special-group matter.
    const all = allCategories();
    const has = (code) => all.some((c) => c.code === code);
    let category = null;
    if (rec.data.situation === "difficulty" && has("Z0501")) category = "Z0501";
    else if (p.tags && p.tags.length && has("Z0401")) category = "Z0401";
    eventForm("event", t("fld_report_finding"), all, {
      person: p,
      category,
      description: t("fld_finding_prefix", { name: p.name, address: p.address || "" }) + text,
      grid_code: p.grid_code,
      address: p.address,
      lat: rec.data.lat,
      lon: rec.data.lon,
      urgent: rec.data.risk === "up",
    });
  }

  function viewReportMenu() {
    const tile = (href, id, text) => h("a", { class: "f-tile", href, id }, text);
    show("report", t("fld_quick"), [
      h(
        "div",
        { class: "f-tiles" },
        tile("#/report/hazard", "quick-hazard", t("fld_hazard")),
        tile("#/report/instability", "quick-instability", t("fld_instability")),
        tile("#/report/migrant", "quick-migrant", t("fld_migrant_arrival")),
        tile("#/report/moveout", "quick-moveout", t("fld_move_out")),
      ),
      h("a", { class: "f-btn", href: "#/event", id: "quick-other" }, t("fld_other_event")),
    ]);
  }

  function viewQuick(which) {
    const q = todayData().quick || {};
    if (which === "hazard") return eventForm("report-hazard", t("fld_hazard"), q.hazard || [], {});
    return eventForm("report-instability", t("fld_instability"), q.instability || [], { urgent: true });
  }

  /** 18 characters, the last a check character over the first 17 (GB 11643); the server checks the rest. */
  function idNumberOk(s) {
    if (!/^\d{17}[\dX]$/.test(s)) return false;
    const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum = 0;
    for (let i = 0; i < 17; i++) sum += Number(s[i]) * w[i];
    return "10X98765432"[sum % 11] === s[17];
  }

  async function getJson(url) {
    const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    netDown = false;
    if (!r.ok) {
      const e = await errorMessage(r);
      throw new Error(e ? localize(e.message) : "HTTP " + r.status);
    }
    return r.json();
  }

  function viewMigrant() {
    const day = chinaDay();
    const err = h("div", { class: "f-form-error" });
    const houseInput = h("input", { name: "house_code", id: "house-code", maxlength: 40, autocomplete: "off" });
    const found = h("ul", { class: "f-list" });
    const searchInput = h("input", { type: "search", id: "house-q", placeholder: t("fld_address") });
    const search = async () => {
      found.replaceChildren();
      const q = searchInput.value.trim();
      if (!q) return;
      try {
        const page = await getJson("/api/v1/people?limit=50&q=" + encodeURIComponent(q));
        const houses = new Map();
        for (const p of page.items || []) if (p.house_id && !houses.has(p.house_id)) houses.set(p.house_id, p.address || "");
        if (!houses.size) found.append(h("li", { class: "f-empty" }, t("fld_no_results")));
        for (const [id, address] of houses) {
          const btn = h("button", { type: "button", class: "f-btn f-row" }, address);
          btn.addEventListener("click", async () => {
            try {
              const house = await getJson("/api/v1/houses/" + id);
              houseInput.value = house.code;
              found.replaceChildren();
            } catch (e) {
              found.replaceChildren(errorLine(e.message));
            }
          });
          found.append(h("li", null, btn));
        }
      } catch (_) {
        found.append(h("li", { class: "f-empty" }, t("fld_search_online")));
      }
    };
    const form = h(
      "form",
      { class: "f-form", id: "migrant-form", novalidate: true },
      field(t("fld_name"), h("input", { name: "name", maxlength: 50, autocomplete: "off" })),
      field(t("fld_id_number"), h("input", { name: "id_number", maxlength: 18, autocomplete: "off", inputmode: "text", class: "f-mono" })),
      field(t("fld_phone"), h("input", { name: "phone", type: "tel", maxlength: 20, autocomplete: "off" })),
      field(t("fld_house_code"), houseInput),
      h(
        "details",
        { class: "f-field f-more" },
        h("summary", null, t("fld_house_search")),
        h("div", { class: "f-search" }, searchInput, h("button", { type: "button", class: "f-btn f-small", onclick: search }, t("fld_search"))),
        found,
      ),
      field(t("fld_arrived"), h("input", { name: "arrived", type: "date", value: day, max: day })),
      choice("permit", t("fld_permit"), [["无", t("fld_permit_none")], ["暂住证", t("fld_permit_temp")], ["居住证", t("fld_permit_res")]], "无"),
      err,
      h("div", { class: "f-actions" }, h("button", { type: "submit", class: "f-btn f-primary", id: "migrant-submit" }, t("fld_submit"))),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = new FormData(form);
      const v = (k) => String(f.get(k) || "").trim();
      const data = { name: v("name"), id_number: v("id_number").toUpperCase(), house_code: v("house_code"), arrived: v("arrived") || day, permit: v("permit") || "无" };
      if (v("phone")) data.phone = v("phone");
      err.replaceChildren();
      if (!data.name) err.append(errorLine(t("fld_name") + "：" + t("fld_required")));
      if (!idNumberOk(data.id_number)) err.append(errorLine(t("fld_id_bad")));
      if (!data.house_code) err.append(errorLine(t("fld_house_code") + "：" + t("fld_required")));
      if (err.childNodes.length) return;
      form.querySelector("#migrant-submit").disabled = true;
      const item = await enqueue("migrant_arrival", data, { label: data.name });
      recent(item.key, { kind: "migrant_arrival", label: data.name });
      location.hash = "#/saved/" + item.key;
    });
    show("report-migrant", t("fld_migrant_arrival"), [form]);
  }

  /** People met through a search, so the move-out form can name someone not on today's list. */
  const peopleSeen = new Map();

  function personRow(p) {
    return h(
      "a",
      { class: "f-card f-pick", href: "#/report/moveout/" + p.person_id, "data-person": p.person_id },
      h("div", { class: "f-card-head" }, h("strong", { class: "f-name" }, p.name), h("span", { class: "f-meta" }, genderAge(p))),
      p.address ? h("div", { class: "f-addr" }, p.address) : null,
    );
  }

  function viewMoveOutPick() {
    const list = h("div", { class: "f-cards", id: "people" });
    const local = todayData().visits;
    const draw = (people) => list.replaceChildren(...(people.length ? people.map(personRow) : [h("p", { class: "f-empty" }, t("fld_no_results"))]));
    const q = h("input", { type: "search", id: "person-q", placeholder: t("fld_person_search"), autocomplete: "off" });
    q.addEventListener("input", () => {
      const s = q.value.trim();
      draw(s ? local.filter((p) => (p.name + " " + (p.address || "")).includes(s)) : local);
    });
    const remote = async (ev) => {
      ev.preventDefault();
      const s = q.value.trim();
      if (!s) return;
      try {
        const page = await getJson("/api/v1/people?limit=30&q=" + encodeURIComponent(s));
        const people = (page.items || []).map((p) => ({
          person_id: p.id,
          name: p.name,
          gender: p.gender,
          age: p.age,
          address: p.address,
          grid_code: p.grid_code,
        }));
        for (const p of people) peopleSeen.set(String(p.person_id), p);
        draw(people);
      } catch (_) {
        list.replaceChildren(h("p", { class: "f-empty" }, t("fld_search_online")));
      }
    };
    draw(local);
    show("report-moveout", t("fld_move_out"), [
      h("form", { class: "f-search", id: "person-search", onsubmit: remote }, q, h("button", { type: "submit", class: "f-btn f-small" }, t("fld_search"))),
      list,
    ]);
  }

  function viewMoveOut(pid) {
    if (!pid) return viewMoveOutPick();
    const p = findVisit(pid) || peopleSeen.get(String(pid));
    if (!p) return viewMoveOutPick();
    const day = chinaDay();
    const form = h(
      "form",
      { class: "f-form", id: "moveout-form", novalidate: true },
      personHead(p),
      h("a", { class: "f-btn f-small", href: "#/report/moveout" }, t("fld_change_person")),
      field(t("fld_date"), h("input", { name: "date", type: "date", value: day, max: day })),
      field(t("fld_note"), h("textarea", { name: "note", rows: 3, maxlength: 1000 })),
      h("div", { class: "f-actions" }, h("button", { type: "submit", class: "f-btn f-primary", id: "moveout-submit" }, t("fld_submit"))),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = new FormData(form);
      const data = { person_id: p.person_id };
      const date = String(f.get("date") || "");
      const note = String(f.get("note") || "").trim();
      if (date) data.date = date;
      if (note) data.note = note;
      form.querySelector("#moveout-submit").disabled = true;
      const item = await enqueue("move_out", data, { label: p.name });
      recent(item.key, { kind: "move_out", label: p.name });
      location.hash = "#/saved/" + item.key;
    });
    show("report-moveout", t("fld_move_out") + " · " + p.name, [form]);
  }

  // ---------------------------------------------------------------- patrol

  /** {key, started_at, route_id, route_name, team, checkpoints, checked: {name: ms}, points} or null. */
  let patrol = null;
  /** Points not yet queued: [[at, lat, lon, accuracy_m], …], kept in IndexedDB so a reload loses none. */
  let trackBuf = [];
  let watchId = null;
  let lastPos = null;
  let geoError = "";

  function startWatch() {
    if (watchId != null || !navigator.geolocation) return;
    watchId = navigator.geolocation.watchPosition(
      (p) => {
        geoError = "";
        lastPos = { lat: p.coords.latitude, lon: p.coords.longitude, acc: p.coords.accuracy, at: Date.now() };
        if (!patrol) return;
        trackBuf.push([Math.round(p.timestamp || Date.now()), +p.coords.latitude.toFixed(6), +p.coords.longitude.toFixed(6), Math.round(p.coords.accuracy || 0)]);
        patrol.points = (patrol.points || 0) + 1;
        kvPut("track", trackBuf);
        kvPut("patrol", patrol);
        if (current.startsWith("#/patrol")) viewPatrol(null, true);
      },
      (e) => {
        geoError = e.message || "geolocation";
        if (current.startsWith("#/patrol")) viewPatrol(null, true);
      },
      { enableHighAccuracy: true, maximumAge: 5000, timeout: 60000 },
    );
  }

  function stopWatch() {
    if (watchId != null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
  }

  /** Turns the buffered points into `track` items (≤ 5,000 points each) and empties the buffer in one transaction. */
  async function flushTrack(noFlush) {
    if (!patrol || !trackBuf.length) return;
    const pts = trackBuf.splice(0);
    for (let i = 0; i < pts.length; i += 5000) {
      const chunk = pts.slice(i, i + 5000);
      const last = i + 5000 >= pts.length;
      await enqueue("track", { patrol: patrol.key, points: chunk }, { label: "", noFlush: noFlush || !last }, last ? (s) => s.kv.put({ k: "track", v: [] }) : null);
    }
  }

  async function startPatrol(form) {
    const d = todayData();
    const f = new FormData(form);
    const route = d.patrol_routes.find((r) => String(r.id) === String(f.get("route_id")));
    const team = String(f.get("team") || "").trim() || (route && route.team) || "";
    const data = {};
    if (route) data.route_id = route.id;
    if (team) data.team = team;
    if (d.grids[0]) data.grid_code = d.grids[0].code;
    const item = await enqueue("patrol_start", data, { label: route ? route.name : team });
    patrol = { key: item.key, started_at: item.at, route_id: route ? route.id : null, route_name: route ? route.name : "", team, checkpoints: route ? route.checkpoints || [] : [], checked: {}, points: 0 };
    trackBuf = [];
    await kvPut("patrol", patrol);
    await kvPut("track", []);
    startWatch();
    viewPatrol();
  }

  async function endPatrol() {
    if (!patrol) return;
    await flushTrack(true);
    await enqueue("patrol_end", { patrol: patrol.key }, { label: patrol.route_name || patrol.team });
    patrol = null;
    stopWatch();
    await kvDel("patrol");
    viewPatrol();
  }

  async function checkIn(cp, btn) {
    btn.disabled = true;
    let pos = lastPos && Date.now() - lastPos.at < 30000 ? lastPos : null;
    try {
      if (!pos) pos = await locate(20000);
    } catch (e) {
      geoError = e.message;
      btn.disabled = false;
      return viewPatrol(null, true);
    }
    // A new try supersedes a refused one: the worker sees only the latest answer.
    await dropItems(outbox.filter((i) => i.kind === "checkin" && i.data.patrol === patrol.key && i.data.point === cp.name && i.state === "rejected").map((i) => i.key));
    await enqueue("checkin", { patrol: patrol.key, point: cp.name, lat: pos.lat, lon: pos.lon }, { label: cp.name });
    patrol.checked[cp.name] = Date.now();
    await kvPut("patrol", patrol);
    viewPatrol(null, true);
  }

  function viewPatrol(_, keepScroll) {
    const d = todayData();
    const nodes = [];
    if (!patrol) {
      const open = d.open_patrol;
      const openAt = open && (typeof open.started_at === "number" ? open.started_at : open.started_at_ms);
      if (open && open.key && !outbox.some((i) => i.kind === "patrol_end" && i.data.patrol === open.key)) {
        nodes.push(
          h(
            "div",
            { class: "f-card", id: "open-patrol" },
            h("p", null, t("fld_patrol_open", { t: fmtWhen(openAt) })),
            h(
              "button",
              {
                type: "button",
                class: "f-btn f-primary",
                onclick: async () => {
                  patrol = { key: open.key, started_at: openAt, route_id: null, route_name: "", team: "", checkpoints: [], checked: {}, points: 0 };
                  await kvPut("patrol", patrol);
                  startWatch();
                  viewPatrol();
                },
              },
              t("fld_patrol_continue"),
            ),
            h("button", { type: "button", class: "f-btn", onclick: () => enqueue("patrol_end", { patrol: open.key }, { label: "" }).then(() => viewPatrol()) }, t("fld_patrol_end")),
          ),
        );
      }
      const form = h(
        "form",
        { class: "f-form", id: "patrol-form" },
        field(
          t("fld_route"),
          h("select", { name: "route_id" }, h("option", { value: "" }, t("fld_no_route")), (d.patrol_routes || []).map((r) => h("option", { value: r.id }, r.name + (r.team ? " · " + r.team : "")))),
        ),
        field(t("fld_team"), h("input", { name: "team", maxlength: 50 })),
        h("div", { class: "f-actions" }, h("button", { type: "submit", class: "f-btn f-primary", id: "patrol-start" }, t("fld_patrol_start"))),
      );
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        form.querySelector("#patrol-start").disabled = true;
        startPatrol(form);
      });
      nodes.push(form);
      return show("patrol", t("fld_patrol"), nodes, keepScroll);
    }
    nodes.push(
      h(
        "div",
        { class: "f-card", id: "patrol-on" },
        h("strong", null, [patrol.route_name, patrol.team].filter(Boolean).join(" · ") || t("fld_patrol")),
        h("p", null, t("fld_patrol_since", { t: fmtWhen(patrol.started_at) })),
        h("p", { class: "f-meta", id: "patrol-points" }, t("fld_points_recorded", { n: patrol.points || 0 })),
        geoError ? errorLine(t("fld_gps_failed", { m: geoError })) : null,
      ),
    );
    if (patrol.checkpoints.length) {
      nodes.push(
        section(
          t("fld_checkpoints"),
          "checkpoints",
          h(
            "ul",
            { class: "f-list" },
            patrol.checkpoints.map((cp) => {
              // A check-in the server refused (too far from the point) is shown with its reason, and may be tried again.
              const refused = outbox.find((i) => i.kind === "checkin" && i.data.patrol === patrol.key && i.data.point === cp.name && i.state === "rejected");
              const done = refused ? null : patrol.checked[cp.name];
              const far = lastPos && cp.lat != null ? Math.round(distanceM(lastPos.lat, lastPos.lon, cp.lat, cp.lon)) : null;
              const btn = h("button", { type: "button", class: "f-btn f-small" + (done ? "" : " f-primary"), disabled: !!done }, done ? t("fld_checked_in") + " " + fmtTime(done) : t("fld_checkin"));
              if (!done) btn.addEventListener("click", () => checkIn(cp, btn));
              return h(
                "li",
                { class: "f-cp", "data-point": cp.name, "data-done": done ? "1" : "0" },
                h("div", null, h("strong", null, cp.name), far != null ? h("span", { class: "f-meta" }, " · " + t("fld_distance", { n: far })) : null, refused ? h("div", { class: "f-ob-state is-error" }, errorText(refused.error)) : null),
                btn,
              );
            }),
          ),
        ),
      );
    }
    nodes.push(h("a", { class: "f-btn", href: "#/report/hazard" }, t("fld_hazard")));
    nodes.push(h("button", { type: "button", class: "f-btn f-danger", id: "patrol-end", onclick: endPatrol }, t("fld_patrol_end")));
    show("patrol", t("fld_patrol"), nodes, keepScroll);
  }

  // ---------------------------------------------------------------- 民情日志

  function logRows(items, fmt) {
    if (!items || !items.length) return h("p", { class: "f-empty" }, t("fld_log_empty"));
    return h("ul", { class: "f-list f-log-list" }, items.map((x) => h("li", null, fmt(x))));
  }

  /** "HH:MM " of a log entry, whether the server sends milliseconds or "YYYY-MM-DD HH:MM…" text. */
  function timeOf(x) {
    const v = x.at || x.visited_at || x.reported_at || x.started_at_ms || x.started_at || x.created_at;
    if (typeof v === "number") return fmtTime(v) + " ";
    const m = typeof v === "string" && v.match(/[ T](\d{2}:\d{2})/);
    return m ? m[1] + " " : "";
  }

  function logVisit(v) {
    const sit = { normal: "fld_sit_normal", attention: "fld_sit_attention", difficulty: "fld_sit_difficulty" }[v.situation];
    const found = v.found === false ? t("fld_found_no") : v.found === true ? t("fld_found_yes") : "";
    return [
      h("strong", null, timeOf(v) + (v.name || v.person_name || "#" + v.person_id)),
      h("span", { class: "f-meta" }, " " + [found, sit ? t(sit) : v.situation_name || ""].filter(Boolean).join(" · ")),
      v.note || v.needs ? h("div", null, [v.needs, v.note].filter(Boolean).join("；")) : null,
    ];
  }

  function logEvent(e) {
    return [
      h("strong", null, timeOf(e) + (e.category_name || e.category || "")),
      h("span", { class: "f-meta" }, " " + ((STR.statuses || {})[e.status] || e.status || "") + (e.id ? " #" + e.id : "")),
      e.description ? h("div", null, e.description) : null,
    ];
  }

  function logPatrol(p) {
    const parts = [];
    const min = p.minutes != null ? p.minutes : p.duration_ms != null ? Math.round(p.duration_ms / 60000) : p.duration_s != null ? Math.round(p.duration_s / 60) : null;
    if (min != null) parts.push(t("fld_minutes", { n: min }));
    const km = p.km != null ? p.km : p.distance_m != null ? p.distance_m / 1000 : null;
    if (km != null) parts.push(t("fld_km", { n: Number(km).toFixed(1) }));
    const route = (todayData().patrol_routes || []).find((r) => r.id === p.route_id);
    const name = [p.route_name || (route && route.name), p.team].filter(Boolean).join(" · ") || t("fld_patrol");
    return [h("strong", null, timeOf(p) + name), h("span", { class: "f-meta" }, " " + parts.join(" · "))];
  }

  async function viewLog(day) {
    day = day || chinaDay();
    const route = "#/log/" + day;
    const body = h("div", { id: "log-body" }, h("p", { class: "f-empty" }, t("fld_loading")));
    const nav = h(
      "div",
      { class: "f-daynav" },
      h("a", { class: "f-btn f-small", href: "#/log/" + addDays(day, -1), id: "log-prev" }, t("fld_prev_day")),
      h("input", {
        type: "date",
        value: day,
        max: chinaDay(),
        id: "log-day",
        onchange: (ev) => ev.target.value && (location.hash = "#/log/" + ev.target.value),
      }),
      day < chinaDay() ? h("a", { class: "f-btn f-small", href: "#/log/" + addDays(day, 1), id: "log-next" }, t("fld_next_day")) : null,
    );
    show("log", t("fld_log_title"), [nav, body]);
    let log = null;
    let note = "";
    try {
      log = await getJson("/api/v1/field/log?day=" + day);
      await kvPut("log:" + day, { log, fetched_at: Date.now() });
    } catch (e) {
      if (e instanceof TypeError) netDown = true;
      const cached = await kvGet("log:" + day);
      if (cached) {
        log = cached.log;
        body.dataset.offline = "1";
        body.before(h("p", { class: "f-stale" }, t("fld_log_offline", { t: fmtWhen(cached.fetched_at) })));
      } else if (!(e instanceof TypeError)) {
        body.before(errorLine(e.message));
      }
    }
    if (current !== route && !(current === "#/log" && day === chinaDay())) return;
    const queued = outbox.filter((i) => i.kind === "log_note" && i.data.day === day).pop();
    note = queued ? queued.data.note : log ? log.note || "" : "";
    const kids = [];
    if (log) {
      kids.push(section(t("fld_log_visits") + " (" + (log.visits || []).length + ")", "log-visits", logRows(log.visits, logVisit)));
      kids.push(section(t("fld_log_events") + " (" + (log.events || []).length + ")", "log-events", logRows(log.events, logEvent)));
      kids.push(section(t("fld_log_patrols") + " (" + (log.patrols || []).length + ")", "log-patrols", logRows(log.patrols, logPatrol)));
    } else {
      kids.push(h("p", { class: "f-empty" }, t("fld_log_unavailable")));
    }
    const saved = h("span", { class: "f-hint", id: "log-saved" });
    const form = h(
      "form",
      { class: "f-form", id: "log-form" },
      field(t("fld_log_note"), h("textarea", { name: "note", rows: 4, maxlength: 1000, value: note })),
      saved,
      h("div", { class: "f-actions" }, h("button", { type: "submit", class: "f-btn f-primary", id: "log-save" }, t("fld_save"))),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const text = String(new FormData(form).get("note") || "").trim();
      await enqueue("log_note", { day, note: text }, { label: day });
      saved.textContent = "✓ " + t("fld_saved");
    });
    kids.push(form);
    body.replaceChildren(...kids);
  }

  // ---------------------------------------------------------------- routing

  const ROUTES = [
    [/^#\/today$/, viewToday],
    [/^#\/visit\/(\d+)$/, viewVisit],
    [/^#\/saved\/([\w-]+)$/, viewSaved],
    [/^#\/event(?:\/([\w-]+))?$/, viewEvent],
    [/^#\/report$/, viewReportMenu],
    [/^#\/report\/(hazard|instability)$/, viewQuick],
    [/^#\/report\/migrant$/, viewMigrant],
    [/^#\/report\/moveout(?:\/(\d+))?$/, viewMoveOut],
    [/^#\/patrol$/, viewPatrol],
    [/^#\/log(?:\/(\d{4}-\d{2}-\d{2}))?$/, viewLog],
    [/^#\/dr\/(\d+)$/, viewDataRequest],
    [/^#\/dr\/(\d+\/\d+)$/, viewDataRow],
  ];

  function route() {
    current = location.hash || "#/today";
    for (const [re, fn] of ROUTES) {
      const m = current.match(re);
      if (m) return fn(m[1]);
    }
    history.replaceState(null, "", "#/today");
    current = "#/today";
    viewToday();
  }

  /** Redraws a screen that only shows state (never a form being filled in) after the outbox or data changed. */
  function refreshLive() {
    updateBar();
    const r = view.dataset.route;
    if (r === "today") viewToday(null, true);
    else if (r === "dr") viewDataRequest(current.split("/")[2]);
    else if (r === "saved") viewSaved(current.split("/")[2], true);
    else if (r === "patrol" && patrol) viewPatrol(null, true);
  }

  window.addEventListener("hashchange", route);

  // ---------------------------------------------------------------- start

  async function start() {
    try {
      db = await openDb();
    } catch (e) {
      console.warn("field: IndexedDB unavailable, keeping the queue in memory", e);
    }
    const cached = await kvGet("today");
    if (cached) today = { data: cached.data, fetched_at: cached.fetched_at, stale: true, error: "" };
    patrol = (await kvGet("patrol")) || null;
    trackBuf = (await kvGet("track")) || [];
    await loadOutbox();
    if (!location.hash) history.replaceState(null, "", "#/today");
    route();
    if (patrol) startWatch();
    if (visitOrder() === "near") setVisitOrder("near");
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/m/sw.js", { scope: "/m" }).catch((e) => console.warn("field: no service worker", e));
    }
    await fetchToday();
    flush();
    setInterval(flush, SYNC_EVERY_MS);
    setInterval(() => flushTrack(), TRACK_EVERY_MS);
    window.addEventListener("online", () => {
      netDown = false;
      flush();
      fetchToday();
    });
    window.addEventListener("offline", updateBar);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") flush();
    });
  }

  start();
})();

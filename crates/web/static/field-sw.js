// Service worker of the grid worker's phone app, served at /m/sw.js with scope /m. The server prepends
// `const FIELD_BUILD = {version, shell, assets}` (the versioned asset URLs the shell loads).
//
// The shell (/m) is network-first, so a signed-in worker always gets a fresh page and CSRF token when the
// network is there, and the last good copy when it is not. Assets are cache-first under versioned URLs.
// API answers are never cached here: the app keeps its data in IndexedDB, where it knows how old it is.
/* global FIELD_BUILD */
"use strict";

const CACHE = "wangge-field-" + FIELD_BUILD.version;
const SHELL = FIELD_BUILD.shell;
const ASSETS = new Set(FIELD_BUILD.assets);

async function precache() {
  const cache = await caches.open(CACHE);
  await Promise.all(
    FIELD_BUILD.assets.map(async (url) => {
      const r = await fetch(url, { cache: "reload" });
      if (r.ok) await cache.put(url, r);
    }),
  );
  // The shell needs a session; signed out it redirects to the login page, which is not the shell.
  try {
    const r = await fetch(SHELL, { cache: "reload", credentials: "same-origin" });
    if (isShell(r)) await cache.put(SHELL, r);
  } catch (_) {
    // Offline while installing: the next online visit caches it.
  }
}

function isShell(r) {
  return r.ok && !r.redirected && new URL(r.url).pathname === SHELL;
}

self.addEventListener("install", (e) => {
  e.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("wangge-field-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

async function shellNetworkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const r = await fetch(request);
    if (isShell(r)) await cache.put(SHELL, r.clone());
    return r;
  } catch (err) {
    const cached = await cache.match(SHELL);
    if (cached) return cached;
    throw err;
  }
}

async function assetCacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const r = await fetch(request);
  if (r.ok) await cache.put(request, r.clone());
  return r;
}

self.addEventListener("fetch", (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  // Data lives in IndexedDB; an API answer from a cache would be stale without anyone knowing.
  if (url.pathname.startsWith("/api/")) return;
  if (req.mode === "navigate" && url.pathname === SHELL) {
    e.respondWith(shellNetworkFirst(req));
  } else if (ASSETS.has(url.pathname + url.search)) {
    e.respondWith(assetCacheFirst(req));
  }
  // Anything else (the web UI under a path starting with "/m", sw.js itself) goes to the network untouched.
});

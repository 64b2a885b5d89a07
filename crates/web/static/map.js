// wangge shared map module (window.WanggeMap): one place for what every map page does — a Leaflet map on a
// plain background unless a tile URL is configured (government networks are often offline), JSON fetched with
// the session cookie, tooltips built as DOM text (never HTML from the data), and the grids of a region loaded
// as a GeoJSON layer. The region map (app.js), the safety map (safety.js) and the command centre (command.js)
// build on it. No inline script anywhere: pages pass URLs and labels in data-* attributes.
(function () {
  "use strict";
  if (!window.L) return;

  // A map in `el`; `d.tiles` / `d.attribution` from the element's data-* attributes.
  function create(el, opts) {
    var d = el.dataset;
    opts = opts || {};
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!d.tiles, zoomControl: opts.zoomControl !== false });
    if (d.tiles) {
      L.tileLayer(d.tiles, { maxZoom: 19, subdomains: "01234567", attribution: d.attribution || "" }).addTo(map);
    } else {
      el.classList.add("no-tiles");
    }
    map.setView([30.28, 120.15], 13);
    return map;
  }

  function getJSON(url) {
    if (!url) return Promise.resolve({ type: "FeatureCollection", features: [] });
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }

  // Tooltip content from lines of text: the first bold.
  function tip(lines) {
    var div = document.createElement("div");
    lines.forEach(function (line, i) {
      if (!line) return;
      var p = document.createElement(i === 0 ? "strong" : "div");
      p.textContent = line;
      div.appendChild(p);
    });
    return div;
  }

  // The grids of `url` (a FeatureCollection) as a layer; `style(feature)` and `each(feature, layer)` as Leaflet's.
  function gridLayer(map, url, style, each) {
    return getJSON(url).then(function (fc) {
      var layer = L.geoJSON(fc, { style: style, onEachFeature: each }).addTo(map);
      return { layer: layer, features: fc.features };
    });
  }

  window.WanggeMap = { create: create, getJSON: getJSON, tip: tip, gridLayer: gridLayer };
})();

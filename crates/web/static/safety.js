// Safety map (治安防控): the region's grids coloured by patrol coverage over the last 30 days, and open hazard
// events as red points. Draws on a plain background when no tile URL is set (government networks are often
// offline). The page passes URLs and labels in data-* attributes; there is no inline script.
(function () {
  "use strict";
  var el = document.getElementById("safety-map");
  if (!el || !window.L) return;
  var d = el.dataset;

  var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!d.tiles });
  if (d.tiles) {
    L.tileLayer(d.tiles, { maxZoom: 19, subdomains: "01234567", attribution: d.attribution || "" }).addTo(map);
  } else {
    el.classList.add("no-tiles");
  }
  map.setView([30.28, 120.15], 13);

  var colours = { good: "#52be80", low: "#f5b041", none: "#e74c3c" };
  var labels = { good: d.labelGood, low: d.labelLow, none: d.labelNone };

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }

  // Tooltips are built as DOM text, never HTML from the data.
  function tip(lines) {
    var div = document.createElement("div");
    lines.forEach(function (line, i) {
      var p = document.createElement(i === 0 ? "strong" : "div");
      p.textContent = line;
      div.appendChild(p);
    });
    return div;
  }

  Promise.all([getJSON(d.grids), getJSON(d.map)])
    .then(function (res) {
      var shapes = res[0], safety = res[1];
      var byCode = {};
      safety.grids.forEach(function (g) { byCode[g.code] = g; });
      var layer = L.geoJSON(shapes, {
        style: function (f) {
          var g = byCode[f.properties.code];
          var c = colours[(g && g.coverage) || "none"];
          return { className: "grid-shape cov-" + ((g && g.coverage) || "none"), color: "#555", weight: 1, fillColor: c, fillOpacity: 0.45 };
        },
        onEachFeature: function (f, l) {
          var g = byCode[f.properties.code] || { patrols: 0, patrol_minutes: 0, hazard_count: 0, teams: [], coverage: "none" };
          var teams = g.teams.map(function (t) { return t.name; }).join("、");
          l.bindTooltip(tip([
            f.properties.name + "（" + f.properties.code + "）",
            labels[g.coverage] + " · " + d.labelPatrols + " " + g.patrols + " · " + g.patrol_minutes + " " + d.labelMinutes,
            d.labelHazards + " " + g.hazard_count,
            teams ? d.labelTeams + " " + teams : ""
          ]), { sticky: true });
        }
      }).addTo(map);
      var points = 0;
      safety.grids.forEach(function (g) {
        g.hazards.forEach(function (h) {
          points += 1;
          var m = L.circleMarker([h.lat, h.lon], {
            className: "hazard-point", radius: 6, color: "#7b241c", weight: 1.5, fillColor: "#c0392b", fillOpacity: 0.9
          }).addTo(map);
          m.bindTooltip(tip([h.category_name || h.category, h.reported_at.slice(0, 16).replace("T", " ")]));
          m.on("click", function () { window.location.href = "/events/" + encodeURIComponent(h.id); });
        });
      });
      // No animation: the figures below are read at once (and a screenshot mid-zoom shows scaled strokes).
      if (shapes.features.length) map.fitBounds(layer.getBounds(), { padding: [24, 24], animate: false });
      el.dataset.loaded = String(shapes.features.length);
      el.dataset.hazards = String(points);
    })
    .catch(function (e) {
      el.dataset.error = String(e);
    });
})();

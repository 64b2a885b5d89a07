// wangge map: draws the grids of the current region with Leaflet. Without a tile URL the map still
// shows every grid on a plain background (government networks are often offline).
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) return;

  var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!el.dataset.tiles });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, {
      maxZoom: 19,
      subdomains: "01234567",
      attribution: el.dataset.attribution || ""
    }).addTo(map);
  } else {
    el.classList.add("no-tiles");
  }
  map.setView([30.28, 120.15], 13);

  function style(feature) {
    return { className: "grid-shape", color: "#c0392b", weight: 1.5, fillColor: "#e67e22", fillOpacity: 0.18 };
  }

  fetch(el.dataset.geojson, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    })
    .then(function (fc) {
      if (!fc.features || fc.features.length === 0) {
        var note = document.createElement("p");
        note.className = "map-empty";
        note.textContent = el.dataset.empty || "";
        el.appendChild(note);
        return;
      }
      var layer = L.geoJSON(fc, {
        style: style,
        onEachFeature: function (f, l) {
          l.bindTooltip(f.properties.name + " " + f.properties.code, { sticky: true });
          l.on("click", function () {
            window.location.href = "/regions/" + encodeURIComponent(f.properties.code);
          });
          l.on("mouseover", function () { l.setStyle({ fillOpacity: 0.4 }); });
          l.on("mouseout", function () { l.setStyle({ fillOpacity: 0.18 }); });
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [16, 16] });
      el.dataset.loaded = String(fc.features.length);
    })
    .catch(function (e) {
      el.dataset.error = String(e);
    });
})();

// wangge map: the current region's children (click to drill down: district → street → community → grid)
// over its grids. Without a tile URL the map still draws every shape on a plain background, since
// government networks are often offline. No inline script anywhere: the page passes data in data-* attributes.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) return;
  var d = el.dataset;

  var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!d.tiles });
  if (d.tiles) {
    L.tileLayer(d.tiles, { maxZoom: 19, subdomains: "01234567", attribution: d.attribution || "" }).addTo(map);
  } else {
    el.classList.add("no-tiles");
  }
  map.setView([30.28, 120.15], 13);

  function getJSON(url) {
    if (!url) return Promise.resolve({ type: "FeatureCollection", features: [] });
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } }).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }

  function go(code) {
    window.location.href = "/regions/" + encodeURIComponent(code);
  }

  var isGrid = d.level === "grid";
  Promise.all([getJSON(d.grids), getJSON(isGrid ? "" : d.children)])
    .then(function (res) {
      var grids = res[0], children = res[1];
      if (grids.features.length === 0 && children.features.length === 0) {
        var note = document.createElement("p");
        note.className = "map-empty";
        note.textContent = d.empty || "";
        el.appendChild(note);
        el.dataset.loaded = "0";
        return;
      }
      var focus = null;
      // Grids: the fine mesh. On a grid's own page they are its neighbours, and clicking one moves there.
      var gridLayer = L.geoJSON(grids, {
        style: function (f) {
          var mine = f.properties.code === d.code;
          return {
            className: "grid-shape" + (mine ? " current" : ""),
            color: "#c0392b",
            weight: mine ? 3 : 1,
            fillColor: mine ? "#e67e22" : "#f5cba7",
            fillOpacity: mine ? 0.35 : isGrid ? 0.12 : 0.06
          };
        },
        interactive: isGrid || d.level === "community",
        onEachFeature: function (f, l) {
          if (f.properties.code === d.code) focus = l;
          l.bindTooltip(f.properties.name + "（" + f.properties.code + "）", { sticky: true });
          l.on("click", function () { go(f.properties.code); });
        }
      }).addTo(map);
      // Children (streets or communities): bigger shapes with their names and counts, clicked to drill down.
      var childLayer = L.geoJSON(children, {
        style: function () {
          return { className: "child-shape", color: "#7b241c", weight: 2.5, fillColor: "#e67e22", fillOpacity: 0.1 };
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          l.bindTooltip(p.name, { permanent: true, direction: "center", className: "region-label" });
          l.on("mouseover", function () { l.setStyle({ fillOpacity: 0.3 }); });
          l.on("mouseout", function () { l.setStyle({ fillOpacity: 0.1 }); });
          l.on("click", function () { go(p.code); });
        }
      }).addTo(map);
      var bounds = focus ? focus.getBounds().pad(0.5) : (children.features.length ? childLayer.getBounds() : gridLayer.getBounds());
      map.fitBounds(bounds, { padding: [24, 24] });
      el.dataset.loaded = String(grids.features.length);
      el.dataset.children = String(children.features.length);
    })
    .catch(function (e) {
      el.dataset.error = String(e);
    });
})();

// Uploads: show the upload's progress, then "importing…" while the server checks every row, then the result
// page. Without JavaScript the forms still post normally.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form.upload-form");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.FormData || !window.XMLHttpRequest) return;
      ev.preventDefault();
      var bar = form.querySelector(".upload-progress");
      var status = form.querySelector(".upload-status");
      var button = form.querySelector("button[type=submit]");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      bar.hidden = false;
      button.disabled = true;
      status.textContent = status.dataset.uploading || "";
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      };
      xhr.upload.onload = function () {
        bar.removeAttribute("value");
        status.textContent = status.dataset.processing || "";
      };
      xhr.onload = function () {
        if (xhr.responseURL && xhr.responseURL.indexOf("/import/results/") !== -1) {
          window.location.href = xhr.responseURL;
          return;
        }
        document.open();
        document.write(xhr.responseText);
        document.close();
      };
      xhr.onerror = function () {
        button.disabled = false;
        status.textContent = "";
        bar.hidden = true;
      };
      xhr.send(new FormData(form));
    });
  });
})();

// The side menu marks the page the user is on (the longest menu link that the path starts with).
(function () {
  "use strict";
  var links = document.querySelectorAll("nav.menu a");
  var path = window.location.pathname, best = null;
  links.forEach(function (a) {
    var h = a.getAttribute("href");
    var hit = h === "/" ? path === "/" || path.indexOf("/regions/") === 0 : path === h || path.indexOf(h + "/") === 0;
    if (hit && (!best || h.length > best.getAttribute("href").length)) best = a;
  });
  if (best) best.classList.add("current");
})();

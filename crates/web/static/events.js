// wangge events: the small map of one event (its point inside its grid), the point picker of the report forms
// (the phone's GPS first, a click on the map otherwise), photo uploads that put the new attachment's id into
// the form, and the category picker's two halves (common buttons and the full list). No inline script: pages
// pass their data in data-* attributes. Without JavaScript the forms still post (grid and address instead).
(function () {
  "use strict";

  function baseMap(el) {
    var tiles = el.dataset.tiles;
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!tiles });
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, subdomains: "01234567" }).addTo(map);
    } else {
      el.classList.add("no-tiles");
    }
    return map;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } }).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }

  var gridStyle = { className: "grid-shape", color: "#c0392b", weight: 1, fillColor: "#f5cba7", fillOpacity: 0.12 };

  // One event: the point over its grid.
  var em = document.getElementById("event-map");
  if (em && window.L) {
    var lat = parseFloat(em.dataset.lat), lon = parseFloat(em.dataset.lon);
    var map = baseMap(em);
    map.setView([lat, lon], 16);
    L.circleMarker([lat, lon], { className: "event-point", radius: 8, color: "#7b241c", weight: 2, fillColor: "#e74c3c", fillOpacity: 0.9 }).addTo(map);
    if (em.dataset.grids) {
      getJSON(em.dataset.grids)
        .then(function (fc) {
          var layer = L.geoJSON(fc, { style: function (f) {
            var mine = f.properties.code === em.dataset.grid;
            return { className: "grid-shape" + (mine ? " current" : ""), color: "#c0392b", weight: mine ? 2 : 1, fillColor: mine ? "#f5cba7" : "#fff", fillOpacity: mine ? 0.25 : 0.05 };
          } }).addTo(map);
          if (fc.features.length) map.fitBounds(layer.getBounds().extend([lat, lon]), { padding: [16, 16], maxZoom: 17, animate: false });
          em.dataset.loaded = String(fc.features.length);
        })
        .catch(function (e) { em.dataset.error = String(e); });
    } else {
      em.dataset.loaded = "0";
    }
  }

  // Report forms: pick the point.
  var pm = document.getElementById("pick-map");
  var form = pm && pm.closest("form");
  if (pm && form && window.L) {
    var latIn = form.querySelector("input[name=lat]");
    var lonIn = form.querySelector("input[name=lon]");
    var gridSel = form.querySelector("select[name=grid_code]");
    var status = document.getElementById("locate-status");
    var pmap = baseMap(pm);
    pmap.setView([30.28, 120.15], 13);
    var marker = null;
    var round = function (v) { return Math.round(v * 1e6) / 1e6; };
    var setPoint = function (la, lo, how) {
      latIn.value = String(round(la));
      lonIn.value = String(round(lo));
      if (gridSel) gridSel.value = "";
      if (marker) marker.setLatLng([la, lo]);
      else marker = L.circleMarker([la, lo], { className: "picked-point", radius: 9, color: "#7b241c", weight: 2, fillColor: "#e74c3c", fillOpacity: 0.9 }).addTo(pmap);
      if (status) status.textContent = (how || status.dataset.picked || "") + " " + latIn.value + ", " + lonIn.value;
      pm.dataset.picked = "1";
    };
    pmap.on("click", function (ev) { setPoint(ev.latlng.lat, ev.latlng.lng, status && status.dataset.picked); });
    var gridLayer = null;
    if (pm.dataset.grids) {
      getJSON(pm.dataset.grids)
        .then(function (fc) {
          gridLayer = L.geoJSON(fc, {
            style: function () { return gridStyle; },
            onEachFeature: function (f, l) {
              l.bindTooltip(f.properties.name, { sticky: true });
              l.on("click", function (ev) { setPoint(ev.latlng.lat, ev.latlng.lng, status && status.dataset.picked); });
            }
          }).addTo(pmap);
          if (!latIn.value && fc.features.length) pmap.fitBounds(gridLayer.getBounds(), { padding: [8, 8], animate: false });
          pm.dataset.loaded = String(fc.features.length);
        })
        .catch(function (e) { pm.dataset.error = String(e); });
    } else {
      pm.dataset.loaded = "0";
    }
    if (latIn.value && lonIn.value) {
      setPoint(parseFloat(latIn.value), parseFloat(lonIn.value), status && status.dataset.picked);
      pmap.setView([parseFloat(latIn.value), parseFloat(lonIn.value)], 16, { animate: false });
    }
    if (gridSel) gridSel.addEventListener("change", function () {
      if (gridSel.value) {
        latIn.value = ""; lonIn.value = "";
        if (marker) { pmap.removeLayer(marker); marker = null; }
        if (status) status.textContent = "";
      }
    });
    var locate = function () {
      if (!navigator.geolocation) { if (status) status.textContent = status.dataset.failed || ""; return; }
      if (status) status.textContent = status.dataset.locating || "";
      navigator.geolocation.getCurrentPosition(function (p) {
        setPoint(p.coords.latitude, p.coords.longitude, status && status.dataset.located);
        pmap.setView([p.coords.latitude, p.coords.longitude], 16, { animate: false });
      }, function () {
        if (status) status.textContent = status.dataset.failed || "";
      }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    };
    var btn = document.getElementById("locate-me");
    if (btn) btn.addEventListener("click", locate);
  }

  // Category picker: the common buttons and the full list are one choice.
  var other = document.getElementById("category-other");
  if (other) {
    var radios = document.querySelectorAll("#cat-picker input[type=radio]");
    other.addEventListener("change", function () {
      if (other.value) Array.prototype.forEach.call(radios, function (r) { r.checked = false; });
    });
    Array.prototype.forEach.call(radios, function (r) {
      r.addEventListener("change", function () { if (r.checked) other.value = ""; });
    });
  }

  // Anonymous reports hide the name and phone fields.
  var anon = document.getElementById("anonymous");
  if (anon) {
    var fields = document.querySelector(".contact-fields");
    var sync = function () { if (fields) fields.hidden = anon.checked; };
    anon.addEventListener("change", sync);
    sync();
  }

  // Photos: uploaded when chosen; the form then names the attachment's id.
  Array.prototype.forEach.call(document.querySelectorAll("input.photo-input"), function (input) {
    input.addEventListener("change", function () {
      var f = input.closest("form");
      if (!f || !input.files || !input.files.length) return;
      var target = f.querySelector("input[name=" + (input.dataset.target || "attachments") + "]");
      var st = f.querySelector(".photo-status");
      var url = f.dataset.photoUrl || "/api/v1/attachments";
      var csrf = f.querySelector("input[name=csrf]");
      var body = new FormData();
      body.append("file", input.files[0]);
      var submit = f.querySelector("button[type=submit]");
      if (submit) submit.disabled = true;
      if (st) st.textContent = st.dataset.uploading || "";
      fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRF-Token": csrf ? csrf.value : "" } })
        .then(function (r) {
          return r.json().then(function (j) {
            if (!r.ok) throw new Error((j && j.error && j.error.message) || ("HTTP " + r.status));
            return j;
          });
        })
        .then(function (j) {
          var ids = target.value ? target.value.split(",") : [];
          ids.push(String(j.id));
          target.value = ids.join(",");
          if (st) st.textContent = (st.dataset.done || "") + " " + (j.name || "");
          input.value = "";
        })
        .catch(function (e) {
          var msg = String(e.message || e);
          var zh = document.documentElement.lang.indexOf("zh") === 0;
          var part = msg.indexOf(" / ") > 0 ? msg.split(" / ")[zh ? 0 : 1] : msg;
          if (st) st.textContent = (st.dataset.failed || "") + " " + part;
        })
        .then(function () { if (submit) submit.disabled = false; });
    });
  });
})();

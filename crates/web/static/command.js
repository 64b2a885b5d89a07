// 指挥中心: the command map (grids coloured by open/overdue events, a heat layer drawn on a canvas, register,
// patrol, hazard and service-station layers), the live feed over Server-Sent Events (resuming with
// Last-Event-ID, as EventSource does by itself), drill-down by clicking a grid or a child region, and on the big
// screen a clock and a refresh of the figures every minute. The report page's print button lives here too.
(function () {
  "use strict";

  var printButton = document.getElementById("report-print");
  if (printButton) printButton.addEventListener("click", function () { window.print(); });

  var root = document.getElementById("command");
  if (!root) return;
  var d = root.dataset;
  var screen = d.screen === "1";
  var zh = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;

  function setText(id, v) {
    var el = document.getElementById(id);
    if (el) el.textContent = v;
  }
  function num(id) {
    var el = document.getElementById(id);
    return el ? parseInt(el.textContent.replace(/,/g, ""), 10) || 0 : 0;
  }
  function group(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }
  function pct(v) {
    return v == null ? "—" : (v * 100).toFixed(1) + "%";
  }

  // ---------------------------------------------------------------- the map
  var colours = { calm: "#d5e8d4", open: "#f5cba7", overdue: "#e67e22", hot: "#c0392b" };
  var mapEl = document.getElementById("cmd-map");
  var M = window.WanggeMap;
  var map = null, grids = null, loads = {}, heat = null, overlays = {};

  function gridStyle(f) {
    var g = loads[f.properties.code];
    var load = g ? g.load : "calm";
    return { className: "grid-shape load-" + load, color: screen ? "#5dade2" : "#555", weight: 1,
      fillColor: colours[load], fillOpacity: load === "calm" ? 0.25 : 0.6 };
  }

  // The heat layer: a canvas over the map pane, each point a radial gradient, redrawn on every move.
  var Heat = window.L ? L.Layer.extend({
    initialize: function (points) { this.points = points; },
    onAdd: function (m) {
      this.map = m;
      this.canvas = L.DomUtil.create("canvas", "heat-canvas leaflet-zoom-hide");
      m.getPanes().overlayPane.appendChild(this.canvas);
      m.on("moveend zoomend resize", this.draw, this);
      this.draw();
    },
    onRemove: function (m) {
      m.off("moveend zoomend resize", this.draw, this);
      L.DomUtil.remove(this.canvas);
    },
    draw: function () {
      var m = this.map, size = m.getSize(), c = this.canvas;
      var topLeft = m.containerPointToLayerPoint([0, 0]);
      L.DomUtil.setPosition(c, topLeft);
      c.width = size.x;
      c.height = size.y;
      var ctx = c.getContext("2d");
      ctx.clearRect(0, 0, c.width, c.height);
      var r = Math.max(8, Math.min(40, Math.pow(2, m.getZoom() - 11) * 6));
      ctx.globalCompositeOperation = "lighter";
      this.points.forEach(function (p) {
        var pt = m.latLngToContainerPoint([p.lat, p.lon]);
        if (pt.x < -r || pt.y < -r || pt.x > size.x + r || pt.y > size.y + r) return;
        var g = ctx.createRadialGradient(pt.x, pt.y, 0, pt.x, pt.y, r);
        var a = p.weight > 1 ? 0.55 : 0.3;
        g.addColorStop(0, "rgba(255," + (p.weight > 1 ? 40 : 120) + ",0," + a + ")");
        g.addColorStop(1, "rgba(255,120,0,0)");
        ctx.fillStyle = g;
        ctx.beginPath();
        ctx.arc(pt.x, pt.y, r, 0, Math.PI * 2);
        ctx.fill();
      });
      c.dataset.points = String(this.points.length);
    }
  }) : null;

  function drill(code) {
    if (screen || !d.drill) return;
    window.location.href = d.drill + encodeURIComponent(code);
  }

  function loadMap() {
    return M.getJSON(d.map).then(function (cm) {
      loads = {};
      cm.grids.forEach(function (g) { loads[g.code] = g; });
      // Leaflet's setStyle leaves the class alone: the load class (what tests and styles read) is set here.
      if (grids) grids.layer.eachLayer(function (l) {
        var st = gridStyle(l.feature);
        l.setStyle(st);
        var el = l.getElement && l.getElement();
        if (el) el.setAttribute("class", st.className + " leaflet-interactive");
      });
      if (heat) map.removeLayer(heat);
      heat = new Heat(cm.heat);
      var box = document.getElementById("layer-heat");
      if (!box || box.checked) heat.addTo(map);
      mapEl.dataset.heat = String(cm.heat.length);
      mapEl.dataset.busy = String(cm.grids.length);
    });
  }

  if (mapEl && M) {
    map = M.create(mapEl, { zoomControl: !screen });
    M.gridLayer(map, d.grids, gridStyle, function (f, l) {
      l.on("click", function () {
        // Drill down to the child region that holds the grid (or the grid itself below a community).
        var code = f.properties.code, level = d.level;
        var len = level === "district" ? 9 : level === "street" ? 12 : code.length;
        drill(code.slice(0, len));
      });
      l.bindTooltip(function () {
        var g = loads[f.properties.code] || { open: 0, overdue: 0 };
        return M.tip([f.properties.name + "（" + f.properties.code + "）", d.labelOpen + " " + g.open + " · " + d.labelOverdue + " " + g.overdue]);
      }, { sticky: true });
    }).then(function (res) {
      grids = res;
      if (res.features.length) map.fitBounds(res.layer.getBounds(), { padding: [16, 16], animate: false });
      mapEl.dataset.loaded = String(res.features.length);
      return loadMap();
    }).catch(function (e) { mapEl.dataset.error = String(e); });
  }

  // ---------------------------------------------------------------- layers
  function clearOverlay(name) {
    if (overlays[name]) {
      map.removeLayer(overlays[name]);
      delete overlays[name];
    }
  }
  var note = document.getElementById("layer-note");
  var keySelect = document.getElementById("layer-register-key");

  function showLayer(name) {
    var url = d.layers + name + "?region=" + encodeURIComponent(d.region);
    if (name === "register" && keySelect && keySelect.value && keySelect.value !== "households" && keySelect.value !== "residents" && keySelect.dataset.points) {
      url += "&tag=" + encodeURIComponent(keySelect.value);
    }
    return M.getJSON(url).then(function (layer) {
      clearOverlay(name);
      var group = L.layerGroup();
      if (!layer.available) {
        if (note) note.textContent = zh ? "暂无数据（功能合并后提供）" : "Not available yet";
      }
      if (layer.grids.length && grids) {
        var byCode = {};
        layer.grids.forEach(function (g) { byCode[g.code] = g.values; });
        var key = name === "register" ? (keySelect && keySelect.value) || "residents" : "patrols";
        var max = 1;
        layer.grids.forEach(function (g) { max = Math.max(max, g.values[key] || 0); });
        grids.features.forEach(function (f) {
          var v = (byCode[f.properties.code] || {})[key] || 0;
          var shape = L.geoJSON(f, { style: { className: "layer-shape", color: "#1f618d", weight: 1,
            fillColor: name === "patrols" ? "#27ae60" : "#2e86c1", fillOpacity: 0.1 + 0.6 * (v / max) }, interactive: false });
          var c = shape.getBounds().getCenter();
          L.marker(c, { icon: L.divIcon({ className: "layer-count", html: "", iconSize: null }), interactive: false })
            .on("add", function (ev) { ev.target.getElement().textContent = String(v); })
            .addTo(group);
          group.addLayer(shape);
        });
      }
      layer.points.forEach(function (p) {
        var m = L.circleMarker([p.lat, p.lon], { className: "layer-point " + name, radius: name === "hazards" ? 6 : 5,
          color: "#7b241c", weight: 1, fillColor: name === "hazards" ? "#c0392b" : "#8e44ad", fillOpacity: 0.9 });
        m.bindTooltip(M.tip([p.label, p.count > 1 ? "× " + p.count : ""]));
        if (p.href && !screen) m.on("click", function () { window.location.href = p.href; });
        group.addLayer(m);
      });
      group.addTo(map);
      overlays[name] = group;
      mapEl.dataset["layer" + name.charAt(0).toUpperCase() + name.slice(1)] = String(layer.points.length + layer.grids.length);
      if (name === "register" && keySelect && !keySelect.options.length) {
        layer.legend.forEach(function (l) {
          var o = document.createElement("option");
          o.value = l.key;
          o.textContent = zh ? l.name.zh : l.name.en;
          keySelect.appendChild(o);
        });
        keySelect.value = "residents";
      }
    }).catch(function (e) {
      if (note) note.textContent = String(e.message || e);
    });
  }

  document.querySelectorAll("#layer-bar input[data-layer]").forEach(function (box) {
    box.addEventListener("change", function () {
      var name = box.dataset.layer;
      if (note) note.textContent = "";
      if (name === "heat") {
        if (heat) { if (box.checked) heat.addTo(map); else map.removeLayer(heat); }
        return;
      }
      if (name === "register" && keySelect) keySelect.hidden = !box.checked;
      if (box.checked) showLayer(name); else clearOverlay(name);
    });
  });
  if (keySelect) keySelect.addEventListener("change", function () { showLayer("register"); });

  // ---------------------------------------------------------------- the live feed
  var list = document.getElementById("feed-list");
  var state = document.getElementById("feed-state");
  function addItem(item) {
    if (!list) return;
    var li = document.createElement("li");
    li.className = "feed-" + item.kind + " fresh";
    li.dataset.id = String(item.id);
    li.dataset.event = String(item.event_id);
    var box = screen ? li : document.createElement("a");
    if (!screen) { box.href = "/events/" + encodeURIComponent(item.event_id); li.appendChild(box); }
    var tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = item.kind === "overdue" ? d.labelWentOverdue : d.labelNew;
    box.appendChild(tag);
    box.appendChild(document.createTextNode(" " + (item.category_name || item.category) + " · " + item.description));
    var t = document.createElement("time");
    t.textContent = screen ? item.at.slice(11, 16) : item.at.slice(5, 16).replace("T", " ");
    li.appendChild(t);
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 50) list.removeChild(list.lastChild);
    var empty = document.getElementById("feed-empty");
    if (empty) empty.remove();
    root.dataset.received = String((parseInt(root.dataset.received || "0", 10)) + 1);
  }

  var refreshPending = 0;
  function onItem(ev) {
    var item;
    try { item = JSON.parse(ev.data); } catch (e) { return; }
    addItem(item);
    if (item.kind === "new") {
      setText("kpi-today", group(num("kpi-today") + 1));
      setText("kpi-open", group(num("kpi-open") + 1));
      setText("kpi-reported", group(num("kpi-reported") + 1));
    } else if (item.kind === "overdue") {
      setText("kpi-overdue", group(num("kpi-overdue") + 1));
    }
    // The grid colours and heat points follow, a moment later (several events may arrive together).
    clearTimeout(refreshPending);
    refreshPending = setTimeout(function () { if (map) loadMap(); }, 800);
  }

  if (window.EventSource && d.feed) {
    // The first connection starts after what the page already shows; reconnects send Last-Event-ID themselves.
    var es = new EventSource(d.feed + "&after=" + encodeURIComponent(d.after || "0"), { withCredentials: true });
    es.addEventListener("new", onItem);
    es.addEventListener("overdue", onItem);
    es.onopen = function () { if (state) state.className = "live on"; root.dataset.feed = "open"; };
    es.onerror = function () { if (state) state.className = "live off"; root.dataset.feed = "retrying"; };
  }

  // ---------------------------------------------------------------- the big screen
  if (screen) {
    var clock = document.getElementById("screen-clock");
    var tick = function () {
      var now = new Date();
      // China time, like every time the server shows, whatever the wall computer's own zone.
      if (clock) clock.textContent = now.toLocaleString(zh ? "zh-CN" : "en-GB", { hour12: false, timeZone: "Asia/Shanghai" });
    };
    tick();
    setInterval(tick, 1000);
    // Figures from the server every minute (the feed keeps them moving in between); the whole page every
    // 30 minutes, so charts and the children table follow too.
    setInterval(function () {
      M.getJSON(d.dashboard).then(function (db) {
        var k = db.kpis;
        setText("kpi-today", group(k.today_reported));
        setText("kpi-open", group(k.open));
        setText("kpi-overdue", group(k.overdue));
        setText("kpi-reported", group(k.reported));
        setText("kpi-closure", pct(k.closure_rate));
        setText("kpi-ontime", pct(k.on_time_rate));
        setText("kpi-satisfaction", k.satisfaction == null ? "—" : k.satisfaction.toFixed(2));
        root.dataset.refreshed = new Date().toISOString();
      }).catch(function () {});
      if (map) loadMap();
    }, 60000);
    setTimeout(function () { window.location.reload(); }, 30 * 60000);
  }
})();

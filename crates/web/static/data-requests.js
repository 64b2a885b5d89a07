// 一表通: the new-table form. Loads the register's fields for the chosen population, reads the requester's own
// Excel template (each header cell explained), and posts the table to /api/v1/data-requests.
(function () {
  "use strict";
  const form = document.getElementById("dr-form");
  if (!form) return;
  const zh = (form.dataset.lang || "zh-CN").startsWith("zh");
  const csrf = form.dataset.csrf || "";
  const fieldsBox = document.getElementById("dr-fields");
  const extraRows = document.getElementById("dr-extra-rows");
  const extraTpl = document.getElementById("dr-extra-row");
  const errorBox = document.getElementById("dr-error");
  const cellsTable = document.getElementById("dr-template-cells");
  let titleRows = [];
  // Labels from the requester's template, by field key (their wording is kept in the download).
  let templateLabels = {};

  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v == null) continue;
      if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const k of kids.flat()) if (k != null) el.append(k);
    return el;
  }

  /** The bilingual server message in the page's language. */
  function localize(msg) {
    const parts = String(msg || "").split(" / ");
    return parts.length === 2 ? (zh ? parts[0] : parts[1]) : msg;
  }

  function showError(msg) {
    errorBox.textContent = msg;
    errorBox.hidden = !msg;
  }

  async function errorOf(r) {
    try {
      const b = await r.json();
      const e = b.error || {};
      const field = e.details && e.details.field ? e.details.field + ": " : "";
      return field + localize(e.message || "HTTP " + r.status);
    } catch (_) {
      return "HTTP " + r.status;
    }
  }

  async function loadFields() {
    const pop = form.elements.population.value;
    form.querySelector(".dr-tag").hidden = pop === "houses";
    form.querySelector(".dr-usage").hidden = pop !== "houses";
    const r = await fetch("/api/v1/data-requests/fields?population=" + encodeURIComponent(pop), { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!r.ok) return showError(await errorOf(r));
    const cat = await r.json();
    fieldsBox.replaceChildren(
      ...cat.fields.map((f) =>
        h(
          "label",
          { class: "dr-field" + (f.writes_back ? " writes-back" : "") },
          h("input", { type: "checkbox", name: "field", value: f.key, "data-label": zh ? f.label : f.label_en || f.label }),
          " " + (zh ? f.label : f.label_en || f.label),
          f.writes_back ? h("span", { class: "badge ok", text: zh ? "回写" : "updates register" }) : null,
          f.sensitive ? h("span", { class: "badge warn", text: zh ? "敏感" : "sensitive" }) : null,
        ),
      ),
    );
  }

  function addExtra(label, type, options, required) {
    const row = extraTpl.content.firstElementChild.cloneNode(true);
    row.querySelector("[name=x_label]").value = label || "";
    row.querySelector("[name=x_type]").value = type || "text";
    row.querySelector("[name=x_options]").value = (options || []).join("、");
    row.querySelector("[name=x_required]").checked = !!required;
    row.querySelector(".dr-extra-remove").addEventListener("click", () => row.remove());
    extraRows.append(row);
  }

  async function readTemplate() {
    showError("");
    const file = document.getElementById("dr-template-file").files[0];
    if (!file) return showError(zh ? "请选择 .xlsx 模板文件" : "Choose an .xlsx template");
    const body = new FormData();
    body.append("file", file);
    const pop = form.elements.population.value;
    const r = await fetch("/api/v1/data-requests/template?population=" + encodeURIComponent(pop), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, Accept: "application/json" },
      body,
    });
    if (!r.ok) return showError(await errorOf(r));
    const p = await r.json();
    titleRows = p.title_rows || [];
    templateLabels = {};
    const tbody = cellsTable.querySelector("tbody");
    tbody.replaceChildren(
      ...p.cells.map((c) => h("tr", { "data-cell": c.cell, class: c.field ? "mapped" : "extra" }, h("td", { text: c.cell }), h("td", { text: c.header }), h("td", { text: localize(c.explanation) }))),
    );
    cellsTable.hidden = false;
    // The template decides the columns: tick its register fields (in its order), its other headers become extras.
    fieldsBox.querySelectorAll("input[name=field]").forEach((i) => (i.checked = false));
    extraRows.replaceChildren();
    for (const c of p.columns) {
      if (c.field) {
        const box = fieldsBox.querySelector('input[name=field][value="' + CSS.escape(c.field) + '"]');
        if (box) box.checked = true;
        templateLabels[c.field] = c.label;
      } else {
        addExtra(c.label, c.type || "text", [], false);
      }
    }
    form.dataset.templateOrder = JSON.stringify(p.columns.map((c) => c.field || "x:" + c.label));
  }

  function columns() {
    const picked = [...fieldsBox.querySelectorAll("input[name=field]:checked")].map((i) => ({ field: i.value, label: templateLabels[i.value] || undefined }));
    const extras = [...extraRows.querySelectorAll(".dr-extra")]
      .map((row) => {
        const label = row.querySelector("[name=x_label]").value.trim();
        const type = row.querySelector("[name=x_type]").value;
        const options = row
          .querySelector("[name=x_options]")
          .value.split(/[、,，]/)
          .map((s) => s.trim())
          .filter(Boolean);
        return { label, type, options, required: row.querySelector("[name=x_required]").checked };
      })
      .filter((c) => c.label);
    let all = picked.concat(extras);
    // With a template, keep its column order.
    if (form.dataset.templateOrder) {
      const order = JSON.parse(form.dataset.templateOrder);
      const pos = (c) => {
        const i = order.indexOf(c.field || "x:" + c.label);
        return i < 0 ? order.length : i;
      };
      all = all.slice().sort((a, b) => pos(a) - pos(b));
    }
    return all;
  }

  async function submit(ev) {
    ev.preventDefault();
    showError("");
    const f = form.elements;
    const cols = columns();
    if (!cols.length) return showError(zh ? "请至少选择一列" : "Choose at least one column");
    const body = {
      title: f.title.value,
      department_code: f.department_code.value || null,
      item_code: f.item_code.value,
      region_code: f.region_code.value,
      population: f.population.value,
      tag: f.population.value === "houses" ? null : f.tag.value || null,
      house_usage: f.population.value === "houses" ? f.house_usage.value || null : null,
      columns: cols,
      due_on: f.due_on.value,
      description: f.description.value,
      title_rows: titleRows,
    };
    const button = document.getElementById("dr-submit");
    button.disabled = true;
    try {
      const r = await fetch("/api/v1/data-requests", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
      if (!r.ok) return showError(await errorOf(r));
      const v = await r.json();
      location.href = "/data-requests/" + v.id;
    } finally {
      button.disabled = false;
    }
  }

  form.elements.population.addEventListener("change", () => {
    form.dataset.templateOrder = "";
    templateLabels = {};
    loadFields();
  });
  document.getElementById("dr-template-read").addEventListener("click", readTemplate);
  document.getElementById("dr-extra-add").addEventListener("click", () => addExtra());
  form.addEventListener("submit", submit);
  if (!form.elements.due_on.value) {
    const d = new Date(Date.now() + 7 * 86400000 + 8 * 3600000);
    form.elements.due_on.value = d.toISOString().slice(0, 10);
  }
  addExtra();
  loadFields().then(() => (form.dataset.ready = "1"));
})();

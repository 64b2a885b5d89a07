// wangge resident services: the front desk's search for the applicant (GET /api/v1/people?q= by name, 拼音,
// 身份证号 or phone; choosing one reloads the form with that person), selects that move the form on by themselves,
// the material uploads of online applications and 补正 (each file sent to POST /api/v1/service-uploads, its id
// kept in the material's hidden field), and the receipt's print button. No inline script: texts come in data-*
// attributes. Without JavaScript the forms still work (a person id typed; the 下一步 button).
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var printButton = document.getElementById("print-button");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
  }

  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { if (s.form) s.form.submit(); });
  });

  // ── the applicant from the register ──
  var pick = document.getElementById("sv-pick");
  var search = document.getElementById("sv-person-search");
  var results = document.getElementById("sv-person-results");
  if (pick && search && results) {
    var texts = pick.dataset;
    var itemSelect = document.getElementById("sv-item-select");
    var note = function (text) {
      results.textContent = "";
      var li = document.createElement("li");
      li.className = "meta";
      li.textContent = text;
      results.appendChild(li);
      results.hidden = false;
    };
    var timer = 0, seq = 0;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      var q = search.value.trim();
      if (!q) {
        results.hidden = true;
        return;
      }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch("/api/v1/people?limit=8&q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) {
            if (!r.ok) throw new Error("HTTP " + r.status);
            return r.json();
          })
          .then(function (page) {
            if (mine !== seq) return;
            if (!page.items.length) return note(texts.none);
            results.textContent = "";
            page.items.forEach(function (p) {
              var li = document.createElement("li");
              var a = document.createElement("a");
              var item = itemSelect && itemSelect.value ? "&item=" + encodeURIComponent(itemSelect.value) : "";
              a.href = "/services/accept?person=" + encodeURIComponent(p.id) + item;
              a.className = "person-result";
              a.textContent = p.name + "　" + p.id_number + (p.address ? "　" + p.address : "");
              li.appendChild(a);
              results.appendChild(li);
            });
            results.hidden = false;
          })
          .catch(function () {
            if (mine === seq) note(texts.failed);
          });
      }, 250);
    });
    search.addEventListener("keydown", function (e) {
      if (e.key === "Enter") e.preventDefault();
    });
  }

  // ── material files ──
  document.querySelectorAll("form[data-uploads='1']").forEach(function (form) {
    var csrf = form.querySelector("input[name=csrf]");
    var submit = form.querySelector("button[type=submit]");
    var pending = 0;
    var busy = function (d) {
      pending += d;
      if (submit) submit.disabled = pending > 0;
    };
    form.querySelectorAll(".upload-row").forEach(function (row) {
      var input = row.querySelector(".upload-file");
      var ids = row.querySelector(".upload-ids");
      var status = row.querySelector(".upload-status");
      if (!input || !ids) return;
      var names = [];
      input.addEventListener("change", function () {
        Array.prototype.forEach.call(input.files, function (file) {
          var body = new FormData();
          body.append("file", file, file.name);
          busy(1);
          status.textContent = form.dataset.uploading + " " + file.name;
          fetch("/api/v1/service-uploads", {
            method: "POST",
            credentials: "same-origin",
            headers: { "X-CSRF-Token": csrf ? csrf.value : "", Accept: "application/json" },
            body: body
          })
            .then(function (r) {
              return r.json().then(function (j) {
                if (!r.ok) throw new Error((j && j.error && j.error.message) || ("HTTP " + r.status));
                return j;
              });
            })
            .then(function (a) {
              ids.value = ids.value ? ids.value + "," + a.id : String(a.id);
              names.push(a.name);
              status.textContent = "✓ " + names.join("、");
              row.classList.add("uploaded");
            })
            .catch(function (e) {
              status.textContent = form.dataset.uploadFailed + "：" + e.message;
              row.classList.add("upload-error");
            })
            .then(function () { busy(-1); });
        });
        input.value = "";
      });
    });
  });
})();

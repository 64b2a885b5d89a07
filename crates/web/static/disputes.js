// wangge disputes: the register form's party search (a person of the register found by name, pinyin, 身份证号
// or phone through GET /api/v1/people?q= fills the block's person id) and the agreement page's print button.
// No inline script: texts come in data-* attributes. Without JavaScript the form still posts (a person id typed,
// or an outsider's name).
(function () {
  "use strict";

  var printButton = document.getElementById("print-button");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
  }

  var form = document.getElementById("dispute-form");
  if (!form) return;
  var texts = form.dataset;

  function setup(block) {
    var searchLabel = block.querySelector(".party-search-label");
    var search = block.querySelector(".party-search");
    var results = block.querySelector(".party-results");
    var chosen = block.querySelector(".party-chosen");
    var chosenName = block.querySelector(".party-chosen-name");
    var idLabel = block.querySelector(".party-id-label");
    var idInput = block.querySelector(".party-person-id");
    var labelInput = block.querySelector(".party-person-label");
    var outsider = block.querySelectorAll(".party-outsider input");
    var address = block.querySelector(".party-address");
    // The typed id stays visible when it was refused or was typed by hand (no name known to show for it).
    var keepIdField = idLabel.querySelector(".field-error") || (idInput.value && !labelInput.value);
    if (!keepIdField) idLabel.hidden = true;
    searchLabel.hidden = !!(idInput.value && labelInput.value);

    function choose(p) {
      idInput.value = String(p.id);
      labelInput.value = p.name + " " + p.id_number;
      chosenName.textContent = labelInput.value;
      // A person of the register brings their own name and numbers; typed ones would be refused.
      outsider.forEach(function (i) { i.value = ""; });
      // Their address from the register, unless one was typed for this dispute.
      if (address && !address.value && p.address) address.value = p.address;
      block.classList.add("from-register");
      chosen.hidden = false;
      searchLabel.hidden = true;
      results.hidden = true;
      results.textContent = "";
      search.value = "";
    }

    block.querySelector(".party-clear").addEventListener("click", function () {
      idInput.value = "";
      labelInput.value = "";
      block.classList.remove("from-register");
      chosen.hidden = true;
      searchLabel.hidden = false;
      search.focus();
    });

    function note(text) {
      results.textContent = "";
      var li = document.createElement("li");
      li.className = "meta";
      li.textContent = text;
      results.appendChild(li);
      results.hidden = false;
    }

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
            if (mine !== seq) return; // a later search has been typed meanwhile
            if (!page.items.length) return note(texts.none);
            results.textContent = "";
            page.items.forEach(function (p) {
              var li = document.createElement("li");
              var b = document.createElement("button");
              b.type = "button";
              b.className = "party-result";
              b.dataset.id = String(p.id);
              b.textContent = p.name + "　" + p.id_number + (p.address ? "　" + p.address : "");
              b.addEventListener("click", function () { choose(p); });
              li.appendChild(b);
              results.appendChild(li);
            });
            results.hidden = false;
          })
          .catch(function () {
            if (mine === seq) note(texts.failed);
          });
      }, 250);
    });
    // Enter in the search box picks nothing by accident: it must not submit the whole form.
    search.addEventListener("keydown", function (e) {
      if (e.key === "Enter") e.preventDefault();
    });
  }

  form.querySelectorAll(".party").forEach(setup);
})();

/* The portal's behaviour on top of htmx; every page works without it.
   The interest picker: a search box whose matches tick the form's own checkboxes, and
   the ticked interests as chips that untick them. The checkboxes stay what is sent. */
(function () {
  "use strict";

  function boxes(picker) {
    return Array.prototype.slice.call(picker.querySelectorAll('input[type="checkbox"][name="interests"]'));
  }

  function chip(box) {
    var item = document.createElement("li");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "chip picker__chip";
    button.dataset.unpick = box.value;
    button.setAttribute("aria-label", "Remove " + box.dataset.name);
    var label = document.createElement("span");
    label.textContent = box.dataset.name;  // text, never markup
    button.appendChild(label);
    var cross = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    cross.setAttribute("viewBox", "0 0 24 24");
    cross.setAttribute("aria-hidden", "true");
    var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", "M6 6l12 12M18 6L6 18");
    cross.appendChild(path);
    button.appendChild(cross);
    item.appendChild(button);
    return item;
  }

  function drawChips(picker) {
    var list = picker.querySelector("[data-picker-chips]");
    var chosen = boxes(picker).filter(function (box) { return box.checked; });
    list.replaceChildren.apply(list, chosen.map(chip));
    picker.querySelector("[data-picker-empty]").hidden = chosen.length > 0;
    picker.querySelector("[data-picker-label]").hidden = chosen.length === 0;
  }

  function setUp(root) {
    root.querySelectorAll("[data-picker]").forEach(function (picker) {
      if (picker.dataset.pickerReady) return;
      picker.dataset.pickerReady = "1";
      picker.querySelector("[data-picker-js]").hidden = false;
      picker.querySelector("[data-picker-nojs]").hidden = true;
      picker.querySelector("[data-picker-browse]").open = false;
      drawChips(picker);
    });
  }

  document.addEventListener("change", function (event) {
    var picker = event.target.name === "interests" && event.target.closest("[data-picker]");
    if (picker) drawChips(picker);
  });

  document.addEventListener("click", function (event) {
    var picker = event.target.closest && event.target.closest("[data-picker]");
    if (!picker) return;
    var pick = event.target.closest("[data-pick]");
    var unpick = event.target.closest("[data-unpick]");
    var slug = pick ? pick.dataset.pick : unpick ? unpick.dataset.unpick : null;
    if (slug === null) return;
    var box = boxes(picker).filter(function (b) { return b.value === slug; })[0];
    if (!box) return;
    box.checked = Boolean(pick);
    drawChips(picker);
    if (pick) {
      pick.setAttribute("aria-pressed", "true");
      pick.classList.add("is-picked");
    } else {
      var search = picker.querySelector('input[type="search"]');
      if (search) search.focus();
    }
  });

  // Enter in the search box picks the first match instead of submitting the form.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches("[data-picker] input[type=search]")) return;
    event.preventDefault();
    var first = event.target.closest("[data-picker]").querySelector("[data-pick]");
    if (first) first.click();
  });

  document.addEventListener("htmx:load", function (event) { setUp(event.detail.elt.parentNode || event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
})();

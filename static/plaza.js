// Small behaviours htmx does not cover. The page works without this file.
(function () {
  "use strict";

  // Notes with data-autoremove (an undo, an error toast) fade away after a while.
  function scheduleRemoval(root) {
    root.querySelectorAll("[data-autoremove]").forEach(function (el) {
      if (el.dataset.removalScheduled) return;
      el.dataset.removalScheduled = "1";
      window.setTimeout(function () {
        if (!el.isConnected) return;
        el.classList.add("is-leaving");
        window.setTimeout(function () { el.remove(); }, 450);
      }, parseInt(el.dataset.autoremove, 10) || 8000);
    });
  }

  // "Not interested" and "Hide provider" also clear matching cards already on screen.
  function removeMatching(note) {
    var topic = note.dataset.mutedInterest;
    var provider = note.dataset.hiddenProvider;
    document.querySelectorAll("article.card[data-card-id]").forEach(function (card) {
      if (card === note || card.classList.contains("card--note")) return;
      var interests = (card.dataset.interests || "").split(" ");
      var muted = topic && interests.some(function (s) { return s === topic || s.indexOf(topic + "/") === 0; });
      var hidden = provider && card.dataset.providerId === provider;
      if (muted || hidden) card.remove();
    });
  }

  // A "Why this card?" control (follow, unfollow, show less, hide) changed what the
  // consumer wants: the cards below the one they asked about are ranked again. The
  // new ranking goes in right after that card, then the old cards below it leave.
  function rerankBelow(cardId) {
    var feed = document.getElementById("feed");
    var anchor = document.getElementById("card-" + cardId);
    if (!feed || !anchor || !feed.dataset.rerankUrl || !window.htmx) return;
    var stale = [];
    for (var el = anchor.nextElementSibling; el; el = el.nextElementSibling) stale.push(el);
    var replace = stale.filter(function (el) { return el.matches("article.card[data-card-id]"); })
      .map(function (el) { return el.dataset.cardId; });
    if (!stale.length) return;
    stale.forEach(function (el) { el.classList.add("is-stale"); });
    window.htmx.ajax("POST", feed.dataset.rerankUrl, {
      source: anchor, target: anchor, swap: "afterend",
      values: { cursor: feed.dataset.feedCursor, replace: replace }
    }).then(function () {
      var replaced = anchor.isConnected && anchor.nextElementSibling !== stale[0];
      stale.forEach(function (el) {
        if (replaced) el.remove(); else el.classList.remove("is-stale");
      });
    });
  }

  // Keyed by request: when a control swaps itself out, htmx reports the end of its
  // request from an element still on the page, not from the control.
  var rerankAfter = new WeakMap();
  document.addEventListener("htmx:beforeRequest", function (event) {
    var panel = event.detail.elt.closest && event.detail.elt.closest(".why__panel");
    var card = panel && panel.closest("article.card[data-card-id]");
    if (card) rerankAfter.set(event.detail.xhr, card.dataset.cardId);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var cardId = rerankAfter.get(event.detail.xhr);
    rerankAfter.delete(event.detail.xhr);
    if (cardId && event.detail.successful) rerankBelow(cardId);
  });

  // Portal forms: a field only some values of a choice need (data-needed-with names the
  // choice, data-needed-for lists those values) hides while another value is chosen, and
  // its controls are disabled so that what was typed there before is not sent.
  // With nothing chosen, with an error on the field, or without this file, it shows.
  function showNeededFields(root) {
    root.querySelectorAll("[data-needed-with]").forEach(function (field) {
      var form = field.closest("form");
      var choice = form && form.elements.namedItem(field.dataset.neededWith);
      var needed = JSON.parse(field.dataset.neededFor || "[]");
      field.hidden = Boolean(choice && choice.value) && !field.classList.contains("field--error") &&
        needed.indexOf(choice.value) < 0;
      field.querySelectorAll("input, select, textarea").forEach(function (control) {
        control.disabled = field.hidden;
      });
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.form) showNeededFields(event.target.form);
  });

  // Close an open card menu when the user taps elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.card__menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  document.addEventListener("htmx:load", function (event) {
    var el = event.detail.elt;
    scheduleRemoval(el.parentNode || el);
    showNeededFields(el.parentNode || el);
    if (el.dataset && (el.dataset.mutedInterest || el.dataset.hiddenProvider)) removeMatching(el);
  });
  document.addEventListener("DOMContentLoaded", function () {
    scheduleRemoval(document);
    showNeededFields(document);
  });
})();

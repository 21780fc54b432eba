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

  // Close an open card menu when the user taps elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.card__menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  document.addEventListener("htmx:load", function (event) {
    var el = event.detail.elt;
    scheduleRemoval(el.parentNode || el);
    if (el.dataset && (el.dataset.mutedInterest || el.dataset.hiddenProvider)) removeMatching(el);
  });
  document.addEventListener("DOMContentLoaded", function () { scheduleRemoval(document); });
})();

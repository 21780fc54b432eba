// Small behaviours htmx does not cover. The page works without this file.
(function () {
  "use strict";

  // Notes with data-autoremove (an undo, an error toast) fade away after a while, but
  // not while the pointer rests on one or it holds focus: someone is reaching for its
  // Undo or View (WCAG 2.2.1, timing adjustable).
  function removeWhenLeft(el) {
    if (!el.isConnected) return;
    if (el.matches(":hover, :focus-within")) {
      window.setTimeout(function () { removeWhenLeft(el); }, 1000);
      return;
    }
    el.classList.add("is-leaving");
    window.setTimeout(function () { el.remove(); }, 450);
  }

  function scheduleRemoval(root) {
    root.querySelectorAll("[data-autoremove]").forEach(function (el) {
      if (el.dataset.removalScheduled) return;
      el.dataset.removalScheduled = "1";
      window.setTimeout(function () { removeWhenLeft(el); },
                        parseInt(el.dataset.autoremove, 10) || 8000);
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

  // Copy buttons (data-copy names the field whose value they copy) show only where the
  // page may write to the clipboard; the field itself stays selectable everywhere.
  function clipboardWritable() { return Boolean(navigator.clipboard) && window.isSecureContext; }
  function offerCopy(root) {
    if (!clipboardWritable()) return;
    root.querySelectorAll("button[data-copy]").forEach(function (button) { button.hidden = false; });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.dataset.copy);
    var note = document.getElementById(button.dataset.copiedNote || "");
    if (!field) return;
    navigator.clipboard.writeText(field.value || field.textContent || "").then(function () {
      if (note) note.textContent = "Copied.";
    }, function () {
      field.select();
      if (note) note.textContent = "Copying was refused: the text is selected, copy it from the menu.";
    });
  });
  // Wide screens show the feed in columns (static/plaza.css sets --masonry there): a
  // grid of 2 px rows in which each card spans the rows its height needs, so that a
  // short card does not leave a hole beside a tall one. The cards stay in their order; a
  // card that grows (its "Why?" opens) or a page that arrives is measured again.
  // On phones, consecutive products pair up side by side (is-paired); one left over
  // keeps the whole width, as every product does without this file.
  var MASONRY_ROW = 2;
  var PRODUCT = "card--product_feed";
  var masonryFeeds = new WeakSet();
  // A product showing its "Why?" panel or a report form takes the whole width for it.
  function pairable(item) {
    return Boolean(item) && item.classList.contains(PRODUCT) &&
      !item.querySelector(".why:not(:empty), .report-slot:not(:empty)");
  }
  function pairProducts(feed) {
    var run = 0;
    var items = Array.prototype.slice.call(feed.children);
    items.forEach(function (item, i) {
      run = pairable(item) ? run + 1 : 0;
      var paired = run % 2 === 0 ? run > 0 : pairable(items[i + 1]);
      item.classList.toggle("is-paired", paired);
    });
  }
  function layOut(feed) {
    pairProducts(feed);
    var style = getComputedStyle(feed);
    var on = style.getPropertyValue("--masonry").trim() === "1";
    feed.classList.toggle("is-masonry", on);
    var gap = parseFloat(style.columnGap) || 0;
    var items = Array.prototype.slice.call(feed.children);
    var heights = items.map(function (item) { return item.getBoundingClientRect().height; });
    items.forEach(function (item, i) {
      item.style.gridRowEnd = on && heights[i] ? "span " + Math.ceil((heights[i] + gap) / MASONRY_ROW) : "";
    });
  }
  function masonry(root) {
    if (!window.ResizeObserver) return;
    root.querySelectorAll(".feed.density-compact, .feed.density-comfortable").forEach(function (feed) {
      if (masonryFeeds.has(feed)) return;
      masonryFeeds.add(feed);
      var pending = false;
      var later = function () {
        if (pending) return;
        pending = true;
        window.requestAnimationFrame(function () { pending = false; layOut(feed); });
      };
      var sizes = new ResizeObserver(later);
      var watch = function () { Array.prototype.forEach.call(feed.children, function (el) { sizes.observe(el); }); };
      sizes.observe(feed);
      watch();
      new MutationObserver(function (changes) {
        changes.forEach(function (change) {
          change.removedNodes.forEach(function (el) { if (el.nodeType === 1) sizes.unobserve(el); });
        });
        watch();
        later();
      }).observe(feed, { childList: true });
      layOut(feed);
    });
  }
  // The "Why this card?" panel's Close: inside a card, the panel goes and the focus
  // returns to the card's "Why?" link. On the panel's own page (no card around it, or
  // no JavaScript) the Close link leads back to the card instead.
  document.addEventListener("click", function (event) {
    var close = event.target.closest && event.target.closest("[data-why-close]");
    var slot = close && close.closest(".why");
    if (!slot) return;
    event.preventDefault();
    slot.replaceChildren();
    var card = slot.closest("article.card");
    var why = card && card.querySelector(".why-link");
    if (why) why.focus();
  });

  // Close an open card menu when the user taps elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.card__menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  // A card's Share: the phone's share sheet where there is one, otherwise its page's
  // address copied, said in a toast (#toasts is aria-live). Without either, or when
  // copying fails, the link simply opens the card's page.
  function toast(text) {
    var toasts = document.getElementById("toasts");
    if (!toasts) return;
    var note = document.createElement("div");
    note.className = "toast";
    note.setAttribute("role", "status");
    note.dataset.autoremove = "4000";
    note.textContent = text;
    toasts.appendChild(note);
    scheduleRemoval(toasts);
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-share]");
    if (!link) return;
    var card = link.closest("article.card");
    var heading = card && document.getElementById(card.getAttribute("aria-labelledby"));
    var title = heading ? heading.textContent.trim() : document.title;
    var url = link.href;  // the card's page, made absolute by the browser
    var menu = link.closest("details");
    if (navigator.share) {
      event.preventDefault();
      if (menu) menu.removeAttribute("open");
      navigator.share({ title: title, url: url }).catch(function () {});  // cancelled: nothing to say
    } else if (clipboardWritable()) {
      event.preventDefault();
      navigator.clipboard.writeText(url).then(function () {
        if (menu) menu.removeAttribute("open");
        toast("Link copied");
      }, function () { window.location.assign(url); });
    }
  });

  document.addEventListener("htmx:load", function (event) {
    var el = event.detail.elt;
    scheduleRemoval(el.parentNode || el);
    showNeededFields(el.parentNode || el);
    offerCopy(el.parentNode || el);
    masonry(document);  // a feed swapped in whole
    if (el.dataset && (el.dataset.mutedInterest || el.dataset.hiddenProvider)) removeMatching(el);
  });
  document.addEventListener("DOMContentLoaded", function () {
    scheduleRemoval(document);
    showNeededFields(document);
    offerCopy(document);
    masonry(document);
  });
})();

// Notifications in the browser: the bell refreshes when a push arrives (on every page),
// the device's time zone goes with sign-up or is reported once while Plaza does not know
// it, and on the settings page Web Push is turned on or off for this device, push choices
// show only where push can work, and the time-zone list can be searched and offers the
// device's zone. Everything works without this file (in UTC until a zone is chosen),
// push excepted.
(function () {
  "use strict";

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; }
    catch (e) { return ""; }
  }

  function postJSON(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(data)
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.detail || "Plaza could not save this.");
        return body;
      });
    });
  }

  // The device's zone as IANA names it; "" when the browser cannot tell.
  function deviceTimezone() {
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      return zone && zone !== "Etc/Unknown" ? zone : "";
    } catch (e) { return ""; }
  }

  // Sign-up sends the zone in a hidden field. A page of an account whose zone Plaza does
  // not know yet reports it once (the server keeps a zone already known or chosen), and
  // the settings page shows what was stored.
  function detectTimezone() {
    var inputs = document.querySelectorAll("input[data-browser-timezone]");
    var reporter = document.querySelector("[data-report-timezone]");
    // Asking Intl for the zone loads its zone data, a long task on a slow phone: only
    // the pages that need the answer ask.
    if (!inputs.length && !reporter) return;
    var zone = deviceTimezone();
    if (!zone) return;
    inputs.forEach(function (input) { input.value = zone; });
    if (!reporter) return;
    postJSON(reporter.dataset.reportTimezone, { timezone: zone }).then(function (body) {
      var field = document.querySelector("[data-timezone-field]");
      if (field && !field.value && body.timezone) {
        field.value = body.timezone;
        var offer = document.querySelector("[data-timezone-offer]");
        if (offer && field.value === zone) offer.hidden = true;
      }
    }).catch(function () {});
  }

  function base64UrlToBytes(text) {
    var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function pushSupported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  // The server offers push choices only when it can send pushes, and shows them to
  // accounts with a push device; a browser that could become one shows them too.
  function showPushChoices(root) {
    if (!pushSupported() || !document.querySelector("[data-push]")) return;
    root.querySelectorAll("[data-push-choice]").forEach(function (choice) { choice.hidden = false; });
  }

  // The time-zone select: a search box narrows its options (rebuilt, since not every
  // browser hides a hidden option), and the device's zone is one tap away when it differs.
  function setUpTimezonePicker(select) {
    var search = document.querySelector("[data-timezone-search]");
    var offer = document.querySelector("[data-timezone-offer]");
    var groups = Array.prototype.map.call(select.querySelectorAll("optgroup"), function (group) {
      return { label: group.label, options: Array.prototype.slice.call(group.children) };
    });
    function normal(text) { return text.toLowerCase().replace(/[_/·]+/g, " ").replace(/\s+/g, " ").trim(); }
    function filter() {
      var words = normal(search.value).split(" ").filter(Boolean);
      var chosen = select.value;
      groups.forEach(function (group) {
        var existing = select.querySelector('optgroup[label="' + group.label + '"]');
        var keep = group.options.filter(function (option) {
          var text = normal(option.value + " " + option.textContent);
          return option.value === chosen || words.every(function (word) { return text.indexOf(word) !== -1; });
        });
        if (existing) existing.remove();
        if (!keep.length) return;
        var fresh = document.createElement("optgroup");
        fresh.label = group.label;
        keep.forEach(function (option) { fresh.appendChild(option); });
        select.appendChild(fresh);
      });
      select.value = chosen;
    }
    if (search) {
      search.hidden = false;
      search.addEventListener("input", filter);
    }
    var device = deviceTimezone();
    function updateOffer() {
      if (!offer) return;
      var known = device && Array.prototype.some.call(groups, function (group) {
        return group.options.some(function (option) { return option.value === device; });
      });
      offer.hidden = !known || select.value === device;
      offer.textContent = "Use this device's zone: " + device;
    }
    if (offer) {
      offer.addEventListener("click", function () {
        if (search && search.value) { search.value = ""; filter(); }
        select.value = device;
        select.dispatchEvent(new Event("change", { bubbles: true }));
        updateOffer();
      });
    }
    select.addEventListener("change", updateOffer);
    updateOffer();
  }

  function setUpPush(section) {
    var status = section.querySelector("[data-push-status]");
    var enable = section.querySelector("[data-push-enable]");
    var disable = section.querySelector("[data-push-disable]");
    if (!pushSupported()) {
      status.textContent = "This browser cannot receive push notifications.";
      return;
    }
    function show(subscribed, message) {
      status.textContent = message || (subscribed ? "Push is on for this device." : "Push is off for this device.");
      enable.hidden = subscribed;
      disable.hidden = !subscribed;
    }
    function refreshDevices() {
      if (window.htmx) window.htmx.ajax("GET", section.dataset.refreshUrl, { target: "#push", swap: "outerHTML" });
    }
    var registration = navigator.serviceWorker.register(section.dataset.workerUrl, { scope: "/" });
    registration.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      if (Notification.permission === "denied") {
        show(false, "Notifications are blocked for Plaza in this browser's settings.");
        enable.hidden = true;
        return;
      }
      show(Boolean(sub));
      // Keep the server's copy current (a browser may renew its subscription).
      if (sub) postJSON(section.dataset.subscribeUrl, sub.toJSON()).catch(function () {});
    }).catch(function () { status.textContent = "Push could not start in this browser."; });

    enable.addEventListener("click", function () {
      enable.disabled = true;
      Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") throw new Error("Push stays off: this browser did not allow notifications.");
        return registration;
      }).then(function (reg) {
        return reg.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: base64UrlToBytes(section.dataset.vapidKey)
        });
      }).then(function (sub) {
        return postJSON(section.dataset.subscribeUrl, sub.toJSON());
      }).then(function () {
        show(true, "Push is on for this device.");
        refreshDevices();
      }).catch(function (error) {
        show(false, error.message);
      }).finally(function () { enable.disabled = false; });
    });

    disable.addEventListener("click", function () {
      disable.disabled = true;
      registration.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
        if (!sub) return null;
        return postJSON(section.dataset.unsubscribeUrl, { endpoint: sub.endpoint }).then(function () {
          return sub.unsubscribe();
        });
      }).then(function () {
        show(false, "Push is off for this device.");
        refreshDevices();
      }).catch(function (error) {
        status.textContent = error.message;
      }).finally(function () { disable.disabled = false; });
    });
  }

  // The service worker says a push arrived: the bell asks for its count now.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "plaza:notifications") {
        document.body.dispatchEvent(new CustomEvent("plaza:notifications"));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    detectTimezone();
    var section = document.querySelector("[data-push]");
    if (section) setUpPush(section);
    showPushChoices(document);
    var zones = document.querySelector("select[data-timezone-field]");
    if (zones) setUpTimezonePicker(zones);
  });
  // htmx redraws the push section after a device is removed, and a category's channels
  // after a save: wire the new ones.
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail.elt;
    if (!elt.matches) return;
    if (elt.matches("[data-push]")) setUpPush(elt);
    showPushChoices(elt);
  });
})();

// Plaza as an app: registers the service worker (static/sw.js) on every page, tells it
// whose page this is so that it keeps no other account's pages, shows the offline notice
// when the connection goes, and offers to install Plaza where the browser allows it.
(function () {
  "use strict";

  var script = document.currentScript;
  var REGISTER_AFTER_MS = 4000;

  function body() { return document.body; }

  function registerWorker() {
    if (!("serviceWorker" in navigator) || !script) return;
    var account = document.querySelector('meta[name="plaza-account"]');
    navigator.serviceWorker.register(script.dataset.workerUrl, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      // A copy the worker served offline says nothing new about who is signed in.
      if (!account || body().dataset.served !== "network" || !registration.active) return;
      registration.active.postMessage({ type: "plaza:account", account: account.content });
    }).catch(function () {});
  }

  // A page that came from the network but lost it since says so too.
  function followConnection() {
    var notice = document.querySelector(".offline-notice");
    if (!notice) return;
    function update() { notice.classList.toggle("is-offline", navigator.onLine === false); }
    window.addEventListener("online", update);
    window.addEventListener("offline", update);
    update();
  }

  function installed() {
    return window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
  }

  // The account page's "Install Plaza": the browser's own prompt where it offers one
  // (beforeinstallprompt), the Share menu's way on iPhone and iPad, nothing otherwise.
  function setUpInstall() {
    var section = document.querySelector("[data-install]");
    if (!section) return;
    var button = section.querySelector("[data-install-button]");
    var status = section.querySelector("[data-install-status]");
    var ios = section.querySelector("[data-install-ios]");
    if (installed()) {
      status.textContent = "Plaza is installed on this device.";
      section.hidden = false;
      return;
    }
    var offer = null;
    window.addEventListener("beforeinstallprompt", function (event) {
      event.preventDefault();
      offer = event;
      button.hidden = false;
      section.hidden = false;
    });
    button.addEventListener("click", function () {
      if (!offer) return;
      offer.prompt();
      offer.userChoice.then(function (choice) {
        offer = null;
        button.hidden = true;
        status.textContent = choice.outcome === "accepted" ? "Plaza is being installed." : "";
      });
    });
    window.addEventListener("appinstalled", function () {
      button.hidden = true;
      status.textContent = "Plaza is installed on this device.";
    });
    var apple = /iPad|iPhone|iPod/.test(navigator.userAgent) ||
      (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
    if (apple) {
      ios.hidden = false;
      section.hidden = false;
    }
  }

  function start() {
    followConnection();
    setUpInstall();
    // A while after the page has loaded, when the browser is idle: starting the worker
    // and its first install (the whole shell) costs the page's thread ~100 ms on a slow
    // phone, which must not land while the shopper starts reading and tapping. Pages the
    // worker already controls skip the wait.
    function whenIdle() {
      if ("requestIdleCallback" in window) window.requestIdleCallback(registerWorker, { timeout: 2000 });
      else registerWorker();
    }
    function settled() {
      if (navigator.serviceWorker && navigator.serviceWorker.controller) whenIdle();
      else window.setTimeout(whenIdle, REGISTER_AFTER_MS);
    }
    if (document.readyState === "complete") settled();
    else window.addEventListener("load", settled);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

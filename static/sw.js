// Plaza's service worker: keeps the app shell and a shopper's last pages for offline,
// shows Web Push notifications and opens the card when one is tapped. Served from
// /sw.js so that its scope is the whole site; the server puts self.PLAZA_SHELL in front
// of this file: the shell's URLs, their version, the offline page and the name of the
// header that says whose a page is (app/web/app_shell.py).
"use strict";

var SHELL = self.PLAZA_SHELL || { version: "none", precache: [], offlineUrl: "/offline", accountHeader: "Plaza-Account" };
var SHELL_CACHE = "plaza-shell-" + SHELL.version;
// One account's pages: "plaza-pages-<account marker>". Only the signed-in account's
// cache ever exists; a page of any other account, or of nobody, deletes it.
var PAGES_PREFIX = "plaza-pages-";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    // Without cookies: the shell is the same for everyone and names no one.
    return cache.addAll(SHELL.precache.map(function (url) {
      return new Request(url, { credentials: "omit" });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name !== SHELL_CACHE && name.indexOf(PAGES_PREFIX) !== 0;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

// Deletes the pages of every account but `account` ("" : every account's).
function keepOnly(account) {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(PAGES_PREFIX) === 0 && name !== PAGES_PREFIX + account;
    }).map(function (name) { return caches.delete(name); }));
  });
}

// The signed-in account's pages, when there is exactly one account's cache.
function accountPages() {
  return caches.keys().then(function (names) {
    var pages = names.filter(function (name) { return name.indexOf(PAGES_PREFIX) === 0; });
    return pages.length === 1 ? caches.open(pages[0]) : null;
  });
}

// A page as the network sent it says whose it is: other accounts' pages go, and it is
// kept if it may be (a GET of a signed-in page, HTML, 200, not "no-store").
function remember(request, response) {
  if (response.type !== "basic") return Promise.resolve();  // a redirect says nothing
  var account = response.headers.get(SHELL.accountHeader) || "";
  return keepOnly(account).then(function () {
    var type = response.headers.get("Content-Type") || "";
    var control = response.headers.get("Cache-Control") || "";
    if (!account || response.status !== 200 || response.redirected ||
        type.indexOf("text/html") !== 0 || /no-store/i.test(control)) return;
    return caches.open(PAGES_PREFIX + account).then(function (cache) { return cache.put(request, response); });
  });
}

// A kept page, marked so that it shows the "You're offline" notice.
function offlineCopy(response) {
  return response.text().then(function (html) {
    var headers = new Headers(response.headers);
    headers.delete("Content-Length");
    return new Response(html.replace('data-served="network"', 'data-served="offline"'),
      { status: response.status, statusText: response.statusText, headers: headers });
  });
}

function page(event) {
  var request = event.request;
  return fetch(request).then(function (response) {
    event.waitUntil(remember(request, response.clone()));
    return response;
  }).catch(function () {
    return accountPages().then(function (cache) {
      return cache ? cache.match(request, { ignoreVary: true }) : undefined;
    }).then(function (kept) {
      if (kept) return offlineCopy(kept);
      return caches.match(SHELL.offlineUrl, { cacheName: SHELL_CACHE });
    }).then(function (answer) { return answer || Response.error(); });
  });
}

// Static files: from the shell cache, else the network (kept for next time), else,
// offline, any version of the same file (a kept page may link an older one).
function staticFile(event) {
  var request = event.request;
  return caches.open(SHELL_CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      if (hit) return hit;
      return fetch(request).then(function (response) {
        if (response.ok && response.type === "basic") event.waitUntil(cache.put(request, response.clone()));
        return response;
      }).catch(function () {
        return caches.match(request, { ignoreSearch: true }).then(function (any) { return any || Response.error(); });
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  // POSTs, other sites and htmx's requests go to the network untouched.
  if (request.method !== "GET" || url.origin !== self.location.origin || request.headers.has("HX-Request")) return;
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(staticFile(event));
  } else if (SHELL.precache.indexOf(url.pathname + url.search) !== -1) {
    event.respondWith(fetch(request).catch(function () {
      return caches.match(request, { cacheName: SHELL_CACHE }).then(function (hit) { return hit || Response.error(); });
    }));
  }
});

// A page tells whose it is as it opens (its <meta name="plaza-account">): pages that
// came without this worker, or before someone else signed in, are dropped too.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "plaza:account" && typeof data.account === "string") {
    event.waitUntil(keepOnly(data.account));
  }
});

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data.text() }; }
  var title = data.title || "Plaza";
  var options = {
    body: data.body || "",
    icon: data.icon,
    badge: data.icon,
    // The tag names the outbox row: a copy re-sent after a worker crash replaces the
    // first one instead of showing twice.
    tag: data.tag,
    renotify: false,
    data: { url: data.url || "/" }
  };
  event.waitUntil(Promise.all([
    self.registration.showNotification(title, options),
    // Open Plaza tabs refresh their bell badge now rather than at the next poll.
    self.clients.matchAll({ type: "window" }).then(function (clients) {
      clients.forEach(function (client) { client.postMessage({ type: "plaza:notifications" }); });
    })
  ]));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = new URL(event.notification.data.url, self.location.origin).href;
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (clients) {
    for (var i = 0; i < clients.length; i++) {
      if (clients[i].url === target && "focus" in clients[i]) return clients[i].focus();
    }
    return self.clients.openWindow(target);
  }));
});

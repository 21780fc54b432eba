// Plaza's service worker: shows Web Push notifications and opens the card when
// one is tapped. Served from /sw.js so that its scope is the whole site.
"use strict";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

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

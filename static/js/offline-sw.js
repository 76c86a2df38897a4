// The service worker of the volunteers' pages (served at /points/sw.js by
// pickup_points.views.service_worker, so that its scope is /points/). Pages and their
// files come from the network when there is one, and a copy is kept; without a network
// the last copy is shown (js/offline.js then brings the list up to date from IndexedDB).
// Changes are never sent from here: the page's script sends them.
const CACHE = "foodhub-distribution-v1";

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith("foodhub-distribution-") && key !== CACHE)
          .map((key) => caches.delete(key)),
      ))
      .then(() => self.clients.claim()),
  );
});

const FILES = ["style", "script", "image", "font", "manifest"];

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  const page = request.mode === "navigate";
  // JSON and htmx fragments are the page script's business.
  if (!page && !FILES.includes(request.destination)) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        const html = (response.headers.get("Content-Type") || "").startsWith("text/html");
        // Not a log-in page met on the way, nor a downloaded PDF.
        if (response.ok && !response.redirected && (!page || html)) {
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
        }
        return response;
      })
      .catch(async () => {
        const cache = await caches.open(CACHE);
        const kept = (await cache.match(request))
          || (page && (await cache.match(request, { ignoreSearch: true })));
        return kept || Response.error();
      }),
  );
});

// The worker app's service worker (served at /app/sw.js, scope /app; docs/worker-app.md).
// - The shell: the page tells it the URLs it loaded (/app and its versioned /static/ files); they
//   are kept in SHELL, and anything else under /static/ is kept as it is fetched. /app itself is
//   network first (a new version shows as soon as there is one), its files cache first (a
//   versioned URL never changes).
// - The data: the feed, the profile, the districts and the skills are network first; the last
//   good answer is kept in DATA and served when the network fails, the feed's marked with
//   X-Market-Cached-At (when it was fetched) so the page says it is an offline copy.
// - Nothing else is cached (bids, offers, check-ins need the network and say so). Signing out
//   forgets DATA (it was that worker's).
const SHELL = "market-app-shell-v1";
const DATA = "market-app-data-v1";
const DATA_PATHS = ["/v1/workers/me/feed", "/v1/workers/me", "/v1/districts", "/v1/skills"];

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "shell") {
    event.waitUntil((async () => {
      const cache = await caches.open(SHELL);
      const wanted = new Set(message.urls.map((u) => new URL(u, self.location.origin).href));
      for (const request of await cache.keys()) if (!wanted.has(request.url)) await cache.delete(request);
      await Promise.all([...wanted].map((u) => cache.match(u).then((hit) => hit || cache.add(u)).catch(() => {})));
      // the catalogues the screens are drawn with (public; the worker's own data is kept as fetched)
      const data = await caches.open(DATA);
      await Promise.all(["/v1/districts", "/v1/skills"].map((u) => data.add(u).catch(() => {})));
      event.source?.postMessage({ type: "shell-cached" });
    })());
  } else if (message.type === "forget") {
    event.waitUntil(caches.delete(DATA));
  }
});

async function networkFirst(request, cacheName, key, mark) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok) {
      const headers = new Headers(response.headers);
      if (mark) headers.set("X-Market-Cached-At", new Date().toISOString());
      await cache.put(key, new Response(await response.clone().blob(), { status: response.status, headers }));
    }
    return response;
  } catch (error) {
    const hit = await cache.match(key);
    if (hit) return hit;
    throw error;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(SHELL);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === "/app") {
    event.respondWith(networkFirst(request, SHELL, "/app", false));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  } else if (DATA_PATHS.includes(url.pathname)) {
    // the feed is kept whatever its page size: one copy, the last
    const key = url.pathname === "/v1/workers/me/feed" ? "/v1/workers/me/feed" : url.pathname + url.search;
    event.respondWith(networkFirst(request, DATA, key, url.pathname === "/v1/workers/me/feed"));
  }
});

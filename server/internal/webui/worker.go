package webui

// workerJS is the service worker (go-app's Handler.ServiceWorkerTemplate,
// with its {{.Version}} and {{.ResourcesToCache}} placeholders). It differs
// from go-app's stock worker:
//   - install waits for the precache (event.waitUntil) and fails if it
//     fails, so a worker never activates without the app shell;
//   - app.wasm is not downloaded a second time at the first install: the
//     page, once the WASM runs, asks the worker to store it from the HTTP
//     cache; an update (a new version replacing a cached one) downloads it
//     at install, so the new version starts offline too;
//   - navigations go to the network first and fall back to the cached page
//     or the cached shell, so every console route opens offline; each page
//     that comes from the network replaces its cached copy (by path), so
//     the offline pages follow the language and theme chosen since the
//     install (the server pre-renders in them);
//   - /api/ is never intercepted nor cached, nor is anything but GET.
//
// The cache's name, "twofold-" and the version, is how the page tells a
// new version from the first install (app/console, start.go).
const workerJS = `// Twofold service worker, version {{.Version}}.
const cacheName = "twofold-{{.Version}}";
const resourcesToCache = {{.ResourcesToCache}};
const wasmURL = "/web/app.wasm";
const precache = resourcesToCache.filter((u) => u !== wasmURL);

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    // An update (another version's cache exists) takes app.wasm too: the
    // page runs the old one, and activating deletes the old cache, so
    // without it the new version could not start offline before a reload.
    const updating = (await caches.keys()).some((k) => k.startsWith("twofold-") && k !== cacheName);
    const cache = await caches.open(cacheName);
    await cache.addAll(updating ? resourcesToCache : precache);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keys = await caches.keys();
    await Promise.all(keys.filter((k) => k !== cacheName).map((k) => caches.delete(k)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "twofold:cache-wasm") {
    event.waitUntil(cacheWasm());
  }
});

// cacheWasm stores app.wasm, taking it from the HTTP cache the page just
// filled instead of the network.
async function cacheWasm() {
  const cache = await caches.open(cacheName);
  if (await cache.match(wasmURL)) {
    return;
  }
  await cache.add(new Request(wasmURL, { cache: "force-cache" }));
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") {
    return;
  }
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) {
    return;
  }
  if (req.mode === "navigate") {
    event.respondWith(navigate(event, req));
    return;
  }
  event.respondWith(fromCache(req, url));
});

async function navigate(event, req) {
  try {
    const res = await fetch(req);
    if (res.ok && res.status === 200 && res.type === "basic") {
      const url = new URL(req.url);
      const copy = res.clone();
      event.waitUntil(caches.open(cacheName).then((cache) => cache.put(url.origin + url.pathname, copy)));
    }
    return res;
  } catch (err) {
    const cache = await caches.open(cacheName);
    const page = await cache.match(req, { ignoreSearch: true });
    if (page) {
      return page;
    }
    const shell = await cache.match("/");
    if (shell) {
      return shell;
    }
    throw err;
  }
}

async function fromCache(req, url) {
  const cache = await caches.open(cacheName);
  const cached = await cache.match(req);
  if (cached) {
    return cached;
  }
  const res = await fetch(req);
  if (url.pathname === wasmURL && res.ok) {
    await cache.put(wasmURL, res.clone());
  }
  return res;
}
`

// pageJS is loaded by every page, before its body (it is not deferred).
//
// Until the WASM runs, the page is the server's pre-rendered HTML: the
// right page, language and theme, but without handlers. The sign-in form
// is usable then: what is typed stays (the app takes it over, see
// app/console/form.TakeEarly), and a submit is kept here, with the
// button's busy label, until the app sends it. A pre-rendered form
// carries data-early; the forms the WASM renders do not, so once it runs
// this listener lets them be.
//
// The WASM app calls twofoldWasmLoaded once it runs: app.wasm is then in
// the HTTP cache and the worker can keep it for offline use without a
// second download.
const pageJS = `// Twofold page helpers.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-early")) {
    return;
  }
  event.preventDefault();
  if (form.dataset.early !== "queue") {
    return;
  }
  window.twofoldQueuedSubmit = form.id;
  const button = form.querySelector('button[type="submit"]');
  if (button && form.dataset.busyLabel) {
    button.setAttribute("aria-busy", "true");
    const label = button.querySelector("span:last-of-type");
    if (label) {
      label.textContent = form.dataset.busyLabel;
    }
  }
}, true);

function twofoldWasmLoaded() {
  if (!("serviceWorker" in navigator)) {
    return;
  }
  navigator.serviceWorker.ready.then((reg) => {
    if (reg.active) {
      reg.active.postMessage({ type: "twofold:cache-wasm" });
    }
  });
}
`

// Subscribe this browser to the signed-in person's notifications (docs/notifications.md):
//   await marketSubscribeToPush(token)
// registers the service worker, asks for permission, subscribes with the server's VAPID key and
// registers the subscription with POST /v1/notifications/web-push/subscriptions.
async function marketSubscribeToPush(token) {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    throw new Error("this browser has no Web Push");
  }
  const registration = await navigator.serviceWorker.register("/static/notifications-sw.js", { scope: "/static/" });
  if ((await Notification.requestPermission()) !== "granted") {
    throw new Error("notifications are not allowed");
  }
  const { public_key: key } = await (await fetch("/v1/notifications/web-push/public-key")).json();
  const raw = atob(key.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (key.length % 4)) % 4));
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: Uint8Array.from(raw, (c) => c.charCodeAt(0)),
  });
  const { endpoint, keys } = subscription.toJSON();
  const response = await fetch("/v1/notifications/web-push/subscriptions", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } }),
  });
  if (response.status !== 201) {
    throw new Error(`registering the subscription: HTTP ${response.status}`);
  }
  return subscription;
}

// The service worker of Web Push notifications (docs/notifications.md): shows what the server sent.
// The payload is the JSON {kind, title, body, data} the notification worker encrypts for this browser.
self.addEventListener("push", (event) => {
  let message = { title: "market", body: "" };
  try {
    message = event.data ? event.data.json() : message;
  } catch (error) {
    message = { title: "market", body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(self.registration.showNotification(message.title, {
    body: message.body,
    tag: message.kind,
    data: message.data || {},
    lang: "zh-CN",
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(self.clients.openWindow("/"));
});

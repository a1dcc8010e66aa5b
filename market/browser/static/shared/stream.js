// An event stream of the API (text/event-stream) read with fetch, since EventSource cannot send the
// Authorization header (docs/browser.md, docs/events.md). `openStream(api, path, {lastEventId,
// onEvent, onState})` connects, hands every event as ({id, event, data}) with its JSON parsed,
// reconnects 2 s after the stream ends with the last id seen as Last-Event-ID (nothing missed, nothing
// repeated), and returns {close()}. onState(true|false) says whether the stream is connected.
export function openStream(api, path, { lastEventId = null, onEvent, onState = () => {} } = {}) {
  let last = lastEventId;
  let controller = null;
  let closed = false;

  function dispatch(block) {
    const fields = {};
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const at = line.indexOf(":");
      fields[line.slice(0, at)] = line.slice(at + 1).trimStart();
    }
    if (fields.id) last = Number(fields.id);
    if (!fields.event) return;
    let data = null;
    try { data = fields.data ? JSON.parse(fields.data) : null; } catch (_) { data = fields.data; }
    onEvent({ id: last, event: fields.event, data });
  }

  async function connect() {
    controller = new AbortController();
    const mine = controller;
    const headers = api.authHeaders();
    if (last !== null) headers["Last-Event-ID"] = String(last);
    try {
      const response = await fetch(path, { headers, signal: mine.signal });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      onState(true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          dispatch(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch (_) {
      if (mine.signal.aborted) return;
    }
    onState(false);
    if (!closed && controller === mine) setTimeout(() => { if (!closed) connect(); }, 2000);
  }

  connect();
  return { close() { closed = true; if (controller) controller.abort(); onState(false); } };
}

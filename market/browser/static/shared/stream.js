// Reading a Server-Sent Events stream with fetch (docs/browser.md): EventSource cannot send the
// Authorization header. `openEventStream` reads frames ("event:", "data:", "id:"), calls onEvent
// with {event, data, id}, reconnects after a drop with Last-Event-ID (the server replays what was
// missed), and tells onState "live" or "off". It returns {close()}. `lastEventId` resumes from an
// id the caller already has (0: the stream's whole history). This is the one SSE reader of the
// browser code; `openStream` below is the same reader for the API's JSON events.
export function openEventStream(url, { headers = () => ({}), onEvent, onState = () => {}, retryMs = 2000,
                                       lastEventId: resumeFrom = null } = {}) {
  let lastEventId = resumeFrom === null ? null : String(resumeFrom);
  let controller = null;
  let closed = false;

  function dispatch(block) {
    const frame = { event: "message", data: "", id: null };
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") frame.event = value;
      else if (field === "data") data.push(value);
      else if (field === "id") frame.id = value;
    }
    if (frame.id !== null) lastEventId = frame.id;
    if (!data.length) return;  // the retry: preamble, a keep-alive
    frame.data = data.join("\n");
    onEvent(frame);
  }

  async function connect() {
    controller = new AbortController();
    const mine = controller;
    const sent = { ...headers() };
    if (lastEventId !== null) sent["Last-Event-ID"] = lastEventId;
    try {
      const response = await fetch(url, { headers: sent, signal: mine.signal, cache: "no-store" });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      onState("live");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replaceAll("\r\n", "\n");
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          dispatch(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch (_) {
      if (mine.signal.aborted) return;
    }
    onState("off");
    if (!closed) setTimeout(() => { if (!closed) connect(); }, retryMs);
  }

  connect();
  return { close() { closed = true; controller?.abort(); onState("off"); } };
}

// `openStream(api, path, {lastEventId, onEvent, onState})`: an API event stream through the
// client's credentials (`api.authHeaders()`), each event handed as {id (a number), event, data (its
// JSON parsed)}; onState(true|false) says whether it is connected. Used by the console.
export function openStream(api, path, { lastEventId = null, onEvent, onState = () => {} } = {}) {
  return openEventStream(path, {
    headers: () => api.authHeaders(),
    lastEventId,
    onState: (state) => onState(state === "live"),
    onEvent: (frame) => {
      let data = frame.data;
      try { data = JSON.parse(frame.data); } catch (_) { /* not JSON: handed as text */ }
      onEvent({ id: frame.id === null ? null : Number(frame.id), event: frame.event, data });
    },
  });
}

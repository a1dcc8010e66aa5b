// The one way pages call the API (docs/browser.md): the bearer token on every request, JSON in and
// out (a FormData body goes as multipart), and every refusal as an ApiError carrying the RFC 9457 problem (application/problem+json):
// its status, detail, and field errors (`fields`: the offending field's path, as the form names it,
// with its message). A 401 also calls the page's onUnauthorized (the token expired or was revoked).
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    // loc ["body", "pay", "rate_fen"] -> "pay.rate_fen": where the request put it, not said
    this.fields = (problem?.errors || []).map((e) => ({
      field: e.loc.filter((part, i) => !(i === 0 && ["body", "query", "path", "header"].includes(part))).join("."),
      message: e.msg,
    }));
  }
}

export function createApi({ token, onUnauthorized } = {}) {
  const authHeaders = () => {
    const value = token ? token() : null;
    return value ? { Authorization: `Bearer ${value}` } : {};
  };
  // `raw`: the Response itself (a CSV, a PDF, an event stream), once it is known to be a success.
  async function request(path, { method = "GET", body, headers = {}, signal, raw = false } = {}) {
    const options = { method, headers: { ...authHeaders(), ...headers }, signal };
    if (body instanceof FormData) {
      options.body = body;  // multipart (an upload): the browser writes its Content-Type and boundary
    } else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    if (!response.ok) {
      let problem = null;
      try { problem = await response.json(); } catch (_) { /* not JSON */ }
      if (response.status === 401 && onUnauthorized) onUnauthorized(problem);
      throw new ApiError(response.status, problem);
    }
    if (raw) return response;
    return response.status === 204 ? null : response.json();
  }
  return {
    request,
    authHeaders,
    get: (path, options) => request(path, options),
    post: (path, body, options = {}) => request(path, { ...options, method: "POST", body }),
  };
}

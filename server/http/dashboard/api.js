// The JSON API under /api/v1/: one POST per evrouter.v1.Admin method, the
// request and response messages in proto3 JSON. Errors come back as
// {"code":<grpc code>,"status":"NOT_FOUND","message":"..."}.

const API_BASE = 'api/v1/'; // relative to the page, so a path prefix works
const TIMEOUT_MS = 15000;

export class ApiError extends Error {
  // httpStatus: the HTTP status (0 when the request never got an answer);
  // status: the gRPC status name ("NOT_FOUND", ...) or a short description.
  constructor(httpStatus, status, message) {
    super(message);
    this.name = 'ApiError';
    this.httpStatus = httpStatus;
    this.status = status;
  }

  // "NOT_FOUND: queue 'x' not found", as shown next to forms.
  get text() {
    return this.message ? `${this.status}: ${this.message}` : this.status;
  }
}

// Calls Admin/`method` with `body` (an object) and returns the parsed
// response. `token` may be empty: then no Authorization header is sent (a
// server started with --no-auth accepts that).
export async function callApi(method, body, token) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
  let response;
  let text;
  try {
    response = await fetch(API_BASE + method, {
      method: 'POST',
      headers,
      body: JSON.stringify(body || {}),
      cache: 'no-store',
      credentials: 'omit',
      signal: abort.signal,
    });
    text = await response.text();
  } catch (e) {
    const why = abort.signal.aborted ? `no answer within ${TIMEOUT_MS / 1000} s` : e.message;
    throw new ApiError(0, 'NETWORK_ERROR', `could not reach the server (${why})`);
  } finally {
    clearTimeout(timer);
  }
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch (_) {
    parsed = null;
  }
  if (response.ok) {
    if (parsed === null || typeof parsed !== 'object') {
      throw new ApiError(response.status, 'BAD_RESPONSE', `${method} did not answer with JSON`);
    }
    return parsed;
  }
  if (parsed && typeof parsed === 'object' && typeof parsed.status === 'string') {
    throw new ApiError(response.status, parsed.status, String(parsed.message ?? ''));
  }
  const snippet = (text || '').trim().slice(0, 200);
  throw new ApiError(response.status, `HTTP ${response.status}`,
    snippet || response.statusText || 'no details');
}

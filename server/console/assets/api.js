// api.js: the console's only door to the server: JSON calls to /api/v1 (docs/api.md,
// docs/openapi.json). The session cookie is HttpOnly and travels by itself; the CSRF token the
// API gives at login (or GET /api/v1/session) is kept in memory and sent with every call that may
// change something. Errors become ApiError, carrying the API's code, message, field errors and
// Retry-After.

const base = '/api/v1';
let csrfToken = null;
let onUnauthenticated = () => {};

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.error) || (status === 0 ? 'network' : 'http');
    this.fields = (body && Array.isArray(body.fields)) ? body.fields : [];
    this.retryAfter = retryAfter;
  }
}

export function setCsrfToken(token) {
  csrfToken = token || null;
}

// Called when the API says the session is gone (401 other than at login): the app shows the
// login page again.
export function whenUnauthenticated(callback) {
  onUnauthenticated = callback;
}

function queryString(query) {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.append(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

// `body` goes as JSON, unless `contentType` says what the (text) body already is.
async function call(method, path, { query, body, contentType, login = false } = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = contentType || 'application/json';
    init.body = contentType ? body : JSON.stringify(body);
  }
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(base + path + queryString(query), init);
  } catch (error) {
    throw new ApiError(0, { error: 'network', message: String(error) }, null);
  }
  let data = null;
  const type = response.headers.get('Content-Type') || '';
  if (response.status !== 204 && type.includes('application/json')) {
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
  }
  if (!response.ok) {
    const retry = Number.parseInt(response.headers.get('Retry-After') || '', 10);
    const failure = new ApiError(response.status, data, Number.isFinite(retry) ? retry : null);
    if (response.status === 401 && !login) onUnauthenticated(failure);
    throw failure;
  }
  return data;
}

export const api = {
  get: (path, query) => call('GET', path, { query }),
  post: (path, body = {}) => call('POST', path, { body }),
  put: (path, body = {}) => call('PUT', path, { body }),
  del: (path) => call('DELETE', path),
  // A CSV file's text, as the API's imports take it (POST /agents).
  postCsv: (path, text) => call('POST', path, { body: text, contentType: 'text/csv; charset=utf-8' }),

  session: () => call('GET', '/session'),
  login: (login, password) => call('POST', '/session', { body: { login, password }, login: true }),
  logout: () => call('DELETE', '/session'),
};

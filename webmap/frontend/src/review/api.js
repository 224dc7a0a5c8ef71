// Calls to the REST API from the review page: session cookie plus Django's CSRF token,
// and one error type whose message is what the server said ({detail} or field errors),
// so the page can show it as it is.

export class ApiError extends Error {
  constructor(message, status, data = null) {
    super(message);
    this.status = status;
    this.data = data; // the error's JSON body, when there is one
  }
}

function readCookie(name) {
  const prefix = `${name}=`;
  const found = document.cookie.split(';').map((c) => c.trim()).find((c) => c.startsWith(prefix));
  return found ? decodeURIComponent(found.slice(prefix.length)) : '';
}

/** The CSRF token: the csrftoken cookie, or a token a server-rendered form carries. */
export function csrfToken() {
  const input = document.querySelector('input[name="csrfmiddlewaretoken"]');
  return readCookie('csrftoken') || (input ? input.value : '');
}

/** The visible label of the form control named `field` in `scope`, if any: people read
 * "Signed decision (PDF)", not the API's field name "decision_document". */
function fieldLabel(scope, field) {
  const control = scope.querySelector(`[name="${CSS.escape(field)}"]`);
  const label = control && control.labels && control.labels[0];
  return label ? label.textContent.trim() : '';
}

/** Turns a DRF error body into one readable line: {detail}, or {field: [messages]} with each
 * field shown by its label on the page (or not at all). */
export function errorMessage(body, fallback, scope = document) {
  if (!body || typeof body !== 'object') return fallback;
  if (typeof body.detail === 'string') return body.detail;
  const parts = Object.entries(body).map(([field, value]) => {
    const text = Array.isArray(value) ? value.join(' ') : String(value);
    const label = field === 'non_field_errors' ? '' : fieldLabel(scope, field);
    return label ? `${label}: ${text}` : text;
  });
  return parts.length ? parts.join(' · ') : fallback;
}

async function parse(response) {
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json().catch(() => null) : null;
}

/**
 * One request. `json` is sent as JSON, `form` (FormData) as multipart.
 * Resolves to the parsed body; rejects with ApiError carrying the server's message (field
 * errors named by their labels in `scope`, the form that was sent).
 */
export async function request(url, { method = 'GET', json, form, labels = {}, scope } = {}) {
  const headers = { Accept: 'application/json' };
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  if (method !== 'GET') headers['X-CSRFToken'] = csrfToken();
  let response;
  try {
    response = await fetch(url, { method, headers, body, credentials: 'same-origin' });
  } catch (error) {
    throw new ApiError(labels.requestFailed || 'Network error', 0);
  }
  const data = await parse(response);
  if (!response.ok) {
    throw new ApiError(errorMessage(data, `HTTP ${response.status}`, scope), response.status, data);
  }
  return data;
}

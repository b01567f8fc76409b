// Sign-in state and calls to the admin API, which this console's own function serves under
// ./api/ (the same handler and ID-token check as sync_admin). The ID token lives in
// sessionStorage only: never in the URL (the fragment it arrives in is removed at once), never
// logged.

export const ROOT = new URL('../', import.meta.url); // …/console/ (this file is in assets/)
const TOKEN_KEY = 'rostersync.id_token';

/** Takes a token the sign-in page put in the fragment (#id_token=…) and removes it from the
 * address bar and the history entry. */
export function takeTokenFromFragment() {
  const match = /^#id_token=([^&]+)/.exec(window.location.hash);
  if (!match) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
}

export function storeToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

/** The token's claims, read for display only (the API verifies the signature). */
export function claims(token) {
  try {
    let part = token.split('.')[1].replaceAll('-', '+').replaceAll('_', '/');
    part += '='.repeat((4 - (part.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

/** The stored token while it has not expired, else null. */
export function token() {
  const stored = sessionStorage.getItem(TOKEN_KEY);
  const info = stored && claims(stored);
  if (!info || !info.exp || info.exp * 1000 <= Date.now()) {
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
  return stored;
}

export function signedInEmail() {
  const current = token();
  return current ? claims(current).email : null;
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export async function loadConfig() {
  const response = await fetch(new URL('config.json', ROOT), { cache: 'no-store' });
  return response.json();
}

/** One API call: {status, ok, body}; a network failure is answered as status 0. */
export async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${token() || ''}`, Accept: 'application/json' };
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(new URL(`api${path}`, ROOT), init);
  } catch {
    return { status: 0, ok: false, body: { title: 'The console cannot reach the API', detail: 'Check the network and that the stack or the deployment is up; then reload.' } };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { status: response.status, ok: response.ok, body: data };
}

/** The path of a district's resource: /districts/{d}{rest}. */
export function districtPath(district, rest = '') {
  return `/districts/${encodeURIComponent(district)}${rest}`;
}

/** Every page of a cursor-paged list (items under ``key``). */
export async function allPages(path, key, limit = 200) {
  const items = [];
  let cursor = null;
  do {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set('cursor', cursor);
    const result = await api('GET', `${path}?${query}`);
    if (!result.ok) return { ...result, items };
    items.push(...result.body[key]);
    cursor = result.body.next_cursor;
  } while (cursor);
  return { status: 200, ok: true, items };
}

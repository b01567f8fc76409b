// #/connect: the stored connection (never the secret), "Authorize" (the API tests the token and
// one read before anything is saved), and disconnect behind a confirmation dialog.

import { api, districtPath } from '../api.js';
import { clearProblem, field, h, showFailure, table, when, put } from '../ui.js';

const SHOWN = [
  ['vendor', 'Vendor'], ['version', 'OneRoster version'], ['rostering_base_url', 'Rostering base URL'],
  ['gradebook_base_url', 'Gradebook base URL'], ['token_url', 'Token URL'], ['client_id', 'Client id'],
  ['page_size', 'Page size'], ['max_concurrency', 'Concurrent requests'],
];

function vendorHelp(vendor) {
  if (!vendor) return [];
  return [
    h('p', {}, h('strong', {}, vendor.label), ` — OneRoster ${vendor.version} by default.`),
    h('dl', {},
      h('dt', {}, 'Rostering base URL'), h('dd', {}, h('code', {}, vendor.rostering_url_shape)),
      h('dt', {}, 'Gradebook base URL'), h('dd', {}, vendor.gradebook_url_shape ? h('code', {}, vendor.gradebook_url_shape) : 'the same as rostering (OneRoster 1.1)'),
      h('dt', {}, 'Token URL'), h('dd', {}, vendor.token_url_shape ? h('code', {}, vendor.token_url_shape) : '—')),
    vendor.notes ? h('p', {}, `Notes: ${vendor.notes}`) : null,
  ];
}

function connectionView(ctx, box) {
  const s = ctx.settings || {};
  const stored = s.connection || {};
  if (s.connected === false) {
    put(box, h('h2', {}, 'Connection'),
      h('p', { class: 'state state-off' }, `Disconnected${s.disconnected_at ? ` since ${when(s.disconnected_at)}` : ''} — syncs and mark exports are stopped; classes, members and marks are kept. Authorize again below to reconnect.`));
    return;
  }
  if (!s.connected) {
    put(box, h('h2', {}, 'Connection'), h('p', { class: 'state' }, 'Not connected yet — fill in the form below and press Authorize.'));
    return;
  }
  const rows = SHOWN.filter(([key]) => stored[key] !== undefined && stored[key] !== null)
    .map(([key, label]) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, String(stored[key]))));
  rows.push(h('tr', {}, h('th', { scope: 'row' }, 'Client secret'), h('td', {}, 'secret stored (never shown)')));
  const dialog = h('dialog', { id: 'confirm-disconnect', 'aria-labelledby': 'confirm-disconnect-title' },
    h('h2', { id: 'confirm-disconnect-title' }, 'Disconnect the SIS?'),
    h('p', {}, 'Scheduled and manual syncs stop, queued and running runs are cancelled, and teachers can no longer export marks. Classes, members, marks and settings are kept; Authorize again to reconnect.'),
    h('form', { method: 'dialog' },
      h('button', { id: 'confirm-disconnect-yes', type: 'submit', value: 'yes' }, 'Disconnect'),
      ' ',
      h('button', { id: 'confirm-disconnect-no', type: 'submit', value: 'no' }, 'Keep connected')));
  dialog.addEventListener('close', async () => {
    if (dialog.returnValue !== 'yes') return;
    const result = await api('DELETE', districtPath(ctx.district, '/connection'));
    if (ctx.handleCommon(result)) return;
    if (!result.ok) {
      showFailure(result);
      return;
    }
    await ctx.refreshSettings();
    connectionView(ctx, box);
    const cancelled = result.body.cancelled_runs.length;
    box.append(h('p', {}, cancelled ? `${cancelled} queued or running run(s) were cancelled.` : 'No run was under way.'));
  });
  put(box, 
    h('h2', {}, 'Connection'),
    h('p', { class: 'state state-on' }, `Connected${s.connected_at ? ` since ${when(s.connected_at)}` : ''}.`),
    table('connection-table', 'The stored connection', ['Setting', 'Value'], rows),
    h('button', { id: 'disconnect', type: 'button', onclick: () => dialog.showModal() }, 'Disconnect…'),
    dialog,
  );
}

function input(id, attrs = {}) {
  return h('input', { id, name: id, autocomplete: 'off', spellcheck: 'false', ...attrs });
}

export function render(ctx, container) {
  const stored = (ctx.settings || {}).connection || {};
  const vendors = ctx.config.vendors;
  const box = h('section', { id: 'connection', 'aria-live': 'polite' });
  const help = h('div', { id: 'vendor-help', class: 'help-box', 'aria-live': 'polite' });
  const vendor = h('select', { id: 'vendor', name: 'vendor' },
    vendors.map((v) => h('option', { value: v.key, selected: v.key === (stored.vendor || 'generic') }, v.label)));
  const version = h('select', { id: 'version', name: 'version' },
    ['1.2', '1.1'].map((v) => h('option', { value: v }, `OneRoster ${v}`)));
  const fields = {
    rostering_base_url: input('rostering_base_url', { type: 'url', value: stored.rostering_base_url || '' }),
    gradebook_base_url: input('gradebook_base_url', { type: 'url', value: stored.gradebook_base_url || '' }),
    token_url: input('token_url', { type: 'url', value: stored.token_url || '' }),
    client_id: input('client_id', { value: stored.client_id || '' }),
  };
  const secret = input('client_secret', { type: 'password', autocomplete: 'new-password', placeholder: stored.client_id ? 'secret stored — type it again to re-authorize' : '' });
  const pageSize = input('page_size', { type: 'number', inputmode: 'numeric', value: stored.page_size ?? '' });
  const result = h('div', { id: 'connect-result', 'aria-live': 'polite' });
  const chosen = () => vendors.find((v) => v.key === vendor.value);
  const onVendor = (initial) => {
    const preset = chosen();
    put(help, ...vendorHelp(preset));
    if (!initial && preset) {
      version.value = preset.version;
      pageSize.value = preset.page_size;
    }
  };
  vendor.addEventListener('change', () => onVendor(false));
  version.value = stored.version || (chosen() || {}).version || '1.2';
  onVendor(true);

  const form = h('form', { id: 'connect-form', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    clearProblem();
    result.replaceChildren();
    const body = {
      vendor: vendor.value,
      version: version.value,
      rostering_base_url: fields.rostering_base_url.value.trim(),
      gradebook_base_url: fields.gradebook_base_url.value.trim() || null,
      token_url: fields.token_url.value.trim(),
      client_id: fields.client_id.value.trim(),
      client_secret: secret.value,
      page_size: pageSize.value === '' ? null : Number(pageSize.value),
    };
    if (ctx.config.local_dev) body.local_dev = true;
    const button = form.querySelector('#authorize');
    button.disabled = true;
    result.textContent = 'Authorizing: asking the SIS for a token and one page of schools…';
    const answer = await api('PUT', districtPath(ctx.district, '/connection'), body);
    button.disabled = false;
    result.replaceChildren();
    if (ctx.handleCommon(answer)) return;
    if (!answer.ok) {
      showFailure(answer);
      return;
    }
    secret.value = '';
    secret.placeholder = 'secret stored — type it again to re-authorize';
    const warnings = answer.body.warnings || [];
    put(result, 
      h('p', { class: 'state state-on' }, `Connected — the SIS issued a token and lists ${answer.body.schools_seen} school(s) on its first page. The secret is stored in Secret Manager and never shown again.`),
      warnings.length ? h('div', {}, h('p', {}, 'To fix although the connection works:'), h('ul', {}, warnings.map((w) => h('li', {}, w)))) : null,
    );
    await ctx.refreshSettings();
    connectionView(ctx, box);
  } },
  h('h2', {}, ctx.settings && ctx.settings.connected ? 'Change the connection' : 'Connect the SIS'),
  field('SIS vendor', vendor, 'Fills the OneRoster version and page size; its URL shapes are shown below.'),
  help,
  field('OneRoster version', version, 'The version the SIS serves (its base URLs end in /v1p1 for 1.1, /rostering/v1p2 for 1.2).'),
  field('Rostering base URL', fields.rostering_base_url, 'Everything before /orgs, /classes… e.g. the shape above.'),
  field('Gradebook base URL', fields.gradebook_base_url, 'OneRoster 1.2 only; leave empty for 1.1 (the rostering URL serves both).'),
  field('Token URL', fields.token_url, 'Where the SIS issues OAuth 2.0 client-credentials tokens.'),
  field('Client id', fields.client_id, 'The OneRoster application key the SIS gave you.'),
  field('Client secret', secret, 'Sent once to the API and kept in Secret Manager; never shown again.'),
  field('Page size', pageSize, 'Records per request; empty for the vendor\'s default.'),
  h('button', { id: 'authorize', type: 'submit' }, 'Authorize'),
  result);

  container.append(h('h1', {}, 'Connect the SIS'), box, form);
  connectionView(ctx, box);
}

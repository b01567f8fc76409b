// #/settings: the schedule, the guards, account matching, mark export. The API checks every
// value; a 400 names the field and nothing is saved.

import { api, districtPath } from '../api.js';
import { clearProblem, field, h, showFailure } from '../ui.js';

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

function number(input) {
  const text = input.value.trim();
  if (text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : text; // the API names a value that is not a number
}

export function render(ctx, container) {
  const s = ctx.settings || {};
  const schedule = { enabled: true, timezone: 'America/Chicago', window_start_hour: 1, window_end_hour: 5, full_weekday: 6, delta_daily: true, ...(s.schedule || {}) };
  const guards = { max_fraction: 0.1, max_count: 25, ...(s.guards || {}) };
  const accounts = { match_key: 'email', create_accounts: false, ...(s.accounts || {}) };
  const input = (id, attrs) => h('input', { id, name: id, autocomplete: 'off', ...attrs });
  const el = {
    enabled: input('schedule-enabled', { type: 'checkbox', checked: schedule.enabled }),
    timezone: input('schedule-timezone', { value: schedule.timezone }),
    start: input('schedule-hour', { type: 'number', inputmode: 'numeric', value: schedule.window_start_hour }),
    end: input('schedule-end-hour', { type: 'number', inputmode: 'numeric', value: schedule.window_end_hour }),
    weekday: h('select', { id: 'schedule-weekday', name: 'schedule-weekday' },
      WEEKDAYS.map((day, index) => h('option', { value: String(index), selected: index === schedule.full_weekday }, day))),
    delta: input('schedule-delta', { type: 'checkbox', checked: schedule.delta_daily }),
    fraction: input('guard-max-fraction', { type: 'number', step: 'any', value: guards.max_fraction }),
    count: input('guard-max-count', { type: 'number', inputmode: 'numeric', value: guards.max_count }),
    matchKey: h('select', { id: 'match-key', name: 'match-key' },
      [['email', 'Email'], ['username', 'Username'], ['identifier', 'Identifier']].map(([value, label]) => h('option', { value, selected: value === accounts.match_key }, label))),
    create: input('create-accounts', { type: 'checkbox', checked: accounts.create_accounts }),
    exportEnabled: input('export-enabled', { type: 'checkbox', checked: Boolean(s.export_enabled) }),
    category: input('default-category', { value: (s.export || {}).default_category || '' }),
  };
  const saved = h('p', { id: 'settings-saved', 'aria-live': 'polite' });
  const form = h('form', { id: 'settings-form', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    clearProblem();
    saved.textContent = '';
    const body = {
      schedule: {
        enabled: el.enabled.checked, timezone: el.timezone.value.trim(),
        window_start_hour: number(el.start), window_end_hour: number(el.end),
        full_weekday: Number(el.weekday.value), delta_daily: el.delta.checked,
      },
      guards: { max_fraction: number(el.fraction), max_count: number(el.count) },
      accounts: { match_key: el.matchKey.value, create_accounts: el.create.checked },
      export_enabled: el.exportEnabled.checked,
      export: { default_category: el.category.value.trim() || null },
    };
    const answer = await api('PATCH', districtPath(ctx.district, '/settings'), body);
    if (ctx.handleCommon(answer)) return;
    if (!answer.ok) {
      showFailure(answer);
      return;
    }
    saved.textContent = `Saved: ${answer.body.updated.join(', ')}.`;
    await ctx.refreshSettings();
  } },
  h('fieldset', {}, h('legend', {}, 'Scheduled syncs'),
    field('Run scheduled syncs', el.enabled, 'Off: only "Sync now" on the Runs page starts a sync.'),
    field('Time zone', el.timezone, 'An IANA time zone name, e.g. America/Chicago; the window below is in it.'),
    field('Window starts at (hour)', el.start, 'Whole hour 0–23, local time; syncs start only inside the window, off-peak for the SIS.'),
    field('Window ends at (hour)', el.end, 'Whole hour 1–24 (the window ends before it).'),
    field('Full sync on', el.weekday, 'The weekday of the weekly full sync.'),
    field('Delta sync on the other days', el.delta, 'A delta sync reads only what changed since the last sync.')),
  h('fieldset', {}, h('legend', {}, 'Guards: hold large removals for approval'),
    field('Largest share removed without approval', el.fraction, 'A fraction above 0 and at most 1: 0.1 holds removals of more than 10 % of a type of record in a school.'),
    field('Most removals without approval', el.count, 'A whole number ≥ 0: more removals than this in a school are held (with the school\'s owner changes).')),
  h('fieldset', {}, h('legend', {}, 'Accounts'),
    field('Match SIS users to accounts by', el.matchKey, 'The SIS field that finds an existing account.'),
    field('Create accounts for users with no match', el.create, 'Off: unmatched users are reported as warnings instead.')),
  h('fieldset', {}, h('legend', {}, 'Mark export'),
    field('Teachers can export marks to the SIS', el.exportEnabled, 'Off: teachers\' exports answer that exporting is off.'),
    field('Default SIS category', el.category, 'The title or sourcedId of the SIS category for marks whose category matches none; empty for none.')),
  h('button', { id: 'save-settings', type: 'submit' }, 'Save settings'),
  saved);
  container.append(h('h1', {}, 'Settings'), form);
}

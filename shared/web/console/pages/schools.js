// #/schools: which of the SIS's schools the sync imports (selected_schools; null = every school).

import { api, districtPath } from '../api.js';
import { clearProblem, h, showFailure, table } from '../ui.js';

export function render(ctx, container) {
  const saved = h('p', { id: 'schools-saved', 'aria-live': 'polite' });
  container.append(h('h1', {}, 'Schools'),
    h('p', {}, 'Choose the schools the sync imports. The list is what the SIS sent at the start of the last sync.'));
  let stopped = false;
  (async () => {
    const result = await api('GET', districtPath(ctx.district, '/schools'));
    if (stopped || ctx.handleCommon(result)) return;
    if (!result.ok) {
      showFailure(result);
      return;
    }
    const { schools, all_selected: allSelected } = result.body;
    const every = h('input', { id: 'all-schools', type: 'checkbox', checked: allSelected, 'aria-describedby': 'all-schools-help' });
    const boxes = [];
    const rows = schools.map((school, index) => {
      const id = `school-${index}`;
      const box = h('input', { id, type: 'checkbox', name: 'school', value: school.id, checked: school.selected, disabled: allSelected });
      boxes.push(box);
      return h('tr', { 'data-school-id': school.id },
        h('td', {}, box),
        h('td', {}, h('label', { for: id }, school.name || school.id)),
        h('td', {}, h('code', {}, school.id)),
        h('td', {}, school.status || '—'));
    });
    every.addEventListener('change', () => {
      for (const box of boxes) box.disabled = every.checked;
    });
    const form = h('form', { id: 'schools-form', novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      clearProblem();
      saved.textContent = '';
      const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
      const body = { selected_schools: every.checked ? null : chosen };
      const answer = await api('PATCH', districtPath(ctx.district, '/settings'), body);
      if (ctx.handleCommon(answer)) return;
      if (!answer.ok) {
        showFailure(answer);
        return;
      }
      saved.textContent = every.checked
        ? 'Saved — the next sync imports every school, including schools the SIS adds later.'
        : `Saved — the next sync imports ${chosen.length} school(s).`;
      await ctx.refreshSettings();
    } },
    h('div', { class: 'field check' }, every, h('label', { for: 'all-schools' }, 'Every school'),
      h('small', { id: 'all-schools-help', class: 'help' }, 'Also the schools the SIS adds later; uncheck to choose below.')),
    table('schools', `${schools.length} school(s) from the SIS`, ['Sync', 'School', 'SIS id', 'Status'],
      schools.length ? rows : h('tr', { id: 'no-schools' }, h('td', { colspan: 4 },
        'No schools yet: the list comes from the SIS at the start of a sync. Start a full sync on the Runs page, then come back.'))),
    h('button', { id: 'save-schools', type: 'submit' }, 'Save schools'),
    saved);
    container.append(form);
  })();
  return () => { stopped = true; };
}

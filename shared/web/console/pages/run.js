// #/runs/<runId>: state, progress, counts, per-school table, held changes with approve/discard,
// warnings grouped by kind with the fix, and every warning as CSV (built here from the paged API).

import { allPages, api, districtPath } from '../api.js';
import {
  ACTIVE, clearProblem, countsText, duration, h, progressText, showFailure, stateText, table, when, put } from '../ui.js';

const POLL_MS = 1000;

function describeChange(change) {
  const parts = [];
  const list = (ids) => (ids.length > 5 ? `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more` : ids.join(', '));
  if (change.remove_students?.length) parts.push(`${change.remove_students.length} student(s) removed: ${list(change.remove_students)}`);
  if (change.remove_co_teachers?.length) parts.push(`${change.remove_co_teachers.length} co-teacher(s) removed: ${list(change.remove_co_teachers)}`);
  if (change.archive_reason) parts.push(`class archived (${change.archive_reason.replaceAll('_', ' ')})`);
  if (change.owner_id) parts.push(`new owner: ${change.owner_id}`);
  return parts.join('; ') || 'other change';
}

// A quiet school's plan could not have moved, so its step only recorded its warnings again.
function schoolState(school) {
  if (!school.state) return '—';
  return school.quiet ? `${school.state} (unchanged since its last sync)` : school.state;
}

function holdsView(holds, names) {
  return holds.map(({ school, detail }) => h('section', { class: 'hold', 'data-school-id': school },
    h('h3', {}, names[school] || school),
    h('p', {}, `Why held: ${(detail.hold_reasons || []).join('; ') || '—'}`),
    ...detail.holds.map((hold) => h('div', {},
      h('p', {}, `State: ${hold.state}${hold.decided_by ? ` by ${hold.decided_by}` : ''}. Reasons: ${(hold.reasons || []).join('; ')}`),
      table(null, `${hold.changes.length} held change(s)`, ['Class (SIS section)', 'Change'],
        hold.changes.map((change) => h('tr', {}, h('td', {}, change.section_id || change.class_id), h('td', {}, describeChange(change))))))),
    detail.next_cursor ? h('p', {}, 'More held changes than shown here; the decision covers all of them.') : null));
}

const CSV_COLUMNS = ['code', 'record_kind', 'sourced_id', 'school_id', 'reason', 'fix'];

function csvCell(value) {
  const text = value === null || value === undefined ? '' : String(value);
  // A leading = + - @ would be a formula in a spreadsheet: quote it as text.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

async function downloadCsv(ctx, runId, button) {
  clearProblem();
  button.disabled = true;
  const label = button.textContent;
  button.textContent = 'Reading every warning…';
  const result = await allPages(districtPath(ctx.district, `/runs/${runId}/warnings`), 'warnings');
  button.disabled = false;
  button.textContent = label;
  if (ctx.handleCommon(result)) return;
  if (!result.ok) {
    showFailure(result);
    return;
  }
  const lines = [CSV_COLUMNS.join(','), ...result.items.map((w) => CSV_COLUMNS.map((c) => csvCell(w[c])).join(','))];
  const blob = new Blob([`${lines.join('\r\n')}\r\n`], { type: 'text/csv' });
  const link = h('a', { href: URL.createObjectURL(blob), download: `warnings-${runId}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

export function render(ctx, container, [runId]) {
  let timer = null;
  let stopped = false;
  let names = {};
  const base = districtPath(ctx.district, `/runs/${runId}`);
  const state = h('p', { id: 'run-state', class: 'state', 'aria-live': 'polite' }, 'Loading…');
  const progressBox = h('div', {});
  const counts = h('dl', { id: 'run-counts' });
  const schools = h('div', {});
  const holds = h('section', { id: 'holds', hidden: true });
  const decided = h('p', { id: 'decision-result', 'aria-live': 'polite' });
  const warnings = h('section', { id: 'warnings-section' });
  const cancel = h('button', { id: 'cancel-run', type: 'button', hidden: true }, 'Cancel this run');

  function showStatus(status) {
    state.textContent = stateText(status);
    state.dataset.state = status.state;
    const { pages_done: done, pages_known: known } = status.progress;
    const rate = status.rate && status.rate.records_per_second;
    put(progressBox, 
      h('label', { for: 'run-progress' }, `Progress: ${progressText(status.progress)}${rate ? `, about ${Math.round(rate)} records/s` : ''}`),
      h('progress', { id: 'run-progress', value: done, max: Math.max(known, 1) }, `${done} of ${known} pages`));
    put(counts, 
      h('dt', {}, 'Changes'), h('dd', {}, countsText(status.counts)),
      h('dt', {}, 'Held back'), h('dd', {}, countsText(status.held_counts)),
      h('dt', {}, 'Data warnings'), h('dd', {}, String(status.warnings_total)),
      h('dt', {}, 'Kind'), h('dd', {}, `${status.kind}${status.dry_run ? ' (dry run: nothing written)' : ''}`),
      h('dt', {}, 'Started'), h('dd', {}, `${when(status.started_at)} by ${status.requested_by || 'the schedule'}`),
      h('dt', {}, 'Duration'), h('dd', {}, duration(status)),
      status.failure ? [h('dt', {}, 'Failure'), h('dd', {}, `${status.failure.reason || ''}${status.failure.where ? ` (at ${status.failure.where})` : ''}`)] : null);
    const rows = Object.entries(status.schools || {}).map(([id, school]) => h('tr', { 'data-school-id': id },
      h('td', {}, names[id] || id), h('td', {}, schoolState(school)), h('td', {}, countsText(school.counts)),
      h('td', {}, countsText(school.held_counts)), h('td', {}, (school.hold_reasons || []).join('; ') || school.reason || '—')));
    put(schools, table('run-schools', 'Schools of this run', ['School', 'State', 'Changes', 'Held back', 'Why held / failure'],
      rows.length ? rows : h('tr', {}, h('td', { colspan: 5 }, 'No school has started yet.'))));
    cancel.hidden = !ACTIVE.has(status.state) || status.state === 'deciding';
  }

  async function loadHolds(status) {
    const held = Object.entries(status.schools || {}).filter(([, s]) => Object.values(s.held_counts || {}).some(Boolean)).map(([id]) => id);
    if (!held.length) {
      holds.hidden = true;
      return;
    }
    const found = [];
    for (const school of held) {
      const answer = await api('GET', `${base}/schools/${encodeURIComponent(school)}?limit=50`);
      if (answer.ok) found.push({ school, detail: answer.body });
    }
    const buttons = status.state === 'held' ? h('div', { class: 'buttons' },
      h('button', { id: 'approve', type: 'button', onclick: () => decide('approve') }, 'Approve: apply the held changes'),
      h('button', { id: 'discard', type: 'button', onclick: () => decide('discard') }, 'Discard: keep the classes as they are')) : null;
    put(holds, h('h2', {}, 'Held changes'),
      h('p', {}, status.state === 'held' ? 'These changes passed a guard threshold and wait for your decision.' : `Decided: ${status.hold_decision?.decision || status.state}.`),
      ...holdsView(found, names), buttons, decided);
    holds.hidden = false;
  }

  async function decide(decision) {
    clearProblem();
    for (const button of holds.querySelectorAll('button')) button.disabled = true;
    const answer = await api('POST', `${base}/decision`, { decision });
    if (ctx.handleCommon(answer)) return;
    if (!answer.ok) {
      showFailure(answer);
      for (const button of holds.querySelectorAll('button')) button.disabled = false;
      return;
    }
    decided.textContent = `${decision === 'approve' ? 'Approved' : 'Discarded'}: ${answer.body.classes_written ?? 0} class(es) written.`;
    refresh(true);
  }

  async function loadWarnings() {
    const answer = await api('GET', `${base}/warnings/summary`);
    if (!answer.ok) return;
    const { kinds, total } = answer.body;
    const button = h('button', { id: 'warnings-csv', type: 'button' }, `Download all ${total} warning(s) as CSV`);
    button.addEventListener('click', () => downloadCsv(ctx, runId, button));
    put(warnings, h('h2', {}, 'Data warnings by kind'),
      table('warnings', `${total} warning(s) in ${kinds.length} kind(s)`, ['Code', 'Count', 'Record kind', 'Schools', 'How to fix it'],
        kinds.length ? kinds.map((k) => h('tr', { 'data-code': k.code },
          h('td', {}, h('code', {}, k.code)), h('td', {}, String(k.count)), h('td', {}, k.record_kind || '—'),
          h('td', {}, String(k.schools ?? '—')), h('td', {}, k.fix || '—'))) : h('tr', {}, h('td', { colspan: 5 }, 'No data warnings in this run.'))),
      button);
  }

  async function refresh(full = false) {
    if (timer) clearTimeout(timer);
    timer = null;
    const answer = await api('GET', base);
    if (stopped || ctx.handleCommon(answer)) return;
    if (!answer.ok) {
      showFailure(answer);
      state.textContent = 'This run could not be read.';
      return;
    }
    const status = answer.body;
    const wasActive = state.dataset.state && ACTIVE.has(state.dataset.state);
    showStatus(status);
    if (ACTIVE.has(status.state)) {
      timer = setTimeout(refresh, POLL_MS);
    } else if (full || wasActive || !state.dataset.loaded) {
      state.dataset.loaded = 'yes';
      await loadHolds(status);
      await loadWarnings();
    }
  }

  cancel.addEventListener('click', async () => {
    const answer = await api('POST', `${base}/cancel`);
    if (ctx.handleCommon(answer)) return;
    if (!answer.ok) showFailure(answer);
    refresh(true);
  });

  container.append(
    h('p', {}, h('a', { href: '#/runs' }, '← All runs')),
    h('h1', {}, `Run ${runId}`), state, progressBox, cancel,
    h('h2', {}, 'Counts'), counts,
    h('h2', {}, 'Schools'), schools,
    holds, warnings);
  (async () => {
    const list = await api('GET', districtPath(ctx.district, '/schools'));
    if (list.ok) names = Object.fromEntries(list.body.schools.map((s) => [s.id, s.name || s.id]));
    refresh();
  })();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

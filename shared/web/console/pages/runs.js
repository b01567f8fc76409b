// #/runs: start a sync (full or delta, optionally a dry run) and the runs table. While a run is
// queued or running the page polls GET /runs and that run's status every second, and stops
// polling when none is.

import { api, districtPath } from '../api.js';
import {
  ACTIVE, clearProblem, countsText, duration, field, h, progressText, showFailure, stateText, table, put } from '../ui.js';

const POLL_MS = 1000;
const STATUS_OF_NEWEST = 5; // ended runs whose progress the table shows

function row(run, status) {
  const progress = status ? status.progress : null;
  const rate = status && status.rate ? status.rate.records_per_second : null;
  return h('tr', { 'data-run-id': run.run_id, 'data-state': (status || run).state },
    h('td', {}, h('a', { href: `#/runs/${run.run_id}` }, new Date(run.created_at || Date.now()).toLocaleString())),
    h('td', { class: 'run-state' }, stateText(status || run)),
    h('td', {}, run.kind + (run.dry_run ? ' (dry run)' : '')),
    h('td', { class: 'run-pages' }, progress ? progressText(progress) : (ACTIVE.has(run.state) ? 'starting' : '—')),
    h('td', { class: 'run-rate' }, rate === null || rate === undefined ? '—' : `${Math.round(rate)} records/s`),
    h('td', { class: 'run-counts' }, countsText((status || run).counts)),
    h('td', { class: 'run-duration' }, duration(status || run)),
    h('td', {}, run.requested_by || 'schedule'));
}

export function render(ctx, container) {
  let timer = null;
  let stopped = false;
  const statuses = new Map();
  const dryRun = h('input', { id: 'dry-run', type: 'checkbox' });
  const started = h('p', { id: 'sync-started', 'aria-live': 'polite' });
  const live = h('div', { id: 'live' });
  const list = h('div', { id: 'runs-list' });

  async function start(kind) {
    clearProblem();
    const answer = await api('POST', districtPath(ctx.district, '/runs'), { kind, dry_run: dryRun.checked });
    if (ctx.handleCommon(answer)) return;
    if (!answer.ok) {
      showFailure(answer);
      return;
    }
    put(started, `Started a ${kind} sync${dryRun.checked ? ' (dry run)' : ''}: `,
      h('a', { href: `#/runs/${answer.body.run_id}` }, 'see its detail'), '.');
    refresh();
  }

  function showLive(status) {
    if (!status) {
      live.replaceChildren();
      return;
    }
    const { pages_done: done, pages_known: known } = status.progress;
    put(live, 
      h('label', { for: 'run-progress' }, `Newest run: ${stateText(status)} — ${progressText(status.progress)}`),
      h('progress', { id: 'run-progress', value: done, max: Math.max(known, 1) }, `${done} of ${known} pages`));
  }

  async function refresh() {
    if (timer) clearTimeout(timer);
    timer = null;
    const result = await api('GET', `${districtPath(ctx.district, '/runs')}?limit=20`);
    if (stopped || ctx.handleCommon(result)) return;
    if (!result.ok) {
      showFailure(result);
      return;
    }
    const runs = result.body.runs;
    // The status (progress, rate) of each run under way, and once of each of the newest runs
    // that ended; ended runs' statuses no longer change, so they are kept.
    const wanted = runs.filter((run, index) => ACTIVE.has(run.state)
      || (index < STATUS_OF_NEWEST && statuses.get(run.run_id)?.state !== run.state));
    const answers = await Promise.all(wanted.map((run) => api('GET', districtPath(ctx.district, `/runs/${run.run_id}`))));
    if (stopped) return;
    for (const answer of answers) if (answer.ok) statuses.set(answer.body.run_id, answer.body);
    const latest = (run) => statuses.get(run.run_id) || run;
    const running = runs.find((run) => ACTIVE.has(latest(run).state));
    showLive(running ? statuses.get(running.run_id) : null);
    const rows = runs.map((run) => row(run, statuses.get(run.run_id) || null));
    put(list, table('runs', 'Runs, newest first', ['Created', 'State', 'Kind', 'Progress', 'Records/s', 'Counts', 'Duration', 'Started by'],
      rows.length ? rows : h('tr', {}, h('td', { colspan: 8 }, 'No run yet: start a full sync above.'))));
    list.dataset.polling = running ? 'yes' : 'no';
    if (running) timer = setTimeout(refresh, POLL_MS);
  }

  container.append(
    h('h1', {}, 'Runs'),
    h('section', { class: 'actions', 'aria-labelledby': 'start-title' },
      h('h2', { id: 'start-title' }, 'Sync now'),
      h('p', {}, 'A full sync reads every record of the selected schools; a delta sync only what changed since the last one.'),
      field('Dry run: plan only, write nothing', dryRun, 'The run shows what it would change; classes stay as they are.'),
      h('div', { class: 'buttons' },
        h('button', { id: 'sync-full', type: 'button', onclick: () => start('full') }, 'Start full sync'),
        h('button', { id: 'sync-delta', type: 'button', onclick: () => start('delta') }, 'Start delta sync')),
      started),
    live,
    list);
  refresh();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

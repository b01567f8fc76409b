// Small DOM helpers and the words the console uses for states, counts and durations.

/** h('p', {id: 'x', class: 'y', onclick: f}, 'text', child) builds an element. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else if (key === 'for') node.htmlFor = value;
    else if (key === 'value' || key === 'checked' || key === 'selected') node[key] = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const $ = (selector) => document.querySelector(selector);

/** Replaces a node's children; null, undefined and false are left out, arrays flattened. */
export function put(node, ...children) {
  const kept = children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false);
  node.replaceChildren(...kept.map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
}

/** A labelled input with help text: the label, the control and the help are tied by ids. */
export function field(label, control, help) {
  const helpId = help ? `${control.id}-help` : undefined;
  if (helpId) control.setAttribute('aria-describedby', helpId);
  const isBox = control.type === 'checkbox';
  const labelNode = h('label', { for: control.id }, label);
  return h('div', { class: isBox ? 'field check' : 'field' },
    isBox ? [control, labelNode] : [labelNode, control],
    help ? h('small', { id: helpId, class: 'help' }, help) : null);
}

export function table(id, caption, headers, rows) {
  return h('table', { id },
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, headers.map((text) => h('th', { scope: 'col' }, text)))),
    h('tbody', {}, rows));
}

export function showProblem(title, detail, items = []) {
  const box = $('#problem');
  put(box, 
    h('strong', {}, title || 'Something went wrong'),
    detail ? h('p', {}, detail) : null,
    items.length ? h('ul', {}, items.map((item) => h('li', {}, item))) : null,
  );
  box.hidden = false;
  box.scrollIntoView?.({ block: 'nearest' });
}

export function clearProblem() {
  const box = $('#problem');
  box.hidden = true;
  box.replaceChildren();
}

/** Shows an API answer that failed: the problem's title and detail (field and fix). */
export function showFailure(result) {
  const body = result.body || {};
  if (Array.isArray(body.problems)) {
    showProblem('The SIS connection did not work — nothing was saved', 'Cause and fix:', body.problems);
  } else if (body.title) {
    showProblem(body.title, body.detail);
  } else {
    showProblem(`The API answered ${result.status}`, 'Try again; if it persists, check the function logs.');
  }
}

const WORDS = {
  classes_offered: 'classes offered', classes_renamed: 'classes renamed',
  classes_archived: 'classes archived', classes_restored: 'classes restored',
  owners_changed: 'owners changed', students_added: 'students added',
  students_restored: 'students restored', students_removed: 'students removed',
  co_teachers_added: 'co-teachers added', co_teachers_removed: 'co-teachers removed',
  warnings: 'warnings',
};

export function countsText(counts) {
  const parts = Object.entries(counts || {})
    .filter(([, n]) => n)
    .map(([key, n]) => `${n} ${WORDS[key] || key.replaceAll('_', ' ')}`);
  return parts.length ? parts.join(', ') : 'no changes';
}

export function heldRemovals(held = {}) {
  return (held.students_removed || 0) + (held.co_teachers_removed || 0) + (held.classes_archived || 0);
}

export const ACTIVE = new Set(['queued', 'running', 'deciding']);

/** A run's state in words, never only a colour. */
export function stateText(run) {
  const dry = run.dry_run ? ' (dry run: nothing written)' : '';
  switch (run.state) {
    case 'queued': return `Queued — waiting to start${dry}`;
    case 'running': return `Running${dry}`;
    case 'succeeded': return `Succeeded${dry}`;
    case 'succeeded_with_warnings': {
      const n = run.warnings_total;
      return `Succeeded with warnings — ${n ?? 'some'} data warning(s) to fix in the SIS${dry}`;
    }
    case 'held': {
      const removals = heldRemovals(run.held_counts);
      const owners = (run.held_counts || {}).owners_changed || 0;
      const what = [removals ? `${removals} removal${removals === 1 ? '' : 's'}` : '',
        owners ? `${owners} owner change${owners === 1 ? '' : 's'}` : ''].filter(Boolean).join(' and ');
      return `Held — ${what || 'changes'} wait for approval`;
    }
    case 'deciding': return 'Applying the decision';
    case 'failed': return `Failed — ${(run.failure || {}).reason || 'see the run'}`;
    case 'cancelled': return `Cancelled${run.cancelled_by ? ` by ${run.cancelled_by}` : ''}`;
    default: return run.state || 'unknown';
  }
}

export function duration(run) {
  let seconds = run.seconds;
  if (seconds === undefined && run.started_at) {
    seconds = (Date.now() - Date.parse(run.started_at)) / 1000;
  }
  if (seconds === undefined || Number.isNaN(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds % 60)} s`;
}

export function when(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function progressText(progress) {
  if (!progress) return '—';
  return `${progress.pages_done} / ${progress.pages_known} pages${progress.total_final ? '' : ' (estimate)'}`;
}

// The console's shell: sign-in, the district, the header and nav, and the hash router
// (#/connect, #/schools, #/runs, #/runs/<id>, #/settings). Each page module renders into #page
// and returns a function that stops its polling when the admin leaves the page.

import {
  ROOT, api, districtPath, loadConfig, signOut, signedInEmail, storeToken, takeTokenFromFragment,
} from './api.js';
import { $, clearProblem, field, h, showFailure, put } from './ui.js';
import * as connect from './pages/connect.js';
import * as schools from './pages/schools.js';
import * as runs from './pages/runs.js';
import * as run from './pages/run.js';
import * as settings from './pages/settings.js';

const ROUTES = [
  [/^#\/connect$/, connect],
  [/^#\/schools$/, schools],
  [/^#\/runs$/, runs],
  [/^#\/runs\/([A-Za-z0-9][A-Za-z0-9._~-]*)$/, run],
  [/^#\/settings$/, settings],
];

// What every page receives: the config, the district, the signed-in email, the district's
// settings as last read, and the shared handling of sign-in and access answers.
const ctx = {
  config: null, district: null, email: null, settings: null,
  handleCommon: (result) => handleCommon(result),
  refreshSettings: () => refreshSettings(),
};
let leave = () => {};

function districtFromUrl() {
  return new URLSearchParams(window.location.search).get('district') || '';
}

function consoleUrl(district) {
  const url = new URL(ROOT);
  if (district) url.searchParams.set('district', district);
  return url.href;
}

function showHeader() {
  const signedIn = Boolean(ctx.email);
  $('#whoami').textContent = ctx.email || '';
  $('#who-text').hidden = !signedIn;
  $('#signout').hidden = !signedIn;
  $('#district-label').textContent = ctx.district ? `District ${ctx.district}` : '';
  $('#nav').hidden = !(signedIn && ctx.district && ctx.settings);
}

function signInWithGoogle(district) {
  const { client_id: clientId } = ctx.config.sign_in;
  const start = () => {
    window.google.accounts.id.initialize({
      client_id: clientId,
      callback: (answer) => {
        storeToken(answer.credential);
        window.location.assign(consoleUrl(district));
      },
    });
    window.google.accounts.id.renderButton($('#gis-button'), { type: 'standard', text: 'signin_with' });
    window.google.accounts.id.prompt();
  };
  if (window.google?.accounts?.id) return start();
  const script = h('script', { src: 'https://accounts.google.com/gsi/client', async: true });
  script.addEventListener('load', start);
  document.head.append(script);
  return undefined;
}

function signInScreen(message) {
  leave();
  const district = h('input', { id: 'district', name: 'district', value: districtFromUrl(), autocomplete: 'off', required: true });
  const button = h('button', { id: 'signin', type: 'submit' }, 'Sign in');
  const local = ctx.config.sign_in.kind === 'local';
  const form = h('form', {
    id: 'signin-start',
    novalidate: true,
    onsubmit: (event) => {
      event.preventDefault();
      const chosen = district.value.trim();
      const back = consoleUrl(chosen);
      if (local) {
        const url = new URL(ctx.config.sign_in.url);
        url.searchParams.set('redirect_uri', back);
        window.location.assign(url.href);
      } else {
        window.history.replaceState(null, '', back);
        signInWithGoogle(chosen);
      }
    },
  },
  field('District', district, 'The district id you administer (it is also the ?district= of this page\'s address).'),
  button,
  h('div', { id: 'gis-button' }));
  put($('#page'), 
    h('h1', {}, 'Sign in'),
    message ? h('p', { class: 'notice' }, message) : null,
    h('p', {}, local
      ? 'Local stack: "Sign in" opens the local issuer\'s page, where you type the email to sign in as (`make up` makes admin@rusd.example.org an admin of district demo-district).'
      : 'Sign in with the Google account that is an admin of your district.'),
    form,
  );
}

function forbidden() {
  leave();
  $('#page').replaceChildren();
  const box = $('#forbidden');
  put(box, 
    h('h1', {}, 'Not an admin of this district'),
    h('p', {}, `${ctx.email} is not an admin of district ${ctx.district}.`),
    h('p', {}, 'Check the district id, or ask the district\'s admin to add you as staff with role admin. You can also sign out and sign in with another account.'),
  );
  box.hidden = false;
  ctx.settings = null;
  showHeader();
}

/** Reads the district's settings; 403/404 mean this account is not its admin. */
async function refreshSettings() {
  const result = await api('GET', districtPath(ctx.district, '/settings'));
  if (result.status === 404) {
    forbidden();
    return null;
  }
  if (handleCommon(result)) return null;
  if (!result.ok) {
    showFailure(result);
    return null;
  }
  ctx.settings = result.body;
  return ctx.settings;
}

/** Every page handles 401 and 403/404 of the district the same way. */
function handleCommon(result) {
  if (result.status === 401) {
    signOut();
    signInScreen(`Sign in again: ${(result.body || {}).detail || 'the sign-in expired'}.`);
    return true;
  }
  if (result.status === 403) {
    forbidden();
    return true;
  }
  return false;
}

function route() {
  if (window.location.hash.startsWith('#id_token=')) {
    // A sign-in handed over while this page was open: keep the token, start again with it.
    takeTokenFromFragment();
    window.location.reload();
    return;
  }
  leave();
  leave = () => {};
  clearProblem();
  const hash = window.location.hash || '';
  for (const [pattern, page] of ROUTES) {
    const match = pattern.exec(hash);
    if (match) {
      for (const link of document.querySelectorAll('#nav a')) {
        const current = hash.startsWith(link.getAttribute('href'));
        if (current) link.setAttribute('aria-current', 'page');
        else link.removeAttribute('aria-current');
      }
      const container = $('#page');
      container.replaceChildren();
      leave = page.render(ctx, container, match.slice(1)) || (() => {});
      $('#main').focus({ preventScroll: true });
      return;
    }
  }
  window.location.replace(ctx.settings && ctx.settings.connected ? '#/runs' : '#/connect');
}

function chooseDistrict() {
  const district = h('input', { id: 'district', name: 'district', autocomplete: 'off' });
  put($('#page'), 
    h('h1', {}, 'Choose a district'),
    h('form', {
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        window.location.assign(consoleUrl(district.value.trim()));
      },
    }, field('District', district, 'The district id you administer.'), h('button', { id: 'open-district', type: 'submit' }, 'Open')),
  );
}

async function start() {
  takeTokenFromFragment();
  ctx.config = await loadConfig();
  ctx.district = districtFromUrl();
  ctx.email = signedInEmail();
  showHeader();
  $('#signout').addEventListener('click', () => {
    signOut();
    window.location.assign(consoleUrl(ctx.district));
  });
  if (!ctx.email) return signInScreen();
  if (!ctx.district) return chooseDistrict();
  if (!(await refreshSettings())) return undefined;
  showHeader();
  window.addEventListener('hashchange', route);
  return route();
}

start();

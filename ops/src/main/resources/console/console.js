// The live console: polls /api/overview every 2 s with the operator's token (kept in this tab's
// sessionStorage only) and draws it. Only ids, states and counts reach this page, never report content.
(function () {
  'use strict';
  const REFRESH_MS = 2000;
  const $ = (id) => document.getElementById(id);
  let chart = null;
  let timer = null;
  let updates = 0;

  function token() { return sessionStorage.getItem('cse-ops-token'); }

  async function api(path) {
    const response = await fetch(path, { headers: { Authorization: 'Bearer ' + token() }, cache: 'no-store' });
    if (response.status === 401 || response.status === 403) {
      signOut('the token was refused');
      throw new Error('refused');
    }
    const body = await response.json();
    if (!response.ok) { throw new Error(body.message || ('HTTP ' + response.status)); }
    return body;
  }

  function signOut(why) {
    sessionStorage.removeItem('cse-ops-token');
    clearInterval(timer);
    $('console').hidden = true;
    $('signin').hidden = false;
    $('signin-error').textContent = why || '';
    $('status').textContent = 'signed out';
  }

  function number(value, digits) {
    if (value === null || value === undefined) { return '–'; }
    return Number(value).toLocaleString('en', { maximumFractionDigits: digits === undefined ? 1 : digits });
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) { return '–'; }
    if (seconds < 120) { return number(seconds, 1) + ' s'; }
    if (seconds < 7200) { return number(seconds / 60, 1) + ' min'; }
    return number(seconds / 3600, 1) + ' h';
  }

  function rows(tableId, items, cells) {
    const body = $(tableId).querySelector('tbody');
    body.replaceChildren(...items.map((item) => {
      const tr = document.createElement('tr');
      cells(item).forEach((text) => {
        const td = document.createElement('td');
        td.textContent = text === null || text === undefined ? '–' : String(text);
        tr.appendChild(td);
      });
      return tr;
    }));
  }

  function draw(perMinute) {
    const data = [perMinute.t, perMinute.reports, perMinute.decisions, perMinute.actions, perMinute.referrals];
    if (!chart) {
      const width = Math.max(600, $('chart').clientWidth - 20);
      chart = new uPlot({
        width: width, height: 260,
        series: [{}, { label: 'reports', stroke: '#3867d6' }, { label: 'decisions', stroke: '#20bf6b' },
          { label: 'actions applied', stroke: '#fa8231' }, { label: 'referrals finished', stroke: '#8854d0' }],
        axes: [{}, { label: 'per minute' }],
      }, data, $('chart'));
    } else {
      chart.setData(data);
    }
    $('chart').dataset.points = String(perMinute.t.length);
  }

  async function refresh() {
    let o;
    try {
      o = await api('/api/overview');
    } catch (e) {
      $('status').textContent = 'not updated: ' + e.message;
      return;
    }
    updates += 1;
    document.body.dataset.updates = String(updates);
    $('status').textContent = o.problem ? 'stale: ' + o.problem : 'live';
    $('updated-at').textContent = 'as of ' + o.at;
    $('reports-rate').textContent = number(o.now.reports);
    $('decisions-rate').textContent = number(o.now.decisions);
    $('actions-rate').textContent = number(o.now.actions);
    $('referrals-rate').textContent = number(o.now.referrals);
    $('reports-total').textContent = number(o.totals.reports, 0);
    $('decisions-total').textContent = number(o.totals.decisions, 0);
    $('clock-p50').textContent = duration(o.legalClock.p50Seconds);
    $('clock-p99').textContent = duration(o.legalClock.p99Seconds);
    $('clock-open').textContent = number(o.legalClock.open, 0);
    $('clock-oldest').textContent = duration(o.legalClock.oldestOpenSeconds);
    $('parked-actions').textContent = number(o.deliveries.parkedActions, 0);
    $('parked-referrals').textContent = number(o.deliveries.parkedReferrals, 0);
    $('failed-actions').textContent = number(o.deliveries.failedActions, 0);
    $('failed-referrals').textContent = number(o.deliveries.failedReferrals, 0);
    rows('parked-table', o.deliveries.items, (i) => [i.kind, i.id, i.accountId, i.status, i.since, i.error]);
    rows('dlq-table', o.deadLetters, (d) => [d.topic, d.reason, d.count]);
    $('dlq-total').textContent = '(' + o.deadLetters.reduce((sum, d) => sum + d.count, 0) + ')';
    rows('lag-table', Object.entries(o.lag), ([group, behind]) => [group, behind]);
    draw(o.perMinute);
  }

  async function lookUp(event) {
    event.preventDefault();
    const id = $('account').value.trim();
    const view = $('account-view');
    view.textContent = 'looking up ' + id + '…';
    try {
      const a = await api('/api/accounts/' + encodeURIComponent(id));
      const c = a.classifier;
      const lines = document.createElement('div');
      const head = document.createElement('p');
      head.id = 'account-summary';
      head.textContent = c ? (c.accountId + ': ' + c.status + ', ' + c.strikes.length + ' strike(s), '
          + c.openIncidents.length + ' open incident(s), recent decisions ' + c.recentDecisions.join(' '))
        : id + ': no history in the classifier';
      lines.appendChild(head);
      const table = document.createElement('table');
      table.innerHTML = '<thead><tr><th>kind</th><th>id</th><th>what</th><th>status</th><th>attempts</th><th>last HTTP</th><th>next attempt</th><th>last error</th></tr></thead><tbody></tbody>';
      const items = a.actions.map((x) => ['action', x.itemId, x.type, x.status, x.totalAttempts, x.lastHttpStatus, x.nextAttemptAt, x.lastError])
        .concat(a.referrals.map((x) => ['referral', x.itemId, x.target, x.status, x.totalAttempts, x.lastHttpStatus, x.nextAttemptAt, x.lastError]));
      table.querySelector('tbody').replaceChildren(...items.map((cells) => {
        const tr = document.createElement('tr');
        cells.forEach((text) => { const td = document.createElement('td'); td.textContent = text === null || text === undefined ? '–' : String(text); tr.appendChild(td); });
        return tr;
      }));
      lines.appendChild(table);
      view.replaceChildren(lines);
    } catch (e) {
      view.textContent = 'lookup failed: ' + e.message;
    }
  }

  function start() {
    $('signin').hidden = true;
    $('console').hidden = false;
    $('status').textContent = 'loading';
    refresh();
    timer = setInterval(refresh, REFRESH_MS);
  }

  $('signin').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem('cse-ops-token', $('token').value);
    $('token').value = '';
    start();
  });
  $('search').addEventListener('submit', lookUp);
  if (token()) { start(); }
}());

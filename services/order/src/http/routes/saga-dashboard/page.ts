// The saga dashboard's HTML shells, stylesheet and script. The server renders each page's frame;
// the script (plain browser JavaScript, no build step) asks the admin JSON endpoints with the
// operator's token (kept in sessionStorage, sent as a Bearer header) and refreshes every few
// seconds. Every value from the server is escaped before it is put into the page.

export const DASHBOARD_PREFIX = '/admin/sagas';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function shell(title: string, page: 'list' | 'detail', body: string, data: Record<string, string> = {}): string {
  const attrs = Object.entries({ page, ...data })
    .map(([k, v]) => ` data-${k}="${escapeHtml(v)}"`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Sudamall sagas</title>
<link rel="stylesheet" href="${DASHBOARD_PREFIX}/assets/dashboard.css">
<script src="${DASHBOARD_PREFIX}/assets/dashboard.js" defer></script>
</head>
<body${attrs}>
<header>
  <a class="brand" href="${DASHBOARD_PREFIX}/">Sudamall · checkout sagas</a>
  <span id="who" class="muted"></span>
  <button id="logout" type="button" hidden>Log out</button>
</header>
<main>
<section id="login" hidden>
  <h1>Operator login</h1>
  <p>Paste an admin JWT (role <code>admin</code>). It is kept in this tab only (sessionStorage).</p>
  <form id="login-form">
    <textarea id="token" name="token" rows="4" required placeholder="eyJhbGciOiJIUzI1NiIs..." autocomplete="off" spellcheck="false"></textarea>
    <button type="submit">Log in</button>
  </form>
  <p id="login-error" class="error" role="alert"></p>
</section>
<div id="app" hidden>
${body}
</div>
</main>
</body>
</html>`;
}

export function listPage(): string {
  return shell(
    'Sagas',
    'list',
    `<h1>Checkout sagas</h1>
<div id="counts" class="counts" aria-label="sagas by state"></div>
<form id="filters" class="filters">
  <label>State <select name="state">
    <option value="">any</option>
    <option>reserving</option><option>awaiting_payment</option><option>confirming</option>
    <option>done</option><option>compensating</option><option>compensated</option>
  </select></label>
  <label><input type="checkbox" name="stuck" value="true"> stuck only</label>
  <label>Older than <input type="number" name="older_than_seconds" min="0" step="1" placeholder="seconds"></label>
  <label>Order id <input type="text" name="order_id" size="38" placeholder="uuid"></label>
  <label>User <input type="text" name="user_id" size="20" placeholder="user id"></label>
  <button type="submit">Apply</button>
  <button type="reset">Clear</button>
</form>
<p class="muted"><span id="total"></span> · refreshed <span id="refreshed">never</span> (every 3 s)</p>
<p id="list-error" class="error" role="alert"></p>
<table id="sagas">
  <thead><tr><th>Order</th><th>User</th><th>State</th><th>Step</th><th>Attempts</th><th>Age</th><th>Deadline</th><th>Last error</th></tr></thead>
  <tbody></tbody>
</table>
<p class="pager"><button id="prev" type="button">&larr; newer</button> page <span id="page">1</span> <button id="next" type="button">older &rarr;</button></p>
<section id="parked" class="card">
  <h2>Parked messages</h2>
  <p class="muted">Kafka messages a consumer gave up on (after its retries, or at once when unparseable); its partition moved on.
  Retry re-runs the consumer's handler on the stored message (consumers are idempotent); discard keeps it with the reason.
  Each service's own list, through the gateway.</p>
  <form id="parked-filters" class="filters">
    <label>Status <select name="status">
      <option value="parked">parked</option><option value="retried">retried</option><option value="discarded">discarded</option><option value="">any</option>
    </select></label>
    <label class="grow">Note (why; required to discard) <input type="text" id="parked-note" size="60" placeholder="e.g. fixed in v1.4.2, product deleted by hand"></label>
  </form>
  <p id="parked-result" role="status"></p>
  <p id="parked-errors" class="error" role="alert"></p>
  <table id="parked-messages">
    <thead><tr><th>Service</th><th>Consumer</th><th>Message</th><th>Where</th><th>Error</th><th>Attempts</th><th>Parked</th><th>Status</th><th></th></tr></thead>
    <tbody></tbody>
  </table>
</section>
<section id="adjustments" class="card">
  <h2>Cancellations and returns</h2>
  <p class="muted">Paid orders being cancelled (a store's part or the whole order) and approved returns, each a saga of its own:
  refund through the payment gateway, then units back to stock. <b>stuck</b>: the gateway refused the refund, or no answer after many
  re-sends; Retry sends the command again now (a refused refund gets a new attempt).</p>
  <p id="adjustments-result" role="status"></p>
  <p id="adjustments-error" class="error" role="alert"></p>
  <table id="order-adjustments">
    <thead><tr><th>Order</th><th>Kind</th><th>Store</th><th>Status</th><th>Refund</th><th>Attempts</th><th>Last error</th><th>Updated</th><th></th></tr></thead>
    <tbody></tbody>
  </table>
</section>
<section id="duplicates" class="card">
  <h2>Duplicate captures</h2>
  <p class="muted">Payments a buyer paid twice (a second gateway capture for one payment, or for another payment of the same order).
  Each is refunded automatically, once; <b>refund_failed</b> needs an operator at the gateway. From the payment service, through the gateway.</p>
  <p id="duplicates-error" class="error" role="alert"></p>
  <table id="duplicate-captures">
    <thead><tr><th>Order</th><th>Payment</th><th>Gateway</th><th>Second capture</th><th>Amount</th><th>Seen</th><th>Refund</th></tr></thead>
    <tbody></tbody>
  </table>
</section>`,
  );
}

export function detailPage(orderId: string): string {
  return shell(
    `Saga ${orderId}`,
    'detail',
    `<p><a href="${DASHBOARD_PREFIX}/">&larr; all sagas</a></p>
<h1>Saga of order <code>${escapeHtml(orderId)}</code></h1>
<p id="detail-error" class="error" role="alert"></p>
<section id="summary" class="card"></section>
<section id="actions" class="card">
  <h2>Actions</h2>
  <p class="muted">Each action is recorded (who, when, why). Pressing twice acts once.</p>
  <label>Note (why) <textarea id="note" rows="2" placeholder="e.g. inventory was down 10 min, retried after recovery"></textarea></label>
  <div class="buttons">
    <button type="button" data-action="retry">Retry current step</button>
    <button type="button" data-action="compensate" class="danger">Compensate now (cancel &amp; unwind)</button>
    <button type="button" data-action="resolve">Mark resolved</button>
  </div>
  <p id="action-result" role="status"></p>
</section>
<div class="grid">
  <section id="order" class="card"></section>
  <section id="reservations" class="card"></section>
  <section id="payment" class="card"></section>
</div>
<section id="timeline" class="card"></section>
<section id="audit" class="card"></section>`,
    { 'order-id': orderId },
  );
}

export const DASHBOARD_CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;background:#f4f6f9}
header{display:flex;gap:1rem;align-items:center;padding:.6rem 1.2rem;background:#1d2430;color:#fff}
header .brand{color:#fff;font-weight:600;text-decoration:none}
header #who{margin-left:auto;color:#c9d1dc}
main{padding:1rem 1.2rem;max-width:1400px}
h1{font-size:1.35rem;margin:.2rem 0 .8rem}
h2{font-size:1.05rem;margin:0 0 .5rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.92em}
.muted{color:#6b7584}
.error{color:#b42318;font-weight:600}
.card{background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:.9rem 1rem;margin:0 0 1rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1rem}
.grid .card{margin:0}
table{width:100%;border-collapse:collapse;background:#fff}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e6e9ef;vertical-align:top}
th{background:#eef1f5;font-weight:600}
tr.stuck td{background:#fff4f2}
.counts{display:flex;flex-wrap:wrap;gap:.5rem;margin-bottom:.8rem}
.count{background:#fff;border:1px solid #dde2ea;border-radius:999px;padding:.2rem .7rem}
.count b{margin-left:.3rem}
.badge{display:inline-block;border-radius:4px;padding:0 .4rem;font-size:.85em;font-weight:600;background:#e6e9ef}
.badge.stuck{background:#b42318;color:#fff}
.badge.done{background:#d1fadf;color:#05603a}
.badge.compensated,.badge.compensating{background:#fef0c7;color:#93370d}
.badge.reserving,.badge.awaiting_payment,.badge.confirming{background:#d1e9ff;color:#175cd3}
.badge.parked{background:#b42318;color:#fff}.badge.retried{background:#d1fadf;color:#05603a}.badge.discarded{background:#e6e9ef;color:#6b7584}
#parked{margin-top:1rem}
#duplicates{margin-top:1rem}
.badge.refund_pending{background:#fef0c7;color:#93370d}.badge.refunded{background:#d1fadf;color:#05603a}.badge.refund_failed{background:#b42318;color:#fff}
.filters{display:flex;flex-wrap:wrap;gap:.6rem 1rem;align-items:center;background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:.6rem .8rem;margin-bottom:.6rem}
input,select,textarea,button{font:inherit}
input,select,textarea{border:1px solid #c3cad5;border-radius:5px;padding:.25rem .4rem}
textarea{width:100%;display:block;margin:.3rem 0 .6rem}
button{border:1px solid #1d2430;background:#1d2430;color:#fff;border-radius:5px;padding:.35rem .8rem;cursor:pointer}
button[type=reset],#logout,.pager button{background:#fff;color:#1d2430}
button.danger{background:#b42318;border-color:#b42318}
button:disabled{opacity:.5;cursor:default}
.buttons{display:flex;flex-wrap:wrap;gap:.6rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}
dt{color:#6b7584}
dd{margin:0}
details summary{cursor:pointer;color:#175cd3}
pre{margin:.3rem 0 0;white-space:pre-wrap;word-break:break-all;font-size:.85em;background:#f6f8fa;padding:.4rem;border-radius:4px}
.kind{font-weight:600}
.kind-command{color:#175cd3}.kind-reply{color:#05603a}.kind-retry{color:#b54708}.kind-error{color:#b42318}.kind-compensation{color:#93370d}.kind-admin{color:#6941c6}
#login{max-width:640px}
h2.sub{margin-top:.8rem}
`;

// Plain ES2017 for any current browser; no framework. Kept as a string so the service needs no
// static-file plugin or build step.
export const DASHBOARD_JS = String.raw`
(function () {
  'use strict';
  var PREFIX = '${DASHBOARD_PREFIX}';
  var API = PREFIX + '/api/sagas';
  // Each service's parked messages, on its own REST prefix (the gateway routes them; the
  // order service's own is on this origin even without the gateway).
  var PARKED = [
    { service: 'order', path: '/api/v1/orders/admin/parked-messages' },
    { service: 'inventory', path: '/api/v1/products/admin/parked-messages' },
    { service: 'cart', path: '/api/v1/carts/admin/parked-messages' },
    { service: 'payment', path: '/api/v1/payments/admin/parked-messages' },
  ];
  // Second captures (the buyer paid twice), kept by the payment service.
  var DUPLICATES = '/api/v1/payments/admin/duplicate-captures';
  // Cancellations after payment and returns still running, kept by the order service.
  var ADJUSTMENTS = '/api/v1/orders/admin/adjustments';
  var TOKEN_KEY = 'sudamall.admin_token';
  var REFRESH_MS = 3000;
  var body = document.body;
  var $ = function (id) { return document.getElementById(id); };

  function esc(v) {
    return String(v === null || v === undefined ? '' : v).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function time(iso) { return iso ? new Date(iso).toLocaleString() : '—'; }
  function ago(seconds) {
    if (seconds < 60) return seconds + ' s';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min';
    if (seconds < 86400) return Math.floor(seconds / 3600) + ' h';
    return Math.floor(seconds / 86400) + ' d';
  }
  function until(iso) {
    if (!iso) return '—';
    var s = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
    return time(iso) + (s >= 0 ? ' (in ' + ago(s) + ')' : ' (' + ago(-s) + ' ago)');
  }
  function badge(state, stuck) {
    return '<span class="badge ' + esc(state) + '">' + esc(state) + '</span>' + (stuck ? ' <span class="badge stuck">stuck</span>' : '');
  }
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }
  function claims(token) {
    try { return JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))); } catch (e) { return null; }
  }

  function token() { return sessionStorage.getItem(TOKEN_KEY); }
  function showLogin(message) {
    $('app').hidden = true; $('login').hidden = false; $('logout').hidden = true; $('who').textContent = '';
    $('login-error').textContent = message || '';
  }
  function showApp() {
    var c = claims(token()) || {};
    $('login').hidden = true; $('app').hidden = false; $('logout').hidden = false;
    $('who').textContent = 'signed in as ' + (c.sub || '?') + ' (' + (c.role || '?') + ')';
  }

  function AuthError(message) { this.message = message; }
  // Every call carries the token; a 401/403 sends the operator back to the login form.
  function api(method, path, payload) {
    var opts = { method: method, headers: { authorization: 'Bearer ' + token(), accept: 'application/json' } };
    if (payload !== undefined) { opts.headers['content-type'] = 'application/json'; opts.body = JSON.stringify(payload); }
    return fetch(path, opts).then(function (res) {
      return res.text().then(function (text) {
        var data = null; try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (res.status === 401 || res.status === 403) {
          sessionStorage.removeItem(TOKEN_KEY);
          var msg = res.status === 403 ? 'Refused: this token is not an admin\'s.' : 'Refused: token invalid or expired.';
          showLogin(msg + (data && data.error ? ' (' + data.error.code + ')' : ''));
          throw new AuthError(msg);
        }
        if (!res.ok) {
          var err = data && data.error ? data.error : { code: 'HTTP_' + res.status, message: text };
          throw new Error(err.code + ': ' + err.message);
        }
        return data;
      });
    });
  }

  // ---- list page ----
  var page = 1;
  function filtersFromForm() {
    var f = new FormData($('filters')); var q = new URLSearchParams();
    f.forEach(function (v, k) { if (String(v).trim() !== '') q.set(k, String(v).trim()); });
    return q;
  }
  function formFromUrl() {
    var q = new URLSearchParams(location.search); var form = $('filters');
    ['state', 'older_than_seconds', 'order_id', 'user_id'].forEach(function (k) { if (q.has(k)) form.elements[k].value = q.get(k); });
    form.elements.stuck.checked = q.get('stuck') === 'true';
    page = Math.max(1, parseInt(q.get('page') || '1', 10) || 1);
  }
  function loadList() {
    var q = filtersFromForm(); q.set('page', String(page)); q.set('page_size', '50');
    history.replaceState(null, '', PREFIX + '/?' + q.toString());
    return api('GET', API + '?' + q.toString()).then(function (r) {
      $('list-error').textContent = '';
      var states = ['reserving', 'awaiting_payment', 'confirming', 'compensating', 'compensated', 'done'];
      $('counts').innerHTML = states.map(function (s) {
        return '<span class="count" data-state="' + s + '">' + badge(s) + '<b>' + (r.counts[s] || 0) + '</b></span>';
      }).join('') + '<span class="count" data-state="stuck"><span class="badge stuck">stuck</span><b>' + r.stuck_count + '</b></span>';
      $('total').textContent = r.total + ' matching';
      $('page').textContent = String(page);
      $('prev').disabled = page <= 1;
      $('next').disabled = page * 50 >= r.total;
      $('sagas').tBodies[0].innerHTML = r.items.length === 0
        ? '<tr><td colspan="8" class="muted">no saga matches</td></tr>'
        : r.items.map(function (s) {
          return '<tr class="' + (s.stuck ? 'stuck' : '') + '" data-order-id="' + esc(s.order_id) + '">' +
            '<td><a href="' + PREFIX + '/' + encodeURIComponent(s.order_id) + '"><code>' + esc(s.order_id) + '</code></a></td>' +
            '<td>' + esc(s.user_id) + '</td><td>' + badge(s.state, s.stuck) + '</td><td>' + esc(s.step) + '</td>' +
            '<td>' + s.attempts + '</td><td>' + ago(s.age_seconds) + '</td><td>' + (s.deadline_at ? until(s.deadline_at) : '—') + '</td>' +
            '<td>' + esc(s.last_error || '') + '</td></tr>';
        }).join('');
      $('refreshed').textContent = new Date().toLocaleTimeString();
    });
  }

  // ---- parked messages (list page) ----
  function loadParked() {
    var status = $('parked-filters').elements.status.value;
    var errors = [];
    return Promise.all(PARKED.map(function (svc) {
      return api('GET', svc.path + '/?limit=50' + (status ? '&status=' + encodeURIComponent(status) : ''))
        .then(function (r) { return r.items.map(function (m) { m.service = svc.service; m.base = svc.path; return m; }); })
        .catch(function (e) { if (e instanceof AuthError) throw e; errors.push(svc.service + ': ' + e.message); return []; });
    })).then(function (lists) {
      var items = [].concat.apply([], lists).sort(function (a, b) { return a.parked_at < b.parked_at ? 1 : -1; });
      $('parked-errors').textContent = errors.length ? 'not reachable: ' + errors.join(' · ') : '';
      $('parked-messages').tBodies[0].innerHTML = items.length === 0
        ? '<tr><td colspan="9" class="muted">none</td></tr>'
        : items.map(function (m) {
          var err = m.error || {};
          var resolved = m.status === 'parked' ? '' : '<br><span class="muted">' + esc(m.resolved_by) + ', ' + time(m.resolved_at) + ': ' + esc(m.resolution_note) + '</span>';
          var retried = m.retry_count ? '<br><span class="muted">' + m.retry_count + ' retr' + (m.retry_count === 1 ? 'y' : 'ies') + ', last by ' + esc(m.last_retry_by) + '</span>' : '';
          return '<tr class="parked-message" data-service="' + esc(m.service) + '" data-id="' + esc(m.id) + '" data-status="' + esc(m.status) + '">' +
            '<td>' + esc(m.service) + '</td><td><code>' + esc(m.consumer) + '</code></td>' +
            '<td><code>' + esc(m.type || '(unparseable)') + '</code><br><code class="muted">' + esc(m.event_id || '') + '</code> ' + json(m.envelope || m.raw_value) + '</td>' +
            '<td><code>' + esc(m.topic) + '</code> p' + m.partition + ' @' + esc(m.offset) + '<br>key <code>' + esc(m.key || '') + '</code></td>' +
            '<td><span class="error">' + esc((err.code ? err.code + ': ' : '') + err.message) + '</span><br><span class="muted">' + esc(err.class) + '</span></td>' +
            '<td>' + m.attempts + retried + '</td><td>' + time(m.parked_at) + '</td><td>' + badge(m.status) + resolved + '</td>' +
            '<td>' + (m.status === 'parked'
              ? '<button type="button" data-parked-action="retry">Retry</button> <button type="button" class="danger" data-parked-action="discard">Discard</button>'
              : '') + '</td></tr>';
        }).join('');
    });
  }
  function actParked(button) {
    var row = button.closest('tr'), action = button.dataset.parkedAction;
    var svc = PARKED.filter(function (p) { return p.service === row.dataset.service; })[0];
    var note = $('parked-note').value.trim();
    if (action === 'discard' && !note) { $('parked-result').textContent = 'Say why in the note first.'; return; }
    if (action === 'discard' && !confirm('Discard this message for good?')) return;
    button.disabled = true;
    api('POST', svc.path + '/' + encodeURIComponent(row.dataset.id) + '/' + action, action === 'retry' ? { note: note } : { reason: note })
      .then(function (m) {
        $('parked-result').textContent = (action === 'retry' ? 'Retried: ' : 'Discarded: ') + svc.service + ' #' + m.id + ' is ' + m.status;
        $('parked-note').value = '';
        return loadParked();
      })
      .catch(function (e) { if (!(e instanceof AuthError)) $('parked-result').textContent = 'Failed: ' + e.message; button.disabled = false; });
  }

  // ---- cancellations and returns (list page) ----
  function loadAdjustments() {
    return api('GET', ADJUSTMENTS + '/?open=true&page_size=50')
      .then(function (r) {
        $('adjustments-error').textContent = '';
        $('order-adjustments').tBodies[0].innerHTML = r.items.length === 0
          ? '<tr><td colspan="9" class="muted">none running</td></tr>'
          : r.items.map(function (a) {
            return '<tr class="order-adjustment' + (a.stuck ? ' stuck' : '') + '" data-id="' + esc(a.adjustment_id) + '" data-status="' + esc(a.status) + '">' +
              '<td><a href="' + PREFIX + '/' + encodeURIComponent(a.order_id) + '"><code>' + esc(a.order_id) + '</code></a></td>' +
              '<td>' + esc(a.kind) + '</td><td>' + esc(a.store_id || 'whole order') + '</td><td>' + badge(a.status, a.stuck) + '</td>' +
              '<td>' + esc(a.refund_amount || '—') + (a.refunded_amount ? '<br><span class="muted">refunded ' + esc(a.refunded_amount) + '</span>' : '') + '</td>' +
              '<td>' + a.attempts + '</td><td>' + (a.last_error ? '<span class="error">' + esc(a.last_error) + '</span>' : '') + '</td>' +
              '<td>' + time(a.updated_at) + '</td>' +
              '<td>' + (a.status === 'refunding' || a.status === 'restocking' ? '<button type="button" data-adjustment-action="retry">Retry</button>' : '') + '</td></tr>';
          }).join('');
      })
      .catch(function (e) { if (e instanceof AuthError) throw e; $('adjustments-error').textContent = 'order: ' + e.message; });
  }
  function retryAdjustment(button) {
    var row = button.closest('tr');
    button.disabled = true;
    api('POST', ADJUSTMENTS + '/' + encodeURIComponent(row.dataset.id) + '/retry/', {})
      .then(function (a) { $('adjustments-result').textContent = 'Re-sent: ' + a.kind + ' ' + a.adjustment_id + ' is ' + a.status; return loadAdjustments(); })
      .catch(function (e) { if (!(e instanceof AuthError)) $('adjustments-result').textContent = 'Failed: ' + e.message; button.disabled = false; });
  }

  // ---- duplicate captures (list page) ----
  function loadDuplicates() {
    return api('GET', DUPLICATES + '/?limit=50')
      .then(function (r) {
        $('duplicates-error').textContent = '';
        $('duplicate-captures').tBodies[0].innerHTML = r.items.length === 0
          ? '<tr><td colspan="7" class="muted">none</td></tr>'
          : r.items.map(function (d) {
            var refund = badge(d.status) + (d.gateway_refund_id ? '<br><code class="muted">' + esc(d.gateway_refund_id) + '</code> ' + time(d.refunded_at) : '') +
              (d.last_error ? '<br><span class="error">' + esc(d.last_error) + '</span> (' + d.refund_attempts + ' tries)' : '');
            return '<tr class="duplicate-capture" data-id="' + esc(d.id) + '" data-status="' + esc(d.status) + '">' +
              '<td><a href="' + PREFIX + '/' + encodeURIComponent(d.order_id) + '"><code>' + esc(d.order_id) + '</code></a></td>' +
              '<td><code>' + esc(d.payment_id) + '</code>' + (d.live_payment_id ? '<br><span class="muted">kept: ' + esc(d.live_payment_id) + '</span>' : '') + '</td>' +
              '<td>' + esc(d.gateway) + '</td><td><code>' + esc(d.transaction_id) + '</code><br><span class="muted">' + esc(d.source) + '</span></td>' +
              '<td>' + esc(d.amount) + ' ' + esc(d.currency) + '</td><td>' + time(d.detected_at) + '</td><td>' + refund + '</td></tr>';
          }).join('');
      })
      .catch(function (e) { if (e instanceof AuthError) throw e; $('duplicates-error').textContent = 'payment: not reachable: ' + e.message; });
  }

  // ---- detail page ----
  var orderId = body.dataset.orderId;
  var keys = {};
  function dl(pairs) {
    return '<dl>' + pairs.map(function (p) { return '<dt>' + esc(p[0]) + '</dt><dd>' + p[1] + '</dd>'; }).join('') + '</dl>';
  }
  function json(v) { return '<details><summary>data</summary><pre>' + esc(JSON.stringify(v, null, 2)) + '</pre></details>'; }
  function renderDetail(d) {
    var s = d.saga, o = d.order;
    $('summary').innerHTML = '<h2>Saga</h2>' + dl([
      ['state', badge(s.state, s.stuck)],
      ['current step', '<code>' + esc(s.step) + '</code>'],
      ['attempts', String(s.attempts)],
      ['step started', until(s.step_started_at)],
      ['deadline', until(s.deadline_at)],
      ['next re-send', until(s.next_retry_at)],
      ['waiting for', s.awaiting.length ? s.awaiting.map(function (c) { return '<code>' + esc(c.type) + '</code> → ' + c.replies.map(esc).join(' | '); }).join('<br>') : '—'],
      ['last error', s.last_error ? '<span class="error">' + esc(s.last_error) + '</span>' : '—'],
      ['trace', s.trace_id ? (d.trace_url ? '<a id="trace-link" href="' + esc(d.trace_url) + '" target="_blank" rel="noopener"><code>' + esc(s.trace_id) + '</code></a>' : '<code>' + esc(s.trace_id) + '</code>') : '—'],
      ['started', time(s.created_at)], ['updated', time(s.updated_at)],
    ]);
    $('order').innerHTML = '<h2>Order</h2>' + dl([
      ['status', badge(o.status)], ['buyer', esc(o.user_id)], ['total', esc(o.total_amount)],
      ['payment expires', until(o.payment_expires_at)], ['cancel reason', esc(o.cancel_reason || '—')],
      ['shipping', esc(o.shipping_address)],
    ]) + '<table><thead><tr><th>Product</th><th>Size</th><th>Qty</th><th>Price</th></tr></thead><tbody>' +
      o.items.map(function (i) { return '<tr><td>' + esc(i.product_name) + '</td><td>' + esc(i.size || '—') + '</td><td>' + i.quantity + '</td><td>' + esc(i.price) + '</td></tr>'; }).join('') +
      '</tbody></table><h2 class="sub">Status history</h2><table><tbody>' +
      o.status_history.map(function (h) { return '<tr><td>' + time(h.created_at) + '</td><td>' + esc(h.from_status || '∅') + ' → ' + esc(h.to_status) + '</td><td>' + esc(h.changed_by) + ' (' + esc(h.actor_role) + ')</td><td>' + esc(h.reason || '') + ' ' + esc(h.notes || '') + '</td></tr>'; }).join('') +
      '</tbody></table>';
    var r = d.reservations, names = {};
    o.items.forEach(function (i) { names[i.product_id] = i.product_name; });
    $('reservations').innerHTML = '<h2>Reservations</h2>' + dl([['outcome', badge(r.outcome)], ['source', 'saga log (replies from inventory)']]) +
      '<table><thead><tr><th>Product</th><th>Size</th><th>Qty</th><th>Reservation</th></tr></thead><tbody>' +
      (r.lines.length ? r.lines.map(function (l) { return '<tr><td>' + esc(names[l.product_id] || '') + '<br><code>' + esc(l.product_id) + '</code></td><td>' + esc(l.size || '—') + '</td><td>' + l.quantity + '</td><td><code>' + esc(l.reservation_id || '—') + '</code></td></tr>'; }).join('') : '<tr><td colspan="4" class="muted">none</td></tr>') +
      '</tbody></table>' + (r.short_lines.length ? json(r.short_lines) : '');
    var p = d.payment;
    $('payment').innerHTML = '<h2>Payment</h2>' + (d.payment_service !== 'ok' ? '<p class="error">payment service unavailable</p>' :
      p ? dl([
        ['payment', '<code>' + esc(p.payment_id) + '</code>'], ['status', badge(p.status)],
        ['attempts', String(p.attempt_count)], ['last failure', esc(p.failure_reason || '—')],
        ['amount', esc(p.amount) + ' + fee ' + esc(p.gateway_fee) + ' = ' + esc(p.total_amount)],
        ['refunded', esc(p.refunded_amount)], ['gateway', esc(p.gateway) + ' / ' + esc(p.payment_method)],
        ['updated', time(p.updated_at)],
      ]) : '<p class="muted">no payment yet</p>');
    $('timeline').innerHTML = '<h2>Step timeline</h2><table><thead><tr><th>Time</th><th>Step</th><th>Kind</th><th>Message</th><th></th></tr></thead><tbody>' +
      d.steps.map(function (e) {
        return '<tr class="step" data-kind="' + esc(e.kind) + '"><td>' + time(e.created_at) + '</td><td>' + esc(e.step) + '</td><td class="kind kind-' + esc(e.kind) + '">' + esc(e.kind) + '</td><td><code>' + esc(e.type) + '</code></td><td>' + json(e.payload) + '</td></tr>';
      }).join('') + '</tbody></table>';
    $('audit').innerHTML = '<h2>Operator actions</h2>' + (d.actions.length ? '<table><thead><tr><th>When</th><th>Who</th><th>Action</th><th>State</th><th>Why</th></tr></thead><tbody>' +
      d.actions.map(function (a) { return '<tr><td>' + time(a.created_at) + '</td><td>' + esc(a.actor_id) + ' (' + esc(a.actor_role) + ')</td><td>' + esc(a.action) + '</td><td>' + esc(a.state_before) + ' → ' + esc(a.state_after) + '</td><td>' + esc(a.note) + '</td></tr>'; }).join('') + '</tbody></table>' : '<p class="muted">none</p>');
    var finished = (s.state === 'done' || s.state === 'compensated') && !s.stuck && s.awaiting.length === 0;
    Array.prototype.forEach.call(document.querySelectorAll('[data-action]'), function (b) { b.disabled = finished || b.dataset.busy === '1'; });
  }
  function loadDetail() {
    return api('GET', API + '/' + encodeURIComponent(orderId)).then(function (d) { $('detail-error').textContent = ''; renderDetail(d); });
  }
  function act(action, button) {
    var note = $('note').value.trim();
    if (action === 'resolve' && !note) { $('action-result').textContent = 'Say why in the note first.'; return; }
    if (action === 'compensate' && !confirm('Cancel this order and unwind its saga?')) return;
    // One key per intended action: a double click or a retried request replays, never acts twice.
    keys[action] = keys[action] || newKey();
    button.dataset.busy = '1'; button.disabled = true;
    api('POST', API + '/' + encodeURIComponent(orderId) + '/actions/' + action, { idempotency_key: keys[action], note: note })
      .then(function (r) {
        delete keys[action];
        $('action-result').textContent = (r.replayed ? 'Already done: ' : 'Done: ') + r.action + ' (' + r.record.state_before + ' → ' + r.record.state_after + ')';
        $('note').value = '';
        return loadDetail();
      })
      .catch(function (e) { if (!(e instanceof AuthError)) $('action-result').textContent = 'Failed: ' + e.message; })
      .then(function () { button.dataset.busy = ''; button.disabled = false; });
  }

  function refreshing(load, errorBox) {
    var timer = null;
    var tick = function () {
      load().catch(function (e) { if (!(e instanceof AuthError)) $(errorBox).textContent = e.message; })
        .then(function () { if (!$('app').hidden) timer = setTimeout(tick, REFRESH_MS); });
    };
    return function () { clearTimeout(timer); tick(); };
  }

  function start() {
    var run;
    if (body.dataset.page === 'list') {
      formFromUrl();
      run = refreshing(function () { return Promise.all([loadList(), loadParked(), loadAdjustments(), loadDuplicates()]); }, 'list-error');
      $('order-adjustments').addEventListener('click', function (e) {
        var b = e.target.closest('[data-adjustment-action]');
        if (b) retryAdjustment(b);
      });
      $('parked-filters').addEventListener('change', function () { run(); });
      $('parked-filters').addEventListener('submit', function (e) { e.preventDefault(); });
      $('parked-messages').addEventListener('click', function (e) {
        var b = e.target.closest('[data-parked-action]');
        if (b) actParked(b);
      });
      $('filters').addEventListener('submit', function (e) { e.preventDefault(); page = 1; run(); });
      $('filters').addEventListener('reset', function () { setTimeout(function () { page = 1; run(); }, 0); });
      $('prev').addEventListener('click', function () { page = Math.max(1, page - 1); run(); });
      $('next').addEventListener('click', function () { page += 1; run(); });
    } else {
      run = refreshing(loadDetail, 'detail-error');
      Array.prototype.forEach.call(document.querySelectorAll('[data-action]'), function (b) {
        b.addEventListener('click', function () { act(b.dataset.action, b); });
      });
    }
    $('login-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var t = $('token').value.trim().replace(/^Bearer\s+/i, '');
      var c = claims(t);
      if (!c) { $('login-error').textContent = 'That is not a JWT.'; return; }
      if (c.role !== 'admin') { $('login-error').textContent = 'Refused: role ' + (c.role || 'none') + ' is not admin.'; return; }
      sessionStorage.setItem(TOKEN_KEY, t); $('token').value = '';
      showApp(); run();
    });
    $('logout').addEventListener('click', function () { sessionStorage.removeItem(TOKEN_KEY); showLogin(''); });
    if (token()) { showApp(); run(); } else showLogin('');
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
`;

/**
 * The topology page as plain HTML, CSS and browser JavaScript, kept in strings so that `tsc`
 * ships them in dist/ with no bundler or copy step. The script builds the DOM with textContent
 * only: container and network names are user input.
 */
export const TOPOLOGY_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>netd topology</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/topology.css">
</head>
<body>
<header>
  <h1>netd topology</h1>
  <input id="filter" type="search" placeholder="Filter networks, containers, addresses, hosts" autocomplete="off" aria-label="Filter">
  <span id="status" data-testid="status">connecting…</span>
</header>
<section>
  <h2>Hosts</h2>
  <ul id="hosts" data-testid="hosts"></ul>
</section>
<section>
  <h2>Networks</h2>
  <div id="networks" data-testid="networks"></div>
  <p id="empty" hidden>Nothing matches the filter.</p>
</section>
<script src="/topology.js"></script>
</body>
</html>
`;

export const TOPOLOGY_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 1.5rem 2rem; color: #1d2430; background: #f6f7f9; }
header { display: flex; gap: 1rem; align-items: center; position: sticky; top: 0; background: #f6f7f9; padding: .8rem 0; }
h1 { font-size: 1.2rem; margin: 0; }
h2 { font-size: 1rem; margin: 1rem 0 .4rem; }
#filter { flex: 1; max-width: 28rem; padding: .35rem .5rem; font: inherit; }
#status { color: #667; font-size: .85rem; }
#hosts { list-style: none; padding: 0; display: flex; gap: .5rem; flex-wrap: wrap; margin: 0; }
.host { background: #fff; border: 1px solid #cfd6e0; border-radius: 4px; padding: .3rem .6rem; }
.host.down { opacity: .5; text-decoration: line-through; }
.host.self { border-color: #3a7bd5; }
#networks { display: grid; grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); gap: .8rem; }
.network { background: #fff; border: 1px solid #cfd6e0; border-radius: 6px; padding: .6rem .8rem; }
.network h3 { margin: 0 0 .2rem; font-size: 1rem; }
.meta { color: #556; font-size: .85rem; }
.driver { display: inline-block; background: #e3ecf9; color: #1f4f96; border-radius: 3px; padding: 0 .35rem; margin-right: .3rem; }
table { border-collapse: collapse; width: 100%; margin-top: .4rem; font-size: .9rem; }
td, th { text-align: left; padding: .15rem .4rem .15rem 0; border-top: 1px solid #eef0f3; }
th { font-weight: 600; color: #556; }
.none { color: #889; font-style: italic; }
`;

export const TOPOLOGY_JS = `'use strict';
(function () {
  var state = { topology: null, filter: '' };
  var filterBox = document.getElementById('filter');
  var statusEl = document.getElementById('status');

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }

  function has(text, needle) { return String(text || '').toLowerCase().indexOf(needle) >= 0; }

  function containerMatches(c, f) {
    return has(c.name, f) || has(c.id, f) || has(c.ipv4, f) || has(c.ipv6, f) || has(c.host, f) || has(c.state, f);
  }

  function networkMatches(n, f) {
    return has(n.name, f) || has(n.driver, f) || has(n.id, f) || n.subnets.some(function (s) { return has(s, f); });
  }

  function render() {
    var t = state.topology;
    if (!t) return;
    var f = state.filter.trim().toLowerCase();
    var hosts = document.getElementById('hosts');
    hosts.replaceChildren.apply(hosts, t.hosts.map(function (h) {
      var cls = 'host' + (h.self ? ' self' : '') + (h.alive ? '' : ' down');
      return el('li', { class: cls, 'data-host': h.name }, [h.name + (h.address ? ' (' + h.address + ')' : '') + (h.self ? ' · this host' : '') + (h.alive ? '' : ' · down')]);
    }));
    var cards = [];
    t.networks.forEach(function (n) {
      var whole = !f || networkMatches(n, f);
      var shown = whole ? n.containers : n.containers.filter(function (c) { return containerMatches(c, f); });
      if (!whole && shown.length === 0) return;
      var rows = shown.map(function (c) {
        return el('tr', { 'data-container': c.name }, [
          el('td', {}, [c.name]),
          el('td', {}, [[c.ipv4, c.ipv6].filter(Boolean).join(' ') || '-']),
          el('td', {}, [c.host]),
          el('td', {}, [c.state || 'remote']),
        ]);
      });
      var body = rows.length
        ? el('table', {}, [el('thead', {}, [el('tr', {}, [el('th', {}, ['Container']), el('th', {}, ['Address']), el('th', {}, ['Host']), el('th', {}, ['State'])])]), el('tbody', {}, rows)])
        : el('p', { class: 'none' }, ['no containers']);
      cards.push(el('article', { class: 'network', 'data-network': n.name }, [
        el('h3', {}, [n.name]),
        el('div', { class: 'meta' }, [
          el('span', { class: 'driver' }, [n.driver]),
          (n.subnets.join(', ') || 'no subnet') + (n.internal ? ' · internal' : '') + ' · hosts: ' + n.hosts.join(', '),
        ]),
        body,
      ]));
    });
    var nets = document.getElementById('networks');
    nets.replaceChildren.apply(nets, cards);
    document.getElementById('empty').hidden = cards.length > 0;
  }

  var loading = false, again = false, timer = null;
  function load() {
    if (loading) { again = true; return; }
    loading = true;
    fetch('/api/topology', { cache: 'no-store' }).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    }).then(function (t) {
      state.topology = t;
      render();
      statusEl.textContent = 'updated ' + new Date().toLocaleTimeString();
    }).catch(function (e) {
      statusEl.textContent = 'cannot reach netd: ' + e.message;
    }).then(function () {
      loading = false;
      if (again) { again = false; load(); }
    });
  }
  function soon() { clearTimeout(timer); timer = setTimeout(load, 100); }

  filterBox.addEventListener('input', function () { state.filter = filterBox.value; render(); });
  var events = new EventSource('/api/events');
  events.onmessage = soon;
  events.onopen = soon;
  // cluster members come and go without an event; a slow poll keeps the host list honest
  setInterval(load, 5000);
  load();
})();
`;

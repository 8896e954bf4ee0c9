// gradlab-embed.js — the script API for course sites: put a live gradlab experiment in a page.
//
//   <script src="https://LAB-HOST/js/gradlab-embed.js"></script>
//   const lab = gradlab.mount(document.getElementById('demo'), config, {controls: ['optim.lr']});
//   lab.on('rows', (rows, run) => ...); lab.set('optim.lr', 0.05); lab.pause(); lab.resume();
//
// mount() adds an <iframe> of embed.html (from the same folder as this script) with the
// config in its hash, and talks to it with postMessage (targetOrigin = the lab's origin).
// The course site's origin must be listed in the lab's embed-config.json (docs/embedding.md).
// A classic script (no modules) so it works in any page; it defines window.gradlab.
(function () {
  'use strict';
  var scriptUrl = document.currentScript && document.currentScript.src;
  var labBase = scriptUrl ? new URL('../', scriptUrl) : new URL('./', location.href);

  function toBase64Url(text) {
    var bytes = new TextEncoder().encode(text), binary = '';
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // options: controls (config paths to show, [] for none), charts (['loss', 'sharpness',
  // 'eigs', 'accuracy']), autorun (default true), width / height (CSS), labUrl (embed.html's URL).
  function mount(element, config, options) {
    options = options || {};
    if (!element) throw new Error('gradlab.mount: no element to mount into');
    var src = new URL(options.labUrl || 'embed.html', labBase);
    var hash = '#' + toBase64Url(typeof config === 'string' ? config : JSON.stringify(config));
    if (options.controls) hash += '&controls=' + encodeURIComponent(options.controls.length ? options.controls.join(',') : 'none');
    if (options.charts) hash += '&charts=' + encodeURIComponent(options.charts.join(','));
    if (options.autorun === false) hash += '&autorun=0';
    src.hash = hash;
    var iframe = document.createElement('iframe');
    iframe.src = src.href;
    iframe.title = options.title || 'gradlab experiment';
    iframe.style.border = '0';
    iframe.style.width = options.width || '100%';
    iframe.style.height = options.height || '620px';
    element.appendChild(iframe);

    var origin = src.origin;
    var listeners = { rows: [], state: [], ready: [], error: [] };
    var pending = {};
    var nextId = 1;
    var queue = [];
    var ready = false;

    function post(message) {
      message.gradlab = 1;
      message.id = nextId++;
      return new Promise(function (resolve, reject) {
        pending[message.id] = { resolve: resolve, reject: reject };
        if (ready) iframe.contentWindow.postMessage(message, origin);
        else queue.push(message);
      });
    }

    function onMessage(event) {
      if (event.source !== iframe.contentWindow || event.origin !== origin) return;
      var m = event.data;
      if (!m || m.gradlab !== 1) return;
      if (m.type === 'ready') {
        ready = true;
        queue.splice(0).forEach(function (q) { iframe.contentWindow.postMessage(q, origin); });
        listeners.ready.forEach(function (f) { f(); });
      } else if (m.type === 'rows') {
        listeners.rows.forEach(function (f) { f(m.rows, m.run); });
      } else if (m.type === 'state') {
        listeners.state.forEach(function (f) { f(m.runs); });
      } else if ((m.type === 'ack' || m.type === 'error') && pending[m.id]) {
        var p = pending[m.id];
        delete pending[m.id];
        if (m.type === 'ack') p.resolve(m);
        else {
          p.reject(new Error(m.message));
          listeners.error.forEach(function (f) { f(m.message); });
        }
      }
    }
    window.addEventListener('message', onMessage);

    var subscribed = false;
    return {
      iframe: iframe,
      start: function (newConfig) { return post({ type: 'start', config: newConfig }); },
      pause: function () { return post({ type: 'pause' }); },
      resume: function () { return post({ type: 'resume' }); },
      step: function (n) { return post({ type: 'step', n: n || 1 }); },
      reset: function () { return post({ type: 'reset' }); },
      stop: function () { return post({ type: 'stop' }); },
      set: function (path, value) { return post({ type: 'set', path: path, value: value }); },
      getConfig: function () { return post({ type: 'getConfig' }).then(function (m) { return m.config; }); },
      on: function (event, fn) {
        if (!listeners[event]) throw new Error('gradlab: unknown event ' + event + ' (rows, state, ready, error)');
        listeners[event].push(fn);
        if ((event === 'rows' || event === 'state') && !subscribed) { subscribed = true; post({ type: 'subscribe' }); }
      },
      destroy: function () {
        window.removeEventListener('message', onMessage);
        iframe.remove();
      },
    };
  }

  window.gradlab = { mount: mount, version: 1 };
})();

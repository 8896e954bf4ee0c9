// gradlab-embed.js — the script API for course sites: put a live gradlab experiment in a page.
//
//   <script src="https://LAB-HOST/js/gradlab-embed.js"></script>
//   const lab = gradlab.mount(document.getElementById('demo'), config, {controls: ['optim.lr']});
//   lab.on('rows', (rows, run, runId) => ...); lab.set('optim.lr', 0.05); lab.pause(); lab.resume();
//   gradlab.autosize(iframe)   // any lab iframe (svm.html#…&embed=1) follows its content height
//
// mount() adds an <iframe> of embed.html (from the same folder as this script) with the
// config in its hash, and talks to it with postMessage (targetOrigin = the lab's origin).
// The course site's origin must be listed in the lab's embed-config.json (docs/embedding.md).
// Nothing fails silently: every request's promise settles (a refused origin, a rejected config
// or a lab that never answers reject it), and each failure also fires the `error` event, as do
// the problems the lab's `ready` message reports (its config, controls, charts, allow-list).
// A classic script (no modules) so it works in any page; it defines window.gradlab.
(function () {
  'use strict';
  var scriptUrl = document.currentScript && document.currentScript.src;
  var labBase = scriptUrl ? new URL('../', scriptUrl) : new URL('./', location.href);
  var READY_TIMEOUT_MS = 20000;

  function toBase64Url(text) {
    var bytes = new TextEncoder().encode(text), binary = '';
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // The frame's height follows its {type: 'resize', height} messages (no inner scrollbar).
  function autosize(iframe) {
    function onResize(event) {
      var m = event.data;
      if (event.source !== iframe.contentWindow || !m || m.gradlab !== 1 || m.type !== 'resize') return;
      if (typeof m.height === 'number' && m.height > 0) iframe.style.height = Math.ceil(m.height) + 'px';
    }
    window.addEventListener('message', onResize);
    return function () { window.removeEventListener('message', onResize); };
  }

  // options: controls (config paths to show, [] for none), charts (['loss', 'sharpness',
  // 'eigs', 'accuracy']), autorun (default true), lazy (default true: start when scrolled into
  // view), width / height (CSS; height is the frame's height until the lab reports its own),
  // autosize (default true: follow the reported height), title, labUrl (embed.html's URL).
  function mount(element, config, options) {
    options = options || {};
    if (!element) throw new Error('gradlab.mount: no element to mount into');
    var src = new URL(options.labUrl || 'embed.html', labBase);
    var hash = '#' + toBase64Url(typeof config === 'string' ? config : JSON.stringify(config));
    if (options.controls) hash += '&controls=' + encodeURIComponent(options.controls.length ? options.controls.join(',') : 'none');
    if (options.charts) hash += '&charts=' + encodeURIComponent(options.charts.join(','));
    if (options.autorun === false) hash += '&autorun=0';
    if (options.lazy === false) hash += '&lazy=0';
    src.hash = hash;
    var iframe = document.createElement('iframe');
    iframe.src = src.href;
    iframe.title = options.title || 'gradlab experiment';
    iframe.style.border = '0';
    iframe.style.display = 'block';
    iframe.style.width = options.width || '100%';
    iframe.style.maxWidth = '100%';
    iframe.style.height = options.height || '620px';
    element.appendChild(iframe);
    var stopAutosize = options.autosize === false ? function () {} : autosize(iframe);

    var origin = src.origin;
    var listeners = { rows: [], state: [], restart: [], ready: [], error: [] };
    var pending = {};
    var nextId = 1;
    var queue = [];
    var ready = false;

    function emit(event, args) { listeners[event].forEach(function (f) { f.apply(null, args); }); }
    function fail(message, detail) { emit('error', [message, detail || {}]); }

    function post(message) {
      message.gradlab = 1;
      message.id = nextId++;
      return new Promise(function (resolve, reject) {
        pending[message.id] = { resolve: resolve, reject: reject, type: message.type };
        if (ready) iframe.contentWindow.postMessage(message, origin);
        else queue.push(message);
      });
    }

    function rejectAll(message) {
      Object.keys(pending).forEach(function (id) { pending[id].reject(new Error(message)); delete pending[id]; });
      queue.length = 0;
    }

    // A lab that never says `ready` (a wrong labUrl, a page that failed to load) still answers.
    var readyTimer = setTimeout(function () {
      if (ready) return;
      var message = 'the lab at ' + src.origin + src.pathname + ' did not answer within ' + READY_TIMEOUT_MS / 1000 + ' s (is labUrl right, and is it a gradlab build?)';
      rejectAll(message);
      fail(message, { about: 'load' });
    }, READY_TIMEOUT_MS);

    function onMessage(event) {
      if (event.source !== iframe.contentWindow || event.origin !== origin) return;
      var m = event.data;
      if (!m || m.gradlab !== 1) return;
      if (m.type === 'ready') {
        ready = true;
        clearTimeout(readyTimer);
        queue.splice(0).forEach(function (q) { iframe.contentWindow.postMessage(q, origin); });
        (m.problems || []).forEach(function (p) { fail(p.message, p); });
        emit('ready', [m]);
        // Says at once whether this page's origin may drive the lab (an `error` if not).
        post({ type: 'hello' }).catch(function () {});
      } else if (m.type === 'rows') {
        emit('rows', [m.rows, m.run, m.runId]);
      } else if (m.type === 'restart') {
        emit('restart', [m.runId, m.runs, m.config]);
      } else if (m.type === 'state') {
        emit('state', [m.runs, m]);
      } else if ((m.type === 'ack' || m.type === 'error') && pending[m.id]) {
        var p = pending[m.id];
        delete pending[m.id];
        if (m.type === 'ack') p.resolve(m);
        else {
          p.reject(new Error(m.message));
          fail(m.message, { about: 'request', request: p.type });
        }
      }
    }
    window.addEventListener('message', onMessage);

    var subscribed = false;
    return {
      iframe: iframe,
      start: function (newConfig) { return post(newConfig === undefined ? { type: 'start' } : { type: 'start', config: newConfig }); },
      pause: function () { return post({ type: 'pause' }); },
      resume: function () { return post({ type: 'resume' }); },
      step: function (n) { return post({ type: 'step', n: n || 1 }); },
      reset: function () { return post({ type: 'reset' }); },
      stop: function () { return post({ type: 'stop' }); },
      set: function (path, value, opts) {
        return post({ type: 'set', path: path, value: value, restart: !(opts && opts.restart === false) });
      },
      getConfig: function () { return post({ type: 'getConfig' }).then(function (m) { return m.config; }); },
      on: function (event, fn) {
        if (!listeners[event]) throw new Error('gradlab: unknown event ' + event + ' (rows, restart, state, ready, error)');
        listeners[event].push(fn);
        if ((event === 'rows' || event === 'state' || event === 'restart') && !subscribed) {
          subscribed = true;
          post({ type: 'subscribe' }).catch(function () {});
        }
        return this;
      },
      destroy: function () {
        clearTimeout(readyTimer);
        rejectAll('gradlab: the lab was destroyed');
        window.removeEventListener('message', onMessage);
        stopAutosize();
        iframe.remove();
      },
    };
  }

  window.gradlab = { mount: mount, autosize: autosize, version: 2 };
})();

// session_api.js — the JS face of the gradlab WASM module (linked with --post-js, so it runs
// inside the module factory and sees `Module`).
//
// src/wasm/session.cpp binds RawSession and raw_* functions that never throw: they return
// {ok: true, value} or {ok: false, name, error}. Here each becomes the documented API, which
// throws a real JS Error whose message is the C++ message and whose name is the gradlab
// error type (ConfigError, IOError, ...). Embind registers the raw bindings when the runtime
// starts, after this file runs, so they are looked up at call time.

function gradlabUnwrap(envelope) {
  if (envelope.ok) return envelope.value;
  var error = new Error(envelope.error);
  error.name = envelope.name;
  throw error;
}

Module['Session'] = class Session {
  // configJson: a config (JSON text); profile: a name from its `profiles` block, or ''.
  constructor(configJson, profile) {
    var raw = new Module['RawSession'](String(configJson), profile ? String(profile) : '');
    var init = raw.initError();
    if (!init.ok) raw.delete();
    gradlabUnwrap(init);
    this.raw = raw;
  }
  step(n) { return gradlabUnwrap(this.raw.step(n === undefined ? 1 : n)); }
  preview() { return gradlabUnwrap(this.raw.preview()); }
  done() { return gradlabUnwrap(this.raw.done()); }
  state() { return gradlabUnwrap(this.raw.state()); }
  config() { return gradlabUnwrap(this.raw.config()); }
  exportParams() { return gradlabUnwrap(this.raw.exportParams()); }
  delete() {
    if (this.raw) this.raw.delete();
    this.raw = null;
  }
};

Module['schema'] = function() { return gradlabUnwrap(Module['raw_schema']()); };
Module['kinds'] = function() { return gradlabUnwrap(Module['raw_kinds']()); };
Module['resolveConfig'] = function(text, profile) {
  return gradlabUnwrap(Module['raw_resolveConfig'](String(text), profile ? String(profile) : ''));
};
Module['sweepPoints'] = function(text, profile) {
  return gradlabUnwrap(Module['raw_sweepPoints'](String(text), profile ? String(profile) : ''));
};
// configJson: the sweep's config (its kind picks the figure); rowsJson: a JSON array of
// sweep.jsonl rows. Returns the JSON text of sweep_summary.json, or "null" (no figure).
Module['sweepSummary'] = function(configJson, rowsJson) {
  return gradlabUnwrap(Module['raw_sweepSummary'](String(configJson), String(rowsJson)));
};
// bytes: a Uint8Array or ArrayBuffer; returns the number of bytes written.
Module['writeFile'] = function(path, bytes) {
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  return gradlabUnwrap(Module['raw_writeFile'](String(path), bytes));
};
// Threads for the CPU kernels: n >= 1, capped at maxThreads() (1 in the default module);
// returns the count now in effect. Results do not depend on it (gradlab/threads.h).
Module['setThreads'] = function(n) { return gradlabUnwrap(Module['raw_setThreads'](n | 0)); };
// `gradlab fit` on a sweep.jsonl or CSV held as text (name: for messages); options: an object
// {form, x: [keys], y, where, bootstrap, seed, ...} (src/wasm/session.cpp). Returns the JSON text
// `gradlab fit` prints; throws a ConfigError naming a bad row, key or option.
Module['fit'] = function(text, name, options) {
  return gradlabUnwrap(Module['raw_fit'](String(text), String(name || 'rows'), JSON.stringify(options || {})));
};

// config-url.js — the config in the URL hash, so a link restores the exact run.
//
//   #<config>[&controls=optim.lr,seed][&autorun=1]
// <config> is the config's JSON text as base64url (RFC 4648 §5, UTF-8, no padding), or, for
// links written by hand, URI-encoded JSON starting with "{". The JSON text is kept as it
// was (key order included), so encode(decode(hash)) gives the same hash back.

export function toBase64Url(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('the URL hash is not base64url text (letters, digits, - and _)');
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4);
  let binary;
  try { binary = atob(padded); } catch (e) { throw new Error('the URL hash is not valid base64url'); }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  try { return new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch (e) { throw new Error('the URL hash is not UTF-8 text once decoded from base64url'); }
}

// True when JSON text opens more than `limit` arrays/objects at once (outside strings). The C++
// reader refuses the same (gradlab/json_text.h); checked before JSON.parse, because copying,
// comparing and posting such a value to the worker recurse once per level.
export function nestedDeeperThan(text, limit) {
  let depth = 0, inString = false;
  for (let i = 0; i < text.length; ++i) {
    const c = text[i];
    if (inString) {
      if (c === '\\') ++i;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '[' || c === '{') {
      if (++depth > limit) return true;
    } else if (c === ']' || c === '}') {
      --depth;
    }
  }
  return false;
}

// Splits a hash into {configText, options}; configText is null when the hash holds none.
// Throws an Error with a readable message when the config part cannot be decoded or parsed.
export function parseHash(hash) {
  const body = (hash || '').replace(/^#/, '');
  if (!body) return { configText: null, config: null, options: {} };
  const parts = body.split('&');
  const options = {};
  let payload = '';
  for (const part of parts) {
    const eq = part.indexOf('=');
    // The config itself has no "name=": base64url has no "=", and JSON's first char is "{".
    if (!payload && (eq < 0 || part.startsWith('%7B') || part.startsWith('{'))) { payload = part; continue; }
    if (eq > 0) {
      try { options[decodeURIComponent(part.slice(0, eq))] = decodeURIComponent(part.slice(eq + 1)); } catch (e) { throw new Error(`the URL option "${part.slice(0, 40)}" is not valid URI encoding`); }
    }
  }
  if (!payload) return { configText: null, config: null, options };
  let text;
  if (payload.startsWith('%7B') || payload.startsWith('{')) {
    try { text = decodeURIComponent(payload); } catch (e) { throw new Error('the config in the URL is not valid URI-encoded JSON'); }
  } else {
    text = fromBase64Url(payload);
  }
  if (nestedDeeperThan(text, 64)) throw new Error('the config in the URL is nested deeper than 64 levels');
  let config;
  try { config = JSON.parse(text); } catch (e) { throw new Error('the config in the URL is not valid JSON: ' + e.message); }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new Error('the config in the URL must be a JSON object');
  return { configText: text, config, options };
}

export function buildHash(config, options = {}) {
  const text = typeof config === 'string' ? config : JSON.stringify(config);
  let hash = '#' + toBase64Url(text);
  for (const [k, v] of Object.entries(options)) if (v !== undefined && v !== null && v !== '') hash += '&' + encodeURIComponent(k) + '=' + encodeURIComponent(v);
  return hash;
}

// lab-data.js — what the pages fetch: schema.json (the config schema and the kinds with their
// page descriptors, written by web/build.sh from the WASM module) and presets (experiment
// configs, presets/experiments/<folder>/, with their `web` profile applied).
import { clone, setPath } from './config-fields.js';

export const SITE = new URL('../', import.meta.url);

export async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
  return response.json();
}

let schemaPromise = null;
export function loadSchema() {
  if (!schemaPromise) schemaPromise = fetchJson(new URL('schema.json', SITE));
  return schemaPromise;
}

// The page descriptor of a kind (throws naming the kinds that have one).
export function pageOf(schema, kind) {
  const entry = (schema.kinds || []).find((k) => k.name === kind);
  if (!entry || !entry.page) throw new Error(`schema.json has no page descriptor for kind "${kind}" (kinds with pages: ${(schema.kinds || []).filter((k) => k.page).map((k) => k.name).join(', ')})`);
  return entry.page;
}

// A preset: presets/<folder>/<file> with its `web` profile applied ("data.n_train": 500 sets
// config.data.n_train as `gradlab run --profile web` does; "sweep.model.widths" replaces the
// sweep block's list) and the profiles block dropped, so the page's config is exactly what runs.
export async function loadPreset(folder, file, profile = 'web') {
  const config = await fetchJson(new URL(`presets/${folder}/${file}`, SITE));
  const overrides = (config.profiles && config.profiles[profile]) || {};
  for (const [path, value] of Object.entries(overrides)) {
    if (path.startsWith('sweep.')) (config.sweep = config.sweep || {})[path.slice(6)] = clone(value);
    else setPath(config, path, clone(value));
  }
  delete config.profiles;
  return config;
}

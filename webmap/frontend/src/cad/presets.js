// Named mapping presets shared across projects (GET/POST /api/cad/presets/,
// GET/PUT /api/cad/presets/{name}/): pick one to apply it, or save the current mapping.
import { el, fillTemplate } from '../config.js';
import { request } from './api.js';

function presetList(data) {
  return Array.isArray(data) ? data : (data && data.results) || [];
}

/** Fills #preset-select with the presets' names; keeps `selected` when still there. */
export async function loadPresets(config, selected = '') {
  const select = document.getElementById('preset-select');
  const presets = presetList(await request(config.urls.presets, { labels: config.labels }));
  const empty = el('option', '', config.labels.noPreset);
  empty.value = '';
  const options = presets.map((preset) => {
    const option = el('option', '', preset.name);
    option.value = preset.name;
    if (preset.description) option.title = preset.description;
    return option;
  });
  select.replaceChildren(empty, ...options);
  select.value = presets.some((p) => p.name === selected) ? selected : '';
  return presets;
}

export function getPreset(config, name) {
  return request(fillTemplate(config.urls.preset, { name }), { labels: config.labels });
}

/** Creates the preset, or replaces it when one of that name exists (409 from the POST). */
export async function savePreset(config, preset) {
  try {
    return await request(config.urls.presets, { method: 'POST', json: preset, labels: config.labels });
  } catch (error) {
    if (error.status !== 409) throw error;
    const url = fillTemplate(config.urls.preset, { name: preset.name });
    return request(url, { method: 'PUT', json: preset, labels: config.labels });
  }
}

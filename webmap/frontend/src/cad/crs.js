// The coordinate system step: the drawing's own (GEODATA) or the storage default, a VN-2000
// TM-3 zone chosen by province (GET /api/cad/crs-presets/), or any EPSG code; plus the
// optional two control points that fix a drawing made in local coordinates.
import { el } from '../config.js';
import { request } from './api.js';

const CUSTOM = 'custom';

function option(value, label) {
  const node = el('option', '', label);
  node.value = value;
  return node;
}

/** Fills #cad-crs; the province list comes from the server (a failure leaves the rest). */
export async function setUpCrs(config, onChange) {
  const select = document.getElementById('cad-crs');
  const custom = document.getElementById('custom-crs-row');
  select.replaceChildren(option('', config.labels.declaredCrs));
  try {
    const presets = await request(config.urls.crsPresets, { labels: config.labels });
    const group = el('optgroup');
    group.label = 'VN-2000';
    (Array.isArray(presets) ? presets : presets.results || [])
      .forEach((p) => group.append(option(p.slug ? `province:${p.slug}` : `EPSG:${p.srid}`,
        p.label || `${p.province} (EPSG:${p.srid})`)));
    select.append(group);
  } catch (error) {
    console.warn('CRS presets are unavailable', error);
  }
  select.append(option(CUSTOM, config.labels.customCrs));
  select.addEventListener('change', () => {
    custom.hidden = select.value !== CUSTOM;
    if (select.value !== CUSTOM) onChange();
  });
  document.getElementById('cad-epsg').addEventListener('change', onChange);
}

/** "" (the drawing decides), "province:slug" or "EPSG:n". */
export function readCrs() {
  const value = document.getElementById('cad-crs').value;
  if (value !== CUSTOM) return value;
  const code = document.getElementById('cad-epsg').value.trim().replace(/^epsg:/i, '');
  return code ? `EPSG:${code}` : '';
}

/** Selects `crs` ("province:slug", "EPSG:n" or ""), as a custom code when no option has it. */
export function setCrs(crs) {
  const select = document.getElementById('cad-crs');
  const text = String(crs || '').trim();
  const value = !text || text.startsWith('province:') ? text : `EPSG:${text.replace(/^epsg:/i, '')}`;
  const known = [...select.options].some((o) => o.value === value);
  select.value = known ? value : CUSTOM;
  document.getElementById('custom-crs-row').hidden = known;
  if (!known) document.getElementById('cad-epsg').value = value.replace(/^EPSG:/, '');
}

function number(text) {
  const cleaned = text.trim().replace(/\s/g, '');
  return Number(cleaned.includes('.') ? cleaned.replace(/,/g, '') : cleaned.replace(',', '.'));
}

/** [[x_cad, y_cad, x_true, y_true] × 2], null when left empty; throws when half given. */
export function readControlPoints(labels) {
  const rows = [...document.querySelectorAll('[data-control-point]')]
    .map((row) => [...row.querySelectorAll('input')].map((input) => input.value));
  const texts = rows.flat();
  if (texts.every((t) => !t.trim())) return null;
  const points = rows.map((row) => row.map(number));
  if (points.flat().some((v) => !Number.isFinite(v)) || texts.some((t) => !t.trim())) {
    throw new Error(labels.controlPointsIncomplete);
  }
  return points;
}

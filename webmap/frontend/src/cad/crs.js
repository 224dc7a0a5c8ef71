// The coordinate system step: the drawing's own (GEODATA) or the storage default, a VN-2000
// TM-3 zone chosen by province (GET /api/cad/crs-presets/), or any EPSG code; plus the
// optional two control points that fix a drawing made in local coordinates.
import { el } from '../config.js';
import { readNumberInput } from '../numbers.js';
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

function controlRows() {
  return [...document.querySelectorAll('[data-control-point]')]
    .map((row) => [...row.querySelectorAll('input')]);
}

/** Marks each control-point input whose text is no number and says why under the table, at
 * once: a point typed the other language's way must never be dropped in silence. True when
 * every input is empty or a number. */
export function checkControlInputs(labels) {
  const messages = [];
  controlRows().flat().forEach((input) => {
    const { message } = readNumberInput(input, labels);
    if (message) {
      messages.push(message);
      input.setAttribute('aria-invalid', 'true');
    } else {
      input.removeAttribute('aria-invalid');
    }
  });
  const box = document.getElementById('control-points-error');
  box.replaceChildren(...messages.map((message) => el('div', '', message)));
  box.hidden = !messages.length;
  return !messages.length;
}

/** [[x_cad, y_cad, x_true, y_true] × 2], null when left empty; throws when a number is
 * malformed or only some are given. */
export function readControlPoints(labels) {
  const rows = controlRows().map((row) => row.map((input) => readNumberInput(input, labels)));
  const cells = rows.flat();
  const wrong = cells.find((cell) => cell.message);
  if (wrong) throw new Error(wrong.message);
  if (cells.every((cell) => cell.value === null)) return null;
  if (cells.some((cell) => cell.value === null)) throw new Error(labels.controlPointsIncomplete);
  return rows.map((row) => row.map((cell) => cell.value));
}

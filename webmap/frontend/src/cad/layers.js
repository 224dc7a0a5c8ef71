// The CAD layers of the drawing: one row per layer with its entity counts by type and a
// select of the planning kind it goes to (guessed from its name at first). The selects are
// the mapping: readMapping() turns them into the {"CAD layer": "kind"} the API takes.
import { el } from '../config.js';
import { guessKind } from './guess.js';
import { format, formatCount } from './status.js';

const IGNORE = 'ignore';

/** "LWPOLYLINE 12, Vùng 10": DXF entity types as AutoCAD names them, the geometry types of
 * GIS files (Polygon, LineString…) in the page's language. */
function countsText(config, entities) {
  const names = config.labels.geometryTypes || {};
  return Object.entries(entities)
    .sort((a, b) => b[1] - a[1])
    .map(([type, count]) => `${names[type] || type} ${formatCount(count)}`)
    .join(', ');
}

function kindSelect(config, layer, kind) {
  const select = el('select', 'kind-select');
  select.dataset.cadLayer = layer.name;
  select.setAttribute('aria-label', `${config.labels.planningLayer}: ${layer.name}`);
  config.kinds.forEach(({ code, label }) => {
    const option = el('option', '', label);
    option.value = code;
    select.append(option);
  });
  select.value = kind;
  return select;
}

/** The layer's name with break opportunities after "_", "-" and "." only: a narrow column
 * wraps QH_RANHGIOI_LO at its parts, never inside a word. */
function breakableName(name) {
  const cell = el('span', 'layer-title');
  name.split(/(?<=[_.-])/).forEach((part, index) => {
    if (index) cell.append(document.createElement('wbr'));
    cell.append(part);
  });
  return cell;
}

// Three columns (the entity counts under the name): at 440 px the select keeps room for
// its longest label; on a phone the rows reflow into blocks (cad.css).
function layerRow(config, layer, kind, guessed) {
  const row = el('tr', layer.total ? '' : 'muted');
  row.dataset.cadLayer = layer.name;
  const name = el('th', 'layer-name');
  name.scope = 'row';
  name.append(breakableName(layer.name));
  const flags = [layer.frozen && config.labels.frozen, layer.off && config.labels.off].filter(Boolean);
  if (flags.length) name.append(el('span', 'layer-flags', ` (${flags.join(', ')})`));
  name.append(el('span', 'layer-counts', countsText(config, layer.entities)));
  const total = el('td', 'num layer-total', formatCount(layer.total));
  const select = kindSelect(config, layer, kind);
  if (guessed) select.title = config.labels.guessed;
  const cell = el('td', 'layer-kind');
  cell.append(select);
  row.append(name, total, cell);
  return row;
}

function header(labels) {
  const head = el('thead');
  const row = el('tr');
  [[labels.layer, ''], [labels.total, 'num'], [labels.planningLayer, '']]
    .forEach(([text, className]) => row.append(el('th', className, text)));
  head.append(row);
  return head;
}

/** What layer names are compared by, as the server's importers.cad.mapping.layer_key: CAD
 * layer names are case-insensitive, and a name typed as decomposed letters is the same. */
function layerKey(name) {
  return name.normalize('NFC').toUpperCase().normalize('NFC');
}

/** Kind for each layer: the current choice, else the preset's, else a guess, else ignore. */
function initialKind(config, layer, previous) {
  const known = previous.get(layerKey(layer.name));
  if (known) return { kind: known, guessed: false };
  const available = new Set(config.kinds.map((k) => k.code));
  const guess = layer.total ? guessKind(layer.name, available) : null;
  return { kind: guess || IGNORE, guessed: Boolean(guess) };
}

/** Renders the table into #cad-layers; `previous` (Map of layerKey → kind) is kept. */
export function renderLayers(config, layers, previous, onChange) {
  const table = el('table', 'data cad-layer-table');
  const body = el('tbody');
  const ordered = [...layers.filter((l) => l.total), ...layers.filter((l) => !l.total)];
  ordered.forEach((layer) => {
    const { kind, guessed } = initialKind(config, layer, previous);
    body.append(layerRow(config, layer, kind, guessed));
  });
  table.append(header(config.labels), body);
  table.addEventListener('change', onChange);
  const scroller = el('div', 'cad-layer-scroll'); // never wider than the panel
  scroller.append(table);
  const entities = layers.reduce((sum, layer) => sum + layer.total, 0);
  const summary = el('p', 'muted', format(config.labels.layersSummary, { layers: layers.length, entities }));
  document.getElementById('cad-layers').replaceChildren(summary, scroller);
}

function selects() {
  return [...document.querySelectorAll('#cad-layers select.kind-select')];
}

/** The mapping as the API takes it: every listed CAD layer → its kind (or "ignore"). */
export function readMapping() {
  return Object.fromEntries(selects().map((s) => [s.dataset.cadLayer, s.value]));
}

/** Current choices keyed by upper-case name, to keep them across a re-inspection. */
export function currentChoices() {
  return new Map(selects().map((s) => [layerKey(s.dataset.cadLayer), s.value]));
}

/** Sets the selects from a preset's mapping (names compared case-insensitively; "*" = rest). */
export function applyMapping(mapping) {
  const upper = new Map(Object.entries(mapping).map(([name, kind]) => [layerKey(name), kind]));
  const rest = upper.get('*');
  selects().forEach((select) => {
    const kind = upper.get(layerKey(select.dataset.cadLayer)) || rest;
    if (kind && [...select.options].some((o) => o.value === kind)) {
      select.value = kind;
      select.title = '';
    }
  });
}

export function hasMappedLayer(mapping) {
  return Object.values(mapping).some((kind) => kind !== IGNORE);
}

/** A kindOf(name) for the preview styles, reading the selects as they are now. */
export function kindLookup() {
  let cache = null;
  const lookup = (name) => {
    if (!cache) cache = currentChoices();
    return cache.get(layerKey(String(name))) || IGNORE;
  };
  lookup.reset = () => { cache = null; };
  return lookup;
}

/** Marks the table row of a CAD layer (clicked on the preview) and brings it into view. */
export function pickLayer(name) {
  const rows = [...document.querySelectorAll('#cad-layers tbody tr')];
  rows.forEach((row) => row.classList.toggle('picked', row.dataset.cadLayer === name));
  const row = rows.find((r) => r.dataset.cadLayer === name);
  if (row) {
    row.scrollIntoView({ block: 'nearest' });
    row.querySelector('select').focus();
  }
}

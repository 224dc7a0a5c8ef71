// The legend panel, built from the server's legend of each visible tile layer, so the
// colours shown always match the renderer's style.
import { el, fillTemplate } from './config.js';

async function fetchLegend(config, name) {
  const response = await fetch(fillTemplate(config.urls.legend, { layer: name }), {
    headers: { Accept: 'application/json' },
  });
  if (!response.ok) throw new Error(`legend ${name}: HTTP ${response.status}`);
  const entries = await response.json();
  return Array.isArray(entries) ? entries : (entries.entries || []);
}

function uniqueEntries(lists) {
  const seen = new Set();
  return lists.flat().filter((entry) => {
    const key = `${entry.label}|${entry.colour}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function legendRow(entry) {
  const row = el('li', 'legend-row');
  const swatch = el('span', `legend-swatch legend-${entry.kind || 'fill'}`);
  swatch.style.backgroundColor = entry.colour || 'transparent';
  if (entry.kind === 'line' || entry.kind === 'redlines') swatch.style.borderColor = entry.colour;
  row.append(swatch, el('span', 'legend-label', entry.label || ''));
  return row;
}

/** A legend list of entries {label, colour, kind}: the map page's and the review page's. */
export function legendList(entries) {
  const list = el('ul', 'legend-list');
  entries.forEach((entry) => list.append(legendRow(entry)));
  return list;
}

/** Redraws the legend for the visible tile layers; says so when no legend is available. */
export async function renderLegend(container, config, tileLayers) {
  const names = tileLayers.filter((l) => l.getVisible()).map((l) => l.get('tileName'));
  container.replaceChildren(el('p', 'muted', config.labels.loading));
  const results = await Promise.allSettled(names.map((name) => fetchLegend(config, name)));
  const lists = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  const entries = uniqueEntries(lists);
  container.replaceChildren();
  if (entries.length) {
    container.append(legendList(entries));
  } else if (names.length && !lists.length) {
    container.append(el('p', 'muted', config.labels.legendUnavailable));
  } else {
    container.append(el('p', 'muted', config.labels.legendEmpty));
  }
}

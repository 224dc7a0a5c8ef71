// Feature info: asks the server which features lie under a click (plans in force plus the
// revisions the user has switched on) and shows each as an attribute table.
import { toLonLat } from 'ol/proj';
import { attributeRows, row } from './attributes.js';
import { el } from './config.js';
import { endOfDay } from './rasters.js';

function infoUrl(config, coordinate, revisionIds, date) {
  const [lon, lat] = toLonLat(coordinate);
  const params = new URLSearchParams({ lon: lon.toFixed(7), lat: lat.toFixed(7) });
  if (revisionIds.length) params.set('revisions', revisionIds.join(','));
  if (date) params.set('at', endOfDay(date)); // what the dated map draws
  return `${config.urls.featureInfo}?${params}`;
}

function featureCard(config, feature) {
  const { labels } = config;
  const card = el('article', 'info-card');
  const header = el('header', 'info-header');
  const swatch = el('span', 'legend-swatch');
  swatch.style.backgroundColor = feature.colour || 'transparent';
  const layerName = feature.layer_title || feature.layer_name; // kind label in the page's language
  const title = feature.category_name || feature.category || layerName || '';
  header.append(swatch, el('strong', '', title));
  card.append(header);
  const table = el('table', 'info-table');
  table.append(
    row(labels.project, `${feature.project_code} — ${feature.project_name}`),
    // "1 · Approved (in force)": the state's own parentheses would nest inside others
    row(labels.revision, `${feature.revision_number} · ${(labels.states || {})[feature.state] || feature.state}`),
    row(labels.layer, layerName),
  );
  if (feature.category) table.append(row(labels.category, feature.category));
  table.append(...attributeRows(labels, feature.attributes || {}));
  card.append(table);
  return card;
}

/** Fetches and renders feature info for a map click into `container`: the plans in force
 * now, or on `date` (YYYY-MM-DD) when the map shows that date. */
export async function showFeatureInfo(container, config, coordinate, revisionIds, date = '') {
  container.replaceChildren(el('p', 'muted', config.labels.loading));
  let data;
  try {
    const response = await fetch(infoUrl(config, coordinate, revisionIds, date), {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    data = await response.json();
  } catch (error) {
    container.replaceChildren(el('p', 'error', config.labels.infoError));
    return;
  }
  const features = data.features || [];
  container.replaceChildren();
  if (!features.length) {
    container.append(el('p', 'muted', config.labels.infoNone));
    showOnNarrowScreens(container);
    return;
  }
  features.forEach((feature) => container.append(featureCard(config, feature)));
  showOnNarrowScreens(container);
}

/** On a phone the cards sit far below the map (QA walk: a tap showed nothing a citizen
 * could see): bring them into view there; beside the map on wider screens, leave it be. */
function showOnNarrowScreens(container) {
  if (window.matchMedia('(max-width: 760px)').matches) {
    container.scrollIntoView({ block: 'start' });
  }
}

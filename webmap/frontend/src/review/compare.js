// Comparison modes of the review map: the revision alone (over the plans in force), a swipe
// between the revision and its baseline, or the change layer (added, removed, geometry,
// attributes) styled by change type with a legend.
import { el } from '../config.js';
import { request } from './api.js';
import { geojson } from './map.js';
import { CHANGE_COLOURS } from './styles.js';
import { showStatus } from './status.js';

let changesLoaded = null;

function loadChanges(config, layer) {
  changesLoaded ??= request(config.urls.changes, { labels: config.labels })
    .then((data) => {
      layer.getSource().addFeatures(geojson.readFeatures(data));
      return data.features.length;
    })
    .catch((error) => {
      changesLoaded = null;
      showStatus('error', error.message);
      return -1;
    });
  return changesLoaded;
}

function renderLegend(config, counts) {
  const legend = document.getElementById('change-legend');
  legend.replaceChildren();
  for (const [change, colour] of Object.entries(CHANGE_COLOURS)) {
    const item = el('li', 'change-item');
    const swatch = el('span', `change-swatch change-${change}`);
    swatch.style.borderColor = colour;
    item.append(swatch, el('span', '', `${config.labels.changes[change]} (${counts[change] || 0})`));
    legend.append(item);
  }
}

function countChanges(layer) {
  const counts = {};
  layer.getSource().getFeatures().forEach((f) => {
    counts[f.get('change')] = (counts[f.get('change')] || 0) + 1;
  });
  return counts;
}

async function applyMode(config, review, mode) {
  const { layers, swipe, map } = review;
  const swiping = mode === 'swipe';
  const changes = mode === 'changes';
  swipe.hidden = !swiping;
  document.getElementById('swipe-labels').hidden = !swiping;
  document.getElementById('change-legend').hidden = !changes;
  layers.context.setOpacity(swiping ? 0.35 : 1);
  if (layers.baseline) layers.baseline.setVisible(swiping);
  layers.revision.setOpacity(changes ? 0.45 : 1);
  layers.changes.setVisible(changes);
  map.getTargetElement().dataset.mode = mode;
  if (changes) {
    const count = await loadChanges(config, layers.changes);
    renderLegend(config, countChanges(layers.changes));
    if (count === 0) showStatus('info', config.labels.noChanges);
  }
  map.render();
}

export function setUpCompare(config, review) {
  review.layers.changes.setVisible(false);
  document.querySelectorAll('input[name="compare"]').forEach((input) => {
    input.addEventListener('change', () => {
      if (input.checked) applyMode(config, review, input.value);
    });
  });
}

/** The change layer read again (after an edit of the revision), and its legend when shown. */
export async function refreshChanges(config, review) {
  const { layers, map } = review;
  changesLoaded = null;
  layers.changes.getSource().clear();
  if (map.getTargetElement().dataset.mode !== 'changes') return;
  await loadChanges(config, layers.changes);
  renderLegend(config, countChanges(layers.changes));
}

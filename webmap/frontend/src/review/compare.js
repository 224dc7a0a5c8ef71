// Comparison modes of the review map: the revision alone (over the plans in force), a swipe
// between the revision and its baseline, or the change layer (added, removed, geometry,
// attributes) styled by change type with a legend. An answer to a sent-back revision may be
// compared with the plan in force or with the revision it answers (the toolbar's choice).
import { el, interpolate as format } from '../config.js';
import { request } from './api.js';
import { geojson, showBaseline } from './map.js';
import { CHANGE_COLOURS } from './styles.js';
import { showStatus } from './status.js';

let changesLoaded = null;
let against = null; // the baseline revision's id: config.baseline's, or the toolbar's choice

function changesUrl(config) {
  if (against === null) return config.urls.changes;
  return `${config.urls.changes}?${new URLSearchParams({ against: String(against) })}`;
}

/** Loads the change layer; resolves to the number of this revision's own changes. */
function loadChanges(config, layer) {
  const url = changesUrl(config);
  changesLoaded ??= request(url, { labels: config.labels })
    .then((data) => {
      if (url !== changesUrl(config)) return -1; // another baseline was chosen meanwhile
      layer.getSource().addFeatures(geojson.readFeatures(data));
      return data.features.filter((f) => f.properties.change !== 'superseded').length;
    })
    .catch((error) => {
      changesLoaded = null;
      showStatus('error', error.message);
      return -1;
    });
  return changesLoaded;
}

/** What a change is called in the legend and its card: a superseded feature by the
 * approval that took it out of force (another project's, not this revision's change). */
export function changeLabel(labels, feature) {
  const type = feature.get('change');
  const by = feature.get('superseded_by');
  if (type === 'superseded' && by && by.decision_number) {
    return format(labels.changeSupersededBy, { project: by.project, decision: by.decision_number });
  }
  return labels.changes[type] || type;
}

function legendItem(change, colour, text) {
  const item = el('li', 'change-item');
  item.dataset.change = change;
  const swatch = el('span', `change-swatch change-${change}`);
  swatch.style.borderColor = colour;
  item.append(swatch, el('span', '', text));
  return item;
}

/** This revision's change types, each with its count, then what other approvals
 * superseded, by approval, only when there is some. */
function renderLegend(config, layer) {
  const legend = document.getElementById('change-legend');
  const counts = {};
  const superseded = new Map(); // label → count
  layer.getSource().getFeatures().forEach((f) => {
    counts[f.get('change')] = (counts[f.get('change')] || 0) + 1;
    if (f.get('change') === 'superseded') {
      const label = changeLabel(config.labels, f);
      superseded.set(label, (superseded.get(label) || 0) + 1);
    }
  });
  legend.replaceChildren();
  for (const [change, colour] of Object.entries(CHANGE_COLOURS)) {
    if (change === 'superseded') continue;
    legend.append(legendItem(change, colour, `${config.labels.changes[change]} (${counts[change] || 0})`));
  }
  for (const [label, count] of superseded) {
    legend.append(legendItem('superseded', CHANGE_COLOURS.superseded, `${label} (${count})`));
  }
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
    renderLegend(config, layers.changes);
    if (count === 0) showStatus('info', config.labels.noChanges);
  }
  map.render();
}

/** The toolbar's choice of baseline (shown when there are two): swipe and changes follow. */
function setUpBaselineChoice(config, review) {
  const select = document.getElementById('compare-against');
  if (!select) return;
  select.addEventListener('change', () => {
    against = Number(select.value);
    const choice = config.baselines.find((b) => b.id === against);
    const label = document.querySelector('#swipe-labels .swipe-right');
    if (choice && label) label.textContent = choice.title;
    showBaseline(config, review.layers, against);
    refreshChanges(config, review).then((count) => {
      if (count === 0) showStatus('info', config.labels.noChanges);
    });
  });
}

export function setUpCompare(config, review) {
  against = config.baseline ? config.baseline.id : null;
  review.layers.changes.setVisible(false);
  document.querySelectorAll('input[name="compare"]').forEach((input) => {
    input.addEventListener('change', () => {
      if (input.checked) applyMode(config, review, input.value);
    });
  });
  setUpBaselineChoice(config, review);
}

/** The change layer read again (after an edit of the revision or another baseline chosen),
 * and its legend when shown; resolves to the count of changes, or null when not shown. */
export async function refreshChanges(config, review) {
  const { layers, map } = review;
  changesLoaded = null;
  layers.changes.getSource().clear();
  if (map.getTargetElement().dataset.mode !== 'changes') return null;
  const count = await loadChanges(config, layers.changes);
  renderLegend(config, layers.changes);
  return count;
}

// The review map's layer switcher and legend, built from the public map's pieces
// (switcher.js rows, legend.js lists and the server's legend of the plans in force): the
// plans in force, the revision's layers by kind, the change layer in Changes mode; the
// legend lists the land-use categories the revision uses (config.legend, from the server,
// in the page's language) and those of the plans in force while they are shown.
import { el } from '../config.js';
import { legendList, renderLegend } from '../legend.js';
import { checkboxRow } from '../switcher.js';

const PHONE = '(max-width: 760px)';

/** Hides the features of switched-off kinds (MVT layer name = kind) in the given layers. */
function filterKinds(layers, hiddenKinds) {
  layers.forEach((layer) => {
    const style = layer.getStyleFunction();
    layer.setStyle((feature, resolution) => (
      hiddenKinds.has(feature.get('layer')) ? undefined : style(feature, resolution)));
  });
}

function kindRows(config, revisionLayers) {
  const hiddenKinds = new Set();
  filterKinds(revisionLayers, hiddenKinds);
  return config.layerKinds.map(({ kind, label }) => {
    const row = checkboxRow(label, true, (on) => {
      if (on) hiddenKinds.delete(kind);
      else hiddenKinds.add(kind);
      revisionLayers.forEach((layer) => layer.changed());
    });
    row.dataset.kind = kind;
    return row;
  });
}

/** The change layer's row, shown in Changes mode only (compare.js switches the layer on). */
function changeRow(config, layer) {
  const row = checkboxRow(config.labels.changeLayer, layer.getVisible(), (on) => layer.setVisible(on));
  row.dataset.layer = 'changes';
  const box = row.querySelector('input');
  layer.on('change:visible', () => { box.checked = layer.getVisible(); });
  const sync = () => {
    row.hidden = document.querySelector('input[name="compare"]:checked')?.value !== 'changes';
  };
  document.querySelectorAll('input[name="compare"]').forEach((input) => input.addEventListener('change', sync));
  sync();
  return row;
}

function renderSwitcher(container, config, review) {
  const { layers } = review;
  const context = checkboxRow(config.labels.plansInForce, layers.context.getVisible(),
    (on) => layers.context.setVisible(on));
  context.dataset.layer = 'plans';
  const revisionLayers = [layers.revision, layers.baseline].filter(Boolean);
  container.replaceChildren(
    context,
    el('h3', 'panel-subtitle', config.labels.thisRevision),
    ...kindRows(config, revisionLayers),
    changeRow(config, layers.changes),
  );
}

function renderLegends(container, config, context) {
  const revision = el('div', 'review-legend-revision');
  revision.append(el('h3', 'panel-subtitle', config.labels.legendRevision),
    config.legend.length ? legendList(config.legend) : el('p', 'muted', config.labels.noBalance));
  const inForce = el('div', 'review-legend-in-force');
  const inForceList = el('div');
  inForce.append(el('h3', 'panel-subtitle', config.labels.plansInForce), inForceList);
  container.replaceChildren(revision, inForce);
  const refresh = () => renderLegend(inForceList, config, [context]);
  context.on('change:visible', refresh);
  refresh();
}

/** Fills the "Map layers" panel; folded on a phone, where the map needs the screen. */
export function setUpMapLayers(config, review) {
  const panel = document.getElementById('map-layers');
  if (!panel) return;
  if (window.matchMedia(PHONE).matches) panel.open = false;
  renderSwitcher(document.getElementById('review-switcher'), config, review);
  renderLegends(document.getElementById('review-legend'), config, review.layers.context);
}

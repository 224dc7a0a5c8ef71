// The layer switcher: a checkbox list in the side panel. Tile layers toggle one by one;
// a revision toggles all its layers together, since a reviewer looks at a revision whole.
// The review map's switcher (review/maplayers.js) builds its rows with checkboxRow too.
import { el } from './config.js';

/** A labelled checkbox (the label makes the whole row clickable, the box focusable). */
export function checkboxRow(label, checked, onChange, extra = null) {
  const row = el('label', 'switcher-row');
  const box = el('input');
  box.type = 'checkbox';
  box.checked = checked;
  box.addEventListener('change', () => onChange(box.checked));
  row.append(box, el('span', 'switcher-title', label));
  if (extra) row.append(extra);
  return row;
}

/** Renders the switcher; `onRevisionToggle` lets feature info follow the visible revisions. */
export function renderSwitcher(container, config, tileLayers, revisionLayers, onRevisionToggle) {
  container.replaceChildren();
  container.append(el('h3', 'panel-subtitle', config.labels.plansInForce));
  for (const layer of tileLayers) {
    container.append(checkboxRow(layer.get('title'), layer.getVisible(), (on) => {
      layer.setVisible(on);
    }));
  }
  if (!config.revisions.length) return;
  container.append(el('h3', 'panel-subtitle', config.labels.myRevisions));
  for (const revision of config.revisions) {
    const layers = revisionLayers.get(revision.id) || [];
    const badge = el('span', `badge badge-${revision.state}`, revision.stateLabel);
    const row = checkboxRow(revision.title, revision.visible, (on) => {
      layers.forEach((layer) => layer.setVisible(on));
      onRevisionToggle(revision.id, on);
    }, badge);
    row.dataset.revision = String(revision.id);
    container.append(row);
    if (!revision.layers.length) {
      container.append(el('div', 'switcher-note', config.labels.noLayers));
    }
  }
}

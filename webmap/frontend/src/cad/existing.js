// The draft's layers of the kinds the mapping produces: a new revision copies every layer
// of the plan it is based on, and importing the corrected drawing beside them would double
// the lots, roads and red lines. Before Convert the page names them, with the "replace"
// checkbox (checked when copied layers are among them: layers the planner imported into
// this draft, such as part A of a plan imported in parts, are kept unless they tick it);
// the report names what was replaced.
import { el } from '../config.js';
import { format } from './status.js';

const IGNORE = 'ignore';

/** The planning kinds a mapping's targets load into (building lines: red lines). */
export function mappedKinds(config, mapping) {
  const kinds = new Set();
  Object.values(mapping).forEach((target) => {
    if (target !== IGNORE) kinds.add(config.targetKinds[target] || target);
  });
  return kinds;
}

/** "Land-use lots and zones: “plan – Lots” (copied from revision 3, 8 features)". */
export function layerText(labels, layer) {
  const count = Number(layer.feature_count) || 0;
  const features = format(count === 1 ? labels.featuresOne : labels.featuresMany, { count });
  const values = {
    kind: labels.kinds[layer.kind] || layer.kind,
    name: layer.name,
    number: layer.copied_from,
    features,
  };
  return format(layer.copied_from ? labels.existingCopied : labels.existingOwn, values);
}

/** Shows the draft's layers of the mapped kinds (or hides the box when there are none).
 * The checkbox is set each time such layers appear, checked when one of them is a copy;
 * the planner's choice is kept while they stay. */
export function showExisting(config, mapping) {
  const box = document.getElementById('existing-layers');
  const checkbox = document.getElementById('replace-layers');
  const kinds = mappedKinds(config, mapping);
  const same = config.draftLayers.filter((layer) => kinds.has(layer.kind));
  if (!same.length) {
    box.hidden = true;
    checkbox.checked = false;
    return;
  }
  if (box.hidden) checkbox.checked = same.some((layer) => layer.copied_from);
  box.hidden = false;
  const list = el('ul', 'existing-list');
  same.forEach((layer) => {
    const item = el('li', '', layerText(config.labels, layer));
    item.dataset.layerId = String(layer.id);
    list.append(item);
  });
  document.getElementById('existing-layers-list').replaceChildren(list);
}

/** Whether the import is to replace them: the box shown and its checkbox checked. */
export function replaceChosen() {
  return !document.getElementById('existing-layers').hidden
    && document.getElementById('replace-layers').checked;
}

/** After a successful import: the draft lost the replaced layers and holds the new ones. */
export function updateDraftLayers(config, result) {
  const gone = new Set((result?.replaced_layers || []).map((layer) => layer.id));
  const added = (result?.layers || []).map((layer) => ({ ...layer, copied_from: null }));
  config.draftLayers = [...config.draftLayers.filter((layer) => !gone.has(layer.id)), ...added];
}

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
 * The checkbox takes its default (checked when one of them is a copy) whenever the listed
 * layers change and when another file is chosen (`fresh`): a tick given for part A of a plan
 * must not carry over to part B and remove part A. The planner's choice is kept otherwise.
 * The listed ids are kept on the box: the import replaces only those (replace_layer_ids). */
export function showExisting(config, mapping, { fresh = false } = {}) {
  const box = document.getElementById('existing-layers');
  const checkbox = document.getElementById('replace-layers');
  const kinds = mappedKinds(config, mapping);
  const same = config.draftLayers.filter((layer) => kinds.has(layer.kind));
  const ids = same.map((layer) => String(layer.id)).join(' ');
  if (fresh || ids !== (box.dataset.layerIds || '')) {
    checkbox.checked = same.some((layer) => layer.copied_from);
  }
  box.dataset.layerIds = ids;
  box.hidden = !same.length;
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

/** The job's replace fields: replace_layers, and the ids of the layers listed, so that a
 * layer added to the draft since (a colleague's import) is kept, not removed unseen. */
export function appendReplace(form) {
  const chosen = replaceChosen();
  form.append('replace_layers', chosen ? 'true' : 'false');
  if (!chosen) return;
  const ids = document.getElementById('existing-layers').dataset.layerIds || '';
  ids.split(' ').filter(Boolean).forEach((id) => form.append('replace_layer_ids', id));
}

/** After a successful import: the draft lost the replaced layers and holds the new ones. */
export function updateDraftLayers(config, result) {
  const gone = new Set((result?.replaced_layers || []).map((layer) => layer.id));
  const added = (result?.layers || []).map((layer) => ({ ...layer, copied_from: null }));
  config.draftLayers = [...config.draftLayers.filter((layer) => !gone.has(layer.id)), ...added];
}

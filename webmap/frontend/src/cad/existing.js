// The draft's layers of the kinds the mapping produces: a new revision copies every layer
// of the plan it is based on, and importing the corrected drawing beside them would double
// the lots, roads and red lines. Before Convert the page names them, each with a
// "replace" checkbox (copies ticked, the planner's own imports not); the report names what
// was replaced.
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

// The planner's tick of each listed layer (by id), kept while the same file is mapped.
const ticks = new Map();

/** Shows the draft's layers of the mapped kinds (or hides the box when there are none),
 * each with its own "replace" checkbox: ticked by default for a copy, unticked for a layer
 * the planner imported into this draft (part A of a plan imported in parts is never
 * removed by a default), the planner's own tick kept while the list changes with the
 * mapping; another file (`fresh`) starts from the defaults again. Only the ticked layers
 * are replaced (replace_layer_ids), so a layer added since (a colleague's) is kept. */
export function showExisting(config, mapping, { fresh = false } = {}) {
  if (fresh) ticks.clear();
  const box = document.getElementById('existing-layers');
  const kinds = mappedKinds(config, mapping);
  const same = config.draftLayers.filter((layer) => kinds.has(layer.kind));
  box.hidden = !same.length;
  const list = el('ul', 'existing-list');
  same.forEach((layer) => list.append(existingItem(config.labels, layer)));
  document.getElementById('existing-layers-list').replaceChildren(list);
}

function existingItem(labels, layer) {
  const id = String(layer.id);
  const checkbox = el('input', 'replace-layer');
  checkbox.type = 'checkbox';
  checkbox.dataset.layerId = id;
  checkbox.checked = ticks.has(id) ? ticks.get(id) : Boolean(layer.copied_from);
  checkbox.addEventListener('change', () => ticks.set(id, checkbox.checked));
  const label = el('label');
  label.append(checkbox, ` ${layerText(labels, layer)}`);
  const item = el('li');
  item.dataset.layerId = id;
  item.append(label);
  return item;
}

/** The ids of the layers ticked for replacement (none while the list is hidden). */
export function tickedIds() {
  if (document.getElementById('existing-layers').hidden) return [];
  return [...document.querySelectorAll('#existing-layers input.replace-layer:checked')].map(
    (input) => input.dataset.layerId,
  );
}

/** The job's replace fields: replace_layers, and the ids of the ticked layers. */
export function appendReplace(form) {
  const ids = tickedIds();
  form.append('replace_layers', ids.length ? 'true' : 'false');
  ids.forEach((id) => form.append('replace_layer_ids', id));
}

/** After a successful import: the draft lost the replaced layers and holds the new ones,
 * and those it kept (a colleague's import the page did not list yet). */
export function updateDraftLayers(config, result) {
  const gone = new Set((result?.replaced_layers || []).map((layer) => layer.id));
  const added = (result?.layers || []).map((layer) => ({ ...layer, copied_from: null }));
  const kept = config.draftLayers.filter((layer) => !gone.has(layer.id));
  const known = new Set([...kept, ...added].map((layer) => layer.id));
  const unseen = (result?.same_kind_layers || []).filter((layer) => !known.has(layer.id));
  config.draftLayers = [...kept, ...unseen, ...added];
}

// The conversion report: features per output layer, warnings and notes, and every entity
// that was skipped, could not be closed or has a label problem. Each entry with a place
// is a button: it highlights its ring on the map and moves the map there.
import { el } from '../config.js';
import { focusIssue, showIssues } from './map.js';
import { layerText } from './existing.js';
import { format, formatCount } from './status.js';

function featureTable(labels, features) {
  const entries = Object.entries(features || {});
  if (!entries.length) return el('p', 'muted', labels.noFeatures);
  const table = el('table', 'data report-features');
  const head = el('tr');
  head.append(el('th', '', labels.outputLayer), el('th', 'num', labels.features));
  const body = el('tbody');
  entries.forEach(([kind, count]) => {
    const row = el('tr');
    row.dataset.kind = kind;
    row.append(el('td', '', labels.kinds[kind] || kind), el('td', 'num', formatCount(count)));
    body.append(row);
  });
  const thead = el('thead');
  thead.append(head);
  table.append(thead, body);
  return table;
}

function messageList(title, items) {
  const box = el('div', 'report-messages');
  if (!items || !items.length) return box;
  const list = el('ul');
  items.forEach((text) => list.append(el('li', '', String(text))));
  box.append(el('h3', 'panel-subtitle', title), list);
  return box;
}

const SHOWN_TEXTS = 3; // of a lot's texts in a label problem (a title block holds hundreds)
const SHOWN_CHARS = 160;

function clip(text) {
  const value = String(text ?? '');
  return value.length > SHOWN_CHARS ? `${value.slice(0, SHOWN_CHARS - 1)}…` : value;
}

/** One line describing an entry, by its group. */
function describe(labels, group, entry) {
  if (group === 'unclosed') {
    const refs = (entry.refs || []).slice(0, 3).join(', ');
    const length = format(labels.length, { length: formatCount(entry.length) });
    return [length, refs].filter(Boolean).join(' · ');
  }
  if (group === 'labelIssues') {
    const texts = (entry.texts || []).slice(0, SHOWN_TEXTS).map(clip);
    const more = (entry.texts || []).length - texts.length;
    if (more > 0) texts.push(format(labels.moreTexts, { count: more }));
    return [clip(entry.problem), texts.join(' / ')].filter(Boolean).join(': ');
  }
  const entity = entry.handle ? `${entry.type} #${entry.handle}` : entry.type; // as AutoCAD finds it
  return [entry.layer, entity, entry.reason].filter(Boolean).join(' · ');
}

/** On a phone the map sits above the long panel, out of sight: scroll it into view so the
 * entry just centred is seen (beside the panel, on a wide screen, nothing moves). */
function bringMapIntoView() {
  const map = document.getElementById('map');
  const { top, bottom } = map.getBoundingClientRect();
  if (top < 0 || bottom > window.innerHeight) map.scrollIntoView({ block: 'start' });
}

function entryRow(cadMap, labels, group, entry, feature) {
  const row = el('li', `report-entry report-${group}`);
  const button = el('button', 'finding-button');
  button.type = 'button';
  button.append(el('span', 'finding-message', describe(labels, group, entry)));
  if (!feature) {
    button.disabled = true;
    button.append(el('span', 'muted', ` (${labels.noLocation})`));
  } else {
    button.addEventListener('click', () => {
      focusIssue(cadMap, feature);
      bringMapIntoView();
    });
  }
  row.append(button);
  return row;
}

const GROUPS = [['skipped', 'skipped'], ['unclosed', 'unclosed'], ['labelIssues', 'label_issues']];

/** "1.000 listed of 21.622" when the report kept only the first entries of a long list. */
function countText(labels, report, group, listed) {
  const key = Object.fromEntries(GROUPS)[group];
  const total = Number((report.totals || {})[key] ?? listed);
  if (total <= listed) return formatCount(listed);
  return format(labels.listedOf, { listed, total });
}

function issueSections(cadMap, labels, report) {
  const all = GROUPS.flatMap(([group, key]) => (report[key] || []).map((entry) => ({ group, entry })));
  const features = showIssues(cadMap, all.map((item) => item.entry));
  return GROUPS.map(([group]) => {
    const section = el('div', 'report-group');
    section.dataset.group = group;
    const mine = all.map((item, i) => ({ ...item, feature: features[i] })).filter((i) => i.group === group);
    section.append(el('h3', 'panel-subtitle', `${labels[group]} (${countText(labels, report, group, mine.length)})`));
    const list = el('ol', 'finding-list');
    if (!mine.length) list.append(el('li', 'muted', labels.noIssues));
    mine.forEach((item) => list.append(entryRow(cadMap, labels, group, item.entry, item.feature)));
    section.append(list);
    return section;
  });
}

/** "lots: code, function" per GIS source layer that lacks attributes its kind expects. */
function missingAttributes(report) {
  return (report.layers || [])
    .filter((layer) => (layer.missing_attributes || []).length)
    .map((layer) => `${layer.source_layer}: ${layer.missing_attributes.join(', ')}`);
}

/** Renders a job's report into the report section and its entries onto the map. */
export function renderReport(config, cadMap, report) {
  const { labels } = config;
  document.getElementById('step-report').hidden = false;
  document.getElementById('report-features').replaceChildren(featureTable(labels, report.features));
  const replaced = (report.replaced_layers || []).map((layer) => layerText(labels, layer));
  const replacedList = messageList(labels.replacedLayers, replaced);
  replacedList.id = 'report-replaced';
  const kept = (report.same_kind_layers || []).map((layer) => layerText(labels, layer));
  const keptList = messageList(labels.keptLayers, kept);
  keptList.id = 'report-kept';
  document.getElementById('report-messages').replaceChildren(
    replacedList,
    keptList,
    messageList(labels.warnings, report.warnings),
    messageList(labels.missingAttributes, missingAttributes(report)),
    messageList(labels.notes, report.notes),
  );
  document.getElementById('report-issues').replaceChildren(...issueSections(cadMap, labels, report));
}

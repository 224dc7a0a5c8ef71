// Feature info on the review map: a click (when no comment is being pinned) shows what lies
// there, the revision's features first and then the plans in force, each with its layer,
// land-use category and planning attributes under their translated names, numbers in the
// page's language; in the "Changes" mode also what changed there. The box closes with its
// button or Escape, and focus goes back to the map if it was in the box. A planner of a
// draft edits a feature's attributes from its card (attributes_edit.js).
import { toLonLat } from 'ol/proj';
import { attributeRows, formatValue, row } from '../attributes.js';
import { el, interpolate as format } from '../config.js';
import { request } from './api.js';
import { editButton } from './attributes_edit.js';
import { loadFindings } from './findings.js';
import { loadBalance } from './balance.js';
import { changeLabel, refreshChanges } from './compare.js';

const HIT_PIXELS = 3;
const MAX_TOLERANCE_M = 500; // the API's own cap

function cardHeader(title, colour) {
  const header = el('header', 'info-header');
  const swatch = el('span', 'legend-swatch');
  swatch.style.backgroundColor = colour || 'transparent';
  header.append(swatch, el('strong', '', title));
  return header;
}

function featureCard(labels, feature, edit = null) {
  const kind = (labels.kinds || {})[feature.kind] || feature.kind;
  const code = (feature.attributes || {}).code;
  const title = [feature.category_name || kind, code].filter(Boolean).join(' · ');
  const card = el('article', 'info-card');
  card.dataset.featureId = String(feature.id);
  const table = el('table', 'info-table');
  const layerName = feature.layer_title || feature.layer_name; // kind label in the page's language
  table.append(row(labels.layer, layerName ? `${kind} · ${layerName}` : kind));
  if (feature.category) {
    const name = feature.category_name ? ` — ${feature.category_name}` : '';
    table.append(row(labels.category, `${feature.category}${name}`));
  }
  const state = (labels.states || {})[feature.state] || feature.state;
  table.append(row(labels.revision, format(labels.revisionState, { number: feature.revision_number, state })));
  table.append(...attributeRows(labels, feature.attributes || {}));
  card.append(cardHeader(title, feature.colour), table);
  const button = edit && edit(feature, card);
  if (button) card.append(button);
  return card;
}

function changedKeys(before, after) {
  const keys = new Set([...Object.keys(before || {}), ...Object.keys(after || {})]);
  return [...keys].filter((key) => JSON.stringify((before || {})[key]) !== JSON.stringify((after || {})[key]));
}

function changeCard(labels, change) {
  const type = change.get('change');
  const kind = (labels.kinds || {})[change.get('kind')] || change.get('kind') || '';
  const title = [changeLabel(labels, change), change.get('code')].filter(Boolean).join(' · ');
  const card = el('article', `info-card info-change change-card-${type}`);
  const table = el('table', 'info-table');
  table.append(row(labels.layer, kind));
  const [before, after] = [change.get('before'), change.get('after')];
  if (before && after) {
    const keys = changedKeys(before, after);
    const names = labels.attributes || {};
    keys.forEach((key) => {
      const was = formatValue(labels, key, before[key]);
      const now = formatValue(labels, key, after[key]);
      table.append(row(names[key] || key, `${was || '—'} → ${now || '—'}`));
    });
  }
  card.append(cardHeader(title, null), table);
  return card;
}

function group(title, cards) {
  const section = el('section', 'info-group');
  section.append(el('h3', 'panel-subtitle', title), ...cards);
  return section;
}

function infoUrl(config, map, coordinate) {
  const [lon, lat] = toLonLat(coordinate);
  const metresPerPixel = map.getView().getResolution() * Math.cos((lat * Math.PI) / 180);
  const tolerance = Math.min(Math.max(metresPerPixel * HIT_PIXELS, 0.5), MAX_TOLERANCE_M);
  const params = new URLSearchParams({
    lon: lon.toFixed(7), lat: lat.toFixed(7), tolerance: tolerance.toFixed(2),
    revisions: String(config.revision.id),
  });
  return `${config.urls.featureInfo}?${params}`;
}

function changesAt(review, pixel) {
  const { map, layers } = review;
  if (map.getTargetElement().dataset.mode !== 'changes') return [];
  const found = [];
  map.forEachFeatureAtPixel(pixel, (feature) => { found.push(feature); }, {
    layerFilter: (layer) => layer === layers.changes, hitTolerance: HIT_PIXELS,
  });
  const boundaryLast = (change) => (change.get('kind') === 'boundary' ? 1 : 0);
  return found.sort((a, b) => boundaryLast(a) - boundaryLast(b));
}

async function contentAt(config, review, event, edit) {
  const { labels } = config;
  const changes = changesAt(review, event.pixel);
  const data = await request(infoUrl(config, review.map, event.coordinate), { labels });
  const features = data.features || [];
  const own = features.filter((f) => f.revision_id === config.revision.id);
  const inForce = features.filter((f) => f.revision_id !== config.revision.id);
  const groups = [];
  if (changes.length) groups.push(group(labels.changeTitle, changes.map((c) => changeCard(labels, c))));
  if (own.length) groups.push(group(labels.thisRevision, own.map((f) => featureCard(labels, f, edit))));
  if (inForce.length) groups.push(group(labels.plansInForce, inForce.map((f) => featureCard(labels, f))));
  return groups.length ? groups : [el('p', 'muted', labels.infoNone)];
}

class InfoBox {
  constructor(config, review, box) {
    this.config = config;
    this.review = review;
    this.box = box;
    this.body = box.querySelector('.feature-info-body');
    this.shown = 0; // the latest click wins when answers come back out of order
    box.querySelector('[data-close-info]').addEventListener('click', () => this.close());
    document.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || this.box.hidden) return;
      if (document.activeElement && document.activeElement.closest('.attribute-form')) return;
      this.close(); // but not from inside an attribute form: its input would be lost
    });
  }

  async show(event) {
    const ticket = ++this.shown;
    this.body.replaceChildren(el('p', 'muted', this.config.labels.loading));
    this.box.hidden = false;
    const edit = (feature, card) => editButton(this.config, feature, card, (changed) => {
      if (changed) this.saved(event);
    });
    let content;
    try {
      content = await contentAt(this.config, this.review, event, edit);
    } catch (error) {
      content = [el('p', 'error', this.config.labels.infoError)];
    }
    if (ticket !== this.shown) return;
    this.body.replaceChildren(...content);
    this.box.dataset.loaded = String(ticket);
    this.box.querySelector('.feature-info-title').focus();
  }

  /** After an edit: the revision's tiles, the (now outdated) findings, the balance, the
   * change layer and this card anew, at the clicked place wherever the map moved since. */
  saved(event) {
    const { config, review } = this;
    review.layers.revision.getSource().refresh();
    loadFindings(config, review);
    loadBalance(config);
    refreshChanges(config, review);
    this.show({ coordinate: event.coordinate, pixel: review.map.getPixelFromCoordinate(event.coordinate) });
  }

  close() {
    const hadFocus = this.box.contains(document.activeElement);
    this.shown += 1;
    this.box.hidden = true;
    this.body.replaceChildren();
    if (hadFocus) this.review.map.getTargetElement().focus();
  }
}

/** Feature info for clicks no other use (the comment pin) has claimed. */
export function setUpFeatureInfo(config, review) {
  const box = document.getElementById('feature-info');
  if (!box) return;
  const info = new InfoBox(config, review, box);
  review.onClick((event) => {
    info.show(event);
    return true;
  });
}

// A feature's planning attributes as the map pages show them: under their translated names
// (labels.attributes, from webmap/featurelabels.py) in the schema's order, then any others by
// name; numbers in the page's language ("35,5" and "10.000" in Vietnamese) where the
// attribute is a quantity: a lot code or a year stored as a number is shown as it is.
import { el } from './config.js';

const numberFormat = new Intl.NumberFormat(document.documentElement.lang || undefined, {
  maximumFractionDigits: 2,
});

export function formatValue(labels, key, value) {
  if (value == null) return '';
  const numeric = (labels.numericAttributes || []).includes(key);
  if (typeof value === 'number') {
    return numeric || !Number.isInteger(value) ? numberFormat.format(value) : String(value);
  }
  if (numeric && /^-?\d+(\.\d+)?$/.test(String(value).trim())) return numberFormat.format(Number(value));
  const named = (labels.valueLabels || {})[key];
  if (named && typeof value === 'string' && named[value]) return named[value];
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function row(label, value) {
  const tr = el('tr');
  tr.append(el('th', '', label), el('td', '', value == null ? '' : String(value)));
  return tr;
}

/** Table rows of the attributes in the schema's order (as labelled), then the others. */
export function attributeRows(labels, attributes) {
  const names = labels.attributes || {};
  const known = Object.keys(names).filter((key) => key in attributes);
  const others = Object.keys(attributes).filter((key) => !(key in names)).sort();
  return [...known, ...others]
    .filter((key) => attributes[key] !== '' && attributes[key] != null)
    .map((key) => row(names[key] || key, formatValue(labels, key, attributes[key])));
}

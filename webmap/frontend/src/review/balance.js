// The land-use balance table: area and share per category, with the total compared to the
// plan boundary. Numbers are formatted in the page's language.
import { el } from '../config.js';
import { request } from './api.js';

const lang = document.documentElement.lang || undefined;
const area = new Intl.NumberFormat(lang, { maximumFractionDigits: 1, minimumFractionDigits: 1 });
// The locale's own percent pattern (vi "35,27%", en "35.27%"); signDisplay 'negative'
// keeps a share that rounds to zero from reading "-0,00%".
const percent = new Intl.NumberFormat(lang, {
  style: 'percent', maximumFractionDigits: 2, minimumFractionDigits: 2, signDisplay: 'negative',
});

function cell(tag, text, className = '') {
  return el(tag, className, text == null ? '' : String(text));
}

/** The API gives shares in percent (0–100). Rounded to the digits shown first, so that
 * a tiny negative difference is a plain zero even where signDisplay is not supported. */
function share(value) {
  if (value == null) return '';
  const rounded = Math.round(value * 100) / 100;
  return percent.format((rounded === 0 ? 0 : rounded) / 100);
}

// Lots without a category come as a row of their own, code "" and the name "Uncategorised".
function row(entry) {
  const tr = el('tr', entry.code ? '' : 'balance-uncategorised');
  const code = cell('td', '');
  const swatch = el('span', 'legend-swatch');
  swatch.style.backgroundColor = entry.colour || 'transparent';
  code.append(swatch, document.createTextNode(entry.code ? ` ${entry.code}` : ''));
  tr.append(code, cell('td', entry.name), cell('td', area.format(entry.area), 'num'),
    cell('td', share(entry.share), 'num'), cell('td', entry.lots, 'num'));
  return tr;
}

function table(config, data) {
  const { labels } = config;
  const node = el('table', 'data balance-table');
  const head = el('tr');
  [labels.code, labels.category, labels.area, labels.share, labels.lots]
    .forEach((text, i) => head.append(cell('th', text, i > 1 ? 'num' : '')));
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  data.rows.forEach((entry) => tbody.append(row(entry)));
  const tfoot = el('tfoot');
  const total = el('tr');
  // The server's total share, from the unrounded areas: the rows' rounded shares may add up
  // to 99.99 % where the lots cover the whole boundary.
  total.append(cell('th', labels.total), cell('th', ''), cell('th', area.format(data.total_area), 'num'),
    cell('th', share(data.total_share), 'num'), cell('th', ''));
  tfoot.append(total);
  node.append(thead, tbody, tfoot);
  return node;
}

function facts(config, data) {
  const list = el('dl', 'facts facts-compact balance-facts');
  if (data.boundary_area != null) {
    list.append(el('dt', '', config.labels.boundaryArea), el('dd', '', `${area.format(data.boundary_area)} m²`));
  }
  if (data.difference_pct != null) {
    list.append(el('dt', '', config.labels.difference), el('dd', '', share(data.difference_pct)));
  }
  return list;
}

const pluralRules = new Intl.PluralRules(lang);

/** "3 features of the land-use layers are not polygons…": lots the table cannot measure. */
function withoutArea(config, count) {
  const forms = config.labels.withoutArea;
  const template = forms[pluralRules.select(count)] || forms.other;
  return el('p', 'muted balance-without-area', template.replace('%(count)d', count.toLocaleString(lang)));
}

export async function loadBalance(config) {
  const container = document.getElementById('balance-table');
  try {
    const data = await request(config.urls.balance, { labels: config.labels });
    container.replaceChildren();
    const unmeasured = Number(data.without_area) || 0;
    // "No lots" only when there are none at all, measured or not.
    if (!data.rows.length && !unmeasured) container.append(el('p', 'muted', config.labels.noBalance));
    if (data.rows.length) container.append(table(config, data), facts(config, data));
    if (unmeasured) container.append(withoutArea(config, unmeasured));
  } catch (error) {
    container.replaceChildren(el('p', 'error', error.message));
  }
}

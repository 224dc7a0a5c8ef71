// The QA findings list: one row per finding (severity icon, message); clicking a row
// highlights its geometry on the map and zooms to it. "Run again" re-runs the checks. The
// summary says whether the checks ran on the current content (not checked yet, outdated).
import { el } from '../config.js';
import { request } from './api.js';
import { geojson, zoomTo } from './map.js';
import { counted } from './plural.js';
import { showStatus } from './status.js';

function select(layer, feature) {
  layer.getSource().getFeatures().forEach((f) => f.set('selected', f === feature));
}

function findingRow(config, review, feature) {
  const severity = feature.get('severity');
  const row = el('li', `finding finding-${severity}`);
  const button = el('button', 'finding-button');
  button.type = 'button';
  const icon = el('span', `severity-icon severity-${severity}`, severity === 'error' ? '!' : '▲');
  icon.title = severity === 'error' ? config.labels.error : config.labels.warning;
  icon.setAttribute('aria-label', icon.title);
  button.append(icon, el('span', 'finding-message', feature.get('message') || feature.get('rule')));
  if (!feature.getGeometry()) button.disabled = true;
  button.addEventListener('click', () => {
    select(review.layers.findings, feature);
    zoomTo(review.map, feature.getGeometry());
  });
  row.append(button);
  return row;
}

/** "No findings" is only true of checks that ran on the current content: a draft never
 * checked, or changed since, says so (the server's `status`). */
function summaryOf(config, data, count) {
  const { labels } = config;
  const run = config.canRerunQa ? 'Run' : '';
  if (data.status === 'not_checked') return [labels[`qaNotChecked${run}`], 'qa-stale'];
  const counts = `${counted(labels.errorCount, data.errors)}, ${counted(labels.warningCount, data.warnings)}`;
  if (data.status === 'outdated') {
    const text = labels[`qaOutdated${run}`];
    return [count ? `${text} (${counts})` : text, 'qa-stale'];
  }
  if (!count) return [labels.noFindings, 'muted'];
  return [counts, data.errors ? 'error' : 'muted'];
}

function render(config, review, data) {
  const features = geojson.readFeatures(data);
  const source = review.layers.findings.getSource();
  source.clear();
  source.addFeatures(features.filter((f) => f.getGeometry()));
  const list = document.getElementById('qa-findings');
  const summary = document.getElementById('qa-summary');
  list.replaceChildren(...features.map((f) => findingRow(config, review, f)));
  [summary.textContent, summary.className] = summaryOf(config, data, features.length);
  document.getElementById('qa').dataset.qaStatus = data.status || '';
  const rerun = document.getElementById('qa-rerun');
  if (rerun) {
    const { runChecks, runAgain } = config.labels;
    rerun.textContent = data.status === 'not_checked' ? runChecks : runAgain;
  }
}

export async function loadFindings(config, review, method = 'GET') {
  try {
    render(config, review, await request(config.urls.qa, { method, labels: config.labels }));
  } catch (error) {
    document.getElementById('qa-summary').textContent = error.message;
    if (method !== 'GET') showStatus('error', error.message);
  }
}

export function setUpFindings(config, review) {
  const rerun = document.getElementById('qa-rerun');
  if (rerun) {
    rerun.addEventListener('click', async () => {
      rerun.disabled = true;
      await loadFindings(config, review, 'POST');
      rerun.disabled = false;
    });
  }
  return loadFindings(config, review);
}

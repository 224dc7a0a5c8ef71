// The CAD import page: upload a drawing → its CAD layers with entity counts and a preview
// on the map → the mapping to planning layers (guesses, presets), CRS, encoding and control
// points → the conversion job with progress and Cancel → the report, whose entries are
// located on the map → the draft revision on the map. Configuration and labels come from
// the server (json_script), as on the review page.
import './cad.css';
import { el, readConfig } from './config.js';
import { inspect } from './cad/api.js';
import {
  createCadMap, onPreviewClick, pixelAt, restylePreview, showIssues, showPreview, showResult,
} from './cad/map.js';
import {
  applyMapping, currentChoices, hasMappedLayer, kindLookup, pickLayer, readMapping, renderLayers,
} from './cad/layers.js';
import {
  checkControlInputs, readControlPoints, readCrs, setCrs, setUpCrs,
} from './cad/crs.js';
import { getPreset, loadPresets, savePreset } from './cad/presets.js';
import { follow, requestCancel, showJob, start as startJob } from './cad/job.js';
import { renderReport } from './cad/report.js';
import { appendReplace, showExisting, updateDraftLayers } from './cad/existing.js';
import { clearStatus, format, formatDecimal, showStatus } from './cad/status.js';
import { parseNumber } from './numbers.js';

// busy: a job is being started or followed; converted: these choices were imported
// already (a second click would load the same layers again) until the file, the mapping,
// the CRS or the encoding changes.
// inspected: the file whose layers the table shows; Convert waits for it to be the chosen
// one (a file still being read, or one that could not be read, converts nothing).
// rejected: the last reading of that file failed (a control point or CRS typo shown as an
// error): the table stays, but Convert waits until the choices are read without error.
// badNumbers: a control point's text is no number (said at the field); Convert waits too.
const state = {
  file: null,
  inspected: null,
  rejected: false,
  badNumbers: false,
  presetMapping: null,
  job: null,
  busy: false,
  converted: false,
};
const byId = (id) => document.getElementById(id);

function updateStartButton() {
  const read = Boolean(state.file) && state.inspected === state.file && !state.rejected
    && !state.badNumbers;
  const mapped = hasMappedLayer(readMapping());
  byId('cad-start').disabled = state.busy || state.converted || !read || !mapped;
  byId('cad-converted-hint').hidden = !state.converted;
  // Why Convert waits, when it is the planner's move: every layer is "Ignore".
  byId('cad-start-hint').hidden = !read || mapped || state.busy;
}

function choicesChanged() {
  state.converted = false;
  updateStartButton();
}

function onMappingChange(page) {
  state.converted = false;
  page.kindOf.reset();
  restylePreview(page.cadMap);
  showExisting(page.config, readMapping());
  updateStartButton();
}

function summarise(config, data, drawn) {
  const { labels } = config;
  const parts = [format(labels.previewSummary, { shown: drawn })];
  if (data.preview_truncated) parts.push(labels.previewCapped);
  // nothing placed on the map: a wrong coordinate system, or no lines and areas at all
  if (!drawn) parts.push(data.drawable === 0 ? labels.noShapes : labels.noPreview);
  if (data.crs) {
    const source = labels.crsSources[data.crs_source] || data.crs_source || '';
    parts.push(format(labels.placedIn, { crs: data.crs, source }));
  }
  if (data.transform) {
    const { scale, rotation_deg: rotation } = data.transform;
    parts.push(format(labels.transformUsed, {
      scale: formatDecimal(scale, 5), rotation: formatDecimal(rotation, 3),
    }));
  }
  byId('inspect-summary').textContent = parts.join(' ');
}

/** The previous drawing's layers and preview go when another file cannot be read: they
 * would pass for this file's. */
function forgetDrawing(page) {
  state.inspected = null;
  byId('cad-layers').replaceChildren(el('p', 'muted', page.config.labels.unreadable));
  showPreview(page.cadMap, null, null);
  updateStartButton();
}

/** Reads the chosen file's layers and preview (again after a CRS change); resolves to
 * 'inspected', 'failed' (the line says why) or 'skipped' (no file, or another chosen since). */
async function inspectDrawing(page) {
  const { file } = state;
  if (!file) return 'skipped';
  const { config } = page;
  byId('inspect-summary').textContent = config.labels.reading;
  updateStartButton();
  try {
    const data = await inspect(config, file, readCrs(), readControlPoints(config.labels));
    if (file !== state.file) return 'skipped'; // another file was chosen meanwhile
    state.inspected = file;
    state.rejected = false;
    const previous = currentChoices();
    renderLayers(config, data.layers || [], previous, () => onMappingChange(page));
    if (!previous.size && state.presetMapping) applyMapping(state.presetMapping);
    onMappingChange(page);
    summarise(config, data, showPreview(page.cadMap, data.preview, data.extent));
    if (data.warnings && data.warnings.length) showStatus('warning', data.warnings.join(' '));
    else clearStatus();
    document.body.dataset.cadStep = 'inspected';
    return 'inspected';
  } catch (error) {
    if (file !== state.file) return 'skipped';
    byId('inspect-summary').textContent = '';
    state.rejected = true;
    if (state.inspected !== file) forgetDrawing(page); // a CRS typo keeps this file's table
    showStatus('error', error.message);
    updateStartButton();
    return 'failed';
  }
}

async function applyPreset(page) {
  const name = byId('preset-select').value;
  if (!name) return;
  try {
    const preset = await getPreset(page.config, name);
    state.presetMapping = preset.mapping || {};
    applyMapping(state.presetMapping);
    if (preset.encoding) byId('cad-encoding').value = preset.encoding;
    limitEncodings(page.config, state.file); // a GIS preset's encoding does not fit a drawing
    const crsChanged = (preset.crs || '') !== readCrs();
    setCrs(preset.crs || '');
    onMappingChange(page);
    // a new preview clears the line, or warns or fails: then that matters more
    const outcome = crsChanged ? await inspectDrawing(page) : 'skipped';
    const said = outcome === 'failed' || (outcome === 'inspected' && !byId('cad-status').hidden);
    if (!said) {
      showStatus('success', format(page.config.labels.presetLoaded, { name }));
    }
  } catch (error) {
    showStatus('error', error.message);
  }
}

async function saveCurrentPreset(page) {
  const { config } = page;
  const name = byId('preset-name').value.trim();
  if (!name) {
    showStatus('error', config.labels.presetName);
    return;
  }
  const preset = {
    name, mapping: readMapping(), encoding: byId('cad-encoding').value, crs: readCrs(), description: '',
  };
  try {
    await savePreset(config, preset);
    await loadPresets(config, name);
    showStatus('success', format(config.labels.presetSaved, { name }));
  } catch (error) {
    showStatus('error', error.message);
  }
}

function jobForm(config) {
  const mapping = readMapping();
  if (!hasMappedLayer(mapping)) throw new Error(config.labels.nothingMapped);
  const points = readControlPoints(config.labels);
  const form = new FormData();
  form.append('file', state.file);
  form.append('mapping', JSON.stringify(mapping));
  form.append('encoding', byId('cad-encoding').value);
  const crs = readCrs();
  if (crs) form.append('crs', crs);
  if (points) form.append('control_points', JSON.stringify(points));
  appendReplace(form);
  return form;
}

function finish(page, job) {
  const { config, cadMap } = page;
  if (job.report && Object.keys(job.report).length) {
    renderReport(config, cadMap, job.report);
    byId('step-report').scrollIntoView({ block: 'start' });
  }
  if (job.state === 'succeeded') {
    updateDraftLayers(config, job.result); // a second conversion sees the draft as it is now
    showExisting(config, readMapping());
    showResult(cadMap);
    byId('toggle-result').disabled = false;
    byId('result-links').hidden = false;
    showStatus('success', config.labels.succeeded);
  } else if (job.state === 'cancelled') {
    showStatus('info', config.labels.cancelled);
  } else {
    showStatus('error', job.message || config.labels.failed);
  }
}

/** Forgets the previous job's report before a new one starts. */
function clearReport(page) {
  byId('step-report').hidden = true;
  byId('result-links').hidden = true;
  showIssues(page.cadMap, []);
}

async function runJob(page) {
  if (state.busy) return; // a second click while the first one's request is on its way
  const { config } = page;
  state.busy = true;
  updateStartButton();
  clearStatus();
  clearReport(page);
  try {
    state.job = await startJob(config, jobForm(config));
    byId('step-job').scrollIntoView({ block: 'nearest' });
    const job = await follow(config, state.job, (current) => { state.job = current; showJob(config, current); });
    state.converted = job.state === 'succeeded';
    finish(page, job);
  } catch (error) {
    showStatus('error', error.message);
  } finally {
    state.busy = false;
    updateStartButton();
  }
}

/** Drawings take only the legacy encodings: the GIS-only ones are disabled. */
function limitEncodings(config, file) {
  const name = file ? file.name.toLowerCase() : '';
  const drawing = config.drawingSuffixes.some((suffix) => name.endsWith(suffix));
  const select = byId('cad-encoding');
  select.querySelectorAll('option[data-gis-only]').forEach((option) => {
    option.disabled = drawing;
  });
  if (select.selectedOptions[0]?.disabled) select.value = 'auto';
}

function bindControls(page) {
  byId('cad-file').addEventListener('change', (event) => {
    [state.file] = event.target.files;
    state.file = state.file || null;
    limitEncodings(page.config, state.file);
    showExisting(page.config, readMapping(), { fresh: true }); // part B: not part A's tick
    choicesChanged();
    inspectDrawing(page);
  });
  byId('cad-encoding').addEventListener('change', choicesChanged);
  byId('cad-crs').addEventListener('change', choicesChanged);
  byId('control-points').addEventListener('change', () => {
    state.badNumbers = !checkControlInputs(page.config.labels); // said at the field
    choicesChanged();
    if (state.badNumbers) return;
    try {
      readControlPoints(page.config.labels); // half typed: wait for the rest
    } catch (error) {
      return;
    }
    inspectDrawing(page);
  });
  byId('preset-apply').addEventListener('click', () => applyPreset(page));
  byId('preset-save').addEventListener('click', () => saveCurrentPreset(page));
  byId('cad-start').addEventListener('click', () => runJob(page));
  byId('job-cancel').addEventListener('click', () => {
    if (state.job) requestCancel(page.config, state.job.id).catch((e) => showStatus('error', e.message));
  });
  onPreviewClick(page.cadMap, pickLayer);
  byId('toggle-preview').addEventListener('change', (e) => page.cadMap.layers.preview.setVisible(e.target.checked));
  byId('toggle-result').addEventListener('change', (e) => {
    if (page.cadMap.layers.result) page.cadMap.layers.result.setVisible(e.target.checked);
  });
}

function exposeForTests(page) {
  const { map, layers } = page.cadMap;
  globalThis.planningCad = {
    map,
    layers,
    previewCount: () => layers.preview.getSource().getFeatures().length,
    issueCount: () => layers.issues.getSource().getFeatures().length,
    selectedIssue: () => layers.issues.getSource().getFeatures().find((f) => f.get('selected'))?.get('entry'),
    pixelAt: (lon, lat) => pixelAt(map, lon, lat),
    // The page's number reading and writing, for tests to check case by case.
    parseNumber: (text, lang) => {
      try {
        return { value: parseNumber(text, lang) };
      } catch (error) {
        return { error: error.name };
      }
    },
    formatDecimal,
  };
}

/** The upload page sends a file that landed far away here for the two-point fix
 * (#control-points): that part of the form opens. */
function openLinkedSection() {
  const target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
  if (target instanceof HTMLDetailsElement) {
    target.open = true;
    target.scrollIntoView({ block: 'nearest' });
  }
}

function startPage() {
  openLinkedSection();
  const config = readConfig('cad-config');
  const kindOf = kindLookup();
  const page = { config, kindOf, cadMap: createCadMap(config, kindOf) };
  bindControls(page);
  exposeForTests(page);
  const presets = loadPresets(config).catch((error) => showStatus('error', error.message));
  Promise.allSettled([setUpCrs(config, () => inspectDrawing(page)), presets])
    .then(() => { document.body.dataset.cadReady = 'true'; });
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', startPage);
} else {
  startPage();
}

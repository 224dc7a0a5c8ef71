// The raster upload page (rasters/views.py): the form is posted as usual and the server
// answers at once with this page and the queued conversion job (?job=<id>). This script
// follows the job through the job API (the CAD page's job module: progress bar, Cancel),
// then links to the imported raster, or says why it failed.
import './rasters_upload.css';
import { readConfig } from './config.js';
import { FINAL_STATES, follow, requestCancel, showJob } from './cad/job.js';
import { format } from './cad/status.js';
import { lockOnSubmit } from './pages/forms.js';

function showStatus(kind, text) {
  const box = document.getElementById('raster-job-status');
  box.className = `alert alert-${kind}`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  box.textContent = text; // server text is data: never parsed as HTML
  box.hidden = false;
}

/** The end of the job: links to the raster (and the map when it is placed), or why not.
 * The line under the progress bar already gives the state (showJob), so a failure's box
 * gives only its reason, and a cancelled job needs no box. */
function showOutcome(config, job) {
  if (job.state === 'failed') {
    if (job.message) showStatus('error', job.message); // without a reason the line says it all
    return;
  }
  if (job.state !== 'succeeded') return;
  const { result } = job;
  const placed = Boolean(result.georeferenced);
  const imported = format(config.labels.imported, { name: result.name });
  const warnings = (job.report && job.report.warnings) || [];
  if (warnings.length) {
    showStatus('warning', [imported, ...warnings].join(' ')); // outside Viet Nam: QA refuses it
  } else {
    showStatus('success', placed ? imported : `${imported} ${config.labels.placeIt}`);
  }
  document.getElementById('result-raster').href = result.links.georeference;
  const map = document.getElementById('result-map');
  map.href = result.links.map;
  map.hidden = !placed;
  document.getElementById('job-result').hidden = false;
}

/** Once the job has ended the progress line says its state only: the outcome (below it)
 * says why a job failed, and the reason must not be read twice. */
function stateOnly(job) {
  return FINAL_STATES.includes(job.state) ? { ...job, message: '' } : job;
}

async function followJob(config) {
  const cancel = document.getElementById('job-cancel');
  cancel.addEventListener('click', () => {
    requestCancel(config, config.job.id).catch((error) => showStatus('error', error.message));
  });
  try {
    const job = await follow(config, config.job, (current) => showJob(config, stateOnly(current)));
    showOutcome(config, job);
  } catch (error) {
    showStatus('error', error.message);
  }
}

function start() {
  lockOnSubmit();
  const hasJob = Boolean(document.getElementById('raster-upload-config'));
  document.body.dataset.pageReady = 'true';
  if (hasJob) followJob(readConfig('raster-upload-config'));
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}

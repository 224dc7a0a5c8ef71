// The conversion job: started with the file and the choices (202 with the job), then polled
// (GET /api/jobs/{id}/) until it succeeds, fails or is cancelled, with a progress bar and a
// Cancel button (POST /api/jobs/{id}/cancel/).
import { cancelJob, getJob, startJob } from './api.js';
import { format } from './status.js';

const POLL_MS = 600;
export const FINAL_STATES = ['succeeded', 'failed', 'cancelled'];

const wait = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** Shows a job's state: progress bar, message, and Cancel while it can still stop. */
export function showJob(config, job) {
  document.getElementById('job-box').hidden = false;
  const bar = document.getElementById('job-progress');
  bar.value = Number(job.progress) || 0;
  bar.textContent = format(config.labels.progress, { progress: bar.value });
  // A job waiting with no worker to take it would wait for ever: say so (planning.health).
  const waitsForNone = job.state === 'queued' && job.worker_running === false;
  const stateText = (waitsForNone && config.labels.noWorker) || config.labels[job.state] || job.state;
  // The worker's own words only while it works or when it failed (they say why).
  const detail = ['running', 'failed'].includes(job.state) ? job.message : '';
  const message = detail && detail !== stateText ? `${stateText} ${detail}` : stateText;
  document.getElementById('job-message').textContent = message;
  document.getElementById('job-cancel').hidden = FINAL_STATES.includes(job.state);
  document.body.dataset.jobState = job.state;
  document.body.dataset.jobId = String(job.id);
}

/** Polls until the job ends; `onUpdate(job)` after each answer; resolves to the last job. */
export async function follow(config, job, onUpdate) {
  let current = job;
  onUpdate(current);
  while (!FINAL_STATES.includes(current.state)) {
    await wait(POLL_MS);
    current = await getJob(config, current.id);
    onUpdate(current);
  }
  return current;
}

export function start(config, form) {
  return startJob(config, form);
}

/** Asks to cancel; the job itself stops at its next progress step. */
export async function requestCancel(config, jobId) {
  const button = document.getElementById('job-cancel');
  button.disabled = true;
  document.getElementById('job-message').textContent = config.labels.cancelling;
  try {
    return await cancelJob(config, jobId);
  } finally {
    button.disabled = false;
  }
}

// The workflow buttons the server offered this user (its role and the revision's state):
// each opens its form (a note, or the approval decision with the signed PDF) and posts it
// to /api/revisions/{id}/{action}/; the page reloads on success, errors stay on the page.
import { request } from './api.js';
import { clearStatus, reloadWith, showStatus } from './status.js';

function forms() {
  return [...document.querySelectorAll('form.workflow-form')];
}

function open(action) {
  forms().forEach((form) => {
    form.hidden = form.dataset.action !== action;
  });
  const form = forms().find((f) => f.dataset.action === action);
  if (form) form.querySelector('input, textarea')?.focus();
}

async function submit(config, form) {
  const { action } = form.dataset;
  const url = config.urls.transition.replace('{action}', action);
  const options = action === 'approve'
    ? { form: approvalData(form) }
    : { json: { note: form.elements.note.value } };
  const buttons = form.querySelectorAll('button');
  buttons.forEach((b) => { b.disabled = true; });
  clearStatus();
  try {
    await request(url, { method: 'POST', labels: config.labels, scope: form, ...options });
    reloadWith(config.labels.done[action]);
  } catch (error) {
    showStatus('error', error.message);
    buttons.forEach((b) => { b.disabled = false; });
    if (action === 'approve') offerSupersession(form, error);
    document.dispatchEvent(new CustomEvent('review:failed', { detail: action }));
  }
}

/** Another project's plan came into force after the page loaded and this plan overlaps it:
 * the approval's 409 lists the lots, so the board may now confirm the supersession. */
function offerSupersession(form, error) {
  const row = form.querySelector('#supersede-row');
  if (error.status !== 409 || !Array.isArray(error.data?.overlaps) || !row) return;
  row.hidden = false;
  row.querySelector('input')?.focus();
}

/** The decision as multipart; an empty file input sends no file at all. */
function approvalData(form) {
  const data = new FormData(form);
  const file = data.get('decision_document');
  if (file instanceof File && !file.name) data.delete('decision_document');
  return data;
}

async function answer(config, buttonNode) {
  buttonNode.disabled = true;
  clearStatus();
  try {
    const created = await request(config.urls.revisions, {
      method: 'POST',
      json: { project: config.project.id, based_on: config.revision.id },
      labels: config.labels,
    });
    reloadWith(config.labels.done.answer, config.urls.reviewPage.replace('{id}', String(created.id)));
  } catch (error) {
    showStatus('error', error.message);
    buttonNode.disabled = false;
  }
}

export function setUpWorkflow(config) {
  document.querySelectorAll('[data-open-form]').forEach((node) => {
    node.addEventListener('click', () => open(node.dataset.openForm));
  });
  document.querySelectorAll('[data-close-form]').forEach((node) => {
    node.addEventListener('click', () => open(null));
  });
  forms().forEach((form) => {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit(config, form);
    });
  });
  const answerButton = document.getElementById('answer-button');
  if (answerButton) answerButton.addEventListener('click', () => answer(config, answerButton));
}

// The workflow buttons the server offered this user (its role and the revision's state):
// each opens its form (a note, or the approval decision with the signed PDF) and posts it
// to /api/revisions/{id}/{action}/; the page reloads on success, errors stay on the page.
// An approval over open comment threads needs its checkbox, which posts how many the
// approver saw: the server refuses it while more are open.
import { request } from './api.js';
import { counted } from './plural.js';
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
    if (action === 'approve') {
      offerSupersession(config, form, error);
      offerAcknowledgement(config, form, error);
    }
    document.dispatchEvent(new CustomEvent('review:failed', { detail: action }));
  }
}

/** Another project's plan came into force after the page loaded and this plan overlaps it:
 * the approval's 409 lists the lots and counts what stands on them, so the board sees both
 * and may now confirm the supersession. */
function offerSupersession(config, form, error) {
  const row = form.querySelector('#supersede-row');
  const overlaps = error.data?.overlaps;
  if (error.status !== 409 || !Array.isArray(overlaps) || !row) return;
  const parts = [counted(config.labels.supersededLots, overlaps.length)];
  if (typeof error.data.placed_text === 'string' && error.data.placed_text) {
    parts.push(error.data.placed_text); // counted and by kind, in the page's language
  }
  row.querySelector('#supersede-count').textContent = parts.join(' ');
  listSuperseded(config.labels, row.querySelector('#supersede-list'), overlaps);
  row.hidden = false;
  const box = row.querySelector('input');
  if (box) {
    box.required = true; // as when the page loaded with the overlap
    box.focus();
  }
}

const wholeNumber = new Intl.NumberFormat(document.documentElement.lang || undefined, {
  maximumFractionDigits: 0,
});

/** The lots the approval supersedes, each whole, as webmap/reviewconfig.py lists them. */
function listSuperseded(labels, list, overlaps) {
  const items = overlaps.slice(0, labels.supersededListed).map((overlap) => {
    const whole = overlap.area >= 0.99 * overlap.lot_area;
    const values = {
      project: overlap.project,
      lot: overlap.lot,
      lot_area: wholeNumber.format(overlap.lot_area),
      area: wholeNumber.format(overlap.area),
    };
    // one pass, so a code that reads like a placeholder is not filled in again
    return (whole ? labels.supersededLot : labels.supersededLotPart)
      .replace(/%\((\w+)\)s/g, (placeholder, name) => values[name] ?? placeholder);
  });
  const unlisted = overlaps.length - items.length;
  if (unlisted > 0) items.push(counted(labels.supersededMore, unlisted));
  list.replaceChildren(...items.map((text) => {
    const item = document.createElement('li');
    item.textContent = text;
    return item;
  }));
}

/** The open comment threads an approval must acknowledge: the warning beside the buttons
 * and the approval form's checkbox say how many, and hide at none; the checkbox's value is
 * that count, what the approval acknowledges. The server rendered the count; the comments
 * list (review:comments) and a refused approval bring it up to date. A count that rose
 * clears the checkbox: the approver acknowledged fewer. */
function showOpenComments(config, count) {
  const note = document.getElementById('open-comments-note');
  const row = document.getElementById('acknowledge-row');
  if (!note || !row) return;
  const box = row.querySelector('input');
  if (count > Number(row.dataset.count || 0)) box.checked = false;
  row.dataset.count = String(count);
  box.value = String(count);
  note.hidden = count === 0;
  row.hidden = count === 0;
  note.querySelector('#open-comments-text').textContent = counted(config.labels.openComments, count);
  row.querySelector('label').textContent = counted(config.labels.acknowledgeOpenComments, count);
}

/** The approval's 409 for open comments gives their count, more than acknowledged (a
 * thread was posted or reopened since the page loaded): show the box, cleared, and reload
 * the comments list so the approver sees what is open before ticking it again. */
function offerAcknowledgement(config, form, error) {
  const count = error.data?.open_comments;
  if (error.status !== 409 || !Number.isInteger(count)) return;
  showOpenComments(config, count);
  document.dispatchEvent(new CustomEvent('review:reload-comments'));
  form.querySelector('#acknowledge-open-comments')?.focus();
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
  document.addEventListener('review:comments', (event) => showOpenComments(config, event.detail.open));
  const answerButton = document.getElementById('answer-button');
  if (answerButton) answerButton.addEventListener('click', () => answer(config, answerButton));
}

// The "New revision" button of the project page: POST /api/revisions/ with the project and
// the plan in force it starts from (the server checks who may), then the new draft's CAD
// import page. The labels and URLs come from the template (data attributes).
import { request } from '../review/api.js';

function showError(box, text) {
  let alert = box.querySelector('.alert');
  if (!alert) {
    alert = document.createElement('div');
    alert.className = 'alert alert-error';
    alert.setAttribute('role', 'alert');
    box.append(alert);
  }
  alert.textContent = text; // server text is data: never parsed as HTML
}

async function createRevision(button) {
  const { url, project, basedOn, next, failed } = button.dataset;
  button.disabled = true; // one draft per click
  const json = { project: Number(project) };
  if (basedOn) json.based_on = Number(basedOn);
  try {
    const created = await request(url, { method: 'POST', json, labels: { requestFailed: failed } });
    window.location.assign(next.replace('{id}', String(created.id)));
  } catch (error) {
    button.disabled = false;
    showError(button.closest('[data-new-revision-box]'), `${failed} ${error.message}`);
  }
}

export function setUpNewRevision(root = document) {
  root.querySelectorAll('button[data-new-revision]').forEach((button) => {
    button.addEventListener('click', () => createRevision(button));
  });
}

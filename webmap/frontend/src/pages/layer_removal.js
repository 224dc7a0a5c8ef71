// The remove buttons of a draft's layers on the project page: confirm, DELETE
// /api/layers/{id}/ (the server decides who may), then the row goes and a message says so.
import { request } from '../review/api.js';

function showStatus(section, kind, text) {
  let box = section.querySelector('.layer-status');
  if (!box) {
    box = document.createElement('div');
    section.querySelector('[data-layer-list]').before(box);
  }
  box.className = `layer-status alert alert-${kind}`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  box.textContent = text; // server text is data: never parsed as HTML
}

function forgetRow(row) {
  const table = row.closest('table');
  row.remove();
  if (table.tBodies[0].rows.length) return;
  table.hidden = true;
  const empty = table.parentElement.querySelector('[data-no-layers]');
  if (empty) empty.hidden = false;
}

async function removeLayer(button) {
  // The browser's own dialog: modal, keyboard and screen-reader ready, in the page's words.
  if (!window.confirm(button.dataset.confirm)) return;
  const section = button.closest('section');
  button.disabled = true;
  try {
    await request(button.dataset.url, { method: 'DELETE', labels: { requestFailed: button.dataset.failed } });
    forgetRow(button.closest('tr'));
    showStatus(section, 'success', button.dataset.removed);
  } catch (error) {
    button.disabled = false;
    showStatus(section, 'error', `${button.dataset.failed} ${error.message}`);
  }
}

export function setUpLayerRemoval(root = document) {
  root.querySelectorAll('button[data-remove-layer]').forEach((button) => {
    button.addEventListener('click', () => removeLayer(button));
  });
}

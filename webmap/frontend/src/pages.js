// Small enhancements of the server-rendered pages (project page, upload form): forms that
// must not be sent twice, the removal of a draft's layers and the "New revision" button.
// The labels come from the templates (data attributes), translated by Django.
import './pages.css';
import { lockOnSubmit } from './pages/forms.js';
import { setUpLayerRemoval } from './pages/layer_removal.js';
import { setUpNewRevision } from './pages/new_revision.js';

function start() {
  lockOnSubmit();
  setUpLayerRemoval();
  setUpNewRevision();
  document.body.dataset.pageReady = 'true';
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}

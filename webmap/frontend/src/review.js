// Entry point of the review page: the map (revision over the plans in force, comparison,
// the revision's rasters), QA findings, land-use balance, comments and the workflow
// actions, all from the page configuration the server rendered (what this user may do is
// decided there).
import './review.css';
import { readConfig } from './config.js';
import { createReviewMap, pixelAt } from './review/map.js';
import { setUpCompare } from './review/compare.js';
import { setUpFindings, loadFindings } from './review/findings.js';
import { loadBalance } from './review/balance.js';
import { setUpComments } from './review/comments.js';
import { setUpFeatureInfo } from './review/info.js';
import { setUpWorkflow } from './review/workflow.js';
import { setUpReviewRasters } from './review/rasters.js';
import { setUpMapLayers } from './review/maplayers.js';
import { showFlash } from './review/status.js';
import { setUpView3d } from './view3d/toggle.js';

function start() {
  const config = readConfig('review-config');
  const review = createReviewMap(config);
  showFlash();
  setUpCompare(config, review);
  setUpMapLayers(config, review);
  setUpWorkflow(config);
  setUpFeatureInfo(config, review);
  // A refused submission has run the checks: show their findings.
  document.addEventListener('review:failed', () => loadFindings(config, review));
  Promise.allSettled([
    setUpFindings(config, review),
    loadBalance(config),
    setUpComments(config, review),
    setUpReviewRasters(config, review),
  ]).then(() => { document.body.dataset.reviewReady = 'true'; });
  setUpView3d();
  globalThis.planningReview = { ...review, pixelAt: (lon, lat) => pixelAt(review.map, lon, lat) };
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}

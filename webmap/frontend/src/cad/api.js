// REST calls of the CAD page: the review page's client (session cookie, CSRF token, the
// server's error message as it is), plus the few requests this page makes.
import { request, ApiError } from '../review/api.js';
import { fillTemplate } from '../config.js';

export { request, ApiError };

/** The CAD layers of a drawing with counts, and its preview in lon/lat placed with
 * `crs` and the two control points (when given). */
export function inspect(config, file, crs, points) {
  const form = new FormData();
  form.append('file', file);
  form.append('revision', String(config.revision.id)); // its project's place: far-off warning
  if (crs) form.append('crs', crs);
  if (points) form.append('control_points', JSON.stringify(points));
  return request(config.urls.inspect, { method: 'POST', form, labels: config.labels });
}

export function getJob(config, id) {
  return request(fillTemplate(config.urls.job, { id }), { labels: config.labels });
}

export function cancelJob(config, id) {
  return request(fillTemplate(config.urls.cancel, { id }), { method: 'POST', labels: config.labels });
}

export function startJob(config, form) {
  return request(config.urls.jobs, { method: 'POST', form, labels: config.labels });
}

// Raster layers of the review map (scans of old plans, orthophotos, elevation models): the
// reviewed revision's georeferenced rasters over the plans in force, and the rasters of the
// plans in force beneath them, as on the web map. Layers and rows are the web map's
// (rasters.js): visibility, opacity, clip to the plan boundary. The list is
// /api/rasters/map/?revision=<id>, which answers only callers who may see the revision.
import { el } from '../config.js';
import { MAP_RASTERS_URL, createRasterLayer, fetchMapRasters, rasterRow } from '../rasters.js';
import { clipToSwipe } from './map.js';

const REVIEWED_Z = 0.5; // over the plans in force (0), under the baseline (1) and revision (2)
const IN_FORCE_Z = -1; // under the plans in force, as on the web map

function rasterGroup(title, rows) {
  const group = el('div', 'raster-group');
  group.append(el('h3', 'panel-subtitle', title), ...rows);
  return group;
}

function addLayer(review, raster) {
  const layer = createRasterLayer(raster);
  layer.setZIndex(raster.reviewed ? REVIEWED_Z : IN_FORCE_Z);
  // In swipe mode the revision's rasters stay on the revision's side of the handle.
  if (raster.reviewed) clipToSwipe(layer, review.map, review.swipe, 'left');
  review.map.addLayer(layer);
  return layer;
}

/** Adds the revision's and the plans in force's rasters to the map and the panel. */
export async function setUpReviewRasters(config, review) {
  const section = document.getElementById('review-rasters');
  const query = new URLSearchParams({ revision: String(config.revision.id) });
  const data = await fetchMapRasters(`${MAP_RASTERS_URL}?${query}`);
  if (!section || !data || !data.rasters.length) return [];
  const rows = { reviewed: [], inForce: [] };
  const layers = data.rasters.map((raster) => {
    const layer = addLayer(review, raster);
    rows[raster.reviewed ? 'reviewed' : 'inForce'].push(rasterRow(raster, layer, data.labels));
    return layer;
  });
  const list = section.querySelector('.raster-switcher');
  list.replaceChildren(
    ...Object.entries(rows)
      .filter(([, group]) => group.length)
      .map(([key, group]) => rasterGroup(data.labels[key], group)),
  );
  section.hidden = false;
  return layers;
}

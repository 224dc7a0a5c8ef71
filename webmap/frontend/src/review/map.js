// The review map: plans in force (XYZ) as context, the revision and its baseline as vector
// tiles, the change layer, QA findings and comment pins as vector layers; a swipe clips the
// revision to the left of the handle and the baseline to the right (prerender/postrender).
import Map from 'ol/Map';
import View from 'ol/View';
import VectorLayer from 'ol/layer/Vector';
import VectorSource from 'ol/source/Vector';
import GeoJSON from 'ol/format/GeoJSON';
import { getRenderPixel } from 'ol/render';
import { mapControls } from '../controls.js';
import { fromLonLat, transformExtent } from 'ol/proj';
import { createRevisionLayer, createTileLayer, loadCategoryColours, revisionTileUrl } from '../layers.js';
import { changeStyle, commentStyle, findingStyle, sketchStyle } from './styles.js';

export const geojson = new GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });

function vectorLayer(id, style, zIndex) {
  return new VectorLayer({ source: new VectorSource(), style, zIndex, properties: { id } });
}

/** Clips a layer's rendering to the part of the map left (or right) of the swipe. */
export function clipToSwipe(layer, map, swipe, side) {
  let clipped = false; // only while the swipe handle is shown (swipe mode)
  layer.on('prerender', (event) => {
    clipped = !swipe.hidden;
    if (!clipped) return;
    const [width, height] = map.getSize();
    const x = width * (Number(swipe.value) / 100);
    const [from, to] = side === 'left' ? [0, x] : [x, width];
    const corners = [[from, 0], [to, 0], [to, height], [from, height]]
      .map((pixel) => getRenderPixel(event, pixel));
    const ctx = event.context;
    ctx.save();
    ctx.beginPath();
    corners.forEach(([px, py], i) => (i ? ctx.lineTo(px, py) : ctx.moveTo(px, py)));
    ctx.closePath();
    ctx.clip();
  });
  layer.on('postrender', (event) => {
    if (clipped) event.context.restore();
  });
}

function createLayers(config) {
  const context = createTileLayer(config, { name: 'plans', title: '', visible: true });
  const revision = createRevisionLayer(config, { id: config.revision.id, visible: true });
  revision.setZIndex(2);
  const baseline = config.baseline
    ? createRevisionLayer(config, { id: config.baseline.id, visible: false }) : null;
  if (baseline) baseline.setZIndex(1);
  return {
    context,
    revision,
    baseline,
    changes: vectorLayer('changes', changeStyle, 3),
    findings: vectorLayer('findings', findingStyle, 4),
    comments: vectorLayer('comments', commentStyle, 5),
    sketch: vectorLayer('sketch', sketchStyle, 6),
  };
}

function fit(map, config) {
  if (!config.extent) return;
  const extent = transformExtent(config.extent, 'EPSG:4326', 'EPSG:3857');
  map.getView().fit(extent, { padding: [64, 48, 48, 48], maxZoom: 18, size: map.getSize() });
}

/** Builds the map; returns it with its named layers and a function to switch modes. */
export function createReviewMap(config) {
  const layers = createLayers(config);
  const map = new Map({
    target: 'map',
    layers: Object.values(layers).filter(Boolean),
    view: new View({ center: fromLonLat(config.fallbackCenter), zoom: config.fallbackZoom, maxZoom: 22 }),
    controls: mapControls(config.labels),
  });
  const target = map.getTargetElement();
  map.on('rendercomplete', () => {
    target.dataset.rendered = String(Number(target.dataset.rendered || 0) + 1);
  });
  fit(map, config);
  loadCategoryColours(config, [layers.revision, layers.baseline].filter(Boolean));
  const swipe = document.getElementById('swipe');
  clipToSwipe(layers.revision, map, swipe, 'left');
  if (layers.baseline) clipToSwipe(layers.baseline, map, swipe, 'right');
  swipe.addEventListener('input', () => map.render());
  return { map, layers, swipe, onClick: clickRouter(map) };
}

/** Shows another revision in the baseline layer (the toolbar's comparison choice). */
export function showBaseline(config, layers, revisionId) {
  if (!layers.baseline) return;
  layers.baseline.getSource().setUrl(revisionTileUrl(config, { id: revisionId }));
  layers.baseline.setProperties({ id: `revision:${revisionId}`, revisionId });
}

/** One map click goes to one use: handlers are asked in order (`first` ones before the
 * others) until one returns true, so pinning a comment does not also open feature info. */
function clickRouter(map) {
  const handlers = [];
  map.on('singleclick', (event) => { handlers.some((handle) => handle(event)); });
  return (handler, { first = false } = {}) => {
    if (first) handlers.unshift(handler);
    else handlers.push(handler);
  };
}

/** Zooms to a feature's geometry, close enough to see it and its surroundings. */
export function zoomTo(map, geometry) {
  if (!geometry) return;
  map.getView().fit(geometry.getExtent(), {
    padding: [80, 80, 80, 80], maxZoom: 19, duration: 250, size: map.getSize(),
  });
}

export function pixelAt(map, lon, lat) {
  return map.getPixelFromCoordinate(fromLonLat([lon, lat]));
}

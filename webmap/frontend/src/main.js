// Entry point of the map viewer: builds the OpenLayers map from the page configuration
// and wires the side panel (layer switcher, legend, feature info) to it.
import 'ol/ol.css';
import './main.css';
import Map from 'ol/Map';
import View from 'ol/View';
import Overlay from 'ol/Overlay';
import Graticule from 'ol/layer/Graticule';
import { Stroke } from 'ol/style';
import { mapControls } from './controls.js';
import { fromLonLat, transformExtent } from 'ol/proj';
import { readConfig } from './config.js';
import { createRevisionLayer, createTileLayer, loadCategoryColours } from './layers.js';
import { renderSwitcher } from './switcher.js';
import { renderLegend } from './legend.js';
import { showFeatureInfo } from './info.js';
import { setUpDateControl } from './datecontrol.js';
import { setUpRasters } from './rasters.js';
import './view3d/toggle.css';
import { setUpView3d } from './view3d/toggle.js';

function createView(config) {
  return new View({
    projection: 'EPSG:3857',
    center: fromLonLat(config.fallbackCenter),
    zoom: config.fallbackZoom,
    maxZoom: 22,
  });
}

/** Centres on the data extent; a single point or tiny plan still gets a sensible zoom. */
function fitToData(map, config) {
  if (!config.extent) return;
  const extent = transformExtent(config.extent, 'EPSG:4326', 'EPSG:3857');
  map.getView().fit(extent, { padding: [48, 48, 48, 48], maxZoom: 18, size: map.getSize() });
}

/** A faint graticule gives orientation without any (online) base map. */
function createGraticule() {
  return new Graticule({
    strokeStyle: new Stroke({ color: 'rgba(90, 100, 110, 0.18)', width: 1 }),
    showLabels: false,
    wrapX: false,
    properties: { id: 'graticule' },
  });
}

function createMarker() {
  const element = document.createElement('div');
  element.className = 'click-marker';
  return new Overlay({ element, positioning: 'center-center', stopEvent: false });
}

/** Marks the map element once a render completes, so tests and users can tell it is ready. */
function trackRendering(map) {
  const target = map.getTargetElement();
  map.on('rendercomplete', () => {
    target.dataset.rendered = String(Number(target.dataset.rendered || 0) + 1);
  });
}

/** Revision id → its layers (one vector-tile layer; none while it has no layers). */
function buildRevisionLayers(config) {
  const byRevision = new globalThis.Map();
  for (const revision of config.revisions) {
    byRevision.set(revision.id, revision.layers.length ? [createRevisionLayer(config, revision)] : []);
  }
  return byRevision;
}

function start() {
  const config = readConfig();
  const tileLayers = config.tileLayers.map((layer) => createTileLayer(config, layer));
  const revisionLayers = buildRevisionLayers(config);
  const marker = createMarker();
  const map = new Map({
    target: 'map',
    layers: [createGraticule(), ...tileLayers, ...[...revisionLayers.values()].flat()],
    overlays: [marker],
    view: createView(config),
    controls: mapControls(config.labels),
  });
  trackRendering(map);
  fitToData(map, config);
  if (config.revisions.length) loadCategoryColours(config, [...revisionLayers.values()].flat());

  const visibleRevisions = new Set(config.revisions.filter((r) => r.visible).map((r) => r.id));
  const legend = document.getElementById('legend');
  const refreshLegend = () => renderLegend(legend, config, tileLayers);
  tileLayers.forEach((layer) => layer.on('change:visible', refreshLegend));
  renderSwitcher(document.getElementById('layer-switcher'), config, tileLayers, revisionLayers,
    (id, on) => (on ? visibleRevisions.add(id) : visibleRevisions.delete(id)));
  refreshLegend();
  const info = document.getElementById('feature-info');
  const view3d = setUpView3d({ infoTarget: info, wmsUrl: config.urls.wms });
  // raster layers (issue 7), of the plans in force on the map's date like everything else
  const showRastersOn = setUpRasters(map, document.getElementById('layer-switcher'));
  let date = '';
  const rastersShown = setUpDateControl(config, tileLayers, (chosen) => {
    date = chosen;
    view3d?.showPlansOn(chosen);
    showRastersOn(chosen);
  });
  if (!rastersShown) showRastersOn('');

  map.on('singleclick', (event) => {
    marker.setPosition(event.coordinate);
    showFeatureInfo(info, config, event.coordinate, [...visibleRevisions], date);
  });
  globalThis.planningMap = map;
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}

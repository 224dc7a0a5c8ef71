// The CAD page's map: plans in force as context, the drawing's preview (GeoJSON in lon/lat
// from the inspect call, coloured by the chosen mapping), the report's entries, and after
// the conversion the draft revision itself (vector tiles, as on the review page).
import Map from 'ol/Map';
import View from 'ol/View';
import VectorLayer from 'ol/layer/Vector';
import VectorSource from 'ol/source/Vector';
import GeoJSON from 'ol/format/GeoJSON';
import Feature from 'ol/Feature';
import Point from 'ol/geom/Point';
import { mapControls } from '../controls.js';
import { fromLonLat, transformExtent } from 'ol/proj';
import { createRevisionLayer, createTileLayer, loadCategoryColours } from '../layers.js';
import { issueStyle, kindStyle } from './styles.js';

const geojson = new GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });

function vectorLayer(id, style, zIndex) {
  return new VectorLayer({ source: new VectorSource(), style, zIndex, properties: { id } });
}

/** The map; `kindOf(cadLayerName)` gives the kind a preview feature is drawn as. */
export function createCadMap(config, kindOf) {
  const layers = {
    context: createTileLayer(config, { name: 'plans', title: '', visible: true }),
    preview: vectorLayer('preview', (f) => kindStyle(kindOf(f.get('layer') || '')), 3),
    issues: vectorLayer('issues', issueStyle, 5),
  };
  const map = new Map({
    target: 'map',
    layers: Object.values(layers),
    view: new View({ center: fromLonLat(config.fallbackCenter), zoom: config.fallbackZoom, maxZoom: 22 }),
    controls: mapControls(config.labels),
  });
  const target = map.getTargetElement();
  map.on('rendercomplete', () => {
    target.dataset.rendered = String(Number(target.dataset.rendered || 0) + 1);
  });
  fitLonLat(map, config.extent);
  return { map, layers, config };
}

/** Fits the view to a [west, south, east, north] lon/lat box. */
export function fitLonLat(map, extent) {
  if (!extent || extent.length !== 4 || !extent.every(Number.isFinite)) return;
  map.getView().fit(transformExtent(extent, 'EPSG:4326', 'EPSG:3857'), {
    padding: [48, 48, 48, 48], maxZoom: 19, size: map.getSize(),
  });
}

/** Replaces the preview with `collection`; returns how many features it drew. */
export function showPreview(cadMap, collection, extent) {
  const source = cadMap.layers.preview.getSource();
  source.clear();
  const features = collection ? geojson.readFeatures(collection) : [];
  source.addFeatures(features.filter((f) => f.getGeometry()));
  if (extent) fitLonLat(cadMap.map, extent);
  else if (source.getFeatures().length) {
    cadMap.map.getView().fit(source.getExtent(), { padding: [48, 48, 48, 48], maxZoom: 19 });
  }
  return source.getFeatures().length;
}

/** Redraws the preview after the mapping changed (colours follow the kinds). */
export function restylePreview(cadMap) {
  cadMap.layers.preview.changed();
}

/** One point feature per report entry that has a lon/lat; returns them (same order). */
export function showIssues(cadMap, entries) {
  const source = cadMap.layers.issues.getSource();
  source.clear();
  return entries.map((entry) => {
    if (!Array.isArray(entry.lonlat)) return null;
    const feature = new Feature({ geometry: new Point(fromLonLat(entry.lonlat)), entry });
    source.addFeature(feature);
    return feature;
  });
}

/** Highlights one report entry and centres the map on it, close up. */
export function focusIssue(cadMap, feature) {
  cadMap.layers.issues.getSource().getFeatures().forEach((f) => f.set('selected', f === feature));
  const view = cadMap.map.getView();
  view.animate({ center: feature.getGeometry().getCoordinates(), zoom: Math.max(view.getZoom() || 0, 19), duration: 250 });
}

/** Adds (or refreshes) the converted draft revision on the map. */
export function showResult(cadMap) {
  const { config } = cadMap;
  if (!cadMap.layers.result) {
    const layer = createRevisionLayer(config, { id: config.revision.id, visible: true });
    layer.setZIndex(2);
    cadMap.layers.result = layer;
    cadMap.map.addLayer(layer);
    loadCategoryColours(config, [layer]);
  } else {
    cadMap.layers.result.getSource().refresh();
  }
  return cadMap.layers.result;
}

/** Calls `onPick(cadLayerName)` when a preview feature is clicked on the map. */
export function onPreviewClick(cadMap, onPick) {
  const { map, layers } = cadMap;
  map.on('singleclick', (event) => {
    const feature = map.forEachFeatureAtPixel(event.pixel, (f) => f, {
      layerFilter: (layer) => layer === layers.preview, hitTolerance: 4,
    });
    if (feature) onPick(feature.get('layer'));
  });
}

export function pixelAt(map, lon, lat) {
  return map.getPixelFromCoordinate(fromLonLat([lon, lat]));
}

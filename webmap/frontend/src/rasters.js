// Raster layers of the web map (scans of old plans, orthophotos, elevation models): listed
// under the layer switcher with an opacity slider and "clip to the plan boundary", so an
// old scan can be laid under the new plan. Rasters of plans in force come as cached XYZ
// tiles; a signed-in planner's draft rasters as WMS tiles rendered privately for them, and
// a superseded revision's rasters (its review map) as WMS tiles at a moment it was in force.
// The list (with each project's boundary in EPSG:3857 for clipping) is /api/rasters/map/.
import TileLayer from 'ol/layer/Tile';
import XYZ from 'ol/source/XYZ';
import TileWMS from 'ol/source/TileWMS';
import { getRenderPixel } from 'ol/render';
import { apply as applyTransform } from 'ol/transform';
import { el } from './config.js';

export const MAP_RASTERS_URL = '/api/rasters/map/';

function rasterSource(raster) {
  if (raster.in_force && !raster.time) {
    return new XYZ({ url: `/tiles/${raster.layer}/{z}/{x}/{y}.png`, transition: 0, maxZoom: 19 });
  }
  const params = { LAYERS: raster.layer, FORMAT: 'image/png', TRANSPARENT: 'TRUE', VERSION: '1.3.0' };
  // A superseded revision's raster (its review map) is drawn as it was while in force.
  if (raster.time) params.TIME = raster.time;
  return new TileWMS({ url: '/wms', params, transition: 0 });
}

/** Rings of a GeoJSON Polygon or MultiPolygon. */
function ringsOf(geometry) {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return geometry.coordinates;
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.flat();
  return [];
}

/** Clips `layer` to `geometry` (EPSG:3857) while `isOn()` says so (canvas clip path). */
export function clipLayer(layer, geometry, isOn) {
  const rings = ringsOf(geometry);
  layer.on('prerender', (event) => {
    const context = event.context;
    context.save();
    if (!isOn() || !rings.length) return;
    context.beginPath();
    for (const ring of rings) {
      ring.forEach((coordinate, index) => {
        // map coordinate → CSS pixel of the map → pixel of the layer's canvas
        const css = applyTransform(event.frameState.coordinateToPixelTransform, [...coordinate]);
        const [x, y] = getRenderPixel(event, css);
        if (index === 0) context.moveTo(x, y);
        else context.lineTo(x, y);
      });
      context.closePath();
    }
    context.clip('evenodd');
  });
  layer.on('postrender', (event) => event.context.restore());
}

/** A raster's tile layer (70 % opaque, clipped to its plan boundary while `clipped`). */
export function createRasterLayer(raster) {
  const layer = new TileLayer({
    source: rasterSource(raster),
    opacity: 0.7,
    visible: true,
    properties: { id: `raster:${raster.id}`, title: raster.title, rasterId: raster.id },
  });
  layer.set('clipped', Boolean(raster.clip));
  clipLayer(layer, raster.clip, () => layer.get('clipped'));
  return layer;
}

/** The switcher row of a raster: visibility, title, opacity slider, clip checkbox. */
export function rasterRow(raster, layer, labels) {
  const row = el('div', 'switcher-row raster-row');
  row.dataset.raster = String(raster.id);
  const visible = el('input');
  visible.type = 'checkbox';
  visible.checked = layer.getVisible();
  visible.addEventListener('change', () => layer.setVisible(visible.checked));
  const title = el('span', 'switcher-title', raster.title);
  if (!raster.in_force) title.append(el('span', 'badge badge-draft', labels.draft));
  const opacity = el('input', 'raster-opacity');
  opacity.type = 'range';
  opacity.min = '0';
  opacity.max = '100';
  opacity.value = String(Math.round(layer.getOpacity() * 100));
  opacity.setAttribute('aria-label', `${labels.opacity}: ${raster.title}`);
  opacity.addEventListener('input', () => layer.setOpacity(Number(opacity.value) / 100));
  const clipLabel = el('label', 'raster-clip');
  const clip = el('input');
  clip.type = 'checkbox';
  clip.checked = layer.get('clipped');
  clip.disabled = !raster.clip;
  clip.addEventListener('change', () => {
    layer.set('clipped', clip.checked);
    layer.changed();
  });
  clipLabel.append(clip, el('span', '', labels.clip));
  row.append(visible, title, opacity, clipLabel);
  return row;
}

/** The raster list at `url` ({rasters, labels}), or null when it cannot be had. */
export async function fetchMapRasters(url = MAP_RASTERS_URL) {
  try {
    const response = await fetch(url, {
      credentials: 'same-origin', headers: { Accept: 'application/json' },
    });
    if (!response.ok) throw new Error(`rasters: HTTP ${response.status}`);
    return await response.json();
  } catch (error) {
    console.warn('Raster layers are unavailable.', error);
    return null;
  }
}

/** The instant WMS TIME=`date` stands for (tiles/params.py: the end of that day, UTC), so
 * the lists and cards of a dated map hold what its tiles draw. */
export function endOfDay(date) {
  return `${date}T23:59:59.999999Z`;
}

/**
 * Adds the caller's raster layers under the plans and their rows below the switcher, and
 * returns `showOn(date)`: the rasters of the plans in force on that date ('' for now),
 * replacing those shown (the map's date control calls it).
 */
export function setUpRasters(map, switcher) {
  let shown = [];
  let section = null;
  let latest = 0;
  const settings = new Map(); // raster id -> what the user set on its row
  return async function showOn(date = '') {
    const asked = ++latest;
    const url = date ? `${MAP_RASTERS_URL}?at=${encodeURIComponent(endOfDay(date))}` : MAP_RASTERS_URL;
    const data = await fetchMapRasters(url);
    if (asked !== latest) return shown; // a later date was asked meanwhile
    // what the user set on a raster (shown, opacity, clip) carries over to its next layer,
    // also after a date on which it was not listed
    shown.forEach((layer) => settings.set(layer.get('rasterId'), {
      visible: layer.getVisible(), opacity: layer.getOpacity(), clipped: layer.get('clipped'),
    }));
    shown.forEach((layer) => map.removeLayer(layer));
    section?.remove();
    shown = [];
    section = null;
    if (!data || !data.rasters.length) return shown;
    section = el('div', 'raster-switcher');
    section.id = 'raster-switcher';
    section.append(el('h3', 'panel-subtitle', data.labels.title));
    shown = data.rasters.map((raster) => {
      const layer = createRasterLayer(raster);
      const kept = settings.get(raster.id);
      if (kept) {
        layer.setVisible(kept.visible);
        layer.setOpacity(kept.opacity);
        layer.set('clipped', kept.clipped && Boolean(raster.clip));
      }
      map.getLayers().insertAt(1, layer); // above the graticule, below every plan layer
      section.append(rasterRow(raster, layer, data.labels));
      return layer;
    });
    switcher.after(section);
    return shown;
  };
}

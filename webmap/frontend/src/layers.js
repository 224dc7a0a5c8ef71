// Map layers: plans in force as XYZ tiles rendered by the server, and the user's draft or
// submitted revisions as vector tiles (MVT, /vtiles/plans/…?revision=id), private to the
// caller and never in the public cache. Drafts are coloured by category from the catalogue.
import TileLayer from 'ol/layer/Tile';
import VectorTileLayer from 'ol/layer/VectorTile';
import XYZ from 'ol/source/XYZ';
import VectorTileSource from 'ol/source/VectorTile';
import MVT from 'ol/format/MVT';
import { Circle as CircleStyle, Fill, Stroke, Style } from 'ol/style';

const DEFAULT_COLOUR = '#888888';

/** One tile layer per configured name: "plans" (all kinds) or a single layer kind. */
export function createTileLayer(config, layer) {
  const url = config.urls.tiles.replace('{layer}', encodeURIComponent(layer.name));
  return new TileLayer({
    source: new XYZ({ url, crossOrigin: 'anonymous', transition: 0 }),
    visible: layer.visible,
    properties: { id: `tiles:${layer.name}`, title: layer.title, tileName: layer.name },
  });
}

function hexToRgba(hex, alpha) {
  const match = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || '');
  const [r, g, b] = match ? match.slice(1).map((h) => parseInt(h, 16)) : [136, 136, 136];
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

const styleCache = new Map();
/** Category code → colour, filled once from the catalogue (/api/categories/). */
const categoryColours = new Map();

/** Loads the catalogue colours, then redraws `layers` so drafts take their colours. */
export async function loadCategoryColours(config, layers) {
  try {
    const response = await fetch(config.urls.categories, {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
    });
    if (!response.ok) throw new Error(`categories: HTTP ${response.status}`);
    const data = await response.json();
    const list = Array.isArray(data) ? data : (data.results || []);
    list.forEach((category) => categoryColours.set(category.code, category.colour));
  } catch (error) {
    console.warn('Category colours are unavailable; drafts are drawn grey.', error);
  }
  layers.forEach((layer) => layer.changed());
}

/** Styles a draft feature by its category colour; dashed outline marks it as not in force. */
function draftStyle(feature) {
  const colour = categoryColours.get(feature.get('category')) || DEFAULT_COLOUR;
  if (!styleCache.has(colour)) {
    const fill = new Fill({ color: hexToRgba(colour, 0.75) });
    const stroke = new Stroke({ color: '#7a1f5c', width: 1.5, lineDash: [6, 4] });
    styleCache.set(colour, new Style({
      fill, stroke, image: new CircleStyle({ radius: 5, fill, stroke }),
    }));
  }
  return styleCache.get(colour);
}

/** The vector-tile URL template of one revision (only its features, if the caller may see it). */
export function revisionTileUrl(config, revision) {
  const template = config.urls.vectorTiles.replace('{layer}', 'plans');
  return `${template}?${new URLSearchParams({ revision: String(revision.id) })}`;
}

/** One vector-tile layer for a draft or submitted revision: every kind in one tile set. */
export function createRevisionLayer(config, revision) {
  const source = new VectorTileSource({
    format: new MVT(),
    url: revisionTileUrl(config, revision),
    maxZoom: 18, // 4096 units a side: below 3 cm per unit at z18, finer zooms overzoom
  });
  return new VectorTileLayer({
    source,
    style: draftStyle,
    visible: revision.visible,
    properties: { id: `revision:${revision.id}`, revisionId: revision.id },
  });
}

// Map layers: plans in force as XYZ tiles rendered by the server, and the user's draft or
// submitted revisions as GeoJSON vectors (they are not in the public tile cache).
import TileLayer from 'ol/layer/Tile';
import VectorLayer from 'ol/layer/Vector';
import XYZ from 'ol/source/XYZ';
import VectorSource from 'ol/source/Vector';
import GeoJSON from 'ol/format/GeoJSON';
import { Circle as CircleStyle, Fill, Stroke, Style } from 'ol/style';
import { fillTemplate } from './config.js';

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

/** Styles a draft feature by its category colour; dashed outline marks it as not in force. */
function draftStyle(feature) {
  const colour = feature.get('colour') || DEFAULT_COLOUR;
  if (!styleCache.has(colour)) {
    const fill = new Fill({ color: hexToRgba(colour, 0.75) });
    const stroke = new Stroke({ color: '#7a1f5c', width: 1.5, lineDash: [6, 4] });
    styleCache.set(colour, new Style({
      fill, stroke, image: new CircleStyle({ radius: 5, fill, stroke }),
    }));
  }
  return styleCache.get(colour);
}

/** A vector layer for one planning layer of a draft or submitted revision. */
export function createRevisionLayer(config, revision, layer) {
  const source = new VectorSource({
    url: fillTemplate(config.urls.layerFeatures, { id: layer.id }),
    format: new GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' }),
  });
  return new VectorLayer({
    source,
    style: draftStyle,
    visible: revision.visible,
    properties: { id: `revision:${revision.id}:${layer.id}`, revisionId: revision.id },
  });
}

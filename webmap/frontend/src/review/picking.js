// Which feature of the revision a click means. The plan boundary is a filled polygon around
// everything, so the first hit is usually the boundary: prefer points and lines, then the
// smallest polygon, and the boundary only when nothing else is under the click.
import { linearRings } from 'ol/geom/flat/area';
import { interpolate } from '../config.js';

const BOUNDARY = 'boundary';

function polygonArea(feature) {
  const ends = feature.getEnds ? feature.getEnds() : null;
  if (!ends || !ends.length) return Infinity;
  return Math.abs(linearRings(feature.getFlatCoordinates(), 0, ends, feature.getStride()));
}

/** Smaller is more specific: [rank, area]; rank 0 points and lines, 1 polygons, 2 boundary. */
function specificity(feature) {
  if (feature.get('layer') === BOUNDARY) return [2, 0];
  const type = feature.getType();
  if (!type.endsWith('Polygon')) return [0, 0];
  return [1, polygonArea(feature)];
}

function moreSpecific(a, b) {
  const [rankA, areaA] = specificity(a);
  const [rankB, areaB] = specificity(b);
  return rankA - rankB || areaA - areaB;
}

/** The most specific feature of `layer` at `pixel`, or undefined. */
export function mostSpecificAt(map, pixel, layer) {
  const hits = [];
  map.forEachFeatureAtPixel(pixel, (feature) => { hits.push(feature); }, {
    layerFilter: (candidate) => candidate === layer, hitTolerance: 3,
  });
  return hits.sort(moreSpecific)[0];
}

/** "Pinned to lot A1", "Pinned to Roads: Lê Lợi" or "Pinned to a feature of Buildings". */
export function describeFeature(labels, feature) {
  const kind = feature.get('layer');
  const layer = (labels.kinds || {})[kind] || kind || '';
  const code = feature.get('code');
  if (code != null && kind === 'landuse') return interpolate(labels.pinnedLot, { code });
  const name = code ?? feature.get('name') ?? feature.get('text');
  if (name != null && name !== '') return interpolate(labels.pinnedNamed, { layer, name });
  return interpolate(labels.pinnedFeatureOf, { layer });
}

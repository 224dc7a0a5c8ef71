// Styles of the review layers. Change types and severities get fixed, distinct colours
// (also used by the legend in the toolbar and the icons in the panel, see review.css).
import Point from 'ol/geom/Point';
import { Circle as CircleStyle, Fill, Stroke, Style, Text } from 'ol/style';

export const CHANGE_COLOURS = {
  added: '#2e7d32',
  removed: '#b3261e',
  geometry: '#e08a00',
  attributes: '#1f5f99',
  geometry_attributes: '#7b3fa0',
  // Not this revision's change: another project's approval took it out of force (grey, dotted).
  superseded: '#6b7280',
};

const CHANGE_DASHES = { removed: [8, 5], superseded: [2, 4] };

function rgba(hex, alpha) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

function outlined(colour, { fillAlpha = 0.3, width = 2, dash = undefined, radius = 6 } = {}) {
  const fill = new Fill({ color: rgba(colour, fillAlpha) });
  const stroke = new Stroke({ color: colour, width, lineDash: dash });
  return new Style({ fill, stroke, image: new CircleStyle({ radius, fill, stroke }) });
}

const changeStyles = Object.fromEntries(Object.entries(CHANGE_COLOURS).map(([change, colour]) => [
  change,
  outlined(colour, { fillAlpha: CHANGE_DASHES[change] ? 0.18 : 0.38, dash: CHANGE_DASHES[change], width: 2.5 }),
]));

export function changeStyle(feature) {
  return changeStyles[feature.get('change')] || changeStyles.attributes;
}

const findingStyles = {
  // Outlines only: a gap finding can cover most of the plan and would tint the whole map.
  error: outlined('#b3261e', { fillAlpha: 0, width: 2.5, dash: [4, 3], radius: 7 }),
  warning: outlined('#b26a00', { fillAlpha: 0, width: 2, dash: [4, 3], radius: 7 }),
};
const selectedFinding = outlined('#111111', { fillAlpha: 0.12, width: 4, radius: 9 });

export function findingStyle(feature) {
  if (feature.get('selected')) return [findingStyles[feature.get('severity')] || findingStyles.warning, selectedFinding];
  return findingStyles[feature.get('severity')] || findingStyles.warning;
}

const pinCache = new Map();
/** Comment pins: open threads in the accent colour with their number, resolved ones grey. */
export function commentStyle(feature) {
  const open = feature.get('status') === 'open';
  const selected = Boolean(feature.get('selected'));
  const key = `${open}|${selected}|${feature.get('label')}`;
  if (!pinCache.has(key)) {
    const colour = open ? '#c8553d' : '#7b8591';
    const fill = new Fill({ color: colour });
    const stroke = new Stroke({ color: '#ffffff', width: 2 });
    pinCache.set(key, [
      new Style({
        stroke: new Stroke({ color: colour, width: selected ? 4 : 2.5 }),
        fill: new Fill({ color: rgba(colour, 0.12) }),
      }),
      new Style({
        image: new CircleStyle({ radius: selected ? 12 : 10, fill, stroke }),
        text: new Text({
          text: String(feature.get('label') || ''),
          fill: new Fill({ color: '#ffffff' }),
          font: 'bold 11px system-ui, sans-serif',
        }),
        geometry: (f) => pinPoint(f.getGeometry()),
      }),
    ]);
  }
  return pinCache.get(key);
}

/** Where a pin's badge goes: the point itself, a line's middle, a polygon's interior point. */
function pinPoint(geometry) {
  if (!geometry) return undefined;
  const type = geometry.getType();
  if (type === 'Point') return geometry;
  if (type === 'LineString') return new Point(geometry.getCoordinateAt(0.5));
  if (type === 'Polygon') return new Point(geometry.getInteriorPoint().getCoordinates().slice(0, 2));
  if (type === 'MultiPolygon') return new Point(geometry.getInteriorPoints().getFirstCoordinate());
  return new Point(geometry.getFirstCoordinate());
}

export const sketchStyle = outlined('#7a1f5c', { fillAlpha: 0.15, width: 3, radius: 7 });

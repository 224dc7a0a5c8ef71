// Colours of the CAD page: each planning kind has one, so the preview shows the mapping as
// it is chosen; ignored layers are pale grey. Report entries are red rings.
import { Circle as CircleStyle, Fill, Stroke, Style } from 'ol/style';

export const KIND_COLOURS = {
  boundary: '#7a1f5c',
  landuse: '#e08a00',
  roads: '#4d4d4d',
  redlines: '#d00000',
  buildlines: '#c2185b',
  infrastructure: '#1f5f99',
  buildings: '#8b4513',
  annotation: '#2e7d32',
  ignore: '#b8b8b8',
};

function rgba(hex, alpha) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

const kindStyles = new Map();
/** The preview style of a feature whose CAD layer is mapped to `kind`. */
export function kindStyle(kind) {
  const key = KIND_COLOURS[kind] ? kind : 'ignore';
  if (!kindStyles.has(key)) {
    const colour = KIND_COLOURS[key];
    const stroke = new Stroke({ color: colour, width: key === 'ignore' ? 1 : 2 });
    const fill = new Fill({ color: rgba(colour, key === 'ignore' ? 0.05 : 0.2) });
    kindStyles.set(key, new Style({
      stroke, fill, image: new CircleStyle({ radius: 3, fill: new Fill({ color: colour }) }),
    }));
  }
  return kindStyles.get(key);
}

const ring = (colour, width, radius) => new Style({
  image: new CircleStyle({ radius, stroke: new Stroke({ color: colour, width }),
    fill: new Fill({ color: rgba(colour, 0.15) }) }),
});
const issueStyles = { normal: ring('#b3261e', 2.5, 9), selected: [ring('#111111', 4, 14), ring('#b3261e', 3, 9)] };

export function issueStyle(feature) {
  return feature.get('selected') ? issueStyles.selected : issueStyles.normal;
}

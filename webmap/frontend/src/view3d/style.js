// Colouring of the buildings by height or by storeys: one Cesium3DTileStyle with a condition
// per class, and the matching legend. The classes are fixed so that the same colour means
// the same height in every plan.
import { Cesium3DTileStyle } from 'cesium';
import { el } from '../config.js';

export const NO_DATA_COLOUR = '#bdbdbd';
export const CONTEXT_COLOUR = 'color("#d6d6d6", 0.55)';
const RAMP = ['#ffffb2', '#fecc5c', '#fd8d3c', '#f03b20', '#bd0026'];

/** Lower bounds of the classes above the first one. */
export const CLASSES = {
  height: { property: 'height', breaks: [10, 20, 40, 80] },
  storeys: { property: 'storeys', breaks: [4, 7, 13, 25] },
};

/** [{min, max, colour}] with max null for the last (open) class. */
export function classesOf(mode) {
  const { breaks } = CLASSES[mode];
  const bounds = [0, ...breaks];
  return bounds.map((min, index) => ({
    min,
    max: index + 1 < bounds.length ? bounds[index + 1] : null,
    colour: RAMP[index],
  }));
}

/** The colour of a value in a mode (for the info card swatch), as a CSS colour. */
export function colourOf(mode, value) {
  if (value == null || Number.isNaN(Number(value))) return NO_DATA_COLOUR;
  const match = classesOf(mode).filter((c) => Number(value) >= c.min).pop();
  return match ? match.colour : RAMP[0];
}

export function buildingStyle(mode) {
  const variable = '${' + CLASSES[mode].property + '}';
  const conditions = [[`${variable} === undefined || ${variable} === null`, `color("${NO_DATA_COLOUR}")`]];
  for (const cls of classesOf(mode).reverse()) {
    conditions.push([cls.min > 0 ? `Number(${variable}) >= ${cls.min}` : 'true', `color("${cls.colour}")`]);
  }
  return new Cesium3DTileStyle({ color: { conditions } });
}

export function contextStyle() {
  return new Cesium3DTileStyle({ color: CONTEXT_COLOUR });
}

function classLabel(cls, unit) {
  if (cls.max == null) return `≥ ${cls.min} ${unit}`;
  if (unit === 'm') return `${cls.min}–${cls.max} ${unit}`;
  return `${cls.min}–${cls.max - 1} ${unit}`;
}

/** Fills the legend list for a mode; labels.units = {height: 'm', storeys: '…'}. */
export function renderLegend(list, mode, labels) {
  const unit = labels.units[mode];
  const rows = classesOf(mode).map((cls) => legendRow(cls.colour, classLabel(cls, unit)));
  rows.push(legendRow(NO_DATA_COLOUR, labels.noData));
  list.replaceChildren(...rows);
}

function legendRow(colour, text) {
  const row = el('li', 'legend-row');
  const swatch = el('span', 'legend-swatch');
  swatch.style.backgroundColor = colour;
  row.append(swatch, el('span', '', text));
  return row;
}

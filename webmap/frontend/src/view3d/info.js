// Attribute info for a clicked building: the picked Cesium3DTileFeature's batch-table
// properties, shown as the same card as the 2D map's feature info.
import { Cesium3DTileFeature, Color, ScreenSpaceEventHandler, ScreenSpaceEventType } from 'cesium';
import { el } from '../config.js';

const TITLE_PROPERTIES = ['code', 'name', 'id'];
const HIGHLIGHT = Color.fromCssColorString('#00e5ff');

function tableRow(key, value) {
  const row = el('tr');
  row.append(el('th', '', key), el('td', '', value == null ? '' : String(value)));
  return row;
}

function propertiesOf(feature) {
  const ids = feature.getPropertyIds ? feature.getPropertyIds() : feature.getPropertyNames();
  return ids.map((id) => [id, feature.getProperty(id)]);
}

function featureCard(properties, sourceTitle, colour, labels) {
  const card = el('article', 'info-card view3d-card');
  const header = el('header', 'info-header');
  const swatch = el('span', 'legend-swatch');
  swatch.style.backgroundColor = colour;
  const byName = Object.fromEntries(properties);
  const title = TITLE_PROPERTIES.map((name) => byName[name]).find((value) => value != null);
  header.append(swatch, el('strong', '', title == null ? labels.building : String(title)));
  const table = el('table', 'info-table');
  table.append(tableRow(labels.source, sourceTitle));
  for (const [key, value] of properties) table.append(tableRow(key, value));
  card.append(header, table);
  return card;
}

/**
 * Click → describe the building under the pointer in `target`; the picked building is
 * highlighted until the next click. `describeColour(properties)` gives the swatch colour.
 */
export function setUpPicking(widget, target, sources, labels, describeColour) {
  const handler = new ScreenSpaceEventHandler(widget.scene.canvas);
  let highlighted = null;
  handler.setInputAction(({ position }) => {
    if (highlighted) {
      // Back to the style's colour (which may have changed since the pick); a tileset
      // swapped for another date's is gone already.
      if (!highlighted.tileset.isDestroyed()) highlighted.tileset.makeStyleDirty();
      highlighted = null;
    }
    const picked = widget.scene.pick(position);
    target.hidden = false;
    if (!(picked instanceof Cesium3DTileFeature)) {
      target.replaceChildren(el('p', 'muted', labels.noBuilding));
      widget.scene.requestRender();
      return;
    }
    const properties = propertiesOf(picked);
    const source = sources.get(picked.tileset);
    target.replaceChildren(
      featureCard(properties, source ? source.title : '', describeColour(properties), labels),
    );
    highlighted = picked;
    picked.color = HIGHLIGHT;
    widget.scene.requestRender();
  }, ScreenSpaceEventType.LEFT_CLICK);
  return handler;
}

// The georeferencing page: the planner clicks a point on the scan (a static image in pixel
// coordinates), then either clicks the same point on the map (web mercator over the plans in
// force) or types its surveyed E/N in the storage CRS (VN-2000) in the table. A click is
// converted into E/N with proj4 and the server's definition of that CRS (its +towgs84 shift
// included); typed E/N put the mark on the map. The points go to
// POST /api/rasters/{id}/georeference/ in the storage CRS, which is also the result's CRS.
// Residuals and the RMS come back and are shown, in metres on the ground, with the server's
// warnings (a point's standard error above what the plan's scale can show, outliers, a fit
// with no point to spare or too few to find one).
import './georef.css';
import Map from 'ol/Map';
import View from 'ol/View';
import ImageLayer from 'ol/layer/Image';
import TileLayer from 'ol/layer/Tile';
import VectorLayer from 'ol/layer/Vector';
import VectorSource from 'ol/source/Vector';
import Static from 'ol/source/ImageStatic';
import XYZ from 'ol/source/XYZ';
import Feature from 'ol/Feature';
import Point from 'ol/geom/Point';
import Projection from 'ol/proj/Projection';
import { Circle as CircleStyle, Fill, Stroke, Style, Text } from 'ol/style';
import { ScaleLine } from 'ol/control';
import { fromLonLat } from 'ol/proj';
import proj4 from 'proj4';
import { readConfig, el, interpolate } from './config.js';
import { mapControls } from './controls.js';
import { formatDecimal, readNumberInput } from './numbers.js';

// E/N are written to the millimetre, as surveyed coordinates are.
const GRID_DIGITS = 3;

function pointStyle(label) {
  return new Style({
    image: new CircleStyle({ radius: 6, fill: new Fill({ color: 'rgba(255,255,255,0.6)' }),
      stroke: new Stroke({ color: '#d7191c', width: 2 }) }),
    text: new Text({ text: label, offsetY: -14, fill: new Fill({ color: '#d7191c' }) }),
  });
}

/** Web mercator (the map) to and from the storage CRS's E/N (`config.grid`, whose PROJ
 * definition the server sends: never a copy of the VN-2000 shift here). */
function gridConverter(config) {
  const converter = proj4(config.clickCrs, config.grid.proj4);
  return { toGrid: (c) => converter.forward(c), toMap: (c) => converter.inverse(c) };
}

/** The scan's controls: the map pages' tooltips, no scale line (its units are pixels). */
function scanControls(labels) {
  const controls = mapControls(labels);
  controls.getArray().filter((c) => c instanceof ScaleLine).forEach((c) => controls.remove(c));
  return controls;
}

/** The scan in its own pixel space: x = column, y = -row (rows grow downwards). */
function createImageMap(config) {
  const { width, height } = config.raster;
  const extent = [0, -height, width, 0];
  const projection = new Projection({ code: 'scan-pixels', units: 'pixels', extent });
  const marks = new VectorSource();
  const map = new Map({
    target: 'georef-image',
    controls: scanControls(config.labels),
    layers: [
      new ImageLayer({ source: new Static({ url: config.urls.image, projection, imageExtent: extent }) }),
      new VectorLayer({ source: marks }),
    ],
    view: new View({ projection, center: [width / 2, -height / 2], zoom: 1, maxZoom: 8 }),
  });
  map.getView().fit(extent, { size: map.getSize() || [480, 480] });
  return { map, marks };
}

function createWorldMap(config) {
  const marks = new VectorSource();
  const tiles = new TileLayer({
    source: new XYZ({ url: config.urls.tiles.replace('{layer}', 'plans'), transition: 0 }),
  });
  const map = new Map({
    target: 'georef-map',
    controls: mapControls(config.labels),
    layers: [tiles, new VectorLayer({ source: marks })],
    view: new View({ projection: 'EPSG:3857', center: fromLonLat([107.58, 16.46]), zoom: 13 }),
  });
  if (config.boundary) map.getView().fit(config.boundary, { padding: [24, 24, 24, 24] });
  return { map, marks };
}

/** A coordinate or residual as the page's language writes it (561.300,25 in Vietnamese). */
function fmt(value, digits) {
  return value === null || value === undefined ? '' : formatDecimal(value, digits);
}

/** Marks every E/N input whose text is no number and says why under the table: a point
 * typed the other language's way must not be sent, nor dropped in silence. True when all
 * are empty or numbers. */
function checkInputs(labels) {
  const messages = [];
  document.querySelectorAll('#georef-points input.georef-coordinate').forEach((input) => {
    const { message } = readNumberInput(input, labels);
    if (message) messages.push(message);
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  });
  const box = document.getElementById('georef-input-errors');
  box.replaceChildren(...messages.map((message) => el('div', '', message)));
  box.hidden = !messages.length;
  return !messages.length;
}

/** A point with both E and N, clicked on the map or typed. */
function complete(point) {
  return point.x !== null && point.x !== undefined && point.y !== null && point.y !== undefined;
}

function start() {
  const config = readConfig('georef-config');
  const { labels } = config;
  const grid = gridConverter(config);
  const scan = createImageMap(config);
  const world = createWorldMap(config);
  const status = document.getElementById('georef-status');
  const tbody = document.querySelector('#georef-points tbody');
  const orderSelect = document.getElementById('georef-order');
  orderSelect.value = String(config.order || 1);
  // The points of the last placement (x/y: E/N in the storage CRS, as the server sends
  // them), so that a reload shows them and the planner can add to them and place again.
  /** @type {{col:number,row:number,x:number|null,y:number|null,residual_m?:number|null,residual_pixels?:number,outlier?:boolean}[]} */
  const points = (config.controlPoints || []).map((p) => ({ ...p }));
  const canEdit = Boolean(config.canEdit);
  let pending = null;
  status.textContent = canEdit ? labels.clickImage : '';

  function drawMarks() {
    scan.marks.clear();
    world.marks.clear();
    points.forEach((p, index) => {
      const style = pointStyle(String(index + 1));
      const onScan = new Feature(new Point([p.col, -p.row]));
      onScan.setStyle(style);
      scan.marks.addFeature(onScan);
      if (complete(p)) {
        const onMap = new Feature(new Point(grid.toMap([p.x, p.y])));
        onMap.setStyle(style);
        world.marks.addFeature(onMap);
      }
    });
  }

  /** The point's E or N: an input for a planner (what it shows is kept in data-shown, so
   * that only an edit replaces a clicked value's full precision; a text that is no number
   * stays, marked, through a redraw), text for the others. */
  function coordinateCell(p, axis, number, row) {
    const text = fmt(p[axis], GRID_DIGITS);
    const cell = el('td');
    if (!canEdit) {
      cell.textContent = text;
      return cell;
    }
    const input = el('input', 'georef-coordinate');
    Object.assign(input, { type: 'text', inputMode: 'decimal', value: p.wrong?.[axis] ?? text });
    input.dataset.axis = axis;
    input.dataset.shown = text;
    input.setAttribute('aria-label', interpolate(
      axis === 'x' ? labels.eastingOf : labels.northingOf, { number }));
    input.setAttribute('aria-describedby', 'georef-input-errors');
    input.addEventListener('change', () => typed(p, input, row));
    cell.append(input);
    return cell;
  }

  /** A typed E or N: the point takes it (its map mark follows) and its residual, from the
   * last placement, no longer holds. */
  function typed(p, input, row) {
    checkInputs(labels);
    const { axis } = input.dataset;
    const { value, message } = readNumberInput(input, labels);
    p.wrong = { ...p.wrong, [axis]: message ? input.value : undefined };
    if (message) return;
    p[axis] = value;
    input.dataset.shown = input.value;
    Object.assign(p, { residual_m: null, residual_pixels: null, outlier: false });
    row.classList.remove('georef-outlier');
    row.children[5].textContent = '';
    row.children[6].textContent = '';
    if (p === pending && complete(p)) {
      pending = null;
      status.textContent = labels.clickImage;
    }
    drawMarks();
  }

  function drawTable() {
    tbody.replaceChildren();
    points.forEach((p, index) => {
      const label = String(index + 1);
      const row = el('tr', p.outlier ? 'georef-outlier' : '');
      row.dataset.point = label;
      [label, fmt(p.col, 1), fmt(p.row, 1)].forEach((text) => row.append(el('td', '', text)));
      row.append(coordinateCell(p, 'x', label, row), coordinateCell(p, 'y', label, row));
      [fmt(p.residual_m, 3), fmt(p.residual_pixels, 2)]
        .forEach((text) => row.append(el('td', '', text)));
      if (p.outlier) {
        row.children[5].append(' ', el('span', 'georef-outlier-mark', labels.outlier));
      }
      const cell = el('td');
      if (canEdit) {
        const remove = el('button', 'button button-small button-secondary', labels.remove);
        remove.type = 'button';
        remove.addEventListener('click', () => {
          if (pending === p) pending = null;
          points.splice(index, 1);
          redraw();
        });
        cell.append(remove);
      }
      row.append(cell);
      tbody.append(row);
    });
    checkInputs(labels);
  }

  function redraw() {
    drawMarks();
    drawTable();
  }

  /** The RMS and the standard error of a point on the ground, what the plan's scale can
   * show, and the warnings. */
  function showAccuracy(accuracy, rmsPixels) {
    const line = document.getElementById('georef-rms');
    let text = labels.done
      .replace('%(rms)s', fmt(accuracy.rms_m, 3)).replace('%(pixels)s', fmt(rmsPixels, 2));
    // the standard error, not the RMS, is what the server compares with the scale
    if (accuracy.error_m !== null && accuracy.error_m !== undefined) {
      text += ` ${labels.error.replace('%(error)s', fmt(accuracy.error_m, 3))}`;
    }
    if (accuracy.tolerance_m !== null) {
      text += ` ${labels.tolerance.replace('%(scale)s', String(accuracy.scale))
        .replace('%(tolerance)s', fmt(accuracy.tolerance_m, 2))}`;
    }
    line.textContent = text;
    line.dataset.rms = String(accuracy.rms_m);
    line.dataset.rmsPixels = String(rmsPixels);
    line.dataset.error = String(accuracy.error_m ?? '');
    const list = document.getElementById('georef-warnings');
    list.replaceChildren(...accuracy.warnings.map((warning) => el('li', '', warning)));
    list.hidden = accuracy.warnings.length === 0;
  }

  function showOpenLink() {
    const open = document.getElementById('georef-open-map');
    open.href = config.urls.map;
    open.hidden = false;
  }

  redraw();
  if (points.length && config.accuracy) showAccuracy(config.accuracy, config.rmsPixels);
  if (config.placed) showOpenLink();
  if (canEdit) {
    listen();
  } else {
    // read-only (a reviewer, or a revision no longer in the works): nothing to click or place
    orderSelect.closest('label').hidden = true;
    document.getElementById('georef-apply').hidden = true;
  }

  /** Clicks add points; the button places the scan with them. */
  function listen() {
    scan.map.on('singleclick', (event) => {
      const [x, y] = event.coordinate;
      pending = { col: x, row: -y, x: null, y: null };
      points.push(pending);
      status.textContent = labels.clickMap;
      redraw();
    });
    world.map.on('singleclick', (event) => {
      if (!pending) return;
      [pending.x, pending.y] = grid.toGrid(event.coordinate);
      pending = null;
      status.textContent = labels.clickImage;
      redraw();
    });
    document.getElementById('georef-apply').addEventListener('click', place);
  }

  /** An E/N typed but not yet left (no change event): the point takes it before sending. */
  function takeUnsavedInputs() {
    tbody.querySelectorAll('input.georef-coordinate').forEach((input) => {
      if (input.value !== input.dataset.shown) input.dispatchEvent(new Event('change'));
    });
  }

  async function place() {
    takeUnsavedInputs();
    if (!checkInputs(labels)) {
      status.textContent = labels.fixNumbers;
      return;
    }
    const ready = points.filter(complete);
    const order = Number(orderSelect.value);
    if (ready.length < (order === 2 ? 6 : 3)) {
      status.textContent = labels.needPoints;
      return;
    }
    const body = {
      control_points: ready.map((p) => ({ col: p.col, row: p.row, x: p.x, y: p.y })),
      order,
      crs: config.grid.code,
      target_crs: config.storageCrs,
    };
    const csrf = document.cookie.split('; ').find((c) => c.startsWith('csrftoken='));
    const response = await fetch(config.urls.georeference, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json',
        'X-CSRFToken': csrf ? csrf.split('=')[1] : '' },
      body: JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) {
      status.textContent = `${labels.failed}: ${data.detail || response.status}`;
      return;
    }
    // The server reports residuals in the result CRS, in the order the points were sent.
    ready.forEach((p, i) => Object.assign(p, {
      residual_m: data.control_points[i].residual_m,
      residual_pixels: data.control_points[i].residual_pixels,
      outlier: data.control_points[i].outlier,
    }));
    redraw();
    showAccuracy(data.accuracy, data.rms_pixels);
    showOpenLink();
    // placed anew: the server's word on whether it now lies in Viet Nam
    document.getElementById('georef-outside').hidden = !data.outside_vietnam;
    status.textContent = '';
  }
  globalThis.georefPages = {
    scan: scan.map, world: world.map, points, ...grid,
    mapMarks: () => world.marks.getFeatures().map((f) => f.getGeometry().getCoordinates()),
  };
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}

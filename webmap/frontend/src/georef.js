// The georeferencing page: the planner clicks a point on the scan (a static image in pixel
// coordinates), then the same point on the map (web mercator over the plans in force);
// the pairs go to POST /api/rasters/{id}/georeference/ with the map points in EPSG:3857 and
// the storage CRS as the result's CRS. Residuals and the RMS come back and are shown, in
// metres on the ground, with the server's warnings (a point's standard error above what the
// plan's scale can show, outliers, a fit with no point to spare or too few to find one).
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
import { fromLonLat } from 'ol/proj';
import { readConfig, el } from './config.js';
import { formatDecimal } from './numbers.js';

function pointStyle(label) {
  return new Style({
    image: new CircleStyle({ radius: 6, fill: new Fill({ color: 'rgba(255,255,255,0.6)' }),
      stroke: new Stroke({ color: '#d7191c', width: 2 }) }),
    text: new Text({ text: label, offsetY: -14, fill: new Fill({ color: '#d7191c' }) }),
  });
}

/** The scan in its own pixel space: x = column, y = -row (rows grow downwards). */
function createImageMap(config) {
  const { width, height } = config.raster;
  const extent = [0, -height, width, 0];
  const projection = new Projection({ code: 'scan-pixels', units: 'pixels', extent });
  const marks = new VectorSource();
  const map = new Map({
    target: 'georef-image',
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

function start() {
  const config = readConfig('georef-config');
  const scan = createImageMap(config);
  const world = createWorldMap(config);
  const status = document.getElementById('georef-status');
  const tbody = document.querySelector('#georef-points tbody');
  const orderSelect = document.getElementById('georef-order');
  orderSelect.value = String(config.order || 1);
  // The points of the last placement (map x/y in EPSG:3857, as the server sends them), so
  // that a reload shows them and the planner can add to them and place the scan again.
  /** @type {{col:number,row:number,x:number|null,y:number|null,residual_m?:number|null,residual_pixels?:number,outlier?:boolean}[]} */
  const points = (config.controlPoints || []).map((p) => ({ ...p }));
  const canEdit = Boolean(config.canEdit);
  let pending = null;
  status.textContent = canEdit ? config.labels.clickImage : '';

  function redraw() {
    scan.marks.clear();
    world.marks.clear();
    tbody.replaceChildren();
    points.forEach((p, index) => {
      const label = String(index + 1);
      const onScan = new Feature(new Point([p.col, -p.row]));
      onScan.setStyle(pointStyle(label));
      scan.marks.addFeature(onScan);
      if (p.x !== null) {
        const onMap = new Feature(new Point([p.x, p.y]));
        onMap.setStyle(pointStyle(label));
        world.marks.addFeature(onMap);
      }
      const row = el('tr', p.outlier ? 'georef-outlier' : '');
      row.dataset.point = label;
      [label, fmt(p.col, 1), fmt(p.row, 1), fmt(p.x, 2), fmt(p.y, 2), fmt(p.residual_m, 3),
        fmt(p.residual_pixels, 2)].forEach((text) => row.append(el('td', '', text)));
      if (p.outlier) {
        row.children[5].append(' ', el('span', 'georef-outlier-mark', config.labels.outlier));
      }
      const cell = el('td');
      if (canEdit) {
        const remove = el('button', 'button button-small button-secondary', config.labels.remove);
        remove.type = 'button';
        remove.addEventListener('click', () => { points.splice(index, 1); redraw(); });
        cell.append(remove);
      }
      row.append(cell);
      tbody.append(row);
    });
  }

  /** The RMS and the standard error of a point on the ground, what the plan's scale can
   * show, and the warnings. */
  function showAccuracy(accuracy, rmsPixels) {
    const line = document.getElementById('georef-rms');
    let text = config.labels.done
      .replace('%(rms)s', fmt(accuracy.rms_m, 3)).replace('%(pixels)s', fmt(rmsPixels, 2));
    // the standard error, not the RMS, is what the server compares with the scale
    if (accuracy.error_m !== null && accuracy.error_m !== undefined) {
      text += ` ${config.labels.error.replace('%(error)s', fmt(accuracy.error_m, 3))}`;
    }
    if (accuracy.tolerance_m !== null) {
      text += ` ${config.labels.tolerance.replace('%(scale)s', String(accuracy.scale))
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
      status.textContent = config.labels.clickMap;
      redraw();
    });
    world.map.on('singleclick', (event) => {
      if (!pending) return;
      [pending.x, pending.y] = event.coordinate;
      pending = null;
      status.textContent = config.labels.clickImage;
      redraw();
    });

    document.getElementById('georef-apply').addEventListener('click', async () => {
      const complete = points.filter((p) => p.x !== null);
      const order = Number(orderSelect.value);
      if (complete.length < (order === 2 ? 6 : 3)) {
        status.textContent = config.labels.needPoints;
        return;
      }
      const body = {
        control_points: complete.map((p) => ({ col: p.col, row: p.row, x: p.x, y: p.y })),
        order,
        crs: config.clickCrs,
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
        status.textContent = `${config.labels.failed}: ${data.detail || response.status}`;
        return;
      }
      // The server reports residuals in the result CRS, in the order the points were sent.
      complete.forEach((p, i) => Object.assign(p, {
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
    });
  }
  globalThis.georefPages = { scan: scan.map, world: world.map, points };
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}

// The 3D view (loaded lazily by toggle.js): a CesiumJS globe with no Cesium ion, no online
// imagery and no terrain service. The ground is the plans-in-force XYZ tiles of this server
// on the WGS84 ellipsoid; buildings come from this server's 3D Tiles (plans in force and,
// on the review page, the revision under review). With a date (the map's date control) the
// plans in force are those of that date: the tileset with `datetime`, the ground by WMS TIME.
import './view3d.css';
import {
  BoundingSphere,
  Cesium3DTileset,
  CesiumWidget,
  Color,
  EllipsoidTerrainProvider,
  HeadingPitchRange,
  ImageryLayer,
  Matrix4,
  Rectangle,
  ShadowMode,
  UrlTemplateImageryProvider,
  WebMapServiceImageryProvider,
  WebMercatorTilingScheme,
} from 'cesium';
import { buildingStyle, colourOf, contextStyle, renderLegend } from './style.js';
import { interpolate } from '../config.js';
import { setUpPicking } from './info.js';
import { setUpSun } from './sun.js';
import { FLAT_COLOURS, SUNLIT } from './shading.js';

const MARGIN_DEGREES = 0.01;
const GROUND_WMS_LAYER = 'plans'; // the WMS layer of the ground's XYZ tiles

/** Tilesets of the plans in force follow the date; a revision is the same at any date. */
function followsDate(source) {
  return source.id === 'in-force';
}

function tilesetUrl(source, date) {
  if (!date || !followsDate(source)) return source.url;
  const url = new URL(source.url, window.location.href);
  url.searchParams.set('datetime', date);
  return url.href;
}

/** The ground: the XYZ tiles of the plans in force now, or the WMS with TIME=date. */
function groundLayer(config, date, wmsUrl) {
  const options = { tilingScheme: new WebMercatorTilingScheme(), maximumLevel: 20 };
  if (config.extent) {
    const [w, s, e, n] = config.extent;
    options.rectangle = Rectangle.fromDegrees(
      w - MARGIN_DEGREES, s - MARGIN_DEGREES, e + MARGIN_DEGREES, n + MARGIN_DEGREES);
  }
  if (date && wmsUrl) {
    return new ImageryLayer(new WebMapServiceImageryProvider({
      ...options,
      url: wmsUrl,
      layers: GROUND_WMS_LAYER,
      parameters: { format: 'image/png', transparent: true, version: '1.3.0', time: date },
      enablePickFeatures: false,
    }));
  }
  if (!config.imageryUrl) return false;
  return new ImageryLayer(new UrlTemplateImageryProvider({ ...options, url: config.imageryUrl }));
}

function replaceGround(widget, layer) {
  widget.imageryLayers.removeAll(true);
  if (layer) widget.imageryLayers.add(layer);
  widget.scene.requestRender();
}

function loadWidgetCss(baseUrl) {
  if (document.getElementById('cesium-widgets-css')) return;
  const link = document.createElement('link');
  link.id = 'cesium-widgets-css';
  link.rel = 'stylesheet';
  link.href = `${baseUrl}Widgets/CesiumWidget/CesiumWidget.css`;
  document.head.append(link);
}

function createWidget(canvasElement, baseLayer) {
  const widget = new CesiumWidget(canvasElement, {
    baseLayer,
    terrainProvider: new EllipsoidTerrainProvider(),
    skyBox: false,
    shadows: true,
    requestRenderMode: true,
    maximumRenderTimeChange: Infinity,
  });
  const { scene } = widget;
  scene.globe.baseColor = Color.fromCssColorString('#eef0ec');
  scene.backgroundColor = Color.fromCssColorString('#dfe7ee');
  scene.globe.depthTestAgainstTerrain = true;
  scene.shadowMap.maximumDistance = 3000;
  return widget;
}

/** Reads the HTTP status of a failed tileset request (Cesium's RequestErrorEvent). */
function statusOf(error) {
  return error && typeof error.statusCode === 'number' ? error.statusCode : null;
}

/** Loads a tileset (not yet added to the scene); null when it cannot be had. */
async function loadTileset(source, date, readiness) {
  const url = tilesetUrl(source, date);
  const record = { state: 'loading', title: source.title, url };
  readiness.tilesets[source.id] = record;
  try {
    const tileset = await Cesium3DTileset.fromUrl(url, { shadows: ShadowMode.ENABLED });
    record.state = 'loaded';
    record.tileset = tileset;
    return tileset;
  } catch (error) {
    record.state = statusOf(error) === 404 ? 'missing' : 'failed';
    record.status = statusOf(error);
    return null;
  }
}

/**
 * After each frame: `tilesLoaded` while every visible 3D tile is loaded, `groundLoaded` for
 * the ground tiles, `frames` counts frames (so a caller can wait for a fresh one).
 */
function trackLoading(scene, readiness) {
  readiness.frames = 0;
  scene.postRender.addEventListener(() => {
    const tilesets = Object.values(readiness.tilesets).filter((r) => r.tileset);
    readiness.tilesLoaded = tilesets.every((r) => r.tileset.tilesLoaded);
    readiness.groundLoaded = scene.globe.tilesLoaded;
    readiness.frames += 1;
  });
}

function flyTo(widget, tilesets, config) {
  const spheres = tilesets.map((t) => t.boundingSphere);
  if (spheres.length) {
    const sphere = BoundingSphere.fromBoundingSpheres(spheres);
    const range = Math.max(sphere.radius * 2.6, 150);
    widget.camera.viewBoundingSphere(sphere, new HeadingPitchRange(0.35, -0.55, range));
    widget.camera.lookAtTransform(Matrix4.IDENTITY);
    return;
  }
  widget.camera.setView({ destination: placeRectangle(config) });
}

/** The page's data extent, or a small area around the fallback centre. */
function placeRectangle(config) {
  if (config.extent) return Rectangle.fromDegrees(...config.extent);
  const [lon, lat] = config.fallbackCenter;
  return Rectangle.fromDegrees(lon - MARGIN_DEGREES, lat - MARGIN_DEGREES,
    lon + MARGIN_DEGREES, lat + MARGIN_DEGREES);
}

function problemText(config, readiness) {
  const { labels } = config;
  const lines = [];
  for (const source of config.tilesets) {
    const record = readiness.tilesets[source.id];
    if (record.state === 'missing') lines.push(interpolate(labels.notAvailable, { title: source.title }));
    if (record.state === 'failed') lines.push(interpolate(labels.tilesetError, { title: source.title }));
  }
  return lines.join(' ');
}

function controlsOf(container) {
  const find = (name) => container.querySelector(`[data-view3d="${name}"]`);
  return {
    colour: find('colour'), legend: find('legend'), time: find('time'),
    timeValue: find('time-value'), date: find('date'), shadows: find('shadows'),
    message: container.querySelector('.view3d-message'), info: find('info'),
  };
}

function setMessage(element, text, kind) {
  element.textContent = text;
  element.className = `view3d-message ${kind}`;
  element.hidden = !text;
}

/** Cesium shows its own (English) error panel when WebGL fails: check first. */
function assertWebGl() {
  const canvas = document.createElement('canvas');
  if (!canvas.getContext('webgl2') && !canvas.getContext('webgl')) {
    throw new Error('WebGL is not available in this browser');
  }
}

/**
 * The loaded tilesets and how they are dressed (colouring, sun): a date change swaps the
 * plans in force for those of the date once they are loaded, the others stay.
 */
function tilesetShelf(widget, config, controls, readiness) {
  const sources = new Map(); // Cesium3DTileset → its config entry (picking reads it too)
  let sunOn = true;
  const dress = (tileset, source) => {
    tileset.style = source.primary ? buildingStyle(controls.colour.value) : contextStyle();
    tileset.customShader = sunOn ? SUNLIT : FLAT_COLOURS;
  };
  const add = (tileset, source) => {
    widget.scene.primitives.add(tileset);
    sources.set(tileset, source);
    dress(tileset, source);
  };
  const showProblems = () => {
    const problem = problemText(config, readiness);
    setMessage(controls.message, problem, problem ? 'error' : 'muted');
  };
  return {
    sources,
    add,
    showProblems,
    restyle() {
      for (const [tileset, source] of sources) dress(tileset, source);
      renderLegend(controls.legend, controls.colour.value, config.labels);
      widget.scene.requestRender();
    },
    setSun(on) {
      sunOn = on;
      for (const [tileset, source] of sources) dress(tileset, source);
    },
    /** Puts `fresh` (tilesets loaded for `dated`, null where missing) in place of theirs. */
    swap(dated, fresh) {
      for (const [tileset, source] of [...sources]) {
        if (!dated.includes(source)) continue;
        sources.delete(tileset);
        widget.scene.primitives.remove(tileset); // destroys it
      }
      fresh.forEach((tileset, index) => tileset && add(tileset, dated[index]));
      showProblems();
      widget.scene.requestRender();
    },
  };
}

/**
 * Opens the 3D view in `container` (#view3d) showing the plans in force on `date` (now when
 * empty; the ground of a date comes from `wmsUrl`); resolves to {setActive, showPlansOn,
 * widget}.
 */
export async function openView3d(container, config, options = {}) {
  const { infoTarget = null, date = '', wmsUrl = null } = options;
  assertWebGl();
  loadWidgetCss(config.baseUrl);
  const controls = controlsOf(container);
  const readiness = globalThis.__view3d;
  readiness.tilesets = {};
  readiness.date = date;
  const widget = createWidget(container.querySelector('.view3d-canvas'),
    groundLayer(config, date, wmsUrl));
  readiness.widget = widget;
  const shelf = tilesetShelf(widget, config, controls, readiness);

  const loaded = await Promise.all(config.tilesets.map((s) => loadTileset(s, date, readiness)));
  loaded.forEach((tileset, index) => tileset && shelf.add(tileset, config.tilesets[index]));
  controls.colour.addEventListener('change', shelf.restyle);
  shelf.restyle();
  setUpSun(widget, config, controls, shelf.setSun);
  setUpPicking(widget, infoTarget || controls.info, shelf.sources, config.labels,
    (properties) => colourOf(controls.colour.value, Object.fromEntries(properties)[controls.colour.value]));
  const primary = [...shelf.sources].filter(([, source]) => source.primary).map(([t]) => t);
  flyTo(widget, primary.length ? primary : [...shelf.sources.keys()], config);

  shelf.showProblems();
  trackLoading(widget.scene, readiness);
  readiness.state = 'ready';
  widget.scene.requestRender();

  let shownDate = date;
  let request = 0; // the latest date change: an earlier one finishing late is dropped
  const showPlansOn = async (wanted) => {
    if (wanted === shownDate) return;
    shownDate = wanted;
    const mine = ++request;
    readiness.date = wanted;
    readiness.state = 'loading';
    replaceGround(widget, groundLayer(config, wanted, wmsUrl));
    const dated = config.tilesets.filter(followsDate);
    const fresh = await Promise.all(dated.map((s) => loadTileset(s, wanted, readiness)));
    if (mine !== request) {
      fresh.forEach((tileset) => tileset && tileset.destroy());
      return;
    }
    shelf.swap(dated, fresh);
    readiness.state = 'ready';
  };
  return {
    widget,
    showPlansOn,
    setActive(active) {
      widget.useDefaultRenderLoop = active;
      if (active) widget.scene.requestRender();
    },
  };
}

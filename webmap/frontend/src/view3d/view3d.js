// The 3D view (loaded lazily by toggle.js): a CesiumJS globe with no Cesium ion, no online
// imagery and no terrain service. The ground is the plans-in-force XYZ tiles of this server
// on the WGS84 ellipsoid; buildings come from this server's 3D Tiles (plans in force and,
// on the review page, the revision under review).
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
  WebMercatorTilingScheme,
} from 'cesium';
import { buildingStyle, colourOf, contextStyle, renderLegend } from './style.js';
import { setUpPicking } from './info.js';
import { setUpSun } from './sun.js';
import { FLAT_COLOURS, SUNLIT } from './shading.js';

const MARGIN_DEGREES = 0.01;

function groundLayer(config) {
  if (!config.imageryUrl) return false;
  const options = {
    url: config.imageryUrl,
    tilingScheme: new WebMercatorTilingScheme(),
    maximumLevel: 20,
  };
  if (config.extent) {
    const [w, s, e, n] = config.extent;
    options.rectangle = Rectangle.fromDegrees(
      w - MARGIN_DEGREES, s - MARGIN_DEGREES, e + MARGIN_DEGREES, n + MARGIN_DEGREES);
  }
  return new ImageryLayer(new UrlTemplateImageryProvider(options));
}

function loadWidgetCss(baseUrl) {
  if (document.getElementById('cesium-widgets-css')) return;
  const link = document.createElement('link');
  link.id = 'cesium-widgets-css';
  link.rel = 'stylesheet';
  link.href = `${baseUrl}Widgets/CesiumWidget/CesiumWidget.css`;
  document.head.append(link);
}

function createWidget(canvasElement, config) {
  const widget = new CesiumWidget(canvasElement, {
    baseLayer: groundLayer(config),
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

async function loadTileset(widget, source, readiness) {
  const record = { state: 'loading', title: source.title };
  readiness.tilesets[source.id] = record;
  try {
    const tileset = await Cesium3DTileset.fromUrl(source.url, { shadows: ShadowMode.ENABLED });
    widget.scene.primitives.add(tileset);
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
    if (record.state === 'missing') lines.push(labels.notAvailable.replace('%(title)s', source.title));
    if (record.state === 'failed') lines.push(labels.tilesetError.replace('%(title)s', source.title));
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

/** Opens the 3D view in `container` (#view3d); resolves to {setActive, widget}. */
export async function openView3d(container, config, { infoTarget = null } = {}) {
  assertWebGl();
  loadWidgetCss(config.baseUrl);
  const controls = controlsOf(container);
  const readiness = globalThis.__view3d;
  readiness.tilesets = {};
  const widget = createWidget(container.querySelector('.view3d-canvas'), config);
  readiness.widget = widget;

  const loaded = await Promise.all(config.tilesets.map((s) => loadTileset(widget, s, readiness)));
  const sources = new Map();
  const primary = [];
  loaded.forEach((tileset, index) => {
    if (!tileset) return;
    const source = config.tilesets[index];
    sources.set(tileset, source);
    if (source.primary) primary.push(tileset);
  });
  const applyColouring = () => {
    for (const [tileset, source] of sources) {
      tileset.style = source.primary ? buildingStyle(controls.colour.value) : contextStyle();
    }
    renderLegend(controls.legend, controls.colour.value, config.labels);
    widget.scene.requestRender();
  };
  controls.colour.addEventListener('change', applyColouring);
  applyColouring();
  setUpSun(widget, config, controls, (sunOn) => {
    for (const tileset of sources.keys()) tileset.customShader = sunOn ? SUNLIT : FLAT_COLOURS;
  });
  setUpPicking(widget, infoTarget || controls.info, sources, config.labels,
    (properties) => colourOf(controls.colour.value, Object.fromEntries(properties)[controls.colour.value]));
  flyTo(widget, primary.length ? primary : [...sources.keys()], config);

  const problem = problemText(config, readiness);
  setMessage(controls.message, problem, problem ? 'error' : 'muted');
  trackLoading(widget.scene, readiness);
  readiness.state = 'ready';
  widget.scene.requestRender();
  return {
    widget,
    setActive(active) {
      widget.useDefaultRenderLoop = active;
      if (active) widget.scene.requestRender();
    },
  };
}

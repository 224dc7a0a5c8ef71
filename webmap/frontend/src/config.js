// Reads the page configuration the Django template put in <script id="map-config">.
// Translated labels come from the server too, so the front end needs no i18n framework.

/**
 * @typedef {{name: string, title: string, visible: boolean}} TileLayerConfig
 * @typedef {{id: number, name: string, kind: string, kindLabel: string}} RevisionLayerConfig
 * @typedef {{id: number, title: string, state: string, stateLabel: string, visible: boolean,
 *            layers: RevisionLayerConfig[]}} RevisionConfig
 * @typedef {{
 *   urls: {tiles: string, legend: string, featureInfo: string, layerFeatures: string,
 *          vectorTiles: string, categories: string},
 *   extent: number[] | null, fallbackCenter: number[], fallbackZoom: number,
 *   tileLayers: TileLayerConfig[], revisions: RevisionConfig[],
 *   labels: Record<string, string>
 * }} MapConfig
 */

/** @returns {MapConfig} */
export function readConfig(elementId = 'map-config') {
  const element = document.getElementById(elementId);
  if (!element) {
    throw new Error(`#${elementId} is missing: the template must render {{ config|json_script }}`);
  }
  return JSON.parse(element.textContent);
}

/** Fills "{name}" placeholders of a URL template, URL-encoding each value. */
export function fillTemplate(template, values) {
  return template.replace(/\{(\w+)\}/g, (match, key) =>
    key in values ? encodeURIComponent(String(values[key])) : match);
}

/** Fills "%(name)s" / "%(count)d" placeholders of a translated template. The values go in
 * through a function, so a "$&" or "$'" in a lot code or road name stays literal. */
export function interpolate(template, values) {
  return template.replace(/%\((\w+)\)[sd]/g, (match, key) => String(values[key] ?? ''));
}

/** Creates an element with a class and optional text: keeps DOM code short and XSS-safe. */
export function el(tag, className = '', text = '') {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

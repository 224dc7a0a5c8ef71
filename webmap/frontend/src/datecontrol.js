// "The plans in force on date D": with a date set, the in-force tile layers switch from
// the cached XYZ tiles (now) to the WMS with TIME=D, which renders the plans that were (or
// will be) in force at the end of that day. Clearing the date switches back. The 3D view
// follows through `onChange` (main.js: its tilesets take `datetime=D`).
import TileWMS from 'ol/source/TileWMS';
import XYZ from 'ol/source/XYZ';
import { fillTemplate } from './config.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function sourceFor(config, name, date) {
  if (!date) {
    const url = fillTemplate(config.urls.tiles, { layer: name }); // keeps {z}/{x}/{y}
    return new XYZ({ url, crossOrigin: 'anonymous', transition: 0 });
  }
  return new TileWMS({
    url: config.urls.wms,
    params: { LAYERS: name, FORMAT: 'image/png', TRANSPARENT: true, VERSION: '1.3.0', TIME: date },
    crossOrigin: 'anonymous',
    transition: 0,
  });
}

/** Shows the plans in force on `date` (YYYY-MM-DD), or now when `date` is empty. */
export function showPlansOn(config, tileLayers, date) {
  const valid = DATE.test(date || '') ? date : '';
  tileLayers.forEach((layer) => layer.setSource(sourceFor(config, layer.get('tileName'), valid)));
  const url = new URL(window.location.href);
  if (valid) url.searchParams.set('date', valid);
  else url.searchParams.delete('date');
  window.history.replaceState(null, '', url);
  return valid;
}

/**
 * Wires the date input and its reset button of the map panel; `onChange(date)` is told each
 * date applied ('' for now), e.g. so the 3D view follows. Returns whether it applied one
 * already (the page opened on a date): then `onChange` has been called.
 */
export function setUpDateControl(config, tileLayers, onChange = () => {}) {
  const input = document.getElementById('in-force-date');
  const reset = document.getElementById('in-force-today');
  if (!input) return false;
  const apply = () => {
    const date = showPlansOn(config, tileLayers, input.value);
    reset.hidden = !date;
    document.getElementById('map').dataset.date = date;
    onChange(date);
  };
  input.addEventListener('change', apply);
  reset.addEventListener('click', () => {
    input.value = '';
    apply();
  });
  if (config.date) {
    input.value = config.date;
    apply();
    return true;
  }
  return false;
}

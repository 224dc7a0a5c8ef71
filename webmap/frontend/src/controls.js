// The controls of every map page (web map, review, CAD import): zoom, rotation reset and a
// scale line, with the tooltips in the page's language (OpenLayers' own are English). The
// server sends them as labels.controls (webmap.mapconfig.control_labels).
import { ScaleLine, defaults as defaultControls } from 'ol/control';

export function mapControls(labels = {}) {
  const tips = labels.controls || {};
  return defaultControls({
    attribution: false,
    zoomOptions: { zoomInTipLabel: tips.zoomIn, zoomOutTipLabel: tips.zoomOut },
    rotateOptions: { tipLabel: tips.resetRotation },
  }).extend([new ScaleLine()]);
}

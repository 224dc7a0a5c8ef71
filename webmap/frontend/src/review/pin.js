// Pinning a new comment: draw a point, line or area (ol/interaction/Draw) or pick a feature
// of the revision by clicking it. The pin is kept until the comment is posted or removed.
import Draw from 'ol/interaction/Draw';
import Feature from 'ol/Feature';
import Point from 'ol/geom/Point';
import { geojson } from './map.js';

const PINNED_LABEL = { Point: 'pinnedPoint', LineString: 'pinnedLine', Polygon: 'pinnedArea' };

export class Pin {
  constructor(config, review) {
    this.config = config;
    this.review = review;
    this.draw = null;
    this.picking = false;
    this.geometry = null; // ol geometry in EPSG:3857
    this.featureId = null;
    review.map.on('singleclick', (event) => this.pick(event));
  }

  /** Starts drawing `type` (Point, LineString, Polygon) or picking a Feature. */
  start(type) {
    this.stop();
    this.clear();
    this.setActive(type);
    if (type === 'Feature') {
      this.picking = true;
      this.say(this.config.labels.pickFeature);
      return;
    }
    this.draw = new Draw({ source: this.review.layers.sketch.getSource(), type });
    this.draw.on('drawend', (event) => {
      this.geometry = event.feature.getGeometry();
      this.say(this.config.labels[PINNED_LABEL[type]]);
      setTimeout(() => this.stop(), 0); // after Draw has finished its own handling
    });
    this.review.map.addInteraction(this.draw);
  }

  pick(event) {
    if (!this.picking) return;
    const { map, layers } = this.review;
    const found = map.forEachFeatureAtPixel(event.pixel, (f) => f, {
      layerFilter: (layer) => layer === layers.revision, hitTolerance: 3,
    });
    if (!found || found.getId() == null) {
      this.say(this.config.labels.noFeatureHere);
      return;
    }
    this.featureId = Number(found.getId());
    this.picking = false;
    this.setActive(null);
    layers.sketch.getSource().addFeature(new Feature(new Point(event.coordinate)));
    this.say(this.config.labels.pinnedFeature.replace('%(id)s', String(this.featureId)));
  }

  stop() {
    if (this.draw) this.review.map.removeInteraction(this.draw);
    this.draw = null;
    this.picking = false;
    this.setActive(null);
  }

  clear() {
    this.geometry = null;
    this.featureId = null;
    this.review.layers.sketch.getSource().clear();
    this.say(this.config.labels.notPinned);
  }

  /** The pin as the API takes it: {geometry: GeoJSON in EPSG:4326} or {feature: id}. */
  payload() {
    if (this.featureId != null) return { feature: this.featureId };
    if (this.geometry) return { geometry: geojson.writeGeometryObject(this.geometry) };
    return {};
  }

  say(text) {
    const node = document.getElementById('pin-state');
    if (node) node.textContent = text;
  }

  setActive(type) {
    document.querySelectorAll('[data-draw]').forEach((button) => {
      button.setAttribute('aria-pressed', String(button.dataset.draw === type));
    });
    this.review.map.getTargetElement().classList.toggle('is-pinning', Boolean(type));
  }
}

// Pinning a new comment: draw a point, line or area (ol/interaction/Draw) or pick a feature
// of the revision by clicking it. The pin is kept until the comment is posted or removed.
import Draw from 'ol/interaction/Draw';
import Feature from 'ol/Feature';
import Point from 'ol/geom/Point';
import { geojson } from './map.js';
import { describeFeature, mostSpecificAt } from './picking.js';

const PINNED_LABEL = { Point: 'pinnedPoint', LineString: 'pinnedLine', Polygon: 'pinnedArea' };
const CLICK_AFTER_DRAW_MS = 600;

export class Pin {
  constructor(config, review) {
    this.config = config;
    this.review = review;
    this.draw = null;
    this.picking = false;
    this.geometry = null; // ol geometry in EPSG:3857
    this.featureId = null;
    this.drewAt = 0;
    review.onClick((event) => this.claim(event), { first: true });
  }

  /** Whether a map click is the pin's: picking a feature, drawing, or the click that has
   * just finished a drawing (Draw ends on the click, the single click comes 250 ms later). */
  claim(event) {
    if (this.picking) {
      this.pick(event);
      return true;
    }
    return Boolean(this.draw) || Date.now() - this.drewAt < CLICK_AFTER_DRAW_MS;
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
      this.drewAt = Date.now();
      this.say(this.config.labels[PINNED_LABEL[type]]);
      setTimeout(() => this.stop(), 0); // after Draw has finished its own handling
    });
    this.review.map.addInteraction(this.draw);
  }

  /** Pins the most specific feature of the revision under the click (a lot rather than the
   * plan boundary around it). */
  pick(event) {
    const { map, layers } = this.review;
    const found = mostSpecificAt(map, event.pixel, layers.revision);
    if (!found || found.getId() == null) {
      this.say(this.config.labels.noFeatureHere);
      return;
    }
    this.featureId = Number(found.getId());
    this.picking = false;
    this.setActive(null);
    layers.sketch.getSource().addFeature(new Feature(new Point(event.coordinate)));
    this.say(describeFeature(this.config.labels, found));
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

// Sun position and shadows: a time-of-day slider (and a date) in the site's local time drive
// the viewer clock, which places Cesium's sun light; shadows follow it.
import { JulianDate } from 'cesium';

function pad(number) {
  return String(number).padStart(2, '0');
}

/** Today's date at the site (UTC offset in minutes), as YYYY-MM-DD. */
function siteToday(utcOffsetMinutes) {
  const now = new Date(Date.now() + utcOffsetMinutes * 60_000);
  return `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())}`;
}

/** The instant of `minutes` after local midnight of `isoDate` at the site. */
export function siteInstant(isoDate, minutes, utcOffsetMinutes) {
  const [year, month, day] = isoDate.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, day, 0, minutes - utcOffsetMinutes));
}

export function formatMinutes(minutes) {
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/**
 * Wires the slider, date and sun checkbox of the 3D panel to the widget; `onSunChange(on)`
 * is told whether the sun (lighting and shadows) is on.
 */
export function setUpSun(widget, config, controls, onSunChange) {
  const { time, timeValue, date, shadows } = controls;
  if (!date.value) date.value = siteToday(config.utcOffsetMinutes);
  widget.clock.shouldAnimate = false;
  const apply = () => {
    const minutes = Number(time.value);
    timeValue.textContent = formatMinutes(minutes);
    const isoDate = date.value || siteToday(config.utcOffsetMinutes);
    const instant = siteInstant(isoDate, minutes, config.utcOffsetMinutes);
    widget.clock.currentTime = JulianDate.fromDate(instant);
    widget.scene.shadowMap.enabled = shadows.checked;
    widget.scene.globe.enableLighting = shadows.checked;
    onSunChange(shadows.checked);
    widget.scene.requestRender();
  };
  [time, date].forEach((input) => input.addEventListener('input', apply));
  shadows.addEventListener('change', apply);
  apply();
}

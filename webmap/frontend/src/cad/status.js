// The page's message line (errors in red, confirmations in green) and the small string
// formatter for the translated templates the server rendered ("%(name)d", "%(name)s").
import { formatCount, formatDecimal } from '../numbers.js';

// The number formatters live in ../numbers.js (with the parser of typed numbers); the CAD
// page's modules take them from here with the message helpers.
export { formatCount, formatDecimal };

export function showStatus(kind, text) {
  const box = document.getElementById('cad-status');
  box.className = `cad-status alert alert-${kind}`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  box.textContent = text; // server text is data: never parsed as HTML
  box.hidden = false;
}

export function clearStatus() {
  const box = document.getElementById('cad-status');
  box.hidden = true;
  box.textContent = ''; // a hidden warning is not read on by assistive tools either
}

/** Fills Python-style placeholders: %(name)d (a count, localised), %(name)s; "%%" is a
 * percent sign. */
export function format(template, values) {
  return template
    .replace(/%\((\w+)\)([ds])/g, (match, key, type) => (
      type === 'd' && typeof values[key] === 'number'
        ? formatCount(values[key]) : String(values[key] ?? '')))
    .replace(/%%/g, '%');
}

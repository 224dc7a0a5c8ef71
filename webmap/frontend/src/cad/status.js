// The page's message line (errors in red, confirmations in green) and the small string
// formatter for the translated templates the server rendered ("%(name)d", "%(name)s").

export function showStatus(kind, text) {
  const box = document.getElementById('cad-status');
  box.className = `cad-status alert alert-${kind}`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  box.textContent = text; // server text is data: never parsed as HTML
  box.hidden = false;
}

export function clearStatus() {
  document.getElementById('cad-status').hidden = true;
}

/** A count as the page's language writes it: 27.031 in Vietnamese, 27,031 in English. */
export function formatCount(value) {
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value ?? '');
  return number.toLocaleString(document.documentElement.lang || undefined);
}

/** A decimal number with `digits` decimals as the page's language writes it: 1,00000 in
 * Vietnamese, 1.00000 in English. */
export function formatDecimal(value, digits) {
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value ?? '');
  return new Intl.NumberFormat(document.documentElement.lang || undefined, {
    minimumFractionDigits: digits, maximumFractionDigits: digits,
  }).format(number);
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

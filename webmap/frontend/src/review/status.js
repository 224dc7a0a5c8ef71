// The page's message line: API errors in red, confirmations in green. A message can
// survive the reload that follows a state change (sessionStorage), so the user sees it.
// Confirmations clear themselves after a few seconds; errors stay until the next action.
// The line is an aria-live region (review.html), so screen readers announce each message.
const FLASH_KEY = 'planning-review-flash';
export const CLEAR_AFTER_MS = 6000;

let clearTimer = null;

export function showStatus(kind, text) {
  const box = document.getElementById('review-status');
  if (!box) return;
  clearTimeout(clearTimer);
  box.className = `review-status alert alert-${kind}`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  box.setAttribute('aria-live', kind === 'error' ? 'assertive' : 'polite');
  box.dataset.kind = kind;
  box.textContent = text; // server text is data: never parsed as HTML
  box.hidden = false;
  box.scrollIntoView({ block: 'nearest' });
  if (kind !== 'error') clearTimer = setTimeout(clearStatus, CLEAR_AFTER_MS);
}

export function clearStatus() {
  clearTimeout(clearTimer);
  const box = document.getElementById('review-status');
  if (!box) return;
  box.hidden = true;
  box.textContent = '';
}

/** Reloads (or goes to `url`) and shows `text` as a success message on arrival. */
export function reloadWith(text, url = null) {
  sessionStorage.setItem(FLASH_KEY, text);
  if (url) window.location.assign(url);
  else window.location.reload();
}

export function showFlash() {
  const text = sessionStorage.getItem(FLASH_KEY);
  if (text) {
    sessionStorage.removeItem(FLASH_KEY);
    showStatus('success', text);
  }
}

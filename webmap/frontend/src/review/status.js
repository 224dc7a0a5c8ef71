// The page's message line: API errors in red, confirmations in green. A message can
// survive the reload that follows a state change (sessionStorage), so the user sees it.
const FLASH_KEY = 'planning-review-flash';

export function showStatus(kind, text) {
  const box = document.getElementById('review-status');
  if (!box) return;
  box.className = `review-status alert alert-${kind}`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  box.textContent = text; // server text is data: never parsed as HTML
  box.hidden = false;
  box.scrollIntoView({ block: 'nearest' });
}

export function clearStatus() {
  const box = document.getElementById('review-status');
  if (box) box.hidden = true;
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

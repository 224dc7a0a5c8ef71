// Forms marked data-submit-once (an upload that imports a layer): the first submit disables
// their submit buttons, so a double click or a second Enter cannot import the file twice.

function setBusy(form, busy) {
  form.dataset.submitting = busy ? 'true' : '';
  form.querySelectorAll('button[type="submit"]').forEach((button) => {
    if (!button.dataset.idleLabel) button.dataset.idleLabel = button.textContent;
    button.disabled = busy;
    button.textContent = busy && button.dataset.busyLabel ? button.dataset.busyLabel : button.dataset.idleLabel;
  });
}

export function lockOnSubmit(root = document) {
  const forms = [...root.querySelectorAll('form[data-submit-once]')];
  forms.forEach((form) => {
    form.addEventListener('submit', (event) => {
      if (form.dataset.submitting === 'true') {
        event.preventDefault();
        return;
      }
      setBusy(form, true); // the browser sends the form all the same
    });
  });
  // Back from the result page, a page restored from the back-forward cache is usable again.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) forms.forEach((form) => setBusy(form, false));
  });
}

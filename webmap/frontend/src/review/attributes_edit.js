// Editing a draft's feature attributes from its feature-info card: the planner corrects what
// QA found missing or out of range (a lot's function, its density) without importing the
// drawing again. The form offers the layer kind's schema attributes (config.editableAttributes,
// from planning.feature_edits), reads numbers the page's way ("1.000,5" in Vietnamese) and
// sends only what changed; the server checks again and names a refused attribute, which the
// form marks. After a save the map's tiles, the QA findings and the card are refreshed.
import { el, fillTemplate, interpolate as format } from '../config.js';
import { NumberTextError, parseNumber } from '../numbers.js';
import { request } from './api.js';
import { showStatus } from './status.js';

const numberShown = new Intl.NumberFormat(document.documentElement.lang || undefined, {
  maximumFractionDigits: 6,
});

function shownValue(spec, value) {
  if (value == null) return '';
  if (spec.type !== 'string' && typeof value === 'number') return numberShown.format(value);
  return String(value);
}

/** A schema attribute's stored value: under its own key, else a spelling in another case
 * ("FUNCTION" from a shapefile), as the server and QA read it. */
function storedValue(attributes, name) {
  if (name in attributes) return attributes[name];
  const key = Object.keys(attributes).find((k) => k.toLowerCase() === name);
  return key === undefined ? null : attributes[key];
}

function field(config, feature, spec, value) {
  const { labels } = config;
  const id = `edit-attribute-${feature.id}-${spec.name}`;
  const wrapper = el('div', 'attribute-field');
  const label = el('label', '', (labels.attributes || {})[spec.name] || spec.name);
  label.htmlFor = id;
  if (spec.required) label.append(el('span', 'required-mark', ' *'));
  const input = el('input', 'attribute-input');
  Object.assign(input, { id, name: spec.name, type: 'text', value: shownValue(spec, value) });
  input.dataset.original = input.value;
  input.dataset.type = spec.type;
  if (spec.percent) input.dataset.percent = 'true';
  input.setAttribute('aria-describedby', `edit-problem-${feature.id}`);
  if (spec.type !== 'string') input.inputMode = 'decimal';
  if (spec.required) input.required = true;
  wrapper.append(label, input);
  return wrapper;
}

/** {name: value} of the fields changed by hand; null clears. Throws on a number the page's
 * language does not write that way, naming the field. */
function changesOf(form, labels) {
  const changes = {};
  form.querySelectorAll('.attribute-input').forEach((input) => {
    if (input.value === input.dataset.original) return;
    if (input.dataset.type === 'string') {
      changes[input.name] = input.value.trim() || null;
      return;
    }
    // "60 %" is how a density is written; the attribute holds the number of percent
    const text = input.dataset.percent ? input.value.replace(/\s*%\s*$/, '') : input.value;
    try {
      changes[input.name] = parseNumber(text);
    } catch (error) {
      if (!(error instanceof NumberTextError)) throw error;
      const name = (labels.attributes || {})[input.name] || input.name;
      const problem = format(labels.numberAsWritten, { example: error.example });
      throw Object.assign(new Error(`${name}: ${problem}`), { attribute: input.name });
    }
  });
  return changes;
}

function markInvalid(form, attribute) {
  form.querySelectorAll('.attribute-input').forEach((input) => {
    const invalid = input.name === attribute;
    input.setAttribute('aria-invalid', String(invalid));
    if (invalid) input.focus();
  });
}

function showProblem(form, text, attribute) {
  const problem = form.querySelector('.attribute-problem');
  problem.textContent = text;
  problem.hidden = false;
  markInvalid(form, attribute);
  if (!attribute) problem.focus(); // a conflict or a lost connection: no field to go to
}

/** What the form was shown of the changed attributes: the server refuses the save when
 * another planner changed one meanwhile. */
function expectedOf(feature, changes) {
  const attributes = feature.attributes || {};
  return Object.fromEntries(Object.keys(changes).map((name) => [name, storedValue(attributes, name)]));
}

async function save(config, feature, form, close) {
  let changes;
  try {
    changes = changesOf(form, config.labels);
  } catch (error) {
    showProblem(form, error.message, error.attribute);
    return;
  }
  if (!Object.keys(changes).length) {
    close(false);
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const url = fillTemplate(config.urls.feature, { id: feature.id });
    const json = { attributes: changes, expected: expectedOf(feature, changes) };
    await request(url, { method: 'PATCH', json, labels: config.labels });
    showStatus('success', config.labels.attributesSaved);
    close(true);
  } catch (error) {
    showProblem(form, error.message, error.data && error.data.attribute);
    button.disabled = false;
  }
}

function editForm(config, feature, close) {
  const { labels } = config;
  const specs = config.editableAttributes[feature.kind];
  const form = el('form', 'attribute-form');
  form.noValidate = true; // the server's messages, in the page's language, say what is wrong
  const problem = el('p', 'attribute-problem error');
  problem.id = `edit-problem-${feature.id}`;
  problem.tabIndex = -1;
  problem.setAttribute('role', 'alert');
  problem.hidden = true;
  const attributes = feature.attributes || {};
  form.append(...specs.map((spec) => field(config, feature, spec, storedValue(attributes, spec.name))));
  const actions = el('div', 'attribute-actions');
  const submit = el('button', 'btn btn-primary', labels.save);
  submit.type = 'submit';
  const cancel = el('button', 'btn', labels.cancel);
  cancel.type = 'button';
  cancel.addEventListener('click', () => close(false));
  actions.append(submit, cancel);
  form.append(problem, actions);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save(config, feature, form, close);
  });
  return form;
}

/** The card's "Edit attributes" button, when this user may edit this feature (a feature
 * of the revision shown, a draft, its planner) and its layer kind has editable attributes;
 * `onSaved(changed)` runs after a save (true) or a cancel or a save of nothing (false). */
export function editButton(config, feature, card, onSaved) {
  const editable = config.editableAttributes || {};
  if (!config.canEditAttributes || feature.revision_id !== config.revision.id) return null;
  if (!(editable[feature.kind] || []).length) return null;
  const button = el('button', 'btn btn-small attribute-edit', config.labels.editAttributes);
  button.type = 'button';
  button.addEventListener('click', () => {
    const table = card.querySelector('.info-table');
    const form = editForm(config, feature, (changed) => {
      if (!changed) {
        form.replaceWith(table);
        button.hidden = false;
        button.focus();
      }
      onSaved(changed);
    });
    table.replaceWith(form);
    button.hidden = true;
    form.querySelector('.attribute-input').focus();
  });
  return button;
}

// Numbers as the page's language writes and reads them (<html lang>): Vietnamese writes
// 1.821.300,25 ("." groups the thousands, "," marks the decimals), English 1,821,300.25;
// both may group with spaces. The formatters print numbers for the page; parseNumber reads
// what people type into its inputs by the same rules.
import { interpolate } from './config.js';

// Spaces that group digits: the plain one, the non-breaking one and the narrow one (what
// Intl and office programs put between groups in some languages).
const SPACES = /[ \u00a0\u2009\u202f]/g;
const MINUS = /^[-\u2212]/; // the hyphen-minus or the minus sign

export function pageLanguage() {
  return document.documentElement.lang || undefined;
}

/** A count as the page's language writes it: 27.031 in Vietnamese, 27,031 in English. */
export function formatCount(value, lang = pageLanguage()) {
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value ?? '');
  return number.toLocaleString(lang);
}

/** A decimal number with `digits` decimals as the page's language writes it: 1,00000 in
 * Vietnamese, 1.00000 in English. What rounds to zero is written 0, never -0,000. */
export function formatDecimal(value, digits, lang = pageLanguage()) {
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value ?? '');
  const rounded = Number(number.toFixed(digits));
  return new Intl.NumberFormat(lang, {
    minimumFractionDigits: digits, maximumFractionDigits: digits,
  }).format(rounded === 0 ? 0 : number);
}

/** The language's decimal mark and digit-grouping mark: "," and "." in Vietnamese. */
export function separators(lang = pageLanguage()) {
  const parts = new Intl.NumberFormat(lang).formatToParts(12345.6);
  const mark = (type, fallback) => parts.find((part) => part.type === type)?.value ?? fallback;
  return { decimal: mark('decimal', '.'), group: mark('group', ',').replace(SPACES, ' ') };
}

/** Why a typed text is not a number; `example` writes one as the language does. */
export class NumberTextError extends Error {
  constructor(text, lang) {
    super(`Not a number in ${lang || 'this language'}: ${text}`);
    this.name = 'NumberTextError';
    this.text = text;
    this.example = formatDecimal(1821300.25, 2, lang);
    Object.assign(this, separators(lang));
  }
}

function escaped(mark) {
  return mark.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Digits, or groups of three after a first group of one to three digits, all with the
 * same mark: the language's or a space. */
function integerDigits(text, group) {
  if (/^\d+$/.test(text)) return text;
  const grouped = [...new Set([group, ' '])].map(escaped)
    .some((mark) => new RegExp(`^\\d{1,3}(${mark}\\d{3})+$`).test(text));
  return grouped ? text.replace(/\D/g, '') : null;
}

/** The number `text` writes in the page's language ("561.300" is 561300 in Vietnamese,
 * 561.3 in English), null when it is empty; throws a NumberTextError when it is not a
 * number written that way ("561.3" in Vietnamese, "1,5.0"), rather than guess. */
export function parseNumber(text, lang = pageLanguage()) {
  const trimmed = String(text ?? '').replace(SPACES, ' ').trim();
  if (!trimmed) return null;
  const { decimal, group } = separators(lang);
  const sign = MINUS.test(trimmed) ? '-' : '';
  const unsigned = trimmed.replace(MINUS, '').replace(/^\+/, '');
  const [whole, fraction, ...rest] = unsigned.split(decimal);
  const digits = integerDigits(whole, group);
  const fractionOk = fraction === undefined || /^\d+$/.test(fraction);
  if (digits === null || !fractionOk || rest.length) throw new NumberTextError(text, lang);
  return Number(`${sign}${digits}${fraction === undefined ? '' : `.${fraction}`}`);
}

/** A number input's value as the page's language writes it ("561.300,25" is 561300.25 in
 * Vietnamese): {value} (null when empty), or {message} saying why it is no number and how
 * to write one (labels.numberMalformed, naming the input by its aria-label). */
export function readNumberInput(input, labels) {
  try {
    return { value: parseNumber(input.value) };
  } catch (error) {
    if (!(error instanceof NumberTextError)) throw error;
    const message = interpolate(labels.numberMalformed, {
      field: input.getAttribute('aria-label'),
      text: input.value.trim(),
      example: error.example,
      group: error.group,
      decimal: error.decimal,
    });
    return { value: null, message };
  }
}


// Counted phrases ("1 error", "2 errors") as the server translated them for each plural
// category of the page's language (reviewconfig.plural_forms).
const pluralRules = new Intl.PluralRules(document.documentElement.lang || undefined);

/** The phrase of `forms` for `count`, with the count filled in. */
export function counted(forms, count) {
  const template = forms[pluralRules.select(count)] || forms.other;
  return template.replace('%(count)d', String(count));
}

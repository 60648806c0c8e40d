// Translations for the scripts: Django's JavaScript catalog (/jsi18n/, loaded before the modules)
// defines the global `django`; strings are marked with gettext() so makemessages -d djangojs finds them.
const catalog = globalThis.django;

export function gettext(text) {
  return catalog ? catalog.gettext(text) : text;
}

// "%(name)s" placeholders, as in the Python code: format(gettext("Sent to %(email)s"), {email}).
export function format(text, values) {
  return text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

export function language() {
  return document.documentElement.lang || "en";
}

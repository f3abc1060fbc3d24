/**
 * What a person most likely meant by a country that is no ISO 3166 two-letter code: `USA`,
 * `U.S.`, `United States`, `UK`, `Deutschland`, `Canada`. Names and three-letter codes come from
 * i18n-iso-countries (its names and aliases in the languages senders write in), not a hand list.
 */
import { createRequire } from 'node:module';
import { countryCodes } from './country-codes.ts';

const require = createRequire(import.meta.url);
/** The languages operators write country names in (the registry's region and its neighbours). */
const LANGUAGES = ['en', 'fr', 'es', 'de', 'pt', 'it', 'nl'] as const;

/** Longer than any country name or alias: not looked up. */
const MAX_NAME = 60;

/** `Côte d'Ivoire` -> `cotedivoire`: case, accents, spaces and punctuation aside. */
function nameKey(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');
}

let byName: Map<string, string> | undefined;

/** Every name and alias in every language, once (the library's own lookup scans them all per call). */
function namesIndex(): Map<string, string> {
  if (byName) return byName;
  byName = new Map();
  const countries = countryCodes();
  for (const lang of LANGUAGES) {
    // Registered here, the first time a name is looked up: only these languages are read.
    countries.registerLocale(require(`i18n-iso-countries/langs/${lang}.json`));
    for (const [alpha2, names] of Object.entries(countries.getNames(lang, { select: 'all' }))) {
      for (const name of names) {
        const key = nameKey(name);
        if (key && !byName.has(key)) byName.set(key, alpha2);
      }
    }
  }
  return byName;
}

export function suggestCountry(raw: string): string | undefined {
  const text = raw.trim();
  if (text.length === 0 || text.length > MAX_NAME) return undefined;
  // `U.S.`, `u s a`: the letters alone.
  const letters = text.replace(/[.\s]/g, '').toUpperCase();
  if (/^[A-Z]{2}$/.test(letters) && countryCodes().isValid(letters)) return letters;
  if (/^[A-Z]{3}$/.test(letters)) {
    const alpha2 = countryCodes().alpha3ToAlpha2(letters);
    if (alpha2) return alpha2;
  }
  return namesIndex().get(nameKey(text));
}

/**
 * What a person most likely meant by a country that is no ISO 3166 two-letter code: `USA`,
 * `U.S.`, `United States`, `UK`, `Deutschland`, `Canada`. Names and three-letter codes come from
 * i18n-iso-countries (its names and aliases in the languages senders write in), not a hand list.
 */
import { createRequire } from 'node:module';
import countries from 'i18n-iso-countries';

const require = createRequire(import.meta.url);
/** The languages operators write country names in (the registry's region and its neighbours). */
const LANGUAGES = ['en', 'fr', 'es', 'de', 'pt', 'it', 'nl'] as const;
for (const lang of LANGUAGES) countries.registerLocale(require(`i18n-iso-countries/langs/${lang}.json`));

/** Longer than any country name or alias: not looked up. */
const MAX_NAME = 60;

export function suggestCountry(raw: string): string | undefined {
  const text = raw.trim();
  if (text.length === 0 || text.length > MAX_NAME) return undefined;
  // `U.S.`, `u s a`: the letters alone.
  const letters = text.replace(/[.\s]/g, '').toUpperCase();
  if (/^[A-Z]{2}$/.test(letters) && countries.isValid(letters)) return letters;
  if (/^[A-Z]{3}$/.test(letters)) {
    const alpha2 = countries.alpha3ToAlpha2(letters);
    if (alpha2) return alpha2;
  }
  for (const lang of LANGUAGES) {
    const alpha2 = countries.getSimpleAlpha2Code(text, lang) ?? countries.getAlpha2Code(text, lang);
    if (alpha2) return alpha2;
  }
  return undefined;
}

/**
 * i18n-iso-countries without its names: the package's main entry reads the names of every
 * language it knows (78 JSON files, some 25 ms of CPU at every start) before the first
 * code is checked. Its codes-only module is the same library; country-suggestion.ts registers
 * the few languages it looks names up in, when it first does.
 */
import type Countries from 'i18n-iso-countries';
import { lazyPackage } from '../shared/index.ts';

export const countryCodes = lazyPackage<typeof Countries>('i18n-iso-countries/index');

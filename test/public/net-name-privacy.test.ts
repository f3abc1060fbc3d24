/**
 * The rule that decides whether a net's name gives away a private customer (finding rev-staff
 * F2): the hidden words joined to others, as upstreams write net names without spaces.
 */
import { describe, expect, it } from 'vitest';
import { netNameRevealsCustomer } from '../../src/public/net-name-privacy.ts';

const quinceworth = {
  name: 'John Quinceworth',
  street: ['12 Elm Court'],
  city: 'Springfield',
  postalCode: '22150',
};

describe("what a private customer's net name gives away", () => {
  it.each([
    'QUINCEWORTH-HOME',
    'QUINCEWORTHFAM',
    'J-QUINCEWORTH2',
    'THEQUINCEWORTHS',
    'QUINCE-WORTH',
    'quinceworth_net',
    'SPRINGFIELDHOME',
    'ZIP22150',
    'ELMCOURT12',
    'JOHNQ',
  ])('%s holds the name, street, city or postal code', (netName) => {
    expect(netNameRevealsCustomer(netName, quinceworth)).toBe(true);
  });

  it('reads accents off and finds a short surname as a word of its own, or a whole name joined', () => {
    const mueller = { name: 'Jürgen Müller', street: [], city: 'Köln', postalCode: null };
    expect(netNameRevealsCustomer('MULLERNET', mueller)).toBe(true);
    expect(netNameRevealsCustomer('KOLN-3', mueller)).toBe(true);
    const wu = { name: 'Wu Li', street: [], city: 'X', postalCode: '' };
    expect(netNameRevealsCustomer('WU-HOME', wu)).toBe(true);
    expect(netNameRevealsCustomer('WU2', wu)).toBe(true);
    expect(netNameRevealsCustomer('WULI-HOME', wu)).toBe(true);
    // Two letters inside other letters are there by chance.
    expect(netNameRevealsCustomer('WUNDER-LINK', wu)).toBe(false);
  });

  it('leaves a name that holds none of them to the upstream', () => {
    expect(netNameRevealsCustomer('HOME-7', quinceworth)).toBe(false);
    expect(netNameRevealsCustomer('CABLE-POOL-12', quinceworth)).toBe(false);
  });
});

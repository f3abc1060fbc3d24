/**
 * The demo registry. FIXED: outside acceptance tests rely on every handle, address and key here
 * (docs/architecture.md section 6). Change it only when an issue asks.
 */
import type { SeedFile } from './seed-document.ts';

/** The demo ISP's API key, bound to `noc@demo-isp.example` ("DE70" reads as DEMO; hex, so it is a valid key). */
export const DEMO_API_KEY = 'API-DE70-0000-0000-0001';
export const DEMO_SENDER = 'noc@demo-isp.example';
/** The second org's key, for "may this account touch that net?" tests. */
export const OTHER_API_KEY = 'API-DE70-0000-0000-0002';
export const OTHER_SENDER = 'noc@other-isp.example';

export const DEMO_SEED: SeedFile = {
  pocs: [
    {
      handle: 'DEMO1-ARIN',
      type: 'person',
      lastName: 'Operator',
      firstName: 'Demo',
      company: 'Demo ISP',
      street: ['1 Example Way'],
      city: 'Springfield',
      state: 'VA',
      postalCode: '22150',
      country: 'US',
      emails: [DEMO_SENDER],
      officePhones: ['+1-555-0100'],
    },
    {
      handle: 'OTHER1-ARIN',
      type: 'person',
      lastName: 'Operator',
      firstName: 'Other',
      company: 'Other ISP',
      street: ['2 Sample Street'],
      city: 'Portland',
      state: 'OR',
      postalCode: '97201',
      country: 'US',
      emails: [OTHER_SENDER],
      officePhones: ['+1-555-0200'],
    },
  ],
  orgs: [
    {
      handle: 'DEMOISP-1',
      name: 'Demo ISP',
      street: ['1 Example Way'],
      city: 'Springfield',
      state: 'VA',
      postalCode: '22150',
      country: 'US',
      pocs: { admin: 'DEMO1-ARIN', tech: ['DEMO1-ARIN'] },
    },
    {
      handle: 'OTHERISP-1',
      name: 'Other ISP',
      street: ['2 Sample Street'],
      city: 'Portland',
      state: 'OR',
      postalCode: '97201',
      country: 'US',
      pocs: { admin: 'OTHER1-ARIN', tech: ['OTHER1-ARIN'] },
    },
  ],
  nets: [
    { handle: 'NET-198-51-100-0-1', name: 'DEMO-ISP-V4', range: '198.51.100.0/24', org: 'DEMOISP-1' },
    { handle: 'NET6-2001-DB8-1', name: 'DEMO-ISP-V6', range: '2001:db8::/32', org: 'DEMOISP-1' },
    { handle: 'NET-203-0-113-0-1', name: 'OTHER-ISP-V4', range: '203.0.113.0/24', org: 'OTHERISP-1' },
  ],
  accounts: [
    { name: 'demo-isp', emails: [DEMO_SENDER], pocs: ['DEMO1-ARIN'], apiKeys: [DEMO_API_KEY] },
    { name: 'other-isp', emails: [OTHER_SENDER], pocs: ['OTHER1-ARIN'], apiKeys: [OTHER_API_KEY] },
  ],
};

import { describe, expect, it } from 'vitest';
import { readFormsRequest } from './forms-request.ts';

describe('a request for blank forms', () => {
  it.each([
    // Every key shape the daemon reads (shared/key-shapes.ts), wherever it stands in the Subject.
    ['forms POC, net-mod, ARIN-PCO API-DE70-0000-0000-0001', ['POC', 'NET-MOD', 'ARIN-PCO']],
    ['forms API-DE70-0000-0000-0001 ARIN-POC', ['ARIN-POC']],
    ['form ARIN-POC API 7F3A 9C2E B41D 58E6', ['ARIN-POC']],
    ['form ARIN-POC 7F3A-9C2E-B41D-58E6', ['ARIN-POC']],
    ['form ARIN-POC,API_7F3A_9C2E_B41D_58E6_0000_1111', ['ARIN-POC']],
    ['form ARIN-POC API-KEY:7F3A9C2EB41D58E6', ['ARIN-POC']],
    ['form ARIN-POC AP1-7F3A-9C2E-B41D-58E6', ['ARIN-POC']],
    ['form ARIN-POC (key API-7F3A-9C2E-B41D-58E6)', ['ARIN-POC']],
    ['form ARIN-POC API key: 7F3A-9C2E-B41D-58E6', ['ARIN-POC']],
    // Words that name no form.
    ['send me blank forms for POC and ORG please', ['POC', 'ORG']],
    ['forms: "ARIN-POC" & (ARIN-ORG-5.2).', ['ARIN-POC', 'ARIN-ORG-5.2']],
    ['Re: forms ARIN-POC-5.1.txt - thanks', ['ARIN-POC-5.1.TXT']],
    ['forms ARIN-POC [DRY-RUN] dry run', ['ARIN-POC']],
  ])('%j asks for %j', (subject, names) => {
    expect(readFormsRequest(subject)).toEqual({ all: false, names, loose: false });
  });

  it('a key alone is a request for every form', () => {
    expect(readFormsRequest('forms API-DE70-0000-0000-0001')).toEqual({ all: true });
    expect(readFormsRequest('send templates please API-DE70-0000-0000-0001')).toEqual({ all: true });
  });

  it('"templates ..." stays loose, and a Subject that is no request stays none', () => {
    expect(readFormsRequest('Templates for Acme API-DE70-0000-0000-0001')).toEqual({
      all: false,
      names: ['ACME'],
      loose: true,
    });
    expect(readFormsRequest('SWIP API-DE70-0000-0000-0001')).toBeUndefined();
  });
});

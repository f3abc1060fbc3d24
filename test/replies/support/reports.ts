/** The day's examples: a billing system's three templates, one of them wrong. */
import type { ComposeOptions, ReplyRequest, TemplateReport } from '../../../src/replies/index.ts';

export const KEY = 'API-0123-4567-89AB-CDEF';
export const REDACTED_KEY = 'API-****-****-****-CDEF';
export const FIXED_DATE = new Date('2026-11-22T10:00:00Z');

/** How the tests compose a digest reply: our address and host, on FIXED_DATE. */
export function digestOptions(texts: ComposeOptions['texts']): ComposeOptions {
  return {
    style: 'digest',
    from: 'Hostmaster <hostmaster@registry.example>',
    hostname: 'registry.example',
    texts,
    date: FIXED_DATE,
  };
}

const simple = (index: number, network: string, key = REDACTED_KEY): string =>
  [
    'Template: ARIN-REASSIGN-SIMPLE-5.0',
    `00. API Key: ${key}`,
    '01. Registration Action: N',
    `02. Network Name: CUST-${index}`,
    `03. IP Address and Prefix or Range: ${network}`,
    '06. Customer Name: Example Customer',
    'END OF TEMPLATE',
  ].join('\n');

export const approvedNet: TemplateReport = {
  index: 1,
  total: 3,
  form: 'ARIN-REASSIGN-SIMPLE-5.0',
  ticket: '20261122-X0000041',
  status: 'APPROVED',
  handles: { net: 'NET-198-51-100-0-1', customer: 'C00000001' },
  errors: [],
  notes: ['network NET-198-51-100-0-1 registered for customer C00000001'],
  echo: simple(1, '198.51.100.0/29'),
};

export const rejectedNet: TemplateReport = {
  index: 2,
  total: 3,
  form: 'ARIN-REASSIGN-SIMPLE-5.0',
  ticket: '20261122-X0000042',
  status: 'REJECTED',
  handles: {},
  errors: [
    {
      code: 'E_NOT_WITHIN_PARENT',
      field: '03',
      line: 5,
      message: '203.0.113.0/29 is not inside a network your organization holds',
    },
  ],
  notes: [],
  echo: simple(2, '203.0.113.0/29'),
};

export const pendingNet: TemplateReport = {
  index: 3,
  total: 3,
  form: 'ARIN-REASSIGN-SIMPLE-5.3',
  ticket: '20261122-X0000043',
  status: 'PENDING_REVIEW',
  handles: {},
  errors: [],
  notes: ['a /20 or larger reassignment waits for staff review'],
  echo: simple(3, '198.51.96.0/20'),
};

export function threeTemplates(overrides: Partial<ReplyRequest> = {}): ReplyRequest {
  return {
    submissionId: 'S123',
    originalMessageId: '<billing-42@isp.example>',
    originalReferences: ['<thread-1@isp.example>'],
    originalSubject: 'SWIP batch 42',
    to: 'Billing System <billing@isp.example>',
    templates: [approvedNet, rejectedNet, pendingNet],
    ...overrides,
  };
}

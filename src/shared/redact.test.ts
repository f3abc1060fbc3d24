import { describe, expect, it } from 'vitest';
import { redactApiKey, redactKey } from './redact.ts';

describe('redactApiKey', () => {
  it('hides all but the last group of a classic key, wherever it sits in the text', () => {
    expect(redactApiKey('00. API Key: API-1A2B-3C4D-5E6F-7a8b\nnext')).toBe(
      '00. API Key: API-****-****-****-7A8B\nnext',
    );
    expect(redactApiKey('Subject: SWIP API-0000-1111-2222-3333 please')).toBe(
      'Subject: SWIP API-****-****-****-3333 please',
    );
  });

  it('handles the long eight-group form and several keys in one text', () => {
    const text = 'API-AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-0000-1111 and API-1111-2222-3333-4444';
    expect(redactApiKey(text)).toBe(
      'API-****-****-****-****-****-****-****-1111 and API-****-****-****-4444',
    );
  });

  it('leaves text without keys alone', () => {
    expect(redactApiKey('NET-192-0-2-0-1 API-12')).toBe('NET-192-0-2-0-1 API-12');
    expect(redactKey('API-DE70-0000-0000-0001')).toBe('API-****-****-****-0001');
  });
});

import { describe, expect, it } from 'vitest';
import { isHelpRequest } from './help-request.ts';

const subject = (s: string) => isHelpRequest({ subject: s, text: 'Hello\n' });

describe('a request for help', () => {
  it.each([
    'help',
    'HELP.',
    'Re: help',
    '?',
    // The key where the guide says to write it, in any shape the daemon reads one, on either side.
    'help API-DE70-0000-0000-0001',
    'API-DE70-0000-0000-0001 help',
    'Help - API-DE70-0000-0000-0001',
    'help: API key: 7F3A-9C2E-B41D-58E6',
    'HELP API 7F3A 9C2E B41D 58E6',
    // The dry run's word asks for nothing more either.
    'help DRY-RUN',
    '[dry run] help API-DE70-0000-0000-0001',
  ])('Subject %j asks for help', (s) => {
    expect(subject(s)).toBe(true);
  });

  it('reads a first line of text the same way', () => {
    expect(isHelpRequest({ subject: 'question', text: '\nhelp API-DE70-0000-0000-0001\nthanks\n' })).toBe(
      true,
    );
  });

  it.each([
    'helpdesk',
    'help with 192.0.2.0/24',
    'Help me move DEMO1-ARIN API-DE70-0000-0000-0001',
    'API-DE70-0000-0000-0001',
    '',
  ])('Subject %j does not', (s) => {
    expect(subject(s)).toBe(false);
  });
});

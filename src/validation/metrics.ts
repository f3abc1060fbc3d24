/** What the validation counts for /metrics; the observability room implements it (closed label set). */
export const VALIDATION_EVENTS = ['sent', 'answered', 'expired', 'bounced'] as const;
export type ValidationEvent = (typeof VALIDATION_EVENTS)[number];

export interface ValidationCounters {
  validationEvent(event: ValidationEvent): void;
}

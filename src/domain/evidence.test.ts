import { describe, expect, it } from 'vitest';
import { resolveEvidence } from './evidence.js';
import type { LocatablePassage } from './passages.js';

const passages: LocatablePassage[] = [
  { id: 'p1.1', url: 'https://www.acme.test/', text: 'Acme Invoicing helps freelancers send professional invoices in under a minute.' },
  { id: 'p2.1', url: 'https://www.acme.test/pricing', text: 'The Solo plan costs 9 euros per month and includes unlimited invoices.' },
];

describe('resolveEvidence', () => {
  it('fills text and URL from storage for cited IDs, whatever the model wrote beside them', () => {
    const { refs, dropped } = resolveEvidence(['p2.1', '[P1.1]', { id: 'p2.1', quote: 'invented text', sourceUrl: 'https://evil.test/' }], passages);
    expect(refs).toEqual([
      { passageId: 'p2.1', url: 'https://www.acme.test/pricing', quote: passages[1]!.text },
      { passageId: 'p1.1', url: 'https://www.acme.test/', quote: passages[0]!.text },
    ]);
    expect(dropped).toEqual([]);
  });

  it('drops and counts IDs that do not exist', () => {
    const { refs, dropped } = resolveEvidence(['p9.1', '1.2', 'passage-7', 'p1.1'], passages);
    expect(refs.map((r) => r.passageId)).toEqual(['p1.1']);
    expect(dropped).toEqual([
      { reason: 'unknown_id', cited: 'p9.1' },
      { reason: 'unknown_id', cited: '1.2' },
      { reason: 'unknown_id', cited: 'passage-7' },
    ]);
  });

  it('maps free-text quotes to their passage, with URL variants or the wrong page, and drops what is found nowhere', () => {
    const { refs, dropped } = resolveEvidence(
      [
        { quote: 'The Solo plan costs 9 euros per month', sourceUrl: 'https://acme.test/pricing#plans' },
        { quote: 'helps freelancers send professional invoices', sourceUrl: 'https://www.acme.test/pricing' },
        'Acme is trusted by ten thousand companies worldwide.',
        { quote: 'Acme lets freelancers bill clients quickly', sourceUrl: 'https://www.acme.test/' },
      ],
      passages,
    );
    expect(refs.map((r) => [r.passageId, r.url])).toEqual([
      ['p2.1', 'https://www.acme.test/pricing'],
      ['p1.1', 'https://www.acme.test/'],
    ]);
    expect(dropped.map((d) => d.reason)).toEqual(['not_found', 'not_found']);
  });
});

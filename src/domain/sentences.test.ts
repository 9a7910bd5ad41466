import { describe, expect, it } from 'vitest';
import { sentencePieces, sentences } from './sentences.js';

describe('sentences', () => {
  it('cuts at sentence ends, not at abbreviations, in the language given', () => {
    expect(sentences('Integrates with CRMs, e.g. Salesforce. It is fast!', 'en')).toEqual(['Integrates with CRMs, e.g. Salesforce.', 'It is fast!']);
    expect(sentences('Fachwissen jedes Rechtsanwalts bzw. Steuerberaters. Tools wie z. B. HubSpot. Gut.', 'de')).toEqual([
      'Fachwissen jedes Rechtsanwalts bzw. Steuerberaters.',
      'Tools wie z. B. HubSpot.',
      'Gut.',
    ]);
    // A region or an unknown code falls back.
    expect(sentences('Tools wie z. B. HubSpot. Gut.', 'de-CH')).toEqual(['Tools wie z. B. HubSpot.', 'Gut.']);
    expect(sentences('One. Two.', 'und')).toEqual(['One.', 'Two.']);
  });

  it('cuts at line breaks and leaves out what is empty', () => {
    expect(sentences('Heading\nFirst line. Second line.\n\n', 'en')).toEqual(['Heading', 'First line.', 'Second line.']);
    expect(sentences('  ', 'en')).toEqual([]);
  });

  it('gives pieces that are slices of the text, in order, the whole text between them', () => {
    const text = 'Grüße aus München 😀 e.g. here. “Quoted.” Last one';
    const pieces = sentencePieces(text, 'en');
    expect(pieces.length).toBe(3);
    expect(pieces.map(({ start, end }) => text.slice(start, end)).join('')).toBe(text);
    expect(pieces[0]!.start).toBe(0);
    expect(pieces.at(-1)!.end).toBe(text.length);
  });
});

import { describe, expect, it } from 'vitest';
import { nonAnswer } from './non-answers.js';

const siteSaysNothing = () => false;

describe('nonAnswer', () => {
  it('finds fields that are nothing but a non-answer, in the languages the product is used in', () => {
    for (const field of [
      'Not specified',
      'Unknown',
      'None.',
      'N/A',
      '"Not mentioned in the text"',
      'Not stated on the website',
      'No information available',
      'Information not available on the website',
      'Nicht angegeben',
      'Keine Angaben',
      'Non spécifié',
      'Aucune information disponible',
    ]) {
      expect(nonAnswer(field, siteSaysNothing), field).toBe('non_answer');
    }
  });

  it('finds fields that talk about the model\'s input or the model instead of the company', () => {
    for (const field of [
      'Based on the provided text, the company sells invoicing software.',
      'According to the given information, they want faster payments.',
      'The text does not mention any pain points.',
      'The passages say nothing about budgets.',
      'The website does not provide this information.',
      'There is no information about their team size.',
      'As an AI language model, I cannot determine the age of the persona.',
      "The answer is based on the website's website text.",
      'From the text above, freelancers.',
    ]) {
      expect(nonAnswer(field, siteSaysNothing), field).toBe('source_talk');
    }
  });

  it('lets pass what customers and companies say, even with the same words', () => {
    for (const field of [
      'Unknown costs at the end of the month',
      'No time for bookkeeping',
      'None of the tools they tried fit a two-person studio',
      'The text provided by their agency is outdated',
      'The website does not load on phones',
      'Not enough time to chase late payments',
      'Their data is not available offline',
    ]) {
      expect(nonAnswer(field, siteSaysNothing), field).toBeNull();
    }
  });

  it('lets source talk pass where the site itself says the phrase (a privacy page)', () => {
    const site = ' this information is not shared with third parties ';
    const siteSays = (phrase: string) => site.includes(` ${phrase} `);
    expect(nonAnswer('This information is not shared with third parties.', siteSays)).toBeNull();
    expect(nonAnswer('This information is not shared with third parties.', siteSaysNothing)).toBe('source_talk');
  });
});

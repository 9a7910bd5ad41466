import { describe, expect, it } from 'vitest';
import { figuresIn, siteFigures, unstatedFigures } from './figures.js';

describe('figuresIn', () => {
  it('reads a number the way any locale writes it, in one notation', () => {
    expect(figuresIn('Trusted by over 10,000 businesses')).toEqual(['10000']);
    expect(figuresIn('10.000 Kunden, 10 000 utilisateurs')).toEqual(['10000', '10000']);
    expect(figuresIn('From $49 per month, or €19.00 billed yearly')).toEqual(['49', '19']);
    expect(figuresIn('Rated 4.9 out of 5; 19,99 € a month; 37% faster')).toEqual(['4.9', '5', '19.99', '37']);
    expect(figuresIn('In 2024 12 teams joined, 24/7 support')).toEqual(['2024', '12', '24', '7']);
  });

  it('leaves out digits inside names', () => {
    expect(figuresIn('B2B SaaS for MP3 and Web3 studios')).toEqual([]);
  });
});

describe('unstatedFigures', () => {
  const known = siteFigures(['Simple invoices for freelancers. Three plans from €19.00 a month.', 'Rated 4,9 by 10.000 customers']);

  it('accepts the figures the site gives, however they are written, and number words as digits', () => {
    expect(unstatedFigures('3 plans from €19 a month', known)).toEqual([]);
    expect(unstatedFigures('Rated 4.9 by 10,000 customers', known)).toEqual([]);
    expect(unstatedFigures('Invoices for freelancers', known)).toEqual([]);
  });

  it('holds a portrait to statistics only: money, percentages, decimals and thousands, not an age, a count or a year', () => {
    const portrait = { statisticsOnly: true };
    expect(unstatedFigures('Maria, 44, has run a studio of 7 since 2015', known, portrait)).toEqual([]);
    expect(unstatedFigures('Saves teams 11.6 hours every week', known, portrait)).toEqual(['11.6']);
    expect(unstatedFigures('Spends $300 and 15% of her week on 2,500 invoices', known, portrait)).toEqual(['300', '15', '2500']);
  });

  it('names each figure the site does not give, once', () => {
    expect(unstatedFigures('Saves 12 hours a week, 12 months a year, for $49', known)).toEqual(['12', '49']);
    expect(unstatedFigures('Trusted by 100,000 teams', known)).toEqual(['100000']);
  });
});

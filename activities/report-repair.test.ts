import { describe, expect, it } from 'vitest';
import type { Persona } from '../src/domain/report.js';
import { distinctNames } from './report-repair.js';

const persona = (name: string, role: string): Persona =>
  ({ name, role, summary: '', goals: [], painPoints: [], objections: [], buyingTriggers: [], channels: [], messaging: [], evidence: [] }) as unknown as Persona;
const names = (personas: Persona[]) => personas.map((p) => p.name);

describe('distinctNames: personas repaired at the same time told apart', () => {
  it('renames a repaired persona that took the name of one not repaired, with its role', () => {
    const personas = [persona('Dana', 'Operations Lead'), persona('Dana', 'Finance Manager'), persona('Sam', 'Founder')];
    expect(distinctNames(personas, [1])).toEqual([1]);
    expect(names(personas)).toEqual(['Dana', 'Dana (Finance Manager)', 'Sam']);
  });

  it('keeps the first of two repaired personas that chose the same name (case and spacing aside), renames the later', () => {
    const personas = [persona('Sam', 'Founder'), persona('Priya  Shah', 'IT Admin'), persona('priya shah', 'Procurement Officer')];
    expect(distinctNames(personas, [2, 1])).toEqual([2]);
    expect(names(personas)).toEqual(['Sam', 'Priya  Shah', 'priya shah (Procurement Officer)']);
  });

  it('changes nothing when the names differ, and leaves a clash its roles cannot settle to the next check', () => {
    const distinct = [persona('Dana', 'Operations Lead'), persona('Sam', 'Founder')];
    expect(distinctNames(distinct, [0, 1])).toEqual([]);
    expect(names(distinct)).toEqual(['Dana', 'Sam']);

    const sameRole = [persona('Dana (Founder)', 'Founder'), persona('Dana', 'Founder'), persona('Dana', 'Founder')];
    expect(distinctNames(sameRole, [1, 2])).toEqual([]);
    expect(names(sameRole)).toEqual(['Dana (Founder)', 'Dana', 'Dana']);
  });
});

import { describe, expect, it } from 'vitest';
import { diffReports } from './report-diff.js';
import { claim, ref, samplePersona, sampleReport } from '../../test/support/sample-report.js';

describe('diffReports', () => {
  it('says nothing changed between equal versions', () => {
    const d = diffReports(sampleReport(), sampleReport({ version: 2 }));
    expect(d).toMatchObject({ from: 1, to: 2, summary: null, offering: null, personas: { added: [], removed: [], changed: [] } });
    expect(d.personas.unchanged).toHaveLength(2);
  });

  it('lists personas added, removed and changed field by field, with evidence gained and lost, beside the instructions', () => {
    const v1 = sampleReport();
    const v2 = sampleReport({
      version: 2,
      instructions: 'Focus on public clients',
      basedOn: { version: 1, carriedOver: ['summary', 'offering'] },
      personas: [
        samplePersona({ role: 'Head of bridge planning', goals: [claim('Finish bridge plans faster', 'p1.1'), claim('Pass audits', 'p2.1')], evidence: [] }),
        samplePersona({ name: 'Lena, the procurement officer', role: 'Procurement officer' }),
      ],
    });
    const d = diffReports(v1, v2);
    expect(d.instructions).toBe('Focus on public clients');
    expect(d.carriedOver).toEqual(['summary', 'offering']);
    expect(d.personas.added).toEqual(['Lena, the procurement officer']);
    expect(d.personas.removed).toEqual(['Tom, the office owner']);
    const maria = d.personas.changed[0]!;
    expect(maria.text).toEqual([{ field: 'role', before: 'Lead bridge engineer at a city', after: 'Head of bridge planning' }]);
    expect(maria.lists).toEqual([{ field: 'goals', added: ['Pass audits'], removed: [] }]);
    expect(maria.evidence).toEqual({ added: [ref('p2.1')], dropped: [] });
  });

  it('reports a changed summary and offering', () => {
    const v2 = sampleReport({ version: 2, summary: 'New summary of who buys and why.' });
    v2.offering = { ...v2.offering!, products: ['Bridge planner', 'Load calculator'], evidence: [ref('p1.1')] };
    const d = diffReports(sampleReport(), v2);
    expect(d.summary).toEqual({ field: 'summary', before: sampleReport().summary, after: 'New summary of who buys and why.' });
    expect(d.offering).toEqual({
      text: [],
      lists: [{ field: 'products', added: ['Load calculator'], removed: [] }],
      evidence: { added: [ref('p1.1')], dropped: [ref('p2.1')] },
    });
  });
});

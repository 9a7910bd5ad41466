import type { Claim, Persona, ReportContent, WithheldPart } from './report.js';

/**
 * Reports stored before evidence by reference (no `format`) quoted text the model typed, with a
 * URL it chose. Nothing of that can be shown as verified now, so it is read as what it is: the
 * model's statements, every claim inferred, every part unsupported, the old quotes withheld.
 */
interface LegacyEvidence {
  quote?: string;
  sourceUrl?: string;
}
interface LegacyPersona {
  name?: string;
  role?: string;
  summary?: string;
  goals?: string[];
  painPoints?: string[];
  objections?: string[];
  buyingTriggers?: string[];
  channels?: string[];
  messaging?: string[];
  evidence?: LegacyEvidence[];
}
interface LegacyReport {
  site?: ReportContent['site'];
  language?: string;
  summary?: string;
  offering?: { summary?: string; products?: string[]; valuePropositions?: string[]; evidence?: LegacyEvidence[] };
  personas?: LegacyPersona[];
  generatedBy?: ReportContent['generatedBy'];
  version?: number;
  instructions?: string;
}

const LEGACY_REASON = 'written before evidence was cited by reference: its quotes cannot be verified and are not shown';

const inferred = (items: readonly string[] | undefined): Claim[] => (items ?? []).map((text) => ({ text, evidence: [], inferred: true }));

export function readReportContent(raw: unknown): ReportContent {
  if ((raw as { format?: unknown }).format === 2) return raw as ReportContent;
  const stored = raw as LegacyReport;
  const withheld: WithheldPart[] = [];
  if (stored.offering?.evidence?.length) withheld.push({ part: { kind: 'offering' }, field: 'evidence', reason: LEGACY_REASON });
  const personas: Persona[] = (stored.personas ?? []).map((p, index) => {
    if (p.evidence?.length) withheld.push({ part: { kind: 'persona', index }, field: 'evidence', reason: LEGACY_REASON });
    return {
      name: p.name ?? '',
      role: p.role ?? '',
      summary: p.summary ?? '',
      goals: inferred(p.goals),
      painPoints: inferred(p.painPoints),
      objections: inferred(p.objections),
      buyingTriggers: inferred(p.buyingTriggers),
      channels: p.channels ?? [],
      messaging: p.messaging ?? [],
      evidence: [],
      support: 'unsupported',
    };
  });
  return {
    format: 2,
    site: stored.site ?? { url: '', domain: '', title: '' },
    language: stored.language ?? 'en',
    summary: stored.summary ?? null,
    offering: stored.offering
      ? {
          summary: stored.offering.summary ?? '',
          products: stored.offering.products ?? [],
          valuePropositions: stored.offering.valuePropositions ?? [],
          evidence: [],
          support: 'unsupported',
        }
      : null,
    personas,
    droppedEvidence: [],
    withheld,
    generatedBy: stored.generatedBy ?? { model: 'unknown', standIn: false },
    version: stored.version ?? 1,
    ...(stored.instructions ? { instructions: stored.instructions } : {}),
  };
}

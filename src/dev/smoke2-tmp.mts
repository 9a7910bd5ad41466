import OpenAI from 'openai';
import { z } from 'zod';
import { zodResponseFormat } from 'openai/helpers/zod';
import { startMisbehavingAi, BEHAVIOURS } from './misbehaving-ai.js';
const ai = await startMisbehavingAi();
const client = new OpenAI({ apiKey: 'x', baseURL: ai.baseUrl, maxRetries: 0 });
const site = `Website: https://acme.test/ (acme.test)
The website's text as numbered passages. Cite passages by their ID.

Page 1: https://acme.test/
Page title: Acme Invoicing
[p1.1] Acme Invoicing helps freelancers send professional invoices in under a minute.
[p1.2] Small agencies use Acme to track billable hours across clients and projects.

Page 2: https://acme.test/pricing
Page title: Pricing
[p2.1] The Solo plan costs 9 euros per month and includes unlimited invoices. Agency Plus adds team seats for Growing Studios.`;
const ids = z.enum(['p1.1','p1.2','p2.1']);
const claim = z.object({ text: z.string(), evidence: z.array(ids).max(4) });
const persona = z.object({ name: z.string(), role: z.string(), goals: z.array(claim).min(1).max(2) });
const s = z.object({ personas: z.array(persona).min(2).max(2), offering: claim });
for (const b of BEHAVIOURS) {
  ai.use([b]);
  try {
    const r = await client.chat.completions.create({ model: 'm', messages: [{ role: 'system', content: 'You are an analyst. Cite passages by ID.' }, { role: 'user', content: site }, { role: 'user', content: 'Task: write personas.\nWrite in: en (ISO 639-1 code).\nResearch notes (JSON): {"segments":[{"name":"Agencies","evidence":["p1.2"]}],"summary":"Invoices for freelancers"}' }], response_format: zodResponseFormat(s, 'x') });
    console.log('==', b, r.choices[0]!.finish_reason, r.choices[0]!.message.refusal, '\n', r.choices[0]!.message.content);
  } catch (e) { console.log('==', b, String(e)); }
}
await ai.stop();

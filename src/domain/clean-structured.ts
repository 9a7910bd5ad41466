/**
 * What a page says besides its visible text: the facts of its JSON-LD (Organization, Product, FAQ,
 * Review) as short lines, and, for pages that are an empty JavaScript shell, the readable text of
 * their embedded state (`__NEXT_DATA__`, `__NUXT__`, JSON data scripts). Pure.
 */

const SUMMARY_LINE_CHARS = 600;
const SUMMARY_MAX_CHARS = 4000;

const stripTags = (s: string) =>
  s
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;|&apos;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();

function str(value: unknown): string {
  if (typeof value === 'string') return stripTags(value);
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map(str).filter(Boolean).join(', ');
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return str(o.name ?? o['@value'] ?? o.text ?? '');
  }
  return '';
}

function types(node: Record<string, unknown>): string[] {
  const t = node['@type'];
  return (Array.isArray(t) ? t : [t]).filter((x): x is string => typeof x === 'string');
}

const ORGANIZATION = /^(Organization|Corporation|LocalBusiness|OnlineBusiness|OnlineStore|NGO|EducationalOrganization|MedicalOrganization|ProfessionalService|Store|Restaurant|.*Business)$/;
const PRODUCT = /^(Product|SoftwareApplication|WebApplication|MobileApplication|Service|Course|Offer|ProductGroup|IndividualProduct)$/;

function offerText(offers: unknown): string {
  const list = Array.isArray(offers) ? offers : offers ? [offers] : [];
  const parts: string[] = [];
  for (const o of list.slice(0, 5)) {
    if (!o || typeof o !== 'object') continue;
    const offer = o as Record<string, unknown>;
    const price = str(offer.price ?? offer.lowPrice);
    const high = str(offer.highPrice);
    const currency = str(offer.priceCurrency);
    const name = str(offer.name);
    if (price) parts.push(`${name ? `${name}: ` : ''}${price}${high ? `–${high}` : ''}${currency ? ` ${currency}` : ''}`);
  }
  return parts.join('; ');
}

function ratingText(rating: unknown): string {
  if (!rating || typeof rating !== 'object') return '';
  const r = rating as Record<string, unknown>;
  const value = str(r.ratingValue);
  if (!value) return '';
  const best = str(r.bestRating) || '5';
  const count = str(r.reviewCount ?? r.ratingCount);
  return `${value}/${best}${count ? ` from ${count} reviews` : ''}`;
}

function factLines(node: Record<string, unknown>): string[] {
  const lines: string[] = [];
  const t = types(node);
  const name = str(node.name ?? node.headline);
  const description = str(node.description ?? node.slogan);
  if (t.some((x) => ORGANIZATION.test(x))) {
    lines.push(`Organization: ${[name, description, str(node.slogan) !== description ? str(node.slogan) : ''].filter(Boolean).join(' — ')}`);
  }
  if (t.some((x) => PRODUCT.test(x))) {
    const price = offerText(node.offers);
    const rating = ratingText(node.aggregateRating);
    const brand = str(node.brand);
    lines.push(
      `Product: ${[name, brand && brand !== name ? `by ${brand}` : '', description, price ? `price ${price}` : '', rating ? `rated ${rating}` : ''].filter(Boolean).join(' — ')}`,
    );
  }
  if (t.includes('FAQPage') || t.includes('QAPage')) {
    const entities = Array.isArray(node.mainEntity) ? node.mainEntity : node.mainEntity ? [node.mainEntity] : [];
    for (const q of entities.slice(0, 30)) {
      if (!q || typeof q !== 'object') continue;
      const question = q as Record<string, unknown>;
      const answer = str((question.acceptedAnswer as Record<string, unknown> | undefined)?.text ?? question.acceptedAnswer);
      if (str(question.name)) lines.push(`FAQ: ${str(question.name)} ${answer}`.trim());
    }
  }
  if (t.includes('Review')) {
    const rating = ratingText(node.reviewRating);
    const author = str(node.author);
    const body = str(node.reviewBody ?? node.description);
    if (body || rating) lines.push(`Review${rating ? ` (${rating})` : ''}${author ? ` by ${author}` : ''}: ${body}`.trim());
  }
  // Reviews nested in a product or an organization.
  const reviews = Array.isArray(node.review) ? node.review : node.review ? [node.review] : [];
  for (const r of reviews.slice(0, 10)) if (r && typeof r === 'object') lines.push(...factLines({ '@type': 'Review', ...(r as Record<string, unknown>) }));
  return lines;
}

/**
 * The facts of a page's JSON-LD as short lines ("Organization: Acme — Planning for teams",
 * "Product: Acme Pro — price 49 USD", "FAQ: question answer", "Review (5/5) by Ann: text").
 */
export function jsonLdSummary(blocks: readonly unknown[]): string {
  const nodes: Record<string, unknown>[] = [];
  const queue: unknown[] = [...blocks];
  while (queue.length > 0 && nodes.length < 200) {
    const item = queue.shift();
    if (Array.isArray(item)) queue.push(...item);
    else if (item && typeof item === 'object') {
      const o = item as Record<string, unknown>;
      nodes.push(o);
      if (Array.isArray(o['@graph'])) queue.push(...(o['@graph'] as unknown[]));
    }
  }
  const lines: string[] = [];
  let total = 0;
  for (const node of nodes) {
    for (const line of factLines(node)) {
      const cut = line.length > SUMMARY_LINE_CHARS ? `${line.slice(0, SUMMARY_LINE_CHARS - 1)}…` : line;
      if (lines.includes(cut) || total + cut.length > SUMMARY_MAX_CHARS) continue;
      lines.push(cut);
      total += cut.length + 1;
    }
  }
  return lines.join('\n');
}

// Keys of embedded state that hold text a person would read, not identifiers or markup.
const SKIP_KEYS = /^(id|_id|key|slug|url|href|src|srcset|image|images|icon|logo|className|class|style|css|type|__typename|locale|lang|hash|token|buildId|query|asPath|page|path|sys|etag|mimeType|contentType|fileName|width|height|color|variant|theme|analytics|tracking|gtm|script|scripts|code|json|schema)$/i;
const PROSE = /[A-Za-zÀ-ɏЀ-ӿ一-鿿぀-ヿ]{2,}.*\s.*[A-Za-zÀ-ɏЀ-ӿ一-鿿぀-ヿ]{2,}/;

/** Readable strings of an embedded JSON state, in document order, deduplicated. */
export function stateText(state: unknown, maxChars = 20_000): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  let total = 0;
  const stack: Array<{ value: unknown; key: string }> = [{ value: state, key: '' }];
  while (stack.length > 0 && total < maxChars) {
    const { value, key } = stack.pop()!;
    if (SKIP_KEYS.test(key)) continue;
    if (typeof value === 'string') {
      const text = /<[a-z][^>]*>/i.test(value) ? stripTags(value) : value.replace(/\s+/g, ' ').trim();
      if (text.length < 20 || !PROSE.test(text) || /^(https?:|\/|\{|\[|data:)/.test(text) || seen.has(text)) continue;
      // camelCase identifiers and CSS classes have no spaces; prose has a few words at least.
      if (text.split(' ').length < 4) continue;
      seen.add(text);
      out.push(text);
      total += text.length;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key });
    } else if (value && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i]![1], key: entries[i]![0] });
    }
  }
  return out;
}

/** Parses the JSON of an embedded-state script: plain JSON, or `window.X = {...};` assignments. */
export function parseState(script: string): unknown {
  const trimmed = script.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    const start = trimmed.search(/[[{]/);
    const end = Math.max(trimmed.lastIndexOf('}'), trimmed.lastIndexOf(']'));
    if (start < 0 || end <= start) return undefined;
    try {
      return JSON.parse(trimmed.slice(start, end + 1));
    } catch {
      return undefined;
    }
  }
}

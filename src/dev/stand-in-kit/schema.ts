/**
 * STAND-IN KIT (not an AI model): fills a JSON schema mechanically, the way the strict schemas of
 * openai's `zodResponseFormat` are written (objects with `properties`, `$ref`s into
 * `definitions`/`$defs` with URI-encoded JSON-pointer tokens, nullable fields as
 * `anyOf: [X, {type: 'null'}]` or `type: [X, 'null']`, `enum`, `const`, `minItems`/`maxItems`).
 * Node built-ins only; imports no product code and knows none of its field names.
 *
 * Cooperative filling (what `SchemaFiller` does unless a subclass overrides a hook):
 *   - a string gets a whole passage sentence, verbatim; a key that names a label (name, role,
 *     title, label, theme, tone, segment, channel, ...) gets a short capitalised phrase of a passage,
 *     distinct within the response and starting at a point seeded by the request; a key ending in
 *     `url` (or `format: uri`) gets the URL of the page its sibling strings came from;
 *   - an array whose items are string enums (evidence: passage IDs) gets 1-3 values of the enum,
 *     first those of the passages its sibling strings came from;
 *   - `const`, `enum`, integer/number (within minimum/maximum), boolean; nullable: the non-null branch.
 */

import { derive, rotate } from './hash.js';
import type { Piece, Prompt } from './prompt.js';

export type Schema = Record<string, unknown>;
export type FieldKind = 'label' | 'sentence' | 'url';

export interface StringField {
  key: string;
  path: string;
  kind: FieldKind;
  schema: Schema;
  /** Seed for this field: derived from the request and the path. */
  n: number;
  /** Index within the enclosing array, if any. */
  index: number | undefined;
  /** Passage IDs the sibling strings filled so far came from. */
  sources: readonly string[];
}

export interface EnumArrayField {
  key: string;
  path: string;
  schema: Schema;
  /** The enum the items must come from (for evidence: the passage IDs). */
  values: string[];
  minItems: number;
  maxItems: number;
  n: number;
  /** Passage IDs the sibling strings came from. */
  sources: readonly string[];
}

export interface ObjectArrayField {
  key: string;
  path: string;
  schema: Schema;
  minItems: number;
  maxItems: number;
  n: number;
}

const LABEL_WORDS = new Set(
  (
    'name role title label theme tone segment channel category kind type tag industry sector size company brand product ' +
    'position job keyword topic heading stage level platform persona location region country city department seniority archetype'
  ).split(' '),
);

/** The last word of a key (camelCase, snake_case, kebab-case), lower-cased and singular. */
function lastWord(key: string): string {
  const words = key
    .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1 $2')
    .split(/[\s_\-.]+/)
    .filter(Boolean);
  const w = (words.at(-1) ?? '').toLowerCase();
  if (w.length > 4 && w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

/** What kind of string a key asks for, as a reader of the key name would guess. */
export function fieldKind(key: string, schema: Schema = {}): FieldKind {
  if (schema.format === 'uri' || schema.format === 'url' || /url$/i.test(key) || /^(links?|href|website|homepage)$/i.test(key)) return 'url';
  return LABEL_WORDS.has(lastWord(key)) ? 'label' : 'sentence';
}

function decodePointerToken(token: string): string {
  let decoded = token;
  try {
    decoded = decodeURIComponent(token);
  } catch {
    // not URI-encoded: use it as written
  }
  return decoded.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** A JSON object (not an array, not null). */
export function isObject(value: unknown): value is Schema {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** Follows local `$ref`s (`#/definitions/x`, `#/$defs/x`, any JSON pointer); a dangling or circular ref reads as `{}`. */
export function resolveRef(root: Schema, schema: Schema, seen: ReadonlySet<string> = new Set()): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#')) return schema;
  if (seen.has(ref)) return {};
  let node: unknown = root;
  for (const token of ref.slice(1).split('/').filter(Boolean)) {
    const key = decodePointerToken(token);
    node = isObject(node) && Object.hasOwn(node, key) ? node[key] : undefined;
  }
  const target = isObject(node) ? node : {};
  // Siblings of $ref (a description, say) are kept; the target wins on conflicts.
  const { $ref: _ignored, ...siblings } = schema;
  return resolveRef(root, { ...siblings, ...target }, new Set([...seen, ref]));
}

/** The schema a value is written for: refs followed, the non-null branch of a nullable, allOf merged. */
export function concrete(root: Schema, schemaIn: Schema, depth = 0): Schema {
  const schema = resolveRef(root, schemaIn);
  if (depth > 20) return schema;
  const variants = (schema.anyOf ?? schema.oneOf) as unknown;
  if (Array.isArray(variants) && variants.length > 0) {
    const resolved = variants.filter(isObject).map((v) => concrete(root, v, depth + 1));
    return resolved.find((v) => v.type !== 'null') ?? resolved[0] ?? {};
  }
  if (Array.isArray(schema.allOf)) {
    const parts = schema.allOf.filter(isObject).map((v) => concrete(root, v, depth + 1));
    const merged: Schema = { ...schema };
    delete merged.allOf;
    for (const part of parts) {
      const properties = { ...(merged.properties as Schema | undefined), ...(part.properties as Schema | undefined) };
      Object.assign(merged, part, { properties });
    }
    return merged;
  }
  return schema;
}

export function typeOf(schema: Schema): string | undefined {
  const types = Array.isArray(schema.type) ? (schema.type as unknown[]).map(String) : typeof schema.type === 'string' ? [schema.type] : [];
  return types.find((t) => t !== 'null') ?? types[0];
}

/** The enum of an array's string items (evidence lists), or null when the array is something else. */
export function enumItemValues(root: Schema, schemaIn: Schema): string[] | null {
  const schema = concrete(root, schemaIn);
  if (typeOf(schema) !== 'array' || !isObject(schema.items)) return null;
  const items = concrete(root, schema.items);
  if (!Array.isArray(items.enum) || items.enum.length === 0 || !items.enum.every((v) => typeof v === 'string')) return null;
  return items.enum as string[];
}

function bounds(schema: Schema): { min: number; max: number } {
  const min = typeof schema.minItems === 'number' ? Math.max(0, Math.floor(schema.minItems)) : 0;
  const max = typeof schema.maxItems === 'number' ? Math.max(min, Math.floor(schema.maxItems)) : Number.POSITIVE_INFINITY;
  return { min, max };
}

export function clamp(n: number, min: number, max: number): number {
  return Math.min(Math.max(n, min), max);
}

/** Cut to at most `max` characters at a word boundary: still a verbatim prefix. */
function fitLength(text: string, schema: Schema): string {
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : undefined;
  if (max === undefined || text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return space > 0 ? cut.slice(0, space) : cut;
}

/** A stand-in's own words for a prompt that holds no passages at all (nothing to copy from). */
const NO_PASSAGES = { label: 'Unknown', sentence: 'The prompt holds no passages to quote.' };

export class SchemaFiller {
  /** Labels used in this response (and those the prompt names as taken), lower-cased. */
  protected readonly usedLabels: Set<string>;
  protected readonly usedSentences = new Set<string>();

  constructor(
    protected readonly root: Schema,
    protected readonly prompt: Prompt,
    protected readonly seed: number,
  ) {
    this.usedLabels = new Set(prompt.avoid);
  }

  fillRoot(): unknown {
    return this.fill(this.root, '', '$', [], undefined);
  }

  protected fill(schemaIn: Schema, key: string, path: string, sources: string[], index: number | undefined): unknown {
    const schema = concrete(this.root, schemaIn);
    const n = derive(this.seed, path);
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[n % schema.enum.length];
    switch (typeOf(schema)) {
      case 'object':
        return this.fillObject(schema, path);
      case 'array':
        return this.fillArray(schema, key, path, sources);
      case 'integer': {
        const lo = typeof schema.minimum === 'number' ? Math.ceil(schema.minimum) : 1;
        const hi = typeof schema.maximum === 'number' ? Math.floor(schema.maximum) : lo + 4;
        return clamp(lo + (n % 5), lo, hi);
      }
      case 'number': {
        const lo = typeof schema.minimum === 'number' ? schema.minimum : 1;
        const hi = typeof schema.maximum === 'number' ? schema.maximum : lo + 4;
        return clamp(lo + (n % 5), lo, hi);
      }
      case 'boolean':
        return n % 2 === 0;
      case 'null':
        return null;
      default: {
        const field: StringField = { key, path, kind: fieldKind(key, schema), schema, n, index, sources };
        const value = this.stringValue(field);
        if (typeof value === 'string') return value;
        sources.push(value.passageId);
        return value.text;
      }
    }
  }

  protected fillObject(schema: Schema, path: string): Record<string, unknown> {
    const props = Object.entries(isObject(schema.properties) ? schema.properties : {}).filter((e): e is [string, Schema] => isObject(e[1]));
    const sources: string[] = [];
    const out = new Map<string, unknown>();
    // Strings first, then URLs (the page the strings came from), then evidence (their passages).
    const rank = ([k, s]: [string, Schema]): number => {
      if (enumItemValues(this.root, s)) return 2;
      const c = concrete(this.root, s);
      return typeOf(c) === 'string' && !('const' in c) && !Array.isArray(c.enum) && fieldKind(k, c) === 'url' ? 1 : 0;
    };
    for (const r of [0, 1, 2]) {
      for (const [k, s] of props) if (rank([k, s]) === r) out.set(k, this.fill(s, k, `${path}.${k}`, sources, undefined));
    }
    return Object.fromEntries(props.map(([k]) => [k, out.get(k)]));
  }

  protected fillArray(schema: Schema, key: string, path: string, sources: string[]): unknown[] {
    const { min, max } = bounds(schema);
    const n = derive(this.seed, path);
    const values = enumItemValues(this.root, schema);
    if (values) return this.enumArrayValue({ key, path, schema, values, minItems: min, maxItems: max, n, sources: [...sources] });
    const items = isObject(schema.items) ? schema.items : {};
    if (typeOf(concrete(this.root, items)) === 'object') {
      const field: ObjectArrayField = { key, path, schema, minItems: min, maxItems: max, n };
      return this.objectArray(field, (count) => Array.from({ length: count }, (_, i) => this.fill(items, key, `${path}[${i}]`, sources, i)));
    }
    const count = clamp(Math.min(3, max), Math.max(min, 1), max);
    return Array.from({ length: count }, (_, i) => this.fill(items, key, `${path}[${i}]`, sources, i));
  }

  // ---------------------------------------------------------------------------------------------
  // Hooks: a misbehaving stand-in overrides these. The defaults are the cooperative answers.

  /** A string field: a piece of a passage (its ID is recorded for sibling evidence) or plain text. */
  protected stringValue(field: StringField): Piece | string {
    return this.cooperativeString(field);
  }

  /** An array of string-enum items (evidence): existing enum values. */
  protected enumArrayValue(field: EnumArrayField): unknown[] {
    return this.cooperativeEnumValues(field);
  }

  /** An array of objects: `make(count)` fills `count` items. */
  protected objectArray(field: ObjectArrayField, make: (count: number) => unknown[]): unknown[] {
    return make(clamp(Math.min(3, field.maxItems), Math.max(field.minItems, 1), field.maxItems));
  }

  // ---------------------------------------------------------------------------------------------
  // Cooperative answers, also for subclasses that misbehave only sometimes.

  protected cooperativeString(field: StringField): Piece | string {
    const { schema, kind, n } = field;
    if (schema.format === 'date-time') return '2024-01-01T00:00:00.000Z';
    if (schema.format === 'date') return '2024-01-01';
    if (kind === 'url') return this.pageUrlFor(field.sources, n);
    const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
    const max = typeof schema.maxLength === 'number' ? schema.maxLength : Number.POSITIVE_INFINITY;
    if (kind === 'label') {
      const fits = (p: Piece) => p.text.length >= min && p.text.length <= max;
      for (const tier of this.prompt.labels) {
        const found = rotate(tier, this.seed).find((p) => fits(p) && !this.usedLabels.has(p.text.toLowerCase()));
        if (found) {
          this.usedLabels.add(found.text.toLowerCase());
          return found;
        }
      }
      // Every phrase is used: number a repeated one rather than repeat it.
      const base = this.prompt.labels[0]?.[n % this.prompt.labels[0].length];
      if (!base) return NO_PASSAGES.label;
      for (let k = 2; ; k++) {
        const label = `${base.text} ${k}`;
        if (!this.usedLabels.has(label.toLowerCase())) {
          this.usedLabels.add(label.toLowerCase());
          return { text: fitLength(label, schema), passageId: base.passageId };
        }
      }
    }
    const fits = (p: Piece) => p.text.length >= min;
    for (const tier of this.prompt.sentences) {
      const found = rotate(tier, n).find((p) => fits(p) && !this.usedSentences.has(p.text));
      if (found) {
        this.usedSentences.add(found.text);
        return { text: fitLength(found.text, schema), passageId: found.passageId };
      }
    }
    const tier = this.prompt.sentences[0];
    if (!tier) return NO_PASSAGES.sentence;
    const again = tier[n % tier.length]!;
    return { text: fitLength(again.text, schema), passageId: again.passageId };
  }

  /** 1-3 distinct enum values: the sibling strings' passages first, then others seeded by the path. */
  protected cooperativeEnumValues(field: EnumArrayField): string[] {
    const { values, minItems, maxItems, n } = field;
    const prefer = [...new Set(field.sources)].filter((id) => values.includes(id));
    const wanted = prefer.length > 0 ? prefer.length : 1 + (n % 2);
    const count = clamp(Math.min(wanted, 3), Math.max(minItems, 1), Math.max(Math.min(maxItems, 3), minItems));
    const chosen = prefer.slice(0, count);
    for (const v of rotate(values, n)) {
      if (chosen.length >= count) break;
      if (!chosen.includes(v)) chosen.push(v);
    }
    // A tiny enum and a large minItems: repeat values rather than break minItems.
    for (let i = 0; chosen.length < minItems; i++) chosen.push(values[i % values.length]!);
    return chosen;
  }

  /** The page URL of the first source passage that has one, else a page URL seeded by `n`. */
  protected pageUrlFor(sources: readonly string[], n: number): string {
    for (const id of sources) {
      const url = this.prompt.byId.get(id)?.url;
      if (url) return url;
    }
    const urls = this.prompt.pageUrls.length > 0 ? this.prompt.pageUrls : this.prompt.urls;
    return urls.length > 0 ? urls[n % urls.length]! : 'https://stand-in.invalid/';
  }
}

/**
 * Rewrites a JSON Schema (as sent in an OpenAI `response_format`) into the subset that
 * node-llama-cpp 3.21.1's `llama.createGrammarForJsonSchema` understands (its `GbnfJsonSchema`).
 *
 * Why this exists: that grammar builder does not reject what it does not know, it quietly
 * mis-reads it. Read from its source (utils/gbnfJson/utils/getGbnfJsonTerminalForGbnfJsonSchema.js):
 *   - `$ref` only works as `#/$defs/<name>` with `$defs` on an enclosing schema; any other ref
 *     (`#/definitions/x`, as openai's zodResponseFormat writes) becomes "any JSON" with a warning;
 *   - `anyOf` and `allOf` are unknown: a schema with only `anyOf` falls through to "null", so a
 *     nullable object (`anyOf: [X, {type: 'null'}]`) could only ever be `null`;
 *   - a schema without `type` is also read as "null"; `{type: 'object'}` without properties
 *     means "the empty object" (its `additionalProperties` defaults to false);
 *   - `type: ['object', 'null']` is not an object schema to it; a list of types works for the
 *     basic types (string, number, integer, boolean, null) only.
 * What it does support and is kept: `oneOf`, `const`, `enum` (primitive values), object
 * `properties` (all generated, as strict schemas require anyway), `additionalProperties` as a
 * schema, arrays with `items`/`prefixItems`/`minItems`/`maxItems`, strings with
 * `minLength`/`maxLength` and the formats date-time/time/date, `$defs` + `#/$defs/` refs.
 * Everything else (descriptions, titles, `pattern`, `minimum`, unknown formats...) is dropped:
 * the grammar cannot enforce it.
 *
 * Local refs are inlined; a ref that recurses into itself is kept as `#/$defs/<name>` with the
 * definition hoisted to the root, which the grammar supports.
 */

export type GrammarSchema = { readonly [key: string]: unknown };
type Schema = Record<string, unknown>;

/** Thrown for schemas the grammar cannot express at all; the server answers 400 with the message. */
export class UnsupportedSchemaError extends Error {
  override name = 'UnsupportedSchemaError';
}

const BASIC_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);
const STRING_FORMATS = new Set(['date-time', 'time', 'date']);
/** The closest the grammar gets to "any JSON value" (an array without `items` takes any items). */
const ANY: GrammarSchema = {
  oneOf: [{ type: ['string', 'number', 'boolean', 'null'] }, { type: 'array' }, { type: 'object', additionalProperties: true }],
};

export function toGrammarSchema(root: unknown): GrammarSchema {
  if (!isSchema(root)) throw new UnsupportedSchemaError('response_format.json_schema.schema must be a JSON object');
  /** ref -> `$defs` name, for refs found to recurse into themselves. */
  const recursive = new Map<string, string>();
  const hoisted: Record<string, GrammarSchema> = {};

  const convert = (node: unknown, refStack: readonly string[]): GrammarSchema => {
    if (!isSchema(node)) return ANY; // `true`, or garbage: nothing to enforce
    if (typeof node.$ref === 'string') return convertRef(node.$ref, refStack);
    if (Array.isArray(node.allOf)) return convertAllOf(node, node.allOf, refStack);
    const alternatives = (node.anyOf ?? node.oneOf) as unknown;
    if (Array.isArray(alternatives)) return union(alternatives.map((a) => convert(a, refStack)));
    if (node.nullable === true) {
      // OpenAPI 3.0's way of saying "or null".
      const rest = { ...node };
      delete rest.nullable;
      return union([convert(rest, refStack), { type: 'null' }]);
    }
    if ('const' in node) return { const: literal(node.const) };
    if (Array.isArray(node.enum)) return { enum: node.enum.map(literal) };
    if (Array.isArray(node.type)) {
      // One alternative per type, each with the node's own keywords (e.g. minLength for 'string').
      return union((node.type as unknown[]).map((t) => convert({ ...node, type: t }, refStack)));
    }
    const type = node.type ?? (isSchema(node.properties) ? 'object' : node.items !== undefined ? 'array' : undefined);
    switch (type) {
      case 'object':
        return convertObject(node, refStack);
      case 'array':
        return convertArray(node, refStack);
      case 'string':
        return pick({ type: 'string' }, node, ['minLength', 'maxLength'], STRING_FORMATS.has(node.format as string) ? ['format'] : []);
      case undefined:
        return ANY;
      default:
        if (typeof type === 'string' && BASIC_TYPES.has(type)) return { type };
        throw new UnsupportedSchemaError(`unknown JSON Schema type ${JSON.stringify(type)}`);
    }
  };

  const convertRef = (ref: string, refStack: readonly string[]): GrammarSchema => {
    const known = recursive.get(ref);
    if (known !== undefined && (known in hoisted || refStack.includes(ref))) return { $ref: `#/$defs/${known}` };
    if (refStack.includes(ref)) {
      const name = `def${recursive.size}`;
      recursive.set(ref, name);
      return { $ref: `#/$defs/${name}` };
    }
    const converted = convert(resolvePointer(root, ref), [...refStack, ref]);
    const name = recursive.get(ref);
    if (name === undefined) return converted;
    hoisted[name] = converted;
    return { $ref: `#/$defs/${name}` };
  };

  const convertAllOf = (node: Schema, parts: unknown[], refStack: readonly string[]): GrammarSchema => {
    const rest = { ...node };
    delete rest.allOf;
    const all = [...parts, ...(Object.keys(rest).some(isConstraint) ? [rest] : [])].map((p) => convert(p, refStack));
    if (all.length === 1) return all[0]!;
    if (all.every((p) => p.type === 'object')) {
      // Objects merge by their properties; no other intersection is expressible in the grammar.
      const properties = Object.assign({}, ...all.map((p) => p.properties ?? {})) as Schema;
      return { type: 'object', properties };
    }
    throw new UnsupportedSchemaError('allOf is only supported for objects (their properties are merged)');
  };

  const convertObject = (node: Schema, refStack: readonly string[]): GrammarSchema => {
    const properties = isSchema(node.properties) ? node.properties : {};
    const extra = node.additionalProperties;
    const out: Schema = { type: 'object' };
    if (Object.keys(properties).length > 0) {
      out.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, convert(v, refStack)]));
      // Extra keys only when a schema is given for them; `true`/absent would just invite the model to ramble.
      if (isSchema(extra) && Object.keys(extra).length > 0) out.additionalProperties = convert(extra, refStack);
    } else {
      // A map (z.record), or an object with no stated shape.
      out.additionalProperties = extra === false ? false : isSchema(extra) ? convert(extra, refStack) : true;
    }
    if (out.additionalProperties !== undefined && out.additionalProperties !== false) {
      Object.assign(out, pick({}, node, ['minProperties', 'maxProperties']));
    }
    return out;
  };

  const convertArray = (node: Schema, refStack: readonly string[]): GrammarSchema => {
    const out: Schema = pick({ type: 'array' }, node, ['minItems', 'maxItems']);
    // Draft 7 writes tuples as `items: [...]` (+ `additionalItems`); 2020-12 as `prefixItems` + `items`.
    const tuple = Array.isArray(node.prefixItems) ? node.prefixItems : Array.isArray(node.items) ? node.items : undefined;
    const rest = Array.isArray(node.items) ? node.additionalItems : node.items;
    if (tuple) out.prefixItems = tuple.map((t) => convert(t, refStack));
    if (tuple && (rest === undefined || rest === false)) out.maxItems = tuple.length;
    else if (rest !== undefined && rest !== true) out.items = convert(rest, refStack);
    return out;
  };

  const converted = convert(root, []);
  if (Object.keys(hoisted).length === 0) return converted;
  // Objects, arrays and oneOf carry `$defs` in the grammar's schema; a one-branch oneOf wraps anything else.
  return converted.type === 'object' || converted.type === 'array' || 'oneOf' in converted
    ? { ...converted, $defs: hoisted }
    : { oneOf: [converted], $defs: hoisted };
}

/** Alternatives as the grammar reads them: basic types only -> one `type` list, else `oneOf`. */
function union(alternatives: GrammarSchema[]): GrammarSchema {
  const flat = alternatives.flatMap((a) => (Array.isArray(a.oneOf) && !('$defs' in a) ? (a.oneOf as GrammarSchema[]) : [a]));
  const unique = [...new Map(flat.map((a) => [JSON.stringify(a), a])).values()];
  if (unique.length === 1) return unique[0]!;
  if (unique.length === 0) throw new UnsupportedSchemaError('anyOf/oneOf needs at least one alternative');
  const basicOnly = unique.every((a) => Object.keys(a).length === 1 && 'type' in a);
  if (basicOnly) {
    const types = [...new Set(unique.flatMap((a) => (Array.isArray(a.type) ? a.type : [a.type])))] as string[];
    if (types.every((t) => BASIC_TYPES.has(t))) return { type: types };
  }
  return { oneOf: unique };
}

/**
 * Follows a local JSON pointer (`#/definitions/x`, `#/$defs/x`, `#/properties/a/items`). Tokens
 * are URI-decoded, then unescaped (~1 is /, ~0 is ~), as openai's zodResponseFormat writes them.
 */
function resolvePointer(root: Schema, ref: string): unknown {
  if (!ref.startsWith('#')) throw new UnsupportedSchemaError(`only local $refs are supported, got ${JSON.stringify(ref)}`);
  let node: unknown = root;
  for (const token of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isSchema(node) || Array.isArray(node) ? (node as Schema)[key] : undefined;
    if (node === undefined) throw new UnsupportedSchemaError(`$ref ${JSON.stringify(ref)} points to nothing in the schema`);
  }
  return node;
}

function literal(value: unknown): string | number | boolean | null {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value as string | number | boolean | null;
  throw new UnsupportedSchemaError(`const/enum values must be strings, numbers, booleans or null, got ${JSON.stringify(value)}`);
}

function pick(out: Schema, node: Schema, keys: string[], more: string[] = []): Schema {
  for (const k of [...keys, ...more]) if (node[k] !== undefined) out[k] = node[k];
  return out;
}

/** Keywords that only annotate: an allOf's siblings made only of these add nothing to merge. */
function isConstraint(key: string): boolean {
  return !['description', 'title', 'default', 'examples', '$schema', '$id', '$comment', 'definitions', '$defs'].includes(key);
}

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

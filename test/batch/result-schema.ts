// Validates quantize results (model and summary lines) against
// schema/quantize-result.schema.json with ajv (strict mode), the bench report
// inside a model line against its own schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { repoRoot } from '../helpers/paths.js';
import { benchSchema } from '../bench/schema.js';

type AjvClass = typeof AjvModule.default;
const Ajv = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as AjvClass;

const resultSchema = JSON.parse(readFileSync(join(repoRoot, 'schema', 'quantize-result.schema.json'), 'utf8')) as Record<string, unknown>;
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
ajv.addSchema(benchSchema);
const validate = ajv.compile(resultSchema);

/** The schema's complaints about one result object; empty when valid. */
export function resultSchemaErrors(obj: unknown): string[] {
  const data = JSON.parse(JSON.stringify(obj)) as unknown;
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** The lines of an NDJSON text, parsed, each checked against the schema (throws naming the line). */
export function parseNdjson(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter((l) => l.trim()).map((line, i) => {
    const obj = JSON.parse(line) as Record<string, unknown>;
    const errors = resultSchemaErrors(obj);
    if (errors.length) throw new Error(`line ${i + 1} does not fit the schema: ${errors.slice(0, 5).join('; ')}`);
    return obj;
  });
}

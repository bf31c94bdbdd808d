// Validates a report against schema/bench-report.schema.json with ajv (strict mode).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { repoRoot } from '../helpers/paths.js';

type AjvClass = typeof AjvModule.default;
const Ajv = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as AjvClass;

export const benchSchema = JSON.parse(readFileSync(join(repoRoot, 'schema', 'bench-report.schema.json'), 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(benchSchema);

/** The schema's complaints about `report` (after a JSON round trip, as a CI script reads it); empty when valid. */
export function schemaErrors(report: unknown): string[] {
  const data = JSON.parse(JSON.stringify(report)) as unknown;
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

// `--config quantize.config.json` (or .mjs with a default export, or .yaml):
// the models, settings for all of them (`defaults`) and per-model
// `overrides` by glob, checked against schema/quantize-config.schema.json.
// Nothing is silently ignored: an unknown key or a wrong type is a usage
// error naming the file, the key and what it takes. Paths in the file are
// relative to its folder.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import AjvModule, { type ErrorObject } from 'ajv';
import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../errors.js';
import { OPTION_TYPES, PATH_OPTIONS, layerOptions, type ModelOptions } from './model-options.js';

type AjvClass = typeof AjvModule.default;
const Ajv = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as AjvClass;

export interface QuantizeConfig {
  file: string;
  /** models named by the file (paths from the working directory) */
  inputs?: string[];
  outDir?: string;
  jobs?: number;
  defaults: ModelOptions;
  overrides: Array<{ match: string[]; options: ModelOptions; matches(path: string): boolean }>;
}

/** The schema's file: schema/ at the package's root (this module is dist/src/batch/config.js). */
export const CONFIG_SCHEMA_FILE = fileURLToPath(new URL('../../../schema/quantize-config.schema.json', import.meta.url));

let validator: ReturnType<InstanceType<AjvClass>['compile']> | undefined;

function validate(data: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: true, strict: true, strictRequired: false, verbose: true }).compile(JSON.parse(readFileSync(CONFIG_SCHEMA_FILE, 'utf8')) as object);
  return validator(data) ? [] : [...(validator.errors ?? [])];
}

/** Reads the file by its extension: .json, .mjs/.js (default export, or a function returning it), .yaml/.yml. */
async function readConfigFile(file: string): Promise<unknown> {
  const ext = extname(file).toLowerCase();
  if (ext === '.mjs' || ext === '.js') {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`${file}: cannot import it: ${(err as Error).message.split('\n')[0]}`);
    }
    const value = typeof mod.default === 'function' ? await (mod.default as () => unknown)() : mod.default;
    if (value === undefined) throw new UsageError(`${file}: the module has no default export (export default { defaults: { ... } })`);
    return value;
  }
  const text = readFileSync(file, 'utf8');
  if (ext === '.yaml' || ext === '.yml') {
    try {
      return parseYaml(text);
    } catch (err) {
      throw new UsageError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (ext !== '.json') throw new UsageError(`${file}: a config file is .json, .mjs, .js, .yaml or .yml`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
}

/** '/overrides/0/method' → 'overrides[0].method'. */
function keyPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  return parts.reduce((path, p) => (/^\d+$/.test(p) ? `${path}[${p}]` : path ? `${path}.${p}` : p), '') || '(top level)';
}

function valueAt(data: unknown, instancePath: string): unknown {
  let v = data;
  for (const p of instancePath.split('/').slice(1)) v = (v as Record<string, unknown> | undefined)?.[p.replace(/~1/g, '/').replace(/~0/g, '~')];
  return v;
}

/** One line per problem: the key, what it takes, what it got. */
export function describeSchemaError(e: ErrorObject, data: unknown): string {
  const got = JSON.stringify(valueAt(data, e.instancePath));
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const near = known.find((k) => closeEnough(k, key));
      return `${keyPath(e.instancePath, key)}: unknown key${near ? ` (did you mean ${near}?)` : ''}`;
    }
    case 'type':
      return `${keyPath(e.instancePath)} must be ${article(String(p.type))} (got ${got})`;
    case 'enum':
      return `${keyPath(e.instancePath)} must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')} (got ${got})`;
    case 'required':
      return `${keyPath(e.instancePath, String(p.missingProperty))} is required`;
    default:
      return `${keyPath(e.instancePath)} ${e.message ?? 'is not valid'} (got ${got})`;
  }
}

const article = (type: string): string => (type === 'integer' || type === 'array' || type === 'object' ? `an ${type}` : `a ${type}`);

/** Same letters but one or two (a typo). */
function closeEnough(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (Math.abs(x.length - y.length) > 2) return false;
  const d = Array.from({ length: x.length + 1 }, (_, i) => [i, ...new Array<number>(y.length).fill(0)]);
  for (let j = 1; j <= y.length; j++) d[0]![j] = j;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
  }
  return d[x.length]![y.length]! <= 2;
}

/** A path written in the file, as a path from the working directory. */
const fromConfig = (dir: string, path: string): string => relative(process.cwd(), resolve(dir, path)) || '.';

function settingsFrom(raw: Record<string, unknown>, dir: string): ModelOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!(k in OPTION_TYPES)) continue; // `match`
    out[k] = (PATH_OPTIONS as string[]).includes(k) ? fromConfig(dir, v as string) : v;
  }
  return out as ModelOptions;
}

/**
 * Reads and checks a config file.
 * @throws UsageError naming the file and each problem (the key, what it takes, what it got)
 */
export async function loadConfig(file: string): Promise<QuantizeConfig> {
  if (!existsSync(file)) throw new UsageError(`--config ${file}: no such file`);
  const data = await readConfigFile(file);
  const errors = validate(data);
  if (errors.length) {
    // oneOf/anyOf report their branches' errors too: one line per key is enough.
    const lines = [...new Set(errors.filter((e) => e.keyword !== 'oneOf').map((e) => describeSchemaError(e, data)))];
    throw new UsageError(`${file}: ${lines.slice(0, 5).join('; ')}${lines.length > 5 ? `; and ${lines.length - 5} more` : ''}`);
  }
  const raw = data as { inputs?: string[]; outDir?: string; jobs?: number; defaults?: Record<string, unknown>; overrides?: Array<Record<string, unknown>> };
  const dir = dirname(resolve(file));
  return {
    file,
    ...(raw.inputs ? { inputs: raw.inputs.map((p) => fromConfig(dir, p)) } : {}),
    ...(raw.outDir !== undefined ? { outDir: fromConfig(dir, raw.outDir) } : {}),
    ...(raw.jobs !== undefined ? { jobs: raw.jobs } : {}),
    defaults: settingsFrom(raw.defaults ?? {}, dir),
    overrides: (raw.overrides ?? []).map((o) => {
      const match = typeof o.match === 'string' ? [o.match] : (o.match as string[]);
      // Patterns are written against paths from the file's folder; one without a slash matches the file name anywhere.
      const tests = match.map((pattern) => ({ test: picomatch(pattern, { dot: true }), name: !pattern.includes('/') }));
      return {
        match,
        options: settingsFrom(o, dir),
        matches: (path: string) => {
          const rel = relative(dir, resolve(path)).split(sep).join('/');
          return tests.some((t) => t.test(t.name ? rel.slice(rel.lastIndexOf('/') + 1) : rel));
        },
      };
    }),
  };
}

/** The file's settings for one model: its defaults, then each override whose pattern matches, in order. */
export function configOptionsFor(config: QuantizeConfig, modelPath: string): ModelOptions {
  return layerOptions(config.defaults, ...config.overrides.filter((o) => o.matches(modelPath)).map((o) => o.options));
}

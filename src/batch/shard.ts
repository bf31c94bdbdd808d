// Splitting a batch over the machines of a CI matrix: --shard K/N keeps the
// models whose key (path from the working directory) hashes to slice K of N.
// A hash, not a position in the list, so adding a model moves no other model
// to another shard (their outputs and caches stay where they were).
// `--shard auto` reads K and N from the CI's own variables.
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { ModelEntry } from './model-list.js';

export interface Shard {
  /** 1-based */
  index: number;
  total: number;
  /** where K and N came from ('--shard', or the variables read) */
  source: string;
}

/** The slice (0-based) a key falls in: the first 32 bits of its SHA-256, modulo the count. */
export function shardOf(key: string, total: number): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % total;
}

export function selectShard<T extends Pick<ModelEntry, 'key'>>(entries: readonly T[], shard: Shard): T[] {
  return entries.filter((e) => shardOf(e.key, shard.total) === shard.index - 1);
}

/** A digest of the whole list's keys (sorted), so merged shards can show they split the same list. */
export function listDigest(keys: readonly string[]): string {
  return createHash('sha256').update([...keys].sort().join('\n')).digest('hex');
}

const count = (text: string | undefined, what: string, min: number): number => {
  const n = Number(text);
  if (!(text !== undefined && text.trim() !== '' && Number.isInteger(n) && n >= min)) throw new UsageError(`--shard: ${what} must be an integer >= ${min} (got '${text}')`);
  return n;
};

/**
 * `K/N` (1 <= K <= N), `auto`, or `auto/N`. auto reads, in order:
 * GitLab's CI_NODE_INDEX (1-based) and CI_NODE_TOTAL (`parallel: N`);
 * Kubernetes Indexed Jobs' JOB_COMPLETION_INDEX (0-based), the total from
 * `auto/N` or QUANTIZE_SHARD_TOTAL; QUANTIZE_SHARD_INDEX (0-based, as GitHub
 * Actions' strategy.job-index) and QUANTIZE_SHARD_TOTAL (strategy.job-total),
 * which a workflow passes through from its matrix.
 */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  const auto = /^auto(?:\/(.*))?$/.exec(text.trim());
  if (!auto) {
    const m = /^(.*)\/(.*)$/.exec(text.trim());
    if (!m) throw new UsageError(`--shard ${text}: write K/N (this machine's slice K of N, 1 <= K <= N) or auto`);
    const total = count(m[2], 'N', 1);
    const index = count(m[1], 'K', 1);
    if (index > total) throw new UsageError(`--shard ${text}: K must be between 1 and N`);
    return { index, total, source: '--shard' };
  }
  const givenTotal = auto[1] === undefined ? undefined : count(auto[1], 'N', 1);
  const check = (index: number, total: number, source: string): Shard => {
    if (givenTotal !== undefined && givenTotal !== total) throw new UsageError(`--shard ${text}: ${source} says ${total} shards`);
    if (index < 1 || index > total) throw new UsageError(`--shard auto: ${source} gives shard ${index} of ${total}`);
    return { index, total, source };
  };
  if (env.CI_NODE_INDEX !== undefined && env.CI_NODE_TOTAL !== undefined) {
    return check(count(env.CI_NODE_INDEX, 'CI_NODE_INDEX', 1), count(env.CI_NODE_TOTAL, 'CI_NODE_TOTAL', 1), 'CI_NODE_INDEX/CI_NODE_TOTAL');
  }
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    const total = givenTotal ?? (env.QUANTIZE_SHARD_TOTAL !== undefined ? count(env.QUANTIZE_SHARD_TOTAL, 'QUANTIZE_SHARD_TOTAL', 1) : undefined);
    if (total === undefined) throw new UsageError('--shard auto: JOB_COMPLETION_INDEX is set but not the number of shards: write --shard auto/N (N = the Job\'s completions) or set QUANTIZE_SHARD_TOTAL');
    return check(count(env.JOB_COMPLETION_INDEX, 'JOB_COMPLETION_INDEX', 0) + 1, total, 'JOB_COMPLETION_INDEX');
  }
  if (env.QUANTIZE_SHARD_INDEX !== undefined) {
    const total = givenTotal ?? count(env.QUANTIZE_SHARD_TOTAL, 'QUANTIZE_SHARD_TOTAL', 1);
    return check(count(env.QUANTIZE_SHARD_INDEX, 'QUANTIZE_SHARD_INDEX', 0) + 1, total, 'QUANTIZE_SHARD_INDEX/QUANTIZE_SHARD_TOTAL');
  }
  throw new UsageError('--shard auto: no shard variables found (GitLab CI_NODE_INDEX/CI_NODE_TOTAL, Kubernetes JOB_COMPLETION_INDEX, or QUANTIZE_SHARD_INDEX/QUANTIZE_SHARD_TOTAL passed from a GitHub Actions matrix)');
}

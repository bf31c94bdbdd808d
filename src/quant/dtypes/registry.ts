// Every transformers.js dtype the tool knows: the producers built, and the
// ones refused with a reason. `--dtype` names are checked against this list.
//
// To add a dtype: write its DtypeEntry (types.ts) in a file of its own and
// list it in ENTRIES below; remove its line from pending.ts.
import { UsageError } from '../../errors.js';
import { fp16 } from './fp16.js';
import { int8, q8, uint8 } from './int8.js';
import { bnb4, q2, q2f16, q4, q4f16 } from './nbits.js';
import { UNAVAILABLE } from './pending.js';
import type { DtypeEntry, UnavailableDtype } from './types.js';

const ENTRIES: DtypeEntry[] = [
  fp16, q8, int8, uint8,
  // 4-bit and 2-bit weights (src/quant/nbits/).
  q4, q4f16, bnb4, q2, q2f16,
];

export function registeredDtypes(): DtypeEntry[] {
  return [...ENTRIES];
}

export function dtypeEntry(name: string): DtypeEntry | undefined {
  return ENTRIES.find((e) => e.name === name);
}

function unavailable(name: string): UnavailableDtype | undefined {
  return ENTRIES.some((e) => e.name === name) ? undefined : UNAVAILABLE.find((u) => u.name === name);
}

/** Every suffix transformers.js uses for a variant: files ending in one are outputs, not inputs. */
export function variantSuffixes(): string[] {
  return [...new Set([...ENTRIES.map((e) => e.suffix), ...UNAVAILABLE.map((u) => u.suffix)])];
}

/**
 * `fp16,q8` → the entries, in the order given, duplicates dropped.
 * @throws UsageError for an unknown name (with the list) or a dtype refused (with its reason).
 */
export function parseDtypeList(list: string | string[]): DtypeEntry[] {
  const names = (Array.isArray(list) ? list : [list]).flatMap((s) => s.split(',')).map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (names.length === 0) throw new UsageError(`--dtype needs at least one of: ${ENTRIES.map((e) => e.name).join(', ')}`);
  const out: DtypeEntry[] = [];
  for (const name of names) {
    if (name === 'fp32') throw new UsageError('--dtype fp32 is the input model itself: nothing to write');
    const entry = dtypeEntry(name);
    if (entry) {
      if (!out.includes(entry)) out.push(entry);
      continue;
    }
    const refused = unavailable(name);
    if (refused) throw new UsageError(`--dtype ${name}: ${refused.reason}`);
    throw new UsageError(`--dtype ${name}: unknown dtype; choose from ${ENTRIES.map((e) => e.name).join(', ')}` +
      (UNAVAILABLE.length ? ` (transformers.js also names ${UNAVAILABLE.filter((u) => !dtypeEntry(u.name)).map((u) => u.name).join(', ')}, not available here)` : ''));
  }
  return out;
}

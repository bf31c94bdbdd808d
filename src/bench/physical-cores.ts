// How many physical cores this machine has: ONNX Runtime's default for
// intra-op threads, which the report names instead of just "default".
import { readFileSync } from 'node:fs';

export function physicalCores(): number | null {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const cores = new Set<string>();
    for (const block of text.split(/\n\s*\n/)) {
      const physical = /physical id\s*:\s*(\d+)/.exec(block)?.[1];
      const core = /core id\s*:\s*(\d+)/.exec(block)?.[1];
      if (core !== undefined) cores.add(`${physical ?? 0}:${core}`);
    }
    return cores.size > 0 ? cores.size : null;
  } catch {
    return null; // not Linux
  }
}

// Peak resident memory of this process. Linux's VmHWM belongs to the current
// address space; ru_maxrss (process.resourceUsage) also carries the parent's
// high-water mark across fork+exec, which would charge a child with memory
// its parent used.
import { readFileSync } from 'node:fs';

export function peakRssBytes(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(status);
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall back below
  }
  return process.resourceUsage().maxRSS * 1024;
}

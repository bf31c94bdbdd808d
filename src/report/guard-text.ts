// What the default's measurement after writing found, as text: every
// candidate measured, and what was written and why.
import chalk from 'chalk';
import type { GuardReport } from '../auto/guard.js';

export function formatGuard(g: GuardReport): string {
  const lines = [`checked on ${g.samples} sample${g.samples === 1 ? '' : 's'}${g.generatedInput ? ' (a generated input: fidelity indicative only)' : ''} against the original (CPU): ${g.reason}`];
  if (g.measured.length > 1) {
    for (const m of g.measured) {
      lines.push(`  ${m.candidate === g.chosen ? chalk.bold('→') : ' '} ${m.candidate.padEnd(18)} cosine ${m.cosine.toFixed(5)}, ${m.speedup.toFixed(2)}× speed ` +
        `(${m.quantizedMs.toFixed(3)} vs ${m.floatMs.toFixed(3)} ms), ${(m.bytes / 1024).toFixed(0)} KiB${m.floatUnits ? `, float: ${m.floatUnits.join(', ')}` : ''}`);
    }
  }
  return lines.join('\n');
}

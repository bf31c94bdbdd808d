// The quantize command's options for deciding per model: --auto and its
// budget options, and --no-fallback for the default's measurement after
// writing. Their values are per-model settings (src/batch/model-options.ts);
// the search and the fallback run as steps of the model's job.
import type { Command } from 'commander';

export function addAutoOptions(command: Command): Command {
  return command
    .option('--auto', 'choose per layer (float, weight-only, integer kernels with 7- or 8-bit weights) to meet --max-accuracy-drop (default 1) at the lowest measured latency')
    .option('--auto-metric <key>', 'with --auto: the budget is on this value of the --metric hook (its drop, in its own units) instead of the built-in accuracy figure')
    .option('--auto-samples <n>', 'with --auto: evaluation samples each candidate runs (default: all)')
    .option('--keep-best', 'with --auto: when no choice meets the budget, write the best trade-off found anyway (still exit 3)')
    .option('--no-fallback', 'keep what was written even when it measures slower than the original or misses cosine 0.99 (by default the better of static with the blamed layers float and weight-only is written instead)');
}

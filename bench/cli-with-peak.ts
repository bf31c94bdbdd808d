// Runs the CLI in this process, then reports its peak RSS and wall time on
// stderr as one JSON line (for the benchmarks that time a whole command).
import { main } from '../src/cli/main.js';
import { peakRssBytes } from '../src/bench/peak-rss.js';

const started = performance.now();
await main(['node', 'quantize', ...process.argv.slice(2)]);
process.stderr.write(`${JSON.stringify({ seconds: (performance.now() - started) / 1000, peakRssBytes: peakRssBytes() })}\n`);

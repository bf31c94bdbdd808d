// Runs the CLI in this process, then reports its peak RSS and wall time on
// stderr as one JSON line (for the benchmarks that time a whole command);
// `--peak-file f` (last two arguments) writes that line to f instead.
import { writeFileSync } from 'node:fs';
import { main } from '../src/cli/main.js';
import { peakRssBytes } from '../src/bench/peak-rss.js';

const args = process.argv.slice(2);
const peakFile = args.length >= 2 && args[args.length - 2] === '--peak-file' ? args.splice(-2)[1] : undefined;
const started = performance.now();
await main(['node', 'quantize', ...args]);
const line = `${JSON.stringify({ seconds: (performance.now() - started) / 1000, peakRssBytes: peakRssBytes() })}\n`;
if (peakFile) writeFileSync(peakFile, line);
else process.stderr.write(line);

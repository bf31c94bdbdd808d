// Quantizes one model file through the library (load, quantize, save, check
// in ONNX Runtime: what the CLI's quantize does before its benchmark), then
// reports wall time, peak RSS and the phase timings on stderr as one JSON
// line. Options come as JSON: `node quantize-file-child.js in.onnx out.onnx '{"nbits":{"bits":4}}'`.
import { quantizeFile, type QuantizeFileOptions } from '../src/quant/quantize-file.js';
import { peakRssBytes } from '../src/bench/peak-rss.js';

const [input, output, json] = process.argv.slice(2);
const opts = JSON.parse(json ?? '{}') as QuantizeFileOptions;
const started = performance.now();
const result = await quantizeFile(input!, output!, opts);
process.stderr.write(`${JSON.stringify({ seconds: (performance.now() - started) / 1000, peakRssBytes: peakRssBytes(), quantized: result.report.quantized })}\n`);

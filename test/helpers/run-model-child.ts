// Child process: loads the ONNX model named on the command line in ONNX
// Runtime, runs it on a generated input, and prints each output's type as
// JSON. A test runs it in its own process because onnxruntime-node aborts the
// whole process (SIGABRT) when a session returns an INT4 tensor: the test
// runner must survive to report it.
import ort from 'onnxruntime-node';
import { generatedFeeds } from '../../src/data/generated-feeds.js';
import { loadModel } from '../../src/onnx/load.js';
import { inputSpecs } from '../../src/quant/prepare.js';

// `node --test dist/test/` runs every file under test/, this one too, without an argument: nothing to do then.
const file = process.argv[2];
if (file) await runModel(file);

async function runModel(file: string): Promise<void> {
  const session = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
  const outputs = await session.run(generatedFeeds(inputSpecs(loadModel(file).proto)));
  process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, t.type])))}\n`);
}

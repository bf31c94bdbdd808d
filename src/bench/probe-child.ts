// Child process of discoverProviders (providers.ts): `node probe-child.js
// '["cpu","cuda"]'` tries to create a session on a one-node model with each
// provider alone and prints one JSON line per provider as it goes:
// {"name":"cuda","ok":false,"error":"..."}.
import ort from 'onnxruntime-node';
import { encodeModel, makeGraph, makeModel, makeNode, makeValueInfo } from '../onnx/build.js';
import { DataType } from '../onnx/dtypes.js';

// Ctrl-C reaches the whole process group: the parent decides (it stops this child with SIGTERM).
process.on('SIGINT', () => undefined);

// Failures are reported on stdout; ORT's own error log would repeat them on stderr.
ort.env.logLevel = 'fatal';

const names = JSON.parse(process.argv[2] ?? '[]') as string[];
const model = encodeModel(makeModel(makeGraph({
  name: 'probe',
  nodes: [makeNode('Add', ['x', 'x'], ['y'], 'add')],
  inputs: [makeValueInfo('x', DataType.FLOAT, [1, 4])],
  outputs: [makeValueInfo('y', DataType.FLOAT, [1, 4])],
}), 13, 8));

for (const name of names) {
  let line: { name: string; ok: boolean; error?: string };
  try {
    const session = await ort.InferenceSession.create(model, { executionProviders: [name], logSeverityLevel: 4 });
    try {
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4), [1, 4]) });
      const y = out.y?.data as Float32Array | undefined;
      line = y && y[3] === 8 ? { name, ok: true } : { name, ok: false, error: 'the provider ran a test model and gave a wrong result' };
    } finally {
      await session.release();
    }
  } catch (err) {
    line = { name, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

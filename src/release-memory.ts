// Asks V8 for a full garbage collection. Used between the phases of a big
// job: the model file's buffer (possibly gigabytes, outside V8's heap) is
// unreachable once quantized, but V8 does not see ONNX Runtime's native
// allocations and may keep it until much later, doubling peak memory.
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | undefined;

export async function releaseMemory(): Promise<void> {
  try {
    if (!gc) {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    }
    // Twice, with a turn of the event loop between: measured here, a 1 GiB
    // buffer dropped by the caller is only unmapped by the second collection.
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  } catch {
    // Not available in this runtime: memory is freed by the next regular collection.
  }
}

// A loaded model: the decoded protobuf plus where its bytes come from (the
// file buffer its raw_data views point into, and its external side files).
import { dirname } from 'node:path';
import { ExternalDataStore } from './external-data.js';
import type { ModelProto, TensorProto } from './proto.js';
import { tensorBytes, tensorToFloat32, type TensorSource } from './tensor-data.js';

export class Model implements TensorSource {
  readonly external: ExternalDataStore;
  constructor(
    public proto: ModelProto,
    /** The file it was loaded from (or will be named after), for messages and external data. */
    readonly file: string,
    /** Size of the .onnx file itself. */
    readonly fileSize = 0,
  ) {
    this.external = new ExternalDataStore(dirname(file), file);
  }

  bytes(t: TensorProto): Uint8Array {
    return tensorBytes(t, this);
  }

  /** Values as float32; `scratch` may receive them (see tensorToFloat32): use the result before reusing it. */
  float32(t: TensorProto, scratch?: Float32Array): Float32Array {
    return tensorToFloat32(t, this, scratch);
  }

  close(): void {
    this.external.close();
  }
}

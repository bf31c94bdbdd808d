// Error classes with stable codes. The library throws these; only the CLI's
// entry point turns them into messages and exit codes (DESIGN.md: exit 1 for a
// failure, 2 for usage, 3 for a failed quality gate).

export class QuantizeError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(code: string, message: string, exitCode = 1, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A file that is missing, unreadable, or not a valid ONNX model (names the file). */
export class ModelFormatError extends QuantizeError {
  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super('E_MODEL_FORMAT', `${file}: ${problem}`, 1, options);
  }
}

/** The command line was used wrongly. */
export class UsageError extends QuantizeError {
  constructor(message: string) {
    super('E_USAGE', message, 2);
  }
}

/** A quality gate (accuracy drop, speed-up) was not met. */
export class GateError extends QuantizeError {
  constructor(message: string) {
    super('E_GATE', message, 3);
  }
}

/** ONNX Runtime refused or failed to run a model. */
export class RuntimeFailure extends QuantizeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_RUNTIME', message, 1, options);
  }
}

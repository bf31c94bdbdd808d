import { QuantizeError } from '../errors.js';

// Errors the calibration readers throw. Both carry the sample's source name
// at the start of the message, so the user can tell which file to fix without
// a stack trace; callers can tell them apart from bugs by class.

/** A sample file that cannot be read: not the format it claims, corrupt, truncated, unsupported. */
export class SampleFormatError extends QuantizeError {
  override readonly name = 'SampleFormatError';

  /** @param source the file (or file[index], file:member) the problem is in */
  constructor(readonly source: string, problem: string) {
    super('E_SAMPLE_FORMAT', `${source}: ${problem}`);
  }
}

/** A sample that was read fine but does not fit the model's inputs. */
export class SampleMismatchError extends QuantizeError {
  override readonly name = 'SampleMismatchError';

  /**
   * @param source the sample's source name
   * @param input the model input concerned
   */
  constructor(readonly source: string, readonly input: string, problem: string) {
    super('E_SAMPLE_MISMATCH', `${source}: ${problem}`);
  }
}

/** A --preprocess (or audio/text) setting that cannot be read or contradicts the model's input: a usage error (exit 2). */
export class SampleSpecError extends QuantizeError {
  override readonly name = 'SampleSpecError';

  constructor(message: string) {
    super('E_SAMPLE_SPEC', message, 2);
  }
}

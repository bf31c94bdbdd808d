// Before any work: the output must not be the input, must not exist unless
// --force (or --skip-existing, which redoes a stale one), and its folder must exist (or be created, under --out-dir).
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import type { JobStep } from '../job.js';

export const checkOutputStep: JobStep = {
  name: 'check-output',
  async run({ job }) {
    const { output, entry } = job;
    if (resolve(output) === resolve(entry.input)) throw new UsageError(`the output ${output} would overwrite the input model`);
    if (existsSync(output) && !job.force && !job.skipExisting) throw new UsageError(`${output} exists: pass --force to overwrite it`);
    const folder = dirname(output);
    if (!existsSync(folder)) {
      if (!job.createFolder) throw new UsageError(`cannot write ${output}: the folder ${folder} does not exist`);
      mkdirSync(folder, { recursive: true });
    } else if (!statSync(folder).isDirectory()) {
      throw new UsageError(`cannot write ${output}: ${folder} is not a folder`);
    }
    return 'continue';
  },
};

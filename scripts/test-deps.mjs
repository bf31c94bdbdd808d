// Runs before `npm test` (pretest): what the tests need from outside npm.
// The round-trip tests read Debian's libonnx-testdata (about a thousand ONNX
// models in /usr/share/libonnx-testdata). When it is missing and this runs as
// root on a machine with apt-get (CI, a container), it is installed here;
// otherwise one message says how, and the tests run (those that need it fail
// with the same hint).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CORPUS = '/usr/share/libonnx-testdata/data';
const hint = 'the round-trip tests need Debian\'s libonnx-testdata: install it with `sudo apt-get install libonnx-testdata` (Debian, Ubuntu)';

const hasAptGet = () => {
  try {
    execFileSync('apt-get', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

if (!existsSync(CORPUS)) {
  if (process.platform === 'linux' && process.getuid?.() === 0 && hasAptGet()) {
    console.error('pretest: installing libonnx-testdata (the round-trip test corpus) with apt-get…');
    try {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      execFileSync('apt-get', ['install', '-y', '-qq', 'libonnx-testdata'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    } catch (err) {
      console.error(`pretest: apt-get could not install it (${err.message.split('\n')[0]}): ${hint}`);
    }
  } else {
    console.error(`pretest: ${hint}`);
  }
}

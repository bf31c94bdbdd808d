// Runs before `npm test` (pretest): what the tests need from outside npm.
// The round-trip tests read Debian's libonnx-testdata (about a thousand ONNX
// models in /usr/share/libonnx-testdata); the HTML report's test drives
// Debian's chromium (/usr/bin/chromium). When one is missing and this runs as
// root on a machine with apt-get (CI, a container), it is installed here;
// otherwise one message says how, and the tests run (those that need it fail
// with the same hint).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const NEEDS = [
  { pkg: 'libonnx-testdata', path: '/usr/share/libonnx-testdata/data', what: 'the round-trip test corpus' },
  { pkg: 'chromium', path: '/usr/bin/chromium', what: 'the browser the HTML report\'s test loads the report in' },
];

const hasAptGet = () => {
  try {
    execFileSync('apt-get', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const missing = NEEDS.filter((n) => !existsSync(n.path));
const hint = (n) => `the tests need Debian's ${n.pkg} (${n.what}): install it with \`sudo apt-get install ${n.pkg}\` (Debian, Ubuntu)`;
if (missing.length) {
  if (process.platform === 'linux' && process.getuid?.() === 0 && hasAptGet()) {
    console.error(`pretest: installing ${missing.map((n) => `${n.pkg} (${n.what})`).join(' and ')} with apt-get…`);
    try {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      execFileSync('apt-get', ['install', '-y', '-qq', ...missing.map((n) => n.pkg)], { stdio: ['ignore', 'ignore', 'inherit'], env });
    } catch (err) {
      for (const n of missing) console.error(`pretest: apt-get could not install it (${err.message.split('\n')[0]}): ${hint(n)}`);
    }
  } else {
    for (const n of missing) console.error(`pretest: ${hint(n)}`);
  }
}

// Whether the command runs in a CI job: the CI variable that GitHub Actions,
// GitLab, CircleCI, Buildkite and most others set, and not to "false" or "0".
// There the output is a log: no colours, no progress bars.
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

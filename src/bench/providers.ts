// Which execution providers onnxruntime-node can use on this machine, found
// by trying each: a session on a one-node model is created with that provider
// alone (ONNX Runtime does not fall back to another provider when one fails
// to start; the tool must not either). The tries run in a child process: a
// provider that fails prints native warnings on stderr (Dawn's Vulkan loader,
// ORT's provider bridge), and one that crashes must not take the benchmark
// down. A provider that cannot start is reported with the runtime's reason on
// one line and, where we know it, what to do about it.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { RuntimeFailure, UsageError } from '../errors.js';
import { childScriptPath, jsonLines, lastStderrLine, runChildScript } from './child-process.js';

/**
 * Every provider name onnxruntime-common's typings know
 * (InferenceSession.ExecutionProviderOptionMap), CPU first.
 */
export const KNOWN_PROVIDERS = [
  'cpu', 'cuda', 'tensorrt', 'webgpu', 'dml', 'coreml', 'nnapi', 'qnn', 'xnnpack', 'webnn', 'wasm', 'webgl',
] as const;

export interface ProviderStatus {
  /** the name as given to executionProviders ('cpu', 'cuda', ...) */
  name: string;
  /** whether this build of onnxruntime-node lists it (listSupportedBackends) */
  inBuild: boolean;
  /** whether its libraries ship inside the npm package (null when not in the build) */
  bundled: boolean | null;
  /** whether a session could be created with it */
  available: boolean;
  /** the runtime's reason, on one line, when not available */
  reason?: string;
  /** what to do about it, when we know */
  hint?: string;
}

/** The backends this onnxruntime-node build lists, e.g. cpu, webgpu (bundled), cuda, tensorrt (downloaded at install). */
export function supportedBackends(): Array<{ name: string; bundled: boolean }> {
  const list = (ort as unknown as { listSupportedBackends?: () => Array<{ name: string; bundled: boolean }> }).listSupportedBackends;
  try {
    return list ? list() : [{ name: 'cpu', bundled: true }];
  } catch {
    return [{ name: 'cpu', bundled: true }];
  }
}

/**
 * `--providers cpu,cuda` → ['cpu', 'cuda'] (trimmed, lower-cased, each once,
 * in the order given).
 * @throws UsageError for an empty list or a name no typing of onnxruntime knows
 */
export function parseProviderList(text: string): string[] {
  const names = [...new Set(text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))];
  if (names.length === 0) throw new UsageError('--providers: name at least one execution provider (e.g. cpu,cuda)');
  const known = new Set<string>(KNOWN_PROVIDERS);
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) {
    throw new UsageError(`--providers: unknown execution provider${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')} ` +
      `(known: ${KNOWN_PROVIDERS.join(', ')})`);
  }
  return names;
}

/**
 * The providers to try when none are named: every known one, CPU first, then
 * this build's backends in its order, then the rest (which report "not in
 * this build").
 */
export function defaultProviderOrder(): string[] {
  const built = supportedBackends().map((b) => b.name);
  return [...new Set(['cpu', ...built, ...KNOWN_PROVIDERS])];
}

export interface DiscoverOptions {
  /** time allowed for one probe process (default 180 s; CUDA and TensorRT start slowly) */
  timeoutMs?: number;
}

/**
 * Tries each provider (default: defaultProviderOrder()) and reports which
 * can start. Runs the tries in a child process; should it die on one
 * provider, that provider is reported as having crashed it and the rest are
 * tried in a fresh child.
 */
export async function discoverProviders(names: readonly string[] = defaultProviderOrder(), options: DiscoverOptions = {}): Promise<ProviderStatus[]> {
  const backends = new Map(supportedBackends().map((b) => [b.name, b.bundled]));
  const script = childScriptPath('probe-child');
  const results = new Map<string, { ok: boolean; error?: string }>();
  let remaining = [...names];
  while (remaining.length) {
    const outcome = await runChildScript(script, [JSON.stringify(remaining)], undefined, options.timeoutMs ?? 180_000);
    for (const line of jsonLines(outcome.stdout)) {
      if (typeof line.name === 'string' && remaining.includes(line.name)) {
        results.set(line.name, { ok: line.ok === true, ...(typeof line.error === 'string' ? { error: line.error } : {}) });
      }
    }
    remaining = remaining.filter((n) => !results.has(n));
    if (remaining.length && outcome.code === 0 && !outcome.timedOut) {
      throw new RuntimeFailure(`the provider probe ended without reporting ${remaining.join(', ')}`);
    }
    if (remaining.length) {
      const how = outcome.timedOut ? `did not finish within ${Math.round((options.timeoutMs ?? 180_000) / 1000)} s`
        : outcome.signal ? `crashed the process (${outcome.signal})` : `ended the process (exit code ${outcome.code})`;
      const detail = lastStderrLine(outcome.stderr);
      results.set(remaining[0]!, { ok: false, error: `starting it ${how}${detail ? `: ${detail}` : ''}` });
      remaining = remaining.slice(1);
    }
  }
  return names.map((name) => {
    const r = results.get(name)!;
    const inBuild = backends.has(name);
    const status: ProviderStatus = { name, inBuild, bundled: inBuild ? backends.get(name)! : null, available: r.ok };
    if (!r.ok) {
      status.reason = oneLineReason(r.error ?? 'unknown error');
      const hint = providerHint(name, status.reason, inBuild, [...backends.keys()]);
      if (hint) status.hint = hint;
    }
    return status;
  });
}

/**
 * A runtime error message on one line: the first non-empty line, without the
 * source location and failed-check preamble ORT puts before the reason
 * ("/onnxruntime_src/...cc:136 ... was false. Failed to get a WebGPU adapter: ...").
 */
export function oneLineReason(message: string): string {
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  let line = lines[0] ?? '';
  const afterCheck = /\bwas false\.\s*(.+)$/.exec(line);
  if (afterCheck) line = afterCheck[1]!;
  else line = line.replace(/^\S+\.(?:cc|cpp|h):\d+\s+\S+\s+/, '');
  line = line.replace(/^no available backend found\. ERR: /, '');
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/** What the user can do about a provider that did not start, when we know. */
export function providerHint(name: string, reason: string, inBuild: boolean, built: readonly string[]): string | undefined {
  const { platform, arch } = process;
  if (!inBuild) {
    const version = ort.env.versions.node ? ` ${ort.env.versions.node}` : '';
    return `onnxruntime-node${version} for ${platform}/${arch} has no ${name} backend (it has: ${built.join(', ')})`;
  }
  if ((name === 'cuda' || name === 'tensorrt') && /shared librar|cannot open shared object|providers_/i.test(reason)) {
    const lib = `libonnxruntime_providers_${name}.so`;
    const installed = platform === 'linux' && providerLibraryPresent(lib);
    if (platform === 'linux' && !installed) {
      return `onnxruntime-node was installed without its ${name === 'cuda' ? 'CUDA' : 'TensorRT'} libraries (${lib}; this project's .npmrc skips the download): ` +
        'on a machine with internet run ONNXRUNTIME_NODE_INSTALL=true npm rebuild onnxruntime-node';
    }
    if (installed) {
      return `${lib} is installed but did not load: the CUDA 12 and cuDNN 9 runtime libraries${name === 'tensorrt' ? ' and TensorRT 10' : ''} ` +
        'must be on the library path (LD_LIBRARY_PATH), with an NVIDIA driver';
    }
    return `ONNX Runtime's ${name} provider needs its GPU libraries, which onnxruntime-node installs on Linux x64 only`;
  }
  if (name === 'webgpu' && /adapter/i.test(reason)) {
    return 'no GPU adapter: WebGPU in Node needs a GPU and its Vulkan driver (on Linux: libvulkan1 and the vendor\'s ICD, e.g. VK_DRIVER_FILES pointing at it)';
  }
  return undefined;
}

/** Whether a provider library sits in onnxruntime-node's binary folder for this platform. */
function providerLibraryPresent(lib: string): boolean {
  try {
    const pkgMain = createRequire(import.meta.url).resolve('onnxruntime-node');
    const bin = join(dirname(pkgMain), '..', 'bin');
    for (const napi of readdirSync(bin)) {
      if (existsSync(join(bin, napi, process.platform, process.arch, lib))) return true;
    }
  } catch {
    // layout unknown: say nothing about it
  }
  return false;
}

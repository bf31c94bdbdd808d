import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { KNOWN_PROVIDERS, defaultProviderOrder, discoverProviders, oneLineReason, parseProviderList, providerHint,
  supportedBackends } from '../../src/bench/providers.js';
import { UsageError } from '../../src/errors.js';

/** Whether onnxruntime-node's CUDA provider library is installed here (it is not on a machine installed offline). */
function cudaLibraryInstalled(): boolean {
  const bin = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin');
  return readdirSync(bin).some((napi) => existsSync(join(bin, napi, process.platform, process.arch, 'libonnxruntime_providers_cuda.so')));
}

test('--providers: names are trimmed, lower-cased and kept once; unknown and empty lists are usage errors', () => {
  assert.deepEqual(parseProviderList(' CPU, cuda,cpu ,webgpu'), ['cpu', 'cuda', 'webgpu']);
  assert.throws(() => parseProviderList('cpu,cudaa,gpu'), (e: unknown) =>
    e instanceof UsageError && e.exitCode === 2 && /unknown execution providers 'cudaa', 'gpu'/.test(e.message) && /known: cpu, cuda/.test(e.message));
  assert.throws(() => parseProviderList(' , '), UsageError);
});

test('the default order tries CPU first, then this build\'s backends, then every other provider the typings name', () => {
  const order = defaultProviderOrder();
  assert.equal(order[0], 'cpu');
  assert.equal(new Set(order).size, order.length);
  for (const name of KNOWN_PROVIDERS) assert.ok(order.includes(name), name);
  const built = supportedBackends().map((b) => b.name);
  assert.deepEqual(order.slice(0, built.length), ['cpu', ...built.filter((b) => b !== 'cpu')].slice(0, built.length));
});

test('runtime messages become one line without the source location', () => {
  const webgpu = '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n';
  assert.equal(oneLineReason(webgpu), 'Failed to get a WebGPU adapter: No supported adapters');
  assert.equal(oneLineReason('no available backend found. ERR: [dml] backend not found.'), '[dml] backend not found.');
  assert.equal(oneLineReason('\n  first line\nsecond line'), 'first line');
  assert.ok(oneLineReason('x'.repeat(1000)).length <= 300);
});

test('hints: CUDA without its libraries says how to install them; a provider missing from the build names those it has', () => {
  const cuda = providerHint('cuda', 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library', true, ['cpu', 'cuda']);
  if (process.platform === 'linux' && !cudaLibraryInstalled()) {
    assert.match(cuda ?? '', /ONNXRUNTIME_NODE_INSTALL=true npm rebuild onnxruntime-node/);
  } else {
    assert.ok(cuda && cuda.length > 0);
  }
  assert.match(providerHint('dml', '[dml] backend not found.', false, ['cpu', 'webgpu']) ?? '', /has no dml backend \(it has: cpu, webgpu\)/);
  assert.match(providerHint('webgpu', 'Failed to get a WebGPU adapter: No supported adapters', true, []) ?? '', /Vulkan/);
  assert.equal(providerHint('cpu', 'something odd', true, ['cpu']), undefined);
});

test('discovery: CPU starts; CUDA without its libraries and a provider not in this build are skipped with the runtime\'s reason', async () => {
  const statuses = await discoverProviders(['cpu', 'cuda', 'dml']);
  assert.deepEqual(statuses.map((s) => s.name), ['cpu', 'cuda', 'dml']);
  const [cpu, cuda, dml] = statuses;
  assert.equal(cpu!.available, true);
  assert.equal(cpu!.inBuild, true);
  assert.equal(cpu!.reason, undefined);
  if (!cudaLibraryInstalled()) {
    assert.equal(cuda!.available, false);
    assert.match(cuda!.reason ?? '', /Failed to load shared library/);
    assert.ok(!cuda!.reason!.includes('\n'));
    if (process.platform === 'linux') assert.match(cuda!.hint ?? '', /ONNXRUNTIME_NODE_INSTALL=true npm rebuild onnxruntime-node/);
  }
  if (!supportedBackends().some((b) => b.name === 'dml')) {
    assert.equal(dml!.available, false);
    assert.equal(dml!.inBuild, false);
    assert.equal(dml!.bundled, null);
    assert.match(dml!.reason ?? '', /backend not found/);
  }
});

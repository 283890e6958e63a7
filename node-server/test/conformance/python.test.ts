// The second client: conformance/python/stage_conformance.py, written from PROTOCOL.md with only the Python
// standard library and Debian's python3-websockets, must pass the whole conformance kit against a real hub process.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKit } from '../../../conformance/runner/runKit.js';
import { kitDir, runExternalClient, startKitHub, type KitHub } from '../../../conformance/runner/runWithHub.js';

// Debian's python3-websockets lives in /usr/bin/python3's dist-packages (a pyenv python3 on PATH would not see it).
const python = process.env.STAGE_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const client = join(kitDir, 'python', 'stage_conformance.py');
const kit = loadKit(kitDir);

function requirePythonWebsockets(): void {
  const probe = spawnSync(python, ['-c', 'import websockets'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `${python} cannot import websockets (${probe.error?.message ?? probe.stderr.trim()}). ` +
        'Install Debian\'s package: `apt-get install -y python3-websockets` (.ci/run does), or set STAGE_PYTHON to a python3 that has it.',
    );
  }
}

let hub: KitHub;
beforeAll(async () => {
  requirePythonWebsockets();
  hub = await startKitHub();
});
afterAll(async () => hub?.stop());

describe('conformance kit, Python client', () => {
  it('passes every vector, frame case and conversation against a real hub', async () => {
    const { results, exitCode, output } = await runExternalClient([python, client], hub);
    const failures = results.filter((r) => !r.ok).map((r) => `${r.kind} ${r.name}: ${r.error}`);
    expect(failures, failures.join('\n')).toEqual([]);
    expect(results.map((r) => r.name).sort()).toEqual(['protocol-seals', ...kit.frames.map((c) => c.name), ...kit.conversations.map((c) => c.name)].sort());
    expect(exitCode, output.slice(-20).join('\n')).toBe(0);
  });
});

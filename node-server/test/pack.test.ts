// The SDK as users get it: build it, `npm pack` it, install the tarball into a scratch Vite + React
// app and a scratch Vite + Vue app in a temp dir OUTSIDE the workspace, build both, and load them
// in Chromium. Also checks the package shape: every subpath export has its ESM file and .d.ts,
// and no Node built-in is reachable from a browser entry point.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const workspace = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const sdkDir = join(workspace, 'sdk');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Entry points a browser bundle may import; `./node` is the only Node-only one. */
const browserEntries = ['.', './im', './idb', './react', './vue'];

interface ExportTarget {
  types: string;
  import: string;
}
const sdkPackage = JSON.parse(readFileSync(join(sdkDir, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  sideEffects: boolean;
  exports: Record<string, ExportTarget>;
};

/** The version installed in the workspace, so the scratch apps install from the npm cache. */
function workspaceVersion(name: string): string {
  return (JSON.parse(readFileSync(join(workspace, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

let scratch: string;
let tarball: string;
let packedFiles: string[];
let browser: Browser;

/** Runs a command; on failure the error carries its output, so a broken build says why. */
async function command(file: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`.slice(0, 8000), { cause: error });
  }
}

const npm = (args: string[], cwd: string): Promise<string> => command('npm', args, cwd);

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'stage-pack-'));
  await npm(['run', 'build'], sdkDir);
  const packed = JSON.parse(await npm(['pack', '--json', '--pack-destination', scratch], sdkDir)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const [first] = packed;
  if (!first) throw new Error('npm pack printed no package');
  tarball = join(scratch, first.filename);
  packedFiles = first.files.map((file) => file.path);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the packed @stage/sdk', () => {
  it('ships ESM and .d.ts for every subpath export, and declares itself side-effect free', () => {
    expect(sdkPackage.sideEffects).toBe(false);
    for (const [subpath, target] of Object.entries(sdkPackage.exports)) {
      expect(packedFiles, `${subpath} types`).toContain(target.types.replace(/^\.\//, ''));
      expect(packedFiles, `${subpath} import`).toContain(target.import.replace(/^\.\//, ''));
    }
    expect(packedFiles.some((file) => file.startsWith('src/')), 'sources stay out of the tarball').toBe(false);
    expect(packedFiles.some((file) => /\.test\.|test-support/.test(file)), 'tests stay out of the tarball').toBe(false);
  });

  it('reaches no Node built-in from any browser entry point', () => {
    const builtins = new Set(builtinModules);
    for (const entry of browserEntries) {
      const target = sdkPackage.exports[entry];
      if (!target) throw new Error(`exports has no ${entry}`);
      const { bare, files } = reachableImports(join(sdkDir, target.import));
      const nodeOnly = [...bare].filter((specifier) => specifier.startsWith('node:') || builtins.has(specifier.split('/')[0] ?? ''));
      expect(nodeOnly, `${entry} reaches Node built-ins (through ${files.size} files)`).toEqual([]);
    }
  });

  it('installs into a Vite + React app outside the workspace, type-checks, builds and renders in Chromium', async () => {
    const app = join(scratch, 'react-app');
    writeApp(app, {
      'package.json': JSON.stringify({
        name: 'scratch-react',
        private: true,
        type: 'module',
        dependencies: {
          '@stage/sdk': `file:${tarball}`,
          react: workspaceVersion('react'),
          'react-dom': workspaceVersion('react-dom'),
          rxjs: workspaceVersion('rxjs'),
        },
        devDependencies: {
          vite: workspaceVersion('vite'),
          '@vitejs/plugin-react': workspaceVersion('@vitejs/plugin-react'),
          typescript: workspaceVersion('typescript'),
          '@types/react': workspaceVersion('@types/react'),
          '@types/react-dom': workspaceVersion('@types/react-dom'),
        },
      }),
      'vite.config.js': "import { defineConfig } from 'vite';\nimport react from '@vitejs/plugin-react';\nexport default defineConfig({ plugins: [react()], build: { target: 'es2022' } });\n",
      // The compiler options of Vite's react-ts template: what a user's app checks our types with.
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          module: 'ESNext',
          moduleResolution: 'bundler',
          jsx: 'react-jsx',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          isolatedModules: true,
          verbatimModuleSyntax: true,
          noUnusedLocals: true,
        },
        include: ['src'],
      }),
      'index.html': '<!doctype html><html><body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>',
      'src/main.tsx': `import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BehaviorSubject } from 'rxjs';
import { canonicalJson } from '@stage/sdk';
import { IdbLogStore } from '@stage/sdk/idb';
import { ImClient } from '@stage/sdk/im';
import { ImClientProvider, useConnectionState, useObservable, useTopicMessages } from '@stage/sdk/react';

const greeting$ = new BehaviorSubject<string>('starting');
function App() {
  const greeting: string = useObservable(greeting$);
  const state = useConnectionState();
  const messages = useTopicMessages('general', 'hello');
  return <p id="out">{greeting}; {canonicalJson({ b: 1, a: 2 })}; {state}; {messages.length} messages; idb {typeof IdbLogStore.open}</p>;
}
// A client that never connects: enough to prove the IM entry and the hooks load in a browser bundle.
const client = await ImClient.open({ url: location.origin, deviceId: 'pack-test', token: 'not-used' });
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ImClientProvider client={client}>
      <App />
    </ImClientProvider>
  </StrictMode>,
);
setTimeout(() => greeting$.next('react says hello'), 0);
`,
    });
    await npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
    await command(join(app, 'node_modules/.bin/tsc'), ['-p', '.'], app);
    await command(join(app, 'node_modules/.bin/vite'), ['build'], app);
    expect(await renderedText(join(app, 'dist'), '#out')).toBe('react says hello; {"a":2,"b":1}; offline; 0 messages; idb function');
  }, 300_000);

  it('installs into a Vite + Vue app outside the workspace, builds and renders in Chromium', async () => {
    const app = join(scratch, 'vue-app');
    writeApp(app, {
      'package.json': JSON.stringify({
        name: 'scratch-vue',
        private: true,
        type: 'module',
        dependencies: { '@stage/sdk': `file:${tarball}`, vue: workspaceVersion('vue'), rxjs: workspaceVersion('rxjs') },
        devDependencies: { vite: workspaceVersion('vite'), '@vitejs/plugin-vue': workspaceVersion('@vitejs/plugin-vue') },
      }),
      'vite.config.js': "import { defineConfig } from 'vite';\nimport vue from '@vitejs/plugin-vue';\nexport default defineConfig({ plugins: [vue()], build: { target: 'es2022' } });\n",
      'index.html': '<!doctype html><html><body><div id="app"></div><script type="module" src="/src/main.js"></script></body></html>',
      'src/main.js': "import { createApp } from 'vue';\nimport { ImClient } from '@stage/sdk/im';\nimport App from './App.vue';\nconst client = await ImClient.open({ url: location.origin, deviceId: 'pack-test-vue', token: 'not-used' });\ncreateApp(App, { client }).mount('#app');\n",
      'src/App.vue': `<script setup>
import { BehaviorSubject } from 'rxjs';
import { useConnectionState, useObservable, useTopicMessages } from '@stage/sdk/vue';
const props = defineProps(['client']);
const greeting$ = new BehaviorSubject('starting');
const greeting = useObservable(greeting$);
const state = useConnectionState(() => props.client);
const messages = useTopicMessages(() => props.client, 'general', 'hello');
setTimeout(() => greeting$.next('vue says hello'), 0);
</script>
<template><p id="out">{{ greeting }}; {{ state }}; {{ messages.length }} messages</p></template>
`,
    });
    await npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
    await command(join(app, 'node_modules/.bin/vite'), ['build'], app);
    expect(await renderedText(join(app, 'dist'), '#out')).toBe('vue says hello; offline; 0 messages');
  }, 300_000);
});

describe('the packed @stage/sdk in Node projects', () => {
  /** A Node app outside the workspace with the tarball installed; `files` are its sources. */
  async function nodeApp(name: string, files: Record<string, string>, devDependencies: Record<string, string> = {}): Promise<string> {
    const app = join(scratch, name);
    writeApp(app, {
      'package.json': JSON.stringify({
        name: `scratch-${name}`,
        private: true,
        type: 'module',
        dependencies: { '@stage/sdk': `file:${tarball}`, rxjs: workspaceVersion('rxjs') },
        devDependencies,
      }),
      ...files,
    });
    await npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
    return app;
  }

  it('runs from plain Node ESM and from CommonJS require()', async () => {
    const app = await nodeApp('node-plain', {
      'esm.mjs': "import { Mailbox, canonicalJson } from '@stage/sdk';\nimport { nodeSealing } from '@stage/sdk/node';\nconst m = new Mailbox();\nawait m.send(1);\nconst lease = await m.receiver().receive();\nlease.ack();\nconsole.log(canonicalJson({ b: lease.value, a: typeof nodeSealing }));\n",
      'cjs.cjs': "const { canonicalJson } = require('@stage/sdk');\nconst { ImClient } = require('@stage/sdk/im');\nconsole.log(canonicalJson({ z: 1, a: typeof ImClient }));\n",
      // An app's own test, as sdk/docs/im-client.md shows it: ImClient against the shipped FakeHub.
      'fake-hub.mjs':
        "import { ImClient } from '@stage/sdk/im';\nimport { FakeHub } from '@stage/sdk/testing';\nconst hub = new FakeHub();\nconst client = await ImClient.open({ url: 'http://hub.test', deviceId: 'app-test', token: 't', WebSocket: hub.WebSocket, autoSync: false });\nclient.connect();\nconst { message } = await client.sendMessage({ stream: 's', topic: 't', content: 'hello' });\nconsole.log(message.content, hub.executed.length);\nawait client.close();\n",
    });
    expect((await command(process.execPath, ['esm.mjs'], app)).trim()).toBe('{"a":"object","b":1}');
    expect((await command(process.execPath, ['fake-hub.mjs'], app)).trim()).toBe('hello 1');
    expect((await command(process.execPath, ['cjs.cjs'], app)).trim()).toBe('{"a":"function","z":1}');
  }, 300_000);

  it('type-checks under the strictest consumer config: exactOptionalPropertyTypes on, skipLibCheck off', async () => {
    const app = await nodeApp(
      'node-strict',
      {
        // What `tsc --init` (TypeScript 5.9) writes, minus nothing: strict, exactOptionalPropertyTypes, no skipLibCheck.
        'tsconfig.json': JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2022'],
            module: 'nodenext',
            moduleResolution: 'nodenext',
            types: ['node'],
            strict: true,
            exactOptionalPropertyTypes: true,
            noUncheckedIndexedAccess: true,
            skipLibCheck: false,
            noEmit: true,
            verbatimModuleSyntax: true,
          },
          include: ['src'],
        }),
        'src/main.ts': `import { Mailbox, Scope, group, type MailboxConfig } from '@stage/sdk';
import { FileLogStore } from '@stage/sdk/node';

// Values a real app has: possibly undefined, passed straight through.
const capacity: number | undefined = process.env['CAPACITY'] === undefined ? undefined : Number(process.env['CAPACITY']);
const name: string | undefined = process.env['NAME'];
const config: MailboxConfig<string> = { capacity, name };
const mailbox = new Mailbox<string>(config);
const scope = new Scope({ signal: undefined });
const workers = group(async () => undefined, { name, size: capacity });
const rx = mailbox.receiver({ signal: undefined });
rx.leases({ prefetch: capacity });
export { scope, workers, FileLogStore };
`,
      },
      { typescript: workspaceVersion('typescript'), '@types/node': workspaceVersion('@types/node') },
    );
    await command(join(app, 'node_modules/.bin/tsc'), ['-p', '.'], app);
  }, 300_000);
});

describe('the documentation samples, against the packed @stage/sdk', () => {
  /** Every ```ts / ```tsx block of the user-facing docs, named after its file and position. */
  function samples(): Array<{ name: string; code: string; tsx: boolean }> {
    const docs = ['README.md', 'sdk/README.md', ...readdirSync(join(sdkDir, 'docs')).filter((f) => f.endsWith('.md') && f !== 'PROTOCOL.md').map((f) => `sdk/docs/${f}`)];
    const found: Array<{ name: string; code: string; tsx: boolean }> = [];
    for (const doc of docs) {
      const text = readFileSync(join(workspace, doc), 'utf8');
      let index = 0;
      for (const match of text.matchAll(/^```(ts|tsx|typescript)\n([\s\S]*?)^```/gm)) {
        index++;
        found.push({ name: `${doc.replace(/[/.]/g, '_')}_${index}`, code: match[2] ?? '', tsx: match[1] === 'tsx' });
      }
    }
    return found;
  }

  it('type-check in a strict consumer (exactOptionalPropertyTypes, no skipLibCheck), and the Node ones run', async () => {
    const all = samples();
    expect(all.length).toBeGreaterThanOrEqual(12);
    const app = join(scratch, 'doc-samples');
    const files: Record<string, string> = {
      'package.json': JSON.stringify({
        name: 'scratch-doc-samples',
        private: true,
        type: 'module',
        dependencies: {
          '@stage/sdk': `file:${tarball}`,
          rxjs: workspaceVersion('rxjs'),
          ws: workspaceVersion('ws'),
          react: workspaceVersion('react'),
          zod: workspaceVersion('zod'), // the extension sample defines its schemas with zod, as an extension does
        },
        devDependencies: {
          typescript: workspaceVersion('typescript'),
          '@types/node': workspaceVersion('@types/node'),
          '@types/react': workspaceVersion('@types/react'),
          '@types/ws': workspaceVersion('@types/ws'),
        },
      }),
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          module: 'nodenext',
          moduleResolution: 'nodenext',
          jsx: 'react-jsx',
          types: ['node'],
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: false,
          outDir: 'out',
        },
        include: ['src'],
      }),
    };
    // Each sample is a module of its own (top-level await, its own imports).
    for (const sample of all) files[`src/${sample.name}.${sample.tsx ? 'tsx' : 'ts'}`] = `${sample.code}\nexport {};\n`;
    writeApp(app, files);
    await npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
    await command(join(app, 'node_modules/.bin/tsc'), ['-p', '.'], app);
    // The samples that need neither a browser nor a running hub are run too, to the end, without an error.
    const runnable = all.filter((sample) => !sample.tsx && !/@stage\/sdk\/(im|idb|react|vue)'/.test(sample.code));
    expect(runnable.length).toBeGreaterThanOrEqual(8);
    for (const sample of runnable) {
      await command(process.execPath, [join(app, 'out', `${sample.name}.js`)], app);
    }
  }, 300_000);
});

function writeApp(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

/** Follows relative imports (static and dynamic) from `entry`; returns the bare specifiers reached. */
function reachableImports(entry: string): { bare: Set<string>; files: Set<string> } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const pending = [entry];
  const specifiers = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (files.has(file)) continue;
    if (!existsSync(file)) throw new Error(`${file} is imported but missing from dist; run the build`);
    files.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(specifiers)) {
      const specifier = match[1] ?? match[2] ?? match[3] ?? '';
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier));
      else bare.add(specifier);
    }
  }
  return { bare, files };
}

const contentTypes: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

/** Serves `dir` on a loopback port, opens it in Chromium and returns the text of `selector` once it settles. */
async function renderedText(dir: string, selector: string): Promise<string> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/favicon.ico') {
      response.writeHead(204).end();
      return;
    }
    const file = join(dir, path === '/' ? 'index.html' : path);
    if (!file.startsWith(dir) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  try {
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.locator(selector).filter({ hasText: /hello/ }).waitFor({ timeout: 20_000 });
    expect(errors).toEqual([]);
    return (await page.textContent(selector)) ?? '';
  } finally {
    await page.close();
    await new Promise((closed) => server.close(closed));
  }
}

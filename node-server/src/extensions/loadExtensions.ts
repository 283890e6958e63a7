// `stage-hub --extension <module>` / STAGE_EXTENSIONS: imports each module and takes its default export (or an
// export named `extension`, or an array of them). A path (./x.js, /abs/x.js) is resolved from the working
// directory; anything else is a package name resolved like an import. The built hub runs on plain node, so a module
// must be JavaScript there (the example compiles to node-server/dist/extensions/poll/index.js); under tsx (npm run
// dev:hub) a .ts file loads too.
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ExtensionRegistry } from './ExtensionRegistry.js';
import type { HubExtension } from './defineHubExtension.js';

export class ExtensionLoadError extends Error {
  constructor(
    readonly module: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`extension module "${module}": ${message}`, options);
    this.name = 'ExtensionLoadError';
  }
}

function specifierOf(module: string, cwd: string): string {
  const isPath = module.startsWith('.') || isAbsolute(module);
  return isPath ? pathToFileURL(resolve(cwd, module)).href : module;
}

/** The registry of every extension the modules export, or ExtensionLoadError naming the module and what is wrong. */
export async function loadExtensions(modules: readonly string[], cwd: string = process.cwd()): Promise<ExtensionRegistry> {
  const registry = new ExtensionRegistry();
  for (const module of modules) {
    let loaded: Record<string, unknown>;
    try {
      loaded = (await import(specifierOf(module, cwd))) as Record<string, unknown>;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const hint = code === 'ERR_UNKNOWN_FILE_EXTENSION' ? ': the built hub loads JavaScript; give the compiled .js file' : code === 'ERR_MODULE_NOT_FOUND' ? ': no such file or package' : '';
      throw new ExtensionLoadError(module, `cannot import it (${(e as Error).message})${hint}`, { cause: e });
    }
    const exported = loaded.default ?? loaded.extension;
    if (exported === undefined) throw new ExtensionLoadError(module, 'exports no extension: `export default defineHubExtension(def, handlers)`');
    for (const extension of Array.isArray(exported) ? exported : [exported]) {
      try {
        registry.register(extension as HubExtension);
      } catch (e) {
        throw new ExtensionLoadError(module, (e as Error).message, { cause: e });
      }
    }
  }
  return registry;
}

// Runs before `npm pack`/`npm publish`: the package ships the repository's LICENSE and the protocol reference that
// its README and docs link to, as files of its own (a link out of the tarball would be dead for an installed copy).
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sdk = join(dirname(fileURLToPath(import.meta.url)), '..');
copyFileSync(join(sdk, '../LICENSE'), join(sdk, 'LICENSE'));
mkdirSync(join(sdk, 'docs'), { recursive: true });
copyFileSync(join(sdk, '../docs/PROTOCOL.md'), join(sdk, 'docs/PROTOCOL.md'));

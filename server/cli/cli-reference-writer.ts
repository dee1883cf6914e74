/** `npm run docs:cli`: rewrites the command list in README.md from the command table. */
import { readFile, writeFile } from 'node:fs/promises';
import { withCliReference } from './cli-reference.js';

const readmeUrl = new URL('../../README.md', import.meta.url);
await writeFile(readmeUrl, withCliReference(await readFile(readmeUrl, 'utf8')));

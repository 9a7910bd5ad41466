import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CLIENT_FILES } from '../src/api/openapi/generate.js';
import { generateClientFiles } from './openapi-client.js';

// Writes the OpenAPI document and the typed client's types (openapi-typescript) from the routes' zod schemas.
const files = await generateClientFiles();
await writeFile(CLIENT_FILES.json, files.json);
await writeFile(CLIENT_FILES.types, files.types);
console.log(`wrote ${fileURLToPath(CLIENT_FILES.json)} and ${fileURLToPath(CLIENT_FILES.types)}`);

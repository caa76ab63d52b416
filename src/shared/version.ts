import { shippedFileSync } from './shipped-files.js';

// Read once from package.json, which ships beside dist/ and src/ (and in the single executable).
export const TOOL_VERSION: string = (JSON.parse(shippedFileSync('package.json')) as { version: string }).version;

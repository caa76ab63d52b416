// Global setup: compile src/ to dist/ once, so the CLI tests run the same code a user runs.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}

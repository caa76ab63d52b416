// `npm run package`: Lifeboat as one file that runs where no Node is installed (Node's single
// executable applications). The compiled CLI (dist/, built first by `npm run build`) is bundled by
// esbuild into one CommonJS script, each worker thread's module into one more; Node makes a blob of
// the CLI's script with the workers and the files that ship beside the code (package.json, the admin
// page) as assets, and postject injects it into a copy of the node binary that runs this script.
// Run with Node 24 or later (plain `node scripts/build-executable.ts`: Node strips the types).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { inject } from 'postject';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The fuse that Node's binary looks for to know that it carries a blob (Node's SEA documentation). */
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const LOWEST_NODE = 24;
/** The heap's caps bin/lifeboat.js starts Node with (see there). */
const HEAP_FLAGS = ['--max-semi-space-size=2', '--heap-growing-percent=100'];

/**
 * In the compiled ES modules a package loaded late and synchronously is `createRequire(import.meta.url)
 * ('x')` (config/settings.ts: the YAML parser). Spelled `require('x')` the bundler takes the package in and still
 * runs it only when that line does; in the executable there is nothing on disk to require it from.
 */
const lateRequires: Plugin = {
  name: 'late-requires',
  setup(bundler) {
    bundler.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replaceAll('createRequire(import.meta.url)(', 'require('),
      loader: 'js',
    }));
  },
};

/**
 * import.meta is empty in a CommonJS bundle. These modules use it only outside the executable (behind
 * inExecutable); anywhere else in Lifeboat's code it would break there, so the build stops.
 */
const IMPORT_META_GUARDED = ['dist/shared/shipped-files.js', 'dist/archive/worker-module.js', 'dist/core/rollback/background-cleanup.js'];

/**
 * The executable's script: bin/lifeboat.js without Node's compile cache, which it neither needs (the
 * blob carries V8's code cache) nor could wait for (a CommonJS script has no top-level await).
 */
const EXECUTABLE_MAIN = `import { main } from './dist/cli/main.js';
main(process.argv).then((code) => { process.exitCode = code; });`;

/** Bundles `entry`, a file or (as `{ contents }`) a module in the package's folder, into `outfile`. */
async function bundle(entry: string | { contents: string }, outfile: string, format: 'cjs' | 'esm'): Promise<void> {
  const name = typeof entry === 'string' ? path.relative(ROOT, entry) : 'the executable main';
  const result = await build({
    ...(typeof entry === 'string' ? { entryPoints: [entry] } : { stdin: { contents: entry.contents, resolveDir: ROOT, sourcefile: 'executable-main.js' } }),
    outfile,
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format,
    target: `node${LOWEST_NODE}`,
    plugins: [lateRequires],
    logLevel: 'silent',
    legalComments: 'none',
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
  });
  // A warning about Lifeboat's own code is an error: an import() or require() of a path that is no
  // string literal is not bundled (so not in the executable), and import.meta is empty there.
  const warnings = result.warnings.filter((w) => !(w.id === 'empty-import-meta' && IMPORT_META_GUARDED.includes(w.location?.file ?? '')));
  const ours = warnings.filter((w) => w.location?.file.startsWith('dist/'));
  for (const w of warnings.filter((w) => !ours.includes(w))) console.warn(`warning: ${w.location?.file ?? name}: ${w.text}`);
  if (ours.length > 0) {
    throw new Error(`bundling ${name}:\n${ours.map((w) => `${w.location?.file}:${w.location?.line}: ${w.text}`).join('\n')}`);
  }
  // esbuild says nothing of an import() whose path it cannot read (a variable): it is left as it is, to
  // fail in the executable. Only Node's own modules may be imported at run time.
  const left = readFileSync(outfile, 'utf8').match(/(?<![\w$.])import\((?!"node:)[^)]{0,60}/g);
  if (left) throw new Error(`bundling ${name}: import() left for run time, where only Node's own modules can be loaded: ${left.join(', ')}`);
}

export interface BuiltExecutable {
  file: string;
  bytes: number;
  /** Whether the node binary's symbols were left out (`strip` was found). */
  stripped: boolean;
}

export async function buildExecutable(): Promise<BuiltExecutable> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < LOWEST_NODE) throw new Error(`the executable carries the node that builds it: run this with Node ${LOWEST_NODE} or later, not ${process.version}`);
  if (process.platform !== 'linux') throw new Error(`building the executable is done on Linux only (this is ${process.platform})`);
  const dist = path.join(ROOT, 'dist');
  const work = path.join(dist, 'sea');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(path.join(work, 'workers'), { recursive: true });

  // The executable runs one CommonJS script. A worker's code may be a module (with a top-level await):
  // it needs nothing but Node's own modules once bundled.
  await bundle({ contents: EXECUTABLE_MAIN }, path.join(work, 'lifeboat.cjs'), 'cjs');
  const assets: Record<string, string> = { 'package.json': path.join(ROOT, 'package.json') };
  for (const file of readdirSync(path.join(dist, 'archive')).filter((f) => f.endsWith('-worker.js'))) {
    const name = file.slice(0, -'.js'.length);
    await bundle(path.join(dist, 'archive', file), path.join(work, 'workers', `${name}.mjs`), 'esm');
    assets[`workers/${name}.mjs`] = path.join(work, 'workers', `${name}.mjs`);
  }
  for (const file of readdirSync(path.join(ROOT, 'src', 'web'))) assets[`src/web/${file}`] = path.join(ROOT, 'src', 'web', file);

  const config = path.join(work, 'sea-config.json');
  const blob = path.join(work, 'sea-prep.blob');
  writeFileSync(
    config,
    // The heap's caps that bin/lifeboat.js starts Node with (see there): V8 takes them only at start-up.
    JSON.stringify({ main: path.join(work, 'lifeboat.cjs'), output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, execArgv: HEAP_FLAGS, assets }, null, 2),
  );
  // The code cache is made under the same flags: V8 rejects (with a warning on every start) a cache
  // made under flags other than those it runs with.
  execFileSync(process.execPath, [...HEAP_FLAGS, '--experimental-sea-config', config], { stdio: 'pipe' }); // a failure throws with its output

  const file = path.join(dist, `lifeboat-${process.platform}-${process.arch}`);
  rmSync(file, { force: true });
  copyFileSync(process.execPath, file);
  chmodSync(file, 0o755);
  const stripped = strip(file);
  // postject's ELF reader warns of each note section in node's binary whose name it cannot find: noise.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith("warning: Can't find string offset for section name")) warn(...args);
  };
  try {
    await inject(file, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: FUSE });
  } finally {
    console.warn = warn;
  }
  return { file, bytes: statSync(file).size, stripped };
}

/**
 * Node's release binaries keep their symbols and debug information (about 18 MiB of 127 in Node 24),
 * which only a debugger of Node's C++ wants. Stripped when binutils' `strip` is there.
 */
function strip(file: string): boolean {
  try {
    execFileSync('strip', [file], { stdio: 'pipe' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { file, bytes, stripped } = await buildExecutable();
  console.log(`${path.relative(process.cwd(), file)}: ${(bytes / 2 ** 20).toFixed(1)} MiB${stripped ? '' : ' (not stripped: no strip command)'}`);
}

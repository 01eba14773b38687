// Builds the live view's browser bundle (src/view/browser → dist/src/view/assets/app.{js,css}) with
// esbuild. Run by `npm run build` after tsc; `buildView()` is also called by the view's tests.
import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where the router looks first for the bundle (beside the compiled router). */
export const DEFAULT_OUTDIR = fileURLToPath(new URL('../../dist/src/view/assets/', import.meta.url));

/** Bundles the page's script and stylesheet into `outdir`; returns the output paths. */
export async function buildView(outdir = DEFAULT_OUTDIR) {
  const result = await build({
    entryPoints: [
      { in: fileURLToPath(new URL('./browser/main.ts', import.meta.url)), out: 'app' },
      { in: fileURLToPath(new URL('./browser/style.css', import.meta.url)), out: 'app' },
    ],
    outdir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    // ELK is EPL-2.0: its licence header stays in the shipped bundle.
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
  });
  return Object.keys(result.metafile.outputs);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outputs = await buildView(process.argv[2]);
  process.stdout.write(`live view: ${outputs.join(', ')}\n`);
}

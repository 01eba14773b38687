/** Where the router looks first for the bundle: `dist/src/view/assets/`. */
export declare const DEFAULT_OUTDIR: string;
/** Bundles the live view's script and stylesheet into `outdir` (default DEFAULT_OUTDIR); returns the output paths. */
export declare function buildView(outdir?: string): Promise<string[]>;

/**
 * Where the program's own files are, whether it runs from its TypeScript sources (tsx) or compiled
 * into `dist/` (`npm run build`, which bin/wardlab.js prefers when it is fresh). Compiled, a module
 * sits one folder deeper (`dist/src/…` for `src/…`) and its siblings end in `.js`.
 */
const COMPILED = import.meta.url.endsWith('.js')

/** The package's root folder: package.json, `src/` with its data files, `devices/`. */
export const PACKAGE_ROOT = new URL(COMPILED ? '../../../' : '../../', import.meta.url)

/**
 * A module next to `base` (a module's `import.meta.url`) to start as a worker or child process:
 * the compiled `.js` twin when running compiled, so a child never runs other code than its parent.
 */
export function siblingModule(relative: string, base: string): URL {
  return new URL(COMPILED ? relative.replace(/\.ts$/, '.js') : relative, base)
}

/** A data file the program reads (YAML defaults, the dashboard's static files): always from the sources, which hold no compiled twin. */
export function packageFile(path: string): URL {
  return new URL(path, PACKAGE_ROOT)
}

/** tsx's loader by absolute path, for `--import`: a child process then starts wherever wardlab was run from, not only inside its own folder. */
export const TSX_LOADER = import.meta.resolve('tsx')

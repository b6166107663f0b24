/** Types of bin/compiled-entry.js, which stays plain JavaScript so that choosing what to run loads no compiler. */
export declare const BUILD_STAMP: string
export declare const BUILD_INPUTS: string[]
export declare function compiledEntry(root: string, env?: NodeJS.ProcessEnv): string | null

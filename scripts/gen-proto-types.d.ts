// Types of scripts/gen-proto-types.js for the TypeScript tests that import it.
export declare const REPO_ROOT: string;
export declare const DEFAULT_OUT_DIR: string;
export declare const GENERATOR_ARGS: readonly string[];
export declare const ENTRY_PROTO: string;
export declare function generateProtoTypes(outDir?: string): void;

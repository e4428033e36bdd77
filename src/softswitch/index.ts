/**
 * Public API of the embedded switch target. The data plane (BMv2 JSON interpreter and its
 * state) lives in ./dataplane and ./bmv2; the P4Runtime server and ports build on what is
 * exported here.
 */
export type * from './dataplane/api.ts';
export { DataplaneError, isDataplaneError } from './dataplane/dataplane-error.ts';
export { loadPipeline } from './dataplane/load-pipeline.ts';

// Preloaded (node -r) before @tensorflow/tfjs-node: its 4.22 release calls util.isNullOrUndefined,
// which Node 23 removed. Same shim as src/model/tfjs-node-compat.ts, for scripts that load
// tfjs-node without the compiled sources.
const util = require('node:util');
if (typeof util.isNullOrUndefined !== 'function') util.isNullOrUndefined = (v) => v === null || v === undefined;
if (typeof util.isArray !== 'function') util.isArray = Array.isArray;

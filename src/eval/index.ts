export * from './classification.js';
export * from './nab/index.js';

export { listDataFiles, readDataFile, type NabDataFile } from './data-files.js';
export { NAB_RUN_DEFAULTS } from './defaults.js';
export { detectFile } from './detect-file.js';
export { evaluateRun, type ProfileScore } from './evaluate-run.js';
export { trainFileModel, type FileModelOptions } from './file-model.js';
export { resultsPath, rowLabels, writeResultsFile } from './results-file.js';
export { runNab, type FileDone, type NabRunOptions, type NabRunReport } from './run.js';

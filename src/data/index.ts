export { readSeries } from './read-series.js';
export { SeriesReadError, seriesToMatrix, type Series, type ReadSeriesOptions } from './series.js';
export { parseTimestamp } from './timestamp.js';

export { AnalysisWorkflow } from './analysis.js';
export { RetentionPurgeWorkflow } from './purge.js';

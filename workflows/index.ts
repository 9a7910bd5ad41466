export { AnalysisWorkflow } from './analysis.js';

// Re-exported so the project imports openapi-typescript with the TypeScript 5 beside it.
export { default as openapiTS, astToString } from 'openapi-typescript';

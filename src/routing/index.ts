/**
 * Routing and names (DESIGN §5, §10, §18): qualified tool names and their split, tool-filter
 * globs, per-server tool renames and descriptions, the catalog index that resolves a tool,
 * prompt or resource to its server, and resource-template matching on a bounded budget.
 */
export { CatalogIndex, NameIndex, ToolIndex, type CatalogIndexOptions, type Route, type ShownNames, type TemplateWork } from './catalogIndex.js';
export { applyOverrides, type ShownTools, type ToolOverrides } from './renames.js';
export { distinctQualifiedName, qualifiedName, splitQualified, toolFilter } from './naming.js';
export { compileUriTemplate, TEMPLATE_LIMITS, uriTemplateProblem, type MatchBudget, type TemplateLimits, type UriTemplateMatcher } from './uriTemplate.js';

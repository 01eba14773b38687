import { trace, type Tracer } from '@opentelemetry/api';
import { packageVersion } from '../core/version.js';

let cached: Tracer | undefined;

/**
 * The switchboard's tracer (`mcp-switchboard`, the package version). The API's proxy tracer: a
 * no-op until the host registers an SDK, and it follows a provider registered later.
 */
export function tracer(): Tracer {
  return (cached ??= trace.getTracer('mcp-switchboard', packageVersion()));
}

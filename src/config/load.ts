import { ConfigError } from '../core/errors.js';
import { MAX_CONFIG_BYTES, parseConfigText } from './parse.js';
import { FileReadError, readRegularFile, readRegularFileSync } from './readFile.js';
import { resolveConfig, type ResolveOptions } from './resolve.js';
import type { ResolvedConfig } from './schema.js';

/**
 * Every config file is read here, through `readFile.ts`: a regular file of at most
 * MAX_CONFIG_BYTES, never a FIFO, device or directory (each a ConfigError naming the path).
 */

function unreadable(path: string, error: unknown): ConfigError {
  if (!(error instanceof FileReadError)) return new ConfigError([{ path: '', message: `cannot read config file: ${String(error)}` }], path);
  const message = error.code === 'EFBIG' ? `file is larger than ${MAX_CONFIG_BYTES} bytes` : `cannot read config file: ${error.reason}`;
  return new ConfigError([{ path: '', message }], path);
}

/** The text of the config file at `path`, synchronously; ConfigError when it cannot or must not be read. */
export function readConfigTextSync(path: string): string {
  try {
    return readRegularFileSync(path, MAX_CONFIG_BYTES);
  } catch (error) {
    throw unreadable(path, error);
  }
}

/** The text of the config file at `path`; ConfigError when it cannot or must not be read. */
export async function readConfigText(path: string): Promise<string> {
  try {
    return await readRegularFile(path, MAX_CONFIG_BYTES);
  } catch (error) {
    throw unreadable(path, error);
  }
}

/** Reads, parses and resolves a YAML or JSON config file, synchronously (used by the factory). */
export function loadConfigFileSync(path: string, options: Omit<ResolveOptions, 'source'> = {}): ResolvedConfig {
  return resolveConfig(parseConfigText(readConfigTextSync(path), path), { ...options, source: path });
}

/** Reads, parses and resolves a YAML or JSON config file. */
export async function loadConfigFile(path: string, options: Omit<ResolveOptions, 'source'> = {}): Promise<ResolvedConfig> {
  return resolveConfig(parseConfigText(await readConfigText(path), path), { ...options, source: path });
}

/** Resolves a config object or `{ configPath }` (what `createSwitchboard` and `reload` take); throws ConfigError listing every problem. */
export function resolveInput(input: unknown, options: Omit<ResolveOptions, 'source'> = {}): ResolvedConfig {
  const isPath = input !== null && typeof input === 'object' && 'configPath' in input && typeof (input as { configPath: unknown }).configPath === 'string';
  return isPath ? loadConfigFileSync((input as { configPath: string }).configPath, options) : resolveConfig(input, options);
}

import { readFile, stat } from 'node:fs/promises';
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { MAX_CONFIG_BYTES, parseConfigText } from './parse.js';
import { resolveConfig, type ResolveOptions } from './resolve.js';
import type { ResolvedConfig } from './schema.js';

function readChecked(path: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw new ConfigError([{ path: '', message: `cannot read config file: ${(error as Error).message}` }], path);
  }
  if (size > MAX_CONFIG_BYTES) throw new ConfigError([{ path: '', message: `file is larger than ${MAX_CONFIG_BYTES} bytes` }], path);
  return readFileSync(path, 'utf8');
}

/** Reads, parses and resolves a YAML or JSON config file, synchronously (used by the factory). */
export function loadConfigFileSync(path: string, options: Omit<ResolveOptions, 'source'> = {}): ResolvedConfig {
  return resolveConfig(parseConfigText(readChecked(path), path), { ...options, source: path });
}

/** Reads, parses and resolves a YAML or JSON config file. */
export async function loadConfigFile(path: string, options: Omit<ResolveOptions, 'source'> = {}): Promise<ResolvedConfig> {
  try {
    const { size } = await stat(path);
    if (size > MAX_CONFIG_BYTES) throw new ConfigError([{ path: '', message: `file is larger than ${MAX_CONFIG_BYTES} bytes` }], path);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError([{ path: '', message: `cannot read config file: ${(error as Error).message}` }], path);
  }
  return resolveConfig(parseConfigText(await readFile(path, 'utf8'), path), { ...options, source: path });
}

/** Resolves a config object or `{ configPath }` (what `createSwitchboard` and `reload` take); throws ConfigError listing every problem. */
export function resolveInput(input: unknown, options: Omit<ResolveOptions, 'source'> = {}): ResolvedConfig {
  const isPath = input !== null && typeof input === 'object' && 'configPath' in input && typeof (input as { configPath: unknown }).configPath === 'string';
  return isPath ? loadConfigFileSync((input as { configPath: string }).configPath, options) : resolveConfig(input, options);
}

// Loaded with `node --import`: makes the `ai` package unresolvable, as in an install without the
// optional peer dependency, while everything else resolves as usual.
import { register } from 'node:module';

const hook = `
export async function resolve(specifier, context, next) {
  if (specifier === 'ai' || specifier.startsWith('ai/')) {
    const error = new Error("Cannot find package 'ai' (hidden by test/frameworks/withoutAi.mjs)");
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);

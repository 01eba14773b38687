import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

/**
 * The one error of the authorization layer. It extends the SDK's `UnauthorizedError`, so every
 * place that already turns an SDK auth failure into `AuthRequired` (session/classify.ts) handles
 * it too. Its message is written for people and never carries a secret: every message built
 * from something a server said passes through the flow's redactor first.
 */
export class AuthError extends UnauthorizedError {
  /** Always `AuthRequired`: the code a connect failure and a call failure report. */
  readonly code = 'AuthRequired' as const;
  /**
   * False when only a person can fix it (consent needed, credentials refused, resource mismatch,
   * corrupt token file); true for a transient failure (the authorization server unreachable).
   */
  readonly retryable: boolean;
  /** The HTTP status of the MCP server's last refusal, when there was one. */
  readonly status?: number;

  constructor(message: string, options: { retryable?: boolean; status?: number } = {}) {
    super(message);
    this.name = 'AuthError';
    this.retryable = options.retryable ?? false;
    if (options.status !== undefined) this.status = options.status;
  }
}

/** A token file that cannot be read as a token record; the message names the file. */
export class TokenStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenStoreError';
  }
}

const MIN_SECRET = 4;

/**
 * The secrets one flow has seen (configured credentials, tokens, codes, verifiers, registered
 * client secrets, assertions), masked in every message the flow lets out.
 */
export class FlowSecrets {
  private readonly values = new Set<string>();

  add(...values: (string | undefined | null)[]): void {
    for (const value of values) {
      if (typeof value !== 'string' || value.length < MIN_SECRET) continue;
      this.values.add(value);
      // A secret quoted inside a URL or a form body appears percent-encoded.
      const encoded = encodeURIComponent(value);
      if (encoded !== value) this.values.add(encoded);
    }
  }

  /** `text` with every known secret replaced by `***`, longest first. */
  redact(text: string): string {
    let out = text;
    for (const secret of [...this.values].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join('***');
    }
    return out;
  }
}

/**
 * One error class per kind of failure. Every message says how to fix the
 * problem, because the people reading it are operators at a clinic or an
 * agency, not the authors of this code.
 */
export class CloserError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A missing or malformed setting (environment variable, CLI flag). */
export class ConfigError extends CloserError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, 'CONFIG', context);
  }
}

/** The database cannot be reached or is not in the expected shape. */
export class DatabaseError extends CloserError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, 'DATABASE', context);
  }
}

/** Redis cannot be reached or started. */
export class RedisError extends CloserError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, 'REDIS', context);
  }
}

/** A chat platform's API refused or failed a call. `retryAfterMs` is set when the platform said when to try again. */
export class ChannelApiError extends CloserError {
  constructor(
    message: string,
    readonly channel: string,
    readonly permanent: boolean,
    readonly retryAfterMs?: number,
    context: Record<string, unknown> = {},
  ) {
    super(message, 'CHANNEL_API', { channel, ...context });
  }
}

/** The LLM provider failed, timed out or rate-limited us. */
export class ProviderError extends CloserError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, 'PROVIDER', context);
  }
}

/** A tool was called with arguments that do not fit its schema, or that name something that does not exist. */
export class ToolInputError extends CloserError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, 'TOOL_INPUT', context);
  }
}

/** The actor may not do this (role, ownership, consent). Never retried. */
export class PolicyRefusal extends CloserError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, 'POLICY', context);
  }
}

/** Something the caller named (tenant, person, lead) does not exist. */
export class NotFoundError extends CloserError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, 'NOT_FOUND', context);
  }
}

/**
 * A request to connect a platform account was refused: an install link that
 * is forged or expired, a state already used, a workspace that belongs to
 * another tenant, an install kind we do not support. The message is shown
 * to the person installing, so it says what to do next.
 */
export class InstallRefusedError extends CloserError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, 'INSTALL_REFUSED', context);
  }
}

/**
 * A stored secret does not open for the row it is read from: it was sealed
 * for another row or kind (copied there), or under another key.
 */
export class SecretBindingError extends CloserError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, 'SECRET_BINDING', context);
  }
}

/** Short, stack-free text for an error that reached the top of a command. */
export function describeError(err: unknown): string {
  if (err instanceof CloserError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

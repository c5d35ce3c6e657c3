/** The part of a pino logger the Redis components use (a pino `Logger` satisfies it). */
export interface RedisLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

/**
 * Which methods the registered routes answer on a path, so a request with another method on a
 * known path gets 405 with an `Allow` header instead of a 404 that says the path does not exist.
 * Patterns are Fastify's: static segments, `:param` segments; a trailing slash is ignored, as the
 * app is configured. The OPTIONS catch-all of the CORS preflight is left out (it matches
 * everything).
 */
interface RoutePattern {
  segments: string[];
  methods: Set<string>;
}

function segmentsOf(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.split('/');
}

function matches(pattern: string[], path: string[]): boolean {
  if (pattern.length !== path.length) return false;
  return pattern.every((segment, index) => (segment.startsWith(':') ? path[index] !== '' : segment === path[index]));
}

export class RouteMethods {
  private readonly patterns = new Map<string, RoutePattern>();

  /** Records a route as Fastify's onRoute hook reports it. */
  add(method: string | string[], url: string): void {
    if (url.includes('*')) return;
    let pattern = this.patterns.get(url);
    if (!pattern) {
      pattern = { segments: segmentsOf(url), methods: new Set() };
      this.patterns.set(url, pattern);
    }
    for (const one of Array.isArray(method) ? method : [method]) pattern.methods.add(one.toUpperCase());
  }

  /** The methods routes answer on `path` (no query string), sorted; empty for an unknown path. */
  allowedFor(path: string): string[] {
    const segments = segmentsOf(path);
    const allowed = new Set<string>();
    for (const pattern of this.patterns.values()) {
      if (matches(pattern.segments, segments)) for (const method of pattern.methods) allowed.add(method);
    }
    return [...allowed].sort();
  }
}

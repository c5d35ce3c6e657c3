/**
 * Every REST route of a running platform, for the adversarial suite: read from the OpenAPI document
 * (`/api/v1/openapi.json`: methods, path parameters, security, body types) and checked against
 * Fastify's own route table (`printRoutes`), so a route left out of the document is reported instead
 * of silently escaping the fuzzing.
 */

export interface RestOperation {
  /** Upper case: GET, HEAD, POST, DELETE, … */
  readonly method: string;
  /** OpenAPI form, e.g. `/api/v1/chat/{id}/messages`. */
  readonly path: string;
  /** `visitorToken`, `secretKey`, `metricsToken`, or none. */
  readonly security: readonly string[];
  readonly pathParams: readonly string[];
  readonly queryParams: readonly string[];
  /** Content types of the request body, empty without one. */
  readonly bodyTypes: readonly string[];
}

interface OpenApiOperation {
  security?: Array<Record<string, unknown>>;
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: { content?: Record<string, unknown> };
}

export async function restOperations(baseUrl: string): Promise<RestOperation[]> {
  const response = await fetch(`${baseUrl}/api/v1/openapi.json`);
  if (!response.ok) throw new Error(`openapi.json answered ${response.status}`);
  const document = (await response.json()) as { paths: Record<string, Record<string, OpenApiOperation>> };
  const operations: RestOperation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const parameters = operation.parameters ?? [];
      operations.push({
        method: method.toUpperCase(),
        path,
        security: (operation.security ?? []).flatMap((requirement) => Object.keys(requirement)),
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        bodyTypes: Object.keys(operation.requestBody?.content ?? {}),
      });
    }
  }
  return operations;
}

/**
 * Method and path (OpenAPI form) of every route Fastify serves, from `printRoutes`'s tree: each
 * line is a path piece (appended to its parent's) and the methods in parentheses. The OPTIONS
 * catch-all of the CORS preflight (`*`) is left out.
 */
/** The part of a Fastify instance read here (@miptech/testing does not depend on fastify itself). */
export interface RouteTablePrinter {
  printRoutes(options: { commonPrefix: false }): string;
}

export function fastifyRoutes(app: RouteTablePrinter): Array<{ method: string; path: string }> {
  const routes: Array<{ method: string; path: string }> = [];
  const stack: Array<{ depth: number; path: string }> = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│├└─\s]*)(\S.*?)(?: \(([^)]*)\))?$/u.exec(line);
    if (!match || match[2] === undefined) continue;
    const depth = match[1]!.length;
    while (stack.length > 0 && stack[stack.length - 1]!.depth >= depth) stack.pop();
    const path = `${stack[stack.length - 1]?.path ?? ''}${match[2]}`;
    stack.push({ depth, path });
    if (!match[3] || path.includes('*')) continue;
    const openApiPath = path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const method of match[3].split(',')) routes.push({ method: method.trim(), path: openApiPath });
  }
  return routes;
}

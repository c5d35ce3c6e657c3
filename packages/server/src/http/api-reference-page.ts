/**
 * The API reference page (`/docs/api`): the OpenAPI document rendered on the server as one HTML
 * page — operations grouped by tag, each with its method, path, summary, parameters, request body
 * and responses, schemas shown as nested field lists, shared schemas at the end. No script, no
 * external resource (the page works offline and under a strict CSP); light and dark colours follow
 * the reader's `prefers-color-scheme`. Every text from the document is HTML-escaped.
 */

type Schema = {
  $ref?: string;
  type?: string | string[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
};

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}

interface MediaContent {
  [mediaType: string]: { schema?: Schema };
}

interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; description?: string; content?: MediaContent };
  responses?: Record<string, { description?: string; content?: MediaContent }>;
  security?: Array<Record<string, unknown>>;
}

export interface OpenApiDocument {
  openapi?: string;
  info: { title: string; version: string; description?: string };
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options'];

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const anchor = (value: string) => value.replace(/[^A-Za-z0-9_-]+/g, '-');

function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

function typeLabel(schema: Schema): string {
  if (schema.$ref) {
    const name = refName(schema.$ref);
    return `<a href="#schema-${escapeHtml(anchor(name))}">${escapeHtml(name)}</a>`;
  }
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return variants.map(typeLabel).join(' | ');
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : ['any'];
  return types
    .map((type) => (type === 'array' && schema.items ? `array of ${typeLabel(schema.items)}` : escapeHtml(type)))
    .join(' | ');
}

function constraints(schema: Schema): string {
  const parts: string[] = [];
  if (schema.enum) parts.push(`one of ${schema.enum.map((value) => `<code>${escapeHtml(JSON.stringify(value))}</code>`).join(', ')}`);
  if (schema.const !== undefined) parts.push(`always <code>${escapeHtml(JSON.stringify(schema.const))}</code>`);
  if (schema.minLength !== undefined) parts.push(`at least ${schema.minLength} characters`);
  if (schema.maxLength !== undefined) parts.push(`at most ${schema.maxLength} characters`);
  if (schema.minimum !== undefined) parts.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) parts.push(`≤ ${schema.maximum}`);
  if (schema.pattern !== undefined) parts.push(`pattern <code>${escapeHtml(schema.pattern)}</code>`);
  if (schema.default !== undefined) parts.push(`default <code>${escapeHtml(JSON.stringify(schema.default))}</code>`);
  return parts.length > 0 ? `<span class="constraints">${parts.join('; ')}</span>` : '';
}

/** A schema as a nested list of its fields (objects, arrays of objects), else its type line. */
function renderSchema(schema: Schema | undefined, depth = 0): string {
  if (!schema) return '';
  const description = schema.description ? `<p class="description">${escapeHtml(schema.description)}</p>` : '';
  const target = schema.type === 'array' && schema.items?.properties ? schema.items : schema;
  if (!target.properties || depth > 6) {
    return `<p class="type">${typeLabel(schema)} ${constraints(schema)}</p>${description}`;
  }
  const required = new Set(target.required ?? []);
  const rows = Object.entries(target.properties)
    .map(([name, field]) => {
      const nested = field.properties || (field.items && field.items.properties) ? renderSchema(field, depth + 1) : '';
      return `<li><code class="field">${escapeHtml(name)}</code>${required.has(name) ? ' <span class="required">required</span>' : ''} <span class="type">${typeLabel(field)}</span> ${constraints(field)}${field.description ? ` — ${escapeHtml(field.description)}` : ''}${nested}</li>`;
    })
    .join('');
  const head = target === schema ? typeLabel(schema) : `array of ${typeLabel({ type: 'object' })}`;
  return `${description}<p class="type">${head}</p><ul class="fields">${rows}</ul>`;
}

function renderContent(content: MediaContent | undefined): string {
  if (!content) return '';
  return Object.entries(content)
    .map(([mediaType, { schema }]) => `<div class="media"><span class="media-type">${escapeHtml(mediaType)}</span>${renderSchema(schema)}</div>`)
    .join('');
}

function renderOperation(method: string, path: string, operation: Operation): string {
  const id = anchor(`${method}-${path}`);
  const parameters = operation.parameters ?? [];
  const parameterRows = parameters
    .map(
      (parameter) =>
        `<tr><td><code>${escapeHtml(parameter.name)}</code>${parameter.required ? ' <span class="required">required</span>' : ''}</td><td>${escapeHtml(parameter.in)}</td><td>${parameter.schema ? `${typeLabel(parameter.schema)} ${constraints(parameter.schema)}` : ''}${parameter.description ? ` — ${escapeHtml(parameter.description)}` : ''}</td></tr>`,
    )
    .join('');
  const responses = Object.entries(operation.responses ?? {})
    .map(([status, response]) => `<li><span class="status">${escapeHtml(status)}</span> ${escapeHtml(response.description ?? '')}${renderContent(response.content)}</li>`)
    .join('');
  // Each entry is one way to authenticate; an empty one means "none needed" (e.g. anonymous visitors).
  const security = (operation.security ?? []).map((entry) => (Object.keys(entry).length === 0 ? 'none (where the tenant allows it)' : Object.keys(entry).join(' + ')));
  return `<section class="operation" id="${escapeHtml(id)}">
<h3><span class="method method-${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code class="path">${escapeHtml(path)}</code></h3>
${operation.summary ? `<p class="summary">${escapeHtml(operation.summary)}</p>` : ''}
${operation.description ? `<p class="description">${escapeHtml(operation.description)}</p>` : ''}
${security.length > 0 ? `<p class="security">Authorization: ${security.map(escapeHtml).join(' or ')}</p>` : ''}
${parameters.length > 0 ? `<h4>Parameters</h4><table><thead><tr><th>Name</th><th>In</th><th>Schema</th></tr></thead><tbody>${parameterRows}</tbody></table>` : ''}
${operation.requestBody ? `<h4>Request body${operation.requestBody.required ? ' <span class="required">required</span>' : ''}</h4>${renderContent(operation.requestBody.content)}` : ''}
${responses ? `<h4>Responses</h4><ul class="responses">${responses}</ul>` : ''}
</section>`;
}

/** The page; `documentPath` is where the machine-readable document is served. */
export function renderApiReferencePage(document: OpenApiDocument, documentPath: string): string {
  const byTag = new Map<string, Array<{ method: string; path: string; operation: Operation }>>();
  for (const tag of document.tags ?? []) byTag.set(tag.name, []);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = operation.tags?.[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push({ method, path, operation });
    }
  }
  const tagDescriptions = new Map((document.tags ?? []).map((tag) => [tag.name, tag.description ?? '']));
  const groups = [...byTag.entries()].filter(([, operations]) => operations.length > 0);
  const toc = groups
    .map(
      ([tag, operations]) =>
        `<li><a href="#tag-${escapeHtml(anchor(tag))}">${escapeHtml(tag)}</a><ul>${operations
          .map(({ method, path }) => `<li><a href="#${escapeHtml(anchor(`${method}-${path}`))}"><span class="method method-${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> ${escapeHtml(path)}</a></li>`)
          .join('')}</ul></li>`,
    )
    .join('');
  const body = groups
    .map(
      ([tag, operations]) =>
        `<h2 id="tag-${escapeHtml(anchor(tag))}">${escapeHtml(tag)}</h2>${tagDescriptions.get(tag) ? `<p>${escapeHtml(tagDescriptions.get(tag))}</p>` : ''}${operations.map(({ method, path, operation }) => renderOperation(method, path, operation)).join('\n')}`,
    )
    .join('\n');
  const schemas = Object.entries(document.components?.schemas ?? {})
    .map(([name, schema]) => `<section class="schema" id="schema-${escapeHtml(anchor(name))}"><h3>${escapeHtml(name)}</h3>${renderSchema(schema)}</section>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(document.info.title)} ${escapeHtml(document.info.version)}</title>
<style>
:root { --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --code: #f6f8fa; --accent: #0969da; --get: #1a7f37; --post: #0969da; --delete: #cf222e; --head: #8250df; --other: #9a6700; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d; --code: #151b23; --accent: #4493f8; --get: #3fb950; --post: #4493f8; --delete: #f85149; --head: #ab7df8; --other: #d29922; }
}
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
.layout { display: grid; grid-template-columns: minmax(14rem, 18rem) 1fr; }
nav { position: sticky; top: 0; height: 100vh; overflow: auto; border-right: 1px solid var(--border); padding: 1rem; box-sizing: border-box; font-size: 13px; }
nav ul { list-style: none; padding-left: 0.75rem; margin: 0.25rem 0; }
main { padding: 1rem 2rem 4rem; max-width: 60rem; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.92em; background: var(--code); padding: 0 0.25em; border-radius: 4px; }
h2 { border-bottom: 1px solid var(--border); padding-bottom: 0.25rem; margin-top: 2.5rem; text-transform: capitalize; }
.operation, .schema { border: 1px solid var(--border); border-radius: 8px; padding: 0.25rem 1rem 0.75rem; margin: 1rem 0; }
.method { display: inline-block; min-width: 3.5em; font-weight: 700; font-size: 0.85em; color: var(--other); }
.method-get { color: var(--get); } .method-post { color: var(--post); } .method-delete { color: var(--delete); } .method-head { color: var(--head); }
.required { color: var(--delete); font-size: 0.8em; }
.constraints, .description, .security, .media-type { color: var(--muted); }
.media-type { font-size: 0.85em; }
.status { font-weight: 700; font-family: ui-monospace, monospace; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; border-bottom: 1px solid var(--border); padding: 0.25rem 0.5rem; vertical-align: top; }
ul.fields, ul.responses { padding-left: 1.25rem; }
@media (max-width: 50rem) { .layout { display: block; } nav { position: static; height: auto; border-right: 0; border-bottom: 1px solid var(--border); } }
</style>
</head>
<body>
<div class="layout">
<nav><strong>${escapeHtml(document.info.title)}</strong><ul>${toc}<li><a href="#schemas">schemas</a></li></ul></nav>
<main>
<h1>${escapeHtml(document.info.title)} <small>${escapeHtml(document.info.version)}</small></h1>
${document.info.description ? `<p>${escapeHtml(document.info.description)}</p>` : ''}
<p>Machine-readable: <a href="${escapeHtml(documentPath)}">${escapeHtml(documentPath)}</a> (OpenAPI ${escapeHtml(document.openapi ?? '3.1')}).</p>
${body}
<h2 id="schemas">Schemas</h2>
${schemas}
</main>
</div>
</body>
</html>
`;
}

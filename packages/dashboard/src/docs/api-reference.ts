import type { DocPage } from './catalog.ts';
import { anchorMaker, escapeHtml as esc, type Section } from './markdown.ts';

// The slice of an OpenAPI 3.1 document this page reads; anything else in it is ignored.
type Schema = Record<string, unknown> & { $ref?: string; description?: string };
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Array<Record<string, unknown>>;
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string; schema?: Schema }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}
export interface OpenApiDocument {
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
  components?: {
    schemas?: Record<string, Schema>;
    securitySchemes?: Record<string, { description?: string }>;
  };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const MAX_DEPTH = 5;

/** `#/components/schemas/UseBody` → `UseBody`. */
const refName = (ref: string) => ref.split('/').at(-1) ?? ref;

/** A short type label: `string`, `number | null`, `array of Approval`, `"approved"`… */
function typeLabel(schema: Schema): string {
  if (schema.$ref) return refName(schema.$ref);
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.type === 'array' && schema.items) return `array of ${typeLabel(schema.items as Schema)}`;
  if (Array.isArray(schema.type)) return schema.type.join(' | ');
  if (typeof schema.type === 'string') return schema.type;
  if (schema.anyOf || schema.oneOf) return 'one of';
  return 'any';
}

/** A schema as nested lists of its properties; references link to the Schemas section. */
function schemaHtml(schema: Schema | undefined, depth = 0): string {
  if (!schema || depth > MAX_DEPTH) return '';
  if (schema.$ref) {
    const name = refName(schema.$ref);
    return `<p class="small">See <a href="#schema-${esc(name.toLowerCase())}"><code>${esc(name)}</code></a>.</p>`;
  }
  const variants = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (variants) {
    const items = variants.map(
      (v) => `<li><code>${esc(typeLabel(v))}</code>${schemaHtml(v, depth + 1)}</li>`,
    );
    return `<p class="small muted">One of:</p><ul class="api-schema">${items.join('')}</ul>`;
  }
  if (schema.type === 'array' && schema.items && !(schema.items as Schema).$ref) {
    return schemaHtml(schema.items as Schema, depth + 1);
  }
  const properties = schema.properties as Record<string, Schema> | undefined;
  if (!properties) return '';
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows = Object.entries(properties).map(([name, property]) => {
    const flags = required.has(name) ? ' <span class="badge">required</span>' : '';
    const description = property.description ? ` — ${esc(property.description)}` : '';
    const pattern =
      typeof property.pattern === 'string'
        ? ` <span class="muted small">pattern <code>${esc(property.pattern)}</code></span>`
        : '';
    return `<li><code>${esc(name)}</code>: <span class="api-type">${esc(typeLabel(property))}</span>${flags}${pattern}${description}${schemaHtml(property, depth + 1)}</li>`;
  });
  return `<ul class="api-schema">${rows.join('')}</ul>`;
}

const jsonSchema = (content?: Record<string, { schema?: Schema }>) => content?.['application/json']?.schema;

function operationHtml(method: string, path: string, op: Operation, anchor: string, doc: OpenApiDocument) {
  const auth = (op.security ?? []).flatMap((entry) => Object.keys(entry));
  const authText = auth.length
    ? auth
        .map(
          (name) =>
            `<code>${esc(name)}</code> (${esc(doc.components?.securitySchemes?.[name]?.description ?? 'bearer')})`,
        )
        .join(' or ')
    : 'none';
  const params = (op.parameters ?? []).map(
    (p) =>
      `<li><code>${esc(p.name)}</code> <span class="muted small">in ${esc(p.in)}</span>: <span class="api-type">${esc(typeLabel(p.schema ?? {}))}</span>${p.required ? ' <span class="badge">required</span>' : ''}${p.description ? ` — ${esc(p.description)}` : ''}</li>`,
  );
  const body = op.requestBody ? schemaHtml(jsonSchema(op.requestBody.content)) : '';
  const responses = Object.entries(op.responses ?? {}).map(([status, response]) => {
    const ok = status.startsWith('2');
    const data = ok ? schemaHtml(jsonSchema(response.content)) : '';
    return `<li><span class="badge ${ok ? 'badge-approved' : 'badge-denied'}">${esc(status)}</span> ${esc(response.description ?? '')}${data}</li>`;
  });
  return `<section class="card api-op">
<h3 id="${anchor}"><span class="api-method api-${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code> <a class="doc-anchor" href="#${anchor}" aria-label="Link to this operation">#</a></h3>
<p>${esc(op.summary ?? '')}</p>${op.description ? `<p class="muted">${esc(op.description)}</p>` : ''}
<p><strong>Auth:</strong> ${authText}</p>
${params.length ? `<h4>Parameters</h4><ul class="api-schema">${params.join('')}</ul>` : ''}
${op.requestBody ? `<h4>Request body${op.requestBody.required ? '' : ' (optional)'}</h4>${body}` : ''}
<h4>Responses</h4><ul class="api-responses">${responses.join('')}</ul>
</section>`;
}

/** Operations without tags are grouped by their first path segment after the version. */
const groupOf = (path: string, op: Operation) =>
  op.tags?.[0] ?? path.split('/').filter((part) => part && !/^(api|v\d+)$/.test(part))[0] ?? 'other';

/**
 * The API reference as a docs page, rendered from the server's own OpenAPI document, so it can
 * only say what the routes' schemas say. Every string from the document is escaped.
 */
export function renderApiReference(doc: OpenApiDocument): DocPage {
  const nextAnchor = anchorMaker();
  const sections: Section[] = [];
  const groups = new Map<string, Array<[string, string, Operation]>>();
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = operations[method];
      if (!op) continue;
      const group = groupOf(path, op);
      groups.set(group, [...(groups.get(group) ?? []), [method, path, op]]);
    }
  }
  const body = [...groups].map(([group, ops]) => {
    const groupAnchor = nextAnchor(group);
    const label = `${group[0]?.toUpperCase() ?? ''}${group.slice(1)}`;
    sections.push({ anchor: groupAnchor, heading: label, depth: 2, text: '' });
    const cards = ops.map(([method, path, op]) => {
      const anchor = nextAnchor(`${method} ${path}`);
      const errors = Object.entries(op.responses ?? {})
        .filter(([status]) => !status.startsWith('2'))
        .map(([status, r]) => `${status} ${r.description ?? ''}`);
      const words = [op.summary, op.description, ...(op.parameters ?? []).map((p) => p.name), ...errors];
      sections.push({
        anchor,
        heading: `${method.toUpperCase()} ${path}`,
        depth: 3,
        text: words.filter(Boolean).join(' '),
      });
      return operationHtml(method, path, op, anchor, doc);
    });
    return `<h2 id="${groupAnchor}">${esc(label)}</h2>${cards.join('\n')}`;
  });
  sections.push({ anchor: 'schemas', heading: 'Schemas', depth: 2, text: '' });
  const schemas = Object.entries(doc.components?.schemas ?? {}).map(([name, schema]) => {
    const anchor = `schema-${name.toLowerCase()}`;
    sections.push({
      anchor,
      heading: `Schema ${name}`,
      depth: 3,
      text: Object.keys((schema.properties as object) ?? {}).join(' '),
    });
    return `<section class="card api-op"><h3 id="${anchor}"><code>${esc(name)}</code></h3>${schema.description ? `<p>${esc(schema.description)}</p>` : ''}${schemaHtml(schema)}</section>`;
  });
  const title = 'API reference';
  const intro = `<h1 id="api-reference">${title}</h1>
<p>${esc(doc.info?.description ?? '')} Generated from the server's OpenAPI document (<a href="/api/v1/openapi.json">JSON</a>, version ${esc(doc.info?.version ?? '')}); try the calls in the <a href="/api/docs">interactive Swagger UI</a>. The guide is <a href="/docs/http-api">HTTP API</a>.</p>`;
  sections.unshift({ anchor: 'api-reference', heading: title, depth: 1, text: doc.info?.description ?? '' });
  const html = `${intro}${body.join('\n')}<h2 id="schemas">Schemas</h2>${schemas.join('\n')}`;
  return { slug: 'api', file: null, title, html, sections };
}

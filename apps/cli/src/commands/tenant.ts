import type { TenantRecord, TenantSettings } from '@miptech/server';
import { UsageError, type CliCommand, type CliContext } from '../cli-command.ts';
import { integerOption, parseOptions } from '../parse-options.ts';
import { withStore } from '../with-store.ts';

const SETTING_OPTIONS = {
  origin: { type: 'string', multiple: true },
  'add-origin': { type: 'string', multiple: true },
  'remove-origin': { type: 'string', multiple: true },
  'anonymous-widget': { type: 'string' },
  'assistant-name': { type: 'string' },
  greeting: { type: 'string' },
  'primary-color': { type: 'string' },
  position: { type: 'string' },
  language: { type: 'string' },
  'messages-per-minute': { type: 'string' },
  'requests-per-minute': { type: 'string' },
  'chats-per-hour': { type: 'string' },
  'llm-model': { type: 'string' },
  'system-prompt': { type: 'string' },
  temperature: { type: 'string' },
  'max-tokens': { type: 'string' },
} as const;

const USAGE = `Usage:
  miptech tenant create <id> [--name NAME] [settings]   prints the tenant with its keys (the secret key only now)
  miptech tenant list
  miptech tenant show <id>
  miptech tenant update <id> [settings]

Settings:
  --origin URL            allowed browser origin (repeat; replaces the list)
  --add-origin URL        add an allowed origin (repeat)      --remove-origin URL   remove one (repeat)
  --anonymous-widget true|false   allow token-less widget joins from an allowed Origin
  --assistant-name TEXT   --greeting TEXT   --primary-color #RRGGBB   --position bottom-right|bottom-left
  --language CODE
  --messages-per-minute N   --requests-per-minute N   --chats-per-hour N   (0 = no limit)
  --llm-model NAME   --system-prompt TEXT   --temperature 0..2   --max-tokens N`;

type SettingValues = { [K in keyof typeof SETTING_OPTIONS]?: (typeof SETTING_OPTIONS)[K] extends { multiple: true } ? string[] : string };

function parseOrigin(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
    return url.origin;
  } catch {
    if (value === '*') return value;
    throw new UsageError(`not an http(s) origin: ${value}`);
  }
}

function parseBoolean(value: string, name: string): boolean {
  if (['true', 'yes', '1', 'on'].includes(value)) return true;
  if (['false', 'no', '0', 'off'].includes(value)) return false;
  throw new UsageError(`--${name} must be true or false`);
}

/** The settings patch the options describe (only what was given). */
function settingsPatch(values: SettingValues, current: TenantSettings | null): Partial<TenantSettings> {
  const patch: Partial<TenantSettings> = {};
  let origins = values.origin ? values.origin.map(parseOrigin) : current ? [...current.allowedOrigins] : null;
  if (values['add-origin']) origins = [...new Set([...(origins ?? []), ...values['add-origin'].map(parseOrigin)])];
  if (values['remove-origin']) {
    const removed = new Set(values['remove-origin'].map(parseOrigin));
    origins = (origins ?? []).filter((origin) => !removed.has(origin));
  }
  if (values.origin || values['add-origin'] || values['remove-origin']) patch.allowedOrigins = origins ?? [];
  if (values['anonymous-widget'] !== undefined) patch.anonymousWidget = parseBoolean(values['anonymous-widget'], 'anonymous-widget');
  if (values['assistant-name'] !== undefined) patch.assistantName = values['assistant-name'];
  if (values.greeting !== undefined) patch.greeting = values.greeting;
  if (values['primary-color'] !== undefined) {
    if (!/^#[0-9a-f]{3,8}$/i.test(values['primary-color'])) throw new UsageError('--primary-color must look like #2563eb');
    patch.primaryColor = values['primary-color'];
  }
  if (values.position !== undefined) {
    if (values.position !== 'bottom-right' && values.position !== 'bottom-left') throw new UsageError('--position must be bottom-right or bottom-left');
    patch.position = values.position;
  }
  if (values.language !== undefined) patch.language = values.language;
  const limits: Partial<TenantSettings['rateLimits']> = {};
  if (values['messages-per-minute'] !== undefined) limits.messagesPerMinute = integerOption(values['messages-per-minute'], 'messages-per-minute', 0, 0);
  if (values['requests-per-minute'] !== undefined) limits.requestsPerMinute = integerOption(values['requests-per-minute'], 'requests-per-minute', 0, 0);
  if (values['chats-per-hour'] !== undefined) limits.chatsPerHour = integerOption(values['chats-per-hour'], 'chats-per-hour', 0, 0);
  if (Object.keys(limits).length > 0) patch.rateLimits = limits as TenantSettings['rateLimits'];
  const llm: TenantSettings['llm'] = {};
  if (values['llm-model'] !== undefined) llm.model = values['llm-model'];
  if (values['system-prompt'] !== undefined) llm.systemPrompt = values['system-prompt'];
  if (values.temperature !== undefined) {
    const temperature = Number(values.temperature);
    if (!Number.isFinite(temperature) || temperature < 0 || temperature > 2) throw new UsageError('--temperature must be from 0 to 2');
    llm.temperature = temperature;
  }
  if (values['max-tokens'] !== undefined) llm.maxTokens = integerOption(values['max-tokens'], 'max-tokens', 0);
  if (Object.keys(llm).length > 0) patch.llm = llm;
  return patch;
}

/** A tenant as printed: everything but the secret key hash. */
function describe(tenant: TenantRecord): Record<string, unknown> {
  return { id: tenant.id, name: tenant.name, publishable_key: tenant.publishableKey, created_at: tenant.createdAt, settings: tenant.settings };
}

function print(context: CliContext, value: unknown): void {
  context.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

function requireId(positionals: string[], action: string): string {
  const id = positionals[1];
  if (!id) throw new UsageError(`tenant ${action} needs a tenant id`);
  if (positionals.length > 2) throw new UsageError(`unexpected arguments: ${positionals.slice(2).join(' ')}`);
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(id)) throw new UsageError('a tenant id is 1-64 letters, digits, "-" or "_"');
  return id;
}

const tenant: CliCommand = {
  usage: USAGE,
  async run(args, context) {
    const { values, positionals } = parseOptions(args, { ...SETTING_OPTIONS, name: { type: 'string' } }, true);
    const action = positionals[0];
    return withStore(context, async ({ store }) => {
      switch (action) {
        case 'create': {
          const id = requireId(positionals, 'create');
          const created = await store.tenants.create({ id, name: values.name ?? id, settings: settingsPatch(values, null) });
          print(context, { ...describe(created.tenant), secret_key: created.secretKey });
          context.stderr('Keep the secret key (sk_…) now: it is not stored and cannot be shown again.\n');
          return 0;
        }
        case 'list': {
          if (positionals.length > 1) throw new UsageError('tenant list takes no arguments');
          const tenants = await store.tenants.list();
          const rows = tenants.map((t) => [t.id, t.name, t.settings.anonymousWidget ? 'yes' : 'no', t.settings.allowedOrigins.join(' ')]);
          const header = ['ID', 'NAME', 'ANONYMOUS', 'ALLOWED ORIGINS'];
          const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
          for (const row of [header, ...rows]) context.stdout(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`);
          return 0;
        }
        case 'show': {
          const id = requireId(positionals, 'show');
          const found = await store.tenants.get(id);
          if (!found) throw new Error(`tenant "${id}" does not exist`);
          print(context, describe(found));
          return 0;
        }
        case 'update': {
          const id = requireId(positionals, 'update');
          const found = await store.tenants.get(id);
          if (!found) throw new Error(`tenant "${id}" does not exist`);
          const patch = settingsPatch(values, found.settings);
          if (Object.keys(patch).length === 0) throw new UsageError('tenant update: no setting given');
          print(context, describe(await store.tenants.updateSettings(id, patch)));
          context.stderr('Running servers see the change within a few seconds.\n');
          return 0;
        }
        default:
          throw new UsageError(action ? `unknown tenant action "${action}"` : 'tenant needs an action');
      }
    });
  },
};

export default tenant;

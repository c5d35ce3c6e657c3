import { SCOPES, createTokenService, parseScopeClaim, requireJwtSecret } from '@miptech/server';
import { UsageError, type CliCommand } from '../cli-command.ts';
import { integerOption, parseOptions } from '../parse-options.ts';
import { withStore } from '../with-store.ts';

const KNOWN_SCOPES: ReadonlySet<string> = new Set(Object.values(SCOPES));

const token: CliCommand = {
  usage: `Usage: miptech token [--tenant T] [--scope chat:create,chat:send] [--sub ID] [--ttl SECONDS]

Prints an HS256 JWT signed with JWT_SECRET, or on the embedded default with the secret that
'miptech serve' created in the data directory (MIPTECH_DATA_DIR); without either it fails and says so.
  --tenant  tenant id (default DEFAULT_TENANT_ID); it must exist
  --scope   scopes, comma- or space-separated (default chat:create,chat:send)
  --sub     the visitor or user id the token speaks for (chats are bound to it)
  --ttl     lifetime in seconds (default 3600)`,
  async run(args, context) {
    const { values } = parseOptions(args, {
      tenant: { type: 'string' },
      scope: { type: 'string' },
      sub: { type: 'string' },
      ttl: { type: 'string' },
    });
    const scopes = parseScopeClaim(values.scope ?? `${SCOPES.chatCreate},${SCOPES.chatSend}`);
    if (scopes.length === 0) throw new UsageError('--scope names no scope');
    const unknown = scopes.filter((scope) => !KNOWN_SCOPES.has(scope));
    if (unknown.length > 0) throw new UsageError(`unknown scope(s): ${unknown.join(', ')} (known: ${[...KNOWN_SCOPES].join(', ')})`);
    const ttlSeconds = integerOption(values.ttl, 'ttl', 3600);
    const issued = await withStore(context, async ({ store }, config) => {
      const tenantId = values.tenant ?? config.defaultTenantId;
      if (!(await store.tenants.get(tenantId))) throw new Error(`tenant "${tenantId}" does not exist (see \`miptech tenant list\`)`);
      const tokens = await createTokenService(requireJwtSecret(config));
      return tokens.sign({ tenantId, scopes, subject: values.sub ?? null, ttlSeconds });
    });
    context.stdout(`${issued.token}\n`);
    context.stderr(`Expires at ${new Date(issued.expiresAt * 1000).toISOString()}.\n`);
    return 0;
  },
};

export default token;

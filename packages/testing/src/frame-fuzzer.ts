/**
 * Generates hostile client frames from a seeded generator (seeded-random.ts) for the adversarial
 * WebSocket suite: valid frames of every client frame type with mutated fields (wrong types, huge
 * strings, odd unicode, negative and non-finite numbers, missing and extra fields, deep nesting,
 * ids at the top level instead of in `data`), truncated or garbage JSON, oversized and binary frames.
 *
 * The frame types come from the caller (the suite passes @miptech/protocol's CLIENT_FRAME_TYPES), so
 * a new type is fuzzed as soon as it is in the protocol: fields known here get plausible values
 * first, every type also gets random fields.
 */
import type { SeededRandom } from './seeded-random.ts';

export interface FuzzedFrame {
  /** What was sent: text (a string) or a binary frame (a Buffer). */
  readonly payload: string | Buffer;
  readonly binary: boolean;
  /** The frame type it started from and the mutation, for failure messages. */
  readonly label: string;
}

/** Plausible values for the fields of the frame types the platform knows (guide §4). */
const KNOWN_FIELDS: Record<string, Record<string, (ctx: FuzzContext) => unknown>> = {
  join_chat: {
    chat_id: (ctx) => ctx.chatId,
    tenant_id: (ctx) => ctx.tenantId,
    token: (ctx) => ctx.token,
    create: () => true,
    session_id: (ctx) => `s-${ctx.random.string(12)}`,
    last_seq: (ctx) => ctx.random.int(0, 50),
    channel: () => 'websocket',
  },
  user_message: {
    chat_id: (ctx) => ctx.chatId,
    text: (ctx) => `question ${ctx.random.string(8)}`,
    client_message_id: (ctx) => `c-${ctx.random.string(16)}`,
    stream: () => true,
  },
  stop_generation: {
    chat_id: (ctx) => ctx.chatId,
    message_id: (ctx) => `m-${ctx.random.string(16)}`,
  },
  ping: { ts: () => Date.now() },
  pong: { ts: () => Date.now() },
};
KNOWN_FIELDS.chat_message = { ...KNOWN_FIELDS.user_message!, message: KNOWN_FIELDS.user_message!.text!, content: KNOWN_FIELDS.user_message!.text! };

export interface FuzzContext {
  readonly random: SeededRandom;
  /** The chat the fuzzing connection joined (valid ids make the mutations reach deeper code). */
  readonly chatId: string;
  readonly tenantId: string;
  readonly token: string;
}

const UNICODE_SAMPLES = [
  '\u0000', '\u202e', '\ud800', '\udfff', '\ufeff', '\u200b', 'e\u0301', '🔥'.repeat(3), 'ﷺ', '𝕏', '\u2028\u2029', '<script>alert(1)</script>',
  '${jndi:ldap://127.0.0.1/a}', "' OR 1=1 --", '../../etc/passwd', '%00', '\r\n\r\nX-Injected: 1', '__proto__', 'constructor',
];

function deepNesting(random: SeededRandom): unknown {
  const depth = random.int(50, 3000);
  let value: unknown = random.chance(0.5) ? 'bottom' : {};
  for (let i = 0; i < depth; i += 1) value = random.chance(0.5) ? [value] : { a: value };
  return value;
}

/** A hostile value for a field: wrong type, huge, odd unicode, extreme number, nested. */
export function hostileValue(random: SeededRandom): unknown {
  switch (random.int(0, 13)) {
    case 0: return null;
    case 1: return random.chance(0.5);
    case 2: return random.pick([-1, -0, 0, -(2 ** 53), 2 ** 53 + 1, 1e308, -1e308, 5e-324, 0.5, Number.MAX_SAFE_INTEGER]);
    case 3: return random.string(random.int(1_000, 40_000));
    case 4: return random.pick(UNICODE_SAMPLES).repeat(random.int(1, 200));
    case 5: return [];
    case 6: return Array.from({ length: random.int(1, 2_000) }, (_, i) => i);
    case 7: return { nested: random.string(10) };
    case 8: return deepNesting(random);
    case 9: return '';
    case 10: return ' '.repeat(random.int(1, 500));
    case 11: return String(random.int(-1e9, 1e9));
    case 12: return JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
    default: return random.string(random.int(1, 300), '\u0000\u0001\u001f"\\/\b\f\n\r\t abc');
  }
}

function frameObject(type: string, ctx: FuzzContext): Record<string, unknown> {
  const fields = KNOWN_FIELDS[type] ?? {};
  const data: Record<string, unknown> = {};
  for (const [name, make] of Object.entries(fields)) if (ctx.random.chance(0.8)) data[name] = make(ctx);
  return { type, data };
}

/** Mutates fields of a valid frame; returns the label of what was done. */
function mutateFields(frame: Record<string, unknown>, ctx: FuzzContext): string {
  const { random } = ctx;
  const data = frame.data as Record<string, unknown>;
  const names = Object.keys(KNOWN_FIELDS[frame.type as string] ?? {});
  const mutations: string[] = [];
  const count = random.int(1, 3);
  for (let i = 0; i < count; i += 1) {
    switch (random.int(0, 6)) {
      case 0:
      case 1:
      case 2: {
        const name = names.length > 0 && random.chance(0.85) ? random.pick(names) : random.string(random.int(1, 20));
        data[name] = hostileValue(random);
        mutations.push(`data.${name.slice(0, 20)}=hostile`);
        break;
      }
      case 3: {
        // Ids at the top level, as older clients send them.
        const name = names.length > 0 ? random.pick(names) : 'x';
        frame[name] = hostileValue(random);
        mutations.push(`top.${name}=hostile`);
        break;
      }
      case 4: {
        const name = names.length > 0 ? random.pick(names) : 'x';
        delete data[name];
        mutations.push(`missing ${name}`);
        break;
      }
      case 5:
        frame.data = hostileValue(random);
        mutations.push('data=hostile');
        break;
      default:
        for (let extra = random.int(1, 50); extra > 0; extra -= 1) data[random.string(random.int(1, 30))] = random.string(random.int(0, 50));
        mutations.push('extra fields');
    }
  }
  return mutations.join(',');
}

/** The type field itself mutated: unknown names, other cases, not a string. */
function mutatedType(type: string, random: SeededRandom): unknown {
  return random.pick<unknown>([type.toUpperCase(), `${type} `, `${type}\u0000`, type.slice(0, -1), random.string(random.int(1, 5_000)), 42, null, [type], { type }, '', 'error', 'chat_joined', 'response_chunk']);
}

/**
 * One fuzzed frame of `type`. `maxFrameBytes` is the server's text frame limit: a few frames go past
 * it (but stay far below what ws refuses outright) to check `message_too_large`.
 */
export function fuzzFrame(type: string, ctx: FuzzContext, maxFrameBytes: number): FuzzedFrame {
  const { random } = ctx;
  const frame = frameObject(type, ctx);
  const roll = random.int(0, 99);
  if (roll < 60) {
    const label = mutateFields(frame, ctx);
    return { payload: JSON.stringify(frame), binary: false, label: `${type} ${label}` };
  }
  if (roll < 68) {
    frame.type = mutatedType(type, random);
    return { payload: JSON.stringify(frame), binary: false, label: `${type} type mutated` };
  }
  if (roll < 78) {
    const text = JSON.stringify(frame);
    return { payload: text.slice(0, random.int(0, Math.max(0, text.length - 1))), binary: false, label: `${type} truncated` };
  }
  if (roll < 84) {
    // Not JSON at all, or JSON's forbidden numbers, or a JSON value that is not an object.
    const garbage = random.pick([
      random.string(random.int(1, 400), '{}[]":,\\ntrueflasenul0123456789.eE+-'),
      `{"type":"${type}","data":{"ts":NaN}}`,
      `{"type":"${type}","data":{"last_seq":Infinity}}`,
      `{"type":"${type}","data":{"chat_id":1e999}}`,
      `[${JSON.stringify(frame)}]`,
      JSON.stringify(type),
      'null',
      '',
      `{"type":"${type}","type":"${type}","data":{}}`,
      `{"type":"${type}","data":{"a":${'['.repeat(random.int(100, 5_000))}`,
    ]);
    return { payload: garbage, binary: false, label: `${type} garbage JSON` };
  }
  if (roll < 88) {
    (frame.data as Record<string, unknown>).padding = 'x'.repeat(maxFrameBytes + random.int(1, 64 * 1024));
    return { payload: JSON.stringify(frame), binary: false, label: `${type} oversized` };
  }
  if (roll < 94) {
    const bytes = Buffer.alloc(random.int(0, 2_000));
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = random.int(0, 255);
    if (random.chance(0.3)) bytes.write(JSON.stringify(frame).slice(0, bytes.length));
    return { payload: bytes, binary: true, label: `${type} binary` };
  }
  // The untouched frame: valid ones must not be refused as malformed.
  return { payload: JSON.stringify(frame), binary: false, label: `${type} valid` };
}

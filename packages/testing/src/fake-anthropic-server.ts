/**
 * A local stand-in for Anthropic's Messages API that streams the real wire format byte for byte:
 * `event: NAME\ndata: {json}\n\n` for message_start (with input usage), content_block_start, ping,
 * content_block_delta (text_delta), content_block_stop, message_delta (stop reason and output
 * usage) and message_stop; `event: error` for a failure mid-stream. Reusable by the engine tests,
 * the benchmark and the end-to-end tests. Errors come as `{"type":"error","error":{...}}`.
 */
import {
  startFakeProvider,
  type FakeProviderServer,
  type FakeStreamScript,
  type FakeWireFormat,
} from './fake-llm-server.ts';

export type { FakeProviderServer, FakeStreamScript } from './fake-llm-server.ts';

/**
 * Starts the fake; its `baseUrl` is the bare origin (the engine appends `/v1/messages`).
 * `usage: null` in a script drops the usage objects, like a proxy that strips them.
 */
export function startFakeAnthropicServer(): Promise<FakeProviderServer> {
  return startFakeProvider(anthropicWireFormat);
}

const anthropicWireFormat: FakeWireFormat = {
  path: '/v1/messages',
  baseUrl: (origin) => origin,
  streamHeaders: {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': 'req_fake',
  },
  streamFrames: (script) => anthropicStreamFrames(script),
  errorReply: (status, options) => ({
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({
      type: 'error',
      error: { type: options.type ?? errorTypeForStatus(status), message: options.message ?? `fake error ${status}` },
    }),
  }),
};

/** The exact bytes Anthropic sends for `script`. */
export function anthropicStreamFrames(script: FakeStreamScript): string[] {
  const model = script.model ?? 'claude-sonnet-4-20250514';
  const reported = script.usage === undefined ? { promptTokens: 42, completionTokens: script.deltas.length } : script.usage;
  const event = (name: string, payload: unknown): string => `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;

  const frames = [
    event('message_start', {
      type: 'message_start',
      message: {
        id: 'msg_fake01',
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        ...(reported === null
          ? {}
          : { usage: { input_tokens: reported.promptTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 } }),
      },
    }),
    event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    // Anthropic's pings carry a space after the colon; kept byte for byte.
    'event: ping\ndata: {"type": "ping"}\n\n',
  ];
  const cut = script.interrupt?.afterDeltas ?? Infinity;
  for (const [index, text] of script.deltas.entries()) {
    if (index === cut) break;
    frames.push(event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }));
  }
  if (script.interrupt?.how === 'error') {
    frames.push('event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n');
    return frames;
  }
  if (script.interrupt) return frames;
  frames.push(
    event('content_block_stop', { type: 'content_block_stop', index: 0 }),
    event('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      ...(reported === null ? {} : { usage: { output_tokens: reported.completionTokens } }),
    }),
    event('message_stop', { type: 'message_stop' }),
  );
  return frames;
}

function errorTypeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 429:
      return 'rate_limit_error';
    case 529:
      return 'overloaded_error';
    default:
      return 'api_error';
  }
}

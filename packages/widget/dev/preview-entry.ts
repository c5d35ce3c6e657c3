import { mountWidget } from '../src/mount-widget.tsx';
import { ScriptedChatClient } from './scripted-chat-client.ts';

const client = new ScriptedChatClient();
const { api } = mountWidget(
  { tenantId: 'preview', publishableKey: null, apiUrl: 'http://127.0.0.1:9', language: null },
  () => client,
);
Object.assign(window, { MIPTechChat: api, previewClient: client });

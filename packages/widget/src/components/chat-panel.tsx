/** @jsxImportSource preact */
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import type { WidgetViewState } from '../widget-controller.ts';
import { describeConnection } from '../connection-view.ts';
import { AssistantBubble, MessageItem, TypingIndicator } from './message-item.tsx';
import { Composer } from './composer.tsx';
import { AlertIcon, CloseIcon, OfflineIcon, StopIcon } from './icons.tsx';

export interface ChatPanelProps {
  state: WidgetViewState;
  onClose: () => void;
  onSend: (text: string) => void;
  onStop: () => void;
  onRetry: () => void;
}

const FOCUSABLE = 'a[href], button:not([disabled]), textarea:not([disabled]), input:not([disabled]), [tabindex]:not([tabindex="-1"])';
/** Within this many pixels of the bottom, new text keeps the conversation scrolled to the end. */
const STICKY_BOTTOM_PX = 80;

/** The open chat: a modal dialog with header, connection banner, conversation and composer. */
export function ChatPanel({ state, onClose, onSend, onStop, onRetry }: ChatPanelProps) {
  const { strings, config, chat } = state;
  const panelRef = useRef<HTMLDivElement>(null);
  const logRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const stickToBottom = useRef(true);

  const name = config.assistantName ?? strings.defaultAssistantName;
  const greeting = config.greeting ?? strings.defaultGreeting;
  const messages = chat?.messages ?? [];
  const connection = describeConnection(chat, state.online, strings);
  const streaming = messages.some((message) => message.role === 'assistant' && message.status === 'streaming');
  // A streaming answer without text yet shows its own typing dots (MessageItem).
  const showTyping = (chat?.isTyping ?? false) && !streaming;

  useEffect(() => {
    if (state.open) {
      stickToBottom.current = true;
      inputRef.current?.focus({ preventScroll: true });
    }
  }, [state.open]);

  // Follow the conversation as it grows unless the visitor scrolled up to read.
  useLayoutEffect(() => {
    const log = logRef.current;
    if (log && stickToBottom.current) log.scrollTop = log.scrollHeight;
  });

  const onKeyDown = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      onClose();
      return;
    }
    if (event.key !== 'Tab' || !panelRef.current) return;
    // Focus trap: Tab and Shift+Tab cycle inside the dialog while it is open.
    const focusable = [...panelRef.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((element) => element.getClientRects().length > 0);
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) return;
    const root = panelRef.current.getRootNode() as Document | ShadowRoot;
    const active = root.activeElement;
    if (event.shiftKey && (active === first || !panelRef.current.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !panelRef.current.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <div
      ref={panelRef}
      class="panel"
      role="dialog"
      aria-modal="true"
      aria-label={name}
      hidden={!state.open}
      onKeyDown={onKeyDown}
    >
      <header class="header">
        <div class="avatar" aria-hidden="true">
          {initial(name)}
        </div>
        <div class="title">
          <h2>{name}</h2>
          <div class="status">
            <span class={`dot ${connection.tone}`} aria-hidden="true" />
            <span>{connection.status}</span>
          </div>
        </div>
        <button type="button" class="icon-button" aria-label={strings.closeChat} title={strings.closeChat} onClick={onClose}>
          <CloseIcon />
        </button>
      </header>

      {connection.banner && (
        <div class={`banner ${connection.tone}`} role={connection.tone === 'failed' ? 'alert' : 'status'}>
          {connection.icon === 'working' && <span class="spinner" aria-hidden="true" />}
          {connection.icon === 'offline' && <OfflineIcon />}
          {connection.icon === 'error' && <AlertIcon />}
          <p>
            <strong>{connection.banner}</strong>
            {connection.reason && <span class="reason">{connection.reason}</span>}
            {connection.code && (
              <span class="code">
                {strings.errorCode}: {connection.code}
              </span>
            )}
          </p>
          {connection.canRetry && (
            <button type="button" onClick={onRetry}>
              {strings.retry}
            </button>
          )}
        </div>
      )}

      <div
        ref={logRef}
        class="log"
        role="log"
        aria-live="polite"
        aria-label={strings.conversation}
        tabIndex={0}
        onScroll={(event) => {
          const log = event.currentTarget;
          stickToBottom.current = log.scrollHeight - log.scrollTop - log.clientHeight < STICKY_BOTTOM_PX;
        }}
      >
        <div class="row assistant greeting">
          <AssistantBubble content={greeting} />
        </div>
        {messages.map((message) => (
          <MessageItem key={message.clientMessageId ?? message.id} message={message} strings={strings} online={state.online} />
        ))}
        {showTyping && <TypingIndicator label={strings.typing} />}
      </div>

      {streaming && (
        <div class="stop-row">
          <button type="button" class="stop" onClick={onStop}>
            <StopIcon />
            {strings.stop}
          </button>
        </div>
      )}

      <Composer
        strings={strings}
        visible={state.open}
        onSend={(text) => {
          stickToBottom.current = true; // the visitor's own message is always shown
          onSend(text);
        }}
        inputRef={inputRef}
      />
      <div class="footer">{strings.poweredBy}</div>
    </div>
  );
}

function initial(name: string): string {
  const first = [...name.trim()][0];
  return first ? first.toUpperCase() : '?';
}

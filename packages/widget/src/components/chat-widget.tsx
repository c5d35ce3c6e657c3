/** @jsxImportSource preact */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { DARK_SURFACE, LIGHT_SURFACE, readableOn, textColorOn } from '../brand-color.ts';
import type { WidgetController, WidgetViewState } from '../widget-controller.ts';
import { ChatPanel } from './chat-panel.tsx';
import { ChatIcon, ChevronDownIcon } from './icons.tsx';

/** Subscribes to the controller's state (Preact has no useSyncExternalStore outside compat). */
function useWidgetState(controller: WidgetController): WidgetViewState {
  const [state, setState] = useState(controller.getState);
  useEffect(() => {
    setState(controller.getState());
    return controller.subscribe(() => setState(controller.getState()));
  }, [controller]);
  return state;
}

/** The whole widget: the floating launcher and the chat panel. */
export function ChatWidget({ controller }: { controller: WidgetController }) {
  const state = useWidgetState(controller);
  const launcherRef = useRef<HTMLButtonElement>(null);
  const rootRef = useRef<HTMLDivElement>(null);

  // When the panel closes with focus inside it, focus goes back to the launcher (not to <body>).
  // A layout effect runs right after the DOM update, before the browser moves focus off the hidden panel.
  const wasOpen = useRef(state.open);
  useLayoutEffect(() => {
    if (wasOpen.current && !state.open) {
      const root = rootRef.current?.getRootNode() as ShadowRoot | Document | undefined;
      const active = root?.activeElement ?? null;
      const focusLost = active === null || active === document.body || rootRef.current?.contains(active);
      if (focusLost) launcherRef.current?.focus();
    }
    wasOpen.current = state.open;
  }, [state.open]);

  if (!state.loaded) return null;
  const { strings, config } = state;
  const style = {
    '--primary': config.primaryColor,
    '--on-primary': textColorOn(config.primaryColor),
    '--link-light': readableOn(config.primaryColor, LIGHT_SURFACE),
    '--link-dark': readableOn(config.primaryColor, DARK_SURFACE),
  };

  return (
    <div
      ref={rootRef}
      class={`root${state.open ? ' open' : ''}${config.position === 'bottom-left' ? ' left' : ''}`}
      style={style}
      lang={state.language}
    >
      <ChatPanel
        state={state}
        onClose={() => controller.close()}
        onSend={(text) => controller.send(text)}
        onStop={() => controller.stop()}
        onRetry={() => controller.retry()}
      />
      <button
        ref={launcherRef}
        type="button"
        class="launcher"
        aria-label={state.open ? strings.closeChat : strings.openChat}
        aria-expanded={state.open ? 'true' : 'false'}
        title={state.open ? strings.closeChat : strings.openChat}
        tabIndex={state.open ? -1 : 0}
        onClick={() => controller.toggle()}
      >
        {state.open ? <ChevronDownIcon /> : <ChatIcon />}
        {!state.open && state.unread > 0 && (
          <span class="badge" aria-hidden="true">
            {state.unread > 9 ? '9+' : state.unread}
          </span>
        )}
      </button>
    </div>
  );
}

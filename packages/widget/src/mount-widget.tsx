/** @jsxImportSource preact */
import { render } from 'preact';
import { ChatWidget } from './components/chat-widget.tsx';
import type { EmbedOptions } from './embed-options.ts';
import { safeStorage } from './safe-storage.ts';
import WIDGET_CSS from './widget.css';
import { WidgetController, type WidgetControllerOptions, type WidgetEvents } from './widget-controller.ts';

/** The public JS API, `window.MIPTechChat`. */
export interface MIPTechChatApi {
  open(): void;
  close(): void;
  toggle(): void;
  /** Use the host page's own visitor token (e.g. for a signed-in user); `{token: null}` goes back to anonymous. */
  identify(identity: { token: string | null }): void;
  /** Subscribe to a widget event; returns the function that unsubscribes. */
  on<K extends keyof WidgetEvents>(type: K, callback: (payload: WidgetEvents[K]) => void): () => void;
  /** Remove the widget from the page. */
  destroy(): void;
  readonly version: string;
}

export const WIDGET_VERSION = '0.1.0';

/**
 * Puts the widget on the page: a `<miptech-chat>` element whose open shadow root holds the styles
 * and the Preact tree, so page CSS and widget CSS cannot affect each other.
 */
export function mountWidget(
  embed: EmbedOptions,
  createClient: WidgetControllerOptions['createClient'],
): { api: MIPTechChatApi; controller: WidgetController } {
  const host = document.createElement('miptech-chat');
  const shadow = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = WIDGET_CSS;
  const container = document.createElement('div');
  shadow.append(style, container);
  document.body.append(host);

  const controller = new WidgetController({
    embed,
    createClient,
    localStorage: safeStorage('local'),
    sessionStorage: safeStorage('session'),
    pageLanguage: document.documentElement.lang || null,
    browserLanguage: navigator.language || null,
    online: navigator.onLine !== false,
  });
  const onOnline = (): void => controller.setOnline(true);
  const onOffline = (): void => controller.setOnline(false);
  window.addEventListener('online', onOnline);
  window.addEventListener('offline', onOffline);
  const detachPosition = controller.subscribe(() => host.setAttribute('data-position', controller.getState().config.position));

  render(<ChatWidget controller={controller} />, container);
  void controller.start();

  const api: MIPTechChatApi = {
    open: () => controller.open(),
    close: () => controller.close(),
    toggle: () => controller.toggle(),
    identify: (identity) => controller.identify(identity?.token ?? null),
    on: (type, callback) => controller.events.on(type, callback),
    destroy: () => {
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
      detachPosition();
      render(null, container);
      controller.destroy();
      host.remove();
    },
    version: WIDGET_VERSION,
  };
  return { api, controller };
}

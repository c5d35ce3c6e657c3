/**
 * A browser-like global environment for rendering with react-dom/client in Node: happy-dom's
 * window and document as globals, React's act() environment flag, and a teardown.
 */
import { Window } from 'happy-dom';

export interface DomEnvironment {
  readonly window: Window;
  container(): HTMLElement;
  teardown(): Promise<void>;
}

const GLOBAL_NAMES = ['window', 'document', 'navigator', 'HTMLElement', 'Node', 'Event', 'MutationObserver'] as const;

export function installDom(): DomEnvironment {
  const window = new Window({ url: 'http://localhost:3000/' });
  const scope = globalThis as Record<string, unknown>;
  const saved = new Map<string, PropertyDescriptor | undefined>();
  for (const name of GLOBAL_NAMES) {
    saved.set(name, Object.getOwnPropertyDescriptor(globalThis, name));
    Object.defineProperty(globalThis, name, {
      value: name === 'window' ? window : (window as unknown as Record<string, unknown>)[name],
      configurable: true,
      writable: true,
    });
  }
  scope.IS_REACT_ACT_ENVIRONMENT = true;
  return {
    window,
    container() {
      const element = window.document.createElement('div');
      window.document.body.appendChild(element);
      return element as unknown as HTMLElement;
    },
    async teardown() {
      await window.happyDOM.abort();
      await window.happyDOM.close();
      for (const [name, descriptor] of saved) {
        if (descriptor) Object.defineProperty(globalThis, name, descriptor);
        else delete scope[name];
      }
      delete scope.IS_REACT_ACT_ENVIRONMENT;
    },
  };
}
